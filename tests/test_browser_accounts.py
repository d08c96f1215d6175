"""A signed-in account in a real tab (headless Chromium) while the account changes on the server."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import excel_files as xf
from tests.browser import ROOT, no_page_not_found, sign_in_with_password, streamlit_server, wait_idle
from tests.conftest import REFERENCE_DATE, temp_database_url
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.excel_template import build_template
from tracking.models import StatusReport, WebSession, WriteRecord
from tracking.scope import Scope
from tracking.users import UserSpec, create_user

pytestmark = pytest.mark.browser

PASSWORD = "koordination-2026"


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory, browser):
    """A dashboard of its own (its accounts change), on demo data with the AF9 coordinator «koord9»
    and the council member «rita»."""
    tmp = tmp_path_factory.mktemp("browser-accounts")
    url = temp_database_url(tmp / "demo.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        create_user(
            session,
            UserSpec("koord9", "Karin Koordination", "koordination", ["AF9"], []),
            password=PASSWORD,
            actor="test",
        )
        create_user(session, UserSpec("rita", "Rita Rat", "regierungsrat", [], []), password=PASSWORD, actor="test")
    engine.dispose()
    with streamlit_server(url, tmp / "streamlit.log") as base:
        yield base, url


def disable_on_the_server(url: str, username: str) -> None:
    """The Fachstelle disables the account with the command line, as on the server."""
    result = subprocess.run(
        [sys.executable, "-m", "tracking", "users", "disable", username],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "TRACKING_USER": "fachstelle"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def imports_and_reports(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    with transaction(engine) as session:
        counted = (
            session.scalar(select(func.count()).select_from(WriteRecord).where(WriteRecord.action == "import")),
            session.scalar(select(func.count()).select_from(StatusReport)),
        )
    engine.dispose()
    return counted


def test_a_disabled_account_is_signed_out_at_the_next_click_and_its_upload_not_saved(accounts_server, page, tmp_path):
    base, url = accounts_server
    engine = make_engine(url)
    with transaction(engine) as session:
        template = build_template(session, period="2026-H2", scope=Scope("field", "AF9"), generated_by="test")
    engine.dispose()
    filled = tmp_path / "af9.xlsx"
    filled.write_bytes(
        xf.fill_template(
            template,
            {code: {"status": "abgeschlossen", "light": "grün", "progress": 100} for code in xf.report_rows(template)},
        )
    )

    # Signed in with the account's password, on the status report page.
    page.goto(f"{base}/statusbericht")
    wait_idle(page)
    no_page_not_found(page)
    page.get_by_role("textbox", name="Benutzername").fill("koord9")
    page.get_by_role("textbox", name="Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="Statusbericht").wait_for()
    page.locator('[data-testid="stFileUploaderDropzone"] input[type=file]').set_input_files(str(filled))
    wait_idle(page)
    save = page.get_by_role("button", name="Änderungen speichern", exact=False)
    save.wait_for()
    before = imports_and_reports(url)

    # The Fachstelle disables the account on the server while the tab stays open.
    disable_on_the_server(url, "koord9")

    save.click()
    wait_idle(page)
    page.get_by_role("heading", name="Anmelden").wait_for()
    assert page.get_by_text(
        "Das Benutzerkonto «koord9» ist nicht mehr aktiv. Sie wurden abgemeldet.", exact=True
    ).is_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)  # stale elements leave as the run ends
    assert imports_and_reports(url) == before


def sign_in_at(page, base: str, path: str, username: str) -> None:
    page.goto(f"{base}/{path}")
    wait_idle(page)
    no_page_not_found(page)
    sign_in_with_password(page, username, PASSWORD)


def sign_in_cookie(page) -> dict:
    cookies = [c for c in page.context.cookies() if c["name"] == "tracking_sitzung"]
    assert len(cookies) == 1
    return cookies[0]


def test_a_reload_and_a_new_tab_stay_signed_in_until_sign_out(accounts_server, page):
    base, _ = accounts_server
    sign_in_at(page, base, "?periode=2026-H1", "rita")
    expect(page).to_have_url(f"{base}/?periode=2026-H1")
    cookie = sign_in_cookie(page)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert "tracking_sitzung" not in page.evaluate("document.cookie")  # no script can read it

    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Sitzungsbericht", exact=True)).to_be_visible()  # the council's start page
    expect(page.get_by_text("Rita Rat")).to_be_visible()
    expect(page.get_by_role("combobox", name="Berichtsperiode")).to_have_value("2026-H1")

    other = page.context.new_page()
    other.goto(f"{base}/verwaltung")
    wait_idle(other)
    no_page_not_found(other)
    expect(other.get_by_role("button", name="Abmelden")).to_be_visible()
    expect(other.get_by_role("heading", name="Anmelden")).to_have_count(0)
    # A page not for the council: said in German, with the way back.
    expect(
        other.get_by_text("Die Seite «Verwaltung» ist für Ihre Rolle (Regierungsrat) nicht freigegeben.")
    ).to_be_visible()
    expect(other.get_by_role("link", name="Zur Übersicht")).to_be_visible()

    # «Abmelden» in the first tab: the browser forgets the cookie, the server ends its session.
    page.get_by_role("button", name="Abmelden").click()
    page.get_by_role("heading", name="Anmelden").wait_for()
    wait_idle(page)
    expect(page.get_by_text("abgelaufen", exact=False)).to_have_count(0)
    assert not [c for c in page.context.cookies() if c["name"] == "tracking_sitzung"]
    # The second tab's next click finds the session ended.
    other.get_by_role("link", name="Zur Übersicht").click()
    other.get_by_role("heading", name="Anmelden").wait_for()
    # And the old cookie, brought back by hand, opens nothing.
    page.context.add_cookies([{k: cookie[k] for k in ("name", "value", "domain", "path")}])
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)


def test_the_cookie_ends_with_inactivity_and_with_a_disabled_account(accounts_server, page):
    base, url = accounts_server
    sign_in_at(page, base, "", "rita")

    # Nobody used the session for two hours (TRACKING_SESSION_MINUTES is 30).
    engine = make_engine(url)
    with transaction(engine) as session:
        for row in session.scalars(select(WebSession)):
            row.last_seen_at -= dt.timedelta(hours=2)
    engine.dispose()
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_text("Ihre Sitzung ist nach 30 Minuten ohne Aktivität abgelaufen.", exact=False)).to_be_visible()

    sign_in_at(page, base, "", "rita")
    disable_on_the_server(url, "rita")
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_text("Das Benutzerkonto «rita» ist nicht mehr aktiv. Sie wurden abgemeldet.")).to_be_visible()
