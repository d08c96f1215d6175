"""The database itself refuses bad values, whichever code path writes them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from tests.factories import add_measure, add_report, definition_dict, load_definition
from tracking.audit import WriteLog
from tracking.db import transaction
from tracking.models import Measure, RowChange, StatusReport, WriteRecord


@pytest.fixture
def store(engine):
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        measure = add_measure(session, "M-1.1.01", "1.1")
        period_id = session.execute(text("SELECT id FROM reporting_period WHERE name = '2024-H2'")).scalar_one()
        ids = {"measure": measure.id, "period": period_id}
    return engine, ids


def insert_report(engine, ids, **overrides):
    values = {
        "measure_id": ids["measure"],
        "period_id": ids["period"],
        "status": "in_umsetzung",
        "light": "gruen",
        "progress": 50,
        "comment": None,
        "reported_by": "sql",
        "reported_at": dt.datetime(2024, 12, 1),
        "is_current": True,
        "is_demo": False,
    }
    values.update(overrides)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO status_report (measure_id, period_id, status, light, progress, comment, reported_by,"
                " reported_at, is_current, is_demo) VALUES (:measure_id, :period_id, :status, :light, :progress,"
                " :comment, :reported_by, :reported_at, :is_current, :is_demo)"
            ),
            values,
        )


@pytest.mark.parametrize(
    "overrides",
    [
        {"progress": 101},
        {"progress": -1},
        {"status": "fertig"},
        {"status": "In Umsetzung"},
        {"light": "blau"},
        {"light": "gelb", "comment": None},
        {"light": "rot", "comment": "   "},
        {"measure_id": 999_999},
        {"period_id": 999_999},
    ],
    ids=[
        "progress-101",
        "progress-negative",
        "unknown-status",
        "status-label-not-code",
        "unknown-light",
        "yellow-without-reason",
        "red-blank-reason",
        "unknown-measure",
        "unknown-period",
    ],
)
def test_database_refuses_bad_report(store, overrides):
    engine, ids = store
    with pytest.raises(IntegrityError):
        insert_report(engine, ids, **overrides)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StatusReport)).scalar_one() == 0


def test_database_accepts_valid_edge_values(store):
    engine, ids = store
    insert_report(engine, ids, progress=100, status="abgeschlossen")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StatusReport)).scalar_one() == 1


def test_only_one_current_report_per_measure_and_period(store):
    engine, ids = store
    insert_report(engine, ids, progress=10)
    with pytest.raises(IntegrityError):
        insert_report(engine, ids, progress=20)
    # A superseded (not current) version is allowed beside the current one.
    insert_report(engine, ids, progress=5, is_current=False)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(StatusReport)).scalar_one() == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE measure SET weight = 0",
        "UPDATE measure SET budget_chf = -5",
        "UPDATE measure SET planned_end = '2023-01-01'",
        "UPDATE measure SET goal_id = 999999",
        "UPDATE measure SET lead_department_id = 999999",
        "UPDATE goal_contribution SET weight = -1",
        "UPDATE reporting_period SET end_date = '2000-01-01'",
        "INSERT INTO indicator (goal_id, name, unit, direction, active, is_demo)"
        " VALUES (1, 'x', '%', 'egal', true, false)",
    ],
)
def test_database_refuses_bad_structure(store, sql):
    engine, _ = store
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(sql))


@pytest.mark.parametrize(
    ("sql", "accepted"),
    [
        (
            "INSERT INTO row_change (write_id, table_name, row_key, kind)"
            " SELECT max(id), 't', 'k', 'retire' FROM write_record",
            True,
        ),
        (
            "INSERT INTO row_change (write_id, table_name, row_key, kind)"
            " SELECT max(id), 't', 'k', 'delete' FROM write_record",
            False,
        ),
        (
            "INSERT INTO row_change (write_id, table_name, row_key, kind)"
            " SELECT max(id), 't', 'k', 'Insert' FROM write_record",
            False,
        ),
        (
            "INSERT INTO user_account (username, display_name, role, scope_fields, scope_departments, active,"
            " failed_attempts) VALUES ('rr', 'R R', 'regierungsrat', '[]', '[]', true, 0)",
            True,
        ),
        (
            "INSERT INTO user_account (username, display_name, role, scope_fields, scope_departments, active,"
            " failed_attempts) VALUES ('chef', 'Chef', 'chef', '[]', '[]', true, 0)",
            False,
        ),
    ],
)
def test_vocabulary_checks_of_audit_and_users(engine, sql, accepted):
    """The allowed words pass, any other word (or another case) is refused by the database itself."""
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO write_record (actor, at, source, action) VALUES ('t', :at, 's', 'import')"),
            {"at": dt.datetime(2026, 11, 1)},
        )
    if accepted:
        with engine.begin() as conn:
            conn.execute(text(sql))
    else:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(sql))


def test_new_report_supersedes_and_keeps_history(store):
    engine, _ = store
    with transaction(engine) as session:
        m = session.scalar(select(Measure))
        add_report(session, m, "2024-H2", 30, actor="anna")
    with transaction(engine) as session:
        m = session.scalar(select(Measure))
        add_report(session, m, "2024-H2", 45, light="gelb", comment="Lieferverzug", actor="beat")
    with transaction(engine) as session:
        rows = session.scalars(select(StatusReport).order_by(StatusReport.id)).all()
        assert [(r.progress, r.is_current, r.reported_by) for r in rows] == [(30, False, "anna"), (45, True, "beat")]


def test_same_values_again_write_nothing(store):
    engine, _ = store
    with transaction(engine) as session:
        add_report(session, session.scalar(select(Measure)), "2024-H2", 30)
    with transaction(engine) as session:
        assert add_report(session, session.scalar(select(Measure)), "2024-H2", 30) is None
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 1


def test_every_write_is_attributed(store):
    engine, _ = store
    with transaction(engine) as session:
        add_report(session, session.scalar(select(Measure)), "2024-H2", 30, actor="carla")
    with transaction(engine) as session:
        record = session.scalars(select(WriteRecord).where(WriteRecord.action == "report")).one()
        assert record.actor == "carla"
        change = session.scalars(select(RowChange).where(RowChange.write_id == record.id)).one()
        assert (change.table_name, change.row_key, change.kind) == ("status_report", "M-1.1.01/2024-H2", "insert")
        assert change.after["progress"] == 30


@pytest.mark.parametrize("actor", ["", "   "])
def test_write_without_actor_is_refused(engine, actor):
    with transaction(engine) as session, pytest.raises(ValueError, match="handelnde Person"):
        WriteLog(session, actor=actor, source="test", action="x")


def test_failed_write_leaves_nothing(store):
    engine, _ = store
    with pytest.raises(IntegrityError), transaction(engine) as session:
        m = session.scalar(select(Measure))
        add_report(session, m, "2024-H2", 30)
        add_report(session, m, "2024-H1", 130)  # refused by the database: the whole unit rolls back
        session.flush()
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 0
        assert session.scalar(select(func.count()).select_from(WriteRecord).where(WriteRecord.action == "report")) == 0
