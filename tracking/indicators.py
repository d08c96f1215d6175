"""Indicator values per period: one current value, earlier ones kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog
from tracking.models import Indicator, IndicatorValue, ReportingPeriod, local_now


def current_value(session: Session, indicator_id: int, period_id: int) -> IndicatorValue | None:
    return session.scalar(
        select(IndicatorValue).where(
            IndicatorValue.indicator_id == indicator_id,
            IndicatorValue.period_id == period_id,
            IndicatorValue.is_current.is_(True),
        )
    )


def record_value(
    session: Session,
    log: WriteLog,
    *,
    indicator: Indicator,
    period: ReportingPeriod,
    value: float,
    reported_at: dt.datetime | None = None,
) -> IndicatorValue | None:
    """Store a value; the earlier one is superseded. None when nothing changes."""
    previous = current_value(session, indicator.id, period.id)
    if previous is not None and previous.value == value:
        return None
    record = log.ensure_record()
    if previous is not None:
        previous.is_current = False
        session.flush()
    row = IndicatorValue(
        indicator_id=indicator.id,
        period_id=period.id,
        value=value,
        is_current=True,
        reported_by=log.actor,
        reported_at=reported_at or local_now(),
        write_id=record.id,
    )
    session.add(row)
    session.flush()
    log.change(
        "indicator_value",
        f"{indicator.id}/{period.name}",
        "update" if previous is not None else "insert",
        before={"value": previous.value, "id": previous.id} if previous is not None else None,
        after={"value": value, "id": row.id},
    )
    return row
