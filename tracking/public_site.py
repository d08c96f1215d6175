"""The public site's addresses and what each answers; server.py only hands them over.

/oeffentlich                     the page (?periode=2025-H2 for an earlier closed period)
/oeffentlich/daten.zip           every open-data file of a period, zipped (?periode=…)
/oeffentlich/daten/<file>        one file of the newest release (CSV, README.md, datapackage.json, dcat.ttl/.rdf)
                                 (?periode=… that of an earlier one)
/oeffentlich/massnahme/<code>    a public measure's permanent address: to its row on the page

Anything else under /oeffentlich, an internal measure's code and a period not
published answer 404 with the same German page: a visitor cannot tell an
internal measure from one that does not exist. The release of a period is kept
until the next write to the database (tracking.reports.last_write_id).
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.opendata import DATA_PATH, MEASURE_PATH, PUBLIC_PATH, public_base_url, release_files, zip_bytes
from tracking.public import PublicView, page_enabled, public_view
from tracking.public_page import not_found_page, public_page
from tracking.reports import last_write_id

MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".json": "application/json",
    ".md": "text/markdown; charset=utf-8",
    ".ttl": "text/turtle; charset=utf-8",
    ".rdf": "application/rdf+xml",
    ".zip": "application/zip",
}
SWITCHED_OFF = "Die öffentliche Seite ist in dieser Installation ausgeschaltet."
NOT_FOUND = "Diese Seite gibt es nicht."
UNAVAILABLE = "Die Daten sind im Moment nicht erreichbar. Bitte später noch einmal versuchen."


@dataclass
class Answer:
    status: int
    body: str | bytes = ""
    media_type: str = "text/html"
    headers: dict[str, str] = field(default_factory=dict)
    redirect: str | None = None


@dataclass
class _Release:
    view: PublicView | None
    files: dict[str, bytes] | None = None  # built on the first download


_cache: dict[tuple, _Release] = {}
_lock = threading.Lock()


def _release(engine: Engine, period: str | None, base: str) -> _Release:
    """The view (and files) of a period, kept until the database is written to."""
    with transaction(engine) as session:
        key = (str(engine.url), period, base, last_write_id(session))
        with _lock:
            if key in _cache:
                return _cache[key]
        release = _Release(public_view(session, period))
    with _lock:
        # Only the newest state is worth keeping (its periods, its addresses).
        for stale in [k for k in _cache if k[3] != key[3]]:
            del _cache[stale]
        _cache[key] = release
    return release


def _files(release: _Release, base: str) -> dict[str, bytes]:
    if release.files is None:
        release.files = release_files(release.view, base, dt.datetime.now())
    return release.files


def answer(engine: Engine, path: str, period: str | None = None, *, fallback_url: str = "", environ=None) -> Answer:
    """What the public site answers at path (with ?periode=period)."""
    if not page_enabled(environ):
        return Answer(404, not_found_page(SWITCHED_OFF))
    path = path.rstrip("/") or "/"
    try:
        base = public_base_url(environ, fallback=fallback_url)
        release = _release(engine, period or None, base)
    except TrackingError as exc:  # a period not published: the same answer as any unknown address
        return Answer(404, not_found_page(f"{NOT_FOUND} {exc.messages[0]}"))
    except SQLAlchemyError:  # the database is away: a German page, not a server error
        return Answer(503, not_found_page(UNAVAILABLE, title="Nicht erreichbar"))
    view = release.view
    if path == PUBLIC_PATH:
        return Answer(200, public_page(view))
    if view is None:
        return Answer(404, not_found_page("Noch keine Berichtsperiode ist abgeschlossen: noch keine Daten."))
    if path == f"{DATA_PATH}.zip":
        name = f"digitaler-wandel-{view.period}.zip"
        return Answer(
            200,
            zip_bytes(_files(release, base)),
            MEDIA_TYPES[".zip"],
            {"Content-Disposition": f'attachment; filename="{name}"'},
        )
    if path.startswith(DATA_PATH + "/"):
        name = path.removeprefix(DATA_PATH + "/")
        files = _files(release, base)
        if name in files:
            suffix = name[name.rfind(".") :]
            return Answer(200, files[name], MEDIA_TYPES[suffix])
    if path.startswith(MEASURE_PATH + "/"):
        code = path.removeprefix(MEASURE_PATH + "/").upper()
        # Its row in the newest period that lists it (one that ended or was retired earlier).
        listed = view.reports.loc[view.reports["code"] == code, "period"]
        if len(listed):
            shown = listed.iloc[-1]
            query = "" if shown == view.period else f"?periode={shown}"
            return Answer(303, redirect=f"{PUBLIC_PATH}{query}#massnahme-{code}")
    return Answer(404, not_found_page(NOT_FOUND))
