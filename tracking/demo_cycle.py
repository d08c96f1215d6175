"""The demo's open reporting period as people meet it: a deadline, and (with sign-off on) a few
coordinators' reports waiting for their department head, one returned with a comment."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog
from tracking.models import Department, Measure, ReportingPeriod, Strategy, Submission
from tracking.reports import owing_reports
from tracking.vocab import GREEN, IN_PROGRESS, RETURNED, WAITING, YELLOW

# The open period's reporting cycle as a department head finds it (with sign-off on): a few
# coordinators' reports wait for release, one came back with a comment; the deadline 15 days
# after the period's end.
DEMO_COORDINATOR = "Demo Koordination"
DEMO_RETURN_COMMENT = "Bitte die Verzögerung begründen: seit der letzten Meldung kein Fortschritt."


def demo_cycle(
    session: Session, log: WriteLog, period: ReportingPeriod, measures: list[Measure], reference_date: dt.date
) -> None:
    if not period.is_open:
        return
    period.deadline = period.end_date + dt.timedelta(days=15)
    log.change("reporting_period", period.name, "update", after={"deadline": period.deadline.isoformat()})
    if not bool(session.scalar(select(Strategy.sign_off).limit(1))):
        return
    # The measures that owe a report and have none yet (not those ended in an earlier period).
    owing = owing_reports(session, period)
    owed = set(owing.loc[~owing["has_report"], "measure_id"])
    by_department: dict[int, list[Measure]] = {}
    for m in sorted(measures, key=lambda m: m.code):
        if m.id in owed:
            by_department.setdefault(m.lead_department_id, []).append(m)
    codes = {d.id: d.code for d in session.scalars(select(Department))}
    at = dt.datetime.combine(reference_date - dt.timedelta(days=2), dt.time(10))
    record = log.ensure_record()
    for department_id, waiting in sorted(by_department.items(), key=lambda item: codes[item[0]]):
        for i, m in enumerate(waiting[:2]):
            returned = codes[department_id] == "FD" and i == 1
            submission = Submission(
                measure_id=m.id,
                period_id=period.id,
                status=IN_PROGRESS,
                light=YELLOW if i else GREEN,
                progress=20 + 15 * i,
                comment="Ausschreibung läuft, Zuschlag im Januar." if i else None,
                unchanged=False,
                submitted_by=DEMO_COORDINATOR,
                submitted_by_name=DEMO_COORDINATOR,
                submitted_at=at,
                state=RETURNED if returned else WAITING,
                review_comment=DEMO_RETURN_COMMENT if returned else None,
                reviewed_by="Demo Departementsleitung" if returned else None,
                reviewed_at=at + dt.timedelta(days=1) if returned else None,
                write_id=record.id,
            )
            session.add(submission)
            session.flush()
            log.change(
                "submission",
                f"{m.code}/{period.name}",
                "insert",
                after={"id": submission.id, "state": submission.state},
            )
