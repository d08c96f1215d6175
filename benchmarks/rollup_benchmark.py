"""Roll-up speed on the demo data: one period and the whole trend.

Prints times and ratios measured in one run (the machine is shared and noisy,
so ratios, not absolute seconds, are what to compare between runs):
  rollup / snapshot load   how the roll-up of one period compares to reading the data
  trend / rollup           the trend over all periods against one period
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.rollup import progress_trend, rollup
from tracking.snapshot import load_snapshot


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        init_database(engine, actor="benchmark", demo=True, today=dt.date(2026, 11, 15))

        def load():
            with transaction(engine) as session:
                return load_snapshot(session)

        snap = load()
        t_load = best_of(load)
        t_rollup = best_of(lambda: rollup(snap, "2026-H2"))
        t_trend = best_of(lambda: progress_trend(snap), runs=3)
        tracemalloc.start()
        progress_trend(snap)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(f"measures: {len(snap.measures)}, reports: {len(snap.reports)}, periods: {len(snap.periods)}")
    print(f"snapshot load: {t_load * 1000:.1f} ms")
    print(f"rollup of one period: {t_rollup * 1000:.1f} ms  (ratio to load: {t_rollup / t_load:.2f})")
    print(f"trend over all periods: {t_trend * 1000:.1f} ms  (ratio to one rollup: {t_trend / t_rollup:.2f})")
    print(f"peak memory of the trend (tracemalloc): {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
