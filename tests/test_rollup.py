"""The roll-up rules of README «Hochrechnungsregeln», one small hand-computed case each.

Every expected number is written as the arithmetic a person would do on paper
(weights times progress, divided by the sum of the weights), never copied
from the code's output. The database cases run on SQLite and, when
TEST_DATABASE_URL is set, on PostgreSQL too (the `engine` fixture).

Periods from the factories: 2024-H1 (1.1.–30.6.2024, closed) and 2024-H2
(1.7.–31.12.2024, open). Measures run from 1.1.2024 to 31.12.2025 unless a
test says otherwise.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from tests.factories import add_measure, add_report, definition_dict, load_definition
from tracking.db import transaction
from tracking.rollup import (
    BEHIND_PLAN_MARGIN,
    changes_since,
    completeness,
    core_goal_progress,
    field_core_matrix,
    field_progress,
    goal_progress,
    headline,
    light_distribution,
    measure_status,
    progress_trend,
    rollup,
    summary_light,
)
from tracking.snapshot import load_snapshot
from tracking.vocab import NO_DATA, NO_REPORT

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only

H1, H2 = "2024-H1", "2024-H2"
NO_CONTRIBUTION = "kein Beitrag"


def build(engine, definition: dict, populate=None):
    """Load the definition, let populate(session) add measures and reports, return the snapshot."""
    with transaction(engine) as session:
        load_definition(session, definition)
        if populate is not None:
            populate(session)
        session.flush()
        return load_snapshot(session)


def row(df: pd.DataFrame, column: str, key) -> pd.Series:
    """The one row of df where column == key."""
    hits = df[df[column] == key]
    assert len(hits) == 1, f"expected one row with {column} == {key!r}, got {len(hits)}"
    return hits.iloc[0]


def cell(matrix: pd.DataFrame, field_code: str, core_code: str) -> pd.Series:
    hits = matrix[(matrix["field_code"] == field_code) & (matrix["core_code"] == core_code)]
    assert len(hits) == 1
    return hits.iloc[0]


def goals_of(snap, period: str = H2, **kwargs) -> pd.DataFrame:
    return goal_progress(snap, measure_status(snap, period, **kwargs))


# --- goal progress ------------------------------------------------------------


@pytest.mark.parametrize(
    ("w1", "p1", "w2", "p2", "expected"),
    [
        (1, 40, 3, 80, (40 * 1 + 80 * 3) / 4),
        (2, 0, 2, 100, (0 * 2 + 100 * 2) / 4),
        (0.5, 90, 1.5, 30, (90 * 0.5 + 30 * 1.5) / 2),
        (1, 25, 1, 25, (25 + 25) / 2),
    ],
)
def test_goal_progress_is_the_measure_weighted_mean(engine, w1, p1, w2, p2, expected):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1", weight=w1), H2, p1)
        add_report(s, add_measure(s, "M2", "1.1", weight=w2), H2, p2)
        add_report(s, add_measure(s, "M3", "1.2", weight=7), H2, 10)

    goals = goals_of(build(engine, definition_dict(), populate))
    g11 = row(goals, "goal_code", "1.1")
    assert g11["progress"] == pytest.approx(expected)
    assert g11["n_measures"] == 2
    assert g11["n_counted"] == 2
    assert g11["state"] == ""
    # A single measure: its progress, whatever its weight.
    assert row(goals, "goal_code", "1.2")["progress"] == pytest.approx(10)
    # Goal 2.1 has no measures at all: no data, not 0.
    g21 = row(goals, "goal_code", "2.1")
    assert math.isnan(g21["progress"])
    assert g21["state"] == NO_DATA
    assert g21["n_measures"] == 0


@pytest.mark.parametrize("paused_status", ["sistiert", "abgebrochen"])
def test_paused_measures_are_counted_but_do_not_pull_progress_down(engine, paused_status):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H2, 60)
        add_report(s, add_measure(s, "M2", "1.1", weight=2), H2, 30)
        add_report(s, add_measure(s, "M3", "1.1", weight=5), H2, 0, status=paused_status, light="gelb")
        # A goal whose only measure is paused has no progress to show.
        add_report(s, add_measure(s, "M4", "1.2"), H2, 10, status=paused_status, light="rot")

    snap = build(engine, definition_dict(), populate)
    measures = measure_status(snap, H2)
    assert row(measures, "code", "M3")["state"] == paused_status
    goals = goal_progress(snap, measures)
    g11 = row(goals, "goal_code", "1.1")
    # Without M3; with it, it would be (60*1 + 30*2 + 0*5) / 8 = 15.
    assert g11["progress"] == pytest.approx((60 * 1 + 30 * 2) / 3)
    assert g11["n_measures"] == 3
    assert g11["n_paused"] == 1
    assert g11["n_counted"] == 2
    g12 = row(goals, "goal_code", "1.2")
    assert g12["n_measures"] == 1
    assert g12["n_paused"] == 1
    assert math.isnan(g12["progress"])
    assert g12["state"] == NO_DATA


def test_measure_without_report_is_keine_meldung_never_zero(engine):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H2, 80)
        add_measure(s, "M2", "1.1", weight=3)  # no report in H2
        add_report(s, add_measure(s, "M3", "1.2"), H1, 50)  # reported in H1 only
        add_report(s, add_measure(s, "M4", "2.1"), H2, 0)  # a real 0 %

    snap = build(engine, definition_dict(), populate)
    measures = measure_status(snap, H2)
    for code in ("M2", "M3"):
        m = row(measures, "code", code)
        assert m["state"] == NO_REPORT
        assert math.isnan(m["progress"])
        assert not m["has_report"]
        assert not m["carried"]
        assert m["owes_report"]
    # A reported 0 % stays 0 %.
    assert row(measures, "code", "M4")["progress"] == 0
    assert row(measures, "code", "M4")["state"] == "in_umsetzung"

    goals = goal_progress(snap, measures)
    g11 = row(goals, "goal_code", "1.1")
    # M2 (weight 3) is left out; filled with 0 it would be (80*1 + 0*3) / 4 = 20.
    assert g11["progress"] == pytest.approx(80 * 1 / 1)
    assert g11["n_measures"] == 2
    assert g11["n_no_report"] == 1
    g12 = row(goals, "goal_code", "1.2")
    assert math.isnan(g12["progress"])
    assert g12["state"] == NO_DATA
    assert g12["n_no_report"] == 1
    assert row(goals, "goal_code", "2.1")["progress"] == 0


# --- field progress -------------------------------------------------------------


def test_field_progress_is_the_goal_weighted_mean_and_ignores_goals_without_data(engine):
    definition = definition_dict(
        {
            "AF1": {"1.1": {"K1": 1}, "1.2": {"K1": 1}, "1.3": {"K2": 1}, "1.4": {"K2": 1}},
            "AF2": {"2.1": {"K1": 1}},
            "AF3": {"3.1": {"K2": 1}, "3.2": {"K2": 1}},
        },
        goal_weights={"1.1": 1, "1.2": 3, "1.3": 5, "1.4": 2, "3.1": 4, "3.2": 1},
    )

    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H2, 20)
        add_report(s, add_measure(s, "M2", "1.2"), H2, 60)
        add_measure(s, "M3", "1.3")  # keine Meldung -> goal 1.3 has no data
        # goal 1.4 has no measures -> no data
        add_measure(s, "M4", "2.1")  # the field's only goal has no data
        add_report(s, add_measure(s, "M5", "3.1"), H2, 50)
        add_report(s, add_measure(s, "M6", "3.2"), H2, 100)

    snap = build(engine, definition, populate)
    fields = field_progress(snap, goals_of(snap))

    af1 = row(fields, "field_code", "AF1")
    # 1.3 (weight 5) and 1.4 (weight 2) have no data and are left out.
    assert af1["progress"] == pytest.approx((20 * 1 + 60 * 3) / (1 + 3))
    assert af1["n_goals"] == 4
    assert af1["n_goals_with_data"] == 2
    assert af1["n_measures"] == 3
    assert af1["state"] == ""

    af2 = row(fields, "field_code", "AF2")
    assert math.isnan(af2["progress"])
    assert af2["state"] == NO_DATA
    assert af2["n_goals_with_data"] == 0

    af3 = row(fields, "field_code", "AF3")
    assert af3["progress"] == pytest.approx((50 * 4 + 100 * 1) / 5)
    assert af3["n_goals_with_data"] == 2


# --- core goals and the field x core goal matrix ------------------------------------

# AF1: 1.1 -> K1 stark (3); 1.2 -> K1 schwach (1), K2 mittel (2)
# AF2: 2.1 -> K2 1; 2.2 -> K1 2 (no data); 2.3 -> K3 keine (0)
# K3 gets no contribution above 0.
CORE_DEFINITION = definition_dict(
    {
        "AF1": {"1.1": {"K1": "stark"}, "1.2": {"K1": "schwach", "K2": "mittel"}},
        "AF2": {"2.1": {"K2": 1}, "2.2": {"K1": 2}, "2.3": {"K3": "keine"}},
    },
    cores=("K1", "K2", "K3"),
    # Goal weights matter for fields, not for core goals.
    goal_weights={"1.1": 10, "1.2": 1, "2.1": 5, "2.2": 1, "2.3": 1},
)


def _core_populate(s):
    add_report(s, add_measure(s, "M1", "1.1"), H2, 80)
    add_report(s, add_measure(s, "M2", "1.2"), H2, 20)
    add_report(s, add_measure(s, "M3", "2.1"), H2, 50)
    add_measure(s, "M4", "2.2")  # keine Meldung
    add_report(s, add_measure(s, "M5", "2.3"), H2, 90)


def test_core_goal_progress_is_weighted_by_contribution_strength(engine):
    snap = build(engine, CORE_DEFINITION, _core_populate)
    cores = core_goal_progress(snap, goals_of(snap))

    k1 = row(cores, "core_code", "K1")
    # 1.1 (stark = 3, 80 %), 1.2 (schwach = 1, 20 %); 2.2 serves K1 but has no data.
    assert k1["progress"] == pytest.approx((80 * 3 + 20 * 1) / (3 + 1))
    assert k1["n_goals"] == 3
    assert k1["state"] == ""

    k2 = row(cores, "core_code", "K2")
    # 1.2 (mittel = 2, 20 %), 2.1 (1, 50 %).
    assert k2["progress"] == pytest.approx((20 * 2 + 50 * 1) / (2 + 1))
    assert k2["n_goals"] == 2

    k3 = row(cores, "core_code", "K3")
    # Goal 2.3 contributes «keine» (0): it does not serve K3.
    assert math.isnan(k3["progress"])
    assert k3["n_goals"] == 0
    assert k3["state"] == NO_DATA


def test_field_core_matrix_strength_and_weighted_progress_per_pair(engine):
    snap = build(engine, CORE_DEFINITION, _core_populate)
    matrix = field_core_matrix(snap, goals_of(snap))
    assert len(matrix) == 2 * 3

    c = cell(matrix, "AF1", "K1")
    assert c["strength"] == 3  # max(3, 1)
    assert c["n_goals"] == 2
    assert c["progress"] == pytest.approx((80 * 3 + 20 * 1) / (3 + 1))
    assert c["state"] == ""

    c = cell(matrix, "AF1", "K2")
    assert c["strength"] == 2
    assert c["n_goals"] == 1
    assert c["progress"] == pytest.approx(20)

    # Served by 2.2 only, which has no data: a contribution, but no data.
    c = cell(matrix, "AF2", "K1")
    assert c["strength"] == 2
    assert c["n_goals"] == 1
    assert math.isnan(c["progress"])
    assert c["state"] == NO_DATA

    c = cell(matrix, "AF2", "K2")
    assert c["strength"] == 1
    assert c["progress"] == pytest.approx(50)

    # No goal serves K3 (2.3 contributes 0): «kein Beitrag».
    for field_code in ("AF1", "AF2"):
        c = cell(matrix, field_code, "K3")
        assert c["strength"] == 0
        assert c["n_goals"] == 0
        assert math.isnan(c["progress"])
        assert c["state"] == NO_CONTRIBUTION


def test_field_core_matrix_strength_is_the_strongest_serving_goal(engine):
    definition = definition_dict({"AF1": {"1.1": {"K1": 1}, "1.2": {"K1": 2.5}, "1.3": {"K1": 0.5}}}, cores=("K1",))

    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H2, 10)
        add_report(s, add_measure(s, "M2", "1.2"), H2, 40)
        add_report(s, add_measure(s, "M3", "1.3"), H2, 100)

    snap = build(engine, definition, populate)
    c = cell(field_core_matrix(snap, goals_of(snap)), "AF1", "K1")
    assert c["strength"] == 2.5
    assert c["n_goals"] == 3
    assert c["progress"] == pytest.approx((10 * 1 + 40 * 2.5 + 100 * 0.5) / (1 + 2.5 + 0.5))


# --- traffic lights -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lights", "weights", "expected"),
    [
        # ties go to the worse colour
        (["gruen", "rot"], None, "rot"),
        (["rot", "gruen"], None, "rot"),
        (["gelb", "rot"], None, "rot"),
        (["gruen", "gelb"], None, "gelb"),
        (["gruen", "gelb", "rot"], None, "rot"),
        (["gruen", "gruen", "rot", "rot", "gelb"], None, "rot"),
        # plain majority
        (["gruen", "gruen", "rot"], None, "gruen"),
        (["gelb", "gelb", "gruen", "rot"], None, "gelb"),
        (["gruen"], None, "gruen"),
        # weights decide
        (["gruen", "rot", "rot"], [3, 1, 1], "gruen"),
        (["gruen", "rot", "rot"], [2, 1, 1], "rot"),  # 2 : 2 tie
        (["gruen", "rot", "rot"], [1.5, 1, 1], "rot"),
        (["gelb", "gelb", "gruen"], [1, 1, 3], "gruen"),
        (["gelb", "gelb", "gruen"], [1, 1, 2], "gelb"),  # 2 : 2 tie
        (["rot", "gruen", "gruen"], [0.5, 0.2, 0.2], "rot"),
        # missing lights are left out
        ([None, "gruen"], None, "gruen"),
        ([None, None, "gelb", "gruen"], [5, 5, 1, 1], "gelb"),
    ],
)
def test_summary_light_is_the_weighted_majority_ties_to_the_worse(lights, weights, expected):
    series = pd.Series(lights, dtype=object)
    w = None if weights is None else pd.Series(weights, dtype=float)
    assert summary_light(series, w) == expected


def test_summary_light_without_any_light_is_none():
    assert summary_light(pd.Series([], dtype=object)) is None
    assert summary_light(pd.Series([None, None], dtype=object)) is None


def test_summary_light_majority_does_not_depend_on_the_scale_of_the_weights():
    lights = pd.Series(["gruen", "rot"], dtype=object)
    # gruen holds two thirds of the weight in both cases.
    assert summary_light(lights, pd.Series([2.0, 1.0])) == "gruen"
    assert summary_light(lights, pd.Series([2e-9, 1e-9])) == "gruen"


def test_light_distribution_counts_and_weighted_summary(engine):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1", weight=3), H2, 50, light="gruen")
        add_report(s, add_measure(s, "M2", "1.1"), H2, 50, light="rot")
        add_report(s, add_measure(s, "M3", "1.2"), H2, 50, light="rot")
        add_measure(s, "M4", "1.2")  # keine Meldung
        add_report(s, add_measure(s, "M5", "2.1"), H2, 50, light="gruen")
        add_report(s, add_measure(s, "M6", "2.1"), H2, 50, light="gelb")
        # Completed in H1 and carried: neither a fresh light nor a missing report.
        add_report(s, add_measure(s, "M7", "2.1"), H1, 100, status="abgeschlossen", light="rot")

    snap = build(engine, definition_dict(), populate)
    dist = light_distribution(measure_status(snap, H2), "field_code")
    af1 = row(dist, "field_code", "AF1")
    assert (af1["gruen"], af1["gelb"], af1["rot"], af1[NO_REPORT], af1["total"]) == (1, 0, 2, 1, 4)
    assert af1["summary_light"] == "gruen"  # weight 3 against 1 + 1
    af2 = row(dist, "field_code", "AF2")
    assert (af2["gruen"], af2["gelb"], af2["rot"], af2[NO_REPORT], af2["total"]) == (1, 1, 0, 0, 2)
    assert af2["summary_light"] == "gelb"  # 1 : 1 tie


# --- plan vs actual -------------------------------------------------------------


def test_expected_progress_grows_linearly_from_start_to_planned_end(engine):
    def populate(s):
        # 1.1.2024 .. 31.12.2025: 366 + 364 = 730 days.
        add_report(s, add_measure(s, "M1", "1.1"), H2, 50)
        # Starts after 15.11.2024: nothing expected yet on that day.
        add_report(s, add_measure(s, "M2", "1.1", start=dt.date(2024, 12, 1)), H2, 0)
        # Planned end already passed: 100 % expected.
        add_report(s, add_measure(s, "M3", "1.1", end=dt.date(2024, 9, 30)), H2, 90)
        # No dates: no plan.
        add_report(s, add_measure(s, "M4", "1.1", start=None, end=None), H2, 10)

    snap = build(engine, definition_dict(), populate)

    at_end = measure_status(snap, H2)  # as of the period's end, 31.12.2024
    # 1.1.2024 .. 31.12.2024 = 365 days of 730.
    assert row(at_end, "code", "M1")["expected"] == pytest.approx(100 * 365 / 730)
    # 1.12.2024 .. 31.12.2024 = 30 days of 1.12.2024 .. 31.12.2025 = 30 + 365 = 395 days.
    assert row(at_end, "code", "M2")["expected"] == pytest.approx(100 * 30 / 395)
    assert row(at_end, "code", "M3")["expected"] == pytest.approx(100)
    assert math.isnan(row(at_end, "code", "M4")["expected"])

    on_day = measure_status(snap, H2, as_of=dt.date(2024, 11, 15))
    # Jan..Oct 2024 = 31+29+31+30+31+30+31+31+30+31 = 305 days, + 14 = 319 days.
    assert row(on_day, "code", "M1")["expected"] == pytest.approx(100 * 319 / 730)
    assert row(on_day, "code", "M2")["expected"] == 0
    assert row(on_day, "code", "M3")["expected"] == pytest.approx(100)

    # as_of after the period's end is capped at the period's end.
    late = measure_status(snap, H2, as_of=dt.date(2025, 6, 30))
    assert row(late, "code", "M1")["expected"] == pytest.approx(100 * 365 / 730)

    # H1 ends 30.6.2024: 1.1. -> 1.7. is 31+29+31+30+31+30 = 182 days, so 30.6. is day 181 of 730.
    assert row(measure_status(snap, H1), "code", "M1")["expected"] == pytest.approx(100 * 181 / 730)


@pytest.mark.parametrize(
    ("progress", "margin", "as_of", "behind"),
    [
        # expected 100*365/730 = 50 at 31.12.2024; default margin 15 -> threshold 35
        (34, None, None, True),
        (35, None, None, False),  # exactly at the margin: not behind
        (36, None, None, False),
        (0, None, None, True),
        (80, None, None, False),
        # margin 5 -> threshold 45
        (44, 5, None, True),
        (46, 5, None, False),
        # as of 15.11.2024: expected 100*319/730 = 43.70; threshold 28.70
        (28, None, dt.date(2024, 11, 15), True),
        (29, None, dt.date(2024, 11, 15), False),
    ],
)
def test_behind_plan_when_actual_falls_short_of_expected_by_the_margin(engine, progress, margin, as_of, behind):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H2, progress)

    snap = build(engine, definition_dict(), populate)
    kwargs = {"as_of": as_of}
    if margin is not None:
        kwargs["margin"] = margin
    m = row(measure_status(snap, H2, **kwargs), "code", "M1")
    assert bool(m["behind_plan"]) is behind


def test_default_margin_is_15_points():
    assert BEHIND_PLAN_MARGIN == 15


def test_a_measure_without_report_is_not_behind_plan(engine):
    def populate(s):
        add_measure(s, "M1", "1.1", end=dt.date(2024, 7, 31))  # 100 % expected, nothing reported

    snap = build(engine, definition_dict(), populate)
    m = row(measure_status(snap, H2), "code", "M1")
    assert m["expected"] == pytest.approx(100)
    assert not m["behind_plan"]


@pytest.mark.parametrize(
    ("status", "overdue"),
    [
        ("in_umsetzung", True),
        ("geplant", True),
        ("sistiert", True),
        ("abgeschlossen", False),
        (None, True),  # no report: still overdue
    ],
)
def test_overdue_when_planned_end_passed_and_not_abgeschlossen(engine, status, overdue):
    def populate(s):
        m = add_measure(s, "M1", "1.1", end=dt.date(2024, 9, 30))
        if status is not None:
            light = "gruen" if status in ("abgeschlossen", "in_umsetzung") else "gelb"
            add_report(s, m, H2, 100 if status == "abgeschlossen" else 60, status=status, light=light)

    snap = build(engine, definition_dict(), populate)
    assert bool(row(measure_status(snap, H2), "code", "M1")["overdue"]) is overdue
    # On 15.9.2024 the planned end (30.9.2024) has not passed yet.
    assert not row(measure_status(snap, H2, as_of=dt.date(2024, 9, 15)), "code", "M1")["overdue"]
    # On 1.10.2024 it has.
    assert bool(row(measure_status(snap, H2, as_of=dt.date(2024, 10, 1)), "code", "M1")["overdue"]) is overdue


def test_overdue_needs_the_planned_end_to_have_passed(engine):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1", end=dt.date(2024, 12, 31)), H2, 60)  # ends on the period's end
        add_report(s, add_measure(s, "M2", "1.1", end=dt.date(2024, 12, 30)), H2, 60)  # one day earlier
        add_report(s, add_measure(s, "M3", "1.1", start=None, end=None), H2, 60)  # no planned end

    snap = build(engine, definition_dict(), populate)
    measures = measure_status(snap, H2)
    assert not row(measures, "code", "M1")["overdue"]
    assert row(measures, "code", "M2")["overdue"]
    assert not row(measures, "code", "M3")["overdue"]


def test_abgeschlossen_in_an_earlier_period_is_not_overdue(engine):
    def populate(s):
        m = add_measure(s, "M1", "1.1", end=dt.date(2024, 6, 30))
        add_report(s, m, H1, 100, status="abgeschlossen")

    snap = build(engine, definition_dict(), populate)
    m = row(measure_status(snap, H2), "code", "M1")
    assert m["carried"]
    assert m["status"] == "abgeschlossen"  # its final report, carried
    assert not m["overdue"]


# --- completeness -----------------------------------------------------------------


def _completeness_populate(s):
    # STK
    add_report(s, add_measure(s, "S1", "1.1", department="STK"), H2, 40)
    add_measure(s, "S2", "1.1", department="STK")  # owes a report, has none
    s3 = add_measure(s, "S3", "1.1", department="STK")
    add_report(s, s3, H1, 100, status="abgeschlossen")  # completed in H1: carried into H2
    add_measure(s, "S4", "1.1", department="STK", active=False)  # inactive: does not count
    add_measure(s, "S5", "1.1", department="STK", start=dt.date(2025, 3, 1))  # not started by 31.12.2024
    add_report(s, add_measure(s, "S6", "1.2", department="STK"), H2, 70)
    # FD
    add_report(s, add_measure(s, "F1", "2.1", department="FD"), H2, 10)
    add_report(s, add_measure(s, "F2", "2.1", department="FD"), H2, 30, status="sistiert", light="gelb")
    add_measure(s, "F3", "2.1", department="FD")


def test_completeness_by_department_is_the_share_of_owed_reports_received(engine):
    snap = build(engine, definition_dict(), _completeness_populate)
    comp = completeness(measure_status(snap, H2))
    stk = row(comp, "department_code", "STK")
    # S1, S2, S6 owe a report; S1 and S6 have one. S3 is carried, S4 inactive, S5 not started.
    assert (stk["active"], stk["reported"], stk["missing"]) == (3, 2, 1)
    assert stk["share"] == pytest.approx(2 / 3)
    fd = row(comp, "department_code", "FD")
    assert (fd["active"], fd["reported"], fd["missing"]) == (3, 2, 1)
    assert fd["share"] == pytest.approx(2 / 3)

    # In H1 S3 owed its report and delivered it; S1, S2, S6, F1-F3 had nothing yet.
    comp_h1 = completeness(measure_status(snap, H1))
    stk_h1 = row(comp_h1, "department_code", "STK")
    assert (stk_h1["active"], stk_h1["reported"]) == (4, 1)
    assert stk_h1["share"] == pytest.approx(1 / 4)
    assert row(comp_h1, "department_code", "FD")["share"] == 0


def test_completed_measure_is_carried_counts_for_progress_but_owes_no_report(engine):
    snap = build(engine, definition_dict(), _completeness_populate)
    measures = measure_status(snap, H2)
    assert set(measures["code"]) == {"S1", "S2", "S3", "S6", "F1", "F2", "F3"}
    s3 = row(measures, "code", "S3")
    assert s3["carried"]
    assert not s3["has_report"]
    assert not s3["owes_report"]
    assert s3["state"] == "abgeschlossen"
    assert s3["progress"] == 100
    for code in ("S1", "S2", "S6", "F1", "F2", "F3"):
        assert not row(measures, "code", code)["carried"]
        assert row(measures, "code", code)["owes_report"]

    goals = goal_progress(snap, measures)
    # 1.1: S1 40 %, S2 keine Meldung (left out), S3 carried with its final 100 %.
    assert row(goals, "goal_code", "1.1")["progress"] == pytest.approx((40 + 100) / 2)
    # 2.1: F1 10 %, F2 sistiert (left out), F3 keine Meldung.
    assert row(goals, "goal_code", "2.1")["progress"] == pytest.approx(10)


def test_abgebrochen_in_an_earlier_period_is_carried_but_does_not_pull_progress_down(engine):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H1, 5, status="abgebrochen", light="rot")
        add_report(s, add_measure(s, "M2", "1.1"), H2, 60)

    snap = build(engine, definition_dict(), populate)
    measures = measure_status(snap, H2)
    m1 = row(measures, "code", "M1")
    assert m1["carried"]
    assert not m1["owes_report"]
    assert not m1["overdue"]
    g = row(goal_progress(snap, measures), "goal_code", "1.1")
    assert g["progress"] == pytest.approx(60)
    assert g["n_paused"] == 1
    comp = completeness(measures)
    assert row(comp, "department_code", "STK")["active"] == 1


def test_sistiert_in_an_earlier_period_is_not_carried(engine):
    def populate(s):
        add_report(s, add_measure(s, "M1", "1.1"), H1, 30, status="sistiert", light="gelb")

    snap = build(engine, definition_dict(), populate)
    m1 = row(measure_status(snap, H2), "code", "M1")
    assert not m1["carried"]
    assert m1["owes_report"]
    assert m1["state"] == NO_REPORT
    assert math.isnan(m1["progress"])


# --- changes since the previous period -------------------------------------------------


def test_changes_since_previous_period(engine):
    def populate(s):
        a = add_measure(s, "A", "1.1")  # advances
        add_report(s, a, H1, 20)
        add_report(s, a, H2, 50)
        b = add_measure(s, "B", "1.1")  # same progress, turns red
        add_report(s, b, H1, 40, light="gelb")
        add_report(s, b, H2, 40, light="rot")
        c = add_measure(s, "C", "1.1")  # completes
        add_report(s, c, H1, 60)
        add_report(s, c, H2, 100, status="abgeschlossen")
        d = add_measure(s, "D", "1.2")  # red before, red now: not «turned» red
        add_report(s, d, H1, 30, light="rot")
        add_report(s, d, H2, 35, light="rot")
        e = add_measure(s, "E", "1.2")  # no report in H2
        add_report(s, e, H1, 50)
        f = add_measure(s, "F", "2.1")  # completed in H1, carried into H2
        add_report(s, f, H1, 100, status="abgeschlossen")
        g = add_measure(s, "G", "2.1")  # goes back
        add_report(s, g, H1, 70, light="gelb")
        add_report(s, g, H2, 60, light="gruen")
        h = add_measure(s, "H", "2.1")  # completed in H1 and reported as completed again
        add_report(s, h, H1, 100, status="abgeschlossen")
        add_report(s, h, H2, 100, status="abgeschlossen", comment="bestätigt")

    snap = build(engine, definition_dict(), populate)
    ch = changes_since(measure_status(snap, H2), measure_status(snap, H1)).set_index("code")

    expected = {
        # code: (progress_delta, advanced, turned_red, completed)
        "A": (50 - 20, True, False, False),
        "B": (40 - 40, False, True, False),
        "C": (100 - 60, True, False, True),
        "D": (35 - 30, True, False, False),
        "E": (None, False, False, False),
        "F": (None, False, False, False),
        "G": (60 - 70, False, False, False),
        "H": (100 - 100, False, False, False),
    }
    for code, (delta, advanced, turned_red, completed) in expected.items():
        got = ch.loc[code]
        if delta is None:
            assert math.isnan(got["progress_delta"]), code
        else:
            assert got["progress_delta"] == pytest.approx(delta), code
        assert bool(got["advanced"]) is advanced, code
        assert bool(got["turned_red"]) is turned_red, code
        assert bool(got["completed"]) is completed, code
    assert bool(ch.loc["B", "light_changed"]) is True
    assert bool(ch.loc["A", "light_changed"]) is False
    assert bool(ch.loc["C", "status_changed"]) is True


# --- the headline ---------------------------------------------------------------------


def _headline_snapshot(engine):
    # Goal 1.2 has no measures: AF1 has two goals but only one with data.
    definition = definition_dict(
        {"AF1": {"1.1": {"K1": 1}, "1.2": {"K1": 1}}, "AF2": {"2.1": {"K1": 1}}, "AF3": {"3.1": {"K1": 1}}},
        cores=("K1",),
    )

    def populate(s):
        m1 = add_measure(s, "M1", "1.1")  # 1.1.2024 .. 31.12.2025: 50 % expected at 31.12.2024
        add_report(s, m1, H1, 10)
        add_report(s, m1, H2, 20, light="gruen")  # 20 < 50 - 15: behind plan
        add_report(s, add_measure(s, "M2", "1.1", weight=3), H2, 80, light="rot")
        add_measure(s, "M3", "2.1", end=dt.date(2024, 6, 30))  # never reported, end passed: overdue
        m4 = add_measure(s, "M4", "2.1", end=dt.date(2024, 6, 30))
        add_report(s, m4, H1, 100, status="abgeschlossen")  # carried into H2
        # AF3 has no measures at all.

    return build(engine, definition, populate)


def test_headline_figures_on_a_tiny_case(engine):
    snap = _headline_snapshot(engine)
    h = headline(rollup(snap, H2))
    assert h["measures"] == 4  # M1..M4
    assert h["active"] == 3  # M4 is carried and owes nothing
    assert h["reported"] == 2  # M1, M2
    assert h["completeness"] == pytest.approx(2 / 3)
    assert h["on_track_share"] == pytest.approx(1 / 2)
    assert (h["green"], h["yellow"], h["red"]) == (1, 0, 1)
    assert h["behind_plan"] == 1  # M1
    assert h["overdue"] == 1  # M3
    assert h["completed"] == 1  # M4, with its final report
    # AF1: goal 1.1 = (20*1 + 80*3) / 4 = 65; AF2: goal 2.1 = 100 (M4 carried, M3 no report);
    # AF3 has no data and is left out; fields count the same, whatever their number of goals.
    assert h["overall_progress"] == pytest.approx(((20 * 1 + 80 * 3) / 4 + 100) / 2)


def test_headline_of_the_earlier_period_and_the_trend(engine):
    snap = _headline_snapshot(engine)
    h1 = headline(rollup(snap, H1))
    assert h1["measures"] == 4
    assert h1["active"] == 4
    assert h1["reported"] == 2  # M1, M4
    assert h1["completeness"] == pytest.approx(2 / 4)
    assert h1["overdue"] == 0  # planned ends 30.6.2024 have not passed on 30.6.2024
    assert h1["completed"] == 1
    # AF1: 1.1 = 10 (M2 no report); AF2: 2.1 = 100 (M4).
    assert h1["overall_progress"] == pytest.approx((10 + 100) / 2)

    trend = progress_trend(snap).set_index(["period", "field_code"])["progress"]
    assert trend[(H1, "Gesamt")] == pytest.approx((10 + 100) / 2)
    assert trend[(H2, "Gesamt")] == pytest.approx(((20 * 1 + 80 * 3) / 4 + 100) / 2)
    assert trend[(H1, "AF1")] == pytest.approx(10)
    assert trend[(H2, "AF1")] == pytest.approx((20 * 1 + 80 * 3) / 4)
    assert math.isnan(trend[(H2, "AF3")])
    # up_to stops after the named period.
    assert set(progress_trend(snap, up_to=H1)["period"]) == {H1}


def test_the_sammelampel_says_why_when_the_rule_decided_a_tie():
    from tracking.rollup import leading_lights, majority_light, tie_note

    # One of each, weight 1 each: a three-way tie, the worst colour wins (the AF1 case of the demo).
    three = {"gruen": 1.0, "gelb": 1.0, "rot": 1.0}
    assert leading_lights(three) == ["gruen", "gelb", "rot"] and majority_light(three) == "rot"
    assert tie_note(three) == (
        "Gleichstand nach Gewicht der Massnahmen zwischen grün, gelb und rot: "
        "bei Gleichstand gilt die schlechtere Farbe, rot."
    )
    # Weights 2 + 2 against 1: grün and gelb tie, gelb wins.
    two = {"gruen": 2.0, "gelb": 2.0, "rot": 1.0}
    assert majority_light(two) == "gelb"
    assert tie_note(two) == (
        "Gleichstand nach Gewicht der Massnahmen zwischen grün und gelb: "
        "bei Gleichstand gilt die schlechtere Farbe, gelb."
    )
    # A clear majority needs no note.
    assert tie_note({"gruen": 2.0, "rot": 1.0}) == "" and tie_note({}) == ""
