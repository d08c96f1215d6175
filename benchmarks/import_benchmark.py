"""Import speed of a 10'000-row status report against reading the same file with python-calamine alone.

Builds a temporary SQLite database with a small strategy and 10'000 measures
(a third without a report in the period, a third with a report that the file
changes, a third with one the file repeats), the template for the open period
filled in for every measure, and then measures in one run:

  (a) python-calamine alone: CalamineWorkbook.from_filelike + to_python of every sheet
  (b) plan_import + apply_import of the same file, committed (each run on a fresh copy of the database)

best of 3 each, and the ratio (b)/(a); then the peak memory of (b): the
tracemalloc peak (Python allocations) and the growth of the process's maximum
resident set size (ru_maxrss), measured in a child process started before
the file is built, so that building it does not hide the peak.

    .venv/bin/python benchmarks/import_benchmark.py [--rows 10000] [--runs 3] [--profile]

--profile prints where the time of (b) goes (cProfile, top functions by own
and cumulative time). Progress goes to stderr; building the file takes a few
seconds, one run of (b) about a third of a second on the shared 2-core test
machine, the whole benchmark well under a minute.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import load_workbook  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from tests.factories import definition_dict, load_definition  # noqa: E402
from tracking import schema  # noqa: E402
from tracking.db import make_engine, transaction  # noqa: E402
from tracking.excel_import import apply_import, plan_import  # noqa: E402
from tracking.excel_template import build_template  # noqa: E402
from tracking.models import Department, Goal, Measure, ReportingPeriod, StatusReport, WriteRecord  # noqa: E402
from tracking.report_sheet import HEADER_ROW, REPORT_COLUMNS, REPORT_SHEET, letter_of  # noqa: E402
from tracking.scope import Scope  # noqa: E402

PERIOD = "2024-H2"  # open with factories.TODAY (15.11.2024)
RATIO_TARGET = 3.0
MEMORY_TARGET_MB = 300.0
RUNS = 3
LIGHTS = ["grün", "grün", "grün", "gelb", "rot"]


def build_database(path: Path, rows: int) -> None:
    """A small strategy (3 fields, 8 goals), `rows` measures and reports for two thirds of them."""
    engine = make_engine(f"sqlite:///{path}")
    schema.upgrade(engine)
    fields = {
        "AF1": {"1.1": {"K1": 3}, "1.2": {"K2": 1}, "1.3": {"K1": 1}},
        "AF2": {"2.1": {"K1": 2, "K2": 2}, "2.2": {"K2": 3}},
        "AF3": {"3.1": {"K1": 1}, "3.2": {"K2": 2}, "3.3": {"K1": 2, "K2": 1}},
    }
    with transaction(engine) as session:
        load_definition(session, definition_dict(fields, departments=("STK", "FD", "BKD", "GSD")))
    with transaction(engine) as session:
        goals = session.execute(select(Goal.id, Goal.code).order_by(Goal.code)).all()
        departments = session.scalars(select(Department.id).order_by(Department.code)).all()
        period_id = session.scalar(select(ReportingPeriod.id).where(ReportingPeriod.name == PERIOD))
        session.execute(
            insert(Measure),
            [
                {
                    "code": f"M-{goals[i % len(goals)][1]}.{i:05d}",
                    "goal_id": goals[i % len(goals)][0],
                    "title": f"Massnahme Nummer {i} mit einem Titel von üblicher Länge",
                    "lead_department_id": departments[i % len(departments)],
                    "start_date": dt.date(2024, 1, 1),
                    "planned_end": dt.date(2026, 12, 31),
                    "weight": 1.0 + (i % 3),
                    "active": True,
                    "is_demo": False,
                }
                for i in range(rows)
            ],
        )
        write = WriteRecord(actor="benchmark", source="benchmark", action="report", at=dt.datetime(2024, 10, 1))
        session.add(write)
        session.flush()
        measure_ids = session.scalars(select(Measure.id).order_by(Measure.code)).all()
        session.execute(
            insert(StatusReport),
            [
                {
                    "measure_id": measure_id,
                    "period_id": period_id,
                    "status": "in_umsetzung",
                    "light": "gruen",
                    "progress": 10 + index % 50,
                    "comment": None,
                    "next_steps": "Weiter wie geplant.",
                    "reported_by": "benchmark",
                    "reported_at": dt.datetime(2024, 10, 1, 12),
                    "is_current": True,
                    "is_demo": False,
                    "write_id": write.id,
                }
                for index, measure_id in enumerate(measure_ids)
                if index % 3 != 0
            ],
        )
    engine.dispose()


def filled_report(path: Path) -> bytes:
    """The template for the period (all measures), filled in for every row with openpyxl."""
    engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as session:
        template = build_template(session, period=PERIOD, scope=Scope(), generated_by="benchmark")
    engine.dispose()
    wb = load_workbook(io.BytesIO(template))
    ws = wb[REPORT_SHEET]
    col = {c.key: letter_of(REPORT_COLUMNS, c.key) for c in REPORT_COLUMNS}
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        index = row - HEADER_ROW - 1
        if index % 3 == 2:
            continue  # the pre-filled values stay: unchanged
        light = LIGHTS[index % len(LIGHTS)]
        ws[f"{col['status']}{row}"] = "in Umsetzung"
        ws[f"{col['light']}{row}"] = light
        ws[f"{col['progress']}{row}"] = 20 + index % 70
        ws[f"{col['comment']}{row}"] = None if light == "grün" else "Verzögerung bei der Beschaffung."
        ws[f"{col['next_steps']}{row}"] = "Umsetzung fortsetzen, Bericht an die Fachstelle."
        ws[f"{col['as_of']}{row}"] = dt.date(2024, 11, 1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def read_with_calamine(data: bytes) -> int:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    cells = 0
    for name in workbook.sheet_names:
        rows = workbook.get_sheet_by_name(name).to_python()
        cells += sum(len(r) for r in rows)
    return cells


def plan_and_apply(db_path: Path, data: bytes) -> tuple[int, int]:
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        with transaction(engine) as session:
            plan = plan_import(session, data, "statusbericht.xlsx")
            result = apply_import(session, plan, actor="benchmark")
        return len(plan.reports), result.reports_written
    finally:
        engine.dispose()


def fresh_copy(base: Path, tmp: Path, name: str) -> Path:
    target = tmp / name
    shutil.copyfile(base, target)
    return target


def best_of(fn, runs: int = RUNS, label: str = "") -> tuple[float, object]:
    times, result = [], None
    for run in range(runs):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        if label:
            print(f"{label} run {run + 1}/{runs}: {times[-1]:.2f} s", file=sys.stderr, flush=True)
    return min(times), result


def swiss(number: int) -> str:
    return f"{number:,}".replace(",", "'")


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KB


def current_rss_mb() -> float:
    """The resident set size now (Linux /proc), to tell the peak of (b) from earlier peaks."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1]) / 1024
    return float("nan")


def child_memory() -> None:
    """Run in a fresh process: the growth of ru_maxrss during plan_import + apply_import.

    Started before the parent builds the database and the file, and told the
    paths on stdin later: a child inherits the parent's ru_maxrss high-water
    mark at the moment it is started, which would hide the peak of (b).
    """
    db_path, file_path = sys.stdin.readline().rstrip("\n").split("\t")
    data = Path(file_path).read_bytes()
    gc.collect()
    max_before, rss_before = maxrss_mb(), current_rss_mb()
    plan_and_apply(Path(db_path), data)
    max_after = maxrss_mb()
    print(f"{max_after - max_before:.1f} {max_after - rss_before:.1f} {rss_before:.1f} {max_after:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per measurement, the best counts (default 3)")
    parser.add_argument("--profile", action="store_true", help="cProfile one run of (b)")
    parser.add_argument("--child-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_memory:
        child_memory()
        return
    # The memory child starts now, while this process is still small (see child_memory).
    child = subprocess.Popen(
        [sys.executable, __file__, "--child-memory"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )

    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        base = tmp / "base.sqlite"
        start = time.perf_counter()
        build_database(base, args.rows)
        data = filled_report(base)
        file_path = tmp / "statusbericht.xlsx"
        file_path.write_bytes(data)
        setup = time.perf_counter() - start
        engine = make_engine(f"sqlite:///{base}")
        with transaction(engine) as session:
            measures = session.scalar(select(func.count()).select_from(Measure))
            reports = session.scalar(
                select(func.count()).select_from(StatusReport).where(StatusReport.is_current.is_(True))
            )
        engine.dispose()
        print(f"measures: {swiss(measures)}, current reports before the import: {swiss(reports)}")
        print(f"file: {len(data) / 1024 / 1024:.2f} MB, built in {setup:.1f} s (not measured)")

        t_read, cells = best_of(lambda: read_with_calamine(data), args.runs, "(a)")
        copies = iter(range(args.runs))
        t_import, (planned, written) = best_of(
            lambda: plan_and_apply(fresh_copy(base, tmp, f"run{next(copies)}.sqlite"), data), args.runs, "(b)"
        )
        ratio = t_import / t_read

        print("(b) with tracemalloc, then in a fresh process for ru_maxrss …", file=sys.stderr, flush=True)
        gc.collect()
        tracemalloc.start()
        plan_and_apply(fresh_copy(base, tmp, "traced.sqlite"), data)
        traced_peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()

        out, _ = child.communicate(f"{fresh_copy(base, tmp, 'child.sqlite')}\t{file_path}\n")
        if child.returncode != 0:
            raise SystemExit(f"memory child failed ({child.returncode})")
        maxrss_delta, above_start, rss_before, maxrss_after = (float(x) for x in out.split())

        print(f"rows in the file: {swiss(planned)}, reports written: {swiss(written)}")
        print(f"(a) python-calamine, read all sheets:  {t_read * 1000:8.1f} ms  ({swiss(cells)} cells)")
        print(f"(b) plan_import + apply_import:        {t_import * 1000:8.1f} ms")
        verdict = "ok" if ratio <= RATIO_TARGET else f"MISSED by {ratio / RATIO_TARGET:.1f}x"
        print(f"ratio (b)/(a): {ratio:.1f}   target: at most {RATIO_TARGET:.0f}   [{verdict}]")
        memory = max(traced_peak, maxrss_delta, above_start)
        verdict = "ok" if memory < MEMORY_TARGET_MB else "MISSED"
        print(
            f"peak memory of (b): tracemalloc peak {traced_peak:.1f} MB; ru_maxrss growth {maxrss_delta:.1f} MB, "
            f"peak RSS {above_start:.1f} MB above the RSS at the start of (b) "
            f"({rss_before:.0f} -> {maxrss_after:.0f} MB, fresh process)   "
            f"target: under {MEMORY_TARGET_MB:.0f} MB   [{verdict}]"
        )

        if args.profile:
            profiler = cProfile.Profile()
            target = fresh_copy(base, tmp, "profiled.sqlite")
            profiler.enable()
            plan_and_apply(target, data)
            profiler.disable()
            stats = pstats.Stats(profiler)
            print("\n--- cProfile of (b), by cumulative time ---")
            stats.sort_stats("cumulative").print_stats(30)
            print("--- cProfile of (b), by own time ---")
            stats.sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
