"""Status reports: one current report per measure and period, earlier ones kept."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import pandas as pd
from sqlalchemy import ColumnElement, Integer, and_, case, cast, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session, aliased

from tracking import formatting as fmt
from tracking.audit import WriteLog, snapshot
from tracking.db import bulk_insert_columns, json_object, json_pairs, plain_rows
from tracking.models import (
    ActionField,
    Department,
    Goal,
    Measure,
    ReportingPeriod,
    StatusReport,
    WriteRecord,
    local_now,
)
from tracking.scope import Scope
from tracking.vocab import ENDED_STATUSES, LIGHTS, STATUSES

REPORT_FIELDS = ["status", "light", "progress", "comment", "next_steps", "risks", "unchanged", "explanation"]


class ReportValues(NamedTuple):
    """What one report says, in the order of REPORT_FIELDS (compared as a tuple).

    unchanged: the reporter confirmed that the last report still holds (the values are
    then the last report's); explanation: the reporter's word on plausibility warnings.
    """

    status: str
    light: str
    progress: int
    comment: str | None = None
    next_steps: str | None = None
    risks: str | None = None
    unchanged: bool = False
    explanation: str | None = None

    def as_dict(self) -> dict:
        """The values by REPORT_FIELDS name, as stored in the audit trail."""
        return dict(zip(REPORT_FIELDS, self))


def current_report(session: Session, measure_id: int, period_id: int) -> StatusReport | None:
    return session.scalar(
        select(StatusReport).where(
            StatusReport.measure_id == measure_id,
            StatusReport.period_id == period_id,
            StatusReport.is_current.is_(True),
        )
    )


def record_report(
    session: Session,
    log: WriteLog,
    *,
    measure: Measure,
    period: ReportingPeriod,
    values: ReportValues,
    reported_at: dt.datetime | None = None,
    is_demo: bool = False,
) -> StatusReport | None:
    """Store a report; the earlier current one is superseded, not deleted.

    Returns None when the values equal the current report, so that the same
    upload twice changes nothing.
    """
    previous = current_report(session, measure.id, period.id)
    new_values = {f: getattr(values, f) for f in REPORT_FIELDS}
    if previous is not None and snapshot(previous, REPORT_FIELDS) == new_values:
        return None
    record = log.ensure_record()
    key = f"{measure.code}/{period.name}"
    if previous is not None:
        previous.is_current = False
        # The partial unique index allows one current row: retire the old first.
        session.flush()
    report = StatusReport(
        measure_id=measure.id,
        period_id=period.id,
        reported_by=log.display_name,
        reported_at=reported_at or local_now(),
        is_current=True,
        is_demo=is_demo,
        write_id=record.id,
        **new_values,
    )
    session.add(report)
    session.flush()
    # The row ids let an undo put the earlier version back.
    log.change(
        "status_report",
        key,
        "update" if previous is not None else "insert",
        before={**snapshot(previous, REPORT_FIELDS), "id": previous.id} if previous is not None else None,
        after={**new_values, "id": report.id},
    )
    return report


def last_write_id(session: Session) -> int:
    """The newest write's id: it changes with every write to the data (each leaves a WriteRecord).

    Read before the current reports, it tells later whether they may have
    changed since; the dashboard reads it at every page run to drop cached
    figures after a write by another instance or the CLI.
    """
    return session.scalar(select(func.max(WriteRecord.id))) or 0


def current_reports(session: Session, period_id: int) -> dict[int, tuple[int, tuple]]:
    """measure_id -> (report id, values in REPORT_FIELDS order) of the period's current reports.

    Read with one Core query and no ORM objects: an import of 10'000 rows
    compares against every current report of the period.
    """
    columns = [getattr(StatusReport, f) for f in REPORT_FIELDS]
    rows = plain_rows(
        session,
        select(StatusReport.measure_id, StatusReport.id, *columns).where(
            StatusReport.period_id == period_id, StatusReport.is_current.is_(True)
        ),
    )
    # bool(): SQLite hands back 0/1, and the tuples are compared with ReportValues.
    return {row[0]: (row[1], (*row[2:_UNCHANGED], bool(row[_UNCHANGED]), *row[_UNCHANGED + 1 :])) for row in rows}


_UNCHANGED = 2 + REPORT_FIELDS.index("unchanged")  # its place in a current_reports row


class EarlierReport(NamedTuple):
    """A measure's current report of an earlier period, as the plausibility rules and carrying read it."""

    period: str
    status: str
    light: str
    progress: int
    comment: str | None
    next_steps: str | None
    risks: str | None


def last_report_text(earlier: list[EarlierReport] | None) -> str:
    """«2026-H1: in Umsetzung, grün, 40 % – comment»: the last report, shown read-only beside the inputs."""
    if not earlier:
        return "noch keine Meldung"
    last = earlier[0]
    text = f"{last.period}: {STATUSES[last.status]}, {LIGHTS[last.light]}, {fmt.percent(last.progress)}"
    return f"{text} – {last.comment}" if last.comment else text


def last_report_texts(session: Session, period: ReportingPeriod, measure_ids: list[int]) -> dict[int, str]:
    """measure_id -> last_report_text of its last report before the period (template and browser table)."""
    earlier = earlier_reports(session, period, measure_ids, depth=1)
    return {mid: last_report_text(earlier.get(mid)) for mid in measure_ids}


# Below this many measures still short of earlier reports, they are read by measure (an index
# seek each) instead of one whole earlier period after another.
EARLIER_BY_MEASURE = 5_000
_IN_CHUNK = 1_000  # ids per IN list: far below the databases' limits on bound parameters


def earlier_reports(
    session: Session,
    period: ReportingPeriod,
    measure_ids: list[int] | None = None,
    *,
    depth: int = 2,
    reported_in_period: bool = False,
) -> dict[int, list[EarlierReport]]:
    """measure_id -> its last `depth` current reports of periods before this one, newest first.

    measure_ids: these measures (default: every measure). reported_in_period: only
    those with a current report in this period (what the plausibility rules read).
    Most measures report every period, so the periods are read backwards, one at a
    time, while many measures still need reports; the few left (new measures, gaps)
    are then read by measure. At 100'000 measures this reads two or three periods
    instead of the whole history.
    """
    wanted = {row[0] for row in plain_rows(session, select(Measure.id))} if measure_ids is None else set(measure_ids)
    if reported_in_period:
        reported = select(StatusReport.measure_id).where(
            StatusReport.period_id == period.id, StatusReport.is_current.is_(True)
        )
        wanted &= {row[0] for row in plain_rows(session, reported)}
    need = dict.fromkeys(wanted, depth)
    out: dict[int, list[EarlierReport]] = {}

    def take(measure_id: int, report: EarlierReport) -> None:
        left = need.get(measure_id)
        if left:
            out.setdefault(measure_id, []).append(report)
            if left == 1:
                del need[measure_id]
            else:
                need[measure_id] = left - 1

    values = [getattr(StatusReport, f) for f in EarlierReport._fields[1:]]
    before = period.start_date  # periods starting before this are still to be read
    earlier = session.execute(
        select(ReportingPeriod.id, ReportingPeriod.name, ReportingPeriod.start_date)
        .where(ReportingPeriod.start_date < period.start_date)
        .order_by(ReportingPeriod.start_date.desc())
    ).all()
    for period_id, name, start in earlier:
        if len(need) <= EARLIER_BY_MEASURE:
            break
        query = select(StatusReport.measure_id, *values).where(
            StatusReport.period_id == period_id, StatusReport.is_current.is_(True)
        )
        for row in plain_rows(session, query):
            take(row[0], EarlierReport(name, *row[1:]))
        before = start
    ids = sorted(need)
    rank = (
        func.row_number()
        .over(partition_by=StatusReport.measure_id, order_by=ReportingPeriod.start_date.desc())
        .label("rank")
    )
    for chunk in (ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)):
        inner = (
            select(StatusReport.measure_id, ReportingPeriod.name.label("period"), *values, rank)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(
                StatusReport.measure_id.in_(chunk),
                StatusReport.is_current.is_(True),
                ReportingPeriod.start_date < before,
            )
            .subquery()
        )
        query = select(*(c for c in inner.c if c.name != "rank")).where(inner.c.rank <= depth)
        for row in plain_rows(session, query.order_by(inner.c.measure_id, inner.c.rank)):
            take(row[0], EarlierReport._make(row[1:]))
    return out


class FinalReports(NamedTuple):
    """The final reports of ended measures, as aliases to select from and the condition on them."""

    report: type[StatusReport]
    period: type[ReportingPeriod]
    condition: ColumnElement[bool]


def final_reports(before: dt.date, *, nor_in_period: bool = False) -> FinalReports:
    """Current reports a measure ended with (abgeschlossen, abgebrochen) in a period that starts
    before `before`, with no later current report before it (nor_in_period: nor in the period
    starting on `before`). Such a measure owes no further report and keeps its final one.

    Found from the few ended reports: the partial index ix_status_report_ended serves only when
    the query repeats its condition with the same literal values, so they are written out.
    """
    final, final_period = aliased(StatusReport, name="final"), aliased(ReportingPeriod, name="final_period")
    later, later_period = aliased(StatusReport, name="later"), aliased(ReportingPeriod, name="later_period")
    until = later_period.start_date <= before if nor_in_period else later_period.start_date < before
    condition = and_(
        final.status.in_([literal_column(f"'{status}'") for status in sorted(ENDED_STATUSES)]),
        final.is_current.is_(True),
        final_period.start_date < before,
        ~exists(
            select(later.id)
            .join(later_period, later_period.id == later.period_id)
            .where(
                later.measure_id == final.measure_id,
                later.is_current.is_(True),
                later_period.start_date > final_period.start_date,
                until,
            )
        ),
    )
    return FinalReports(final, final_period, condition)


class Reportable(NamedTuple):
    """A measure that owes a report in a period, with what scopes it."""

    measure_id: int
    code: str
    goal_id: int
    field_code: str
    department_code: str | None
    start_date: dt.date | None
    planned_end: dt.date | None


def reportable_measures(session: Session, period: ReportingPeriod, scope: Scope | None = None) -> list[Reportable]:
    """The measures that owe a report in the period, in the scope, by code.

    The same rule as rollup.measure_status's owes_report, computed in SQL so
    that an import never loads the history: active measure of an active goal
    and field, started by the period's end, and not ended (abgeschlossen or
    abgebrochen) in its last report of an earlier period, unless it reported
    in this period anyway.
    """
    return [
        Reportable(*row[:5], _date(row[5]), _date(row[6])) if row[5] or row[6] else Reportable(*row)
        for row in plain_rows(session, _reportable_select(session, period, scope))
    ]


def _reportable_select(session: Session, period: ReportingPeriod, scope: Scope | None):
    """The query of reportable_measures: Reportable's columns, by code (checks the scope's code)."""
    scope = scope or Scope()
    if scope.kind == "field":
        known = session.scalars(select(ActionField.code).where(ActionField.active.is_(True))).all()
        scope.check_known(sorted(known), [])
    elif scope.kind == "department":
        scope.check_known([], sorted(session.scalars(select(Department.code)).all()))
    final = final_reports(period.start_date)
    ended = select(final.report.measure_id).join(final.period, final.period.id == final.report.period_id)
    ended = ended.where(final.condition)
    reported = select(StatusReport.measure_id).where(
        StatusReport.period_id == period.id, StatusReport.is_current.is_(True)
    )
    query = (
        select(
            Measure.id,
            Measure.code,
            Measure.goal_id,
            ActionField.code,
            Department.code,
            Measure.start_date,
            Measure.planned_end,
        )
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .where(
            Measure.counts_in(period.start_date),
            Goal.active.is_(True),
            ActionField.active.is_(True),
            or_(Measure.start_date.is_(None), Measure.start_date <= period.end_date),
            or_(Measure.id.in_(reported), Measure.id.not_in(ended)),
        )
        .order_by(Measure.code)
    )
    if scope.kind == "field":
        query = query.where(ActionField.code == scope.code)
    elif scope.kind == "department":
        query = query.where(Department.code == scope.code)
    return query


def _date(value) -> dt.date | None:
    """A date column read with plain_rows: SQLite's driver hands back the ISO text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


# owing_reports: what scopes a measure, what it is called, whether and what it reported.
OWING_COLUMNS = [
    *Reportable._fields,
    "title",
    "responsible_unit",
    "has_report",
    *REPORT_FIELDS,
]


def owing_reports(session: Session, period: ReportingPeriod, scope: Scope | None = None) -> pd.DataFrame:
    """The measures that owe a report in the period (in the scope), by code, with what the
    period holds for each: has_report and the current values (empty where none came in).

    The rows of rollup.measure_status with owes_report, read in SQL without
    loading any other period: what the page Statusbericht lists, at any scale
    (one query; 100'000 rows as plain tuples, the few conversions by column).
    """
    report = aliased(StatusReport, name="this_period")
    query = (
        _reportable_select(session, period, scope)
        .add_columns(
            Measure.title,
            Measure.responsible_unit,
            report.id.is_not(None),
            *(getattr(report, f) for f in REPORT_FIELDS),
        )
        .join_from(
            Measure,
            report,
            and_(report.measure_id == Measure.id, report.period_id == period.id, report.is_current.is_(True)),
            isouter=True,
        )
    )
    frame = pd.DataFrame(plain_rows(session, query), columns=OWING_COLUMNS)
    for column in ("start_date", "planned_end"):
        frame[column] = [_date(v) for v in frame[column]]
    frame["has_report"] = frame["has_report"].astype(bool)
    # SQLite hands back 0/1: the flag as the ORM reads it, empty where no report came in.
    frame["unchanged"] = [None if pd.isna(v) else bool(v) for v in frame["unchanged"]]
    frame["owes_report"] = True
    return frame


class ReportItem(NamedTuple):
    """One report to store: the measure (id and code), its values and when it was reported."""

    measure_id: int
    code: str
    values: ReportValues
    reported_at: dt.datetime


def record_reports(
    session: Session,
    log: WriteLog,
    *,
    period: ReportingPeriod,
    items: list[ReportItem],
    current: dict[int, tuple[int, tuple]] | None = None,
) -> int:
    """Store many reports for one period at once; returns how many changed.

    The same rules as record_report (unchanged values write nothing; the old
    version is kept, not current), written as three bulk statements: the old
    versions retired, the new ones inserted, their row changes logged.
    current is current_reports() of the period when the caller has just read it.
    """
    if current is None:
        current = current_reports(session, period.id)
    pending: list[tuple[ReportItem, tuple[int, tuple] | None]] = []
    for item in items:
        previous = current.get(item.measure_id)
        if previous is not None and previous[1] == item.values:
            continue
        pending.append((item, previous))
    if not pending:
        return 0
    record = log.ensure_record()
    # Core statements on the table, not ORM bulk ones: the ORM splits rows
    # with None values into many small batches. Retire first: the partial
    # unique index allows one current row per measure and period.
    retired = [previous[0] for _, previous in pending if previous is not None]
    table = StatusReport.__table__
    for start in range(0, len(retired), 500):
        session.execute(update(table).where(table.c.id.in_(retired[start : start + 500])).values(is_current=False))
    if retired:
        # A bulk UPDATE bypasses the identity map: reports already loaded reread is_current.
        for obj in list(session.identity_map.values()):
            if isinstance(obj, StatusReport):
                session.expire(obj, ["is_current"])
    count = len(pending)
    columns = {
        "measure_id": [item.measure_id for item, _ in pending],
        "period_id": [period.id] * count,
        "reported_by": [log.display_name] * count,
        "reported_at": [item.reported_at for item, _ in pending],
        "is_current": [True] * count,
        "is_demo": [False] * count,
        "write_id": [record.id] * count,
    }
    columns.update(zip(REPORT_FIELDS, map(list, zip(*(item.values for item, _ in pending)))))
    bulk_insert_columns(session, StatusReport.__table__, columns)
    _log_changes(session, log, period, {item.measure_id: previous[0] for item, previous in pending if previous}, count)
    return len(pending)


def _log_changes(
    session: Session, log: WriteLog, period: ReportingPeriod, replaced: dict[int, int], count: int
) -> None:
    """The row changes of the reports this write inserted (write_id), built in SQL from the stored rows:
    before is the report it replaced (replaced: measure id -> old report id), after the new one,
    both with their values and id, in insertion order."""
    new, old = aliased(StatusReport, name="new"), aliased(StatusReport, name="old")
    pairs = json_pairs(session, replaced)
    # Materialized, so that the database indexes the pairs for the join instead of reading them per row.
    replaced_by = (
        select(cast(pairs.c.key, Integer).label("measure_id"), cast(pairs.c.value, Integer).label("old_id"))
        .cte("replaced")
        .prefix_with("MATERIALIZED")
    )
    values = {report: {f: getattr(report, f) for f in (*REPORT_FIELDS, "id")} for report in (new, old)}
    rows = (
        select(
            Measure.code + f"/{period.name}",
            case((old.id.is_(None), "insert"), else_="update"),
            case((old.id.is_(None), None), else_=json_object(session, values[old])),
            json_object(session, values[new]),
        )
        .select_from(new)
        .join(Measure, Measure.id == new.measure_id)
        .outerjoin(replaced_by, replaced_by.c.measure_id == new.measure_id)
        .outerjoin(old, old.id == replaced_by.c.old_id)
        .where(new.write_id == log.record.id, new.period_id == period.id)
        .order_by(new.id)
    )
    log.changes_from_select("status_report", rows, count)
