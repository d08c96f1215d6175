"""Indicator values per period: one current value, earlier ones kept."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.audit import WriteLog
from tracking.models import Goal, Indicator, IndicatorValue, ReportingPeriod, local_now


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
        reported_by=log.display_name,
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


def indicator_values(session: Session, goal_ids: list[int]) -> pd.DataFrame:
    """Indicators of the goals with their current value per period, as a DataFrame."""
    rows = session.execute(
        select(
            Indicator.id,
            Goal.code,
            Indicator.name,
            Indicator.unit,
            Indicator.baseline,
            Indicator.baseline_year,
            Indicator.target,
            Indicator.target_year,
            Indicator.direction,
            ReportingPeriod.name,
            ReportingPeriod.end_date,
            IndicatorValue.value,
        )
        .join(Goal, Goal.id == Indicator.goal_id)
        .outerjoin(IndicatorValue, (IndicatorValue.indicator_id == Indicator.id) & IndicatorValue.is_current.is_(True))
        .outerjoin(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
        .where(Indicator.goal_id.in_(goal_ids), Indicator.active.is_(True))
        .order_by(Goal.code, Indicator.name, ReportingPeriod.start_date)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "indicator_id",
            "goal_code",
            "name",
            "unit",
            "baseline",
            "baseline_year",
            "target",
            "target_year",
            "direction",
            "period",
            "end_date",
            "value",
        ],
    )
