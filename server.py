"""The server: the dashboard (dashboard.py) and the two routes of the sign-in cookie.

`streamlit run server.py` serves it. A Streamlit page cannot set an HttpOnly cookie, so
the sign-in page sends the browser to /sitzung/beginnen with a one-time ticket; the
route sets the cookie and sends it back (tracking.web_sessions explains the rest).
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from pages import data
from tracking import web_sessions

# pages/ holds our page scripts and their helpers, not Streamlit's old pages folder; left to
# guess, Streamlit treats it as one in the first session after a start and shows that session
# an English «Page not found» for any deep link. dashboard.py's st.navigation says the same on
# every run, but only after the first one.
PagesManager.uses_pages_directory = False


def _back_to(request: Request) -> str:
    """Where to send the browser back: a path of this site only (never //host or a full URL)."""
    target = request.query_params.get("weiter", "/")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def begin(request: Request) -> RedirectResponse:
    cookie = web_sessions.cookie_for_ticket(data.engine(), request.query_params.get("ticket", ""))
    response = RedirectResponse(_back_to(request), status_code=303)
    if cookie is not None:
        response.set_cookie(
            web_sessions.COOKIE_NAME,
            cookie,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def finish(request: Request) -> RedirectResponse:
    web_sessions.end_cookie(data.engine(), request.cookies.get(web_sessions.COOKIE_NAME))
    response = RedirectResponse(_back_to(request), status_code=303)
    response.delete_cookie(web_sessions.COOKIE_NAME, path="/")
    return response


app = st.App(
    "dashboard.py",
    routes=[Route(web_sessions.START_PATH, begin), Route(web_sessions.END_PATH, finish)],
)
