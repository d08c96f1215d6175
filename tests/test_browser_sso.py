"""Single sign-on end to end: Chromium, the dashboard and a real OpenID Connect provider
(oidc-provider-mock) started by the test; the dashboard configured as the README says."""

from __future__ import annotations

import re
import secrets

import pytest
from playwright.sync_api import expect

from tests.browser import free_port, no_page_not_found, streamlit_server, wait_idle
from tests.conftest import temp_database_url
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.users import UserSpec, create_user, update_user

# The account lookup by e-mail is tested on both databases (tests/test_users.py); the flow through
# the browser and the provider does not depend on the database: the PostgreSQL pass leaves it out.
pytestmark = [pytest.mark.browser, pytest.mark.first_pass_only]


@pytest.fixture(scope="module")
def sso_server(tmp_path_factory, browser):
    """The dashboard (without demo data) with [auth] pointing at a provider that knows three
    people: Rita (council, active account), Karl (account disabled), Fritz (no account)."""
    from oidc_provider_mock import User, run_server_in_thread

    tmp = tmp_path_factory.mktemp("browser-sso")
    url = temp_database_url(tmp / "sso.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=False)
    with transaction(engine) as session:
        for username, name, role, email in [
            ("rita", "Rita Rat", "regierungsrat", "rita.rat@lu.ch"),
            ("karl", "Karl Koordination", "koordination", "karl.k@lu.ch"),
        ]:
            create_user(
                session,
                UserSpec(username, name, role, ["AF1"] if role == "koordination" else [], [], email=email),
                password=None,
                actor="test",
            )
        update_user(session, "karl", actor="test", active=False)
    engine.dispose()
    people = [
        User(sub="rita", claims={"email": "Rita.Rat@lu.ch", "name": "Rita Rat"}),
        User(sub="karl", claims={"email": "karl.k@lu.ch", "name": "Karl Koordination"}),
        User(sub="fritz", claims={"email": "fritz.fremd@lu.ch", "name": "Fritz Fremd"}),
    ]
    with run_server_in_thread(user_claims=people) as provider:
        port = free_port()
        home = tmp / "home"
        (home / ".streamlit").mkdir(parents=True)
        (home / ".streamlit" / "secrets.toml").write_text(
            "[auth]\n"
            f'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            'client_id = "monitoring-digitaler-wandel"\n'
            'client_secret = "geheim"\n'
            f'server_metadata_url = "http://127.0.0.1:{provider.server_port}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        with streamlit_server(url, tmp / "streamlit.log", env={"HOME": str(home)}, port=port) as base:
            yield base


def sign_in_as(page, base: str, person: str) -> None:
    page.goto(f"{base}/")
    wait_idle(page)
    no_page_not_found(page)
    page.get_by_role("button", name="Mit Single Sign-on anmelden").click()
    # The provider's own page (not ours): choose the person.
    page.get_by_role("button", name=person, exact=True).click()
    page.wait_for_url(f"{base}/**")
    wait_idle(page)


def test_single_sign_on_finds_the_account_by_e_mail_shows_its_pages_and_signs_out(sso_server, page):
    sign_in_as(page, sso_server, "rita")
    # The e-mail (in other letters' case) found Rita's account: her name and role, the council's pages.
    expect(page.get_by_role("heading", name="Sitzungsbericht")).to_be_visible()  # the council's start page
    expect(page.get_by_text("Rita Rat")).to_be_visible()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link")).to_have_text([re.compile("Übersicht$"), re.compile("Sitzungsbericht$")])
    # Still signed in after a reload (Streamlit's own sign-in cookie).
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("button", name="Abmelden")).to_be_visible()

    page.get_by_role("button", name="Abmelden").click()
    # Signed out at the provider too (its own page, as Entra ID shows one), then back here.
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{sso_server}/**")
    wait_idle(page)
    page.get_by_role("heading", name="Anmelden").wait_for()
    page.reload()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)


@pytest.mark.parametrize(
    ("person", "email"), [("fritz", "fritz.fremd@lu.ch"), ("karl", "karl.k@lu.ch")], ids=["unbekannt", "deaktiviert"]
)
def test_an_unknown_e_mail_and_a_disabled_account_are_refused_in_german(sso_server, page, person, email):
    sign_in_as(page, sso_server, person)
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(
        page.get_by_text(
            f"Für «{email}» gibt es kein aktives Benutzerkonto in diesem Tool. Bitte die Fachstelle kontaktieren."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)
