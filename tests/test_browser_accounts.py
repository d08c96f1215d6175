"""A signed-in account in a real tab (headless Chromium) while the account changes on the server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from tests import excel_files as xf
from tests.browser import ROOT, dismiss_page_not_found, streamlit_server, wait_idle
from tests.conftest import REFERENCE_DATE, temp_database_url
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.excel_template import build_template
from tracking.models import StatusReport, WriteRecord
from tracking.scope import Scope
from tracking.users import UserSpec, create_user

pytestmark = pytest.mark.browser

PASSWORD = "koordination-2026"


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory, browser):
    """A dashboard of its own (its accounts change), on demo data with the AF9 coordinator «koord9»."""
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
    engine.dispose()
    with streamlit_server(url, tmp / "streamlit.log") as base:
        yield base, url


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
    dismiss_page_not_found(page)
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
    result = subprocess.run(
        [sys.executable, "-m", "tracking", "users", "disable", "koord9"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "TRACKING_USER": "fachstelle"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr

    save.click()
    wait_idle(page)
    page.get_by_role("heading", name="Anmelden").wait_for()
    assert page.get_by_text(
        "Das Benutzerkonto «koord9» ist nicht mehr aktiv. Sie wurden abgemeldet.", exact=True
    ).is_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)  # stale elements leave as the run ends
    assert imports_and_reports(url) == before
