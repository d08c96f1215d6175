"""Measures for the catalogue views: filtering, details, report history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.models import Measure, ReportingPeriod, StatusReport
from tracking.periods import reference_day
from tracking.plausibility import Earlier, report_warnings
from tracking.rollup import expected_progress
from tracking.snapshot import Snapshot
from tracking.vocab import ENDED_STATUSES, NO_REPORT


def measure_codes(session: Session) -> list[str]:
    """Every measure's code, in order (the codes only: cheap at any scale)."""
    return list(session.scalars(select(Measure.code).order_by(Measure.code)))


@dataclass
class MeasureFilter:
    """What a user narrowed the measures table to; empty lists mean «all»."""

    text: str = ""
    fields: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    lights: list[str] = field(default_factory=list)
    behind_plan: bool = False
    overdue: bool = False
    no_report: bool = False


def filter_measures(measures: pd.DataFrame, f: MeasureFilter) -> pd.DataFrame:
    """Rows of a measure_status frame that match every set criterion."""
    m = measures
    if f.text.strip():
        needle = f.text.strip().casefold()
        haystack = (m["code"] + " " + m["title"] + " " + m["responsible_unit"].fillna("")).str.casefold()
        m = m[haystack.str.contains(needle, regex=False)]
    if f.fields:
        m = m[m["field_code"].isin(f.fields)]
    if f.goals:
        m = m[m["goal_code"].isin(f.goals)]
    if f.departments:
        m = m[m["department_code"].isin(f.departments)]
    if f.statuses:
        m = m[m["status"].isin(f.statuses)]
    if f.lights:
        m = m[m["light"].isin(f.lights)]
    if f.behind_plan:
        m = m[m["behind_plan"]]
    if f.overdue:
        m = m[m["overdue"]]
    if f.no_report:
        m = m[m["state"] == NO_REPORT]
    return m


def measure_history(snap: Snapshot, measure_id: int) -> pd.DataFrame:
    """The measure's current report in every period, with the plan on that period's reference day
    and the plausibility warnings of each report (read against the reports before it)."""
    measure = snap.measures[snap.measures["measure_id"] == measure_id].iloc[0]
    reports = snap.reports[snap.reports["measure_id"] == measure_id]
    start, end = _plain_date(measure["start_date"]), _plain_date(measure["planned_end"])
    rows = []
    earlier: list[Earlier] = []  # the reports so far, newest first
    final = None  # the latest report so far, carried into later periods once the measure ended
    for p in snap.periods.itertuples():
        if start is not None and start > p.end_date:
            continue
        r = reports[reports["period_id"] == p.period_id]
        report = r.iloc[0] if len(r) else None
        day = reference_day(p.start_date, p.end_date, p.is_open)
        hints = []
        carried = report is None and bool(earlier) and earlier[0].status in ENDED_STATUSES
        if carried:
            # Ended in an earlier period: it counts with its final report, as in every roll-up.
            report = final
        elif report is not None:
            comment = report["comment"] if isinstance(report["comment"], str) else None
            found = report_warnings(
                report["status"],
                report["light"],
                float(report["progress"]),
                comment,
                earlier,
                start_date=start,
                planned_end=end,
                day=day,
            )
            hints = [h.message for h in found]
            earlier.insert(0, Earlier(p.period, report["status"], report["light"], float(report["progress"]), comment))
            final = report

        def value(key: str, report=report):
            return report[key] if report is not None and isinstance(report[key], str) else None

        rows.append(
            {
                "period": p.period,
                "end_date": p.end_date,
                "status": value("status"),
                "light": value("light"),
                "progress": float(report["progress"]) if report is not None else float("nan"),
                "expected": expected_progress(start, end, day),
                "comment": value("comment"),
                "next_steps": value("next_steps"),
                "risks": value("risks"),
                "carried": carried,
                "unchanged": bool(report["unchanged"]) if report is not None and not carried else False,
                "explanation": None if carried else value("explanation"),
                "hints": hints,
                "reported_by": report["reported_by"] if report is not None and not carried else None,
                "reported_at": report["reported_at"] if report is not None and not carried else None,
            }
        )
    return pd.DataFrame(rows)


def _plain_date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else value


def report_versions(session: Session, measure_id: int) -> pd.DataFrame:
    """Every version of every report of the measure, superseded ones included."""
    rows = session.execute(
        select(
            ReportingPeriod.name,
            StatusReport.status,
            StatusReport.light,
            StatusReport.progress,
            StatusReport.comment,
            StatusReport.reported_by,
            StatusReport.reported_at,
            StatusReport.is_current,
            StatusReport.write_id,
        )
        .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
        .where(StatusReport.measure_id == measure_id)
        .order_by(ReportingPeriod.start_date, StatusReport.id)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "period",
            "status",
            "light",
            "progress",
            "comment",
            "reported_by",
            "reported_at",
            "is_current",
            "write_id",
        ],
    )


def measure_details(session: Session, measure_id: int) -> dict:
    m = session.get(Measure, measure_id)
    return {
        "code": m.code,
        "title": m.title,
        "description": m.description,
        "goal": f"{m.goal.code} {m.goal.name}",
        "field": f"{m.goal.field.code} {m.goal.field.name}",
        "department": f"{m.lead_department.code} – {m.lead_department.name}",
        "partners": ", ".join(d.code for d in m.partners) or "–",
        "responsible_unit": m.responsible_unit,
        "contact": m.contact,
        "start_date": m.start_date,
        "planned_end": m.planned_end,
        "budget_chf": m.budget_chf,
        "weight": m.weight,
        "active": m.active,
        "is_demo": m.is_demo,
    }
