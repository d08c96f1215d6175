"""One reference day: a measure's Soll reads the same on the Massnahmen page, in the Sitzungsbericht
and in the report the command line writes, for the open and for a closed period.

The reference day is today while a period is open and its end once closed
(tracking.periods.reference_day). Before, the measure's history read the plan
at the period's end and the command line's report did too, while the
Sitzungsbericht page read it today: the same measure showed two Soll values.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

from tests.conftest import REFERENCE_DATE
from tracking.cli import main
from tracking.council import load_council_content
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.frozen import set_period_open
from tracking.measures import measure_history
from tracking.models import Measure
from tracking.periods import Period, reference_day, resolve_period
from tracking.rollup import expected_progress, measure_status
from tracking.snapshot import load_snapshot

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only


def test_reference_day_is_today_while_open_and_the_end_once_closed():
    start, end = dt.date(2026, 7, 1), dt.date(2026, 12, 31)
    assert reference_day(start, end, True, dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)
    assert reference_day(start, end, False, dt.date(2026, 11, 30)) == end
    # An open period read after its end, or before its start, keeps to its bounds.
    assert reference_day(start, end, True, dt.date(2027, 2, 1)) == end
    assert reference_day(start, end, True, dt.date(2026, 3, 1)) == start


@pytest.fixture
def demo(luzern):
    with transaction(luzern) as session:
        generate_demo(session, actor="test", reference_date=REFERENCE_DATE)
        set_period_open(session, name="2026-H1", is_open=False, actor="test")
    return luzern


def _xlsx_soll(path) -> dict[str, float | None]:
    ws = load_workbook(path)["Massnahmen"]
    header = [c.value for c in ws[1]]
    code, soll = header.index("Code"), header.index("Soll (%)")
    return {row[code]: row[soll] for row in ws.iter_rows(min_row=2, values_only=True) if row[code]}


@pytest.mark.parametrize("period", ["2026-H2", "2026-H1"])
def test_soll_reads_the_same_on_every_surface(demo, period, tmp_path, monkeypatch):
    today = dt.date.today()
    with transaction(demo) as session:
        resolved: Period = resolve_period(session, period)
        snap = load_snapshot(session)
        content = load_council_content(session, period, as_of=resolved.reference_day)
        ids = dict(session.query(Measure.code, Measure.id).all())
        plans = {m.code: (m.start_date, m.planned_end) for m in session.query(Measure)}
    within = min(max(today, resolved.start), resolved.end)
    assert resolved.reference_day == (within if resolved.is_open else resolved.end)
    assert resolved.is_open == (period == "2026-H2")

    # Soll by hand: linear from start to planned end, read on the reference day.
    def by_hand(code: str) -> float:
        start, end = plans[code]
        if resolved.reference_day <= start:
            return 0.0
        if resolved.reference_day >= end:
            return 100.0
        return 100 * (resolved.reference_day - start).days / (end - start).days

    council = {m.code: m.expected for m in content.measures}
    listed = measure_status(snap, period, as_of=resolved.reference_day).set_index("code")["expected"]
    monkeypatch.setenv("DATABASE_URL", str(demo.url.render_as_string(hide_password=False)))
    target = tmp_path / "bericht.xlsx"
    assert main(["report", "--period", period, "-o", str(target)]) == 0
    in_file = _xlsx_soll(target)
    sample = sorted(council)[::7]
    assert len(sample) >= 5
    for code in sample:
        expected = by_hand(code)
        history = measure_history(snap, ids[code]).set_index("period")
        assert history.loc[period, "expected"] == pytest.approx(expected), code  # Massnahmen detail
        assert listed[code] == pytest.approx(expected), code  # Massnahmen list
        assert council[code] == pytest.approx(expected), code  # Sitzungsbericht page
        assert in_file[code] == round(expected), code  # report from the command line, as the pages show it
        assert expected_progress(*plans[code], resolved.reference_day) == pytest.approx(expected)
    assert content.as_of == resolved.reference_day
