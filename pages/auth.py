"""Who is signed in: the session's actor, single sign-on, session expiry, and the pages' one way
to write (write(), with the actor read afresh)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from urllib.parse import urlencode, urlsplit

import streamlit as st

from pages import data
from pages.sidebar import DEPARTMENT_KEY, FIELD_KEY
from pages.text import md_text
from tracking import web_sessions
from tracking.access import ROLES, Actor
from tracking.errors import TrackingError
from tracking.users import AccountInactive, actor_for_email, current_actor, session_minutes

ACTOR_KEY = "angemeldet"
LAST_SEEN_KEY = "zuletzt_aktiv"
EXPIRED_KEY = "sitzung_abgelaufen"
# The e-mail a single sign-on mapped to the account: it must still be the account's.
SSO_EMAIL_KEY = "sso_email"
# Why the session was ended (account disabled or deleted), shown on the sign-in page.
SIGNED_OUT_KEY = "abgemeldet_weil"
# The one-time ticket a fresh sign-in hands the browser for its cookie (tracking.web_sessions),
# and the cookie the session was resumed from.
TICKET_KEY = "sitzung_ticket"
COOKIE_KEY = "sitzung_cookie"
FORGET_KEY = "sitzung_cookie_loeschen"
ADDRESS_KEY = "sitzung_adresse"


def sso_configured() -> bool:
    """Single sign-on is on when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sign_in(actor: Actor, *, remember: bool = False) -> None:
    """Sign the session in; remember: also the browser (a cookie, so that a reload or a new tab
    stays signed in), for a password or demo sign-in."""
    if remember:
        with data.write_transaction() as session:
            st.session_state[TICKET_KEY] = web_sessions.start(session, actor)
    st.session_state[ACTOR_KEY] = actor
    st.session_state[LAST_SEEN_KEY] = dt.datetime.now()
    st.session_state.pop(EXPIRED_KEY, None)
    # A department head's Departemente page opens on the own department, a coordinator's
    # Aktionsfelder page on the first own field (unless the link chose one).
    if actor.role == "departementsleitung" and actor.home_department and DEPARTMENT_KEY not in st.query_params:
        st.session_state[DEPARTMENT_KEY] = actor.home_department
    if actor.role == "koordination" and FIELD_KEY not in st.query_params:
        known = [code for code in data.structure().fields["field_code"] if code in actor.fields]
        if known:
            st.session_state[FIELD_KEY] = known[0]


def _address() -> str:
    """This page's path and query (?periode=…), to come back to."""
    query = urlencode(st.query_params.to_dict())
    return (urlsplit(st.context.url or "").path or "/") + (f"?{query}" if query else "")


def hand_over_cookie() -> None:
    """Right after a password or demo sign-in, send the browser for its cookie; right after
    «Abmelden», to have it deleted. Either way the browser comes back to the page it showed
    the run before (the sign-in page still has the link's filters; the first run after it may not)."""
    ticket = st.session_state.pop(TICKET_KEY, None)
    forget = st.session_state.pop(FORGET_KEY, False)
    back = st.session_state.get(ADDRESS_KEY) or _address()
    st.session_state[ADDRESS_KEY] = _address()
    if ticket is not None:
        target = f"{web_sessions.START_PATH}?{urlencode({'ticket': ticket, 'weiter': back})}"
    elif forget:
        target = f"{web_sessions.END_PATH}?{urlencode({'weiter': back})}"
    else:
        return
    st.html(f"<script>window.location.replace({json.dumps(target)});</script>", unsafe_allow_javascript=True)


def _browser_cookie() -> str | None:
    cookie = st.context.cookies.get(web_sessions.COOKIE_NAME)
    return cookie if isinstance(cookie, str) else None  # AppTest has no browser and no cookies


def _resume_from_cookie(actor: Actor | None) -> Actor | None:
    """The actor of the browser's sign-in cookie (a reload, a new tab); the session's own actor
    when the browser holds none. A session that came from the cookie ends with it: signed out
    in another tab, timed out, or the account disabled."""
    cookie = _browser_cookie()
    if not cookie or st.session_state.get(FORGET_KEY):  # no cookie, or signed out here just now
        return actor
    if actor is not None and st.session_state.get(COOKIE_KEY) != cookie:  # signed in anew here
        return actor
    with data.write_transaction() as session:
        try:
            resumed = web_sessions.resume(session, cookie)
        except AccountInactive as exc:  # caught here: the session's end is committed
            ended = exc
        else:
            ended = None
    if ended is not None:
        _end_session(ended, during_write=False)
        return None
    if resumed is None:  # timed out, or signed out in another tab: the cookie no longer counts
        sign_out()
        st.session_state[EXPIRED_KEY] = True
        return None
    if actor is None:
        sign_in(resumed)
        st.session_state[COOKIE_KEY] = cookie
    return resumed


def sign_out(*, forget_browser: bool = False) -> None:
    """End the session (and its cookie's, on the server); forget_browser («Abmelden»): also have
    the browser delete the cookie, so that the next visit starts at the sign-in quietly."""
    if forget_browser and st.session_state.get(COOKIE_KEY):
        st.session_state[FORGET_KEY] = True
    if st.session_state.get(COOKIE_KEY):
        with data.write_transaction() as session:
            web_sessions.end(session, st.session_state[COOKIE_KEY])
    for key in (ACTOR_KEY, LAST_SEEN_KEY, SSO_EMAIL_KEY, COOKIE_KEY, TICKET_KEY):
        st.session_state.pop(key, None)
    if sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()
        # Stop rather than rerun: a rerun clears the queue of messages not yet sent, and with it
        # now and then the redirect to the provider's sign-out (the session stayed signed in).
        st.stop()


def signed_in() -> Actor | None:
    """The signed-in actor; None after TRACKING_SESSION_MINUTES without activity."""
    actor = _resume_from_cookie(st.session_state.get(ACTOR_KEY))
    now = dt.datetime.now()
    if actor is None and sso_configured() and getattr(st.user, "is_logged_in", False):
        with data.write_transaction() as session:
            try:
                actor = actor_for_email(session, st.user.get("email", ""))
            except TrackingError as exc:
                st.session_state["sso_fehler"] = " ".join(exc.messages)
                return None
        sign_in(actor)
        st.session_state[SSO_EMAIL_KEY] = st.user.get("email", "")
    if actor is None and data.store_facts().demo and os.environ.get("TRACKING_DEMO_ROLE") in ROLES:
        # Kiosk and benchmark use: only while demo data is loaded, like the demo picker.
        role = os.environ["TRACKING_DEMO_ROLE"]
        actor = Actor(name=f"Demo {ROLES[role]}", role=role)
        sign_in(actor)
    if actor is None:
        return None
    last = st.session_state.get(LAST_SEEN_KEY, now)
    if now - last > dt.timedelta(minutes=session_minutes()):
        sign_out()
        st.session_state[EXPIRED_KEY] = True
        return None
    st.session_state[LAST_SEEN_KEY] = now
    # Re-read on every run: a disabled account ends here, a new role or scope applies now.
    try:
        with data.read() as session:
            actor = current_actor(
                session, actor, demo_loaded=data.store_facts().demo, email=st.session_state.get(SSO_EMAIL_KEY)
            )
    except AccountInactive as exc:
        _end_session(exc, during_write=False)
        return None
    st.session_state[ACTOR_KEY] = actor
    return actor


def _end_session(exc: AccountInactive, *, during_write: bool) -> None:
    sign_out()
    saved = " Nichts wurde gespeichert." if during_write else ""
    st.session_state[SIGNED_OUT_KEY] = f"{' '.join(exc.messages)}{saved} Sie wurden abgemeldet."


def actor() -> Actor | None:
    return st.session_state.get(ACTOR_KEY)


@contextlib.contextmanager
def write():
    """The write transaction of every page, with the signed-in actor read afresh from the database:
    yields (session, actor).

    Pages write only through here and hand the library the actor it yields, never
    the one in the session state: an account disabled, or a role or scope changed,
    since the page was drawn counts for this write. A disabled or deleted account
    writes nothing and is signed out (the page starts again at the sign-in).
    """
    current = actor()
    if current is None:
        raise TrackingError("Nicht angemeldet. Nichts wurde gespeichert.")
    with data.write_transaction() as session:
        try:
            fresh = current_actor(session, current, email=st.session_state.get(SSO_EMAIL_KEY))
        except AccountInactive as exc:
            ended = exc
        else:
            st.session_state[ACTOR_KEY] = fresh
            yield session, fresh
            return
    _end_session(ended, during_write=True)
    st.rerun()


def identity_box(current: Actor) -> None:
    st.sidebar.markdown(f"**{md_text(current.name)}**  \n{current.role_label}")
    if current.role == "koordination":
        st.sidebar.caption(f"Geltungsbereich: {md_text(current.scope_label)}")
    if st.sidebar.button("Abmelden", icon=":material/logout:"):
        sign_out(forget_browser=True)
        st.rerun()
