"""The overview's figures for one period, aggregated in SQL.

rollup.py computes every rule on a Snapshot of all measures and reports in
pandas: right for a canton, too much for 100'000 measures and millions of
reports. Here the same rules run as one SQL aggregate per period, grouped by
goal, over the period's reports (index on period_id) and the few earlier
final reports of measures that ended (a partial index). Only the small
per-goal table reaches pandas; fields, core goals and the matrix come from
rollup.py's own functions, so the two paths cannot drift apart in those
steps. tests/test_figures.py checks that both give the same figures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Date, Float, and_, case, cast, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from tracking import rollup as ru
from tracking.models import Measure, StatusReport
from tracking.reports import final_reports
from tracking.vocab import ENDED_STATUSES, LIGHTS, NO_DATA, NO_REPORT, PAUSED_STATUSES

RUNNING = ("geplant", "in_umsetzung")


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


def _counting(columns: list, period_start: dt.date, period_end: dt.date, by_department: bool = False):
    """Per goal (and lead department), over the measures that count in the period (Measure.counts_in)
    and started by its end.

    Grouped by goal_id + 0: SQLite would otherwise walk the measures in the
    order of the goal index, one random page read per measure (3 times
    slower than reading the table in order). Goals and fields that are no
    longer active drop out when the sums meet the structure (active only).
    """
    keys = [(Measure.goal_id + 0).label("goal")]
    if by_department:
        keys.append(Measure.lead_department_id.label("department"))
    return (
        select(*keys, *columns)
        .where(Measure.counts_in(period_start), or_(Measure.start_date.is_(None), Measure.start_date <= period_end))
        .group_by(*keys)
    )


def _count(condition):
    return func.sum(case((condition, 1), else_=0))


def _weight_of(condition):
    return func.sum(case((condition, Measure.weight), else_=0.0))


def _goal_aggregates(
    session: Session, period: pd.Series, day: dt.date, margin: float, by_department: bool = False
) -> pd.DataFrame:
    """Per goal (and lead department), the sums the roll-up needs, from three queries that each use an index:

    the period's reports (index on period), the measures carried with their
    final report (partial index on ended reports), and all counting measures.
    Measures without either are the ones without a report.
    """
    period_id, start, end = int(period["period_id"]), period["start_date"], period["end_date"]
    day_value = literal(day, Date)
    late = and_(Measure.planned_end.is_not(None), Measure.planned_end < day_value)

    # 1. The period's current reports.
    paused = StatusReport.status.in_(sorted(PAUSED_STATUSES))
    weighted = and_(not_(paused), Measure.weight > 0)
    expected = case(
        (or_(Measure.start_date.is_(None), Measure.planned_end.is_(None)), None),
        (day_value <= Measure.start_date, 0.0),
        (or_(day_value >= Measure.planned_end, Measure.planned_end <= Measure.start_date), 100.0),
        else_=100.0
        * _days(session, day_value, Measure.start_date)
        / _days(session, Measure.planned_end, Measure.start_date),
    )
    light_columns = []
    for key in LIGHTS:
        light_columns += [_count(StatusReport.light == key), _weight_of(StatusReport.light == key)]
    reported = (
        _counting(
            [
                func.count(),
                _count(not_(paused)),
                _count(paused),
                _count(and_(StatusReport.status.in_(RUNNING), StatusReport.progress < expected - margin)),
                _count(and_(late, StatusReport.status.not_in(sorted(ENDED_STATUSES)))),
                _count(late),
                func.sum(case((weighted, Measure.weight * StatusReport.progress), else_=0.0)),
                _weight_of(weighted),
                _count(StatusReport.status == "abgeschlossen"),
                *light_columns,
            ],
            start,
            end,
            by_department,
        )
        .select_from(StatusReport)
        .join(Measure, Measure.id == StatusReport.measure_id)
        .where(StatusReport.period_id == period_id, StatusReport.is_current.is_(True))
    )
    keys = ["goal_id", "department_id"] if by_department else ["goal_id"]
    reported_columns = [
        *keys,
        "reported",
        "r_counted",
        "r_paused",
        "n_behind_plan",
        "r_overdue",
        "r_late",
        "r_weighted_sum",
        "r_weight_sum",
        "r_completed",
    ] + [f"{prefix}{key}" for key in LIGHTS for prefix in ("n_", "w_")]

    # 2. Measures carried: a final (ended) report in an earlier period, nothing after it.
    carried_from = final_reports(start, nor_in_period=True)  # one in this period counts as reported
    final, final_period = carried_from.report, carried_from.period
    final_paused = final.status.in_(sorted(PAUSED_STATUSES))
    final_weighted = and_(not_(final_paused), Measure.weight > 0)
    carried = (
        _counting(
            [
                func.count(),
                _count(not_(final_paused)),
                _count(final_paused),
                _count(late),
                func.sum(case((final_weighted, Measure.weight * final.progress), else_=0.0)),
                _weight_of(final_weighted),
                _count(final.status == "abgeschlossen"),
            ],
            start,
            end,
            by_department,
        )
        .select_from(final)
        .join(final_period, final_period.id == final.period_id)
        .join(Measure, Measure.id == final.measure_id)
        .where(carried_from.condition)
    )
    carried_columns = [
        *keys,
        "carried",
        "c_counted",
        "c_paused",
        "c_late",
        "c_weighted_sum",
        "c_weight_sum",
        "c_completed",
    ]

    # 3. Every counting measure.
    measures = _counting([func.count(), _count(late)], start, end, by_department)

    agg = pd.DataFrame(session.execute(measures).all(), columns=[*keys, "n_measures", "late"])
    for rows, columns in (
        (session.execute(reported).all(), reported_columns),
        (session.execute(carried).all(), carried_columns),
    ):
        agg = agg.merge(pd.DataFrame(rows, columns=columns), on=keys, how="left")
    sums = agg.columns.difference(keys)
    agg[sums] = agg[sums].fillna(0)
    out = agg[keys].assign(n_measures=agg["n_measures"])
    out["n_counted"] = agg["r_counted"] + agg["c_counted"]
    out["n_paused"] = agg["r_paused"] + agg["c_paused"]
    out["n_no_report"] = agg["n_measures"] - agg["reported"] - agg["carried"]
    out["n_behind_plan"] = agg["n_behind_plan"]
    # Late and not ended: reported ones by their status; carried ones ended; the rest have no status.
    out["n_overdue"] = agg["r_overdue"] + (agg["late"] - agg["r_late"] - agg["c_late"])
    out["weighted_sum"] = agg["r_weighted_sum"] + agg["c_weighted_sum"]
    out["weight_sum"] = agg["r_weight_sum"] + agg["c_weight_sum"]
    out["owing"] = agg["n_measures"] - agg["carried"]
    out["reported"] = agg["reported"]
    out["completed"] = agg["r_completed"] + agg["c_completed"]
    for key in LIGHTS:
        out[f"n_{key}"] = agg[f"n_{key}"]
        out[f"w_{key}"] = agg[f"w_{key}"]
    return out


AGGREGATE_COLUMNS = [
    "goal_id",
    "n_measures",
    "n_counted",
    "n_paused",
    "n_no_report",
    "n_behind_plan",
    "n_overdue",
    "weighted_sum",
    "weight_sum",
    "owing",
    "reported",
    "completed",
] + [f"{prefix}{key}" for key in LIGHTS for prefix in ("n_", "w_")]


def period_figures(
    session: Session,
    structure: ru.Snapshot,
    period: str,
    *,
    as_of: dt.date | None = None,
    margin: float = ru.BEHIND_PLAN_MARGIN,
) -> PeriodFigures:
    """The overview's figures for the period (the rules of rollup.py, see there)."""
    prow = structure.period_row(period)
    day = min(prow["end_date"], as_of) if as_of else prow["end_date"]
    agg = _goal_aggregates(session, prow, day, margin)
    for column in AGGREGATE_COLUMNS[1:]:
        agg[column] = pd.to_numeric(agg[column]).fillna(0)

    goals = structure.goals.drop(columns=["goal_position"], errors="ignore").merge(agg, on="goal_id", how="left")
    for column in AGGREGATE_COLUMNS[1:]:
        goals[column] = goals[column].fillna(0)
        if not (column == "weighted_sum" or column.startswith("w_") or column == "weight_sum"):
            goals[column] = goals[column].astype(int)
    goals["progress"] = (goals["weighted_sum"] / goals["weight_sum"]).where(goals["weight_sum"] > 0).astype(float)
    goals["state"] = np.where(goals["progress"].isna(), NO_DATA, "")

    fields = ru.field_progress(structure, goals)
    by_field = goals.merge(structure.fields[["field_id", "field_code"]], on="field_id")
    return PeriodFigures(
        period=period,
        goals=goals,
        fields=fields,
        core_goals=ru.core_goal_progress(structure, goals),
        matrix=ru.field_core_matrix(structure, goals),
        headline=_headline(goals, fields),
        lights_by_field=_lights(by_field),
    )


def _headline(goals: pd.DataFrame, fields: pd.DataFrame) -> dict[str, float | int]:
    """rollup.headline from the per-goal sums."""
    total = goals.sum(numeric_only=True)
    owing, reported = int(total["owing"]), int(total["reported"])
    return {
        "measures": int(total["n_measures"]),
        "active": owing,
        "reported": reported,
        "completeness": reported / owing if owing else float("nan"),
        "on_track_share": float(total["n_gruen"]) / reported if reported else float("nan"),
        "green": int(total["n_gruen"]),
        "yellow": int(total["n_gelb"]),
        "red": int(total["n_rot"]),
        "behind_plan": int(total["n_behind_plan"]),
        "overdue": int(total["n_overdue"]),
        "completed": int(total["completed"]),
        "overall_progress": ru.weighted_mean(fields["progress"], pd.Series(1.0, index=fields.index)),
    }


def _lights(sums: pd.DataFrame, by: str = "field_code") -> pd.DataFrame:
    """rollup.light_distribution from per-goal sums, by field (or department): groups with measures owing a report."""
    rows = []
    for code, group in sums.groupby(by, sort=True):
        owing = int(group["owing"].sum())
        if owing == 0:
            continue
        row = {by: code}
        for key in LIGHTS:
            row[key] = int(group[f"n_{key}"].sum())
        row[NO_REPORT] = owing - int(group["reported"].sum())
        row["total"] = owing
        weights = {key: float(group[f"w_{key}"].sum()) for key in LIGHTS if group[f"n_{key}"].sum() > 0}
        row["summary_light"] = (
            ru.summary_light(pd.Series(list(weights)), pd.Series(list(weights.values()))) if weights else None
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=[by, *LIGHTS, NO_REPORT, "total", "summary_light"])


def department_lights(
    session: Session, structure: ru.Snapshot, period: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """rollup.light_distribution(measures, "department_code") in SQL: the lights of every lead
    department's measures owing a report (what the page Departemente compares, at any scale)."""
    prow = structure.period_row(period)
    day = min(prow["end_date"], as_of) if as_of else prow["end_date"]
    sums = _goal_aggregates(session, prow, day, ru.BEHIND_PLAN_MARGIN, by_department=True)
    # Goals and fields no longer active drop out, as in the roll-up; so do measures without a lead department.
    sums = sums[sums["goal_id"].isin(structure.goals["goal_id"])]
    sums = sums.merge(structure.departments[["department_id", "department_code"]], on="department_id")
    return _lights(sums, "department_code")


def figures_trend(session: Session, structure: ru.Snapshot, up_to: str | None = None) -> pd.DataFrame:
    """rollup.progress_trend from one SQL aggregate per period."""
    rows = []
    for name in structure.periods["period"]:
        figures = period_figures(session, structure, name)
        rows.append({"period": name, "field_code": "Gesamt", "progress": figures.headline["overall_progress"]})
        for f in figures.fields.itertuples():
            rows.append({"period": name, "field_code": f.field_code, "progress": f.progress})
        if name == up_to:
            break
    return pd.DataFrame(rows)
