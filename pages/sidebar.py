"""The sidebar's choices: the period for every page, and each page's own field, department,
core goal or measure; all kept in the URL (?periode=2026-H2&feld=AF5)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from pages import data
from pages.text import md_text
from tracking.periods import Period, half_year_of

PERIOD_KEY = "periode"
FIELD_KEY = "feld"
DEPARTMENT_KEY = "departement"
CORE_GOAL_KEY = "kernziel"
MEASURE_KEY = "massnahme"

# Above this many measures the measure is typed, not chosen from a list: a list of every
# measure (100'000 at country scale) takes seconds to send and to open.
MEASURE_CHOICES_LIMIT = 2_000


def period_names() -> list[str]:
    return list(data.structure().periods["period"])


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
    return data.structure().resolve(name)


# Options are plain codes: a bound widget keeps its formatted option text in the
# URL, so codes give short, stable links (?feld=AF5). Pages show the full names.
def _code_picker(label: str, codes: list[str], key: str, help_text: str, **kwargs) -> None:
    st.sidebar.selectbox(label, codes, key=key, bind="query-params", help=help_text, **kwargs)


def _named_picker(label: str, key: str, table: str, code: str, name: str) -> None:
    """A picker of codes whose help lists each code with its name (fields, departments, core goals)."""
    rows = getattr(data.structure(), table)
    names = "; ".join(f"{c} {n}" for c, n in zip(rows[code], rows[name]))
    _code_picker(label, list(rows[code]), key, md_text(names))


def _measure_picker() -> None:
    codes = data.measure_codes()
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
    "field": lambda: _named_picker("Aktionsfeld", FIELD_KEY, "fields", "field_code", "field_name"),
    "department": lambda: _named_picker(
        "Departement", DEPARTMENT_KEY, "departments", "department_code", "department_name"
    ),
    "core_goal": lambda: _named_picker("Kernziel", CORE_GOAL_KEY, "core_goals", "core_code", "core_name"),
    "measure": _measure_picker,
}


def sidebar_choices(choices: tuple[str, ...]) -> None:
    """The page's own choices (field, department, …) in the sidebar, kept in the URL."""
    for choice in choices:
        PICKERS[choice]()


def chosen(key: str) -> str | None:
    return st.session_state.get(key)
