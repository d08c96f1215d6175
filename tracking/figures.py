"""The per-goal sums of one period, aggregated in SQL: the seam's producer at any scale.

rollup.py holds the rules. Between measures and everything above them there
is one seam: the sums per goal (rollup.SUM_COLUMNS). rollup.measure_sums
produces them in pandas from the measures a page holds; here the same sums
come from one SQL aggregate per period, grouped by goal, over the period's
reports (index on period_id) and the few earlier final reports of measures
that ended (a partial index). Everything above the goal (fields, core goals,
the matrix, headline, lights and Sammelampeln, the trend) is computed from
the sums by rollup.py's functions, once, whichever producer made them.
tests/test_figures.py checks that both producers give the same sums.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Date, Float, and_, cast, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from tracking import rollup as ru
from tracking.models import Measure, PeriodGoalSum, StatusReport
from tracking.periods import plan_day
from tracking.reports import final_reports
from tracking.snapshot import Snapshot
from tracking.vocab import COMPLETED, ENDED_STATUSES, LIGHTS, PAUSED_STATUSES, RUNNING_STATUSES

*COUNTED_LIGHTS, DERIVED_LIGHT = LIGHTS  # the last light's count is what the others leave


# The seam's columns (tracking.rollup.SUM_COLUMNS) per goal, as goal_aggregates gives them and a
# frozen period stores them (tracking/frozen.py writes them when a period closes).
AGGREGATE_COLUMNS = ["goal_id", *ru.SUM_COLUMNS]


def typed_sums(sums: pd.DataFrame) -> pd.DataFrame:
    """Per-goal sums sorted by goal, with integer counts and float weighted sums."""
    out = pd.DataFrame({"goal_id": sums["goal_id"].astype(int)})
    for column in ru.SUM_COLUMNS:
        out[column] = sums[column].astype(float if ru.is_weighted(column) else int)
    return out.sort_values("goal_id").reset_index(drop=True)


def stored_sums(session: Session, period_id: int) -> pd.DataFrame | None:
    """The stored sums of the period (goal_id + SUM_COLUMNS), None when it is not frozen."""
    columns = [getattr(PeriodGoalSum, c) for c in AGGREGATE_COLUMNS]
    rows = session.execute(select(*columns).where(PeriodGoalSum.period_id == period_id)).all()
    if not rows:
        return None
    return typed_sums(pd.DataFrame(list(map(tuple, rows)), columns=AGGREGATE_COLUMNS))


def stored_progress_sums(session: Session, period_ids: list[int]) -> dict[int, pd.DataFrame]:
    """period_id -> its stored weighted_sum and weight_sum per goal (index goal_id), for the
    frozen ones of the periods: what a trend reads, in one query for all periods."""
    query = select(PeriodGoalSum.period_id, PeriodGoalSum.goal_id, PeriodGoalSum.weighted_sum, PeriodGoalSum.weight_sum)
    rows = session.execute(query.where(PeriodGoalSum.period_id.in_(period_ids))).all() if period_ids else []
    frame = pd.DataFrame(list(map(tuple, rows)), columns=["period_id", "goal_id", "weighted_sum", "weight_sum"])
    frame = frame.astype({"period_id": int, "goal_id": int, "weighted_sum": float, "weight_sum": float})
    return {
        int(period_id): sums.drop(columns="period_id").set_index("goal_id")
        for period_id, sums in frame.groupby("period_id")
    }


@dataclass
class PeriodFigures:
    period: str
    goals: pd.DataFrame  # as rollup.goal_progress, plus owing, reported, the lights and their weights
    fields: pd.DataFrame
    core_goals: pd.DataFrame
    matrix: pd.DataFrame
    headline: dict[str, float | int]
    lights_by_field: pd.DataFrame  # as rollup.light_distribution(measures, "field_code")


def _days(session: Session, later, earlier):
    """Whole days from earlier to later, as a number, in the session's SQL dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier)
    return cast(later - earlier, Float)


def _counting(
    columns: list, period_start: dt.date, period_end: dt.date, by_department: bool = False, joined: bool = True
):
    """Per goal (and lead department), over the measures that count in the period (Measure.counts_in)
    and started by its end.

    Alone, the measures are read from ix_measure_goal_counting in goal order.
    Joined to reports, they are grouped by goal_id + 0: SQLite would otherwise
    walk the measures in goal order and look up each one's report, one random
    page read per measure. Goals and fields that are no longer active drop out
    when the sums meet the structure (active only).
    """
    keys = [(Measure.goal_id + 0 if joined else Measure.goal_id).label("goal")]
    if by_department:
        keys.append(Measure.lead_department_id.label("department"))
    return (
        select(*keys, *columns)
        .where(Measure.counts_in(period_start), or_(Measure.start_date.is_(None), Measure.start_date <= period_end))
        .group_by(*keys)
    )


# Aggregates with FILTER (SQLite 3.30+, PostgreSQL): the condition is tested
# once and skips the row, cheaper than a CASE that adds 0.
def _count(condition):
    return func.count().filter(condition)


def _sum(value, condition):
    return func.sum(value).filter(condition)


def _of_period_reports(query, period_id: int):
    """The query over the period's current reports, each joined to its measure."""
    return (
        query.select_from(StatusReport)
        .join(Measure, Measure.id == StatusReport.measure_id)
        .where(StatusReport.period_id == period_id, StatusReport.is_current.is_(True))
    )


def _of_carried_reports(query, carried_from):
    """The query over the final reports carried into a period (reports.final_reports), with their measures."""
    final = carried_from.report
    return (
        query.select_from(final)
        .join(carried_from.period, carried_from.period.id == final.period_id)
        .join(Measure, Measure.id == final.measure_id)
        .where(carried_from.condition)
    )


def _behind_plan(session: Session, progress, day, margin: float):
    """SQL: progress falls short of rollup.expected_progress on the day by more than the margin.

    The same rule without its CASE and with one division fewer: for a start
    before the day, expected is 100 % when the plan has no length, else
    min(100, 100 · (day − start) / (end − start)); progress + margin below it
    is progress + margin below 100 and, for a plan with length, times the
    plan's length below 100 · (day − start). Missing dates make it NULL
    (not behind), as in the roll-up.
    """
    short = progress + margin
    started = and_(
        Measure.start_date < day,
        short < 100,
        or_(
            Measure.planned_end <= Measure.start_date,
            short * _days(session, Measure.planned_end, Measure.start_date)
            < 100 * _days(session, day, Measure.start_date),
        ),
    )
    if margin >= 0:
        return started
    # Expected is 0 % up to the start: only a negative margin falls short of it.
    not_started = and_(Measure.start_date >= day, Measure.planned_end.is_not(None), short < 0)
    return or_(started, not_started)


def goal_aggregates(
    session: Session, period: pd.Series, day: dt.date, margin: float, by_department: bool = False
) -> pd.DataFrame:
    """Per goal (and lead department), the sums the roll-up needs, from three queries that each use an index:

    the period's reports (index on period), the measures carried with their
    final report (partial index on ended reports), and all counting measures
    (index on goal). Measures without either are the ones without a report.
    Measure weights are above 0 (a CHECK), so every weight counts.
    """
    period_id, start, end = int(period["period_id"]), period["start_date"], period["end_date"]
    day_value = literal(day, Date)
    late = and_(Measure.planned_end.is_not(None), Measure.planned_end < day_value)
    keys = ["goal_id", "department_id"] if by_department else ["goal_id"]
    queries = [
        # Every counting measure (the other two: its reports, or its final report carried).
        (_counting([func.count(), _count(late)], start, end, by_department, joined=False), ["n_measures", "late"]),
        _reported_query(session, period_id, start, end, day_value, late, margin, by_department),
        _carried_query(start, end, late, by_department),
    ]
    frames = [
        pd.DataFrame(session.execute(query).all(), columns=[*keys, *columns]).set_index(keys)
        for query, columns in queries
    ]
    return _combined(frames[0].join(frames[1:], how="left").astype(float).fillna(0))


def _reported_query(session: Session, period_id: int, start, end, day_value, late, margin: float, by_department: bool):
    """The period's current reports. Complements (counted = reported − paused, rot = reported −
    grün − gelb) are left to pandas: every aggregate costs time on each of the period's reports."""
    paused = StatusReport.status.in_(sorted(PAUSED_STATUSES))
    query = _of_period_reports(
        _counting(
            [
                func.count(),
                _count(paused),
                _count(
                    and_(
                        StatusReport.status.in_(sorted(RUNNING_STATUSES)),
                        _behind_plan(session, StatusReport.progress, day_value, margin),
                    )
                ),
                _count(and_(late, StatusReport.status.not_in(sorted(ENDED_STATUSES)))),
                _count(late),
                _sum(Measure.weight * StatusReport.progress, not_(paused)),
                _sum(Measure.weight, not_(paused)),
                _count(StatusReport.status == COMPLETED),
                *[_count(StatusReport.light == key) for key in COUNTED_LIGHTS],
                *[_sum(Measure.weight, StatusReport.light == key) for key in LIGHTS],
            ],
            start,
            end,
            by_department,
        ),
        period_id,
    )
    columns = [
        "reported",
        "r_paused",
        "n_behind_plan",
        "r_overdue",
        "r_late",
        "r_weighted_sum",
        "r_weight_sum",
        "r_completed",
        *[f"n_{key}" for key in COUNTED_LIGHTS],
        *[f"w_{key}" for key in LIGHTS],
    ]
    return query, columns


def _carried_query(start, end, late, by_department: bool):
    """Measures carried: a final (ended) report in an earlier period, nothing after it."""
    carried_from = final_reports(start, nor_in_period=True)  # one in this period counts as reported
    final = carried_from.report
    final_paused = final.status.in_(sorted(PAUSED_STATUSES))
    query = _of_carried_reports(
        _counting(
            [
                func.count(),
                _count(final_paused),
                _count(late),
                _sum(Measure.weight * final.progress, not_(final_paused)),
                _sum(Measure.weight, not_(final_paused)),
                _count(final.status == COMPLETED),
            ],
            start,
            end,
            by_department,
        ),
        carried_from,
    )
    return query, ["carried", "c_paused", "c_late", "c_weighted_sum", "c_weight_sum", "c_completed"]


def _combined(agg: pd.DataFrame) -> pd.DataFrame:
    """The sums per goal (SUM_COLUMNS) from the three queries' counts; measures without a
    report are those neither reported nor carried."""
    a = {column: agg[column].to_numpy() for column in agg.columns}
    out = agg.index.to_frame(index=False)
    out["n_measures"] = a["n_measures"]
    out["n_counted"] = a["reported"] - a["r_paused"] + a["carried"] - a["c_paused"]
    out["n_paused"] = a["r_paused"] + a["c_paused"]
    out["n_no_report"] = a["n_measures"] - a["reported"] - a["carried"]
    out["n_behind_plan"] = a["n_behind_plan"]
    # Late and not ended: reported ones by their status; carried ones ended; the rest have no status.
    out["n_overdue"] = a["r_overdue"] + (a["late"] - a["r_late"] - a["c_late"])
    out["weighted_sum"] = a["r_weighted_sum"] + a["c_weighted_sum"]
    out["weight_sum"] = a["r_weight_sum"] + a["c_weight_sum"]
    out["owing"] = a["n_measures"] - a["carried"]
    out["reported"] = a["reported"]
    out["completed"] = a["r_completed"] + a["c_completed"]
    a[f"n_{DERIVED_LIGHT}"] = a["reported"] - sum(a[f"n_{key}"] for key in COUNTED_LIGHTS)
    for key in LIGHTS:
        out[f"n_{key}"] = a[f"n_{key}"]
        out[f"w_{key}"] = a[f"w_{key}"]
    return out


def _period_sums(session: Session, period: pd.Series, day: dt.date, margin: float) -> pd.DataFrame:
    """The sums a closed period stored when it was closed (tracking/frozen.py), else computed now.

    Stored sums hold on the period's end with the usual margin only; any other
    day or margin is computed.
    """
    if not period["is_open"] and day == period["end_date"] and margin == ru.BEHIND_PLAN_MARGIN:
        stored = stored_sums(session, int(period["period_id"]))
        if stored is not None:
            return stored
    return goal_aggregates(session, period, day, margin)


def period_figures(
    session: Session,
    structure: Snapshot,
    period: str,
    *,
    as_of: dt.date | None = None,
    margin: float = ru.BEHIND_PLAN_MARGIN,
) -> PeriodFigures:
    """The overview's figures for the period (the rules of rollup.py, see there); a frozen
    closed period's from its stored sums (tracking/frozen.py)."""
    prow = structure.period_row(period)
    day = plan_day(prow["end_date"], as_of)
    goals = ru.goals_from_sums(structure, _period_sums(session, prow, day, margin))
    fields = ru.field_progress(structure, goals)
    by_field = goals.merge(structure.fields[["field_id", "field_code"]], on="field_id")
    return PeriodFigures(
        period=period,
        goals=goals,
        fields=fields,
        core_goals=ru.core_goal_progress(structure, goals),
        matrix=ru.field_core_matrix(structure, goals),
        headline=ru.headline_of(goals, fields),
        lights_by_field=ru.lights_of(by_field, "field_code"),
    )


def department_lights(
    session: Session, structure: Snapshot, period: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """rollup.light_distribution(measures, "department_code") in SQL: the lights of every lead
    department's measures owing a report (what the page Departemente compares, at any scale)."""
    prow = structure.period_row(period)
    day = plan_day(prow["end_date"], as_of)
    sums = goal_aggregates(session, prow, day, ru.BEHIND_PLAN_MARGIN, by_department=True)
    # Goals and fields no longer active drop out, as in the roll-up; so do measures without a lead department.
    sums = sums[sums["goal_id"].isin(structure.goals["goal_id"])]
    sums = sums.merge(structure.departments[["department_id", "department_code"]], on="department_id")
    return ru.lights_of(sums, "department_code")


def _progress_sums(session: Session, period: pd.Series, goal_ids: list[int] | None = None) -> pd.DataFrame:
    """Per goal_id (of all goals, or of goal_ids), only the weighted progress sums (weighted_sum,
    weight_sum): what a trend needs, from the period's reports and the carried final reports,
    two aggregates each."""
    period_id, start, end = int(period["period_id"]), period["start_date"], period["end_date"]
    carried_from = final_reports(start, nor_in_period=True)
    rows = []
    for report, over in (
        (StatusReport, lambda query: _of_period_reports(query, period_id)),
        (carried_from.report, lambda query: _of_carried_reports(query, carried_from)),
    ):
        counted = not_(report.status.in_(sorted(PAUSED_STATUSES)))
        query = _counting([_sum(Measure.weight * report.progress, counted), _sum(Measure.weight, counted)], start, end)
        if goal_ids is not None:
            # + 0 as in _counting: the goal index must not drive the query.
            query = query.where((Measure.goal_id + 0).in_(goal_ids))
        rows += session.execute(over(query)).all()
    sums = pd.DataFrame(rows, columns=["goal_id", "weighted_sum", "weight_sum"]).astype(float).fillna(0)
    return sums.groupby("goal_id").sum()


def _progress_by_period(
    session: Session, structure: Snapshot, goals: pd.DataFrame, only_these: bool, up_to: str | None
):
    """(period, progress of each of the goals) for every period up to and including up_to;
    only_these: read the sums of those goals only (else of all goals, a query less selective)."""
    ids = [int(goal_id) for goal_id in goals["goal_id"]] if only_these else None
    # The frozen periods' stored sums, read at once (the progress sums do not depend on the day).
    closed = structure.periods[~structure.periods["is_open"].astype(bool)]
    stored = stored_progress_sums(session, [int(i) for i in closed["period_id"]])
    for _, prow in structure.periods.iterrows():
        found = stored.get(int(prow["period_id"])) if not prow["is_open"] else None
        if found is None:
            found = _progress_sums(session, prow, ids)
        sums = found[["weighted_sum", "weight_sum"]].reindex(goals["goal_id"]).fillna(0)
        yield prow["period"], ru.mean_of({"wv": sums["weighted_sum"].to_numpy(), "w": sums["weight_sum"].to_numpy()})
        if prow["period"] == up_to:
            break


def figures_trend(session: Session, structure: Snapshot, up_to: str | None = None) -> pd.DataFrame:
    """rollup.progress_trend in SQL: per period, the goals' weighted progress sums only
    (half the work of period_figures), rolled up to fields and overall by rollup.py."""
    goals = structure.goals.drop(columns=["goal_position"], errors="ignore").reset_index(drop=True)
    goals["n_measures"] = 0  # field_progress counts them; the trend reads progress only
    rows = []
    for period, progress in _progress_by_period(session, structure, goals, False, up_to):
        goals["progress"] = progress
        rows += ru.trend_rows(period, ru.field_progress(structure, goals))
    return pd.DataFrame(rows)


def goals_trend(
    session: Session, structure: Snapshot, field_id: int | None = None, up_to: str | None = None
) -> pd.DataFrame:
    """rollup.goal_trend in SQL (goal_code, field_id, progress, period) for the goals of one
    field (or all): the page Aktionsfelder without the field's whole history in pandas."""
    goals = structure.goals.reset_index(drop=True)
    if field_id is not None:
        goals = goals[goals["field_id"] == field_id].reset_index(drop=True)
    frames = [
        goals[["goal_code", "field_id"]].assign(progress=progress, period=period)
        for period, progress in _progress_by_period(session, structure, goals, field_id is not None, up_to)
    ]
    if not frames:
        return pd.DataFrame(columns=["goal_code", "field_id", "progress", "period"])
    return pd.concat(frames, ignore_index=True)
