"""What the pages used to work out themselves, now in the library: each as a page would call it."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.factories import add_measure, add_report, definition_dict, load_definition
from tracking import rollup as ru
from tracking.access import Actor, in_scope, template_choices
from tracking.bootstrap import StoreFacts, store_facts
from tracking.db import transaction
from tracking.entry_table import EMPTY, entries_from_table, entry_table
from tracking.measures import measure_codes
from tracking.periods import get_period
from tracking.reports import owing_reports
from tracking.snapshot import load_snapshot

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only

FIELDS = {"AF1": "Bildung", "AF5": "Verwaltung"}
DEPARTMENTS = {"BKD": "Bildung und Kultur", "FD": "Finanzen"}


def test_store_facts_of_an_empty_and_a_loaded_database(engine):
    with transaction(engine) as session:
        assert store_facts(session) == StoreFacts(strategy=None, goals_are_examples=False, demo=False)
    with transaction(engine) as session:
        load_definition(session, definition_dict())
    with transaction(engine) as session:
        assert store_facts(session) == StoreFacts(strategy="Teststrategie", goals_are_examples=False, demo=False)


def test_measure_codes_in_order(engine):
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        for code, goal in (("M-2.1.01", "2.1"), ("M-1.1.02", "1.1"), ("M-1.1.01", "1.1")):
            add_measure(session, code, goal)
    with transaction(engine) as session:
        assert measure_codes(session) == ["M-1.1.01", "M-1.1.02", "M-2.1.01"]


def test_template_choices_per_role():
    admin = Actor("Admin")
    assert template_choices(admin, FIELDS, DEPARTMENTS) == (["field", "department", "all"], FIELDS, DEPARTMENTS)
    fields_only = Actor("Koord", role="koordination", fields=frozenset({"AF5"}))
    assert template_choices(fields_only, FIELDS, DEPARTMENTS) == (["field"], {"AF5": "Verwaltung"}, {})
    both = Actor("Koord", role="koordination", fields=frozenset({"AF1"}), departments=frozenset({"FD"}))
    assert template_choices(both, FIELDS, DEPARTMENTS) == (
        ["field", "department"],
        {"AF1": "Bildung"},
        {"FD": "Finanzen"},
    )


def test_in_scope_keeps_the_rows_the_actor_may_report_on():
    rows = pd.DataFrame(
        {"code": ["a", "b", "c"], "field_code": ["AF1", "AF5", "AF2"], "department_code": ["FD", "BKD", "BKD"]}
    )
    assert list(in_scope(Actor("Admin"), rows)["code"]) == ["a", "b", "c"]
    coordinator = Actor("K", role="koordination", fields=frozenset({"AF5"}), departments=frozenset({"FD"}))
    assert list(in_scope(coordinator, rows)["code"]) == ["a", "b"]  # a by department, b by field
    head = Actor("L", role="departementsleitung", home_department="FD")
    assert in_scope(head, rows).empty  # a department head reports nothing


def test_entry_table_is_prefilled_and_reads_back_as_entries(engine):
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        reported = add_measure(session, "M-1.1.01", "1.1")
        add_measure(session, "M-1.1.02", "1.1")
        add_report(session, reported, "2024-H2", 40, light="gelb", comment="Verzug beim Lieferanten")
    with transaction(engine) as session:
        owing = owing_reports(session, get_period(session, "2024-H2"))
    table = entry_table(owing, {int(owing["measure_id"].iloc[1]): "2024-H1: 10 %"})
    assert list(table["Code"]) == ["M-1.1.01", "M-1.1.02"]
    first, second = table.iloc[0], table.iloc[1]
    # The stored report shows with the German labels; the measure without one stays empty.
    assert (first["Status"], first["Ampel"], first["Fortschritt %"]) == ("in Umsetzung", "gelb", "40")
    assert first["Kommentar / Begründung"] == "Verzug beim Lieferanten"
    assert (second["Status"], second["Ampel"], second["Fortschritt %"], second["Letzte Meldung"]) == (
        EMPTY,
        EMPTY,
        "",
        "2024-H1: 10 %",
    )
    entries = entries_from_table(table)
    assert entries[0]["progress"] == "40" and entries[0]["light"] == "gelb" and entries[0]["unchanged"] is None
    # Empty text, «–» and an unticked box are nothing.
    assert {k: v for k, v in entries[1].items() if v is not None} == {"code": "M-1.1.02", "title": "Massnahme M-1.1.02"}


def test_core_goal_contributors_are_the_goals_with_weight(engine):
    # K1: 1.1 strongly (3), 2.1 with 2; 1.2 serves K2 only.
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        snap = load_snapshot(session, with_measures=False)
    goals = snap.goals.assign(progress=[50.0, 20.0, math.nan])
    got = ru.core_goal_contributors(snap, goals, "K1").sort_values("goal_code")
    assert list(got["goal_code"]) == ["1.1", "2.1"]
    assert list(got["weight"]) == [3.0, 2.0]
    assert list(got["field_code"]) == ["AF1", "AF2"]
    assert got["progress"].iloc[0] == 50.0 and math.isnan(got["progress"].iloc[1])
    assert list(ru.core_goal_contributors(snap, goals, "K2")["goal_code"]) == ["1.2", "2.1"]


def test_change_since_the_previous_period_as_a_metric_shows_it():
    from tracking.formatting import change

    assert change(45.4, 40.0, unit=" Pp.") == "+5 Pp."  # 5.4 points, whole points shown
    assert change(0.50, 0.55, 100, " Pp.") == "-5 Pp."  # a share: 50 % after 55 %
    assert change(7, 4) == "+3"
    assert change(40.2, 40.0) is None  # rounds to no change: no arrow
    assert change(None, 40.0) is None and change(40.0, math.nan) is None
