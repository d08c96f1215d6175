"""Sign-off by the department (Freigabe), when the strategy asks for it (`sign_off: true` in the
YAML definition): a coordinator's report, uploaded or typed in the browser, waits as a submission
(«eingereicht») until the head of the measure's lead department releases it («freigegeben»: it
becomes the measure's current report and counts everywhere) or returns it with a comment
(«zurückgewiesen»: the coordinator sees the comment and reports again). Until then it counts
nowhere: every page, file and command reads the same released figures.

Reports the Fachstelle (Administration) enters count at once. Nobody releases their own upload.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracking.access import AccessDenied, Actor, require
from tracking.audit import WriteLog
from tracking.errors import TrackingError
from tracking.models import (
    ActionField,
    Department,
    Goal,
    Measure,
    ReportingPeriod,
    Strategy,
    Submission,
    local_now,
)
from tracking.periods import lock_period
from tracking.reports import REPORT_FIELDS, ReportItem, ReportValues, current_report, record_report
from tracking.scope import measure_scopes
from tracking.text_rules import text_problem
from tracking.vocab import RELEASED, REPLACED, RETURNED, WAITING, WITHDRAWN

SUBMISSION_TABLE = "submission"
RELEASE_ACTION = "release"
RETURN_ACTION = "return"


def sign_off_on(session: Session) -> bool:
    """Whether the loaded strategy asks for the department's sign-off."""
    return bool(session.scalar(select(Strategy.sign_off).limit(1)))


def needs_sign_off(session: Session, actor: Actor) -> bool:
    """A coordinator's reports wait for release when the strategy asks for sign-off."""
    return actor.role == "koordination" and sign_off_on(session)


def _account(actor: Actor) -> str:
    return actor.username or actor.name


def submit_reports(
    session: Session,
    log: WriteLog,
    *,
    actor: Actor,
    period: ReportingPeriod,
    items: list[ReportItem],
    current: dict[int, tuple[int, tuple]],
) -> int:
    """Store the reports as submissions waiting for release; returns how many. A row equal to the
    current report, or to the submission already waiting, writes nothing; a changed one replaces
    the waiting submission (state «ersetzt»)."""
    waiting = {
        s.measure_id: s
        for s in session.scalars(
            select(Submission).where(Submission.period_id == period.id, Submission.state == WAITING)
        )
    }
    count = 0
    for item in items:
        before = waiting.get(item.measure_id)
        if before is not None and _values(before) == item.values:
            continue
        previous = current.get(item.measure_id)
        if before is None and previous is not None and previous[1] == item.values:
            continue
        key = f"{item.code}/{period.name}"
        if before is not None:
            before.state = REPLACED
            session.flush()  # one waiting submission per measure and period (partial unique index)
            _log_step(log, key, before.id, REPLACED)
        record = log.ensure_record()
        submission = Submission(
            measure_id=item.measure_id,
            period_id=period.id,
            submitted_by=_account(actor),
            submitted_by_name=actor.name,
            submitted_at=item.reported_at,
            state=WAITING,
            write_id=record.id,
            **item.values.as_dict(),
        )
        session.add(submission)
        session.flush()
        log.change(
            SUBMISSION_TABLE, key, "insert", after={"id": submission.id, "state": WAITING, **item.values.as_dict()}
        )
        count += 1
    return count


def _log_step(log: WriteLog, key: str, submission_id: int, state: str, **more) -> None:
    """A waiting submission's step (released, returned, replaced, withdrawn) in the audit trail."""
    log.change(
        SUBMISSION_TABLE,
        key,
        "update",
        before={"id": submission_id, "state": WAITING},
        after={"id": submission_id, "state": state, **more},
    )


def _values(submission: Submission) -> ReportValues:
    return ReportValues(*(getattr(submission, f) for f in REPORT_FIELDS))


def latest_states(session: Session, period_id: int) -> pd.DataFrame:
    """Per measure the latest submission of the period that is waiting or returned (not replaced,
    withdrawn or released since): measure_id, state, review_comment."""
    latest = (
        select(Submission.measure_id, func.max(Submission.id).label("id"))
        .where(Submission.period_id == period_id, Submission.state.not_in([REPLACED, WITHDRAWN]))
        .group_by(Submission.measure_id)
        .subquery()
    )
    rows = session.execute(
        select(Submission.measure_id, Submission.state, Submission.review_comment)
        .join(latest, latest.c.id == Submission.id)
        .where(Submission.state.in_([WAITING, RETURNED]))
    ).all()
    return pd.DataFrame(rows, columns=["measure_id", "state", "review_comment"])


def waiting_and_returned(session: Session, period_id: int) -> tuple[set[int], dict[int, str]]:
    """The measures whose report waits for release, and those whose report was returned (with the
    comment): a waiting one is no longer owed by the coordinator, a returned one is again."""
    states = latest_states(session, period_id)
    waiting = {int(m) for m, state, _ in states.itertuples(index=False) if state == WAITING}
    returned = {int(m): comment for m, state, comment in states.itertuples(index=False) if state == RETURNED}
    return waiting, returned


def waiting_count(session: Session, period_id: int) -> int:
    """How many reports of the period wait for release (the council report names them)."""
    return (
        session.scalar(
            select(func.count())
            .select_from(Submission)
            .where(Submission.period_id == period_id, Submission.state == WAITING)
        )
        or 0
    )


SUBMISSION_COLUMNS = [
    "submission_id",
    "measure_id",
    "code",
    "title",
    "field_code",
    "department_code",
    "period",
    *REPORT_FIELDS,
    "submitted_by",
    "submitted_by_name",
    "submitted_at",
    "state",
    "review_comment",
    "reviewed_by",
    "reviewed_at",
]


def submissions(
    session: Session, *, period_id: int | None = None, states: tuple[str, ...] = (WAITING,)
) -> pd.DataFrame:
    """Submissions in these states (of one period, or all), oldest first, with what scopes them."""
    query = (
        select(
            Submission.id,
            Measure.id,
            Measure.code,
            Measure.title,
            ActionField.code,
            Department.code,
            ReportingPeriod.name,
            *(getattr(Submission, f) for f in REPORT_FIELDS),
            Submission.submitted_by,
            Submission.submitted_by_name,
            Submission.submitted_at,
            Submission.state,
            Submission.review_comment,
            Submission.reviewed_by,
            Submission.reviewed_at,
        )
        .join(Measure, Measure.id == Submission.measure_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .join(ReportingPeriod, ReportingPeriod.id == Submission.period_id)
        .where(Submission.state.in_(states))
        .order_by(Submission.id)
    )
    if period_id is not None:
        query = query.where(Submission.period_id == period_id)
    return pd.DataFrame(session.execute(query).all(), columns=SUBMISSION_COLUMNS)


def for_reviewer(frame: pd.DataFrame, actor: Actor) -> pd.DataFrame:
    """The waiting submissions the actor may release: the own department's (Departementsleitung),
    all (Administration); never the actor's own."""
    if actor.role not in ("admin", "departementsleitung"):
        return frame.iloc[0:0]
    mine = frame["submitted_by"] != _account(actor)
    if actor.role == "departementsleitung":
        mine &= frame["department_code"] == actor.home_department
    return frame[mine]


def _reviewable(session: Session, ids: list[int], actor: Actor) -> list[tuple[Submission, Measure, str | None]]:
    """The waiting submissions by id, checked: the actor may review each; else nothing is written."""
    if not ids:
        raise TrackingError("Bitte mindestens eine Meldung auswählen. Nichts wurde gespeichert.")
    rows = session.execute(
        select(Submission, Measure, Department.code)
        .join(Measure, Measure.id == Submission.measure_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .where(Submission.id.in_(ids))
        .order_by(Submission.id)
    ).all()
    found = {s.id for s, _, _ in rows}
    if missing := [i for i in ids if i not in found]:
        raise TrackingError(f"Meldung Nr. {', '.join(map(str, missing))} gibt es nicht. Nichts wurde gespeichert.")
    for submission, measure, department in rows:
        if submission.state != WAITING:
            raise TrackingError(
                f"Die Meldung zu {measure.code} wartet nicht mehr auf die Freigabe (inzwischen "
                f"{submission.state.replace('ue', 'ü')}). Nichts wurde gespeichert."
            )
        if actor.role == "departementsleitung" and department != actor.home_department:
            raise AccessDenied(
                f"{actor.name} gibt nur Meldungen des eigenen Departements ({actor.home_department or 'keines'}) frei; "
                f"{measure.code} gehört zum Departement {department}. Nichts wurde gespeichert."
            )
        if submission.submitted_by == _account(actor):
            raise AccessDenied(
                f"Die Meldung zu {measure.code} hat {actor.name} selbst eingereicht: eine andere Person gibt sie frei. "
                "Nichts wurde gespeichert."
            )
    for period_id in sorted({s.period_id for s, _, _ in rows}):
        if not lock_period(session, period_id):
            name = session.get(ReportingPeriod, period_id).name
            raise TrackingError(f"Die Berichtsperiode {name} ist geschlossen. Nichts wurde gespeichert.")
    return rows


def release(session: Session, ids: list[int], *, actor: Actor | str, source: str = "Freigabe") -> int:
    """Release waiting submissions: each becomes the measure's current report (reported by its
    coordinator, at the time of submission). Returns how many; all or nothing."""
    acting = require(actor, "release")
    rows = _reviewable(session, ids, acting)
    log = WriteLog(session, actor=acting, source=source, action=RELEASE_ACTION)
    now = local_now()
    periods = {p.id: p for p in session.scalars(select(ReportingPeriod))}
    for submission, measure, _ in rows:
        period = periods[submission.period_id]
        report = record_report(
            session,
            log,
            measure=measure,
            period=period,
            values=_values(submission),
            reported_at=submission.submitted_at,
        )
        # Equal to the current report: nothing new is written, the release confirms that one.
        report = report or current_report(session, measure.id, period.id)
        report.reported_by = submission.submitted_by_name
        submission.state, submission.reviewed_by, submission.reviewed_at = RELEASED, acting.name, now
        submission.report_id = report.id
        _log_step(log, f"{measure.code}/{period.name}", submission.id, RELEASED)
    log.ensure_record().summary = f"{len(rows)} Meldung{'en' if len(rows) != 1 else ''} freigegeben."
    session.flush()
    return len(rows)


def return_submissions(
    session: Session, ids: list[int], comment: str, *, actor: Actor | str, source: str = "Freigabe"
) -> int:
    """Return waiting submissions to their coordinator with a comment (required). Returns how many."""
    acting = require(actor, "release")
    comment = (comment or "").strip()
    if not comment:
        raise TrackingError(
            "Bitte begründen, warum die Meldung zurückgewiesen wird: die Koordination sieht den Kommentar. "
            "Nichts wurde gespeichert."
        )
    if problem := text_problem(comment, "comment"):
        raise TrackingError(f"Der Kommentar {problem} Nichts wurde gespeichert.")
    rows = _reviewable(session, ids, acting)
    log = WriteLog(session, actor=acting, source=source, action=RETURN_ACTION)
    now = local_now()
    for submission, measure, _ in rows:
        submission.state, submission.review_comment = RETURNED, comment
        submission.reviewed_by, submission.reviewed_at = acting.name, now
        key = f"{measure.code}/{session.get(ReportingPeriod, submission.period_id).name}"
        _log_step(log, key, submission.id, RETURNED, review_comment=comment)
    log.ensure_record().summary = f"{len(rows)} Meldung{'en' if len(rows) != 1 else ''} zurückgewiesen: {comment}"
    session.flush()
    return len(rows)


def withdraw_import(session: Session, log: WriteLog, write_id: int) -> int:
    """Undoing an import that submitted reports withdraws them; refused (German) once one of them
    was released or returned. Returns how many were withdrawn."""
    rows = session.execute(
        select(Submission, Measure.code)
        .join(Measure, Measure.id == Submission.measure_id)
        .where(Submission.write_id == write_id)
    ).all()
    reviewed = [code for s, code in rows if s.state in (RELEASED, RETURNED)]
    if reviewed:
        raise TrackingError(
            f"Import {write_id} kann nicht rückgängig gemacht werden: die Meldung zu {', '.join(reviewed)} wurde "
            "bereits freigegeben oder zurückgewiesen."
        )
    waiting = [s for s, _ in rows if s.state == WAITING]
    if waiting:
        session.execute(update(Submission).where(Submission.id.in_([s.id for s in waiting])).values(state=WITHDRAWN))
        names = dict(session.execute(select(ReportingPeriod.id, ReportingPeriod.name)).all())
        for s, code in rows:
            if s.state == WAITING:
                _log_step(log, f"{code}/{names[s.period_id]}", s.id, WITHDRAWN)
        for s in waiting:
            session.expire(s, ["state"])
    return len(waiting)


def submission_scopes(session: Session, write_id: int) -> list[tuple[str, str | None, str | None]]:
    """(code, field, department) of the measures an import submitted, for require_scope."""
    submitted = session.scalars(select(Submission.measure_id).where(Submission.write_id == write_id))
    return measure_scopes(session, list(submitted))
