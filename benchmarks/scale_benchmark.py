"""The tool at country scale: 100'000 measures over 20 periods, on SQLite and PostgreSQL.

For each database, measured in one run:

  1. generation of the synthetic data (tracking/synthetic.py, COPY on PostgreSQL), for information;
  2. the overview's figures (tracking/figures.py) for the open period (SQL aggregates) and for
     the last closed one (its stored sums, tracking/frozen.py), each as a ratio to one plain SQL
     aggregate over that period's reports (SELECT light, count(*), avg(progress) … GROUP BY
     light), best of 5 each; targets at most 3 (open) and 1 (closed); beside it the least any
     per-goal figure needs (the reports joined to their measures);
  3. the overview page rendered in Chromium, as a ratio to an empty Streamlit page
     served and loaded the same way (median of 3, after one warm-up load each); target at most 3;
  4. the peak resident memory of the dashboard's process (VmHWM) after every page loaded once
     in that session; target under 1 GB;
  5. each page's first load with empty caches: on a dashboard just started, right after the
     light page Verwaltung (the Python imports done, no figure cached); target at most 3 s
     each. Beside it each page as the very first page of a dashboard just started.

    .venv/bin/python benchmarks/scale_benchmark.py [--measures 100000] [--periods 20]
        [--databases sqlite,postgres] [--postgres-url URL]

PostgreSQL: an empty database the benchmark may fill (default
postgresql://tracking:tracking@127.0.0.1:5432/tracking_bench; its tables are
dropped and created anew).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from benchmarks.overview_benchmark import load  # noqa: E402
from pages import PAGES  # noqa: E402
from tests.browser import CHROMIUM_FLAGS, chromium_path, streamlit_server  # noqa: E402
from tracking import schema  # noqa: E402
from tracking.db import make_engine, transaction  # noqa: E402
from tracking.figures import period_figures  # noqa: E402
from tracking.models import Base  # noqa: E402
from tracking.snapshot import load_snapshot  # noqa: E402
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file  # noqa: E402
from tracking.synthetic import generate_synthetic  # noqa: E402

TODAY = dt.date(2026, 11, 15)
PLAIN = (
    "SELECT light, count(*), avg(progress) FROM status_report "
    "WHERE period_id = :period AND is_current = :yes GROUP BY light"
)
# What any per-goal figure needs at least: the period's reports joined to their
# measures (goal, weight, plan), one count per goal. Printed to show the floor.
JOINED = (
    "SELECT m.goal_id, count(*) FROM status_report r JOIN measure m ON m.id = r.measure_id "
    "WHERE r.period_id = :period AND r.is_current = :yes GROUP BY m.goal_id"
)


def swiss(number: int) -> str:
    return f"{number:,}".replace(",", "'")


def best_of(fn, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def build(url: str, measures: int, periods: int) -> float:
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    schema.upgrade(engine)
    start = time.perf_counter()
    with transaction(engine, write=True) as session:
        load_strategy_file(session, LUZERN_DEFINITION, actor="benchmark", today=TODAY)
        result = generate_synthetic(session, measures=measures, periods=periods, today=TODAY)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum does soon after a bulk load
    elapsed = time.perf_counter() - start
    print(f"  generated {swiss(result.measures)} measures, {swiss(result.reports)} reports in {elapsed:.1f} s")
    engine.dispose()
    return elapsed


def figures_ratio(url: str, which: int) -> tuple[float, float, float]:
    """Best-of-5 seconds of the plain aggregate, the joined floor and the figures of the period
    at position `which` (-1: the open one, -2: the last closed one, read from its stored sums)."""
    engine = make_engine(url)
    with transaction(engine) as session:
        structure = load_snapshot(session, with_measures=False)
        period = structure.periods.iloc[which]
        values = {"period": int(period["period_id"]), "yes": True}
        plain = best_of(lambda: session.execute(text(PLAIN), values).all())
        joined = best_of(lambda: session.execute(text(JOINED), values).all())
        figures = best_of(lambda: period_figures(session, structure, period["period"]))
    engine.dispose()
    return plain, joined, figures


def peak_rss_mb(port: int) -> float:
    """VmHWM of the streamlit process that serves the port."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
            if b"streamlit" in b" ".join(cmdline) and str(port).encode() in cmdline:
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        return float(line.split()[1]) / 1024
        except OSError:
            continue
    return float("nan")


LIGHT_PAGE = "verwaltung"  # reads no figures: what any first page run costs (imports, engine, sign-in)


def first_loads(url: str, tmp: Path, browser) -> tuple[dict[str, float], dict[str, float]]:
    """Per page, on a dashboard just started for it: seconds until the page has run when it is
    the first page of the process (cold: Python imports, engine, static files in the browser),
    and when it comes right after the light page Verwaltung (its data caches still empty)."""
    cold, first = {}, {}
    for _, title, _, url_path, _ in PAGES:
        with streamlit_server(url, tmp / f"first-{url_path}.log", env={"TRACKING_DEMO_ROLE": "admin"}) as app:
            context = browser.new_context(viewport={"width": 1400, "height": 2200})
            cold[title] = load(context, f"{app}/{url_path}", False)
            context.close()
        if url_path == LIGHT_PAGE:
            continue
        with streamlit_server(url, tmp / f"warm-{url_path}.log", env={"TRACKING_DEMO_ROLE": "admin"}) as app:
            context = browser.new_context(viewport={"width": 1400, "height": 2200})
            load(context, f"{app}/{LIGHT_PAGE}", False)
            first[title] = load(context, f"{app}/{url_path}", False)
            context.close()
    return cold, first


def render(url: str, tmp: Path) -> tuple[float, float, float, float, tuple[dict[str, float], dict[str, float]]]:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        sys.exit("Chromium fehlt (Debian-Paket chromium).")
    with (
        streamlit_server(url, tmp / "app.log", env={"TRACKING_DEMO_ROLE": "admin"}) as app,
        streamlit_server(url, tmp / "empty.log", script="benchmarks/empty_app.py") as empty,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        app_context = browser.new_context(viewport={"width": 1400, "height": 2200})
        empty_context = browser.new_context(viewport={"width": 1400, "height": 2200})
        first = load(app_context, f"{app}/uebersicht", True)  # computes and caches the figures and the trend
        load(empty_context, f"{empty}/", False)
        overview, baseline = [], []
        for _ in range(3):
            overview.append(load(app_context, f"{app}/uebersicht", True))
            baseline.append(load(empty_context, f"{empty}/", False))
        # The other pages in the same session: how much memory a session at this scale takes.
        for _, _, _, url_path, _ in PAGES:
            if url_path != "uebersicht":
                load(app_context, f"{app}/{url_path}", False)
        rss = peak_rss_mb(int(app.rsplit(":", 1)[1]))
        pages = first_loads(url, tmp, browser)
        browser.close()
    return first, statistics.median(overview), statistics.median(baseline), rss, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--measures", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=20)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument(
        "--postgres-url", default="postgresql+psycopg://tracking:tracking@127.0.0.1:5432/tracking_bench"
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for name in args.databases.split(","):
            url = f"sqlite:///{tmp / 'scale.sqlite'}" if name == "sqlite" else args.postgres_url
            print(f"{name}:", flush=True)
            build(url, args.measures, args.periods)
            ratios = {"open": figures_ratio(url, -1), "closed": figures_ratio(url, -2)}
            first, overview, empty, rss, pages = render(url, tmp)
            results.append((name, ratios, first, overview, empty, rss, pages))
    print()
    for name, ratios, first, overview, empty, rss, pages in results:
        print(f"{name}:")
        for kind, target in (("closed", 1), ("open", 3)):
            plain, joined, figures = ratios[kind]
            print(
                f"  figures of the {kind} period: {figures * 1000:.0f} ms, plain aggregate {plain * 1000:.0f} ms, "
                f"ratio {figures / plain:.1f} (target at most {target}); the reports joined to their measures "
                f"alone {joined * 1000:.0f} ms (ratio {joined / plain:.1f})"
            )
        print(
            f"  overview in Chromium: {overview:.2f} s, empty page {empty:.2f} s, ratio {overview / empty:.1f} "
            f"(target at most 3); first load with empty caches {first:.1f} s"
        )
        cold, first = pages
        print(
            "  each page's first load with empty caches, after the light page Verwaltung (target at most 3 s each): "
            + ", ".join(f"{title} {seconds:.1f} s" for title, seconds in first.items())
        )
        print(
            "  each page as the first page of a dashboard just started (imports and engine too): "
            + ", ".join(f"{title} {seconds:.1f} s" for title, seconds in cold.items())
        )
        print(f"  dashboard process peak memory after every page: {rss:.0f} MB (target under 1024 MB)")


if __name__ == "__main__":
    main()
