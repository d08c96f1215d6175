"""The command line: every command works, explains itself and fails in German."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from tests.conftest import temp_database_url
from tests.factories import add_measure, add_report
from tracking import cli
from tracking.cli import build_parser, main
from tracking.db import make_engine, transaction
from tracking.models import Measure, ReportingPeriod, StatusReport, WriteRecord
from tracking.strategy import LUZERN_DEFINITION

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = temp_database_url(tmp_path / "cli.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKING_USER", "cli-test")
    return url


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_with_demo_then_again_leaves_database_as_it_is(db, capsys):
    code, out, _ = run(capsys, "init", "--demo", "--today", "15.11.2026")
    assert code == 0
    assert "Strategie «Digitaler Wandel» geladen" in out
    assert "Demodaten erzeugt:" in out
    engine = make_engine(db)
    with transaction(engine) as session:
        measures = session.scalar(select(func.count()).select_from(Measure))
        writes = session.scalar(select(func.count()).select_from(WriteRecord))
        assert session.scalar(select(WriteRecord.actor).where(WriteRecord.action == "load-strategy")) == "cli-test"

    code, out, _ = run(capsys, "init", "--demo", "--today", "15.11.2026")
    assert code == 0
    assert "Strategie bereits geladen: unverändert gelassen." in out
    assert "Demodaten bereits vorhanden: unverändert gelassen." in out
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Measure)) == measures
        assert session.scalar(select(func.count()).select_from(WriteRecord)) == writes


def test_summary_prints_headline_and_matrix(db, capsys):
    run(capsys, "init", "--today", "15.11.2026")
    code, out, _ = run(capsys, "summary", "--period", "2026-H2")
    assert code == 0
    assert out.startswith("Berichtsperiode 2026-H2")
    # No measures yet: nothing reported, no data in the matrix, never 0 %.
    assert "Massnahmen:              0" in out
    assert "Rücklauf:                – (0 von 0)" in out
    header = next(line for line in out.splitlines() if line.startswith("Feld"))
    assert header.split() == ["Feld", "Fortschritt", "K1", "K2", "K3", "K4"]
    af5 = next(line for line in out.splitlines() if line.startswith("AF5"))
    assert "keine Daten" in af5 and "0 %" not in af5


def test_summary_with_demo_data_shows_numbers(db, capsys):
    run(capsys, "init", "--demo", "--today", "15.11.2026")
    code, out, _ = run(capsys, "summary", "--period", "2026-H1")
    assert code == 0
    rows = [line for line in out.splitlines() if re.match(r"AF\d ", line)]
    assert len(rows) == 9
    assert all(re.search(r"\d+ %", row) for row in rows)


def test_summary_figures_by_hand_without_reading_reports(db, capsys, monkeypatch):
    """Two measures of goal 1.2 (field AF1, core goal K2 only), planned 01.01.2026-31.12.2027,
    reported in 2026-H2 and read on 15.11.2026: day 318 of 729, so 43.6 % expected.
    A: weight 1, 20 %, red, 20 + 15 < 43.6: behind plan. B: weight 3, 60 %, green.
    Goal 1.2 = (1·20 + 3·60) / 4 = 50 %, and so AF1, K2 and the overall progress; AF1's
    strongest contribution to K2 (goals 1.1 to 1.3) is stark."""
    run(capsys, "init", "--today", "15.11.2026")
    with transaction(make_engine(db)) as session:
        for code, weight, progress, light in (("M-1.2.01", 1.0, 20, "rot"), ("M-1.2.02", 3.0, 60, "gruen")):
            measure = add_measure(
                session, code, "1.2", start=dt.date(2026, 1, 1), end=dt.date(2027, 12, 31), weight=weight
            )
            add_report(session, measure, "2026-H2", progress, light=light)
    loaded = []
    real = cli.load_snapshot
    monkeypatch.setattr(cli, "load_snapshot", lambda session, **kw: loaded.append(kw) or real(session, **kw))
    code, out, _ = run(capsys, "summary", "--period", "2026-H2", "--today", "15.11.2026")
    assert code == 0
    assert loaded == [{"with_measures": False}]  # the structure only: the figures are summed in SQL
    assert out.splitlines()[:9] == [
        "Berichtsperiode 2026-H2",
        "",
        "Massnahmen:              2 (davon 2 mit Meldepflicht)",
        "Gesamtfortschritt:       50 %",
        "Anteil auf Kurs (grün):  50 %",
        "Ampel:                   grün 1 · gelb 0 · rot 1",
        "Hinter Plan:             1",
        "Überfällig:              0",
        "Rücklauf:                100 % (2 von 2)",
    ]
    table = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line) for line in out.splitlines()[13:])}
    assert table["AF1"][0] == "50 %" and table["AF1"][2] == "stark 50 %"
    assert table["AF2"][0] == "keine Daten"
    assert table["Kernziel"] == ["keine Daten", "50 %", "keine Daten", "keine Daten"]


def test_periods_list_open_close(db, capsys):
    run(capsys, "init", "--today", "15.11.2026")
    code, out, _ = run(capsys, "periods")
    assert code == 0
    assert "2026-H2  01.07.2026 – 31.12.2026  offen" in out
    assert "2023-H1  01.01.2023 – 30.06.2023  geschlossen" in out

    assert run(capsys, "periods", "close", "2026-H2")[1] == "Periode 2026-H2 geschlossen.\n"
    assert run(capsys, "periods", "close", "2026-H2")[1] == "Periode 2026-H2 war bereits geschlossen.\n"
    assert run(capsys, "periods", "open", "2025-H1")[1] == "Periode 2025-H1 geöffnet.\n"
    with transaction(make_engine(db)) as session:
        states = dict(session.execute(select(ReportingPeriod.name, ReportingPeriod.is_open)).all())
    assert states["2026-H2"] is False and states["2025-H1"] is True


def test_load_strategy_dry_run_then_real(db, capsys, tmp_path):
    run(capsys, "init", "--today", "15.11.2026")
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    data["fields"][1]["goals"].pop()  # drop goal 2.3
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    code, out, _ = run(capsys, "load-strategy", str(path), "--dry-run")
    assert code == 0
    assert "ausser Kraft: Ziel 2.3" in out
    # One goal dropped: one change, in the singular.
    assert out.endswith("\n1 Änderung würde geändert (Probelauf, nichts gespeichert).\n")
    code, out, _ = run(capsys, "load-strategy", str(path))
    assert "ausser Kraft: Ziel 2.3" in out and "gespeichert" in out
    code, out, _ = run(capsys, "load-strategy", str(path))
    assert out == "Keine Änderungen: die Datenbank entspricht der Datei bereits.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["summary", "--period", "2030-H1"], "Fehler: Berichtsperiode «2030-H1» gibt es nicht"),
        (["periods", "close", "1999-H1"], "Fehler: Berichtsperiode «1999-H1» gibt es nicht"),
        (["periods", "close"], "Fehler: Bitte die Periode angeben, z. B.: python -m tracking periods close 2026-H2"),
        (["load-strategy", "fehlt.yaml"], "Fehler: Datei «fehlt.yaml» nicht gefunden."),
    ],
)
def test_failures_exit_non_zero_with_german_message(db, capsys, args, message):
    run(capsys, "init", "--today", "15.11.2026")
    code, _, err = run(capsys, *args)
    assert code == 1
    assert err.startswith(message)


def test_malformed_strategy_file_names_the_entry(db, capsys, tmp_path):
    run(capsys, "init", "--today", "15.11.2026")
    path = tmp_path / "kaputt.yaml"
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    data["fields"][4]["goals"][0]["contributes"] = {"K5": "stark"}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, _, err = run(capsys, "load-strategy", str(path))
    assert code == 1
    assert err == (
        "Fehler: kaputt.yaml: Aktionsfeld AF5, Ziel 5.1: Kernziel «K5» ist unbekannt (erlaubt: K1, K2, K3, K4).\n"
    )


def subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return list(action.choices)


@pytest.mark.parametrize("command", subcommands())
def test_every_command_has_help_and_is_in_the_readme(command):
    result = subprocess.run(
        [sys.executable, "-m", "tracking", command, "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0
    assert result.stdout.startswith(f"Aufruf: python -m tracking {command}")
    assert f"python -m tracking {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_bad_argument_exits_with_usage():
    result = subprocess.run(
        [sys.executable, "-m", "tracking", "summary", "--today", "morgen"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 2
    assert "Datum «morgen» ungültig: erwartet 31.12.2026 oder 2026-12-31." in result.stderr


def test_generate_fills_an_empty_database_and_shows_progress(db, capsys):
    code, out, err = run(capsys, "generate", "--measures", "40", "--periods", "3", "--today", "15.11.2026")
    assert code == 0
    with transaction(make_engine(db)) as session:
        measures = session.scalar(select(func.count()).select_from(Measure))
        reports = session.scalar(select(func.count()).select_from(StatusReport))
    assert measures == 40
    assert out.startswith(f"Erzeugt: 40 Massnahmen, {reports} Statusberichte, Perioden 2025-H2 bis 2026-H2 (")
    assert "[100%]" in err
    code, _, err = run(capsys, "generate", "--measures", "5")
    assert (code, err) == (
        1,
        "Fehler: Die Datenbank enthält schon Massnahmen: synthetische Daten nur in eine leere Datenbank.\n",
    )
