"""Concurrent and interrupted writes, on SQLite and on PostgreSQL.

Eight coordinators upload at the same moment (four by action field, four by
department, so every measure is in two uploads); a held write lock gives a
German refusal, not «database is locked»; an import process killed with
SIGKILL in the middle of writing leaves the database exactly as before.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tests import excel_files as xf
from tests.factories import add_measure, set_sign_off
from tracking import db as tracking_db
from tracking.access import Actor
from tracking.db import DatabaseBusy, make_engine, transaction
from tracking.excel_import import apply_import, plan_import
from tracking.excel_template import build_template
from tracking.models import Base, Measure, ReportingPeriod, StatusReport, Submission, WriteRecord
from tracking.scope import Scope

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-H2"
FIELDS = ["AF1", "AF2", "AF3", "AF4"]
DEPARTMENTS = ["STK", "FD", "BKD", "GSD"]
GOALS = {"AF1": "1.1", "AF2": "2.1", "AF3": "3.1", "AF4": "4.1"}


def add_grid(engine, per_pair: int) -> None:
    """per_pair measures for every (field, department) pair, planned to end 2027."""
    with transaction(engine) as session:
        for field in FIELDS:
            for department in DEPARTMENTS:
                for n in range(per_pair):
                    add_measure(
                        session,
                        f"M-{GOALS[field]}.{department}{n:03d}",
                        GOALS[field],
                        department=department,
                        end=dt.date(2027, 12, 31),
                    )


def filled(engine, scope: Scope, progress: int) -> bytes:
    with transaction(engine) as session:
        template = build_template(session, period=PERIOD, scope=scope, generated_by="test")
    return xf.fill_all(template, {"status": "in Umsetzung", "light": "grün", "progress": progress})


def table_counts(engine) -> dict[str, int]:
    with transaction(engine) as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
            if t.name != "sign_in_throttle"
        }


def current_reports(engine) -> dict[str, tuple]:
    with transaction(engine) as session:
        return {
            code: (status, light, progress)
            for code, status, light, progress in session.execute(
                select(Measure.code, StatusReport.status, StatusReport.light, StatusReport.progress)
                .join(Measure, Measure.id == StatusReport.measure_id)
                .where(StatusReport.is_current.is_(True))
            )
        }


@pytest.mark.parametrize("sign_off", [False, True], ids=["direct", "sign-off"])
def test_eight_coordinators_upload_at_the_same_time(luzern, sign_off):
    add_grid(luzern, per_pair=5)
    with transaction(luzern) as session:
        set_sign_off(session, sign_off)
    coordinators = [
        (Actor(name=f"Koordination {code}", role="koordination", fields=frozenset({code})), Scope("field", code))
        for code in FIELDS
    ] + [
        (
            Actor(name=f"Koordination {code}", role="koordination", departments=frozenset({code})),
            Scope("department", code),
        )
        for code in DEPARTMENTS
    ]
    # Every upload reports its own progress for all of its measures: 11, 22, … 88.
    files = [filled(luzern, scope, 11 * (i + 1)) for i, (_, scope) in enumerate(coordinators)]
    progress_of = {actor.name: 11 * (i + 1) for i, (actor, _) in enumerate(coordinators)}
    all_previewed = threading.Barrier(len(coordinators))
    outcomes: dict[str, object] = {}

    def upload(actor: Actor, data: bytes) -> None:
        try:
            # As the page does it: the preview in one transaction, the save in another,
            # after every other coordinator has made a preview too.
            with transaction(luzern) as session:
                plan = plan_import(session, data, f"{actor.name}.xlsx", actor=actor)
            all_previewed.wait(timeout=60)
            with transaction(luzern, write=True) as session:
                result = apply_import(session, plan, actor=actor)
                outcomes[actor.name] = result.reports_submitted if sign_off else result.reports_written
        except Exception as exc:  # every outcome is asserted below
            outcomes[actor.name] = exc

    threads = [threading.Thread(target=upload, args=(a, d)) for (a, _), d in zip(coordinators, files)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # 4 fields x 4 departments x 5 measures: each upload has 20 rows, all new or changed.
    assert outcomes == {actor.name: 20 for actor, _ in coordinators}
    if sign_off:
        _no_submission_lost(luzern, progress_of)
        return
    with transaction(luzern) as session:
        imports = dict(
            session.execute(select(WriteRecord.actor, WriteRecord.id).where(WriteRecord.action == "import")).all()
        )
        history = session.execute(
            select(Measure.code, StatusReport.progress, StatusReport.is_current, WriteRecord.actor, WriteRecord.id)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(WriteRecord, WriteRecord.id == StatusReport.write_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(ReportingPeriod.name == PERIOD)
        ).all()
    assert len(imports) == 8
    by_code: dict[str, list] = {}
    for code, progress, is_current, actor, write_id in history:
        by_code.setdefault(code, []).append((write_id, actor, progress, is_current))
    assert len(by_code) == 80
    for code, versions in by_code.items():
        field = FIELDS[int(code[2]) - 1]
        department = code.split(".")[2][:-3]
        # No report lost: one version from the field's upload, one from the department's.
        assert sorted(actor for _, actor, _, _ in versions) == sorted(
            [f"Koordination {field}", f"Koordination {department}"]
        ), code
        assert all(progress == progress_of[actor] for _, actor, progress, _ in versions), code
        # The later upload is the current one.
        latest = max(versions)
        assert [v for v in versions if v[3]] == [latest], code


def _no_submission_lost(engine, progress_of: dict[str, int]) -> None:
    """With sign-off: each measure has the field's and the department's submission; the later one
    waits for release, the earlier one is replaced; no report was written."""
    with transaction(engine) as session:
        rows = session.execute(
            select(
                Measure.code, Submission.id, Submission.submitted_by_name, Submission.progress, Submission.state
            ).join(Measure, Measure.id == Submission.measure_id)
        ).all()
        assert (
            session.scalar(select(func.count()).select_from(StatusReport).where(StatusReport.write_id.is_not(None)))
            == 0
        )
    by_code: dict[str, list] = {}
    for code, submission_id, name, progress, state in rows:
        by_code.setdefault(code, []).append((submission_id, name, progress, state))
    assert len(by_code) == 80
    for code, versions in by_code.items():
        field = FIELDS[int(code[2]) - 1]
        department = code.split(".")[2][:-3]
        assert sorted(name for _, name, _, _ in versions) == sorted(
            [f"Koordination {field}", f"Koordination {department}"]
        ), code
        assert all(progress == progress_of[name] for _, name, progress, _ in versions), code
        assert [state for _, _, _, state in sorted(versions)] == ["ersetzt", "eingereicht"], code


def test_a_held_write_lock_gives_a_german_refusal_and_writes_nothing(sqlite_engine, monkeypatch, tmp_path):
    from tests.conftest import REFERENCE_DATE
    from tracking.strategy import LUZERN_DEFINITION, load_strategy_file

    with transaction(sqlite_engine) as session:
        load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)
    add_grid(sqlite_engine, per_pair=1)
    data = filled(sqlite_engine, Scope("field", "AF1"), 50)
    url = str(sqlite_engine.url)
    sqlite_engine.dispose()
    before = table_counts(make_engine(url))
    monkeypatch.setattr(tracking_db, "SQLITE_WAIT_SECONDS", 0.5)
    impatient = make_engine(url)
    holder = make_engine(url)
    with holder.execution_options(**{tracking_db.WRITE_OPTION: True}).connect() as other:
        other.exec_driver_sql("SELECT 1")  # begins a write transaction: another writer that takes its time
        with pytest.raises(DatabaseBusy) as refused, transaction(impatient, write=True) as session:
            plan = plan_import(session, data, "af1.xlsx")
            apply_import(session, plan, actor="test")
        other.rollback()
    assert refused.value.messages == [
        "Die Datenbank ist gerade mit einem anderen Speichervorgang beschäftigt. "
        "Nichts wurde gespeichert; bitte in einer Minute erneut versuchen."
    ]
    assert table_counts(make_engine(url)) == before


def _database_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _writing_started(engine, url: str, sqlite_path: Path | None) -> bool:
    """Whether the import process has begun to write (and not yet committed)."""
    if sqlite_path is not None:
        # SQLite creates the rollback journal with the first changed page.
        return Path(f"{sqlite_path}-journal").exists()
    with engine.connect() as conn:
        # PostgreSQL gives a transaction an id with its first write (or row lock).
        return bool(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'kill-test' AND backend_xid IS NOT NULL"
                )
            ).scalar()
        )


def _import_backends(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kill-test'")).scalar()


def test_an_import_killed_while_writing_leaves_the_database_as_it_was(luzern, tmp_path):
    add_grid(luzern, per_pair=150)  # 2'400 measures: the write takes long enough to be caught in it
    data = filled(luzern, Scope(), 44)
    path = tmp_path / "gross.xlsx"
    path.write_bytes(data)
    before_counts, before_reports = table_counts(luzern), current_reports(luzern)
    url = _database_url(luzern)
    sqlite_path = Path(luzern.url.database) if luzern.dialect.name == "sqlite" else None
    if sqlite_path is None:
        url += ("&" if "?" in url else "?") + "application_name=kill-test"
    luzern.dispose()  # SQLite: no connection of ours holds the file

    reader = None
    if sqlite_path is not None:
        # A reader's open transaction (a SHARED lock) lets the import write its journal but not
        # commit: it waits at the commit, however fast it writes and however busy the machine.
        reader = sqlite3.connect(sqlite_path, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM status_report").fetchone()
    env = {**os.environ, "DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-m", "tracking", "--user", "Kill Test", "import", str(path)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watcher = luzern
    deadline = time.monotonic() + 120
    while not _writing_started(watcher, url, sqlite_path):
        assert process.poll() is None, f"finished before it was caught writing: {process.stderr.read().decode()}"
        assert time.monotonic() < deadline, "the import never began to write"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    if reader is not None:
        reader.execute("ROLLBACK")
        reader.close()
    if sqlite_path is None:
        while _import_backends(watcher):  # the server rolls back once it sees the connection gone
            assert time.monotonic() < deadline
            time.sleep(0.05)
    else:
        assert Path(f"{sqlite_path}-journal").exists(), "a hot journal is left for the next connection to roll back"

    after = make_engine(str(luzern.url.render_as_string(hide_password=False)))
    assert table_counts(after) == before_counts
    assert current_reports(after) == before_reports
    # And the database works: the same import, run to the end, lands whole.
    done = subprocess.run(
        [sys.executable, "-m", "tracking", "--user", "Kill Test", "import", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert set(current_reports(after).values()) == {("in_umsetzung", "gruen", 44)}
    assert len(current_reports(after)) == 2400
