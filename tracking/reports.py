"""Status reports: one current report per measure and period, earlier ones kept."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog, snapshot
from tracking.models import Measure, ReportingPeriod, StatusReport, local_now

REPORT_FIELDS = ["status", "light", "progress", "comment", "next_steps", "risks"]


@dataclass(frozen=True)
class ReportValues:
    status: str
    light: str
    progress: int
    comment: str | None = None
    next_steps: str | None = None
    risks: str | None = None


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
        reported_by=log.actor,
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


def record_reports(
    session: Session,
    log: WriteLog,
    *,
    period: ReportingPeriod,
    items: list[tuple[Measure, ReportValues, dt.datetime]],
) -> int:
    """Store many reports for one period at once; returns how many changed.

    The same rules as record_report (unchanged values write nothing; the old
    version is kept, not current), with one query and two flushes in all.
    """
    current = {
        r.measure_id: r
        for r in session.scalars(
            select(StatusReport).where(StatusReport.period_id == period.id, StatusReport.is_current.is_(True))
        )
    }
    pending: list[tuple[Measure, StatusReport | None, dict, StatusReport]] = []
    for measure, values, reported_at in items:
        new_values = {f: getattr(values, f) for f in REPORT_FIELDS}
        previous = current.get(measure.id)
        if previous is not None and snapshot(previous, REPORT_FIELDS) == new_values:
            continue
        record = log.ensure_record()
        if previous is not None:
            previous.is_current = False
        report = StatusReport(
            measure_id=measure.id,
            period_id=period.id,
            reported_by=log.actor,
            reported_at=reported_at,
            is_current=True,
            is_demo=False,
            write_id=record.id,
            **new_values,
        )
        pending.append((measure, previous, new_values, report))
    if not pending:
        return 0
    # The unit of work runs the UPDATEs (old versions no longer current) before
    # the INSERTs, so the one-current-report index holds throughout.
    session.add_all([report for *_, report in pending])
    session.flush()
    for measure, previous, new_values, report in pending:
        log.change(
            "status_report",
            f"{measure.code}/{period.name}",
            "update" if previous is not None else "insert",
            before={**snapshot(previous, REPORT_FIELDS), "id": previous.id} if previous is not None else None,
            after={**new_values, "id": report.id},
        )
    session.flush()
    return len(pending)
