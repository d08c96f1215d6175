"""Invariants of the roll-ups, checked with hypothesis on hand-built snapshots.

No database: a Snapshot is built directly from DataFrames with the columns and
dtypes that load_snapshot produces (ids int64, codes str, weights float64,
dates as datetime.date objects, progress int64).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracking.rollup import (
    core_goal_progress,
    field_core_matrix,
    field_progress,
    goal_progress,
    light_distribution,
    measure_status,
    summary_light,
)
from tracking.snapshot import MEASURE_COLUMNS, REPORT_COLUMNS, Snapshot
from tracking.vocab import LIGHTS, NO_DATA, NO_REPORT, STATUSES

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only

FAST = settings(max_examples=40, deadline=None)

PERIODS = [
    ("2024-H1", dt.date(2024, 1, 1), dt.date(2024, 6, 30), False),
    ("2024-H2", dt.date(2024, 7, 1), dt.date(2024, 12, 31), True),
]
PERIOD_NAMES = [p[0] for p in PERIODS]
DEPARTMENTS = ["FD", "STK"]

weights = st.floats(min_value=0.1, max_value=10, allow_nan=False, allow_infinity=False)
scales = st.floats(min_value=0.01, max_value=100, allow_nan=False, allow_infinity=False)
contribution = st.one_of(st.just(0.0), st.sampled_from([1.0, 2.0, 3.0]), weights)
report_spec = st.fixed_dictionaries(
    {
        "status": st.sampled_from(list(STATUSES)),
        "light": st.sampled_from(list(LIGHTS)),
        "progress": st.integers(0, 100),
    }
)
measure_spec = st.fixed_dictionaries(
    {
        "weight": weights,
        "start": st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2025, 6, 30))),
        "days": st.one_of(st.none(), st.integers(0, 1000)),
        "active": st.booleans(),
        "department": st.sampled_from(DEPARTMENTS),
        # one optional report per period
        "reports": st.tuples(st.one_of(st.none(), report_spec), st.one_of(st.none(), report_spec)),
    }
)


@st.composite
def specs(draw, max_fields: int = 3, max_goals: int = 4, max_measures: int = 4):
    n_cores = draw(st.integers(1, 3))
    fields = []
    for _ in range(draw(st.integers(1, max_fields))):
        goals = []
        for _ in range(draw(st.integers(1, max_goals))):
            goals.append(
                {
                    "weight": draw(weights),
                    "contributes": draw(st.lists(contribution, min_size=n_cores, max_size=n_cores)),
                    "measures": draw(st.lists(measure_spec, max_size=max_measures)),
                }
            )
        fields.append(goals)
    return {"n_cores": n_cores, "fields": fields}


def make_snapshot(spec: dict) -> Snapshot:
    """A Snapshot shaped like load_snapshot's, from a plain spec."""
    field_rows, goal_rows, contrib_rows, measure_rows, report_rows = [], [], [], [], []
    goal_id = measure_id = 0
    for f_index, goals in enumerate(spec["fields"]):
        field_id = f_index + 1
        field_rows.append((field_id, f"AF{field_id}", f"Feld {field_id}", f_index))
        for g_index, goal in enumerate(goals):
            goal_id += 1
            goal_rows.append(
                (
                    goal_id,
                    f"{field_id}.{g_index + 1}",
                    f"Ziel {goal_id}",
                    field_id,
                    float(goal["weight"]),
                    False,
                    g_index,
                )
            )
            for c_index, weight in enumerate(goal["contributes"]):
                contrib_rows.append((goal_id, c_index + 1, float(weight)))
            for m in goal["measures"]:
                measure_id += 1
                start = m["start"]
                end = None if start is None or m["days"] is None else start + dt.timedelta(days=m["days"])
                measure_rows.append(
                    (
                        measure_id,
                        f"M-{measure_id:03d}",
                        f"Massnahme {measure_id}",
                        goal_id,
                        DEPARTMENTS.index(m["department"]) + 1,
                        start,
                        end,
                        float(m["weight"]),
                        bool(m["active"]),
                        None,
                        None,
                        None,  # not retired
                        False,  # not public
                    )
                )
                for p_index, rep in enumerate(m["reports"]):
                    if rep is None:
                        continue
                    report_rows.append(
                        (
                            measure_id,
                            p_index + 1,
                            rep["status"],
                            rep["light"],
                            int(rep["progress"]),
                            None if rep["light"] == "gruen" else "Begründung",
                            None,
                            None,
                            "test",
                            dt.datetime(2024, 11, 15, 12, 0),
                            False,
                            None,
                        )
                    )
    return Snapshot(
        fields=pd.DataFrame(field_rows, columns=["field_id", "field_code", "field_name", "field_position"]),
        goals=pd.DataFrame(
            goal_rows,
            columns=["goal_id", "goal_code", "goal_name", "field_id", "goal_weight", "is_example", "goal_position"],
        ),
        core_goals=pd.DataFrame(
            [(i + 1, f"K{i + 1}", f"Kernziel {i + 1}", "") for i in range(spec["n_cores"])],
            columns=["core_goal_id", "core_code", "core_name", "core_short"],
        ),
        contributions=pd.DataFrame(contrib_rows, columns=["goal_id", "core_goal_id", "weight"]),
        departments=pd.DataFrame(
            [(i + 1, code, f"Departement {code}") for i, code in enumerate(DEPARTMENTS)],
            columns=["department_id", "department_code", "department_name"],
        ),
        measures=pd.DataFrame(measure_rows, columns=MEASURE_COLUMNS),
        periods=pd.DataFrame(
            [(i + 1, *p) for i, p in enumerate(PERIODS)],
            columns=["period_id", "period", "start_date", "end_date", "is_open"],
        ),
        reports=pd.DataFrame(report_rows, columns=REPORT_COLUMNS),
    )


def compute(snap: Snapshot, period: str, *, matrix: bool = True) -> dict[str, pd.DataFrame]:
    measures = measure_status(snap, period)
    return upward(snap, measures, matrix=matrix)


def upward(snap: Snapshot, measures: pd.DataFrame, *, matrix: bool = True) -> dict[str, pd.DataFrame]:
    """Goal, field and core goal roll-ups from measure_status rows."""
    goals = goal_progress(snap, measures)
    out = {
        "measures": measures,
        "goals": goals,
        "fields": field_progress(snap, goals),
        "cores": core_goal_progress(snap, goals),
    }
    if matrix:
        out["matrix"] = field_core_matrix(snap, goals)
    return out


def progress_by(df: pd.DataFrame, key: str) -> dict:
    return dict(zip(df[key], df["progress"]))


def assert_same_progress(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        if math.isnan(a[key]):
            assert math.isnan(b[key]), key
        else:
            assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-9), key


def in_range(value: float) -> bool:
    return math.isnan(value) or -1e-9 <= value <= 100 + 1e-9


period = st.sampled_from(PERIOD_NAMES)


# --- range ------------------------------------------------------------------------


@FAST
@given(spec=specs(), period=period)
def test_progress_stays_within_0_and_100_or_is_nan(spec, period):
    r = compute(make_snapshot(spec), period)
    for level in ("measures", "goals", "fields", "cores", "matrix"):
        values = r[level]["progress"]
        assert all(in_range(v) for v in values), (level, list(values))


@FAST
@given(spec=specs(), period=period)
def test_goal_progress_lies_between_its_counted_measures(spec, period):
    snap = make_snapshot(spec)
    m = measure_status(snap, period)
    counted = m[m["progress"].notna() & ~m["status"].isin(["sistiert", "abgebrochen"])]
    for goal in goal_progress(snap, m).itertuples():
        values = counted.loc[counted["goal_id"] == goal.goal_id, "progress"]
        if values.empty:
            assert math.isnan(goal.progress)
            assert goal.state == NO_DATA
        else:
            assert values.min() - 1e-9 <= goal.progress <= values.max() + 1e-9


# --- scale invariance ---------------------------------------------------------------


@FAST
@given(spec=specs(), period=period, c=scales)
def test_scaling_all_measure_weights_changes_nothing(spec, period, c):
    snap = make_snapshot(spec)
    scaled = dataclasses.replace(snap, measures=snap.measures.assign(weight=snap.measures["weight"] * c))
    a, b = compute(snap, period, matrix=False), compute(scaled, period, matrix=False)
    assert_same_progress(progress_by(a["goals"], "goal_id"), progress_by(b["goals"], "goal_id"))
    assert_same_progress(progress_by(a["fields"], "field_id"), progress_by(b["fields"], "field_id"))
    assert_same_progress(progress_by(a["cores"], "core_goal_id"), progress_by(b["cores"], "core_goal_id"))


@FAST
@given(spec=specs(), period=period, c=scales)
def test_scaling_all_goal_weights_changes_nothing(spec, period, c):
    snap = make_snapshot(spec)
    scaled = dataclasses.replace(snap, goals=snap.goals.assign(goal_weight=snap.goals["goal_weight"] * c))
    measures = measure_status(snap, period)  # does not read goal weights
    a = field_progress(snap, goal_progress(snap, measures))
    b = field_progress(scaled, goal_progress(scaled, measures))
    assert_same_progress(progress_by(a, "field_id"), progress_by(b, "field_id"))


@FAST
@given(spec=specs(), period=period, c=scales)
def test_scaling_all_contribution_weights_changes_progress_not_and_strength_in_step(spec, period, c):
    snap = make_snapshot(spec)
    scaled = dataclasses.replace(snap, contributions=snap.contributions.assign(weight=snap.contributions["weight"] * c))
    goals = goal_progress(snap, measure_status(snap, period))  # neither reads contributions
    a, b = core_goal_progress(snap, goals), core_goal_progress(scaled, goals)
    assert_same_progress(progress_by(a, "core_goal_id"), progress_by(b, "core_goal_id"))
    ma, mb = field_core_matrix(snap, goals), field_core_matrix(scaled, goals)
    key = lambda df: [f"{f}/{k}" for f, k in zip(df["field_code"], df["core_code"])]
    assert_same_progress(dict(zip(key(ma), ma["progress"])), dict(zip(key(mb), mb["progress"])))
    assert list(mb["strength"]) == pytest.approx([s * c for s in ma["strength"]])
    assert list(mb["state"]) == list(ma["state"])


# --- goals without data -----------------------------------------------------------------


@st.composite
def spec_and_empty_goal(draw):
    spec = draw(specs())
    field_index = draw(st.integers(0, len(spec["fields"]) - 1))
    # No data: no measures, or measures that never reported.
    silent = measure_spec.map(lambda m: {**m, "reports": (None, None)})
    goal = {
        "weight": draw(weights),
        "contributes": draw(st.lists(contribution, min_size=spec["n_cores"], max_size=spec["n_cores"])),
        "measures": draw(st.lists(silent, max_size=3)),
    }
    return spec, field_index, goal


@FAST
@given(data=spec_and_empty_goal(), period=period)
def test_adding_a_goal_without_data_does_not_move_the_field(data, period):
    spec, field_index, goal = data
    before = compute(make_snapshot(spec), period, matrix=False)
    fields = [list(goals) for goals in spec["fields"]]
    fields[field_index].append(goal)
    after = compute(make_snapshot({**spec, "fields": fields}), period, matrix=False)

    new_code = f"{field_index + 1}.{len(fields[field_index])}"
    new_goal = after["goals"][after["goals"]["goal_code"] == new_code].iloc[0]
    assert math.isnan(new_goal["progress"])
    assert new_goal["state"] == NO_DATA
    assert_same_progress(progress_by(before["fields"], "field_id"), progress_by(after["fields"], "field_id"))
    # It has no data for the core goals either.
    assert_same_progress(progress_by(before["cores"], "core_goal_id"), progress_by(after["cores"], "core_goal_id"))
    f = after["fields"].iloc[field_index]
    assert f["n_goals"] == len(fields[field_index])
    assert f["n_goals_with_data"] == before["fields"].iloc[field_index]["n_goals_with_data"]


# --- no report is never 0 % -----------------------------------------------------------------


@FAST
@given(spec=specs(), period=period)
def test_a_measure_without_report_has_no_progress_never_zero(spec, period):
    snap = make_snapshot(spec)
    m = measure_status(snap, period)
    silent = m[~m["has_report"] & ~m["carried"]]
    assert (silent["state"] == NO_REPORT).all()
    assert silent["progress"].isna().all()
    assert silent["owes_report"].all()
    # A goal whose measures all lack a report has no data, not 0 %.
    for goal in goal_progress(snap, m).itertuples():
        own = m[m["goal_id"] == goal.goal_id]
        if len(own) and (~own["has_report"] & ~own["carried"]).all():
            assert math.isnan(goal.progress)
            assert goal.state == NO_DATA


@FAST
@given(spec=specs(max_fields=1, max_goals=1), silent=st.lists(measure_spec, min_size=1, max_size=3), period=period)
def test_adding_unreported_measures_does_not_change_the_goal(spec, silent, period):
    before = compute(make_snapshot(spec), period, matrix=False)
    extra = [{**m, "reports": (None, None), "active": True, "start": dt.date(2024, 1, 1)} for m in silent]
    goal = spec["fields"][0][0]
    bigger = {**spec, "fields": [[{**goal, "measures": [*goal["measures"], *extra]}]]}
    after = compute(make_snapshot(bigger), period, matrix=False)
    assert_same_progress(progress_by(before["goals"], "goal_id"), progress_by(after["goals"], "goal_id"))
    assert after["goals"].iloc[0]["n_no_report"] == before["goals"].iloc[0]["n_no_report"] + len(extra)


# --- summary light -----------------------------------------------------------------------------

light_lists = st.lists(
    st.tuples(st.sampled_from(list(LIGHTS)), st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0])), min_size=1, max_size=8
)


@FAST
@given(items=light_lists, c=st.sampled_from([0.01, 0.5, 2.0, 10.0, 1000.0]), seed=st.randoms())
def test_summary_light_is_a_weighted_majority_invariant_to_scale_and_order(items, c, seed):
    lights = pd.Series([light for light, _ in items], dtype=object)
    w = pd.Series([weight for _, weight in items])
    result = summary_light(lights, w)
    totals = {light: sum(weight for lt, weight in items if lt == light) for light in LIGHTS}
    best = max(totals.values())
    severity = {"gruen": 0, "gelb": 1, "rot": 2}
    assert result == max((lt for lt, t in totals.items() if t == best), key=severity.get)
    assert summary_light(lights, w * c) == result
    order = list(range(len(items)))
    seed.shuffle(order)
    assert summary_light(lights.iloc[order].reset_index(drop=True), w.iloc[order].reset_index(drop=True)) == result


@FAST
@given(spec=specs(), period=period)
def test_light_distribution_adds_up(spec, period):
    m = measure_status(make_snapshot(spec), period)
    dist = light_distribution(m, "field_code")
    owing = m[m["owes_report"]]
    assert dist["total"].sum() == len(owing)
    for r in dist.to_dict("records"):
        assert sum(r[light] for light in LIGHTS) + r[NO_REPORT] == r["total"]
        assert r["total"] == (owing["field_code"] == r["field_code"]).sum()
