"""«Meine Aufgaben»: what each role has to do in a reporting period, read from the measures that
owe a report (tracking.reports.owing_reports) and the submissions under sign-off
(tracking/sign_off.py). The page and the tests read the same lists.

- Koordination: the scope's measures still owed (none came in, or returned), what waits for
  release, what came back with a comment, and the scope's red or overdue measures.
- Departementsleitung: the department's reports waiting for release, its red or overdue measures.
- Administration: the Rücklauf of the whole canton per department, what waits, and what is
  stuck (waiting for longer than STUCK_DAYS, or returned and not reported again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from tracking.access import Actor
from tracking.models import ReportingPeriod
from tracking.periods import Period, deadline_passed, deadline_text
from tracking.sign_off import for_reviewer, submissions
from tracking.vocab import ENDED_STATUSES, RED, RETURNED, WAITING

# A report waiting this many days for release counts as stuck.
STUCK_DAYS = 7


@dataclass
class Tasks:
    period: str
    deadline: dt.date | None
    deadline_text: str | None
    deadline_passed: bool
    days_left: int | None  # until the deadline (negative: overdue); None without one
    owed: pd.DataFrame  # measures of the scope without a report (code, title, department_code, field_code)
    waiting: pd.DataFrame  # submissions of the scope waiting for release (sign_off.SUBMISSION_COLUMNS)
    returned: pd.DataFrame  # submissions of the scope returned with a comment
    to_release: pd.DataFrame  # submissions the actor may release
    attention: pd.DataFrame  # red or overdue measures of the scope (or department)
    completeness: pd.DataFrame  # per department: active, reported, waiting, missing (Administration)
    stuck: pd.DataFrame  # waiting longer than STUCK_DAYS, or returned (Administration)


def _mine(frame: pd.DataFrame, actor: Actor) -> pd.Series:
    """Rows of a frame with field_code and department_code the actor looks after."""
    if actor.role == "admin":
        return pd.Series(True, index=frame.index)
    if actor.role == "departementsleitung":
        return frame["department_code"] == actor.home_department
    return pd.Series(
        [actor.covers(f, d) for f, d in zip(frame["field_code"], frame["department_code"])],
        index=frame.index,
        dtype=bool,
    )


def tasks_for(
    session: Session, actor: Actor, period: Period, owing: pd.DataFrame, *, today: dt.date | None = None
) -> Tasks:
    """The actor's tasks in the period. owing: owing_reports of the period (all measures), as the
    pages keep it cached; today: the clock (for the deadline and what is stuck)."""
    today = today or dt.date.today()
    deadline = session.get(ReportingPeriod, period.id).deadline
    frame = submissions(session, period_id=period.id, states=(WAITING, RETURNED))
    # The latest of each measure counts: a returned report reported again is no longer returned.
    latest = frame.sort_values("submission_id").drop_duplicates("measure_id", keep="last")
    waiting_all = latest[latest["state"] == WAITING]
    reported = owing.loc[owing["has_report"], "measure_id"]
    returned_all = latest[(latest["state"] == RETURNED) & ~latest["measure_id"].isin(reported)]
    mine = owing[_mine(owing, actor)]
    owed = mine[~mine["has_report"] & ~mine["measure_id"].isin(waiting_all["measure_id"])]
    overdue = mine["planned_end"].notna() & (mine["planned_end"] < period.reference_day)
    ended = mine["status"].isin(list(ENDED_STATUSES))
    attention = mine[mine["has_report"] & ((mine["light"] == RED) | (overdue & ~ended))]
    completeness = pd.DataFrame(columns=["department_code", "active", "reported", "waiting", "missing"])
    stuck = waiting_all.iloc[0:0]
    if actor.role == "admin":
        grouped = owing.assign(waiting=owing["measure_id"].isin(waiting_all["measure_id"]))
        completeness = (
            grouped.groupby("department_code")
            .agg(active=("measure_id", "count"), reported=("has_report", "sum"), waiting=("waiting", "sum"))
            .reset_index()
        )
        completeness[["reported", "waiting"]] = completeness[["reported", "waiting"]].astype(int)
        completeness["missing"] = completeness["active"] - completeness["reported"] - completeness["waiting"]
        old = waiting_all["submitted_at"].map(lambda at: (today - at.date()).days > STUCK_DAYS)
        stuck = pd.concat([waiting_all[old.astype(bool)], returned_all])
    return Tasks(
        period=period.name,
        deadline=deadline,
        deadline_text=deadline_text(deadline, today),
        deadline_passed=deadline_passed(deadline, today),
        days_left=(deadline - today).days if deadline else None,
        owed=owed,
        waiting=waiting_all[_mine(waiting_all, actor)],
        returned=returned_all[_mine(returned_all, actor)],
        to_release=for_reviewer(waiting_all, actor),
        attention=attention,
        completeness=completeness,
        stuck=stuck,
    )
