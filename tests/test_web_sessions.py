"""The server side of the sign-in cookie: tickets, tokens, signatures and the ways a session ends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.conftest import REFERENCE_DATE
from tracking import web_sessions
from tracking.access import Actor
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.models import WebSession
from tracking.users import AccountInactive, UserSpec, create_user, update_user

T0 = dt.datetime(2026, 11, 30, 9, 0, 0)


@pytest.fixture
def anna(luzern):
    with transaction(luzern) as session:
        spec = UserSpec("anna", "Anna Muster", "regierungsrat", [], [])
        create_user(session, spec, password="geheim-geheim", actor="test")
    return luzern


def signed_in(engine, actor=None, now=T0) -> str:
    """The cookie a browser holds after signing in at now."""
    with transaction(engine) as session:
        ticket = web_sessions.start(session, actor or Actor("Anna Muster", username="anna"), now=now)
    with transaction(engine) as session:
        token = web_sessions.claim(session, ticket, now=now + dt.timedelta(seconds=2))
    assert token is not None
    return web_sessions.cookie_value(token)


def resume(engine, cookie, now):
    with transaction(engine) as session:
        return web_sessions.resume(session, cookie, now=now)


def test_the_cookie_brings_back_the_account_and_the_server_keeps_no_secret(anna):
    cookie = signed_in(anna)
    actor = resume(anna, cookie, T0 + dt.timedelta(minutes=5))
    assert (actor.username, actor.role, actor.name) == ("anna", "regierungsrat", "Anna Muster")
    token = cookie.split(".")[0]
    with transaction(anna) as session:
        row = session.scalars(select(WebSession)).one()
    assert token not in (row.token_hash, row.ticket_hash) and row.ticket_hash is None


def test_a_ticket_serves_once_and_only_for_a_minute(anna):
    with transaction(anna) as session:
        ticket = web_sessions.start(session, Actor("Anna Muster", username="anna"), now=T0)
        late = web_sessions.start(session, Actor("Anna Muster", username="anna"), now=T0)
    with transaction(anna) as session:
        assert web_sessions.claim(session, ticket, now=T0 + dt.timedelta(seconds=59)) is not None
        assert web_sessions.claim(session, ticket, now=T0 + dt.timedelta(seconds=59)) is None
        assert web_sessions.claim(session, late, now=T0 + dt.timedelta(seconds=61)) is None
        assert web_sessions.claim(session, "erfunden", now=T0) is None


@pytest.mark.parametrize("change", ["another token", "another signature", "no signature", "empty"])
def test_a_forged_or_altered_cookie_signs_nobody_in(anna, change):
    cookie = signed_in(anna)
    token, signature = cookie.split(".")
    forged = {
        "another token": f"{token[:-1]}{'A' if token[-1] != 'A' else 'B'}.{signature}",
        "another signature": f"{token}.{'0' * len(signature)}",
        "no signature": token,
        "empty": "",
    }[change]
    assert resume(anna, forged, T0 + dt.timedelta(minutes=1)) is None


def test_the_signature_needs_the_key(anna, monkeypatch):
    monkeypatch.setenv("TRACKING_COOKIE_SECRET", "erster-schluessel")
    cookie = signed_in(anna)
    monkeypatch.setenv("TRACKING_COOKIE_SECRET", "anderer-schluessel")
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=1)) is None
    monkeypatch.setenv("TRACKING_COOKIE_SECRET", "erster-schluessel")
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=1)) is not None


def test_inactivity_ends_the_session_for_good(anna, monkeypatch):
    monkeypatch.setenv("TRACKING_SESSION_MINUTES", "30")
    cookie = signed_in(anna)
    # Active every 20 minutes: still signed in after an hour.
    for minutes in (20, 40, 60):
        assert resume(anna, cookie, T0 + dt.timedelta(minutes=minutes)) is not None
    # 31 minutes without a page run: ended, and stays so.
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=91, seconds=5)) is None
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=92)) is None


def test_sign_out_ends_the_session_in_every_tab(anna):
    cookie = signed_in(anna)
    with transaction(anna) as session:
        web_sessions.end(session, cookie, now=T0 + dt.timedelta(minutes=1))
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=2)) is None


def test_a_disabled_account_ends_its_sessions(anna):
    cookie = signed_in(anna)
    with transaction(anna) as session:
        update_user(session, "anna", actor="test", active=False)
    # Caught inside the transaction, as the page does: the session's end is committed.
    with transaction(anna) as session, pytest.raises(AccountInactive, match="«anna» ist nicht mehr aktiv"):
        web_sessions.resume(session, cookie, now=T0 + dt.timedelta(minutes=1))
    with transaction(anna) as session:
        update_user(session, "anna", actor="test", active=True)
    assert resume(anna, cookie, T0 + dt.timedelta(minutes=2)) is None  # enabled again: sign in anew


def test_a_demo_role_keeps_its_scope(luzern):
    with transaction(luzern) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)
    demo = Actor("Demo Koordination", role="koordination", fields=frozenset({"AF5", "AF9"}))
    actor = resume(luzern, signed_in(luzern, demo), T0 + dt.timedelta(minutes=1))
    assert actor == demo
