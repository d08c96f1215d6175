"""User accounts: create and change them, check passwords, throttle guessing.

Passwords are hashed with argon2id. After MAX_FAILED_ATTEMPTS wrong passwords
in a row an account is locked for LOCK_MINUTES. A name without an account is
counted and locked the same way, so neither the messages nor the lock tell
whether a user name exists.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.access import ROLES, AccessDenied, Actor, require
from tracking.audit import WriteLog, snapshot
from tracking.errors import TrackingError
from tracking.models import ActionField, Department, Measure, SignInThrottle, UserAccount, local_now
from tracking.text_rules import text_problem

MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
FORGET_UNKNOWN_AFTER = dt.timedelta(hours=24)
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,99}$")
# Never written to the audit trail.
USER_FIELDS = [
    "username",
    "display_name",
    "role",
    "scope_fields",
    "scope_departments",
    "home_department",
    "email",
    "active",
]

_hasher = PasswordHasher()
# Verified against when there is no usable hash (unknown, disabled or SSO-only name), so
# that every sign-in does the same argon2 work; made on first use with the current settings.
_dummy_hash: str | None = None


def session_minutes() -> int:
    """Inactivity after which a signed-in session ends (TRACKING_SESSION_MINUTES, default 30)."""
    try:
        return max(1, int(os.environ.get("TRACKING_SESSION_MINUTES", "30")))
    except ValueError:
        return 30


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise TrackingError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang sein.")


def actor_for(user: UserAccount) -> Actor:
    return Actor(
        name=user.display_name,
        role=user.role,
        fields=frozenset(user.scope_fields or []),
        departments=frozenset(user.scope_departments or []),
        home_department=user.home_department,
        username=user.username,
    )


@dataclass
class UserSpec:
    username: str
    display_name: str
    role: str
    scope_fields: list[str]
    scope_departments: list[str]
    home_department: str | None = None
    email: str | None = None


def _email(value: str | None) -> str | None:
    """E-mail as stored: trimmed, lower case, None when empty (never matches a sign-in)."""
    value = (value or "").strip().lower()
    return value or None


def _check_email_free(session: Session, email: str | None, username: str) -> None:
    if email is None:
        return
    other = session.scalar(select(UserAccount).where(UserAccount.email == email, UserAccount.username != username))
    if other is not None:
        raise TrackingError(f"Die E-Mail «{email}» gehört bereits zum Konto «{other.username}».")


def _validate(spec: UserSpec) -> None:
    problems = []
    if not USERNAME.match(spec.username or ""):
        problems.append(
            f"Benutzername «{spec.username}» ist ungültig: 2 bis 100 Zeichen, Kleinbuchstaben, Ziffern, . _ -"
        )
    if not (spec.display_name or "").strip():
        problems.append("Der Name (Anzeige) fehlt.")
    if spec.role not in ROLES:
        problems.append(f"Rolle «{spec.role}» ist unbekannt (erlaubt: {', '.join(ROLES)}).")
    if spec.role == "koordination" and not (spec.scope_fields or spec.scope_departments):
        problems.append("Eine Koordination braucht einen Geltungsbereich: Aktionsfelder und/oder Departemente.")
    for label, value, kind in (("Der Name", spec.display_name, "display_name"), ("Die E-Mail", spec.email, "email")):
        if message := text_problem(value, kind):
            problems.append(f"{label} {message}")
    if spec.email and "@" not in spec.email and not text_problem(spec.email, "email"):
        problems.append(f"E-Mail «{spec.email}» ist ungültig.")
    if problems:
        raise TrackingError(problems)


def check_codes(
    session: Session,
    fields: Iterable[str] = (),
    departments: Iterable[str] = (),
    home_department: str | None = None,
) -> None:
    """TrackingError (German, one message per unknown code) unless every action field and
    department exists; home_department counts as one more department."""
    fields = list(fields)
    departments = [*departments, *([home_department] if home_department else [])]
    problems = []
    if fields:
        known = list(session.scalars(select(ActionField.code).order_by(ActionField.position)))
        problems += [
            f"Aktionsfeld «{c}» gibt es nicht (vorhanden: {', '.join(known) or 'keine'})."
            for c in fields
            if c not in known
        ]
    if departments:
        known = list(session.scalars(select(Department.code).order_by(Department.code)))
        problems += [
            f"Departement «{c}» gibt es nicht (vorhanden: {', '.join(known) or 'keine'})."
            for c in departments
            if c not in known
        ]
    if problems:
        raise TrackingError(problems)


def get_user(session: Session, username: str) -> UserAccount:
    user = session.scalar(select(UserAccount).where(UserAccount.username == username.strip().lower()))
    if user is None:
        raise TrackingError(f"Benutzer «{username}» gibt es nicht.")
    return user


def list_users(session: Session) -> list[UserAccount]:
    return list(session.scalars(select(UserAccount).order_by(UserAccount.username)))


def scope_text(user: UserAccount) -> str:
    """What an account sees preselected or may write: «alle Massnahmen» (admin), its fields and
    departments (koordination), «Departement GSD» (departementsleitung), else «–»."""
    if user.role in ("admin", "koordination"):
        return actor_for(user).scope_label
    if user.role == "departementsleitung" and user.home_department:
        return f"Departement {user.home_department}"
    return "–"


def role_and_scope(user: UserAccount) -> str:
    """«Koordination, AF1, AF5»; the role alone when there is no scope to tell."""
    role = ROLES.get(user.role, user.role)
    scope = scope_text(user)
    return role if scope == "–" else f"{role}, {scope}"


USER_LIST_COLUMNS = ["Benutzername", "Name", "Rolle", "Geltungsbereich", "Status", "Letzte Anmeldung"]


def user_rows(session: Session) -> list[list[str]]:
    """Every account by name, as text under USER_LIST_COLUMNS (the list of `python -m tracking users list`)."""
    return [
        [
            u.username,
            u.display_name,
            ROLES.get(u.role, u.role),
            scope_text(u),
            "aktiv" if u.active else "deaktiviert",
            fmt.datetime(u.last_login_at) if u.last_login_at else "nie",
        ]
        for u in list_users(session)
    ]


def create_user(
    session: Session,
    spec: UserSpec,
    *,
    password: str | None,
    actor: Actor | str,
    source: str = "cli",
    active: bool = True,
) -> UserAccount:
    acting = require(actor, "users")
    spec.username = (spec.username or "").strip().lower()
    _validate(spec)
    if session.scalar(select(UserAccount).where(UserAccount.username == spec.username)):
        raise TrackingError(f"Benutzer «{spec.username}» gibt es bereits.")
    if password is not None:
        check_password_rules(password)
    _check_email_free(session, _email(spec.email), spec.username)
    user = UserAccount(
        username=spec.username,
        display_name=spec.display_name.strip(),
        role=spec.role,
        scope_fields=sorted(set(spec.scope_fields)),
        scope_departments=sorted(set(spec.scope_departments)),
        home_department=spec.home_department,
        email=_email(spec.email),
        password_hash=hash_password(password) if password else None,
        active=active,
        failed_attempts=0,
    )
    session.add(user)
    session.flush()
    log = WriteLog(session, actor=acting, source=source, action="user")
    log.change("user_account", user.username, "insert", after=snapshot(user, USER_FIELDS))
    return user


def update_user(session: Session, username: str, *, actor: Actor | str, source: str = "cli", **changes) -> bool:
    """Change role, scope, name, e-mail or active; returns False when nothing changed."""
    acting = require(actor, "users")
    user = get_user(session, username)
    before = snapshot(user, USER_FIELDS)
    spec = UserSpec(
        username=user.username,
        display_name=changes.get("display_name", user.display_name),
        role=changes.get("role", user.role),
        scope_fields=changes.get("scope_fields", user.scope_fields or []),
        scope_departments=changes.get("scope_departments", user.scope_departments or []),
        home_department=changes.get("home_department", user.home_department),
        email=changes.get("email", user.email),
    )
    _validate(spec)
    if acting.username == user.username and changes.get("active") is False:
        raise TrackingError("Das eigene Konto kann nicht deaktiviert werden.")
    stays_admin = changes.get("active", user.active) and changes.get("role", user.role) == "admin"
    if user.role == "admin" and user.active and not stays_admin and _active_admins(session) == [user.username]:
        raise TrackingError(
            f"«{user.username}» ist die letzte aktive Administration: zuerst eine andere Person zur "
            "Administration machen, sonst kann niemand mehr Benutzer verwalten."
        )
    if "email" in changes:
        changes["email"] = _email(changes["email"])
        _check_email_free(session, changes["email"], user.username)
    for key, value in changes.items():
        if key in ("scope_fields", "scope_departments"):
            value = sorted(set(value))
        setattr(user, key, value)
    after = snapshot(user, USER_FIELDS)
    if after == before:
        return False
    session.flush()
    log = WriteLog(session, actor=acting, source=source, action="user")
    log.change("user_account", user.username, "update", before=before, after=after)
    return True


def save_user(
    session: Session,
    spec: UserSpec,
    *,
    actor: Actor | str,
    password: str | None = None,
    active: bool = True,
    source: str = "cli",
) -> tuple[UserAccount, bool]:
    """Create the account spec.username, or bring the existing one to spec and active (a form
    that shows every field, as in pages/administration.py). A password, when given, is set
    (on an existing account: anew, lifting a lock). Codes are checked (check_codes).
    Returns the account and whether it was created."""
    require(actor, "users")
    username = (spec.username or "").strip().lower()
    check_codes(session, spec.scope_fields, spec.scope_departments, spec.home_department)
    if session.scalar(select(UserAccount.id).where(UserAccount.username == username)) is None:
        return create_user(session, spec, password=password or None, actor=actor, source=source, active=active), True
    update_user(
        session,
        username,
        actor=actor,
        source=source,
        display_name=spec.display_name,
        role=spec.role,
        scope_fields=spec.scope_fields,
        scope_departments=spec.scope_departments,
        home_department=spec.home_department,
        email=spec.email,
        active=active,
    )
    if password:
        set_password(session, username, password, actor=actor, source=source)
    return get_user(session, username), False


def set_password(session: Session, username: str, password: str, *, actor: Actor | str, source: str = "cli") -> None:
    acting = require(actor, "users")
    check_password_rules(password)
    user = get_user(session, username)
    user.password_hash = hash_password(password)
    user.failed_attempts = 0
    user.locked_until = None
    log = WriteLog(session, actor=acting, source=source, action="user")
    # The hash itself never goes into the audit trail.
    log.change("user_account", user.username, "update", before={"password": "…"}, after={"password": "neu gesetzt"})


class SignInFailed(TrackingError):
    pass


WRONG = "Benutzername oder Passwort ist falsch."


def authenticate(session: Session, username: str, password: str, *, now: dt.datetime | None = None) -> Actor:
    """The actor for a correct password; SignInFailed (German) otherwise. Counts failures.

    Every path verifies one argon2 hash (the account's, or a dummy one for an unknown,
    disabled, SSO-only name), locked or not: the time taken does not tell whether a name exists.
    """
    now = now or local_now()
    name = (username or "").strip().lower()[:100]
    user = session.scalar(select(UserAccount).where(UserAccount.username == name))
    usable = user is not None and user.active and bool(user.password_hash)
    matches = _verify(user.password_hash if usable else _dummy(), password or "")
    if not usable:
        # Same messages and lock as for an account: no hint whether the name exists.
        _count_failure(_throttle_for(session, name, now), now)
    if user.locked_until and user.locked_until > now:
        raise SignInFailed(_locked_until(user.locked_until))
    if not matches:
        _count_failure(user, now)
    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return actor_for(user)


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("kein Konto mit diesem Namen")
    return _dummy_hash


def _verify(password_hash: str, password: str) -> bool:
    """One argon2 verification; False for a wrong password or an unreadable hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _locked_until(until: dt.datetime) -> str:
    return f"Zu viele Fehlversuche: die Anmeldung ist bis {until:%H:%M} Uhr gesperrt."


def _throttle_for(session: Session, name: str, now: dt.datetime) -> SignInThrottle:
    """The failure count of a name without a usable account; a locked one refuses at once."""
    # Counts of a day ago are dropped, so that guessed names do not pile up.
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_failed_at < now - FORGET_UNKNOWN_AFTER))
    entry = session.get(SignInThrottle, name)
    if entry is None:
        entry = SignInThrottle(username=name, failed_attempts=0, last_failed_at=now)
        session.add(entry)
    elif entry.locked_until and entry.locked_until > now:
        raise SignInFailed(_locked_until(entry.locked_until))
    return entry


def _count_failure(entry: UserAccount | SignInThrottle, now: dt.datetime) -> None:
    """One more wrong password: lock after MAX_FAILED_ATTEMPTS in a row. Always raises."""
    entry.failed_attempts += 1
    if isinstance(entry, SignInThrottle):
        entry.last_failed_at = now
    if entry.failed_attempts >= MAX_FAILED_ATTEMPTS:
        entry.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
        entry.failed_attempts = 0
        raise SignInFailed(f"Zu viele Fehlversuche: die Anmeldung ist für {LOCK_MINUTES} Minuten gesperrt.")
    raise SignInFailed(WRONG)


def actor_for_email(session: Session, email: str) -> Actor:
    """Single sign-on: the tool's user with this e-mail; TrackingError if there is none."""
    address = _email(email)
    user = None if address is None else session.scalar(select(UserAccount).where(UserAccount.email == address))
    if user is None or not user.active:
        raise SignInFailed(
            f"Für «{email}» gibt es kein aktives Benutzerkonto in diesem Tool. Bitte die Fachstelle kontaktieren."
        )
    user.last_login_at = local_now()
    return actor_for(user)


class AccountInactive(AccessDenied):
    """The signed-in account was disabled or deleted (or demo data removed): the session ends."""


def current_actor(
    session: Session, who: Actor | str, *, demo_loaded: bool | None = None, email: str | None = None
) -> Actor:
    """The actor as the database has it now, for every page run and before every write from a page.

    who is a signed-in Actor or an account name. The account is read afresh (active, role,
    scope, display name); AccountInactive (German) when it is disabled or deleted. A demo
    role (an Actor without account) lasts only while demo data is loaded (demo_loaded, else
    asked of the database). email: for single sign-on, the address the person signed in
    with; the account must still carry it.
    """
    if isinstance(who, Actor) and who.username is None:
        if demo_loaded is None:
            demo_loaded = bool(session.scalar(select(exists().where(Measure.is_demo.is_(True)))))
        if not demo_loaded:
            raise AccountInactive("Die Demodaten sind nicht mehr geladen: die Demo-Anmeldung ist beendet.")
        return who
    username = who.username if isinstance(who, Actor) else who.strip().lower()
    user = session.scalar(select(UserAccount).where(UserAccount.username == username))
    if user is None or not user.active:
        raise AccountInactive(f"Das Benutzerkonto «{username}» ist nicht mehr aktiv.")
    if email is not None and user.email != _email(email):
        raise AccountInactive(f"Das Benutzerkonto «{username}» gehört nicht mehr zur E-Mail «{email}».")
    return actor_for(user)


def _active_admins(session: Session) -> list[str]:
    return list(
        session.scalars(select(UserAccount.username).where(UserAccount.role == "admin", UserAccount.active.is_(True)))
    )


def has_admin(session: Session) -> bool:
    return (
        session.scalar(select(UserAccount.id).where(UserAccount.role == "admin", UserAccount.active.is_(True)).limit(1))
        is not None
    )
