"""A template filled in and then saved by LibreOffice Calc imports exactly like the original.

Coordinators use Excel or LibreOffice. LibreOffice rewrites the whole file on
saving (its own styles, shared strings, number formats, sheet XML), so the
import must read the same values from its output. Needs `soffice` on PATH;
skipped without it (CI installs it).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from tests import excel_files as xf
from tests.test_excel_import import af5, freeze_today, import_file, indicator_id, make_template, plan  # noqa: F401
from tracking.excel_import import ImportRefused

pytestmark = [
    pytest.mark.libreoffice,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) nicht installiert"),
]


def resave_with_libreoffice(data: bytes, workdir: Path) -> bytes:
    """Open the workbook in LibreOffice Calc (headless) and save it again as .xlsx."""
    source = workdir / "original.xlsx"
    source.write_bytes(data)
    copy = workdir / "libreoffice-eingabe.xlsx"  # another name than the original
    shutil.copyfile(source, copy)
    outdir = workdir / "out"
    outdir.mkdir()
    # A private profile per run, so parallel runs do not share (and lock) one.
    profile = Path("/tmp") / f"lo-profile-{uuid.uuid4().hex}"
    try:
        result = subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(outdir),
                str(copy),
            ],
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    converted = outdir / copy.name
    assert result.returncode == 0 and converted.is_file(), result.stdout + result.stderr
    return converted.read_bytes()


def plan_contents(p) -> dict:
    return {
        "period": p.period,
        "scope": str(p.scope),
        "reports": [(r.row, r.code, r.measure_id, r.values, r.as_of) for r in p.reports],
        "indicators": [(i.row, i.indicator_id, i.value) for i in p.indicators],
        "changes": [(c.kind, c.what, c.key, c.row, c.fields) for c in p.changes],
        "empty_rows": p.empty_rows,
    }


def test_file_saved_by_libreoffice_imports_like_the_original(af5, tmp_path, monkeypatch):  # noqa: F811
    freeze_today(monkeypatch, dt.date(2027, 1, 10))
    filled = xf.fill_template(
        make_template(af5),
        {
            "M-5.1.01": {"progress": xf.Cell(0.35, "0%"), "as_of": dt.date(2026, 12, 31)},
            "M-5.1.02": {
                "status": "  In  Umsetzung ",
                "light": "GELB",
                "progress": "25 %",
                "comment": "Lieferverzug beim Rechenzentrum;\nzweite Zeile mit «Anführungszeichen» und Umlauten: äöü",
                "next_steps": "Neue Offerte einholen",
                "as_of": "31.12.2026",
            },
            "M-5.2.01": {"status": "abgeschlossen", "progress": xf.Cell(1.0, "0%"), "light": "grün"},
            "M-5.2.02": {"status": "geplant", "light": "gruen", "progress": 0, "as_of": xf.Cell(46387, "General")},
        },
    )
    filled = xf.fill_indicators(filled, {indicator_id(af5): 12.5})
    resaved = resave_with_libreoffice(filled, tmp_path)
    assert resaved != filled

    original_plan = plan(af5, filled, "bericht.xlsx")
    libreoffice_plan = plan(af5, resaved, "bericht.xlsx")
    assert plan_contents(libreoffice_plan) == plan_contents(original_plan)
    # and the values are the ones typed in
    values = {r.code: (r.values.status, r.values.light, r.values.progress, r.as_of) for r in libreoffice_plan.reports}
    assert values == {
        "M-5.1.01": ("in_umsetzung", "gruen", 35, dt.date(2026, 12, 31)),
        "M-5.1.02": ("in_umsetzung", "gelb", 25, dt.date(2026, 12, 31)),
        "M-5.2.01": ("abgeschlossen", "gruen", 100, None),
        "M-5.2.02": ("geplant", "gruen", 0, dt.date(2026, 12, 31)),
    }
    _, result = import_file(af5, resaved, "bericht.xlsx")
    assert (result.reports_written, result.values_written) == (4, 1)


def test_formula_gets_its_value_when_libreoffice_saves(af5, tmp_path):  # noqa: F811
    # openpyxl stores the formula without a result; the import reads results only,
    # so the unsaved formula counts as empty. LibreOffice computes it on saving.
    typed = xf.fill_template(make_template(af5), {"M-5.1.02": {"progress": "=40+10"}})
    with pytest.raises(ImportRefused) as refused:
        plan(af5, typed)
    assert refused.value.messages == [
        f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('progress')} (Fortschritt %): Fortschritt fehlt. "
        "Erlaubt: ganze Zahl von 0 bis 100, z. B. 50 oder 50 %."
    ]
    resaved = resave_with_libreoffice(typed, tmp_path)
    (row,) = [r for r in plan(af5, resaved).reports if r.code == "M-5.1.02"]
    assert row.values.progress == 50
