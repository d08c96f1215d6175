"""Sign-ins that survive a reload and a new tab (local accounts and demo roles).

A page cannot set an HttpOnly cookie itself, so a sign-in takes two steps:
the sign-in page starts a session here and gets a one-time ticket (valid
TICKET_SECONDS); it sends the browser to the server's /sitzung/beginnen route
(server.py), which claims the ticket, sets the cookie (the token and its
HMAC signature, HttpOnly) and sends the browser back. Every later page run
resumes the session from the cookie. The server keeps only hashes of ticket
and token; sign-out, TRACKING_SESSION_MINUTES without activity and a disabled
or deleted account end the session here, whatever the browser still holds.

Single sign-on needs none of this: Streamlit's own sign-in cookie carries it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from tracking.access import Actor
from tracking.db import transaction
from tracking.models import WebSession, local_now
from tracking.users import AccountInactive, current_actor, session_minutes

COOKIE_NAME = "tracking_sitzung"
START_PATH = "/sitzung/beginnen"
END_PATH = "/sitzung/beenden"
TICKET_SECONDS = 60
# last_seen_at is written at most this often (not on every click), so the timeout is this exact.
TOUCH_EVERY = dt.timedelta(seconds=60)

# Without TRACKING_COOKIE_SECRET the key is made at start: a restart then signs everyone out.
_process_key = secrets.token_bytes(32)


def _key() -> bytes:
    configured = os.environ.get("TRACKING_COOKIE_SECRET", "")
    return configured.encode() if configured else _process_key


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _sign(token: str) -> str:
    return hmac.new(_key(), token.encode(), hashlib.sha256).hexdigest()


def cookie_value(token: str) -> str:
    return f"{token}.{_sign(token)}"


def token_of(cookie: str | None) -> str | None:
    """The token of a cookie whose signature is right; None for anything else."""
    if not isinstance(cookie, str):
        return None
    token, _, signature = cookie.partition(".")
    if not token or not hmac.compare_digest(signature, _sign(token)):
        return None
    return token


def start(session: Session, actor: Actor, *, now: dt.datetime | None = None) -> str:
    """A new session for the actor who just signed in; returns its one-time ticket."""
    now = now or local_now()
    ticket = secrets.token_urlsafe(32)
    demo = None
    if actor.username is None:
        demo = dict(
            name=actor.name,
            role=actor.role,
            fields=sorted(actor.fields),
            departments=sorted(actor.departments),
            home_department=actor.home_department,
        )
    session.add(
        WebSession(
            ticket_hash=_hash(ticket),
            username=actor.username,
            demo_actor=demo,
            created_at=now,
            last_seen_at=now,
        )
    )
    return ticket


def claim(session: Session, ticket: str, *, now: dt.datetime | None = None) -> str | None:
    """The session's token for a fresh, unused ticket (the ticket is spent); None otherwise."""
    now = now or local_now()
    row = session.scalar(select(WebSession).where(WebSession.ticket_hash == _hash(ticket or "")))
    if row is None:
        return None
    row.ticket_hash = None
    if row.ended_at is not None or now - row.created_at > dt.timedelta(seconds=TICKET_SECONDS):
        return None
    token = secrets.token_urlsafe(32)
    row.token_hash = _hash(token)
    row.last_seen_at = now
    return token


def resume(session: Session, cookie: str | None, *, now: dt.datetime | None = None) -> Actor | None:
    """The actor of the cookie's session, read afresh; None when there is no live session.

    AccountInactive (German) when the account was disabled or deleted, or the demo data
    removed; the session is ended then, as it is after the inactivity timeout (catch it inside
    the transaction, so that the end is committed).
    """
    now = now or local_now()
    token = token_of(cookie)
    row = None if token is None else session.scalar(select(WebSession).where(WebSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=session_minutes()):
        row.ended_at = now
        return None
    if row.demo_actor is not None:
        demo = row.demo_actor
        who: Actor | str = Actor(
            **{**demo, "fields": frozenset(demo["fields"]), "departments": frozenset(demo["departments"])}
        )
    else:
        who = row.username or ""
    try:
        actor = current_actor(session, who)
    except AccountInactive:
        row.ended_at = now
        raise
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return actor


def end(session: Session, cookie: str | None, *, now: dt.datetime | None = None) -> None:
    """Sign-out: the cookie's session ends (a cookie of no live session changes nothing)."""
    token = token_of(cookie)
    if token is not None:
        session.execute(
            update(WebSession)
            .where(WebSession.token_hash == _hash(token), WebSession.ended_at.is_(None))
            .values(ended_at=now or local_now())
        )


# --- the server's two routes (server.py), each one transaction ---------------------------


def cookie_for_ticket(engine: Engine, ticket: str) -> str | None:
    """/sitzung/beginnen: the cookie value for a fresh ticket (the ticket spent); None otherwise."""
    with transaction(engine, write=True) as session:
        token = claim(session, ticket)
    return None if token is None else cookie_value(token)


def end_cookie(engine: Engine, cookie: str | None) -> None:
    """/sitzung/beenden: the cookie's session ends."""
    with transaction(engine, write=True) as session:
        end(session, cookie)
