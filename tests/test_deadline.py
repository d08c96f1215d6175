"""The Meldeschluss: set from the command line and the Verwaltung page, read in the words the
pages, the e-mail and the CLI share."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pages.text import md_text
from tests.factories import definition_dict, load_definition
from tests.test_pages import ACCOUNT_ADMIN, add_admin_account, signed_in_app
from tracking import cli
from tracking.db import transaction
from tracking.models import ReportingPeriod, WriteRecord
from tracking.periods import deadline_text, due_within


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(2027, 1, 3), "Meldeschluss in 12 Tagen (15.01.2027)"),
        (dt.date(2027, 1, 14), "Meldeschluss morgen (15.01.2027)"),
        (dt.date(2027, 1, 15), "Meldeschluss heute (15.01.2027)"),
        (dt.date(2027, 1, 16), "Meldeschluss 15.01.2027: seit 1 Tag überfällig"),
        (dt.date(2027, 1, 18), "Meldeschluss 15.01.2027: seit 3 Tagen überfällig"),
    ],
)
def test_the_deadline_in_words(today, expected):
    assert deadline_text(dt.date(2027, 1, 15), today) == expected


def test_reminders_start_within_the_days_given():
    deadline = dt.date(2027, 1, 15)
    assert not due_within(deadline, 14, dt.date(2026, 12, 31))  # 15 days before
    assert due_within(deadline, 14, dt.date(2027, 1, 1))  # 14 days before
    assert due_within(deadline, 14, dt.date(2027, 2, 1))  # past
    assert not due_within(None, 14, dt.date(2027, 1, 1))


@pytest.fixture
def periods(engine, monkeypatch):
    with transaction(engine) as session:
        load_definition(session, definition_dict())  # 2024-H1 (closed), 2024-H2 (open)
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


def deadline_of(engine, name: str) -> dt.date | None:
    with transaction(engine) as session:
        return session.scalar(select(ReportingPeriod.deadline).where(ReportingPeriod.name == name))


def test_set_listed_and_removed_from_the_command_line(periods, capsys):
    assert cli.main(["--user", "fachstelle", "periods", "deadline", "2024-H2", "15.01.2025"]) == 0
    assert capsys.readouterr().out == "Meldeschluss 2024-H2: 15.01.2025.\n"
    assert deadline_of(periods, "2024-H2") == dt.date(2025, 1, 15)
    assert cli.main(["periods"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[1].startswith("2024-H2  01.07.2024 – 31.12.2024  offen  ") and "Meldeschluss 15.01.2025" in listed[1]
    assert cli.main(["periods", "deadline", "2024-H2", "15.01.2025"]) == 0
    assert capsys.readouterr().out == "Meldeschluss 2024-H2: 15.01.2025. (unverändert)\n"
    assert cli.main(["--user", "fachstelle", "periods", "deadline", "2024-H2", "keiner"]) == 0
    assert capsys.readouterr().out == "Meldeschluss 2024-H2 entfernt.\n"
    assert deadline_of(periods, "2024-H2") is None
    with transaction(periods) as session:
        actions = list(session.scalars(select(WriteRecord.actor).where(WriteRecord.action == "deadline")))
    assert actions == ["fachstelle", "fachstelle"]  # set, removed; the unchanged one wrote nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2024-H2", "31.02.2025"], "Fehler: Datum «31.02.2025» ungültig: erwartet 31.12.2026 oder 2026-12-31."),
        (
            ["2024-H2", "30.06.2024"],
            "Fehler: Meldeschluss 30.06.2024 liegt vor dem Beginn der Periode 2024-H2 (01.07.2024). "
            "Nichts wurde gespeichert.",
        ),
        (
            ["2024-H2"],
            "Fehler: Bitte den Meldeschluss angeben, z. B.: python -m tracking periods deadline 2024-H2 15.01.2027",
        ),
        (["2030-H1", "15.01.2031"], "Fehler: Berichtsperiode «2030-H1» gibt es nicht (vorhanden: 2024-H1, 2024-H2)."),
    ],
)
def test_a_wrong_deadline_is_refused_in_german_and_nothing_changes(periods, capsys, args, message):
    assert cli.main(["periods", "deadline", *args]) == 1
    assert capsys.readouterr().err.strip() == message
    assert deadline_of(periods, "2024-H2") is None


def test_set_in_verwaltung(periods, monkeypatch):
    url = periods.url.render_as_string(hide_password=False)
    add_admin_account(url)
    at = signed_in_app(url, monkeypatch, ACCOUNT_ADMIN)
    at.run()
    at.switch_page("pages/administration.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.selectbox(key="meldeschluss_periode").set_value("2024-H2")
    at.date_input(key="meldeschluss_datum").set_value(dt.date(2025, 1, 15))
    next(b for b in at.button if b.label == "Meldeschluss speichern").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert deadline_of(periods, "2024-H2") == dt.date(2025, 1, 15)
    assert [s.value for s in at.success] == [md_text("Meldeschluss 2024-H2: 15.01.2025.")]
    # Saving without a day says so; nothing changes.
    at.date_input(key="meldeschluss_datum").set_value(None)
    next(b for b in at.button if b.label == "Meldeschluss speichern").click().run()
    assert [e.value for e in at.error] == ["Bitte ein Datum für den Meldeschluss wählen."]
    assert deadline_of(periods, "2024-H2") == dt.date(2025, 1, 15)
