"""The pages' way to the store: one engine, reads, and the cached loaders.

Pages read through read() or a loader here and write through auth.write(); no page
opens a transaction of its own. Every loader takes the database URL as its first
argument, so that its cache is per database.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime as dt

import pandas as pd
import streamlit as st

from tracking import rollup as ru
from tracking import schema
from tracking.bootstrap import StoreFacts, freeze_missing_periods
from tracking.bootstrap import store_facts as read_store_facts
from tracking.catalogue import catalogue_history, indicator_entries
from tracking.catalogue import measure_entries as read_measure_entries
from tracking.db import database_url, make_engine, transaction
from tracking.figures import PeriodFigures, department_lights, figures_trend, goals_trend, period_figures
from tracking.indicators import indicator_values
from tracking.measures import measure_codes as read_measure_codes
from tracking.periods import Period, get_period
from tracking.reports import last_report_texts, last_write_id, owing_reports
from tracking.scope import Scope
from tracking.snapshot import Snapshot, load_snapshot

__all__ = ["database_url"]


@st.cache_resource
def _engine(url: str):
    eng = make_engine(url)
    schema.upgrade(eng)
    freeze_missing_periods(eng, actor="Dashboard", source="Start des Dashboards")
    return eng


def engine():
    """One engine per process and database; the schema is brought up to date once, and closed
    periods without stored figures are frozen (the first use after an upgrade)."""
    return _engine(database_url())


def read():
    """A read transaction on the page's database (a context manager yielding the session)."""
    return transaction(engine())


def write_transaction():
    """A write transaction without an actor: only for auth.py (sign-ins, which write no data)
    and auth.write(), the pages' one way to write."""
    return transaction(engine(), write=True)


def _read(url: str):
    return transaction(_engine(url))


@st.cache_data(ttl=300, show_spinner="Daten werden geladen …")
def _snapshot(
    url: str,
    scope_kind: str = "all",
    scope_code: str | None = None,
    report_periods: tuple[str, ...] = (),
    measure_id: int | None = None,
) -> Snapshot:
    """Measures and reports as a page needs them: one field's or department's, one period's (with
    the final reports carried into it), or one measure's; no page reads every measure's history."""
    with _read(url) as session:
        return load_snapshot(
            session,
            scope=Scope(scope_kind, scope_code),
            report_periods=list(report_periods) or None,
            measure_id=measure_id,
        )


def measure_snapshot(measure_id: int) -> Snapshot:
    """One measure with its whole history."""
    return _snapshot(database_url(), measure_id=measure_id)


@st.cache_data(ttl=300)
def _structure(url: str) -> Snapshot:
    with _read(url) as session:
        return load_snapshot(session, with_measures=False)


def structure() -> Snapshot:
    """Strategy, departments and periods without measures and reports: cheap at any scale."""
    return _structure(database_url())


@st.cache_data(ttl=300, show_spinner="Kennzahlen werden berechnet …")
def _figures(url: str, period: str, as_of: dt.date | None) -> PeriodFigures:
    with _read(url) as session:
        return period_figures(session, _structure(url), period, as_of=as_of)


def figures(period: Period) -> PeriodFigures:
    """The overview's figures for a period, aggregated in SQL (tracking/figures.py)."""
    return _figures(database_url(), period.name, period.reference_day)


@st.cache_data(ttl=300)
def _store_facts(url: str) -> StoreFacts:
    with _read(url) as session:
        return read_store_facts(session)


def store_facts() -> StoreFacts:
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
    with _read(url) as session:
        return department_lights(session, _structure(url), period, as_of=as_of)


def department_lights_of(period: Period) -> pd.DataFrame:
    """The lights of every lead department's measures, aggregated in SQL (any scale)."""
    return _department_lights(database_url(), period.name, period.reference_day)


@st.cache_data(ttl=300, show_spinner="Meldungen werden geladen …")
def _owing(url: str, period: str) -> pd.DataFrame:
    with _read(url) as session:
        return owing_reports(session, get_period(session, period))


def owing(period: str, scope: Scope) -> pd.DataFrame:
    """The measures owing a report in the period and scope, with what came in (SQL: any scale).
    Read once for every measure: the page's scopes are rows of it."""
    return scope.filter(_owing(database_url(), period))


@st.cache_data(ttl=300, show_spinner="Letzte Meldungen werden geladen …")
def _last_reports(url: str, period: str, measure_ids: tuple[int, ...]) -> dict[int, str]:
    with _read(url) as session:
        return last_report_texts(session, get_period(session, period), list(measure_ids))


def last_reports(period: str, measure_ids: list[int]) -> dict[int, str]:
    """measure_id -> the text of its last report before the period."""
    return _last_reports(database_url(), period, tuple(measure_ids))


@st.cache_data(ttl=300, show_spinner="Verlauf wird berechnet …")
def _trend(url: str, up_to: str) -> pd.DataFrame:
    with _read(url) as session:
        return figures_trend(session, _structure(url), up_to=up_to)


def trend(up_to: str) -> pd.DataFrame:
    """Overall and per-field progress of every period up to this one."""
    return _trend(database_url(), up_to)


@st.cache_data(ttl=300, show_spinner="Verlauf der Ziele wird berechnet …")
def _goal_trend(url: str, field_id: int, up_to: str) -> pd.DataFrame:
    with _read(url) as session:
        return goals_trend(session, _structure(url), field_id, up_to=up_to)


def goal_trend(field_id: int, up_to: str) -> pd.DataFrame:
    """The progress of one field's goals in every period up to this one."""
    return _goal_trend(database_url(), field_id, up_to)


@st.cache_data(ttl=300)
def _indicators(url: str, goal_ids: tuple[int, ...]) -> pd.DataFrame:
    with _read(url) as session:
        return indicator_values(session, list(goal_ids))


def indicators(goal_ids: list[int]) -> pd.DataFrame:
    """The indicators of these goals with their values per period."""
    return _indicators(database_url(), tuple(goal_ids))


@st.cache_data(ttl=300)
def _measure_codes(url: str) -> list[str]:
    with _read(url) as session:
        return read_measure_codes(session)


def measure_codes() -> list[str]:
    """Every measure's code, in order (cached; not every measure's history)."""
    return _measure_codes(database_url())


# The catalogue's forms: read once per database; refresh() after every write clears them, so
# the forms always show the stored values.
@st.cache_data(ttl=300)
def _catalogue(url: str) -> tuple[dict, list]:
    with _read(url) as session:
        return indicator_entries(session), catalogue_history(session)


def catalogue() -> tuple[dict, list]:
    """Stored indicators (id -> their values) and the latest catalogue changes."""
    return _catalogue(database_url())


@st.cache_data(ttl=300)
def _measure_entries(url: str, goal: str | None) -> dict:
    with _read(url) as session:
        return read_measure_entries(session, goal)


def measure_entries(goal: str | None) -> dict:
    """The catalogue's stored measures (code -> values), of one goal or all."""
    return _measure_entries(database_url(), goal)


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
    with _read(url) as session:
        newest = last_write_id(session)
    seen = _seen_writes()
    if url in seen and seen[url] != newest:
        st.cache_data.clear()
    seen[url] = newest


def data_version() -> int | None:
    """The newest write this process has shown (see follow_writes): part of the key of
    shared cached resources, which cache_data.clear() does not reach."""
    return _seen_writes().get(database_url())
