"""Large synthetic data for scale tests and benchmarks: many measures over many periods.

The federal strategy or all 26 cantons at once mean some 100'000 measures and
millions of status reports. This module makes such a database in seconds: the
strategy's fields, goals and departments stay, measures and reports are
numbered and random (seeded), written with bulk inserts (COPY on
PostgreSQL). Everything is marked as demo data, so the interface shows the
«Demodaten» banner; one write record names the generation, without a row
change per report (the audit trail of a synthetic bulk load would only be
noise).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog
from tracking.db import bulk_insert, plain_rows
from tracking.errors import TrackingError
from tracking.frozen import freeze_closed
from tracking.models import (
    ActionField,
    Department,
    Goal,
    Measure,
    ReportingPeriod,
    StatusReport,
    local_now,
)
from tracking.periods import half_year_bounds, half_year_of
from tracking.vocab import CANCELLED, COMPLETED, ENDED_STATUSES, GREEN, IN_PROGRESS, NEEDS_REASON, PLANNED, RED, YELLOW

CHUNK = 100_000  # rows per bulk insert: bounded memory for millions of reports
REASONS = {
    YELLOW: ["Verzögerung bei der Beschaffung.", "Ressourcen knapp, Etappe verschoben."],
    RED: ["Finanzierung offen, Umsetzung gestoppt.", "Abhängigkeit vom Bund blockiert das Vorhaben."],
}
Progress = Callable[[float, str], None]


@dataclass
class SyntheticResult:
    measures: int
    reports: int
    periods: list[str]


def _period_names(count: int, last: str) -> list[str]:
    """The `count` half-years up to and including `last`, oldest first."""
    year, half = int(last[:4]), int(last[-1])
    names = []
    for _ in range(count):
        names.append(f"{year}-H{half}")
        year, half = (year, 1) if half == 2 else (year - 1, 2)
    return names[::-1]


def generate_synthetic(
    session: Session,
    *,
    measures: int,
    periods: int,
    seed: int = 7,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> SyntheticResult:
    """Add `measures` measures and their reports over the last `periods` half-years.

    Needs the strategy loaded and no measures yet. Each measure starts in one
    of the periods and reports in each period from then on (a few reports are
    missing), until it is completed or stopped.
    """
    report = progress or (lambda _f, _t: None)
    goals, departments = _strategy_rows(session, measures, periods)
    # One generator for measures and reports, drawn in a fixed order: a seed gives the
    # same database row for row.
    rng = random.Random(seed)
    today = today or dt.date.today()
    names = _period_names(periods, half_year_of(today))
    period_rows = _ensure_periods(session, names)
    log = WriteLog(
        session,
        actor="Generator",
        source=f"Synthetische Daten ({measures} Massnahmen, {periods} Perioden, Seed {seed})",
        action="demo",
    )
    record = log.ensure_record()

    report(0.0, f"{measures:,} Massnahmen werden angelegt …".replace(",", "'"))
    plans, ids = _add_measures(session, rng, measures, goals, departments, period_rows)
    writer = _ReportWriter(session, rng, names, period_rows, today, record.id, report)
    total = writer.write(plans, ids)
    report(0.99, "Kennzahlen der geschlossenen Perioden werden gespeichert …")
    freeze_closed(session, log)
    record.summary = f"{measures} synthetische Massnahmen, {total} Statusberichte in {periods} Perioden."
    report(1.0, record.summary)
    return SyntheticResult(measures, total, names)


def _strategy_rows(session: Session, measures: int, periods: int) -> tuple[list[tuple[int, str]], list[int]]:
    """(id, code) of the active goals and the department ids, after the checks that the
    counts make sense, the database has no measures yet and the strategy is loaded."""
    if measures < 1 or periods < 1:
        raise TrackingError("Anzahl Massnahmen und Perioden müssen mindestens 1 sein.")
    if session.scalar(select(func.count()).select_from(Measure)):
        raise TrackingError("Die Datenbank enthält schon Massnahmen: synthetische Daten nur in eine leere Datenbank.")
    goals = session.execute(
        select(Goal.id, Goal.code)
        .join(ActionField, ActionField.id == Goal.field_id)
        .where(Goal.active.is_(True), ActionField.active.is_(True))
        .order_by(Goal.code)
    ).all()
    departments = list(session.scalars(select(Department.id).order_by(Department.code)))
    if not goals or not departments:
        raise TrackingError("Zuerst die Strategie laden (python -m tracking init).")
    return [tuple(g) for g in goals], departments


class _Plan(NamedTuple):
    """What the reports of a measure need: its code, its first period's index and its dates."""

    code: str
    first: int
    start: dt.date
    planned_end: dt.date


def _add_measures(
    session: Session,
    rng: random.Random,
    count: int,
    goals: list[tuple[int, str]],
    departments: list[int],
    period_rows: list[tuple[int, dt.date, dt.date]],
) -> tuple[list[_Plan], dict[str, int]]:
    """Insert `count` measures, numbered per goal in turn; returns their plans and the ids
    by code. The rows are dropped on return, so they do not stay in memory with the reports."""
    plans = []
    rows = []
    numbers: dict[str, int] = {}
    for index in range(count):
        goal_id, goal_code = goals[index % len(goals)]
        numbers[goal_code] = numbers.get(goal_code, 0) + 1
        # Most measures started early and run for years: some 20 reports each.
        first = int(rng.random() ** 4 * len(period_rows))
        start = period_rows[first][1] + dt.timedelta(days=rng.randrange(0, 120))
        planned_end = start + dt.timedelta(days=rng.choice([2190, 2920, 3650, 4380, 5110]))
        code = f"M-{goal_code}.{numbers[goal_code]:05d}"
        rows.append(
            {
                "code": code,
                "goal_id": goal_id,
                "title": f"Synthetische Massnahme {index + 1} zu Ziel {goal_code}",
                "lead_department_id": rng.choice(departments),
                "start_date": start,
                "planned_end": planned_end,
                "weight": rng.choice([1.0, 1.0, 2.0, 0.5]),
                "active": True,
                "is_demo": True,
            }
        )
        plans.append(_Plan(code, first, start, planned_end))
    for chunk in range(0, len(rows), CHUNK):
        bulk_insert(session, Measure.__table__, rows[chunk : chunk + CHUNK])
    return plans, dict(plain_rows(session, select(Measure.code, Measure.id)))


class _ReportWriter:
    """Draws the reports measure by measure and writes them in chunks of CHUNK rows.

    A class because the generator, the running total and the time of the generation are
    shared by all measures; the progress callback hears of each chunk written.
    """

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        names: list[str],
        period_rows: list[tuple[int, dt.date, dt.date]],
        today: dt.date,
        write_id: int,
        report: Progress,
    ) -> None:
        self.session = session
        self.rng = rng
        self.names = names
        self.period_rows = period_rows
        self.today = today
        self.write_id = write_id
        self.report = report
        # Taken once: no report is later than the generation's start.
        self.now = local_now()
        self.total = 0

    def write(self, plans: list[_Plan], ids: dict[str, int]) -> int:
        """Write the reports of all measures; returns how many."""
        pending: list[dict] = []
        for done, plan in enumerate(plans):
            pending += self._measure_reports(plan, ids[plan.code])
            if len(pending) >= CHUNK:
                self._insert(pending)
                pending = []
                self.report(done / len(plans), f"{self.total:,} Statusberichte geschrieben …".replace(",", "'"))
        self._insert(pending)
        return self.total

    def _insert(self, rows: list[dict]) -> None:
        bulk_insert(self.session, StatusReport.__table__, rows)
        self.total += len(rows)

    def _measure_reports(self, plan: _Plan, measure_id: int) -> list[dict]:
        """One measure's reports from its first period on, until it is completed or stopped."""
        rng = self.rng
        pace = rng.uniform(0.4, 1.0)
        stop_at = rng.randrange(plan.first, len(self.names)) if rng.random() < 0.05 else None
        rows = []
        value = 0
        for index in range(plan.first, len(self.names)):
            period_id, _, end = self.period_rows[index]
            if rng.random() < 0.04:
                continue  # a missing report
            span = max((plan.planned_end - plan.start).days, 1)
            expected = min(100.0, max(0.0, 100.0 * (min(end, self.today) - plan.start).days / span))
            value = int(min(100, max(value, round(expected * pace + rng.uniform(-5, 5)))))
            status = _status(value, stop_at is not None and index >= stop_at)
            gap = expected - value
            light = GREEN if status == COMPLETED or gap <= 12 else (YELLOW if gap <= 30 else RED)
            rows.append(
                {
                    "measure_id": measure_id,
                    "period_id": period_id,
                    "status": status,
                    "light": light,
                    "progress": value,
                    "comment": rng.choice(REASONS[light]) if light in NEEDS_REASON else None,
                    "next_steps": None,
                    "risks": None,
                    "reported_by": "Generator",
                    "reported_at": min(dt.datetime.combine(end, dt.time(12)), self.now),
                    "is_current": True,
                    "is_demo": True,
                    "write_id": self.write_id,
                }
            )
            if status in ENDED_STATUSES:
                break
        return rows


def _status(value: int, stopped: bool) -> str:
    if stopped:
        return CANCELLED
    if value >= 100:
        return COMPLETED
    return IN_PROGRESS if value > 0 else PLANNED


def _ensure_periods(session: Session, names: list[str]) -> list[tuple[int, dt.date, dt.date]]:
    """(id, start, end) per name; missing half-years are added, closed except the last."""
    existing = {p.name: p for p in session.scalars(select(ReportingPeriod))}
    for name in names:
        if name not in existing:
            start, end = half_year_bounds(name)
            period = ReportingPeriod(name=name, start_date=start, end_date=end, is_open=name == names[-1])
            session.add(period)
            existing[name] = period
    session.flush()
    return [(existing[n].id, existing[n].start_date, existing[n].end_date) for n in names]
