"""The reporting cycle in headless Chromium, as the people do it: the coordinator gets the
reminder (from an SMTP server started here), follows its link, signs in and uploads; the head
of the department releases one report and returns the other with a comment; the coordinator
sees the returned one; the council's figures count only the released one."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import excel_files as xf
from tests.browser import (
    data_grid_cell,
    data_grid_row,
    no_page_not_found,
    sign_in_with_password,
    streamlit_server,
    wait_idle,
)
from tests.conftest import REFERENCE_DATE, temp_database_url
from tests.smtp_server import mail_server
from tracking import cli
from tracking.bootstrap import init_database
from tracking.council import live_council_content
from tracking.db import make_engine, transaction
from tracking.excel_template import build_template
from tracking.models import Measure, Submission
from tracking.periods import get_period
from tracking.report_sheet import REPORT_COLUMNS
from tracking.reports import current_report, owing_reports
from tracking.scope import Scope
from tracking.users import UserSpec, create_user

# The store behind the journey (sign-off, reminders, deadline) runs on both databases in its library
# tests; the PostgreSQL pass leaves this journey out, to keep CI within its time.
pytestmark = [pytest.mark.browser, pytest.mark.first_pass_only]

PERIOD = "2026-H2"
FIELD = "AF7"  # in the demo data two of its measures of one department owe a report
PASSWORD = "meldung-2026-h2"
COMMENT = "Bitte die Verzögerung mit Wochen beziffern."


def setting_up(url: str) -> tuple[str, str]:
    """Demo data, the coordinator «kora» (FIELD, with e-mail) and the head of the department that
    leads two of the field's measures still owing a report; returns those two measures."""
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        period = get_period(session, PERIOD)
        owing = owing_reports(session, period)
        waiting = set(session.scalars(select(Submission.measure_id).where(Submission.state == "eingereicht")))
        owed = owing[(owing["field_code"] == FIELD) & ~owing["has_report"] & ~owing["measure_id"].isin(waiting)]
        department, rows = next((d, g) for d, g in owed.groupby("department_code") if len(g) >= 2)
        first, second = sorted(rows["code"])[:2]
        create_user(
            session,
            UserSpec("kora", "Kora Koordination", "koordination", [FIELD], [], email="kora@lu.ch"),
            password=PASSWORD,
            actor="test",
        )
        create_user(
            session,
            UserSpec("leitung", "Lena Leitung", "departementsleitung", [], [], department),
            password=PASSWORD,
            actor="test",
        )
    engine.dispose()
    return first, second


def sign_in(page, username: str) -> None:
    sign_in_with_password(page, username, PASSWORD)


def sign_out(page) -> None:
    page.get_by_role("button", name="Abmelden").click()
    wait_idle(page)
    page.get_by_role("heading", name="Anmelden").wait_for()


def choose(page, label: str, option: str) -> None:
    # The run before may still be drawing: a choice in a list it is about to replace is lost.
    wait_idle(page)
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=re.compile(f"^{re.escape(option)}")).click()
    page.keyboard.press("Escape")  # the list closes, the choice counts
    wait_idle(page)


def test_from_the_reminder_to_the_released_report(tmp_path, page, monkeypatch):
    url = temp_database_url(tmp_path / "cycle.sqlite")
    first, second = setting_up(url)
    with transaction(make_engine(url)) as session:
        before = live_council_content(session, PERIOD).headline["reported"]
        template = build_template(session, period=PERIOD, scope=Scope("field", FIELD), generated_by="test")
    filled = tmp_path / f"Statusbericht_{FIELD}.xlsx"
    filled.write_bytes(
        xf.fill_template(
            xf.fill_all(template, dict.fromkeys(c.key for c in REPORT_COLUMNS if not c.locked)),  # all emptied
            {
                first: {"status": "in Umsetzung", "light": "grün", "progress": 45},
                second: {"status": "in Umsetzung", "light": "gelb", "progress": 30, "comment": "Lieferant im Verzug"},
            },
        )
    )

    with mail_server(tmp_path) as smtp, streamlit_server(url, tmp_path / "streamlit.log") as base:
        # 1. The reminder arrives, with the link to the Statusbericht of the field.
        for name, value in {
            "DATABASE_URL": url,
            "TRACKING_SMTP_URL": smtp.url,
            "TRACKING_MAIL_FROM": "monitoring@lu.ch",
            "TRACKING_PUBLIC_URL": base,
            "SSL_CERT_FILE": str(smtp.cert_file),
        }.items():
            monkeypatch.setenv(name, value)
        assert cli.main(["remind", "--period", PERIOD]) == 0
        (message,) = smtp.to("kora@lu.ch")
        body = message.get_content().replace("\r\n", "\n")
        assert f"- {first} " in body and f"- {second} " in body
        link = next(line for line in body.splitlines() if line.startswith(base))
        assert urlsplit(link).path == "/statusbericht"

        # 2. The coordinator follows it, signs in and lands on the Statusbericht of the field.
        page.goto(link)
        wait_idle(page)
        no_page_not_found(page)
        sign_in(page, "kora")
        expect(page.get_by_role("heading", name="Statusbericht", exact=True)).to_be_visible()
        expect(page.get_by_text("Meldeschluss in ", exact=False).first).to_be_visible()
        expect(page.get_by_role("combobox", name="Aktionsfeld")).to_have_value(re.compile(f"^{FIELD}"))
        page.locator('[data-testid="stFileUploaderDropzone"] input[type=file]').set_input_files(str(filled))
        wait_idle(page)
        page.get_by_role("button", name="Änderungen speichern (2)").click()
        wait_idle(page)
        expect(page.get_by_text("2 Meldungen warten auf die Freigabe durch die Departementsleitung")).to_be_visible()
        sign_out(page)

        # 3. The head of the department opens the dashboard, releases the first report and returns
        # the second with a comment.
        page.goto(f"{base}/")
        wait_idle(page)
        sign_in(page, "leitung")
        expect(page.get_by_role("heading", name="Meine Aufgaben")).to_be_visible()
        choose(page, "Meldungen auswählen", first)
        page.get_by_role("button", name="Auswahl freigeben (1)").click()
        wait_idle(page)
        expect(page.get_by_text("1 Meldung freigegeben.")).to_be_visible()
        choose(page, "Meldungen auswählen", second)
        back = page.get_by_role("button", name="Auswahl zurückweisen (1)")
        back.wait_for()  # the run after the choice has drawn the page: the comment box stays
        comment = page.get_by_role("textbox", name="Kommentar für die Koordination (zum Zurückweisen nötig)")
        comment.fill(COMMENT)
        comment.press("Control+Enter")  # as a person leaving the box: the text counts
        wait_idle(page)
        expect(comment).to_have_value(COMMENT)
        back.click()
        wait_idle(page)
        expect(page.get_by_text("1 Meldung zurückgewiesen.")).to_be_visible()
        sign_out(page)

        # 4. The coordinator sees the returned report with the comment, on the start page.
        page.goto(f"{base}/")
        wait_idle(page)
        sign_in(page, "kora")
        expect(page.get_by_role("heading", name="Zurückgewiesen: bitte überarbeiten")).to_be_visible()
        returned = page.get_by_test_id("stDataFrame").first  # the first table of the page
        row = data_grid_row(returned, second)
        expect(data_grid_cell(returned, 7, row)).to_have_text(COMMENT)  # «Kommentar der Departementsleitung»

    # 5. The council's figures count only the released report.
    with transaction(make_engine(url)) as session:
        period = get_period(session, PERIOD)
        ids = dict(session.execute(select(Measure.code, Measure.id).where(Measure.code.in_([first, second]))).all())
        assert current_report(session, ids[first], period.id).progress == 45
        assert current_report(session, ids[second], period.id) is None
        mine = select(Submission.measure_id, Submission.state).where(Submission.submitted_by == "kora")
        states = dict(session.execute(mine).all())
        assert states == {ids[first]: "freigegeben", ids[second]: "zurueckgewiesen"}
        assert live_council_content(session, PERIOD).headline["reported"] == before + 1
