"""Large synthetic data: what the generator promises, at a small size."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import func, select

from tests.conftest import REFERENCE_DATE
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.figures import stored_sums
from tracking.frozen import live_sums
from tracking.models import Measure, ReportingPeriod, StatusReport, WriteRecord
from tracking.synthetic import generate_synthetic


def test_generator_makes_measures_and_reports_over_the_periods(luzern):
    with transaction(luzern) as session:
        result = generate_synthetic(session, measures=300, periods=8, seed=3, today=REFERENCE_DATE)
    assert result.measures == 300
    # Eight half-years up to the one of the reference date (15.11.2026: 2026-H2).
    assert result.periods == [f"{y}-H{h}" for y in (2023, 2024, 2025, 2026) for h in (1, 2)]
    with transaction(luzern) as session:
        assert session.scalar(select(func.count()).select_from(Measure).where(Measure.is_demo.is_(True))) == 300
        reports = session.execute(
            select(Measure.start_date, ReportingPeriod.end_date, StatusReport.status, StatusReport.is_demo)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
        ).all()
        assert len(reports) == result.reports
        # Between the first period of each and all eight: on average more than half of them.
        assert 300 * 4 < result.reports <= 300 * 8
        assert all(start <= end for start, end, _, _ in reports), "no report before a measure starts"
        assert all(is_demo for *_, is_demo in reports)
        assert {status for _, _, status, _ in reports} >= {"in_umsetzung", "abgebrochen"}
        record = session.scalar(select(WriteRecord).where(WriteRecord.actor == "Generator"))
        assert record.summary == f"300 synthetische Massnahmen, {result.reports} Statusberichte in 8 Perioden."
        # Only the latest period is open (the strategy's own periods keep their state).
        assert session.scalar(select(ReportingPeriod.is_open).where(ReportingPeriod.name == "2026-H2"))
        # The closed ones are frozen with the sums their reports give (read, not computed, at scale).
        for period in session.scalars(select(ReportingPeriod).where(ReportingPeriod.is_open.is_(False))):
            stored = stored_sums(session, period.id)
            pd.testing.assert_frame_equal(stored, live_sums(session, period))
        assert stored["n_measures"].sum() > 0


def test_generator_refuses_a_database_with_measures(luzern):
    with transaction(luzern) as session:
        generate_synthetic(session, measures=5, periods=2, today=REFERENCE_DATE)
    with pytest.raises(TrackingError) as refused, transaction(luzern) as session:
        generate_synthetic(session, measures=5, periods=2, today=REFERENCE_DATE)
    assert refused.value.messages == [
        "Die Datenbank enthält schon Massnahmen: synthetische Daten nur in eine leere Datenbank."
    ]


def test_generator_adds_periods_before_the_strategy(luzern):
    with transaction(luzern) as session:
        result = generate_synthetic(session, measures=20, periods=20, today=dt.date(2026, 11, 15))
        names = list(session.scalars(select(ReportingPeriod.name).order_by(ReportingPeriod.start_date)))
    assert result.periods[0] == "2017-H1" and result.periods[-1] == "2026-H2"
    assert names[: len(result.periods)] == result.periods
    with transaction(luzern) as session:
        opened = session.scalars(
            select(ReportingPeriod.name).where(ReportingPeriod.is_open.is_(True), ReportingPeriod.name < "2023-H1")
        ).all()
    assert opened == []  # the added earlier half-years are closed
