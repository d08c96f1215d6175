"""Reporting periods: half-years named like 2026-H2."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.access import Actor, require
from tracking.audit import WriteLog, snapshot
from tracking.errors import TrackingError
from tracking.models import ReportingPeriod

PERIOD_NAME = re.compile(r"^(\d{4})-H([12])$")
PERIOD_FIELDS = ["name", "start_date", "end_date", "is_open", "deadline"]


def half_year_bounds(name: str) -> tuple[dt.date, dt.date]:
    match = PERIOD_NAME.match(name.strip())
    if not match:
        raise TrackingError(f"Berichtsperiode «{name}» ist ungültig: erwartet Jahr-H1 oder Jahr-H2, z. B. 2026-H2.")
    year, half = int(match.group(1)), int(match.group(2))
    if half == 1:
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def half_year_of(day: dt.date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def half_years_between(first: str, last: str) -> list[str]:
    """Names from first to last inclusive, e.g. 2023-H1 .. 2023-H2."""
    start, _ = half_year_bounds(first)
    end, _ = half_year_bounds(last)
    names = []
    year, half = start.year, 1 if start.month == 1 else 2
    while (year, half) <= (end.year, 1 if end.month == 1 else 2):
        names.append(f"{year}-H{half}")
        year, half = (year, 2) if half == 1 else (year + 1, 1)
    return names


def reference_day(start: dt.date, end: dt.date, is_open: bool, today: dt.date | None = None) -> dt.date:
    """The day of plan and overdue checks: today while the period is open (held within its
    bounds), its end once it is closed. The one place this rule lives."""
    if not is_open:
        return end
    return min(max(today or dt.date.today(), start), end)


def plan_day(end: dt.date, as_of: dt.date | None) -> dt.date:
    """The day a roll-up reads plans on: the reference day it was given (never past the
    period's end), or the period's end when none was given."""
    return min(end, as_of) if as_of else end


@dataclass(frozen=True)
class Period:
    """A reporting period resolved once, with its reference day: what pages, files and
    commands hand to the roll-ups, so that every surface reads plans on the same day."""

    id: int
    name: str
    start: dt.date
    end: dt.date
    is_open: bool
    reference_day: dt.date

    @classmethod
    def of(cls, row: ReportingPeriod, today: dt.date | None = None) -> Period:
        return cls.make(row.id, row.name, row.start_date, row.end_date, row.is_open, today)

    @classmethod
    def make(
        cls, id: int, name: str, start: dt.date, end: dt.date, is_open: bool, today: dt.date | None = None
    ) -> Period:
        """The period with its reference day worked out (tracking.periods.reference_day)."""
        return cls(int(id), name, start, end, bool(is_open), reference_day(start, end, bool(is_open), today))


def resolve_period(session: Session, name: str, *, today: dt.date | None = None) -> Period:
    """The period by name with its reference day (today: the clock, e.g. --today of the CLI)."""
    return Period.of(get_period(session, name), today)


def all_periods(session: Session) -> list[ReportingPeriod]:
    return list(session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date)))


def get_period(session: Session, name: str) -> ReportingPeriod:
    period = session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == name.strip()))
    if period is None:
        known = ", ".join(p.name for p in all_periods(session)) or "keine"
        raise TrackingError(f"Berichtsperiode «{name}» gibt es nicht (vorhanden: {known}).")
    return period


def lock_period(session: Session, period_id: int) -> bool:
    """Take the period's row lock until the transaction ends; returns whether it is open.

    Writes of reports for one period queue here on PostgreSQL, so that two
    concurrent uploads never both retire the same report; each one compares
    with what the one before it committed. (SQLite's write transactions are
    already one at a time.) The open flag is read under the lock: a period
    closed a moment ago counts as closed.
    """
    return bool(
        session.execute(
            select(ReportingPeriod.is_open).where(ReportingPeriod.id == period_id).with_for_update()
        ).scalar_one()
    )


def current_period(session: Session, today: dt.date | None = None) -> ReportingPeriod | None:
    """The period that contains today, else the latest one that has started."""
    today = today or dt.date.today()
    periods = [p for p in all_periods(session) if p.start_date <= today]
    for period in periods:
        if period.end_date >= today:
            return period
    return periods[-1] if periods else None


def previous_period(session: Session, period: ReportingPeriod) -> ReportingPeriod | None:
    return session.scalar(
        select(ReportingPeriod)
        .where(ReportingPeriod.end_date < period.start_date)
        .order_by(ReportingPeriod.end_date.desc())
        .limit(1)
    )


def ensure_half_years(session: Session, log: WriteLog, *, first: str, today: dt.date) -> list[ReportingPeriod]:
    """Create missing half-years from `first` to the one containing today.

    New periods before the current one start closed, the current one open;
    periods that exist already are left exactly as they are.
    """
    current = half_year_of(today)
    existing = {p.name for p in all_periods(session)}
    created = []
    for name in half_years_between(first, current):
        if name in existing:
            continue
        start, end = half_year_bounds(name)
        period = ReportingPeriod(name=name, start_date=start, end_date=end, is_open=name == current)
        session.add(period)
        session.flush()
        log.change("reporting_period", name, "insert", after=snapshot(period, PERIOD_FIELDS))
        created.append(period)
    return created


def add_missing_periods(session: Session, *, actor: Actor | str, today: dt.date, source: str = "cli") -> list[str]:
    """Create the half-years from the first one up to today's; returns the new names."""
    acting = require(actor, "periods")
    periods = all_periods(session)
    if not periods:
        raise TrackingError("Noch keine Perioden: sie entstehen beim Laden der Strategie-Definition.")
    log = WriteLog(session, actor=acting, source=source, action="periods")
    return [p.name for p in ensure_half_years(session, log, first=periods[0].name, today=today)]


def set_deadline(
    session: Session, *, name: str, deadline: dt.date | None, actor: Actor | str, source: str = "cli"
) -> bool:
    """Set (or, with None, remove) the period's Meldeschluss; returns False when it was already so."""
    acting = require(actor, "periods")
    period = get_period(session, name)
    if deadline is not None and deadline < period.start_date:
        raise TrackingError(
            f"Meldeschluss {deadline:%d.%m.%Y} liegt vor dem Beginn der Periode {period.name} "
            f"({period.start_date:%d.%m.%Y}). Nichts wurde gespeichert."
        )
    if period.deadline == deadline:
        return False
    log = WriteLog(session, actor=acting, source=source, action="deadline")
    before = snapshot(period, PERIOD_FIELDS)
    period.deadline = deadline
    log.change("reporting_period", period.name, "update", before=before, after=snapshot(period, PERIOD_FIELDS))
    record = log.ensure_record()
    record.summary = (
        f"Meldeschluss {period.name}: {deadline:%d.%m.%Y}." if deadline else f"Meldeschluss {period.name} entfernt."
    )
    return True


def deadline_text(deadline: dt.date | None, today: dt.date | None = None) -> str | None:
    """«Meldeschluss in 12 Tagen (15.01.2027)», «… heute», «… seit 3 Tagen überfällig»; None without one.
    The one place the words for the deadline live: the pages, the e-mail and the CLI use them."""
    if deadline is None:
        return None
    days = (deadline - (today or dt.date.today())).days
    day = f"{deadline:%d.%m.%Y}"
    if days > 1:
        return f"Meldeschluss in {days} Tagen ({day})"
    if days == 1:
        return f"Meldeschluss morgen ({day})"
    if days == 0:
        return f"Meldeschluss heute ({day})"
    late = -days
    return f"Meldeschluss {day}: seit {late} {'Tag' if late == 1 else 'Tagen'} überfällig"


def deadline_passed(deadline: dt.date | None, today: dt.date | None = None) -> bool:
    return deadline is not None and deadline < (today or dt.date.today())


def due_within(deadline: dt.date | None, days: int, today: dt.date | None = None) -> bool:
    """Whether the deadline is at most `days` away or past (reminders start then); never without one."""
    return deadline is not None and (deadline - (today or dt.date.today())).days <= days
