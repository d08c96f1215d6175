"""Frozen closed periods: a closed period's sums per goal, stored in the database.

The sums are the seam of the roll-up (tracking.rollup.SUM_COLUMNS), made by
figures' SQL producer on the period's reference day (its end, as it is closed).
period_figures reads them for a closed period instead of aggregating again, so a
closed period's figures no longer move with the clock. Everything above the goal
(fields, core goals, headline, lights) is still computed from them by rollup.py.

Closed periods are frozen: closing a period freezes it (set_period_open); writes that
can still change a closed period's sums (the measure catalogue and its undo, demo and
synthetic data; a restore the frozen ones) call freeze_closed in their transaction.
`init` and the dashboard's first connection (tracking.bootstrap) freeze the closed
periods without sums: the half-years the strategy definition creates closed, and those
of a database upgraded from before revision 0010. Reopening a period thaws it. Status
reports into a closed period are refused (tracking.excel_import).

With the sums, a period closed by hand (or frozen at its first use, or restored) stores
its Sitzungsbericht (tracking.council_json), made anew whenever its sums change: printed
on any later day, it reads the same, measure titles and comments as they were. A change
of the strategy (names, goal weights, contributions, which lie above the seam) renews it,
as the pages' figures of a closed period follow the current strategy too: every surface
shows one set of figures. Periods without a stored Sitzungsbericht make it live.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from tracking import rollup as ru
from tracking.access import Actor, require
from tracking.audit import WriteLog, snapshot
from tracking.council import live_council_content
from tracking.council_content import CouncilContent
from tracking.council_json import to_json
from tracking.figures import AGGREGATE_COLUMNS, goal_aggregates, stored_sums, typed_sums
from tracking.models import Goal, PeriodCouncilContent, PeriodGoalSum, ReportingPeriod
from tracking.periods import PERIOD_FIELDS, Period, get_period, reference_day

TABLE = PeriodGoalSum.__tablename__


def _row(period: ReportingPeriod | Period) -> pd.Series:
    if isinstance(period, Period):
        return pd.Series({"period_id": period.id, "start_date": period.start, "end_date": period.end})
    return pd.Series({"period_id": period.id, "start_date": period.start_date, "end_date": period.end_date})


def live_sums(session: Session, period: ReportingPeriod | Period) -> pd.DataFrame:
    """The period's sums per goal as figures computes them for a closed period (on its end)."""
    row = _row(period)
    day = reference_day(row["start_date"], row["end_date"], is_open=False)
    sums = goal_aggregates(session, row, day, ru.BEHIND_PLAN_MARGIN)[AGGREGATE_COLUMNS]
    # One row per active goal (zeros where no measure counts), so that a period is frozen
    # even without measures; goals no longer active keep theirs should they come back.
    active = pd.Index(session.scalars(select(Goal.id).where(Goal.active.is_(True))).all(), name="goal_id")
    ids = active.union(pd.Index(sums["goal_id"].astype(int), name="goal_id"))
    return typed_sums(sums.set_index("goal_id").reindex(ids).fillna(0).reset_index())


def _summary(sums: pd.DataFrame) -> dict:
    # The audit row holds totals, not every goal's sums: enough to see what was frozen.
    return {
        "Ziele": len(sums),
        "Massnahmen": int(sums["n_measures"].sum()),
        "gemeldet": int(sums["reported"].sum()),
        "Gewichtssumme": round(float(sums["weight_sum"].sum()), 6),
    }


def freeze(
    session: Session,
    period: ReportingPeriod | Period,
    log: WriteLog,
    *,
    with_content: bool = False,
    renew_content: bool = False,
) -> bool:
    """Store the period's sums per goal (replacing any stored); returns whether they changed.

    The Sitzungsbericht made from them is stored when with_content asks for it (closing a
    period, its first use, a restore) and renewed where one is stored when the sums change
    or renew_content asks for it (the strategy changed: names, goal weights, contributions).
    Periods frozen in passing (created closed by demo or synthetic data) keep only sums:
    making every report costs more than the write that froze them.

    An unchanged re-freeze leaves no audit row, so that re-freezing after every
    catalogue write does not fill the trail.
    """
    sums = live_sums(session, period)
    before = stored_sums(session, period.id)
    has_content = _has_content(session, period.id)
    if before is not None and before.equals(sums):
        if (with_content and not has_content) or (renew_content and has_content):
            _store_content(session, period)
        return False
    session.execute(delete(PeriodGoalSum).where(PeriodGoalSum.period_id == period.id))
    if not sums.empty:
        records = [{"period_id": period.id, **row} for row in sums.to_dict("records")]
        records = [{k: (v.item() if hasattr(v, "item") else v) for k, v in r.items()} for r in records]
        session.execute(insert(PeriodGoalSum), records)
    if before is None and sums.empty:
        return False
    after = _summary(sums)
    if with_content or has_content:
        after["Sitzungsbericht"] = f"{len(_store_content(session, period).measures)} Massnahmen"
    log.change(
        TABLE,
        period.name,
        "insert" if before is None else "update",
        before=None if before is None else _summary(before),
        after=after,
    )
    return True


def thaw(session: Session, period: ReportingPeriod | Period, log: WriteLog) -> bool:
    """Delete the period's stored sums and Sitzungsbericht (it is open again: computed live);
    returns whether there were any."""
    before = stored_sums(session, period.id)
    session.execute(delete(PeriodCouncilContent).where(PeriodCouncilContent.period_id == period.id))
    if before is None:
        return False
    session.execute(delete(PeriodGoalSum).where(PeriodGoalSum.period_id == period.id))
    log.change(TABLE, period.name, "retire", before=_summary(before), after=None)
    return True


def _has_content(session: Session, period_id: int) -> bool:
    # Only whether there is one: the JSON itself may be megabytes.
    found = select(PeriodCouncilContent.period_id).where(PeriodCouncilContent.period_id == period_id)
    return session.scalar(found) is not None


def _store_content(session: Session, period: ReportingPeriod | Period) -> CouncilContent:
    """The period's Sitzungsbericht on its end, as the live pages would show it now (the
    sums just stored give its trend), stored as JSON."""
    row = _row(period)
    session.flush()
    content = live_council_content(session, period.name, as_of=row["end_date"])
    session.execute(delete(PeriodCouncilContent).where(PeriodCouncilContent.period_id == period.id))
    session.add(PeriodCouncilContent(period_id=period.id, content=to_json(content)))
    session.flush()
    return content


def missing_periods(session: Session) -> list[int]:
    """Ids of the closed periods without stored sums."""
    frozen = select(PeriodGoalSum.period_id).distinct()
    return list(
        session.scalars(
            select(ReportingPeriod.id).where(ReportingPeriod.is_open.is_(False), ReportingPeriod.id.not_in(frozen))
        )
    )


def freeze_missing(session: Session, log: WriteLog) -> list[str]:
    """Freeze the closed periods that have no stored sums yet (the first use after an upgrade
    from before revision 0010, the earlier half-years the strategy creates closed); returns
    their names. Frozen periods stay as they are."""
    session.flush()
    missing = select(ReportingPeriod).where(ReportingPeriod.id.in_(missing_periods(session)))
    periods = session.scalars(missing.order_by(ReportingPeriod.start_date))
    return [p.name for p in periods if freeze(session, p, log, with_content=True)]


def freeze_closed(
    session: Session,
    log: WriteLog,
    *,
    only_frozen: bool = False,
    with_content: bool = False,
    renew_content: bool = False,
) -> list[str]:
    """Freeze every closed period anew (after a write that may change their sums); returns the
    names of the periods whose stored sums changed. Unchanged periods write nothing.

    only_frozen: leave closed periods without stored sums as they are (the strategy
    definition: the closed half-years it creates hold no reports yet; a restore: the
    database as it was exported).
    """
    session.flush()
    frozen_ids = set(session.scalars(select(PeriodGoalSum.period_id).distinct()))
    changed = []
    closed = select(ReportingPeriod).where(ReportingPeriod.is_open.is_(False)).order_by(ReportingPeriod.start_date)
    for period in session.scalars(closed):
        if only_frozen and period.id not in frozen_ids:
            continue
        if freeze(session, period, log, with_content=with_content, renew_content=renew_content):
            changed.append(period.name)
    return changed


def set_period_open(session: Session, *, name: str, is_open: bool, actor: Actor | str, source: str = "cli") -> bool:
    """Open or close a period; returns False when it already was in that state."""
    acting = require(actor, "periods")
    period = get_period(session, name)
    if period.is_open == is_open:
        return False
    log = WriteLog(session, actor=acting, source=source, action="open-period" if is_open else "close-period")
    before = snapshot(period, PERIOD_FIELDS)
    period.is_open = is_open
    log.change("reporting_period", period.name, "update", before=before, after=snapshot(period, PERIOD_FIELDS))
    # Closing freezes the period's sums, reopening computes them live again (same write).
    # The flush takes the period's row lock (see lock_period): an upload under way commits
    # first, and the sums below include its reports; later ones find the period closed.
    session.flush()
    if is_open:
        thaw(session, period, log)
    else:
        freeze(session, period, log, with_content=True)
    return True
