"""Importing a filled-in status report: bad files, bad cells, accepted variants, preview, save, undo, CLI.

Every refusal is checked word for word (the German message a coordinator
reads) and with the database left exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import types

import pytest
from sqlalchemy import func, select, text

from tests import excel_files as xf
from tests.conftest import REFERENCE_DATE
from tests.factories import add_measure, add_report
from tracking import periods as periods_module
from tracking import status_validation, workbook
from tracking.access import Actor
from tracking.cli import main
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.errors import TrackingError
from tracking.excel_import import (
    ImportRefused,
    apply_import,
    import_history,
    plan_import,
    undo_import,
)
from tracking.excel_template import build_template
from tracking.frozen import set_period_open
from tracking.models import (
    ActionField,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
    RowChange,
    StatusReport,
    WriteRecord,
)
from tracking.rollup import rollup
from tracking.scope import Scope
from tracking.snapshot import load_snapshot

PERIOD = "2026-H2"
KORA = Actor(name="Kora", role="koordination", fields=frozenset({"AF5"}))
GENERATED_AT = dt.datetime(2026, 11, 16, 9, 30)
REAL_DATE = dt.date

# --- fixtures and helpers -------------------------------------------------------


@pytest.fixture
def af5(luzern):
    """Lucerne with four AF5 measures, one AF1 measure and an AF5 indicator.

    M-5.1.01  2026-H2 report 30 %        template row 2
    M-5.1.02  2026-H2 report 20 %        template row 3 (weight 2)
    M-5.2.01  2026-H1 report 40 % only   template row 4 (empty; «Letzte Meldung» shows 2026-H1)
    M-5.2.02  no report yet              template row 5 (empty)
    M-1.1.01  field AF1: outside an AF5 template
    """
    end = dt.date(2027, 12, 31)
    with transaction(luzern) as session:
        m1 = add_measure(session, "M-5.1.01", "5.1", end=end)
        m2 = add_measure(session, "M-5.1.02", "5.1", end=end, weight=2.0)
        m3 = add_measure(session, "M-5.2.01", "5.2", department="FD", end=end)
        add_measure(session, "M-5.2.02", "5.2", end=end)
        add_measure(session, "M-1.1.01", "1.1", department="BKD", end=end)
        add_report(session, m1, PERIOD, 30)
        add_report(session, m2, PERIOD, 20)
        add_report(session, m3, "2026-H1", 40)
        goal = session.scalar(select(Goal).where(Goal.code == "5.1"))
        session.add(
            Indicator(
                goal_id=goal.id,
                name="Online-Dienstleistungen",
                unit="Anzahl",
                baseline=10,
                baseline_year=2022,
                target=50,
                target_year=2030,
                direction="hoeher",
            )
        )
    return luzern


def make_template(engine, *, period: str = PERIOD, field: str | None = "AF5", department: str | None = None) -> bytes:
    with transaction(engine) as session:
        return build_template(
            session,
            period=period,
            scope=Scope.of(field=field, department=department),
            generated_by="test",
            now=GENERATED_AT,
        )


@pytest.fixture
def template(af5) -> bytes:
    return make_template(af5)


@pytest.fixture
def good(template) -> bytes:
    """The template filled in completely and correctly (rows 4 and 5 were empty; row 4 says what 2026-H1 said)."""
    return xf.fill_template(
        template,
        {
            "M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 40},
            "M-5.2.02": {"status": "geplant", "light": "grün", "progress": 0},
        },
    )


def indicator_id(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(Indicator.id).where(Indicator.name == "Online-Dienstleistungen"))


COUNTED_TABLES = ("status_report", "indicator_value", "write_record", "row_change")


def db_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED_TABLES}


def current_reports(engine, period: str = PERIOD) -> dict[str, tuple]:
    """Measure code -> (status, light, progress, comment, next_steps, risks) of the current reports."""
    with transaction(engine) as session:
        rows = session.execute(
            select(
                Measure.code,
                StatusReport.status,
                StatusReport.light,
                StatusReport.progress,
                StatusReport.comment,
                StatusReport.next_steps,
                StatusReport.risks,
            )
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(ReportingPeriod.name == period, StatusReport.is_current.is_(True))
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def current_values(engine, period: str = PERIOD) -> dict[int, float]:
    with transaction(engine) as session:
        rows = session.execute(
            select(IndicatorValue.indicator_id, IndicatorValue.value)
            .join(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
            .where(ReportingPeriod.name == period, IndicatorValue.is_current.is_(True))
        ).all()
    return dict(rows)


def plan(engine, data: bytes, filename: str = "af5.xlsx", **kwargs):
    with transaction(engine) as session:
        return plan_import(session, data, filename, **kwargs)


def import_file(engine, data: bytes, filename: str = "af5.xlsx", actor: str = "koordination"):
    with transaction(engine) as session:
        p = plan_import(session, data, filename)
        return p, apply_import(session, p, actor=actor)


def refused(engine, data: bytes, filename: str = "af5.xlsx", **kwargs) -> ImportRefused:
    """Import the file, expect a refusal, and check that nothing was written."""
    before = db_counts(engine)
    with pytest.raises(ImportRefused) as info, transaction(engine) as session:
        p = plan_import(session, data, filename, **kwargs)
        apply_import(session, p, actor="koordination")
    assert db_counts(engine) == before
    return info.value


class _DateMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, REAL_DATE)


def freeze_today(monkeypatch, day: dt.date) -> None:
    """Make the row checks (tracking.status_validation) and the period rules (tracking.periods) see `day` as today.

    The import refuses «Stand per» dates in the future, and its plausibility hints read
    the plan on the period's reference day (today while the period runs, its end after).
    """

    class FrozenDate(REAL_DATE, metaclass=_DateMeta):
        @classmethod
        def today(cls):
            return day

    shim = types.SimpleNamespace(date=FrozenDate, datetime=dt.datetime, timedelta=dt.timedelta, time=dt.time)
    monkeypatch.setattr(status_validation, "dt", shim)
    monkeypatch.setattr(periods_module, "dt", shim)


# --- bad files ----------------------------------------------------------------------


def _other_period(engine, template):
    with transaction(engine) as session:
        set_period_open(session, name="2026-H1", is_open=True, actor="test")
    data = make_template(engine, period="2026-H1")
    with transaction(engine) as session:
        set_period_open(session, name="2026-H1", is_open=False, actor="test")
    return data


def _closed_period(engine, template):
    with transaction(engine) as session:
        set_period_open(session, name=PERIOD, is_open=False, actor="test")
    return template


BAD_FILES = [
    pytest.param(
        "leer.xlsx",
        lambda engine, t: xf.empty_file(),
        {},
        "«leer.xlsx» ist leer (0 Bytes). Bitte die ausgefüllte Vorlage als .xlsx hochladen.",
        id="empty",
    ),
    pytest.param(
        "bericht.xls",
        lambda engine, t: xf.xls_file(),
        {},
        "«bericht.xls» ist im alten Excel-Format (.xls). Bitte in Excel oder LibreOffice als "
        "«Excel-Arbeitsmappe (.xlsx)» speichern und erneut hochladen.",
        id="xls",
    ),
    pytest.param(
        "geschützt.xlsx",
        lambda engine, t: xf.encrypted_xlsx(),
        {},
        "«geschützt.xlsx» ist mit einem Passwort geschützt. Bitte den Passwortschutz entfernen "
        "(Datei > Informationen > Arbeitsmappe schützen) und erneut hochladen.",
        id="password-protected",
    ),
    pytest.param(
        "bericht.csv",
        lambda engine, t: xf.csv_file(),
        {},
        "«bericht.csv» ist eine Textdatei (z. B. CSV), keine Excel-Arbeitsmappe. "
        "Bitte die Vorlage aus dem Tool verwenden und als .xlsx speichern.",
        id="csv",
    ),
    pytest.param(
        "bericht.ods",
        lambda engine, t: xf.ods_file(),
        {},
        "«bericht.ods» ist eine OpenDocument-Tabelle (.ods). Bitte in LibreOffice mit «Speichern unter» "
        "als «Excel 2007-365 (.xlsx)» speichern.",
        id="ods",
    ),
    pytest.param(
        "bericht.docx",
        lambda engine, t: xf.docx_like(),
        {},
        "«bericht.docx» ist keine Excel-Arbeitsmappe (.xlsx), sondern ein anderes ZIP-Archiv.",
        id="docx-zip",
    ),
    pytest.param(
        "zufall.xlsx",
        lambda engine, t: xf.random_bytes(),
        {},
        "«zufall.xlsx» ist keine Excel-Arbeitsmappe (.xlsx). Bitte die Vorlage aus dem Tool verwenden.",
        id="random-bytes",
    ),
    pytest.param(
        "halb.xlsx",
        lambda engine, t: xf.truncated(t),
        {},
        "«halb.xlsx» ist beschädigt (kein lesbares ZIP-Archiv). Bitte neu speichern.",
        id="truncated-zip",
    ),
    pytest.param(
        "defekt.xlsx",
        lambda engine, t: xf.stored_member_flipped(t, "xl/worksheets/sheet2.xml"),
        {},
        "«defekt.xlsx» ist beschädigt (Teil «xl/worksheets/sheet2.xml» defekt). Bitte neu speichern.",
        id="flipped-byte-crc",
    ),
    pytest.param(
        "ohne-blatt.xlsx",
        lambda engine, t: xf.without_sheet(t, "Statusbericht"),
        {},
        "Das Blatt «Statusbericht» fehlt (gefunden: «Anleitung», «Kennzahlen»). Bitte die Vorlage des Tools verwenden.",
        id="no-report-sheet",
    ),
    pytest.param(
        "ohne-meta.xlsx",
        lambda engine, t: xf.without_sheet(t, "_meta"),
        {},
        "Die Datei ist keine Vorlage dieses Tools (das verborgene Blatt «_meta» fehlt). "
        "Bitte die Vorlage unter «Statusbericht» herunterladen und diese ausfüllen.",
        id="no-meta-sheet",
    ),
    pytest.param(
        "alte-vorlage.xlsx",
        lambda engine, t: xf.set_meta(t, "template_version", "0"),
        {},
        "Die Vorlage hat die Version «0», erwartet wird «2». "
        "Bitte eine neue Vorlage herunterladen und die Angaben übertragen.",
        id="old-template-version",
    ),
    pytest.param(
        "h1.xlsx",
        _other_period,
        {"expected_period": PERIOD},
        "Die Datei ist eine Vorlage für die Berichtsperiode 2026-H1, gewählt ist 2026-H2. "
        "Bitte die Vorlage für 2026-H2 verwenden oder die Periode wechseln.",
        id="other-period",
    ),
    pytest.param(
        "h1.xlsx",
        _other_period,
        {},
        "Die Berichtsperiode 2026-H1 ist geschlossen: Meldungen sind nicht mehr möglich. "
        "Bitte die Fachstelle kontaktieren, falls eine Korrektur nötig ist.",
        id="other-period-closed",
    ),
    pytest.param(
        "h2.xlsx",
        _closed_period,
        {},
        "Die Berichtsperiode 2026-H2 ist geschlossen: Meldungen sind nicht mehr möglich. "
        "Bitte die Fachstelle kontaktieren, falls eine Korrektur nötig ist.",
        id="closed-period",
    ),
    pytest.param(
        "zukunft.xlsx",
        lambda engine, t: xf.set_meta(t, "period", "2030-H1"),
        {},
        "Die Vorlage nennt die Berichtsperiode «2030-H1», die es nicht gibt.",
        id="unknown-period",
    ),
    pytest.param(
        "bereich.xlsx",
        lambda engine, t: xf.set_meta(t, "scope", "feld:AF5"),
        {},
        "Der Geltungsbereich der Vorlage «feld:AF5» ist unbekannt.",
        id="unknown-scope",
    ),
    pytest.param(
        "gross.xlsx",
        lambda engine, t: xf.padded(t, int(2.5 * 1024 * 1024)),
        {},
        "«gross.xlsx» ist 2.50 MB gross; erlaubt sind höchstens 1 MB.",
        id="over-size-limit",
    ),
]


@pytest.mark.parametrize(("filename", "make", "kwargs", "expected"), BAD_FILES)
def test_bad_file_is_refused_with_its_message(af5, template, monkeypatch, filename, make, kwargs, expected):
    monkeypatch.setenv("TRACKING_MAX_UPLOAD_MB", "1")
    data = make(af5, template)
    error = refused(af5, data, filename, **kwargs)
    assert error.messages == [expected]
    assert len(error.problems) == 1
    assert error.problems[0].sheet is None and error.problems[0].row is None


def test_zip_bomb_is_refused_before_unpacking(af5, good):
    data = xf.zip_bomb(good, megabytes=300)
    assert len(data) < 1024 * 1024  # small on disk ...
    total, ratio = xf.uncompressed_total(data)
    assert total > 300 * 1024 * 1024  # ... 300 MB unpacked
    error = refused(af5, data, "bombe.xlsx")
    assert error.messages == [
        f"«bombe.xlsx» würde entpackt 300 MB ergeben (Verhältnis {ratio:.0f}:1) "
        "und wird zum Schutz des Servers abgelehnt."
    ]
    assert ratio > 500


def test_small_member_with_extreme_compression_is_refused(af5, good):
    data = xf.zip_bomb(good, megabytes=20)
    total, ratio = xf.uncompressed_total(data)
    assert total < 200 * 1024 * 1024
    error = refused(af5, data, "bombe.xlsx")
    assert error.messages == [
        f"«bombe.xlsx» würde entpackt 20 MB ergeben (Verhältnis {ratio:.0f}:1) "
        "und wird zum Schutz des Servers abgelehnt."
    ]


def test_size_limit_from_argument(template):
    with pytest.raises(ImportRefused) as info:
        workbook.check_file(template, "gross.xlsx", max_bytes=1000)
    assert info.value.messages[0].startswith("«gross.xlsx» ist ")
    assert info.value.messages[0].endswith(" gross; erlaubt sind höchstens 1000 Bytes.")
    workbook.check_file(template, "klein.xlsx", max_bytes=len(template))  # exactly at the limit: accepted


def test_size_limit_from_environment(af5, template, monkeypatch):
    monkeypatch.setenv("TRACKING_MAX_UPLOAD_MB", "0.001")  # 1'048 bytes
    assert len(template) > 1048
    error = refused(af5, template, "gross.xlsx")
    assert error.messages[0].startswith("«gross.xlsx» ist ")
    assert error.messages[0].endswith(" gross; erlaubt sind höchstens 1 KB.")
    monkeypatch.setenv("TRACKING_MAX_UPLOAD_MB", "5")
    assert plan(af5, template).period == PERIOD


def _sizes_in(message: str) -> list[float]:
    units = {"Bytes": 1, "KB": 1024, "MB": 1024 * 1024}
    found = re.findall(r"(\d[\d'.,]*)\s*(Bytes|KB|MB)", message)
    return [float(number.replace("'", "").replace(",", ".")) * units[unit] for number, unit in found]


@pytest.mark.parametrize(
    ("size", "limit"),
    [(9_800, 1000), (9_800, 1048), (10 * 1024 * 1024 + 40_000, 10 * 1024 * 1024)],
    ids=["limit-1000-bytes", "limit-0.001-MB", "just-over-10-MB"],
)
def test_size_message_shows_file_larger_than_limit(template, size, limit):
    with pytest.raises(ImportRefused) as info:
        workbook.check_file(xf.padded(template, size), "gross.xlsx", max_bytes=limit)
    shown_size, shown_limit = _sizes_in(info.value.messages[0])
    assert shown_limit > 0
    assert shown_size > shown_limit


def test_damaged_deflate_stream_is_refused_with_message(af5, template):
    data = xf.broken_deflate(template, "xl/worksheets/sheet2.xml")
    error = refused(af5, data, "defekt.xlsx")
    assert error.messages == ["«defekt.xlsx» ist beschädigt oder verschlüsselt und kann nicht gelesen werden."]


@pytest.mark.parametrize(
    "xml",
    [
        b"garbage",
        b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="s"><v>9999</v></c></row></sheetData></worksheet>',
    ],
    ids=["not-xml", "bad-shared-string"],
)
def test_broken_sheet_xml_is_refused_with_message(af5, template, xml):
    data = xf.replace_member(template, xf.sheet_path(template, "Statusbericht"), xml)
    error = refused(af5, data, "kaputt.xlsx")
    assert error.messages == ["Das Blatt «Statusbericht» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt."]


def test_template_of_unknown_field_is_refused(af5, template):
    data = xf.set_meta(template, "scope", "field:AF99")
    before = db_counts(af5)
    with pytest.raises(TrackingError) as info:
        plan(af5, data)
    assert db_counts(af5) == before
    assert info.value.messages[0].startswith("Vorlage für Aktionsfeld AF99: Aktionsfeld «AF99» gibt es nicht")
    assert isinstance(info.value, ImportRefused)


# --- bad cells ----------------------------------------------------------------------

WHERE_CODE = "Blatt «Statusbericht», Zeile 3, Spalte A (Code): "
WHERE_STATUS = f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('status')} (Status): "
WHERE_LIGHT = f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('light')} (Ampel): "
WHERE_PROGRESS = f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('progress')} (Fortschritt %): "
WHERE_COMMENT = f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('comment')} (Kommentar / Begründung): "
WHERE_AS_OF = f"Blatt «Statusbericht», Zeile 3, Spalte {xf.column('as_of')} (Stand per): "
ALLOWED_PROGRESS = "Erlaubt: ganze Zahl von 0 bis 100, z. B. 50 oder 50 %."
ALLOWED_STATUS = "Erlaubt: geplant, in Umsetzung, abgeschlossen, sistiert, abgebrochen."

BAD_CELLS = [
    pytest.param(
        {3: {"code": "M-9.9.99"}},
        [WHERE_CODE + "Unbekannter Massnahmencode «M-9.9.99». Bitte die Codes der Vorlage nicht ändern."],
        id="unknown-code",
    ),
    pytest.param(
        {3: {"code": "M-1.1.01"}},
        [
            WHERE_CODE + "Massnahme M-1.1.01 gehört nicht zum Geltungsbereich dieser Vorlage (Aktionsfeld AF5) "
            "oder ist in dieser Periode nicht meldepflichtig."
        ],
        id="outside-scope",
    ),
    pytest.param(
        {3: {"code": "M-5.1.01"}},
        [WHERE_CODE + "Massnahme M-5.1.01 kommt doppelt vor (schon in Zeile 2). Bitte nur eine Zeile pro Massnahme."],
        id="same-measure-twice",
    ),
    pytest.param(
        {3: {"code": None}},
        [WHERE_CODE + "Code fehlt: ohne Massnahmencode kann die Zeile nicht zugeordnet werden."],
        id="code-missing",
    ),
    pytest.param(
        {3: {"progress": 120}},
        [WHERE_PROGRESS + "120 liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100."],
        id="progress-120",
    ),
    pytest.param(
        {3: {"progress": -5}},
        [WHERE_PROGRESS + "-5 liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100."],
        id="progress-minus-5",
    ),
    pytest.param(
        {3: {"progress": "abc"}},
        [WHERE_PROGRESS + "«abc» ist keine ganze Zahl. " + ALLOWED_PROGRESS],
        id="progress-abc",
    ),
    pytest.param(
        {3: {"progress": 45.5}},
        [WHERE_PROGRESS + "«45.5» ist keine ganze Zahl. " + ALLOWED_PROGRESS],
        id="progress-45.5",
    ),
    pytest.param(
        {3: {"progress": None}},
        [WHERE_PROGRESS + "Fortschritt fehlt. " + ALLOWED_PROGRESS],
        id="progress-missing",
    ),
    pytest.param(
        {3: {"status": "fertig"}},
        [WHERE_STATUS + "«fertig» ist kein gültiger Status. " + ALLOWED_STATUS],
        id="status-fertig",
    ),
    pytest.param(
        {3: {"status": None}},
        [WHERE_STATUS + "Status fehlt. " + ALLOWED_STATUS],
        id="status-missing",
    ),
    pytest.param(
        {3: {"light": "blau"}},
        [WHERE_LIGHT + "«blau» ist keine gültige Ampel. Erlaubt: grün, gelb, rot."],
        id="light-blau",
    ),
    pytest.param(
        {3: {"light": None}},
        [WHERE_LIGHT + "Ampel fehlt. Erlaubt: grün, gelb, rot."],
        id="light-missing",
    ),
    pytest.param(
        {3: {"light": "gelb", "comment": None}},
        [WHERE_COMMENT + "Ampel gelb braucht eine Begründung. Bitte in «Kommentar / Begründung» erklären, warum."],
        id="yellow-without-reason",
    ),
    pytest.param(
        {3: {"light": "rot", "comment": "   "}},
        [WHERE_COMMENT + "Ampel rot braucht eine Begründung. Bitte in «Kommentar / Begründung» erklären, warum."],
        id="red-with-blank-reason",
    ),
    pytest.param(
        {3: {"status": "abgeschlossen", "progress": 80}},
        [WHERE_PROGRESS + "Status «abgeschlossen» verlangt 100 % Fortschritt, gemeldet sind 80 %."],
        id="completed-at-80",
    ),
    pytest.param(
        {3: {"as_of": "32.13.2026"}},
        [WHERE_AS_OF + "«32.13.2026» ist kein gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31."],
        id="as-of-32.13.2026",
    ),
    pytest.param(
        {3: {"as_of": "31.12.2026"}},  # today is frozen at 15.11.2026
        [WHERE_AS_OF + "Das Datum 31.12.2026 liegt in der Zukunft."],
        id="as-of-in-future",
    ),
    pytest.param(
        lambda data: xf.rename_header(data, "progress", "Fortschritt"),
        [
            "Blatt «Statusbericht», Zeile 1, Spalte I: erwartet die Spalte «Fortschritt %», gefunden «Fortschritt». "
            "Spalten nicht umbenennen oder verschieben."
        ],
        id="renamed-header",
    ),
    pytest.param(
        lambda data: xf.delete_column(data, "as_of"),
        ["Blatt «Statusbericht», Zeile 1, Spalte O: Spalte «Stand per» fehlt."],
        id="last-column-deleted",
    ),
    pytest.param(
        lambda data: xf.delete_column(data, "progress"),
        [
            "Blatt «Statusbericht», Zeile 1, Spalte I: erwartet die Spalte «Fortschritt %», gefunden "
            "«Unverändert». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte J: erwartet die Spalte «Unverändert», gefunden "
            "«Kommentar / Begründung». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte K: erwartet die Spalte «Kommentar / Begründung», gefunden "
            "«Nächste Schritte». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte L: erwartet die Spalte «Nächste Schritte», gefunden "
            "«Risiken». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte M: erwartet die Spalte «Risiken», gefunden "
            "«Erläuterung zu Hinweisen». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte N: erwartet die Spalte «Erläuterung zu Hinweisen», gefunden "
            "«Stand per». Spalten nicht umbenennen oder verschieben.",
            "Blatt «Statusbericht», Zeile 1, Spalte O: Spalte «Stand per» fehlt.",
        ],
        id="progress-column-deleted",
    ),
]


@pytest.mark.parametrize(("change", "expected"), BAD_CELLS)
def test_bad_cell_is_refused_with_sheet_row_and_column(af5, good, monkeypatch, change, expected):
    freeze_today(monkeypatch, REFERENCE_DATE)
    data = change(good) if callable(change) else xf.fill_template(good, change)
    error = refused(af5, data)
    assert error.messages == expected


def test_problem_names_sheet_row_column_and_header(af5, good):
    error = refused(af5, xf.fill_template(good, {3: {"progress": 120}}))
    (problem,) = error.problems
    assert (problem.sheet, problem.row, problem.column, problem.header) == ("Statusbericht", 3, "I", "Fortschritt %")
    assert problem.message == "120 liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100."


def test_code_from_another_field_appended_below_is_outside_scope(af5, good):
    data, row = xf.append_row(good, {"code": "M-1.1.01", "status": "geplant", "light": "grün", "progress": 5})
    assert row == 6
    error = refused(af5, data)
    assert error.messages == [
        "Blatt «Statusbericht», Zeile 6, Spalte A (Code): Massnahme M-1.1.01 gehört nicht zum Geltungsbereich "
        "dieser Vorlage (Aktionsfeld AF5) oder ist in dieser Periode nicht meldepflichtig."
    ]


def test_department_template_holds_only_its_measures(af5):
    data = make_template(af5, field=None, department="FD")
    assert list(xf.report_rows(data)) == ["M-5.2.01"]
    outside, row = xf.append_row(data, {"code": "M-5.1.01", "status": "geplant", "light": "grün", "progress": 5})
    error = refused(af5, outside, "fd.xlsx")
    assert error.messages == [
        f"Blatt «Statusbericht», Zeile {row}, Spalte A (Code): Massnahme M-5.1.01 gehört nicht zum Geltungsbereich "
        "dieser Vorlage (Departement FD) oder ist in dieser Periode nicht meldepflichtig."
    ]
    filled = xf.fill_template(data, {"M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 44}})
    p = plan(af5, filled, "fd.xlsx")
    assert p.summary_lines()[:2] == [
        "Datei «fd.xlsx»: Berichtsperiode 2026-H2, Departement FD.",
        "1 neu, 0 geändert, 0 unverändert.",
    ]


def test_all_problems_of_a_file_are_reported_at_once_in_order(af5, good):
    data = xf.fill_template(
        good,
        {
            2: {"progress": 120},
            3: {"status": "fertig", "light": "blau"},
            4: {"light": "rot", "comment": None, "as_of": "32.13.2026"},
            5: {"status": "abgeschlossen", "progress": 80, "code": "M-5.1.02"},
        },
    )
    data = xf.fill_indicators(data, {indicator_id(af5): "viele"})
    error = refused(af5, data)
    assert error.messages == [
        "Blatt «Statusbericht», Zeile 2, Spalte I (Fortschritt %): 120 liegt ausserhalb von 0 bis 100. "
        "Erlaubt: ganze Zahl von 0 bis 100.",
        "Blatt «Statusbericht», Zeile 3, Spalte G (Status): «fertig» ist kein gültiger Status. " + ALLOWED_STATUS,
        "Blatt «Statusbericht», Zeile 3, Spalte H (Ampel): «blau» ist keine gültige Ampel. Erlaubt: grün, gelb, rot.",
        "Blatt «Statusbericht», Zeile 4, Spalte K (Kommentar / Begründung): Ampel rot braucht eine Begründung. "
        "Bitte in «Kommentar / Begründung» erklären, warum.",
        "Blatt «Statusbericht», Zeile 4, Spalte O (Stand per): «32.13.2026» ist kein gültiges Datum. "
        "Erlaubt: 31.12.2026 oder 2026-12-31.",
        "Blatt «Statusbericht», Zeile 5, Spalte A (Code): Massnahme M-5.1.02 kommt doppelt vor (schon in Zeile 3). "
        "Bitte nur eine Zeile pro Massnahme.",
        "Blatt «Kennzahlen», Zeile 2, Spalte I (Wert): «viele» ist keine Zahl. Erlaubt: z. B. 1234.5 oder 1'234.5.",
    ]
    assert len(error.problems) == 7


def test_percent_cell_over_100_percent_is_refused(af5, good):
    data = xf.fill_template(good, {3: {"progress": xf.Cell(2.0, "0%")}})
    error = refused(af5, data)
    assert error.messages == [WHERE_PROGRESS + "200 liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100."]


def test_percent_cell_150_percent_message_names_150(af5, good):
    data = xf.fill_template(good, {3: {"progress": xf.Cell(1.5, "0%")}})
    error = refused(af5, data)
    assert error.messages == [WHERE_PROGRESS + "150 liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100."]


def test_boolean_progress_message_has_no_python_words(af5, good):
    error = refused(af5, xf.fill_template(good, {3: {"progress": True}}))
    assert error.messages[0].startswith(WHERE_PROGRESS)
    assert "True" not in error.messages[0]


# --- accepted variants ----------------------------------------------------------------

ROW3 = ("in_umsetzung", "gruen", 20)  # what the template holds for M-5.1.02

ACCEPTED = [
    pytest.param({"progress": 50}, ("in_umsetzung", "gruen", 50), None, id="progress-50"),
    pytest.param({"progress": "50 %"}, ("in_umsetzung", "gruen", 50), None, id="progress-text-50-space-percent"),
    pytest.param({"progress": "50%"}, ("in_umsetzung", "gruen", 50), None, id="progress-text-50-percent"),
    pytest.param({"progress": xf.Cell(0.5, "0%")}, ("in_umsetzung", "gruen", 50), None, id="progress-percent-cell"),
    pytest.param(
        {"status": "abgeschlossen", "progress": xf.Cell(1.0, "0%")},
        ("abgeschlossen", "gruen", 100),
        None,
        id="progress-percent-cell-100-completed",
    ),
    pytest.param({"status": "  In  Umsetzung "}, ROW3, None, id="status-case-and-spaces"),
    pytest.param({"status": "ABGESCHLOSSEN", "progress": 100}, ("abgeschlossen", "gruen", 100), None, id="status-caps"),
    pytest.param({"light": "GRÜN"}, ROW3, None, id="light-GRUEN-umlaut"),
    pytest.param({"light": "gruen"}, ROW3, None, id="light-gruen"),
    pytest.param({"light": " Rot ", "comment": "Verzug"}, ("in_umsetzung", "rot", 20), None, id="light-Rot-spaces"),
    pytest.param({"as_of": dt.date(2026, 12, 31)}, ROW3, dt.date(2026, 12, 31), id="as-of-date-cell"),
    pytest.param({"as_of": xf.Cell(46387, "General")}, ROW3, dt.date(2026, 12, 31), id="as-of-serial-46387"),
    pytest.param({"as_of": "31.12.2026"}, ROW3, dt.date(2026, 12, 31), id="as-of-text-swiss"),
    pytest.param({"as_of": "2026-12-31"}, ROW3, dt.date(2026, 12, 31), id="as-of-text-iso"),
]


@pytest.mark.parametrize(("cells", "expected", "as_of"), ACCEPTED)
def test_accepted_variant(af5, good, monkeypatch, cells, expected, as_of):
    freeze_today(monkeypatch, dt.date(2027, 1, 10))
    p = plan(af5, xf.fill_template(good, {3: cells}))
    (row,) = [r for r in p.reports if r.row == 3]
    assert row.code == "M-5.1.02"
    assert (row.values.status, row.values.light, row.values.progress) == expected
    assert row.as_of == as_of


def test_formula_with_cached_value_is_read(af5, good):
    data = xf.with_cached_formula(good, "progress", 3, "40+10", 50)
    p = plan(af5, data)
    (row,) = [r for r in p.reports if r.row == 3]
    assert row.values.progress == 50


def test_serial_46387_is_31_12_2026():
    # Excel day 1 is 1900-01-01 and Excel counts a 29.02.1900 that never was (serial 60),
    # so from serial 61 on the date is 1900-01-01 + (serial - 2) days.
    assert dt.date(1900, 1, 1) + dt.timedelta(days=46387 - 2) == dt.date(2026, 12, 31)
    assert workbook.parse_date(46387) == dt.date(2026, 12, 31)


# --- preview, save, history, undo ------------------------------------------------------


def preview_file(af5, template) -> bytes:
    """Row 2 as it was, row 3 changed (20 -> 25), row 4 (empty, 40 % in 2026-H1) filled in with 45 now, row 5 empty."""
    data = xf.fill_template(
        template,
        {"M-5.1.02": {"progress": 25}, "M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 45}},
    )
    return xf.fill_indicators(data, {indicator_id(af5): 12.5})


# After 2026-H2 the plan is read on its last day, 31.12.2026: a measure running from
# 01.01.2024 to 31.12.2027 should stand at 1095 of 1460 days = 75 %; the two green rows
# preview_file changes (25 % and 45 %) are more than 15 points behind: a hint each.
AFTER_PERIOD = dt.date(2027, 1, 10)
PREVIEW_HINTS = [
    "2 Plausibilitätshinweise (speichern ist trotzdem möglich; eine Erläuterung gehört in «Erläuterung zu Hinweisen»):",
    "  Zeile 3, M-5.1.02: Ampel grün, obwohl 50 Prozentpunkte hinter Plan (Soll 75 %, Ist 25 %; "
    "mehr als 15 gilt als hinter Plan).",
    "  Zeile 4, M-5.2.01: Ampel grün, obwohl 30 Prozentpunkte hinter Plan (Soll 75 %, Ist 45 %; "
    "mehr als 15 gilt als hinter Plan).",
]


def test_preview_counts_new_changed_unchanged(af5, template, monkeypatch):
    freeze_today(monkeypatch, AFTER_PERIOD)
    number = indicator_id(af5)
    before = db_counts(af5)
    p = plan(af5, preview_file(af5, template))
    assert db_counts(af5) == before  # nothing written by the preview
    # M-5.2.01 has no 2026-H2 report yet and the indicator no value: 2 new;
    # M-5.1.02 20 -> 25: 1 changed; M-5.1.01 as it was: 1 unchanged; M-5.2.02 empty row.
    assert (p.count("neu"), p.count("geändert"), p.count("unverändert"), p.empty_rows) == (2, 1, 1, 1)
    assert p.has_changes
    assert p.summary_lines() == [
        "Datei «af5.xlsx»: Berichtsperiode 2026-H2, Aktionsfeld AF5.",
        "2 neu, 1 geändert, 1 unverändert, 1 Zeile ohne Angaben (keine Meldung).",
        "  geändert: Statusbericht M-5.1.02: Fortschritt 20 → 25",
        "  neu: Statusbericht M-5.2.01",
        f"  neu: Kennzahl Nr. {number} Online-Dienstleistungen (Anzahl)",
        *PREVIEW_HINTS,
    ]
    # The preview on the page shows what a new report and a new value say.
    new = {c.key: c.fields for c in p.changes if c.kind == "neu"}
    assert new["M-5.2.01"] == {"Status": (None, "in_umsetzung"), "Ampel": (None, "gruen"), "Fortschritt": (None, 45)}
    assert new[f"Nr. {number} Online-Dienstleistungen (Anzahl)"] == {"Wert": (None, 12.5)}


def test_preview_summary_singular_for_one_empty_row(af5, template):
    p = plan(af5, preview_file(af5, template))
    assert p.summary_lines()[1] == "2 neu, 1 geändert, 1 unverändert, 1 Zeile ohne Angaben (keine Meldung)."


def test_apply_writes_all_rows_and_same_file_again_changes_nothing(af5, template):
    data = preview_file(af5, template)
    before = db_counts(af5)
    _, result = import_file(af5, data)
    assert (result.reports_written, result.values_written) == (2, 1)
    after = db_counts(af5)
    assert after["status_report"] == before["status_report"] + 2
    assert after["indicator_value"] == before["indicator_value"] + 1
    assert after["write_record"] == before["write_record"] + 1
    assert current_reports(af5) == {
        "M-5.1.01": ("in_umsetzung", "gruen", 30, None, None, None),
        "M-5.1.02": ("in_umsetzung", "gruen", 25, None, None, None),
        "M-5.2.01": ("in_umsetzung", "gruen", 45, None, None, None),
    }
    assert current_values(af5) == {indicator_id(af5): 12.5}
    with transaction(af5) as session:
        record = session.get(WriteRecord, result.write_id)
        assert (record.actor, record.action, record.source) == ("koordination", "import", "Excel «af5.xlsx»")
        assert record.summary == "Periode 2026-H2, Aktionsfeld AF5: 2 Meldungen, 1 Kennzahlwerte gespeichert."

    again = plan(af5, data)
    assert not again.has_changes
    assert (again.count("neu"), again.count("geändert"), again.count("unverändert")) == (0, 0, 4)
    _, result = import_file(af5, data)
    assert (result.write_id, result.reports_written, result.values_written) == (None, 0, 0)
    assert db_counts(af5) == after


def test_later_upload_supersedes_and_history_keeps_the_first(af5, template):
    first = xf.fill_template(template, {"M-5.1.02": {"progress": 25}})
    second = xf.fill_template(template, {"M-5.1.02": {"progress": 35, "light": "gelb", "comment": "Lieferverzug"}})
    _, one = import_file(af5, first, "erste.xlsx", actor="koordination-a")
    _, two = import_file(af5, second, "zweite.xlsx", actor="koordination-b")
    with transaction(af5) as session:
        history = session.execute(
            select(StatusReport.progress, StatusReport.reported_by, StatusReport.write_id, StatusReport.is_current)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(Measure.code == "M-5.1.02", ReportingPeriod.name == PERIOD)
            .order_by(StatusReport.id)
        ).all()
    original_write = history[0][2]
    assert [tuple(h) for h in history] == [
        (20, "test", original_write, False),
        (25, "koordination-a", one.write_id, False),
        (35, "koordination-b", two.write_id, True),
    ]
    assert current_reports(af5)["M-5.1.02"] == ("in_umsetzung", "gelb", 35, "Lieferverzug", None, None)


def test_undo_brings_back_the_values_from_before(af5, template):
    reports_before = current_reports(af5)
    values_before = current_values(af5)
    _, result = import_file(af5, preview_file(af5, template))
    assert current_reports(af5) != reports_before
    with transaction(af5) as session:
        assert undo_import(session, result.write_id, actor="fachstelle") == 3
    assert current_reports(af5) == reports_before
    assert current_values(af5) == values_before
    with transaction(af5) as session:
        undo_id = session.get(WriteRecord, result.write_id).undone_by_id
        undo = session.get(WriteRecord, undo_id)
        assert (undo.actor, undo.action, undo.source) == ("fachstelle", "undo", f"Rückgängig: Import {result.write_id}")

    before = db_counts(af5)
    with pytest.raises(TrackingError) as info, transaction(af5) as session:
        undo_import(session, result.write_id, actor="fachstelle")
    assert info.value.messages == [f"Import {result.write_id} wurde bereits rückgängig gemacht (Vorgang {undo_id})."]
    assert db_counts(af5) == before
    history = import_history_of(af5)
    assert history[0]["id"] == result.write_id and history[0]["undone_by"] == undo_id


def import_history_of(engine):
    with transaction(engine) as session:
        return import_history(session)


def test_undo_of_an_import_superseded_by_a_later_one_is_refused(af5, template):
    first = xf.fill_template(
        template,
        {"M-5.1.01": {"progress": 33}, "M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 41}},
    )
    second = xf.fill_template(template, {"M-5.1.01": {"progress": 34}})
    _, one = import_file(af5, first, "erste.xlsx")
    after_first = current_reports(af5)
    _, two = import_file(af5, second, "zweite.xlsx")
    before = db_counts(af5)
    with pytest.raises(TrackingError) as info, transaction(af5) as session:
        undo_import(session, one.write_id, actor="fachstelle")
    [message] = info.value.messages
    assert message.startswith(
        f"Import {one.write_id} kann nicht rückgängig gemacht werden: Meldung M-5.1.01/2026-H2 wurde seither durch "
        f"Vorgang {two.write_id} (Excel «zweite.xlsx», koordination, "
    )
    assert message.endswith(") ersetzt. Zuerst die neueren Importe rückgängig machen.")
    assert db_counts(af5) == before
    # Newest first, then the older one works.
    with transaction(af5) as session:
        undo_import(session, two.write_id, actor="fachstelle")
    assert current_reports(af5) == after_first
    with transaction(af5) as session:
        undo_import(session, one.write_id, actor="fachstelle")
    assert current_reports(af5)["M-5.1.01"][2] == 30
    assert "M-5.2.01" not in current_reports(af5)
    assert [h["id"] for h in import_history_of(af5)] == [two.write_id, one.write_id]


def test_unknown_import_cannot_be_undone(af5):
    with pytest.raises(TrackingError) as info, transaction(af5) as session:
        undo_import(session, 9999, actor="fachstelle")
    assert info.value.messages == ["Import 9999 gibt es nicht."]


def test_undo_in_closed_period_is_refused(af5, template):
    _, result = import_file(af5, preview_file(af5, template))
    with transaction(af5) as session:
        set_period_open(session, name=PERIOD, is_open=False, actor="fachstelle")
    with pytest.raises(TrackingError) as info, transaction(af5) as session:
        undo_import(session, result.write_id, actor="fachstelle")
    assert info.value.messages == [
        f"Import {result.write_id} betrifft die geschlossene Periode 2026-H2 und kann nicht rückgängig gemacht werden."
    ]


def test_apply_is_one_transaction(af5, template, monkeypatch):
    data = xf.fill_template(
        template,
        {
            "M-5.1.01": {"progress": 31},
            "M-5.1.02": {"progress": 21},
            "M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 41},
            "M-5.2.02": {"status": "geplant", "light": "grün", "progress": 0},
        },
    )
    data = xf.fill_indicators(data, {indicator_id(af5): 7})
    reports_before, values_before, counts_before = current_reports(af5), current_values(af5), db_counts(af5)
    # Fail while the key figure is written: the new reports and their audit
    # rows are already in the database (in the open transaction) by then.
    from tracking import audit

    written_before_failure = []

    def failing(self, table, key, *args, **kwargs):
        written_before_failure.append(
            self.session.scalar(select(func.count()).select_from(RowChange).where(RowChange.write_id == self.record.id))
        )
        raise RuntimeError("Verbindung unterbrochen")

    monkeypatch.setattr(audit.WriteLog, "change", failing)
    with pytest.raises(RuntimeError), transaction(af5) as session:
        p = plan_import(session, data, "af5.xlsx")
        apply_import(session, p, actor="koordination")
    assert written_before_failure == [4]  # four reports were logged when it failed
    assert current_reports(af5) == reports_before
    assert current_values(af5) == values_before
    assert db_counts(af5) == counts_before


def test_apply_refuses_when_period_was_closed_after_preview(af5, template):
    p = plan(af5, preview_file(af5, template))
    with transaction(af5) as session:
        set_period_open(session, name=PERIOD, is_open=False, actor="fachstelle")
    before = db_counts(af5)
    with pytest.raises(ImportRefused) as info, transaction(af5) as session:
        apply_import(session, p, actor="koordination")
    assert info.value.messages == ["Die Berichtsperiode 2026-H2 wurde inzwischen geschlossen; nichts gespeichert."]
    assert db_counts(af5) == before


def test_as_of_becomes_reported_at(af5, template, monkeypatch):
    freeze_today(monkeypatch, dt.date(2027, 1, 10))
    data = xf.fill_template(template, {"M-5.1.02": {"progress": 26, "as_of": "31.12.2026"}})
    import_file(af5, data)
    with transaction(af5) as session:
        reported_at = session.scalar(
            select(StatusReport.reported_at)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .where(Measure.code == "M-5.1.02", StatusReport.is_current.is_(True))
        )
    assert reported_at == dt.datetime(2026, 12, 31, 12, 0)


# --- round trip with the demo data -----------------------------------------------------


def expected_field_progress(session, field_code: str, period_name: str, reported: dict[str, int]) -> float:
    """The roll-up rules (README «Hochrechnungsregeln») done by hand: goal = weighted mean of
    measures, field = weighted mean of goals.

    `reported`: the progress each measure of the file was given (all in Umsetzung).
    A measure not in the file ended in an earlier period and keeps its final
    report: abgeschlossen counts with its progress, abgebrochen does not count.
    """
    period = session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == period_name))
    goals = session.execute(
        select(Goal.id, Goal.weight)
        .join(ActionField, ActionField.id == Goal.field_id)
        .where(ActionField.code == field_code, Goal.active.is_(True))
    ).all()
    goal_progress = []
    for goal_id, goal_weight in goals:
        weighted_sum = weight_sum = 0.0
        measures = session.scalars(select(Measure).where(Measure.goal_id == goal_id, Measure.active.is_(True)))
        for measure in measures:
            if measure.start_date is not None and measure.start_date > period.end_date:
                continue
            if measure.code in reported:
                progress = reported[measure.code]
            else:
                last = session.execute(
                    select(StatusReport.status, StatusReport.progress)
                    .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
                    .where(
                        StatusReport.measure_id == measure.id,
                        StatusReport.is_current.is_(True),
                        ReportingPeriod.start_date < period.start_date,
                    )
                    .order_by(ReportingPeriod.start_date.desc())
                    .limit(1)
                ).first()
                assert last is not None and last.status in ("abgeschlossen", "abgebrochen"), measure.code
                if last.status == "abgebrochen":
                    continue
                progress = last.progress
            weighted_sum += measure.weight * progress
            weight_sum += measure.weight
        if weight_sum:
            goal_progress.append((goal_weight, weighted_sum / weight_sum))
    return sum(w * p for w, p in goal_progress) / sum(w for w, _ in goal_progress)


def test_round_trip_changes_the_overview_as_computed_by_hand(luzern):
    with transaction(luzern) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)
    data = make_template(luzern, field="AF5")
    codes = list(xf.report_rows(data))
    assert len(codes) >= 5
    chosen = {code: 10 + 7 * i for i, code in enumerate(codes)}
    filled = xf.fill_template(
        data,
        {code: {"status": "in Umsetzung", "light": "grün", "progress": p} for code, p in chosen.items()},
    )
    with transaction(luzern) as session:
        before = rollup(load_snapshot(session), PERIOD).fields.set_index("field_code")["progress"]
    import_file(luzern, filled, "af5.xlsx")
    with transaction(luzern) as session:
        expected = expected_field_progress(session, "AF5", PERIOD, chosen)
        after = rollup(load_snapshot(session), PERIOD).fields.set_index("field_code")["progress"]
        measures = rollup(load_snapshot(session), PERIOD).measures.set_index("code")
    assert after["AF5"] == pytest.approx(expected, abs=1e-9)
    assert after["AF5"] != pytest.approx(before["AF5"])
    # only AF5 moved
    assert after.drop("AF5").equals(before.drop("AF5"))
    for code, progress in chosen.items():
        assert (measures.loc[code, "status"], measures.loc[code, "light"], measures.loc[code, "progress"]) == (
            "in_umsetzung",
            "gruen",
            progress,
        )


# --- the command line ------------------------------------------------------------------


@pytest.fixture
def cli_db(af5, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", af5.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TRACKING_USER", "cli-test")
    return af5


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_template_import_imports_undo(cli_db, capsys, tmp_path, monkeypatch):
    freeze_today(monkeypatch, AFTER_PERIOD)
    path = tmp_path / "vorlage.xlsx"
    code, out, err = run(capsys, "template", "--period", PERIOD, "--field", "AF5", "-o", path)
    assert (code, err) == (0, "")
    assert out == f"Vorlage für 2026-H2 (Aktionsfeld AF5) gespeichert: {path}\n"
    assert list(xf.report_rows(path.read_bytes())) == ["M-5.1.01", "M-5.1.02", "M-5.2.01", "M-5.2.02"]

    filled = tmp_path / "ausgefüllt.xlsx"
    filled.write_bytes(
        xf.fill_template(
            path.read_bytes(),
            {"M-5.1.02": {"progress": 25}, "M-5.2.01": {"status": "in Umsetzung", "light": "grün", "progress": 45}},
        )
    )
    before = db_counts(cli_db)
    code, out, err = run(capsys, "import", "--dry-run", filled)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "Datei «ausgefüllt.xlsx»: Berichtsperiode 2026-H2, Aktionsfeld AF5.",
        "1 neu, 1 geändert, 1 unverändert, 1 Zeile ohne Angaben (keine Meldung).",
        "  geändert: Statusbericht M-5.1.02: Fortschritt 20 → 25",
        "  neu: Statusbericht M-5.2.01",
        *PREVIEW_HINTS,
        "Probelauf: nichts gespeichert.",
    ]
    assert db_counts(cli_db) == before

    code, out, err = run(capsys, "import", filled)
    assert (code, err) == (0, "")
    with transaction(cli_db) as session:
        import_id = session.scalar(select(func.max(WriteRecord.id)).where(WriteRecord.action == "import"))
    assert out.splitlines()[-1] == (
        f"Gespeichert als Import {import_id}: 2 Meldungen, 0 Kennzahlwerte. "
        f"Rückgängig: python -m tracking undo {import_id}"
    )
    assert current_reports(cli_db)["M-5.2.01"][2] == 45

    code, out, err = run(capsys, "import", filled)
    assert out.splitlines()[-1] == "Keine Änderungen: nichts gespeichert."

    code, out, err = run(capsys, "imports")
    assert code == 0
    (line,) = out.splitlines()
    assert re.match(rf"^\s*{import_id}  \d\d\.\d\d\.\d{{4}} \d\d:\d\d", line), line
    assert line.endswith(
        "cli-test  Excel «ausgefüllt.xlsx»  Periode 2026-H2, Aktionsfeld AF5: 2 Meldungen, 0 Kennzahlwerte gespeichert."
    )

    code, out, err = run(capsys, "undo", import_id)
    assert (code, err) == (0, "")
    assert out == f"Import {import_id} rückgängig gemacht: 2 Zeilen auf den früheren Stand gesetzt.\n"
    assert "M-5.2.01" not in current_reports(cli_db)
    code, out, _ = run(capsys, "imports")
    with transaction(cli_db) as session:
        undo_id = session.scalar(select(WriteRecord.undone_by_id).where(WriteRecord.id == import_id))
    assert out.rstrip().endswith(f"[rückgängig gemacht durch {undo_id}]")

    code, out, err = run(capsys, "undo", import_id)
    assert (code, out) == (1, "")
    assert err == f"Fehler: Import {import_id} wurde bereits rückgängig gemacht (Vorgang {undo_id}).\n"


def test_cli_imports_when_there_are_none(cli_db, capsys):
    assert run(capsys, "imports") == (0, "Noch keine Importe.\n", "")


def test_cli_bad_file_exits_1_with_german_message(cli_db, capsys, tmp_path):
    path = tmp_path / "bericht.csv"
    path.write_bytes(xf.csv_file())
    before = db_counts(cli_db)
    code, out, err = run(capsys, "import", path)
    assert (code, out) == (1, "")
    assert err == (
        "Fehler: «bericht.csv» ist eine Textdatei (z. B. CSV), keine Excel-Arbeitsmappe. "
        "Bitte die Vorlage aus dem Tool verwenden und als .xlsx speichern.\n"
    )
    assert db_counts(cli_db) == before


def test_cli_bad_cells_exit_1_with_every_problem(cli_db, capsys, tmp_path):
    path = tmp_path / "fehler.xlsx"
    path.write_bytes(xf.fill_template(make_template(cli_db), {2: {"progress": 120}, 3: {"status": "fertig"}}))
    before = db_counts(cli_db)
    code, out, err = run(capsys, "import", path)
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "Fehler: Blatt «Statusbericht», Zeile 2, Spalte I (Fortschritt %): 120 liegt ausserhalb von 0 bis 100. "
        "Erlaubt: ganze Zahl von 0 bis 100.",
        "Fehler: Blatt «Statusbericht», Zeile 3, Spalte G (Status): «fertig» ist kein gültiger Status. "
        + ALLOWED_STATUS,
    ]
    assert db_counts(cli_db) == before


def test_cli_import_of_missing_file_and_wrong_period(cli_db, capsys, tmp_path):
    code, _, err = run(capsys, "import", tmp_path / "fehlt.xlsx")
    assert (code, err) == (
        1,
        f"Fehler: Datei «{tmp_path / 'fehlt.xlsx'}» nicht gefunden. Bitte Ordner und Dateinamen prüfen.\n",
    )
    path = tmp_path / "vorlage.xlsx"
    path.write_bytes(make_template(cli_db))
    code, _, err = run(capsys, "import", "--period", "2026-H1", path)
    assert code == 1
    assert err == (
        "Fehler: Die Datei ist eine Vorlage für die Berichtsperiode 2026-H2, gewählt ist 2026-H1. "
        "Bitte die Vorlage für 2026-H1 verwenden oder die Periode wechseln.\n"
    )


# --- status entry in the browser table (plan_entries) ------------------------------


def entry(code: str, **values) -> dict:
    return {"code": code, "status": None, "light": None, "progress": None, "comment": None} | values


def test_browser_entries_are_checked_compared_and_saved_like_a_file(af5):
    from tracking.excel_import import plan_entries

    entries = [
        entry("M-5.1.01", status="in Umsetzung", light="grün", progress=30),  # as stored: unchanged
        entry("M-5.1.02", status="in Umsetzung", light="gelb", progress=25, comment="Lieferverzug"),
        entry("M-5.2.01"),  # nothing typed: no report
        entry("M-5.2.02", status="geplant", light="grün", progress=0),
    ]
    with transaction(af5) as session:
        p = plan_entries(session, entries, period=PERIOD, scope=Scope("field", "AF5"), actor=KORA)
    assert (p.count("neu"), p.count("geändert"), p.count("unverändert"), p.empty_rows) == (1, 1, 1, 1)
    with transaction(af5) as session:
        result = apply_import(session, p, actor=KORA)
        record = session.get(WriteRecord, result.write_id)
        assert (record.actor, record.source) == ("Kora", "Browser-Tabelle")
    # The strategy asks for sign-off: the two rows wait for the department's release.
    assert (result.reports_written, result.reports_submitted) == (0, 2)


def test_browser_entries_name_the_row_and_column_of_each_problem(af5):
    from tracking.excel_import import plan_entries

    entries = [
        entry("M-5.1.01", status="fertig", light="grün", progress=30),
        entry("M-5.1.02", status="in Umsetzung", light="rot", progress=120),
        entry("M-1.1.01", status="geplant", light="grün", progress=0),
    ]
    before = db_counts(af5)
    with pytest.raises(ImportRefused) as refused, transaction(af5) as session:
        plan_entries(session, entries, period=PERIOD, scope=Scope("field", "AF5"), actor=KORA)
    assert [(p.row, p.column, p.message.split(".")[0]) for p in refused.value.problems] == [
        (2, "G", "«fertig» ist kein gültiger Status"),
        (3, "I", "120 liegt ausserhalb von 0 bis 100"),
        (3, "K", "Ampel rot braucht eine Begründung"),
        (4, "A", "Massnahme M-1"),
    ]
    assert db_counts(af5) == before


def test_browser_entries_for_a_closed_period_are_refused(af5):
    from tracking.excel_import import plan_entries

    with transaction(af5) as session:
        set_period_open(session, name=PERIOD, is_open=False, actor="fachstelle")
    with pytest.raises(ImportRefused) as refused, transaction(af5) as session:
        plan_entries(session, [entry("M-5.1.01")], period=PERIOD, scope=Scope(), actor=KORA)
    assert refused.value.messages == ["Die Berichtsperiode 2026-H2 ist geschlossen: Meldungen sind nicht mehr möglich."]


def test_template_keeps_formula_like_titles_as_text(af5):
    from openpyxl import load_workbook

    title = '=HYPERLINK("http://x","y")'
    with transaction(af5) as session:
        session.scalar(select(Measure).where(Measure.code == "M-5.1.01")).title = title
    workbook = load_workbook(io.BytesIO(make_template(af5)))
    sheet = workbook["Statusbericht"]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == "M-5.1.01")
    cell = sheet[f"B{row}"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == (title, "s", True)
