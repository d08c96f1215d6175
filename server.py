"""The server: the dashboard (dashboard.py), the two routes of the sign-in cookie, the public page.

`streamlit run server.py` serves it. A Streamlit page cannot set an HttpOnly cookie, so
the sign-in page sends the browser to /sitzung/beginnen with a one-time ticket; the
route sets the cookie and sends it back (tracking.web_sessions explains the rest).

/oeffentlich and its files need no sign-in: plain HTML and the open data, built by
tracking.public_page and tracking.opendata from tracking.public's view (nothing else).
TRACKING_PUBLIC_PAGE=aus switches them off.
"""

from __future__ import annotations

import streamlit as st
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from streamlit.runtime.pages_manager import PagesManager

from pages import data
from tracking import public_site, web_sessions

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


def public(request: Request) -> Response:
    """/oeffentlich and everything under it: the page, the files, a measure's address."""
    answer = public_site.answer(
        data.engine(),
        request.url.path,
        request.query_params.get("periode"),
        fallback_url=str(request.base_url),
    )
    if answer.redirect:
        return RedirectResponse(answer.redirect, status_code=303)
    if answer.media_type == "text/html":
        return HTMLResponse(answer.body, status_code=answer.status)
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=answer.headers)


app = st.App(
    "dashboard.py",
    routes=[
        Route(web_sessions.START_PATH, begin),
        Route(web_sessions.END_PATH, finish),
        Route(public_site.PUBLIC_PATH, public),
        Route(public_site.PUBLIC_PATH + "/{rest:path}", public),
        Route(public_site.DATA_PATH + ".zip", public),
    ],
)
