"""The snapshot: what the roll-ups (tracking/rollup.py) work on, as plain DataFrames read once
from the store, picklable and cacheable: the strategy's structure, the periods, and the
measures and current reports a view needs (one field's, one department's, one period's, one
measure's, or all)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import Session

from tracking.models import (
    ActionField,
    CoreGoal,
    Department,
    Goal,
    GoalContribution,
    Measure,
    ReportingPeriod,
    StatusReport,
)
from tracking.periods import Period
from tracking.reports import final_reports
from tracking.scope import Scope


@dataclass
class Snapshot:
    """Everything the roll-ups need, as DataFrames (picklable, cacheable)."""

    fields: pd.DataFrame  # field_id, field_code, field_name, field_position
    goals: pd.DataFrame  # goal_id, goal_code, goal_name, field_id, goal_weight, is_example
    core_goals: pd.DataFrame  # core_goal_id, core_code, core_name, core_short
    contributions: pd.DataFrame  # goal_id, core_goal_id, weight
    departments: pd.DataFrame  # department_id, department_code, department_name
    measures: pd.DataFrame  # measure_id, code, title, goal_id, department_id, start_date, planned_end, weight, ...
    periods: pd.DataFrame  # period_id, period, start_date, end_date, is_open (sorted by start)
    reports: pd.DataFrame  # current reports: measure_id, period_id, status, light, progress, comment, ...

    def period_row(self, period: str) -> pd.Series:
        rows = self.periods[self.periods["period"] == period]
        if rows.empty:
            raise KeyError(period)
        return rows.iloc[0]

    def resolve(self, period: str, today: dt.date | None = None) -> Period:
        """The period by name, resolved with its reference day (as tracking.periods.resolve_period)."""
        row = self.period_row(period)
        return Period.make(row["period_id"], period, row["start_date"], row["end_date"], row["is_open"], today)

    def previous_period(self, period: str) -> str | None:
        names = list(self.periods["period"])
        index = names.index(period)
        return names[index - 1] if index > 0 else None


MEASURE_COLUMNS = [
    "measure_id",
    "code",
    "title",
    "goal_id",
    "department_id",
    "start_date",
    "planned_end",
    "weight",
    "active",
    "budget_chf",
    "responsible_unit",
    "retired_on",
    "public",
]
REPORT_COLUMNS = [
    "measure_id",
    "period_id",
    "status",
    "light",
    "progress",
    "comment",
    "next_steps",
    "risks",
    "reported_by",
    "reported_at",
    "unchanged",
    "explanation",
]


def _frame(session: Session, query, columns: list[str]) -> pd.DataFrame:
    # Plain tuples: pandas checks every SQLAlchemy Row for namedtuple fields,
    # which costs four times the conversion (0.5 s for 180'000 reports).
    return pd.DataFrame(list(map(tuple, session.execute(query))), columns=columns)


def load_snapshot(
    session: Session,
    *,
    with_measures: bool = True,
    scope: Scope | None = None,
    report_periods: list[str] | None = None,
    measure_id: int | None = None,
    public_only: bool = False,
) -> Snapshot:
    """Read the active strategy structure, all measures and all current reports.

    with_measures=False reads the structure and the periods only: what the
    sidebar and the SQL figures (tracking/figures.py) need at any scale.
    scope (an action field or a lead department) reads only its measures and
    their reports: the figures of that field (of its goals), or of that
    department's measures, come out as from the whole snapshot.
    report_periods (consecutive periods, e.g. one and the one before it) reads
    only the reports of those periods and the final reports that measures
    ended with before them: enough for measure_status (and all that builds on
    it) in those periods, whatever the length of the history.
    measure_id reads that one measure and its reports (its history).
    public_only reads the public measures and their reports only (tracking/public.py).
    """
    structure = _structure(session)
    if not with_measures:
        empty = pd.DataFrame(columns=MEASURE_COLUMNS), pd.DataFrame(columns=REPORT_COLUMNS)
        return Snapshot(*structure, empty[0], _periods(session), empty[1])
    periods = _periods(session)
    measures_in_scope, reports_in_scope = _scope_conditions(scope, measure_id)
    if public_only:
        measures_in_scope = and_(measures_in_scope, Measure.public.is_(True))
        reports_in_scope = and_(reports_in_scope, StatusReport.measure_id.in_(select(Measure.id).where(Measure.public)))
    measures = _frame(session, _MEASURES.where(measures_in_scope).order_by(Measure.code), MEASURE_COLUMNS)
    in_periods = _reports_for(periods, report_periods) if report_periods else true()
    reports = _frame(
        session, _REPORTS.where(StatusReport.is_current.is_(True), reports_in_scope, in_periods), REPORT_COLUMNS
    )
    return Snapshot(*structure, measures, periods, reports)


def _structure(session: Session) -> tuple[pd.DataFrame, ...]:
    """The active fields, goals, core goals, contributions, and all departments."""
    fields = _frame(
        session,
        select(ActionField.id, ActionField.code, ActionField.name, ActionField.position)
        .where(ActionField.active.is_(True))
        .order_by(ActionField.position),
        ["field_id", "field_code", "field_name", "field_position"],
    )
    goals = _frame(
        session,
        select(Goal.id, Goal.code, Goal.name, Goal.field_id, Goal.weight, Goal.is_example, Goal.position)
        .where(Goal.active.is_(True))
        .order_by(Goal.field_id, Goal.position),
        ["goal_id", "goal_code", "goal_name", "field_id", "goal_weight", "is_example", "goal_position"],
    )
    goals = goals[goals["field_id"].isin(fields["field_id"])].reset_index(drop=True)
    core_goals = _frame(
        session,
        select(CoreGoal.id, CoreGoal.code, CoreGoal.name, CoreGoal.short_name)
        .where(CoreGoal.active.is_(True))
        .order_by(CoreGoal.position),
        ["core_goal_id", "core_code", "core_name", "core_short"],
    )
    contributions = _frame(
        session,
        select(GoalContribution.goal_id, GoalContribution.core_goal_id, GoalContribution.weight),
        ["goal_id", "core_goal_id", "weight"],
    )
    departments = _frame(
        session,
        select(Department.id, Department.code, Department.name).order_by(Department.code),
        ["department_id", "department_code", "department_name"],
    )
    return fields, goals, core_goals, contributions, departments


def _periods(session: Session) -> pd.DataFrame:
    return _frame(
        session,
        select(
            ReportingPeriod.id,
            ReportingPeriod.name,
            ReportingPeriod.start_date,
            ReportingPeriod.end_date,
            ReportingPeriod.is_open,
        ).order_by(ReportingPeriod.start_date),
        ["period_id", "period", "start_date", "end_date", "is_open"],
    )


def _scope_conditions(scope: Scope | None, measure_id: int | None):
    """The conditions on Measure and on StatusReport for the measures read: all, one field's or
    department's, or one measure."""
    if measure_id is not None:
        return Measure.id == measure_id, StatusReport.measure_id == measure_id
    if scope is None or scope.kind == "all":
        return true(), true()
    if scope.kind == "field":
        ids = select(Measure.id).join(Goal, Goal.id == Measure.goal_id)
        ids = ids.join(ActionField, ActionField.id == Goal.field_id).where(ActionField.code == scope.code)
    else:
        ids = select(Measure.id).join(Department, Department.id == Measure.lead_department_id)
        ids = ids.where(Department.code == scope.code)
    return Measure.id.in_(ids), StatusReport.measure_id.in_(ids)


# The columns read, in the order of MEASURE_COLUMNS and REPORT_COLUMNS.
_MEASURES = select(
    Measure.id,
    Measure.code,
    Measure.title,
    Measure.goal_id,
    Measure.lead_department_id,
    Measure.start_date,
    Measure.planned_end,
    Measure.weight,
    Measure.active,
    Measure.budget_chf,
    Measure.responsible_unit,
    Measure.retired_on,
    Measure.public,
)
_REPORTS = select(
    StatusReport.measure_id,
    StatusReport.period_id,
    StatusReport.status,
    StatusReport.light,
    StatusReport.progress,
    StatusReport.comment,
    StatusReport.next_steps,
    StatusReport.risks,
    StatusReport.reported_by,
    StatusReport.reported_at,
    StatusReport.unchanged,
    StatusReport.explanation,
)


def _reports_for(periods: pd.DataFrame, names: list[str]):
    """The condition on StatusReport for the reports that measure_status needs in the named periods:
    theirs, and the final reports of measures that ended before them (an earlier report that did
    not end changes nothing there)."""
    chosen = periods[periods["period"].isin(names)]
    final = final_reports(chosen["start_date"].min())
    final_ids = select(final.report.id).join(final.period, final.period.id == final.report.period_id)
    return or_(
        StatusReport.period_id.in_([int(i) for i in chosen["period_id"]]),
        StatusReport.id.in_(final_ids.where(final.condition)),
    )
