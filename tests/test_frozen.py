"""Frozen closed periods (tracking/frozen.py): closing stores the period's sums per goal,
its figures read them, reopening computes them live again, catalogue writes keep them true.

The stored sums are checked against the live SQL aggregate and against the pandas
roll-up (rollup.measure_sums over rollup.measure_status), an independent producer.
"""

from __future__ import annotations

import datetime as dt
import io
import types
from pathlib import Path

import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import delete, select, update
from streamlit.testing.v1 import AppTest

from tests.test_backup import export, new_database, restore
from tests.test_figures import random_history
from tracking import council, council_content, council_export, council_json, figures, periods
from tracking import rollup as ru
from tracking.bootstrap import init_database
from tracking.catalogue import apply_catalogue, measure_entries, plan_entries, undo_catalogue
from tracking.council_json import stored_content
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.figures import stored_sums
from tracking.frozen import live_sums, set_period_open
from tracking.models import Goal, Measure, PeriodCouncilContent, PeriodGoalSum, RowChange, StatusReport, WriteRecord
from tracking.periods import get_period, resolve_period
from tracking.snapshot import load_snapshot
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file

PERIOD = "2026-H2"  # the open period of the luzern fixture
END = dt.date(2026, 12, 31)
REAL_DATE = dt.date
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def history(luzern):
    random_history(luzern, 7, measures=60)
    # Codes as the catalogue accepts them (M-Feld.Ziel.Nummer), for the catalogue writes below.
    with transaction(luzern) as session:
        taken: dict[str, int] = {}
        rows = session.execute(select(Measure, Goal.code).join(Goal, Goal.id == Measure.goal_id).order_by(Measure.id))
        for measure, goal in rows.all():
            taken[goal] = taken.get(goal, 0) + 1
            measure.code = f"M-{goal}.{taken[goal]:02d}"
    return luzern


def close(engine, name: str = PERIOD, is_open: bool = False) -> None:
    with transaction(engine) as session:
        assert set_period_open(session, name=name, is_open=is_open, actor="test")


def pandas_sums(session, name: str) -> pd.DataFrame:
    """The sums of the pandas roll-up on the period's end, per active goal."""
    snap = load_snapshot(session)
    measures = ru.measure_status(snap, name, as_of=END)
    return ru.measure_sums(measures, "goal_id", pd.Index(snap.goals["goal_id"])).set_index("goal_id").sort_index()


def frozen_changes(session, action: str) -> list[RowChange]:
    return list(
        session.scalars(
            select(RowChange)
            .join(WriteRecord, WriteRecord.id == RowChange.write_id)
            .where(RowChange.table_name == "period_goal_sums", WriteRecord.action == action)
        )
    )


def test_closing_stores_the_sums_of_every_active_goal_with_an_audit_entry(history):
    with transaction(history) as session:
        assert stored_sums(session, get_period(session, PERIOD).id) is None
    close(history)
    with transaction(history) as session:
        period = get_period(session, PERIOD)
        stored = stored_sums(session, period.id)
        active = sorted(session.scalars(select(Goal.id).where(Goal.active.is_(True))))
        assert sorted(stored["goal_id"]) == active
        pd.testing.assert_frame_equal(stored, live_sums(session, period))
        expected = pandas_sums(session, PERIOD)
        got = stored.set_index("goal_id").sort_index()
        pd.testing.assert_frame_equal(got[ru.SUM_COLUMNS], expected[ru.SUM_COLUMNS], check_dtype=False)
        assert expected["n_measures"].sum() > 0 and expected["reported"].sum() > 0
        [change] = frozen_changes(session, "close-period")
        assert (change.row_key, change.kind, change.before) == (PERIOD, "insert", None)
        assert change.after["Ziele"] == len(active)
        assert change.after["Massnahmen"] == int(expected["n_measures"].sum())


def test_a_closed_period_reads_its_stored_sums_and_an_open_one_is_live(history, monkeypatch):
    close(history)
    with transaction(history) as session:
        structure = load_snapshot(session, with_measures=False)
        live = figures.period_figures(session, structure, PERIOD)
        period_id = get_period(session, PERIOD).id
        goal_id = int(structure.goals["goal_id"].iloc[0])
        # Tampered on purpose: the figure follows the stored row, not the reports.
        session.execute(
            update(PeriodGoalSum)
            .where(PeriodGoalSum.period_id == period_id, PeriodGoalSum.goal_id == goal_id)
            .values(n_measures=PeriodGoalSum.n_measures + 1000)
        )

        def no_aggregate(*args, **kwargs):
            raise AssertionError("closed period aggregated again")

        with monkeypatch.context() as m:
            m.setattr(figures, "goal_aggregates", no_aggregate)
            frozen = figures.period_figures(session, structure, PERIOD, as_of=END)
        assert frozen.headline["measures"] == live.headline["measures"] + 1000
        # Another day than the end is computed (the stored sums hold on the end only).
        inside = figures.period_figures(session, structure, PERIOD, as_of=dt.date(2026, 9, 1))
        assert inside.headline["measures"] == live.headline["measures"]

    close(history, is_open=True)
    with transaction(history) as session:
        assert stored_sums(session, period_id) is None
        [change] = frozen_changes(session, "open-period")
        assert (change.kind, change.after) == ("retire", None)
        structure = load_snapshot(session, with_measures=False)
        again = figures.period_figures(session, structure, PERIOD)
        assert again.headline == pytest.approx(live.headline, nan_ok=True)


def _counted_measure(session, period_id: int) -> str:
    """A measure with a counted report (not paused) in the period: its weight moves the goal's sums."""
    return session.scalar(
        select(Measure.code)
        .join(StatusReport, StatusReport.measure_id == Measure.id)
        .where(
            StatusReport.period_id == period_id,
            StatusReport.is_current.is_(True),
            StatusReport.status == "in_umsetzung",
            Measure.active.is_(True),
            Measure.start_date <= END,
        )
        .order_by(Measure.code)
        .limit(1)
    )


def test_a_catalogue_change_and_its_undo_refreeze_the_closed_period(history):
    close(history)
    with transaction(history) as session:
        period = get_period(session, PERIOD)
        before = stored_sums(session, period.id)
        code = _counted_measure(session, period.id)
        values = measure_entries(session)[code]
        entry = {"code": code, **values, "active": "ja"} | {"weight": values["weight"] + 3}
        write_id = apply_catalogue(session, plan_entries(session, measures=[entry]), actor="Fachstelle")
        assert write_id is not None
        after = stored_sums(session, period.id)
        pd.testing.assert_frame_equal(after, live_sums(session, period))
        assert not after.equals(before)
        pd.testing.assert_frame_equal(
            after.set_index("goal_id")[ru.SUM_COLUMNS], pandas_sums(session, PERIOD)[ru.SUM_COLUMNS], check_dtype=False
        )
        changes = {c.row_key: c.kind for c in frozen_changes(session, "catalogue") if c.write_id == write_id}
        # The period closed above is updated; the closed half-years of the history, created
        # closed and never frozen, are frozen by this first write that may change them.
        assert changes.pop(PERIOD) == "update"
        assert set(changes.values()) <= {"insert"}

    with transaction(history) as session:
        undo_catalogue(session, write_id, actor="Fachstelle")
        period = get_period(session, PERIOD)
        pd.testing.assert_frame_equal(stored_sums(session, period.id), live_sums(session, period))
        pd.testing.assert_frame_equal(stored_sums(session, period.id), before)


def test_an_unchanged_refreeze_leaves_no_audit_row(history):
    close(history)
    init_database(history, actor="admin")  # every closed period frozen, as in a database in use
    with transaction(history) as session:
        code = _counted_measure(session, get_period(session, PERIOD).id)
        values = measure_entries(session)[code]
        entry = {"code": code, **values, "active": "ja"} | {"title": "Neuer Titel"}
        write_id = apply_catalogue(session, plan_entries(session, measures=[entry]), actor="Fachstelle")
        assert not [c for c in frozen_changes(session, "catalogue") if c.write_id == write_id]


def _freeze_today(monkeypatch, day: dt.date) -> None:
    """Make the council content and the period rules see `day` as today."""

    class FrozenDate(REAL_DATE):
        @classmethod
        def today(cls):
            return day

    shim = types.SimpleNamespace(date=FrozenDate, datetime=dt.datetime, timedelta=dt.timedelta, time=dt.time)
    monkeypatch.setattr(council, "dt", shim)
    monkeypatch.setattr(council_content, "dt", shim)  # report_day: «erstellt»
    monkeypatch.setattr(periods, "dt", shim)


def _council_cells(engine, monkeypatch, today: dt.date) -> dict:
    _freeze_today(monkeypatch, today)
    with transaction(engine) as session:
        period = resolve_period(session, PERIOD)
        assert period.reference_day == END
        content = council.load_council_content(session, PERIOD, as_of=period.reference_day)
    assert content.created == today
    wb = load_workbook(io.BytesIO(council_export.to_xlsx(content)))
    return {(ws.title, cell.coordinate): cell.value for ws in wb.worksheets for row in ws.iter_rows() for cell in row}


def test_the_council_report_of_a_closed_period_does_not_move_with_the_clock(history, monkeypatch):
    close(history)
    first = _council_cells(history, monkeypatch, dt.date(2027, 1, 10))
    second = _council_cells(history, monkeypatch, dt.date(2027, 1, 11))
    assert len(first) > 100
    assert first == second  # «erstellt am» is not in the Excel file: every cell is equal


def test_a_restore_carries_the_stored_sums(history, tmp_path):
    close(history)
    target = new_database(tmp_path / "restored.sqlite")
    counts = restore(target, export(history))
    assert counts["period_goal_sums"] > 0
    with transaction(history) as source, transaction(target) as restored:
        period_id = get_period(source, PERIOD).id
        pd.testing.assert_frame_equal(stored_sums(restored, period_id), stored_sums(source, period_id))
    target.dispose()


def test_a_restore_recomputes_stored_sums_that_disagree_with_the_restored_reports(history, tmp_path):
    close(history)
    wb = load_workbook(io.BytesIO(export(history)))
    ws = wb["period_goal_sums"]
    header = [c.value for c in ws[1]]
    column = header.index("weighted_sum")
    for row in ws.iter_rows(min_row=2):
        row[column].value = 0.0  # an edited export: every goal at 0 % in the frozen period
    buffer = io.BytesIO()
    wb.save(buffer)
    target = new_database(tmp_path / "restored.sqlite")
    restore(target, buffer.getvalue())
    with transaction(history) as source, transaction(target) as restored:
        period = get_period(restored, PERIOD)
        pd.testing.assert_frame_equal(stored_sums(restored, period.id), stored_sums(source, period.id))
        pd.testing.assert_frame_equal(stored_sums(restored, period.id), live_sums(restored, period))
        [change] = frozen_changes(restored, "restore")
        assert (change.row_key, change.kind) == (PERIOD, "update")
    target.dispose()


def test_loading_the_strategy_again_keeps_the_stored_sums_without_an_audit_row(history):
    close(history)
    with transaction(history) as session:
        before = stored_sums(session, get_period(session, PERIOD).id)
        load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=dt.date(2026, 11, 15))
        pd.testing.assert_frame_equal(stored_sums(session, get_period(session, PERIOD).id), before)
        assert not frozen_changes(session, "load-strategy")


def test_demo_data_added_later_refreezes_the_closed_period(luzern):
    # Created closed (not frozen): opened and closed again, it is frozen.
    close(luzern, "2026-H1", is_open=True)
    close(luzern, "2026-H1")
    with transaction(luzern) as session:
        period = get_period(session, "2026-H1")
        assert stored_sums(session, period.id)["n_measures"].sum() == 0
        generate_demo(session, reference_date=dt.date(2026, 11, 15))
        stored = stored_sums(session, period.id)
        assert stored["n_measures"].sum() > 0
        pd.testing.assert_frame_equal(stored, live_sums(session, period))


def test_the_trends_read_a_frozen_period_and_agree_with_the_live_trend(history):
    with transaction(history) as session:
        structure = load_snapshot(session, with_measures=False)
        live_trend = figures.figures_trend(session, structure)
        live_goals = figures.goals_trend(session, structure)
    close(history)
    with transaction(history) as session:
        structure = load_snapshot(session, with_measures=False)
        pd.testing.assert_frame_equal(figures.figures_trend(session, structure), live_trend)
        pd.testing.assert_frame_equal(figures.goals_trend(session, structure), live_goals)
        # Tampered on purpose: the trend of the frozen period follows the stored sums.
        period_id = get_period(session, PERIOD).id
        session.execute(
            update(PeriodGoalSum)
            .where(PeriodGoalSum.period_id == period_id)
            .values(weighted_sum=PeriodGoalSum.weight_sum * 100)
        )
        trend = figures.goals_trend(session, structure)
        frozen = trend[(trend["period"] == PERIOD) & trend["progress"].notna()]
        assert len(frozen) > 0 and (frozen["progress"] == 100).all()


def test_init_freezes_the_closed_periods_of_a_database_from_before_frozen_periods(history):
    # A database upgraded from before revision 0010: closed periods with reports, nothing stored.
    close(history)
    with transaction(history) as session:
        session.execute(delete(PeriodGoalSum))
        closed = [p for p in periods.all_periods(session) if not p.is_open]
        with_reports = {p.name for p in closed if session.scalar(select(StatusReport.id).filter_by(period_id=p.id))}
    assert PERIOD in with_reports and len(with_reports) >= 3
    result = init_database(history, actor="admin")
    with transaction(history) as session:
        for period in closed:
            pd.testing.assert_frame_equal(stored_sums(session, period.id), live_sums(session, period))
        # The pandas roll-up agrees on the stored sums of the period closed last.
        stored = stored_sums(session, get_period(session, PERIOD).id).set_index("goal_id")
        pd.testing.assert_frame_equal(
            stored[ru.SUM_COLUMNS], pandas_sums(session, PERIOD)[ru.SUM_COLUMNS], check_dtype=False
        )
        changes = frozen_changes(session, "freeze")
        assert {c.row_key for c in changes} == {p.name for p in closed}
        assert {c.write.actor for c in changes} == {"admin"}
    assert any(PERIOD in m and "Kennzahlen geschlossener Perioden" in m for m in result.messages)
    # The second init finds them frozen and writes nothing.
    assert not [m for m in init_database(history, actor="admin").messages if "Kennzahlen" in m]


# --- the stored Sitzungsbericht -----------------------------------------------------------------


def test_closing_stores_the_council_report_and_reopening_removes_it(history):
    with transaction(history) as session:
        live = council.live_council_content(session, PERIOD, as_of=END)
    close(history)
    with transaction(history) as session:
        period_id = get_period(session, PERIOD).id
        stored = stored_content(session, period_id)
        assert stored == live  # every field, every measure row
        assert council.load_council_content(session, PERIOD) == stored
        # The JSON holds what the report says: the figures and the measures.
        text = session.get(PeriodCouncilContent, period_id).content
        assert live.measures and all(m.code in text for m in live.measures)
    close(history, is_open=True)
    with transaction(history) as session:
        assert session.get(PeriodCouncilContent, get_period(session, PERIOD).id) is None


def test_content_as_json_and_back_is_the_same_for_an_open_and_a_closed_period(history):
    close(history, "2026-H1", is_open=True)
    close(history, "2026-H1")
    with transaction(history) as session:
        for name in ("2026-H1", PERIOD):
            content = council.live_council_content(session, name)
            assert council_json.from_json(council_json.to_json(content), created=content.created) == content
            assert any(a.hints for a in content.attention) or name == "2026-H1"


def test_the_stored_report_keeps_a_measure_title_the_catalogue_changed_later(history):
    close(history)
    with transaction(history) as session:
        code = _counted_measure(session, get_period(session, PERIOD).id)
        old_title = session.scalar(select(Measure.title).where(Measure.code == code))
        entry = {"code": code, **measure_entries(session)[code], "active": "ja"} | {"title": "Neuer Titel"}
        assert apply_catalogue(session, plan_entries(session, measures=[entry]), actor="Fachstelle")
    with transaction(history) as session:
        stored = {m.code: m.title for m in council.load_council_content(session, PERIOD).measures}
        live = {m.code: m.title for m in council.live_council_content(session, PERIOD, as_of=END).measures}
    assert (stored[code], live[code]) == (old_title, "Neuer Titel")


def test_a_weight_change_renews_the_stored_report_with_the_sums(history):
    close(history)
    with transaction(history) as session:
        code = _counted_measure(session, get_period(session, PERIOD).id)
        entry = {"code": code, **measure_entries(session)[code], "active": "ja"}
        entry["weight"] += 3
        apply_catalogue(session, plan_entries(session, measures=[entry]), actor="Fachstelle")
    with transaction(history) as session:
        stored = council.load_council_content(session, PERIOD)
        assert stored == council.live_council_content(session, PERIOD, as_of=END)
        structure = load_snapshot(session, with_measures=False)
        sql = figures.period_figures(session, structure, PERIOD, as_of=END)
    assert stored.headline["overall_progress"] == pytest.approx(sql.headline["overall_progress"])


def test_a_strategy_change_renews_the_stored_report_as_the_pages_follow_it(history, tmp_path):
    close(history)
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    for goal in data["fields"][0]["goals"]:
        goal["contributes"] = {"K3": "stark"}  # the goals of AF1 now serve K3 only
    path = tmp_path / "changed.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with transaction(history) as session:
        before = council.load_council_content(session, PERIOD)
        load_strategy_file(session, path, actor="test", today=dt.date(2026, 11, 15))
    with transaction(history) as session:
        after = council.load_council_content(session, PERIOD)
        structure = load_snapshot(session, with_measures=False)
        sql = figures.period_figures(session, structure, PERIOD, as_of=END)
    pages = dict(zip(sql.core_goals["core_code"], sql.core_goals["progress"]))
    assert after.core_progress == pytest.approx(pages)
    assert after.core_progress != before.core_progress


def test_the_dashboard_freezes_closed_periods_without_sums_at_its_first_connection(history, monkeypatch):
    # As after an upgrade from before the frozen periods, started with the dashboard (no `init`).
    with transaction(history) as session:
        closed = [p for p in periods.all_periods(session) if not p.is_open]
        assert closed and all(stored_sums(session, p.id) is None for p in closed)
    monkeypatch.setenv("DATABASE_URL", history.url.render_as_string(hide_password=False))
    app = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    app.run()
    assert not app.exception
    with transaction(history) as session:
        for period in closed:
            pd.testing.assert_frame_equal(stored_sums(session, period.id), live_sums(session, period))
        changes = frozen_changes(session, "freeze")
        assert {c.row_key for c in changes} == {p.name for p in closed}
        assert {c.write.actor for c in changes} == {"Dashboard"}
