"""User accounts, signing in, the audit trail and the command line for both.

Messages are checked word for word: they are what people read. Signing in
runs as the sign-in page does it: a refusal is caught inside the transaction,
which commits, so that failed attempts are counted.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import excel_files as xf
from tests.conftest import temp_database_url
from tests.factories import add_measure, add_report, set_sign_off
from tracking.access import AccessDenied, Actor
from tracking.audit import AUDIT_COLUMNS, WriteLog, audit_entries, audit_workbook
from tracking.cli import main
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, plan_import, undo_import
from tracking.excel_template import build_template
from tracking.frozen import set_period_open
from tracking.models import Measure, UserAccount, WriteRecord
from tracking.periods import add_missing_periods
from tracking.scope import Scope
from tracking.strategy import LUZERN_DEFINITION, apply_definition, parse_definition
from tracking.users import (
    LOCK_MINUTES,
    MAX_FAILED_ATTEMPTS,
    USER_LIST_COLUMNS,
    SignInFailed,
    UserSpec,
    actor_for_email,
    authenticate,
    check_codes,
    check_password_rules,
    create_user,
    get_user,
    has_admin,
    role_and_scope,
    save_user,
    scope_text,
    set_password,
    update_user,
    user_rows,
)

NOW = dt.datetime(2026, 11, 16, 9, 0)
PASSWORD = "richtig-und-lang"
WRONG = "Benutzername oder Passwort ist falsch."
LOCKED = f"Zu viele Fehlversuche: die Anmeldung ist für {LOCK_MINUTES} Minuten gesperrt."
ADMIN = Actor(name="Anna Admin", role="admin", username="anna")


def kim_spec(**changes) -> UserSpec:
    values = {
        "username": "kim",
        "display_name": "Kim Koordination",
        "role": "koordination",
        "scope_fields": ["AF5"],
        "scope_departments": [],
        "email": "Kim.Muster@LU.ch",
    }
    values.update(changes)
    return UserSpec(**values)


@pytest.fixture
def accounts(engine):
    """anna (admin, password), kim (AF5, password and e-mail), sso.only (no password)."""
    with transaction(engine) as session:
        create_user(session, UserSpec("anna", "Anna Admin", "admin", [], []), password=PASSWORD, actor="setup")
        create_user(session, kim_spec(), password=PASSWORD, actor="setup")
        create_user(
            session,
            UserSpec("sso.only", "Sina Single", "regierungsrat", [], [], email="sina@lu.ch"),
            password=None,
            actor="setup",
        )
    return engine


def sign_in(engine, username: str, password: str, now: dt.datetime = NOW) -> Actor | str:
    """The actor, or the refusal's message; the transaction commits either way."""
    with transaction(engine) as session:
        try:
            return authenticate(session, username, password, now=now)
        except SignInFailed as exc:
            return " ".join(exc.messages)


def counts(engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(UserAccount)),
            session.scalar(select(func.count()).select_from(WriteRecord)),
        )


# --- creating and changing accounts -----------------------------------------------


def test_create_user_normalises_and_hashes(engine):
    with transaction(engine) as session:
        user = create_user(
            session,
            kim_spec(username=" KIM ", scope_fields=["AF5", "AF1", "AF5"], scope_departments=["GSD"]),
            password=PASSWORD,
            actor=ADMIN,
        )
    with transaction(engine) as session:
        user = get_user(session, "kim")
        assert (user.username, user.email, user.scope_fields, user.scope_departments) == (
            "kim",
            "kim.muster@lu.ch",
            ["AF1", "AF5"],
            ["GSD"],
        )
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        assert user.active and user.failed_attempts == 0
        assert has_admin(session) is False


@pytest.mark.parametrize(
    ("changes", "messages"),
    [
        ({"username": "x"}, ["Benutzername «x» ist ungültig: 2 bis 100 Zeichen, Kleinbuchstaben, Ziffern, . _ -"]),
        (
            {"username": "kim muster"},
            ["Benutzername «kim muster» ist ungültig: 2 bis 100 Zeichen, Kleinbuchstaben, Ziffern, . _ -"],
        ),
        ({"display_name": "  "}, ["Der Name (Anzeige) fehlt."]),
        (
            {"role": "chef"},
            ["Rolle «chef» ist unbekannt (erlaubt: admin, koordination, departementsleitung, regierungsrat)."],
        ),
        (
            {"scope_fields": []},
            ["Eine Koordination braucht einen Geltungsbereich: Aktionsfelder und/oder Departemente."],
        ),
        ({"email": "kim.lu.ch"}, ["E-Mail «kim.lu.ch» ist ungültig."]),
        (
            {"username": "-", "display_name": "", "scope_fields": []},
            [
                "Benutzername «-» ist ungültig: 2 bis 100 Zeichen, Kleinbuchstaben, Ziffern, . _ -",
                "Der Name (Anzeige) fehlt.",
                "Eine Koordination braucht einen Geltungsbereich: Aktionsfelder und/oder Departemente.",
            ],
        ),
        ({"username": "anna"}, ["Benutzer «anna» gibt es bereits."]),
    ],
)
def test_create_user_refuses_with_exact_messages(accounts, changes, messages):
    before = counts(accounts)
    with transaction(accounts) as session, pytest.raises(TrackingError) as refused:
        create_user(session, kim_spec(**changes), password=PASSWORD, actor=ADMIN)
    assert refused.value.messages == messages
    assert counts(accounts) == before


def test_password_rules(accounts):
    check_password_rules("1234567890")
    with pytest.raises(TrackingError) as refused:
        check_password_rules("123456789")
    assert refused.value.messages == ["Das Passwort muss mindestens 10 Zeichen lang sein."]

    before = counts(accounts)
    with transaction(accounts) as session, pytest.raises(TrackingError, match="mindestens 10 Zeichen"):
        create_user(session, kim_spec(username="kurz", email=None), password="zu-kurz", actor=ADMIN)
    with transaction(accounts) as session, pytest.raises(TrackingError, match="mindestens 10 Zeichen"):
        set_password(session, "kim", "zu-kurz", actor=ADMIN)
    assert counts(accounts) == before
    assert isinstance(sign_in(accounts, "kim", PASSWORD), Actor)


def test_update_user_changes_and_reports_no_change(accounts):
    with transaction(accounts) as session:
        assert update_user(session, "kim", scope_fields=["AF1", "AF5"], actor=ADMIN) is True
        assert update_user(session, "kim", scope_fields=["AF5", "AF1"], actor=ADMIN) is False
    with transaction(accounts) as session, pytest.raises(TrackingError) as refused:
        update_user(session, "kim", scope_fields=[], actor=ADMIN)
    assert refused.value.messages == [
        "Eine Koordination braucht einen Geltungsbereich: Aktionsfelder und/oder Departemente."
    ]
    with transaction(accounts) as session, pytest.raises(TrackingError) as refused:
        update_user(session, "niemand", role="admin", actor=ADMIN)
    assert refused.value.messages == ["Benutzer «niemand» gibt es nicht."]


def test_own_account_cannot_be_disabled(accounts):
    anna = sign_in(accounts, "anna", PASSWORD)
    with transaction(accounts) as session, pytest.raises(TrackingError) as refused:
        update_user(session, "anna", active=False, actor=anna)
    assert refused.value.messages == ["Das eigene Konto kann nicht deaktiviert werden."]


@pytest.mark.parametrize("change", [{"role": "koordination", "scope_fields": ["AF1"]}, {"active": False}])
def test_the_last_administrator_stays(accounts, change):
    before = counts(accounts)
    with transaction(accounts) as session, pytest.raises(TrackingError) as refused:
        update_user(session, "anna", actor="cli", **change)
    assert refused.value.messages == [
        "«anna» ist die letzte aktive Administration: zuerst eine andere Person zur Administration machen, "
        "sonst kann niemand mehr Benutzer verwalten."
    ]
    assert counts(accounts) == before
    # With a second administrator the first may step down.
    with transaction(accounts) as session:
        update_user(session, "kim", role="admin", actor="cli")
        assert update_user(session, "anna", actor="cli", **change)
        assert has_admin(session)


def test_only_an_administrator_manages_users(accounts):
    kim = sign_in(accounts, "kim", PASSWORD)
    before = counts(accounts)
    for write in (
        lambda s: create_user(s, kim_spec(username="neu", email=None), password=None, actor=kim),
        lambda s: update_user(s, "kim", role="admin", actor=kim),
        lambda s: set_password(s, "anna", "ein-neues-passwort", actor=kim),
    ):
        with transaction(accounts) as session, pytest.raises(AccessDenied) as refused:
            write(session)
        assert refused.value.messages == [
            "Kim Koordination (Koordination) darf Benutzer nicht verwalten. Nichts wurde gespeichert."
        ]
    assert counts(accounts) == before


# --- codes, listing, saving from a form ----------------------------------------------

FIELDS_KNOWN = "vorhanden: AF1, AF2, AF3, AF4, AF5, AF6, AF7, AF8, AF9"
DEPARTMENTS_KNOWN = "vorhanden: BKD, BUWD, FD, GSD, JSD, STK"


def test_check_codes_names_every_unknown_code(luzern):
    with transaction(luzern) as session:
        check_codes(session, ["AF1", "AF9"], ["GSD"], "STK")
        check_codes(session)
        with pytest.raises(TrackingError) as refused:
            check_codes(session, ["AF10", "AF5", "af1"], ["XY"], "ZZ")
    assert refused.value.messages == [
        f"Aktionsfeld «AF10» gibt es nicht ({FIELDS_KNOWN}).",
        f"Aktionsfeld «af1» gibt es nicht ({FIELDS_KNOWN}).",
        f"Departement «XY» gibt es nicht ({DEPARTMENTS_KNOWN}).",
        f"Departement «ZZ» gibt es nicht ({DEPARTMENTS_KNOWN}).",
    ]


def test_check_codes_on_a_database_without_strategy(engine):
    with transaction(engine) as session, pytest.raises(TrackingError) as refused:
        check_codes(session, [], [], "GSD")
    assert refused.value.messages == ["Departement «GSD» gibt es nicht (vorhanden: keine)."]


@pytest.mark.parametrize(
    ("role", "fields", "departments", "home", "scope", "described"),
    [
        ("admin", [], [], None, "alle Massnahmen", "Administration, alle Massnahmen"),
        ("koordination", ["AF5", "AF1"], ["GSD"], None, "AF1, AF5, GSD", "Koordination, AF1, AF5, GSD"),
        ("departementsleitung", [], [], "GSD", "Departement GSD", "Departementsleitung, Departement GSD"),
        ("departementsleitung", [], [], None, "–", "Departementsleitung"),
        ("regierungsrat", [], [], "GSD", "–", "Regierungsrat"),
    ],
)
def test_scope_text_and_role_and_scope(role, fields, departments, home, scope, described):
    user = UserAccount(
        username="x1",
        display_name="X",
        role=role,
        scope_fields=fields,
        scope_departments=departments,
        home_department=home,
    )
    assert scope_text(user) == scope
    assert role_and_scope(user) == described


def test_user_rows(accounts):
    sign_in(accounts, "kim", PASSWORD, now=dt.datetime(2026, 11, 16, 9, 5))
    with transaction(accounts) as session:
        update_user(session, "sso.only", active=False, actor=ADMIN)
    with transaction(accounts) as session:
        rows = user_rows(session)
    assert USER_LIST_COLUMNS == ["Benutzername", "Name", "Rolle", "Geltungsbereich", "Status", "Letzte Anmeldung"]
    assert rows == [
        ["anna", "Anna Admin", "Administration", "alle Massnahmen", "aktiv", "nie"],
        ["kim", "Kim Koordination", "Koordination", "AF5", "aktiv", "16.11.2026 09:05"],
        ["sso.only", "Sina Single", "Regierungsrat", "–", "deaktiviert", "nie"],
    ]


def test_save_user_creates_then_updates(luzern):
    spec = kim_spec(scope_fields=["AF5"], scope_departments=["GSD"])
    with transaction(luzern) as session:
        user, created = save_user(session, spec, actor=ADMIN, password=PASSWORD)
        assert (created, user.username, user.active) == (True, "kim", True)
    assert isinstance(sign_in(luzern, "kim", PASSWORD), Actor)

    # The same form again, changed: the account is updated, a new password set, nothing created.
    changed = kim_spec(username=" Kim ", display_name="Kim Neu", scope_fields=["AF1"], scope_departments=[])
    with transaction(luzern) as session:
        user, created = save_user(session, changed, actor=ADMIN, password="ein-neues-passwort")
        assert created is False
    with transaction(luzern) as session:
        user = get_user(session, "kim")
        assert (user.display_name, user.scope_fields, user.scope_departments) == ("Kim Neu", ["AF1"], [])
        assert session.scalar(select(func.count()).select_from(UserAccount)) == 1
    assert sign_in(luzern, "kim", PASSWORD) == WRONG
    assert isinstance(sign_in(luzern, "kim", "ein-neues-passwort"), Actor)

    # Without a password the old one stays; active=False disables.
    with transaction(luzern) as session:
        save_user(session, changed, actor=ADMIN, active=False)
    with transaction(luzern) as session:
        assert get_user(session, "kim").active is False
        assert get_user(session, "kim").password_hash


def test_save_user_creates_a_disabled_account_when_asked(luzern):
    with transaction(luzern) as session:
        user, created = save_user(session, kim_spec(), actor=ADMIN, active=False)
        assert (created, user.active, user.password_hash) == (True, False, None)


def test_save_user_refuses_unknown_codes_and_other_roles(luzern):
    before = counts(luzern)
    with transaction(luzern) as session, pytest.raises(TrackingError) as refused:
        save_user(session, kim_spec(scope_fields=["AF10"], home_department="XY"), actor=ADMIN)
    assert refused.value.messages == [
        f"Aktionsfeld «AF10» gibt es nicht ({FIELDS_KNOWN}).",
        f"Departement «XY» gibt es nicht ({DEPARTMENTS_KNOWN}).",
    ]
    kim = Actor(name="Kim Koordination", role="koordination", fields=frozenset({"AF5"}), username="kim")
    with transaction(luzern) as session, pytest.raises(AccessDenied) as refused:
        save_user(session, kim_spec(scope_fields=["AF10"]), actor=kim)
    assert refused.value.messages == [
        "Kim Koordination (Koordination) darf Benutzer nicht verwalten. Nichts wurde gespeichert."
    ]
    assert counts(luzern) == before


# --- signing in -----------------------------------------------------------------


def test_sign_in_with_the_right_password(accounts):
    actor = sign_in(accounts, " KIM ", PASSWORD)
    assert actor == Actor(
        name="Kim Koordination", role="koordination", fields=frozenset({"AF5"}), departments=frozenset(), username="kim"
    )
    with transaction(accounts) as session:
        assert get_user(session, "kim").last_login_at == NOW


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("kim", "falsches-passwort"),
        ("kim", ""),
        ("niemand", "falsches-passwort"),  # no such user: the same message
        ("niemand", PASSWORD),
        ("sso.only", "irgendein-passwort"),  # single sign-on only: no password to check
        ("", ""),
    ],
)
def test_wrong_password_does_not_tell_whether_the_user_exists(accounts, username, password):
    assert sign_in(accounts, username, password) == WRONG


def test_throttling_after_five_wrong_passwords(accounts):
    for attempt in range(1, MAX_FAILED_ATTEMPTS):
        assert sign_in(accounts, "kim", f"falsch-{attempt:04d}", NOW + dt.timedelta(seconds=attempt)) == WRONG
    assert sign_in(accounts, "kim", "falsch-0005", NOW) == LOCKED
    locked_until = NOW + dt.timedelta(minutes=LOCK_MINUTES)
    with transaction(accounts) as session:
        assert get_user(session, "kim").locked_until == locked_until
    # While locked, even the right password is refused.
    for later in (dt.timedelta(seconds=1), dt.timedelta(minutes=LOCK_MINUTES, seconds=-1)):
        assert sign_in(accounts, "kim", PASSWORD, NOW + later) == (
            f"Zu viele Fehlversuche: die Anmeldung ist bis {locked_until:%H:%M} Uhr gesperrt."
        )
    # Other accounts are not affected.
    assert isinstance(sign_in(accounts, "anna", PASSWORD, NOW + dt.timedelta(minutes=1)), Actor)
    # After LOCK_MINUTES the right password works again, and the count starts anew.
    assert isinstance(sign_in(accounts, "kim", PASSWORD, locked_until), Actor)
    with transaction(accounts) as session:
        user = get_user(session, "kim")
        assert (user.failed_attempts, user.locked_until) == (0, None)


@pytest.mark.parametrize("username", ["kim", "niemand", "sso.only"])
def test_unknown_names_are_locked_like_accounts(accounts, username):
    """The same answers, attempt by attempt, for an account, an unknown name and an SSO-only account."""
    answers = [sign_in(accounts, username, f"falsch-{n:04d}", NOW + dt.timedelta(seconds=n)) for n in range(6)]
    locked_until = NOW + dt.timedelta(seconds=4) + dt.timedelta(minutes=LOCK_MINUTES)
    assert answers == [WRONG] * (MAX_FAILED_ATTEMPTS - 1) + [
        LOCKED,
        f"Zu viele Fehlversuche: die Anmeldung ist bis {locked_until:%H:%M} Uhr gesperrt.",
    ]


def test_counts_of_unknown_names_are_dropped_after_a_day(accounts):
    from tracking.models import SignInThrottle

    for n in range(3):
        sign_in(accounts, f"geraten-{n}", "falsch-0000")
    with transaction(accounts) as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottle)) == 3
    sign_in(accounts, "noch-einer", "falsch-0000", NOW + dt.timedelta(hours=24, seconds=1))
    with transaction(accounts) as session:
        assert list(session.scalars(select(SignInThrottle.username))) == ["noch-einer"]


def test_right_password_resets_the_failure_count(accounts):
    for attempt in range(MAX_FAILED_ATTEMPTS - 1):
        assert sign_in(accounts, "kim", f"falsch-{attempt:04d}") == WRONG
    assert isinstance(sign_in(accounts, "kim", PASSWORD), Actor)
    for attempt in range(MAX_FAILED_ATTEMPTS - 1):
        assert sign_in(accounts, "kim", f"falsch-{attempt:04d}") == WRONG
    assert isinstance(sign_in(accounts, "kim", PASSWORD), Actor)


def test_setting_a_password_lifts_the_lock(accounts):
    for attempt in range(MAX_FAILED_ATTEMPTS):
        sign_in(accounts, "kim", f"falsch-{attempt:04d}")
    with transaction(accounts) as session:
        set_password(session, "kim", "ein-neues-passwort", actor=ADMIN)
    assert isinstance(sign_in(accounts, "kim", "ein-neues-passwort", NOW + dt.timedelta(minutes=1)), Actor)
    assert sign_in(accounts, "kim", PASSWORD, NOW + dt.timedelta(minutes=1)) == WRONG


def test_disabled_account_is_refused(accounts):
    with transaction(accounts) as session:
        assert update_user(session, "kim", active=False, actor=ADMIN)
    assert sign_in(accounts, "kim", PASSWORD) == WRONG
    with transaction(accounts) as session, pytest.raises(SignInFailed) as refused:
        actor_for_email(session, "kim.muster@lu.ch")
    assert refused.value.messages == [
        "Für «kim.muster@lu.ch» gibt es kein aktives Benutzerkonto in diesem Tool. Bitte die Fachstelle kontaktieren."
    ]
    with transaction(accounts) as session:
        assert update_user(session, "kim", active=True, actor=ADMIN)
    assert isinstance(sign_in(accounts, "kim", PASSWORD), Actor)


@pytest.mark.parametrize("email", ["kim.muster@lu.ch", "KIM.MUSTER@LU.CH", " Kim.Muster@lu.ch "])
def test_single_sign_on_maps_the_email_case_insensitively(accounts, email):
    with transaction(accounts) as session:
        actor = actor_for_email(session, email)
        assert (actor.username, actor.role, actor.fields) == ("kim", "koordination", frozenset({"AF5"}))
        assert get_user(session, "kim").last_login_at is not None


@pytest.mark.parametrize("email", ["niemand@lu.ch", ""])
def test_single_sign_on_without_account_is_refused(accounts, email):
    with transaction(accounts) as session, pytest.raises(SignInFailed) as refused:
        actor_for_email(session, email)
    assert refused.value.messages == [
        f"Für «{email}» gibt es kein aktives Benutzerkonto in diesem Tool. Bitte die Fachstelle kontaktieren."
    ]


def test_single_sign_on_after_changing_the_email(accounts):
    with transaction(accounts) as session:
        update_user(session, "kim", email="Kim.Neu@LU.ch", actor=ADMIN)
    with transaction(accounts) as session:
        assert actor_for_email(session, "Kim.Neu@LU.ch").username == "kim"


def test_single_sign_on_with_an_empty_email_never_matches(accounts):
    with transaction(accounts) as session:
        update_user(session, "kim", email="", actor=ADMIN)
    with transaction(accounts) as session, pytest.raises(SignInFailed):
        actor_for_email(session, "")


def test_email_used_by_another_account_is_refused_in_german(accounts):
    before = counts(accounts)
    with transaction(accounts) as session, pytest.raises(TrackingError):
        create_user(session, kim_spec(username="kim2", email="KIM.MUSTER@lu.ch"), password=None, actor=ADMIN)
    assert counts(accounts) == before


class CountingHasher:
    """The real argon2 hasher, counting its verifications."""

    def __init__(self, real):
        self.real = real
        self.verified = 0

    def verify(self, password_hash, password):
        self.verified += 1
        return self.real.verify(password_hash, password)

    def hash(self, password):
        return self.real.hash(password)

    def check_needs_rehash(self, password_hash):
        return self.real.check_needs_rehash(password_hash)


LATER = NOW + dt.timedelta(minutes=1)
LOCKED_UNTIL = (
    f"Zu viele Fehlversuche: die Anmeldung ist bis {NOW + dt.timedelta(minutes=LOCK_MINUTES):%H:%M} Uhr gesperrt."
)


@pytest.mark.parametrize(
    ("username", "password", "before", "answer"),
    [
        ("kim", PASSWORD, None, Actor),
        ("kim", "falsches-passwort", None, WRONG),
        ("niemand", PASSWORD, None, WRONG),
        ("sso.only", PASSWORD, None, WRONG),
        ("kim", PASSWORD, "disable", WRONG),
        ("kim", "falsches-passwort", "almost", LOCKED),
        ("niemand", "falsches-passwort", "almost", LOCKED),
        ("kim", PASSWORD, "lock", LOCKED_UNTIL),
        ("kim", "falsches-passwort", "lock", LOCKED_UNTIL),
        ("niemand", PASSWORD, "lock", LOCKED_UNTIL),
        ("sso.only", PASSWORD, "lock", LOCKED_UNTIL),
    ],
    ids=[
        "right-password",
        "wrong-password",
        "unknown-name",
        "sso-only",
        "disabled",
        "attempt-that-locks-an-account",
        "attempt-that-locks-an-unknown-name",
        "locked-account-right-password",
        "locked-account-wrong-password",
        "locked-unknown-name",
        "locked-sso-only",
    ],
)
def test_every_sign_in_verifies_one_argon2_hash(accounts, monkeypatch, username, password, before, answer):
    """Locked, disabled, SSO-only or unknown: the same argon2 work, so the time tells nothing."""
    import tracking.users as users

    if before == "disable":
        with transaction(accounts) as session:
            update_user(session, username, active=False, actor=ADMIN)
    failures = {"almost": MAX_FAILED_ATTEMPTS - 1, "lock": MAX_FAILED_ATTEMPTS}.get(before, 0)
    for n in range(failures):
        sign_in(accounts, username, f"falsch-{n:04d}", NOW)
    spy = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", spy)
    result = sign_in(accounts, username, password, LATER if before == "lock" else NOW)
    assert spy.verified == 1
    assert isinstance(result, Actor) if answer is Actor else result == answer


def test_locked_account_and_locked_unknown_name_answer_alike(accounts):
    answers = {}
    for username in ("kim", "niemand"):
        locking = [sign_in(accounts, username, f"falsch-{n:04d}", NOW) for n in range(MAX_FAILED_ATTEMPTS)]
        answers[username] = [
            *locking,
            sign_in(accounts, username, "falsch-9999", LATER),
            sign_in(accounts, username, PASSWORD, LATER),  # kim's right password, refused while locked
        ]
    assert answers["kim"] == answers["niemand"]
    assert answers["kim"][-2:] == [LOCKED_UNTIL, LOCKED_UNTIL]


# --- the account, read afresh for every page run and every write ----------------


def test_current_actor_follows_the_account(accounts):
    from tracking.users import current_actor

    kim = sign_in(accounts, "kim", PASSWORD)
    with transaction(accounts) as session:
        assert current_actor(session, kim) == kim
        update_user(session, "kim", scope_fields=["AF1"], scope_departments=["GSD"], actor=ADMIN)
        assert current_actor(session, kim) == Actor(
            name="Kim Koordination",
            role="koordination",
            fields=frozenset({"AF1"}),
            departments=frozenset({"GSD"}),
            username="kim",
        )
        update_user(
            session, "kim", role="departementsleitung", home_department="GSD", display_name="Kim M.", actor=ADMIN
        )
        assert current_actor(session, "kim") == Actor(
            name="Kim M.",
            role="departementsleitung",
            fields=frozenset({"AF1"}),
            departments=frozenset({"GSD"}),
            home_department="GSD",
            username="kim",
        )


@pytest.mark.parametrize("how", ["disable", "delete"])
def test_current_actor_refuses_an_account_that_is_gone(accounts, how):
    from tracking.users import AccountInactive, current_actor

    kim = sign_in(accounts, "kim", PASSWORD)
    with transaction(accounts) as session:
        if how == "disable":
            update_user(session, "kim", active=False, actor=ADMIN)
        else:
            session.delete(get_user(session, "kim"))
    with transaction(accounts) as session, pytest.raises(AccessDenied) as refused:
        current_actor(session, kim)
    assert isinstance(refused.value, AccountInactive)
    assert refused.value.messages == ["Das Benutzerkonto «kim» ist nicht mehr aktiv."]


def test_current_actor_of_single_sign_on_and_demo_roles(accounts):
    from tracking.users import AccountInactive, current_actor

    with transaction(accounts) as session:
        kim = actor_for_email(session, "Kim.Muster@lu.ch")
        assert current_actor(session, kim, email="Kim.Muster@lu.ch") == kim
        update_user(session, "kim", email="kim.neu@lu.ch", actor=ADMIN)
        with pytest.raises(AccountInactive) as refused:
            current_actor(session, kim, email="Kim.Muster@lu.ch")
        assert refused.value.messages == ["Das Benutzerkonto «kim» gehört nicht mehr zur E-Mail «Kim.Muster@lu.ch»."]
        # A demo role has no account: it lasts as long as the demo data.
        demo = Actor(name="Demo Administration", role="admin")
        assert current_actor(session, demo, demo_loaded=True) == demo
        with pytest.raises(AccountInactive) as refused:
            current_actor(session, demo)  # asks the database: no demo data here
        assert refused.value.messages == ["Die Demodaten sind nicht mehr geladen: die Demo-Anmeldung ist beendet."]


# --- the audit trail: one entry with before and after for each kind of write ----


def only(entries, **where) -> dict:
    rows = entries
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def parsed(text):
    """The JSON text of Vorher/Nachher; a missing value («–») is None."""
    assert not pd.isna(text), "the trail shows «–», never an empty cell"
    return None if text == "–" else json.loads(text)


@pytest.fixture
def reported(luzern):
    """Lucerne with one AF5 measure that has a 2026-H2 report of 30 %."""
    with transaction(luzern) as session:
        measure = add_measure(session, "M-5.1.01", "5.1", end=dt.date(2027, 12, 31))
        add_report(session, measure, "2026-H2", 30)
    return luzern


def test_audit_of_import_and_undo(reported):
    with transaction(reported) as session:
        set_sign_off(session, False)  # the report counts at once: its row is in the trail (sign-off: test_sign_off)
        data = build_template(session, period="2026-H2", scope=Scope.of(field="AF5"), generated_by="test")
    data = xf.fill_template(data, {"M-5.1.01": {"progress": 55, "comment": "besser als geplant"}})
    kim = Actor(name="Kim Koordination", role="koordination", fields=frozenset({"AF5"}))
    with transaction(reported) as session:
        write_id = apply_import(session, plan_import(session, data, "af5.xlsx"), actor=kim).write_id
    with transaction(reported) as session:
        undo_import(session, write_id, actor=ADMIN)
        entries = audit_entries(session)
    assert list(entries.columns) == AUDIT_COLUMNS
    imported = only(entries, Aktion="Import")
    assert [imported[c] for c in ("Vorgang", "Person", "Quelle", "Tabelle", "Zeile", "Art")] == [
        write_id,
        "Kim Koordination",
        "Excel «af5.xlsx»",
        "Statusbericht",
        "M-5.1.01/2026-H2",
        "geändert",
    ]
    before, after = parsed(imported["Vorher"]), parsed(imported["Nachher"])
    assert (before["progress"], before["comment"]) == (30, None)
    assert (after["progress"], after["comment"]) == (55, "besser als geplant")
    undone = only(entries, Aktion="Rückgängig")
    assert [undone[c] for c in ("Person", "Quelle", "Art")] == [
        "anna (Anna Admin)",
        f"Rückgängig: Import {write_id}",
        "geändert",
    ]
    assert parsed(undone["Vorher"]) == after and parsed(undone["Nachher"]) == before
    # Newest first: the undo comes before the import, which comes before the test's own report.
    assert list(entries["Aktion"])[:3] == ["Rückgängig", "Import", "Meldung"]
    assert entries["Zeit"].is_monotonic_decreasing


def test_audit_of_definition_load(luzern):
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    old_name = data["fields"][4]["goals"][0]["name"]
    data["fields"][4]["goals"][0]["name"] = "Neuer Wortlaut für Ziel 5.1"
    dropped = data["fields"][1]["goals"].pop()["code"]
    with transaction(luzern) as session:
        apply_definition(
            session, parse_definition(yaml.safe_dump(data, allow_unicode=True)), actor=ADMIN, source="Datei neu.yaml"
        )
        entries = audit_entries(session, action="load-strategy", text="neu.yaml")
    renamed = only(entries, Zeile="5.1")
    assert (renamed["Aktion"], renamed["Tabelle"], renamed["Art"], renamed["Quelle"]) == (
        "Strategie geladen",
        "Ziel",
        "geändert",
        "Datei neu.yaml",
    )
    assert parsed(renamed["Vorher"])["name"] == old_name
    assert parsed(renamed["Nachher"])["name"] == "Neuer Wortlaut für Ziel 5.1"
    retired = only(entries, Zeile=dropped)
    assert (retired["Art"], parsed(retired["Vorher"]), parsed(retired["Nachher"])) == (
        "ausser Kraft",
        {"active": True},
        {"active": False},
    )


def test_audit_of_periods(luzern):
    with transaction(luzern) as session:
        set_period_open(session, name="2026-H2", is_open=False, actor=ADMIN)
        set_period_open(session, name="2025-H1", is_open=True, actor=ADMIN)
        add_missing_periods(session, actor=ADMIN, today=dt.date(2027, 2, 1))
        entries = audit_entries(session, actor="anna")
    closed = only(entries, Aktion="Periode geschlossen", Tabelle="Berichtsperiode")
    # Closing also froze the period's sums per goal (tracking/frozen.py); 2025-H1, created closed, had none to thaw.
    frozen = only(entries, Aktion="Periode geschlossen", Tabelle="Summen je Ziel")
    assert (frozen["Zeile"], frozen["Art"], parsed(frozen["Vorher"])) == ("2026-H2", "neu", None)
    assert (closed["Tabelle"], closed["Zeile"], closed["Art"]) == ("Berichtsperiode", "2026-H2", "geändert")
    assert (parsed(closed["Vorher"])["is_open"], parsed(closed["Nachher"])["is_open"]) == (True, False)
    assert parsed(closed["Nachher"]) == {
        "name": "2026-H2",
        "start_date": "2026-07-01",
        "end_date": "2026-12-31",
        "is_open": False,
        "deadline": None,
    }
    opened = only(entries, Aktion="Periode geöffnet", Tabelle="Berichtsperiode")
    assert (opened["Zeile"], parsed(opened["Vorher"])["is_open"], parsed(opened["Nachher"])["is_open"]) == (
        "2025-H1",
        False,
        True,
    )
    added = only(entries, Aktion="Perioden ergänzt")
    assert (added["Zeile"], added["Art"], parsed(added["Vorher"])) == ("2027-H1", "neu", None)
    assert parsed(added["Nachher"])["is_open"] is True


def test_audit_of_user_writes_never_shows_a_password_or_hash(engine):
    with transaction(engine) as session:
        create_user(session, kim_spec(), password=PASSWORD, actor=ADMIN)
        update_user(session, "kim", role="admin", display_name="Kim Muster", actor=ADMIN)
        set_password(session, "kim", "ein-neues-passwort", actor=ADMIN)
        password_hash = get_user(session, "kim").password_hash
        entries = audit_entries(session, action="user")
    # Newest first: the password, the change, the creation.
    assert list(entries["Art"]) == ["geändert", "geändert", "neu"]
    created = only(entries, Art="neu")
    assert created["Aktion"] == "Benutzer" and parsed(created["Vorher"]) is None
    assert parsed(created["Nachher"]) == {
        "username": "kim",
        "display_name": "Kim Koordination",
        "role": "koordination",
        "scope_fields": ["AF5"],
        "scope_departments": [],
        "home_department": None,
        "email": "kim.muster@lu.ch",
        "active": True,
    }
    changed = entries[(entries["Art"] == "geändert") & entries["Vorher"].str.contains("role")].iloc[0]
    assert {k: v for k, v in parsed(changed["Vorher"]).items() if k in ("role", "display_name")} == {
        "role": "koordination",
        "display_name": "Kim Koordination",
    }
    assert {k: v for k, v in parsed(changed["Nachher"]).items() if k in ("role", "display_name")} == {
        "role": "admin",
        "display_name": "Kim Muster",
    }
    password = entries[entries["Vorher"].str.contains("password", na=False)].iloc[0]
    assert (parsed(password["Vorher"]), parsed(password["Nachher"])) == (
        {"password": "…"},
        {"password": "neu gesetzt"},
    )
    everything = entries.astype(str).to_csv()
    assert password_hash not in everything
    assert "argon2" not in everything and PASSWORD not in everything and "ein-neues-passwort" not in everything
    assert "password_hash" not in everything


def test_audit_texts_are_compact_json_with_sorted_keys(engine):
    with transaction(engine) as session:
        log = WriteLog(session, actor="test", source="test", action="report")
        log.change("t", "k", "update", before={"b": 1, "a": "ä"}, after={"a": [1, 2], "b": None})
        entries = audit_entries(session)
    assert (entries.iloc[0]["Vorher"], entries.iloc[0]["Nachher"]) == ('{"a":"ä","b":1}', '{"a":[1,2],"b":null}')


def test_two_accounts_with_the_same_display_name_are_told_apart(reported, capsys, monkeypatch, tmp_path):
    """koord5 and koord6 are both «Sandra Muster»: the trail keeps the account names apart."""
    from tracking.models import StatusReport

    with transaction(reported) as session:
        set_sign_off(session, False)  # «gemeldet von» of the reports themselves (sign-off: test_sign_off)
    writes = {}
    for username, progress in (("koord5", 40), ("koord6", 45)):
        with transaction(reported) as session:
            create_user(
                session,
                UserSpec(username, "Sandra Muster", "koordination", ["AF5"], []),
                password=PASSWORD,
                actor=ADMIN,
            )
        sandra = sign_in(reported, username, PASSWORD)
        with transaction(reported) as session:
            data = build_template(session, period="2026-H2", scope=Scope.of(field="AF5"), generated_by="test")
            data = xf.fill_template(data, {"M-5.1.01": {"progress": progress}})
            plan = plan_import(session, data, f"{username}.xlsx")
            writes[username] = apply_import(session, plan, actor=sandra).write_id
    with transaction(reported) as session:
        for username, write_id in writes.items():
            entries = audit_entries(session, actor=username)
            assert set(entries["Vorgang"]) == {write_id}
            assert set(entries["Person"]) == {f"{username} (Sandra Muster)"}
        assert audit_entries(session, actor="Sandra Muster").empty  # the display name is no account
        assert set(audit_entries(session, text="sandra")["Vorgang"]) == set(writes.values())
        # «gemeldet von» stays the person's name.
        assert set(
            session.scalars(select(StatusReport.reported_by).where(StatusReport.write_id.in_(writes.values())))
        ) == {"Sandra Muster"}

    monkeypatch.setenv("DATABASE_URL", reported.url.render_as_string(hide_password=False))
    for username, write_id in writes.items():
        code, out, _ = run(capsys, monkeypatch, "audit", "--user", username)
        lines = out.splitlines()
        assert code == 0 and lines[-1] == "1 Eintrag."
        assert lines[0].startswith(f"{write_id:>5}  ")
        assert (
            f"  {username} (Sandra Muster)  Import (Excel «{username}.xlsx»)  Statusbericht M-5.1.01/2026-H2"
            in lines[0]
        )
    target = tmp_path / "koord6.xlsx"
    assert run(capsys, monkeypatch, "audit", "--user", "koord6", "-o", str(target))[0] == 0
    rows = [[c.value for c in row] for row in load_workbook(target)["Protokoll"].iter_rows()]
    assert [r[:3:2] for r in rows[1:]] == [[writes["koord6"], "koord6 (Sandra Muster)"]]


@pytest.fixture
def trail(engine):
    """Three writes at known times: periods (Anna), import (Jürg), an unknown code (Anna)."""
    writes = [
        ("Anna Admin", "periods", "cli", dt.datetime(2026, 1, 10, 10, 0), "reporting_period", "2026-H1", "insert"),
        (
            "Jürg Müller",
            "import",
            "Excel «AF5-Bericht.xlsx»",
            dt.datetime(2026, 3, 5, 8, 0),
            "status_report",
            "M-5.1.01/2026-H1",
            "update",
        ),
        ("Anna Admin", "frobnicate", "Skript", dt.datetime(2026, 6, 30, 23, 59), "measure", "M-9.9.99", "retire"),
    ]
    ids = []
    with transaction(engine) as session:
        for actor, action, source, at, table, key, kind in writes:
            log = WriteLog(session, actor=actor, source=source, action=action)
            log.ensure_record().at = at
            log.change(table, key, kind, before={"x": 1} if kind != "insert" else None, after={"x": 2})
            session.flush()
            ids.append(log.record.id)
    return engine, ids


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, [2, 1, 0]),
        ({"actor": "anna admin"}, [2, 0]),
        ({"actor": "JÜRG MÜLLER"}, [1]),
        ({"actor": "Jürg"}, []),
        ({"action": "import"}, [1]),
        ({"action": "frobnicate"}, [2]),
        ({"since": dt.date(2026, 3, 5)}, [2, 1]),
        ({"until": dt.date(2026, 3, 5)}, [1, 0]),
        ({"since": dt.date(2026, 3, 5), "until": dt.date(2026, 3, 5)}, [1]),
        ({"since": dt.date(2026, 6, 30), "until": dt.date(2026, 6, 30)}, [2]),
        ({"since": dt.date(2026, 7, 1)}, []),
        ({"text": "af5-bericht"}, [1]),  # Quelle
        ({"text": "m-5.1"}, [1]),  # Zeile
        ({"text": "müller"}, [1]),  # Person
        ({"text": "ANNA"}, [2, 0]),
        ({"text": "2026-H1"}, [1, 0]),
        ({"actor": "Anna Admin", "action": "periods"}, [0]),
        ({"actor": "Anna Admin", "action": "import"}, []),
        ({"actor": "Anna Admin", "since": dt.date(2026, 2, 1), "text": "m-9"}, [2]),
    ],
)
def test_audit_filters_combine(trail, filters, expected):
    engine, ids = trail
    with transaction(engine) as session:
        entries = audit_entries(session, **filters)
    assert list(entries["Vorgang"]) == [ids[i] for i in expected]
    assert list(entries.columns) == AUDIT_COLUMNS


def test_audit_labels(trail):
    engine, _ = trail
    with transaction(engine) as session:
        entries = audit_entries(session)
    assert list(entries["Aktion"]) == ["frobnicate", "Import", "Perioden ergänzt"]
    assert list(entries["Art"]) == ["ausser Kraft", "geändert", "neu"]
    assert list(entries["Zeit"].dt.to_pydatetime()) == [
        dt.datetime(2026, 6, 30, 23, 59),
        dt.datetime(2026, 3, 5, 8, 0),
        dt.datetime(2026, 1, 10, 10, 0),
    ]


def test_audit_of_an_empty_database(engine):
    with transaction(engine) as session:
        entries = audit_entries(session)
    assert entries.empty and list(entries.columns) == AUDIT_COLUMNS
    wb = load_workbook(io.BytesIO(audit_workbook(entries)))
    assert [c.value for c in wb["Protokoll"][1]] == AUDIT_COLUMNS


FORMULA = '=HYPERLINK("http://x","y")'


def test_audit_workbook_has_no_formula_cells(reported):
    with transaction(reported) as session:
        measure = session.scalar(select(Measure).where(Measure.code == "M-5.1.01"))
        add_report(session, measure, "2026-H2", 40, light="gelb", comment=FORMULA, actor="@SUMME(A1)")
        log = WriteLog(session, actor="+41 41 228 51 11", source=FORMULA, action="catalogue")
        log.change("measure", "-M-1", "update", before={"title": FORMULA}, after={"title": "=1+1"})
        entries = audit_entries(session)
    wb = load_workbook(io.BytesIO(audit_workbook(entries)))
    assert wb.sheetnames == ["Protokoll"]
    ws = wb["Protokoll"]
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == AUDIT_COLUMNS
    catalogue = next(r for r in rows if r[3] == "Katalog")
    assert catalogue[2] == "+41 41 228 51 11" and catalogue[4] == FORMULA and catalogue[6] == "-M-1"
    assert json.loads(catalogue[8]) == {"title": FORMULA} and json.loads(catalogue[9]) == {"title": "=1+1"}
    report = next(r for r in rows if r[3] == "Meldung" and r[2] == "@SUMME(A1)")
    assert json.loads(report[9])["comment"] == FORMULA
    assert isinstance(rows[1][1], dt.datetime)


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path, monkeypatch):
    url = temp_database_url(tmp_path / "users.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKING_USER", "cli-test")
    return url


def run(capsys, monkeypatch, *args, stdin: str | None = None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def cli_sign_in(url, username, password) -> Actor | str:
    return sign_in(make_engine(url), username, password)


def test_first_administrator_on_an_empty_database(cli_db, capsys, monkeypatch):
    code, out, _ = run(capsys, monkeypatch, "users", "list")
    assert code == 0
    assert out == (
        "Noch keine Benutzer. Den ersten Administrator anlegen: python -m tracking users add admin --role admin "
        '--name "Vorname Name" --password-stdin\n'
    )
    code, out, err = run(
        capsys,
        monkeypatch,
        "users",
        "add",
        "admin",
        "--role",
        "admin",
        "--name",
        "Anna Admin",
        "--password-stdin",
        stdin=f"{PASSWORD}\n",
    )
    assert (code, err) == (0, "")
    assert out == "Benutzer «admin» angelegt (Administration, alle Massnahmen); Anmeldung mit Passwort.\n"
    actor = cli_sign_in(cli_db, "admin", PASSWORD)
    assert isinstance(actor, Actor) and actor.role == "admin"
    with transaction(make_engine(cli_db)) as session:
        assert has_admin(session)
        assert only(audit_entries(session), Zeile="admin")["Person"] == "cli-test"


@pytest.fixture
def cli_strategy(cli_db, capsys, monkeypatch):
    assert run(capsys, monkeypatch, "init", "--today", "15.11.2026")[0] == 0
    return cli_db


def test_users_add_list_change_disable_enable(cli_strategy, capsys, monkeypatch):
    url = cli_strategy
    code, out, _ = run(
        capsys,
        monkeypatch,
        "users",
        "add",
        "Kim",
        "--role",
        "koordination",
        "--name",
        "Kim Koordination",
        "--fields",
        "af5, AF1",
        "--departments",
        "gsd",
        "--email",
        "Kim.Muster@LU.ch",
    )
    assert code == 0
    assert out == (
        "Benutzer «kim» angelegt (Koordination, AF1, AF5, GSD); Anmeldung nur über Single Sign-on (kein Passwort).\n"
    )
    with transaction(make_engine(url)) as session:
        assert actor_for_email(session, "kim.muster@lu.ch").fields == frozenset({"AF1", "AF5"})
    assert cli_sign_in(url, "kim", "") == WRONG

    add_dora = ["users", "add", "dora", "--role", "departementsleitung", "--name", "Dora D", "--home-department", "gsd"]
    assert run(capsys, monkeypatch, *add_dora)[0] == 0
    with transaction(make_engine(url)) as session:
        last_login = get_user(session, "kim").last_login_at.strftime("%d.%m.%Y %H:%M")  # from the sign-on above
    code, out, _ = run(capsys, monkeypatch, "users", "list")
    assert code == 0
    assert out.splitlines() == [
        "Benutzername  Name              Rolle                Geltungsbereich  Status  Letzte Anmeldung",
        "dora          Dora D            Departementsleitung  Departement GSD  aktiv   nie",
        f"kim           Kim Koordination  Koordination         AF1, AF5, GSD    aktiv   {last_login}",
    ]

    assert run(capsys, monkeypatch, "users", "change", "kim", "--fields", "AF5", "--departments", "")[1] == (
        "Benutzer «kim» geändert.\n"
    )
    assert run(capsys, monkeypatch, "users", "change", "kim", "--fields", "af5")[1] == (
        "Benutzer «kim»: keine Änderung.\n"
    )
    assert run(capsys, monkeypatch, "users", "change", "kim", "--email", "KIM.NEU@lu.ch ")[0] == 0
    with transaction(make_engine(url)) as session:
        user = get_user(session, "kim")
        assert (user.scope_fields, user.scope_departments, user.email) == (["AF5"], [], "kim.neu@lu.ch")

    assert run(capsys, monkeypatch, "users", "disable", "kim")[1] == "Benutzer «kim» deaktiviert.\n"
    assert run(capsys, monkeypatch, "users", "disable", "kim")[1] == "Benutzer «kim» war bereits deaktiviert.\n"
    listed = run(capsys, monkeypatch, "users", "list")[1].splitlines()
    assert next(line for line in listed if line.startswith("kim")).endswith(f"deaktiviert  {last_login}")
    assert run(capsys, monkeypatch, "users", "enable", "kim")[1] == "Benutzer «kim» aktiviert.\n"
    assert run(capsys, monkeypatch, "users", "change", "kim", "--role", "admin")[1] == "Benutzer «kim» geändert.\n"


def test_users_password(cli_strategy, capsys, monkeypatch):
    url = cli_strategy
    run(capsys, monkeypatch, "users", "add", "rita", "--role", "regierungsrat", "--name", "Rita Rat")
    assert cli_sign_in(url, "rita", PASSWORD) == WRONG
    code, out, err = run(capsys, monkeypatch, "users", "password", "rita", "--password-stdin", stdin=f"{PASSWORD}\r\n")
    assert (code, err) == (0, "")
    assert out == "Passwort für «rita» gesetzt (eine allfällige Sperre ist aufgehoben).\n"
    actor = cli_sign_in(url, "rita", PASSWORD)
    assert isinstance(actor, Actor) and actor.role == "regierungsrat"
    code, out, _ = run(capsys, monkeypatch, "audit", "--action", "user")
    assert PASSWORD not in out and "argon2" not in out
    assert '{"password":"…"} → {"password":"neu gesetzt"}' in out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "add", "x", "--role", "chef", "--name", " "],
            None,
            "Fehler: Benutzername «x» ist ungültig: 2 bis 100 Zeichen, Kleinbuchstaben, Ziffern, . _ -\n"
            "Fehler: Der Name (Anzeige) fehlt.\n"
            "Fehler: Rolle «chef» ist unbekannt (erlaubt: admin, koordination, departementsleitung, regierungsrat).\n",
        ),
        (
            [
                "users",
                "add",
                "kim",
                "--role",
                "koordination",
                "--name",
                "Kim",
                "--fields",
                "AF10",
                "--departments",
                "XY",
            ],
            None,
            "Fehler: Aktionsfeld «AF10» gibt es nicht (vorhanden: AF1, AF2, AF3, AF4, AF5, AF6, AF7, AF8, AF9).\n"
            "Fehler: Departement «XY» gibt es nicht (vorhanden: BKD, BUWD, FD, GSD, JSD, STK).\n",
        ),
        (
            ["users", "add", "anna", "--role", "admin", "--name", "Anna", "--password-stdin"],
            "",
            "Fehler: Kein Passwort erhalten: mit --password-stdin das Passwort als erste Zeile übergeben.\n",
        ),
        (
            ["users", "add", "anna", "--role", "admin", "--name", "Anna", "--password-stdin"],
            "kurz\n",
            "Fehler: Das Passwort muss mindestens 10 Zeichen lang sein.\n",
        ),
        (
            ["users", "password", "niemand", "--password-stdin"],
            f"{PASSWORD}\n",
            "Fehler: Benutzer «niemand» gibt es nicht.\n",
        ),
        (
            ["users", "password", "niemand"],
            None,
            "Fehler: Bitte das Passwort mit --password-stdin übergeben: python -m tracking users password niemand "
            "--password-stdin\n",
        ),
        (["users", "disable", "niemand"], None, "Fehler: Benutzer «niemand» gibt es nicht.\n"),
        (
            ["users", "change", "niemand"],
            None,
            "Fehler: Nichts zu ändern: bitte mindestens eine Angabe machen "
            "(--role, --name, --fields, --departments, --home-department, --email).\n",
        ),
        (
            ["audit", "--since", "01.02.2026", "--until", "31.01.2026"],
            None,
            "Fehler: --since 01.02.2026 liegt nach --until 31.01.2026.\n",
        ),
    ],
)
def test_cli_failures_exit_1_with_german_messages(cli_strategy, capsys, monkeypatch, args, stdin, message):
    before = counts(make_engine(cli_strategy))
    code, out, err = run(capsys, monkeypatch, *args, stdin=stdin)
    assert (code, out, err) == (1, "", message)
    assert counts(make_engine(cli_strategy)) == before


def test_cli_audit_text_and_excel(cli_strategy, capsys, monkeypatch, tmp_path):
    run(capsys, monkeypatch, "--user", "Fachstelle", "periods", "close", "2026-H2")
    run(capsys, monkeypatch, "users", "add", "rita", "--role", "regierungsrat", "--name", "Rita Rat")
    run(capsys, monkeypatch, "users", "add", "dora", "--role", "departementsleitung", "--name", "Dora D")
    code, out, _ = run(capsys, monkeypatch, "audit", "--user", "fachstelle")
    assert code == 0
    lines = out.splitlines()
    # Closing changed the period and froze its sums per goal (tracking/frozen.py).
    assert len(lines) == 3 and lines[-1] == "2 Einträge."
    assert "  Fachstelle  Periode geschlossen (cli)  Berichtsperiode 2026-H2: geändert  " in lines[0]
    assert '"is_open":true' in lines[0] and lines[0].endswith('"name":"2026-H2","start_date":"2026-07-01"}')
    assert "  Fachstelle  Periode geschlossen (cli)  Summen je Ziel 2026-H2: neu  – → {" in lines[1]

    code, out, _ = run(
        capsys, monkeypatch, "audit", "--action", "user", "--since", dt.date.today().strftime("%d.%m.%Y")
    )
    assert out.splitlines()[-1] == "2 Einträge."
    assert "cli-test  Benutzer (cli)  Benutzerkonto rita: neu  – → {" in out

    assert run(capsys, monkeypatch, "audit", "--until", "31.12.2000")[1] == (
        "Keine Einträge im Protokoll für diese Auswahl.\n"
    )

    target = tmp_path / "protokoll.xlsx"
    code, out, _ = run(capsys, monkeypatch, "audit", "--text", "rita", "-o", str(target))
    assert (code, out) == (0, f"Protokoll mit 1 Eintrag gespeichert: {target}\n")
    ws = load_workbook(target)["Protokoll"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == AUDIT_COLUMNS and len(rows) == 2
    assert rows[1][2:8] == ["cli-test", "Benutzer", "cli", "Benutzerkonto", "rita", "neu"]


@pytest.mark.parametrize(
    "args",
    [
        ["users"],
        ["users", "list"],
        ["users", "add"],
        ["users", "password"],
        ["users", "disable"],
        ["users", "enable"],
        ["users", "change"],
        ["audit"],
    ],
)
def test_cli_help(capsys, args):
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith(f"Aufruf: python -m tracking {' '.join(args)}")
