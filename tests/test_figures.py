"""The overview's figures in SQL (tracking/figures.py) equal the pandas roll-up (tracking/rollup.py).

rollup.py is checked against hand-computed cases and invariants in
test_rollup*.py; here a seeded random history, with every case the rules
treat specially (measures ended and carried, reopened after ending, paused,
stopped, without report, not yet started, inactive, ending the day they start, no dates),
is rolled up both ways, on SQLite and PostgreSQL, for every period and as of
a day inside one.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import pandas as pd
import pytest

from tests.factories import add_measure, add_report
from tracking import figures
from tracking import rollup as ru
from tracking.council import council_content, load_council_content
from tracking.db import transaction
from tracking.figures import department_lights, figures_trend, period_figures
from tracking.measures import measure_history
from tracking.models import Goal
from tracking.periods import all_periods, get_period
from tracking.reports import REPORT_FIELDS, owing_reports
from tracking.scope import Scope
from tracking.snapshot import Snapshot, load_snapshot

STATUSES = ["geplant", "in_umsetzung", "in_umsetzung", "abgeschlossen", "sistiert", "abgebrochen"]
LIGHTS = ["gruen", "gruen", "gelb", "rot"]


def random_history(engine, seed: int, measures: int = 120) -> None:
    rng = random.Random(seed)
    with transaction(engine) as session:
        goals = [g.code for g in session.query(Goal).all()]
        periods = [p.name for p in all_periods(session)]
        for n in range(measures):
            start = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(0, 1800))
            end = start + dt.timedelta(days=rng.choice([0, 200, 700, 1500]))
            measure = add_measure(
                session,
                f"M-R.{n:03d}",
                rng.choice(goals),
                department=rng.choice(["STK", "FD", "BKD", "GSD"]),
                start=None if rng.random() < 0.05 else start,
                end=None if rng.random() < 0.05 else end,
                weight=rng.choice([0.5, 1.0, 1.0, 2.0]),
                active=rng.random() > 0.05,
            )
            for period in periods:
                if rng.random() < 0.35:
                    continue  # no report in this period
                status = rng.choice(STATUSES)
                progress = 100 if status == "abgeschlossen" else rng.randrange(0, 101)
                add_report(session, measure, period, progress, status=status, light=rng.choice(LIGHTS))


def assert_same(snap: Snapshot, structure: Snapshot, session, period: str, as_of: dt.date | None) -> None:
    expected = ru.rollup(snap, period, as_of=as_of)
    got = period_figures(session, structure, period, as_of=as_of)
    for key, value in ru.headline(expected).items():
        other = got.headline[key]
        assert (math.isnan(value) and math.isnan(other)) or value == pytest.approx(other, rel=1e-12), (period, key)
    columns = ["progress", "n_measures", "n_counted", "n_paused", "n_no_report", "n_behind_plan", "n_overdue"]
    pd.testing.assert_frame_equal(
        expected.goals.set_index("goal_id")[columns].sort_index(),
        got.goals.set_index("goal_id")[columns].sort_index(),
        check_dtype=False,
    )
    for name in ("fields", "core_goals", "matrix"):
        pd.testing.assert_frame_equal(
            getattr(expected, name).reset_index(drop=True),
            getattr(got, name).reset_index(drop=True)[getattr(expected, name).columns],
            check_dtype=False,
        )
    pd.testing.assert_frame_equal(
        ru.light_distribution(expected.measures, "field_code").reset_index(drop=True),
        got.lights_by_field.reset_index(drop=True),
        check_dtype=False,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_sql_figures_equal_the_pandas_rollup(luzern, seed):
    random_history(luzern, seed)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        structure = load_snapshot(session, with_measures=False)
        periods = list(snap.periods["period"])
        assert len(periods) >= 6
        for period in periods:
            assert_same(snap, structure, session, period, None)
        # As of a day inside a period: plan and overdue checks move.
        row = snap.period_row(periods[-2])
        assert_same(snap, structure, session, periods[-2], row["start_date"] + dt.timedelta(days=40))


def test_the_history_covers_the_special_cases(luzern):
    """The random history above really holds what the comparison is meant to cover."""
    random_history(luzern, 1)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        seen = pd.concat([ru.measure_status(snap, p).assign(period=p) for p in snap.periods["period"]])
    assert seen["carried"].any()
    assert (seen["state"] == ru.NO_REPORT).any()
    assert seen["behind_plan"].any() and seen["overdue"].any()
    assert seen["status"].isin(["sistiert"]).any() and seen["status"].isin(["abgebrochen"]).any()
    assert (seen["start_date"] == seen["planned_end"]).any()


def test_trend_equals_the_pandas_trend(luzern):
    random_history(luzern, 4, measures=60)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        structure = load_snapshot(session, with_measures=False)
        last = snap.periods["period"].iloc[-2]
        pd.testing.assert_frame_equal(
            ru.progress_trend(snap, up_to=last), figures_trend(session, structure, up_to=last), check_dtype=False
        )


def test_goals_trend_equals_the_pandas_goal_trend(luzern):
    random_history(luzern, 5, measures=80)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        structure = load_snapshot(session, with_measures=False)
        last = snap.periods["period"].iloc[-2]
        expected = ru.goal_trend(snap, up_to=last)
        assert expected["progress"].notna().sum() > 20  # the comparison has numbers to compare
        pd.testing.assert_frame_equal(
            expected.reset_index(drop=True), figures.goals_trend(session, structure, up_to=last), check_dtype=False
        )
        field_id = int(structure.fields["field_id"].iloc[4])
        pd.testing.assert_frame_equal(
            expected[expected["field_id"] == field_id].reset_index(drop=True),
            figures.goals_trend(session, structure, field_id, up_to=last),
            check_dtype=False,
        )


def _plain(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
    """Rows as tuples of plain values: NaN and None alike, numbers as float."""

    def plain(value):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value

    return [tuple(plain(v) for v in row) for row in frame[columns].itertuples(index=False)]


@pytest.mark.parametrize("scope", [Scope(), Scope("field", "AF1"), Scope("department", "FD")], ids=str)
def test_owing_reports_in_sql_equal_the_pandas_rollup(luzern, scope):
    """What the page Statusbericht lists (owing_reports, SQL) is rollup.measure_status's owing rows in the scope."""
    random_history(luzern, 5)
    columns = ["code", "field_code", "department_code", "title", "responsible_unit", "has_report", *REPORT_FIELDS]
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        seen: set[bool] = set()
        for period in snap.periods["period"]:
            expected = scope.filter(ru.measure_status(snap, period))
            expected = expected[expected["owes_report"]].sort_values("code")
            got = owing_reports(session, get_period(session, period), scope)
            assert _plain(got, columns) == _plain(expected, columns), period
            assert got["owes_report"].all()
            seen |= set(got["has_report"])
    assert seen == {True, False}  # the scope holds measures with and without a report


@pytest.mark.parametrize("scope", [Scope("field", "AF3"), Scope("department", "GSD")], ids=str)
def test_a_scoped_snapshot_gives_the_scope_s_figures_of_the_whole(luzern, scope):
    """What the pages Aktionsfelder and Departemente read at scale: only the field's or the
    department's measures, with the same figures for them as the whole snapshot gives."""
    random_history(luzern, 6)
    with transaction(luzern) as session:
        whole = load_snapshot(session)
        part = load_snapshot(session, scope=scope)
    assert 0 < len(part.measures) < len(whole.measures)
    assert set(part.reports["measure_id"]) <= set(part.measures["measure_id"])
    for period in whole.periods["period"]:
        full, scoped = ru.rollup(whole, period), ru.rollup(part, period)
        pd.testing.assert_frame_equal(
            scope.filter(full.measures).reset_index(drop=True), scoped.measures.reset_index(drop=True)
        )
        if scope.kind == "field":
            field_id = int(whole.fields.loc[whole.fields["field_code"] == scope.code, "field_id"].iloc[0])
            own_goals = full.goals[full.goals["field_id"] == field_id].reset_index(drop=True)
            pd.testing.assert_frame_equal(
                own_goals, scoped.goals[scoped.goals["field_id"] == field_id].reset_index(drop=True)
            )
            pd.testing.assert_frame_equal(
                full.fields[full.fields["field_code"] == scope.code].reset_index(drop=True),
                scoped.fields[scoped.fields["field_code"] == scope.code].reset_index(drop=True),
            )
        else:
            own = whole.departments[whole.departments["department_code"] == scope.code]
            pd.testing.assert_frame_equal(
                ru.department_summary(full.measures, own), ru.department_summary(scoped.measures, own)
            )
    if scope.kind == "field":
        trend, scoped_trend = ru.goal_trend(whole), ru.goal_trend(part)
        pd.testing.assert_frame_equal(
            trend[trend["field_id"] == field_id].reset_index(drop=True),
            scoped_trend[scoped_trend["field_id"] == field_id].reset_index(drop=True),
        )


def test_department_lights_in_sql_equal_the_pandas_rollup(luzern):
    random_history(luzern, 7)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        structure = load_snapshot(session, with_measures=False)
        periods = list(snap.periods["period"])
        for period in periods:
            expected = ru.light_distribution(ru.measure_status(snap, period), "department_code")
            got = department_lights(session, structure, period)
            pd.testing.assert_frame_equal(got, expected, check_dtype=False)
        row = snap.period_row(periods[-2])
        day = row["start_date"] + dt.timedelta(days=40)
        expected = ru.light_distribution(ru.measure_status(snap, periods[-2], as_of=day), "department_code")
        pd.testing.assert_frame_equal(
            department_lights(session, structure, periods[-2], as_of=day), expected, check_dtype=False
        )
    # Four departments, with red lights and missing reports among them: the comparison is not of empty tables.
    assert len(expected) == 4 and (expected["rot"] > 0).any() and (expected[ru.NO_REPORT] > 0).any()


def test_council_content_from_two_periods_equals_the_whole_history(luzern):
    """The meeting summary reads only the period, the one before it and the final reports carried
    into them (with the trend in SQL), and says exactly what it says from the whole history."""
    random_history(luzern, 8)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        periods = list(snap.periods["period"])
        for period in periods:
            assert load_council_content(session, period) == council_content(snap, period), period
        day = snap.period_row(periods[-2])["start_date"] + dt.timedelta(days=40)
        assert load_council_content(session, periods[-2], as_of=day) == council_content(snap, periods[-2], as_of=day)
        window = load_snapshot(session, report_periods=periods[-3:-1])
    # The window holds far fewer reports, among them final ones from before it (carried measures).
    assert len(window.reports) < len(snap.reports) / 2
    first = snap.period_row(periods[-3])["period_id"]
    older = window.reports[~window.reports["period_id"].isin([first, snap.period_row(periods[-2])["period_id"]])]
    assert len(older) > 0 and older["status"].isin(["abgeschlossen", "abgebrochen"]).all()


def test_a_period_s_rollup_and_a_measure_s_history_need_only_their_reports(luzern):
    """What the pages Massnahmen, Aktionsfelder and Departemente read at scale: one period's
    reports (with the final ones carried into it), or one measure's, give the same as everything."""
    random_history(luzern, 9)
    with transaction(luzern) as session:
        snap = load_snapshot(session)
        for period in snap.periods["period"]:
            window = load_snapshot(session, report_periods=[period])
            assert len(window.reports) < len(snap.reports)
            full, part = ru.rollup(snap, period), ru.rollup(window, period)
            for name in ("measures", "goals", "fields", "core_goals", "matrix"):
                pd.testing.assert_frame_equal(getattr(full, name), getattr(part, name), obj=f"{period} {name}")
        for measure_id in snap.measures["measure_id"].head(25):
            one = load_snapshot(session, measure_id=int(measure_id))
            assert list(one.measures["measure_id"]) == [measure_id]
            pd.testing.assert_frame_equal(
                _missing_as_none(measure_history(snap, measure_id)),
                _missing_as_none(measure_history(one, measure_id)),
                check_dtype=False,
            )


def _missing_as_none(frame: pd.DataFrame) -> pd.DataFrame:
    """NaN and None alike (an all-empty column comes back as either), as the pages show them."""
    return frame.astype(object).where(frame.notna(), None)


@pytest.mark.parametrize(("margin", "behind"), [(15.0, 3), (0.0, 6), (-5.0, 7)])
def test_behind_plan_at_the_boundaries(luzern, margin, behind):
    """Plan vs actual on the day, counted by hand: progress + margin below the expected progress.

    Day d = 30 days before the period's end. Plans: A from d−100 to d+100
    (expected 50 %), B starting and ending d−10 (no length: 100 %), C starting
    d+10 (not started: 0 %), D from d−300 to d−100 (plan over: 100 %).
    Margin 15: A 34 (< 35), B 84 (< 85) and D 80 (< 85) are behind; A 35,
    B 85, C 0 and D 90 are not. Margin 0: all but C 0. Margin −5: all seven.
    """
    with transaction(luzern) as session:
        period = all_periods(session)[-1]
        day = period.end_date - dt.timedelta(days=30)
        d = dt.timedelta
        plans = {"A": (day - d(100), day + d(100)), "B": (day - d(10), day - d(10)), "C": (day + d(10), day + d(200))}
        plans["D"] = (day - d(300), day - d(100))
        for n, (plan, progress) in enumerate(
            [("A", 34), ("A", 35), ("B", 84), ("B", 85), ("C", 0), ("D", 80), ("D", 90)]
        ):
            start, end = plans[plan]
            measure = add_measure(session, f"M-B.{n}", "1.1", start=start, end=end)
            add_report(session, measure, period.name, progress)
    with transaction(luzern) as session:
        structure = load_snapshot(session, with_measures=False)
        figures = period_figures(session, structure, period.name, as_of=day, margin=margin)
        assert figures.headline["behind_plan"] == behind
        pandas = ru.measure_status(load_snapshot(session), period.name, as_of=day, margin=margin)
        assert int(pandas["behind_plan"].sum()) == behind
