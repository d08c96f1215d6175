"""Demo data: plausible, reproducible, marked as demo."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import REFERENCE_DATE
from tracking.db import transaction
from tracking.demo import generate_demo, has_demo_data
from tracking.errors import TrackingError
from tracking.models import Indicator, IndicatorValue, Measure, ReportingPeriod, StatusReport
from tracking.rollup import measure_status
from tracking.snapshot import load_snapshot


@pytest.fixture
def demo(luzern):
    with transaction(luzern) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)
    return luzern


def fingerprint(engine):
    with transaction(engine) as session:
        measures = session.execute(
            select(Measure.code, Measure.title, Measure.start_date, Measure.planned_end, Measure.budget_chf).order_by(
                Measure.code
            )
        ).all()
        reports = session.execute(
            select(Measure.code, ReportingPeriod.name, StatusReport.status, StatusReport.light, StatusReport.progress)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .order_by(Measure.code, ReportingPeriod.name)
        ).all()
    return measures, reports


def test_demo_is_plausible(demo):
    with transaction(demo) as session:
        measures = session.scalars(select(Measure)).all()
        assert 60 <= len(measures) <= 120
        assert all(m.is_demo for m in measures)
        assert {m.lead_department.code for m in measures} == {"BKD", "BUWD", "FD", "GSD", "JSD", "STK"}
        assert all(m.start_date < m.planned_end and m.budget_chf > 0 for m in measures)
        # Every field has measures.
        assert len({m.goal.field_id for m in measures}) == 9

        reports = session.scalars(select(StatusReport)).all()
        assert {r.light for r in reports} == {"gruen", "gelb", "rot"}
        assert {"in_umsetzung", "abgeschlossen", "sistiert"} <= {r.status for r in reports}
        assert all(r.comment for r in reports if r.light in ("gelb", "rot"))  # reasons
        assert all(r.progress == 100 for r in reports if r.status == "abgeschlossen")
        periods = {p.id: p for p in session.scalars(select(ReportingPeriod))}
        late = [r for r in reports if r.reported_at.date() > periods[r.period_id].end_date]
        assert late, "some reports come in after the period's end"
        assert session.scalar(select(func.count()).select_from(Indicator)) > 0
        assert session.scalar(select(func.count()).select_from(IndicatorValue)) > 0
        assert has_demo_data(session)

        snap = load_snapshot(session)
    current = measure_status(snap, "2026-H2", as_of=REFERENCE_DATE)
    owing = current[current["owes_report"]]
    share = owing["has_report"].mean()
    assert 0.3 < share < 0.9, "the open period is only partly reported"
    closed = measure_status(snap, "2025-H2")
    assert (~closed[closed["owes_report"]]["has_report"]).any(), "earlier periods miss a few reports"


def test_demo_is_reproducible(luzern, tmp_path):
    from tracking import schema
    from tracking.db import make_engine
    from tracking.strategy import LUZERN_DEFINITION, load_strategy_file

    other = make_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    schema.upgrade(other)
    for eng in (luzern, other):
        with transaction(eng) as session:
            if eng is other:
                load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)
            generate_demo(session, reference_date=REFERENCE_DATE, seed=7)
    assert fingerprint(luzern) == fingerprint(other)


def test_demo_refuses_to_run_twice(demo):
    with pytest.raises(TrackingError, match="Demodaten sind bereits geladen"), transaction(demo) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)


def test_demo_needs_a_strategy(engine):
    with pytest.raises(TrackingError, match="Zuerst die Strategie laden"), transaction(engine) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)
