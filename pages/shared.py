"""What every page shares: the engine, cached data, the period choice, the banner.

Pages stay thin: they read through these loaders and call tracking/ for logic.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt
import os
import re
from collections.abc import Iterator

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking import rollup as ru
from tracking import schema
from tracking.access import ROLES, Actor
from tracking.bootstrap import freeze_missing_periods
from tracking.db import database_url, make_engine, transaction
from tracking.errors import TrackingError
from tracking.figures import PeriodFigures, department_lights, figures_trend, period_figures
from tracking.reports import last_report_texts, last_write_id, owing_reports
from tracking.scope import Scope
from tracking.tables import measure_display
from tracking.users import AccountInactive, actor_for_email, current_actor, session_minutes
from tracking.xlsx import tables_workbook

__all__ = ["database_url"]
from tracking.models import Measure, Strategy
from tracking.periods import Period, get_period, half_year_of

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#:!{}&])")
# At the start of a line: a list item («- », «+ », «1. »), a heading underline («===»).
LINE_START_MARKUP = re.compile(r"(?m)^([ \t]*)(\d*)([-+=.)])")
# What markdown turns into a link by itself (GFM autolinks): «https://…», «www.…», «name@host».
AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\.)|@(?=[\w-]))")
ZWJ = "\u200d"  # zero-width joiner: invisible, but no link starts across it


def md_text(text: object) -> str:
    """User-provided text for st.markdown, headings, captions, messages and help: shown as typed,
    never as markup, links or HTML.

    Markdown characters are escaped; a zero-width joiner after «://», «www» and
    «@» keeps markdown from making a link of a URL or e-mail (people read the same).
    """
    value = MARKDOWN_SPECIAL.sub(r"\\\1", "" if text is None else str(text))
    value = LINE_START_MARKUP.sub(r"\1\2\\\3", value)
    return AUTOLINK.sub(lambda m: m.group() + ZWJ, value)


PERIOD_KEY = "periode"


@st.cache_resource
def _engine(url: str) -> Engine:
    eng = make_engine(url)
    schema.upgrade(eng)
    freeze_missing_periods(eng, actor="Dashboard", source="Start des Dashboards")
    return eng


def engine() -> Engine:
    """One engine per process and database; the schema is brought up to date once, and closed
    periods without stored figures are frozen (the first use after an upgrade)."""
    return _engine(database_url())


# The loaders take the URL as an argument so that the cache is per database.
@st.cache_data(ttl=300, show_spinner="Daten werden geladen …")
def _snapshot(
    url: str,
    scope_kind: str = "all",
    scope_code: str | None = None,
    report_periods: tuple[str, ...] = (),
    measure_id: int | None = None,
) -> ru.Snapshot:
    """Measures and reports as a page needs them: one field's or department's, one period's (with
    the final reports carried into it), or one measure's; no page reads every measure's history."""
    with transaction(_engine(url)) as session:
        return ru.load_snapshot(
            session,
            scope=Scope(scope_kind, scope_code),
            report_periods=list(report_periods) or None,
            measure_id=measure_id,
        )


def measure_snapshot(measure_id: int) -> ru.Snapshot:
    """One measure with its whole history."""
    return _snapshot(database_url(), measure_id=measure_id)


@st.cache_data(ttl=300)
def _structure(url: str) -> ru.Snapshot:
    with transaction(_engine(url)) as session:
        return ru.load_snapshot(session, with_measures=False)


def structure() -> ru.Snapshot:
    """Strategy, departments and periods without measures and reports: cheap at any scale."""
    return _structure(database_url())


@st.cache_data(ttl=300, show_spinner="Kennzahlen werden berechnet …")
def _figures(url: str, period: str, as_of: dt.date | None) -> PeriodFigures:
    with transaction(_engine(url)) as session:
        return period_figures(session, _structure(url), period, as_of=as_of)


def figures(period: Period) -> PeriodFigures:
    """The overview's figures for a period, aggregated in SQL (tracking/figures.py)."""
    return _figures(database_url(), period.name, period.reference_day)


@st.cache_data(ttl=300)
def _store_facts(url: str) -> dict[str, object]:
    with transaction(_engine(url)) as session:
        strategy = session.scalar(select(Strategy).limit(1))
        return {
            "strategy": strategy.name if strategy else None,
            "goals_are_examples": bool(strategy and strategy.goals_are_examples),
            "demo": bool(session.scalar(select(exists().where(Measure.is_demo.is_(True))))),
        }


def store_facts() -> dict[str, object]:
    """Strategy name, whether goals are examples, whether demo data is loaded."""
    return _store_facts(database_url())


@st.cache_data(ttl=300, show_spinner="Kennzahlen werden berechnet …")
def _period_rollup(
    url: str, period: str, as_of: dt.date | None, scope_kind: str = "all", scope_code: str | None = None
) -> ru.PeriodRollup:
    # A period's roll-up needs its own reports and the final ones carried into it, not the whole history.
    return ru.rollup(_snapshot(url, scope_kind, scope_code, (period,)), period, as_of=as_of)


def period_rollup(period: Period, scope: Scope | None = None) -> ru.PeriodRollup:
    """The roll-up of the period; with a scope only its measures (see _snapshot)."""
    scope = scope or Scope()
    return _period_rollup(database_url(), period.name, period.reference_day, scope.kind, scope.code)


@st.cache_data(ttl=300, show_spinner="Kennzahlen werden berechnet …")
def _department_lights(url: str, period: str, as_of: dt.date | None) -> pd.DataFrame:
    with transaction(_engine(url)) as session:
        return department_lights(session, _structure(url), period, as_of=as_of)


def department_lights_of(period: Period) -> pd.DataFrame:
    """The lights of every lead department's measures, aggregated in SQL (any scale)."""
    return _department_lights(database_url(), period.name, period.reference_day)


@st.cache_data(ttl=300, show_spinner="Meldungen werden geladen …")
def _owing(url: str, period: str) -> pd.DataFrame:
    with transaction(_engine(url)) as session:
        return owing_reports(session, get_period(session, period))


def owing(period: str, scope: Scope) -> pd.DataFrame:
    """The measures owing a report in the period and scope, with what came in (SQL: any scale).
    Read once for every measure: the page's scopes are rows of it."""
    return scope.filter(_owing(database_url(), period))


@st.cache_data(ttl=300, show_spinner="Letzte Meldungen werden geladen …")
def _last_reports(url: str, period: str, measure_ids: tuple[int, ...]) -> dict[int, str]:
    with transaction(_engine(url)) as session:
        return last_report_texts(session, get_period(session, period), list(measure_ids))


def last_reports(period: str, measure_ids: list[int]) -> dict[int, str]:
    """measure_id -> the text of its last report before the period."""
    return _last_reports(database_url(), period, tuple(measure_ids))


@st.cache_data(ttl=300, show_spinner="Verlauf wird berechnet …")
def _trend(url: str, up_to: str) -> pd.DataFrame:
    with transaction(_engine(url)) as session:
        return figures_trend(session, _structure(url), up_to=up_to)


def trend(up_to: str) -> pd.DataFrame:
    return _trend(database_url(), up_to)


def release_memory() -> None:
    """Give memory freed during this run back to the system (glibc's malloc_trim).

    A page at country scale builds and drops frames of hundreds of MB; glibc
    keeps the freed pages, so without this the server's resident memory
    climbs with every page anyone opens. Elsewhere (no glibc) nothing happens.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def refresh() -> None:
    """Call after every write so that all pages show the new state."""
    st.cache_data.clear()


@st.cache_resource
def _seen_writes() -> dict[str, int]:
    """Per database, the newest write this process has shown (shared by its sessions)."""
    return {}


def follow_writes() -> None:
    """Drop the cached data when the database has a write this process has not seen yet.

    Called at the start of every page run: an upload through another app
    instance or the CLI shows on the next click, not only when the caches
    expire. Read before any cached loader, so data loaded after this check is
    never older than the write it was checked against.
    """
    url = database_url()
    with transaction(_engine(url)) as session:
        newest = last_write_id(session)
    seen = _seen_writes()
    if url in seen and seen[url] != newest:
        st.cache_data.clear()
    seen[url] = newest


def data_version() -> int | None:
    """The newest write this process has shown (see follow_writes): part of the key of
    shared cached resources, which cache_data.clear() does not reach."""
    return _seen_writes().get(database_url())


def period_names() -> list[str]:
    return list(structure().periods["period"])


def default_period() -> str | None:
    names = period_names()
    if not names:
        return None
    today = half_year_of(dt.date.today())
    return today if today in names else names[-1]


def period_picker() -> None:
    """The period, chosen once in the sidebar, kept in the URL (?periode=2026-H2)."""
    names = period_names()
    if not names:
        return
    default = default_period()
    st.sidebar.selectbox(
        "Berichtsperiode",
        names[::-1],
        index=names[::-1].index(default),
        key=PERIOD_KEY,
        placeholder="Periode wählen",
        bind="query-params",
        help="Gilt für alle Seiten. Der Link in der Adresszeile öffnet dieselbe Ansicht.",
    )


def selected_period() -> Period | None:
    """The period chosen in the sidebar, resolved once per page run (tracking.periods.Period): its
    reference day is today while it is open, its end once closed; None without periods."""
    name = st.session_state.get(PERIOD_KEY) or default_period()
    return None if name is None else period_named(name)


def period_named(name: str) -> Period:
    """A period of the structure by name, resolved with its reference day."""
    return structure().resolve(name)


def banners() -> None:
    facts = store_facts()
    if facts["demo"]:
        st.warning(
            "**Demodaten** – Massnahmen und Statusberichte sind erfunden und dienen nur der Vorführung.",
            icon=":material/science:",
        )
    if facts["goals_are_examples"]:
        st.caption(
            "Hinweis: Die Ziele pro Aktionsfeld sind **Beispiele**, bis der Wortlaut aus B 108 (Kapitel 4) geladen ist."
        )


ACTOR_KEY = "angemeldet"
LAST_SEEN_KEY = "zuletzt_aktiv"
EXPIRED_KEY = "sitzung_abgelaufen"
# The e-mail a single sign-on mapped to the account: it must still be the account's.
SSO_EMAIL_KEY = "sso_email"
# Why the session was ended (account disabled or deleted), shown on the sign-in page.
SIGNED_OUT_KEY = "abgemeldet_weil"


def sso_configured() -> bool:
    """Single sign-on is on when .streamlit/secrets.toml has an [auth] section."""
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def sign_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor
    st.session_state[LAST_SEEN_KEY] = dt.datetime.now()
    st.session_state.pop(EXPIRED_KEY, None)
    if actor.role == "departementsleitung" and actor.home_department:
        st.session_state[DEPARTMENT_KEY] = actor.home_department


def sign_out() -> None:
    for key in (ACTOR_KEY, LAST_SEEN_KEY, SSO_EMAIL_KEY):
        st.session_state.pop(key, None)
    if sso_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def signed_in() -> Actor | None:
    """The signed-in actor; None after TRACKING_SESSION_MINUTES without activity."""
    actor = st.session_state.get(ACTOR_KEY)
    now = dt.datetime.now()
    if actor is None and sso_configured() and getattr(st.user, "is_logged_in", False):
        with transaction(engine(), write=True) as session:
            try:
                actor = actor_for_email(session, st.user.get("email", ""))
            except TrackingError as exc:
                st.session_state["sso_fehler"] = " ".join(exc.messages)
                return None
        sign_in(actor)
        st.session_state[SSO_EMAIL_KEY] = st.user.get("email", "")
    if actor is None and store_facts()["demo"] and os.environ.get("TRACKING_DEMO_ROLE") in ROLES:
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
        with transaction(engine()) as session:
            actor = current_actor(
                session, actor, demo_loaded=bool(store_facts()["demo"]), email=st.session_state.get(SSO_EMAIL_KEY)
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
def write_session() -> Iterator[tuple[Session, Actor]]:
    """The write transaction of every page, with the signed-in actor read afresh from the database.

    Pages write only through here and hand the library the actor it yields, never
    the one in the session state: an account disabled, or a role or scope changed,
    since the page was drawn counts for this write. A disabled or deleted account
    writes nothing and is signed out (the page starts again at the sign-in).
    """
    current = actor()
    if current is None:
        raise TrackingError("Nicht angemeldet. Nichts wurde gespeichert.")
    with transaction(engine(), write=True) as session:
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
        sign_out()
        st.rerun()


FIELD_KEY = "feld"
DEPARTMENT_KEY = "departement"
CORE_GOAL_KEY = "kernziel"
MEASURE_KEY = "massnahme"


# Options are plain codes: a bound widget keeps its formatted option text in the
# URL, so codes give short, stable links (?feld=AF5). Pages show the full names.
def _code_picker(label: str, codes: list[str], key: str, help_text: str, **kwargs) -> None:
    st.sidebar.selectbox(label, codes, key=key, bind="query-params", help=help_text, **kwargs)


def _field_picker() -> None:
    snap = structure()
    names = "; ".join(f"{c} {n}" for c, n in zip(snap.fields["field_code"], snap.fields["field_name"]))
    _code_picker("Aktionsfeld", list(snap.fields["field_code"]), FIELD_KEY, md_text(names))


def _department_picker() -> None:
    snap = structure()
    names = "; ".join(
        f"{c} {n}" for c, n in zip(snap.departments["department_code"], snap.departments["department_name"])
    )
    _code_picker("Departement", list(snap.departments["department_code"]), DEPARTMENT_KEY, md_text(names))


def _core_goal_picker() -> None:
    snap = structure()
    names = "; ".join(f"{c} {n}" for c, n in zip(snap.core_goals["core_code"], snap.core_goals["core_name"]))
    _code_picker("Kernziel", list(snap.core_goals["core_code"]), CORE_GOAL_KEY, md_text(names))


@st.cache_data(ttl=300)
def _measure_codes(url: str) -> list[str]:
    with transaction(_engine(url)) as session:
        return list(session.scalars(select(Measure.code).order_by(Measure.code)))


# Above this many measures a form that lists them asks for the goal first: a list
# of every measure (100'000 at country scale) takes seconds to send and to open.
MEASURE_CHOICES_LIMIT = 2_000
# A measures table shows at most this many rows (the rest by filter or as Excel).
MEASURE_ROWS_LIMIT = 5_000
# The Statusbericht's table in the browser is for a few measures; beyond this many the Excel
# template is the way (a table of 10'000 rows takes seconds to send and is no way to report).
ENTRY_ROWS_LIMIT = 2_000


def measure_codes() -> list[str]:
    """Every measure's code, in order (cached; not every measure's history)."""
    return _measure_codes(database_url())


def _measure_picker() -> None:
    codes = measure_codes()
    if len(codes) > MEASURE_CHOICES_LIMIT:
        # A list of 100'000 codes takes seconds to send and to open: the code is typed (or a
        # row of the page's table clicked); the page says when no measure has it.
        st.sidebar.text_input(
            "Massnahme im Detail",
            key=MEASURE_KEY,
            bind="query-params",
            placeholder="Code eingeben, z. B. M-5.2.01",
            help="Code der Massnahme; oder eine Zeile der Tabelle anklicken.",
        )
        return
    _code_picker(
        "Massnahme im Detail",
        codes,
        MEASURE_KEY,
        "Code der Massnahme, z. B. M-5.2.01",
        index=None,
        placeholder="Code wählen",
    )


PICKERS = {
    "field": _field_picker,
    "department": _department_picker,
    "core_goal": _core_goal_picker,
    "measure": _measure_picker,
}


def sidebar_choices(choices: tuple[str, ...]) -> None:
    """The page's own choices (field, department, …) in the sidebar, kept in the URL."""
    for choice in choices:
        PICKERS[choice]()


def chosen(key: str) -> str | None:
    return st.session_state.get(key)


MEASURE_COLUMNS = {
    "Fortschritt": st.column_config.ProgressColumn("Fortschritt", min_value=0, max_value=100, format="%d %%"),
    "Soll": st.column_config.NumberColumn("Soll", format="%d %%", help="Erwarteter Fortschritt laut Plan"),
    "Titel": st.column_config.TextColumn("Titel", width="large"),
    "Begründung / Kommentar": st.column_config.TextColumn("Begründung / Kommentar", width="large"),
}


def show_measures(measures: pd.DataFrame, key: str, file_name: str, *, always_download: bool = False, **kwargs):
    """The measures table (rows of a roll-up) with the same columns everywhere.

    Beyond MEASURE_ROWS_LIMIT rows it shows the first ones (by code) and says so, and the whole
    list is a download (made when clicked): 100'000 rows take seconds to send to the browser.
    """
    cut = len(measures) > MEASURE_ROWS_LIMIT
    if cut:
        st.caption(
            f"Die Tabelle zeigt die ersten {fmt.number(MEASURE_ROWS_LIMIT)} von {fmt.number(len(measures))} "
            "Massnahmen (nach Code); die ganze Liste steht in der Excel-Datei."
        )
    event = st.dataframe(
        measure_display(measures.head(MEASURE_ROWS_LIMIT)),
        hide_index=True,
        width="stretch",
        column_config=MEASURE_COLUMNS,
        key=key,
        **kwargs,
    )
    if cut or always_download:
        st.download_button(
            "Liste als Excel",
            data=lambda: tables_workbook({"Massnahmen": measure_display(measures)}),
            file_name=file_name,
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/download:",
            on_click="ignore",
            key=f"{key}_excel",
        )
    return event


def import_history_view(limit: int = 10) -> None:
    """The latest imports with who, when and what, each with an undo button."""
    from tracking.excel_import import import_history, undo_import

    st.subheader("Importe")
    with transaction(engine()) as session:
        history = import_history(session)
    if not history:
        st.caption("Noch keine Importe.")
        return
    from tracking.access import can

    current = actor()
    allowed = current is not None and can(current, "undo")
    for item in history[:limit]:
        # The library refuses an undo outside the scope; the button says so before.
        in_scope = allowed and all(current.covers(f, d) for f, d in item["scopes"])
        cols = st.columns([5, 1])
        state = f" · rückgängig gemacht (Vorgang {item['undone_by']})" if item["undone_by"] else ""
        cols[0].markdown(
            f"**Import {item['id']}** · {fmt.datetime(item['at'])} · {md_text(item['actor'])} · "
            f"{md_text(item['source'])}  \n{md_text(item['summary'])}{state}"
        )
        if item["undone_by"]:
            continue
        if cols[1].button(
            "Rückgängig",
            key=f"undo_{item['id']}",
            disabled=not in_scope,
            help=None
            if in_scope
            else (
                f"Dieser Import betrifft Massnahmen ausserhalb Ihres Geltungsbereichs ({current.scope_label})."
                if allowed
                else "Nur Administration und Koordination dürfen Importe rückgängig machen."
            ),
        ):
            try:
                with write_session() as (session, fresh):
                    count = undo_import(session, item["id"], actor=fresh)
            except TrackingError as exc:
                st.error(" ".join(exc.messages))
            else:
                refresh()
                st.session_state["flash"] = f"Import {item['id']} rückgängig gemacht ({count} Zeilen)."
                st.rerun()
    if len(history) > limit:
        st.caption(f"{len(history) - limit} ältere Importe: vollständige Liste mit `python -m tracking imports`.")


def problems_table(problems, *, in_browser_table: bool = False) -> None:
    """The problems of a refused file: sheet, row, column (Excel's letter) and what is wrong.

    in_browser_table: the problems of the status table on the page, named by row and column header.
    """
    if in_browser_table:
        rows = [{"Zeile": p.row or "–", "Spalte": p.header or p.column or "–", "Problem": p.message} for p in problems]
    else:
        rows = [
            {"Blatt": p.sheet or "–", "Zeile": p.row or "–", "Spalte": p.column or "–", "Problem": p.message}
            for p in problems
        ]
    table = pd.DataFrame(rows)
    st.dataframe(table, hide_index=True, width="stretch")


def flash() -> None:
    """Show the message a write left for the next run (st.rerun drops the page's output); it may name data."""
    if message := st.session_state.pop("flash", None):
        st.success(md_text(message), icon=":material/check_circle:")
