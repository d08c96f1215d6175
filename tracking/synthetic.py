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

CHUNK = 100_000  # rows per bulk insert: bounded memory for millions of reports
REASONS = {
    "gelb": ["Verzögerung bei der Beschaffung.", "Ressourcen knapp, Etappe verschoben."],
    "rot": ["Finanzierung offen, Umsetzung gestoppt.", "Abhängigkeit vom Bund blockiert das Vorhaben."],
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
    plans = []
    rows = []
    numbers: dict[str, int] = {}
    for index in range(measures):
        goal_id, goal_code = goals[index % len(goals)]
        numbers[goal_code] = numbers.get(goal_code, 0) + 1
        # Most measures started early and run for years: some 20 reports each.
        first = int(rng.random() ** 4 * len(names))
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
        plans.append((code, first, start, planned_end))
    for chunk in range(0, len(rows), CHUNK):
        bulk_insert(session, Measure.__table__, rows[chunk : chunk + CHUNK])
    ids = dict(plain_rows(session, select(Measure.code, Measure.id)))
    del rows

    total = 0
    pending: list[dict] = []
    now = local_now()
    for done, (code, first, start, planned_end) in enumerate(plans):
        pace = rng.uniform(0.4, 1.0)
        stop_at = rng.randrange(first, len(names)) if rng.random() < 0.05 else None
        value = 0
        for index in range(first, len(names)):
            period_id, _, end = period_rows[index]
            if rng.random() < 0.04:
                continue  # a missing report
            span = max((planned_end - start).days, 1)
            expected = min(100.0, max(0.0, 100.0 * (min(end, today) - start).days / span))
            value = int(min(100, max(value, round(expected * pace + rng.uniform(-5, 5)))))
            if stop_at is not None and index >= stop_at:
                status = "abgebrochen"
            elif value >= 100:
                status = "abgeschlossen"
            else:
                status = "in_umsetzung" if value > 0 else "geplant"
            gap = expected - value
            light = "gruen" if status == "abgeschlossen" or gap <= 12 else ("gelb" if gap <= 30 else "rot")
            pending.append(
                {
                    "measure_id": ids[code],
                    "period_id": period_id,
                    "status": status,
                    "light": light,
                    "progress": value,
                    "comment": rng.choice(REASONS[light]) if light != "gruen" else None,
                    "next_steps": None,
                    "risks": None,
                    "reported_by": "Generator",
                    "reported_at": min(dt.datetime.combine(end, dt.time(12)), now),
                    "is_current": True,
                    "is_demo": True,
                    "write_id": record.id,
                }
            )
            if status in ("abgeschlossen", "abgebrochen"):
                break
        if len(pending) >= CHUNK:
            bulk_insert(session, StatusReport.__table__, pending)
            total += len(pending)
            pending = []
            report(done / len(plans), f"{total:,} Statusberichte geschrieben …".replace(",", "'"))
    bulk_insert(session, StatusReport.__table__, pending)
    total += len(pending)
    report(0.99, "Kennzahlen der geschlossenen Perioden werden gespeichert …")
    freeze_closed(session, log)
    record.summary = f"{measures} synthetische Massnahmen, {total} Statusberichte in {periods} Perioden."
    report(1.0, record.summary)
    return SyntheticResult(measures, total, names)


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
