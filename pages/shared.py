"""What every page shares: the engine, cached data, the period choice, the banner.

Pages stay thin: they read through these loaders and call tracking/ for logic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from sqlalchemy import Engine, exists, select

from tracking import rollup as ru
from tracking import schema
from tracking.db import database_url, make_engine, transaction
from tracking.models import Measure, Strategy
from tracking.periods import half_year_of

PERIOD_KEY = "periode"
USER_KEY = "benutzer"


@st.cache_resource
def _engine(url: str) -> Engine:
    eng = make_engine(url)
    schema.upgrade(eng)
    return eng


def engine() -> Engine:
    """One engine per process and database; the schema is brought up to date once."""
    return _engine(database_url())


# The loaders take the URL as an argument so that the cache is per database.
@st.cache_data(ttl=300, show_spinner="Daten werden geladen …")
def _snapshot(url: str) -> ru.Snapshot:
    with transaction(_engine(url)) as session:
        return ru.load_snapshot(session)


def snapshot() -> ru.Snapshot:
    return _snapshot(database_url())


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
def _period_rollup(url: str, period: str, as_of: dt.date | None) -> ru.PeriodRollup:
    return ru.rollup(_snapshot(url), period, as_of=as_of)


def period_rollup(period: str, as_of: dt.date | None) -> ru.PeriodRollup:
    return _period_rollup(database_url(), period, as_of)


@st.cache_data(ttl=300, show_spinner="Verlauf wird berechnet …")
def _trend(url: str, up_to: str) -> pd.DataFrame:
    return ru.progress_trend(_snapshot(url), up_to=up_to)


def trend(up_to: str) -> pd.DataFrame:
    return _trend(database_url(), up_to)


def refresh() -> None:
    """Call after every write so that all pages show the new state."""
    st.cache_data.clear()


def period_names() -> list[str]:
    return list(snapshot().periods["period"])


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


def selected_period() -> str | None:
    return st.session_state.get(PERIOD_KEY) or default_period()


def as_of_for(period: str) -> dt.date | None:
    """Plan and overdue checks of the running period use today, not its end."""
    row = snapshot().period_row(period)
    today = dt.date.today()
    return today if row["start_date"] <= today <= row["end_date"] else None


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


def user_field() -> None:
    """Who is acting: every write is recorded with this name (sign-in comes later)."""
    st.sidebar.text_input(
        "Ihr Name (für das Protokoll)",
        key=USER_KEY,
        placeholder="Vorname Name",
        help="Wird bei jeder Speicherung protokolliert.",
    )


def current_user() -> str | None:
    name = (st.session_state.get(USER_KEY) or "").strip()
    return name or None
