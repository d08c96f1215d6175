"""Time until the overview is rendered in Chromium, as a ratio to an empty Streamlit page.

Both are served by `streamlit run` and loaded the same way in the same run:
from navigation start until the script is idle and (for the overview) the
matrix and the trend are drawn. Target with the demo data: ratio at most 2.5 (in the long run 1.5).
Each page is loaded once to warm up (server caches, imports, the browser's
HTTP cache), then timed five times, interleaved.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM_FLAGS, IDLE, chromium_path, streamlit_server  # noqa: E402
from tracking.bootstrap import init_database  # noqa: E402
from tracking.db import make_engine  # noqa: E402

RUNS = 5
# The overview draws its charts as HTML tables and an SVG image (no plotly): it is done when the
# matrix and the trend image are there.
DRAWN = "() => document.querySelector('table.af-matrix') && document.querySelector('.trend-chart img')?.complete"


def load(context, url: str, overview: bool) -> float:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=120_000)
    if overview:
        page.wait_for_function(DRAWN, timeout=120_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def main() -> None:
    from playwright.sync_api import sync_playwright

    path = chromium_path()
    if path is None:
        sys.exit("Chromium fehlt (Debian-Paket chromium).")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        init_database(make_engine(url), actor="benchmark", demo=True, today=dt.date(2026, 11, 15))
        with (
            # Demo data and TRACKING_DEMO_ROLE: signed in as demo admin, no sign-in screen.
            streamlit_server(url, Path(tmp) / "app.log", env={"TRACKING_DEMO_ROLE": "admin"}) as app,
            streamlit_server(url, Path(tmp) / "empty.log", script="benchmarks/empty_app.py") as empty,
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
            # One browser context per app, as for a returning user: its HTTP
            # cache holds the static files after the warm-up load.
            app_context = browser.new_context(viewport={"width": 1400, "height": 2200})
            empty_context = browser.new_context(viewport={"width": 1400, "height": 2200})
            load(app_context, f"{app}/uebersicht", True)
            load(empty_context, f"{empty}/", False)
            overview, baseline = [], []
            for _ in range(RUNS):  # interleaved, so machine noise hits both alike
                overview.append(load(app_context, f"{app}/uebersicht", True))
                baseline.append(load(empty_context, f"{empty}/", False))
            browser.close()
    o, b = statistics.median(overview), statistics.median(baseline)
    print(f"overview (median of {RUNS}): {o:.2f} s   runs: {', '.join(f'{x:.2f}' for x in overview)}")
    print(f"empty page (median of {RUNS}): {b:.2f} s   runs: {', '.join(f'{x:.2f}' for x in baseline)}")
    print(f"ratio overview / empty: {o / b:.2f}   (target: at most 2.5, in the long run 1.5)")


if __name__ == "__main__":
    main()
