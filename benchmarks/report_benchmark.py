"""Time to build the council report (PowerPoint and PDF) on the demo data.

The PowerPoint comes first and starts a headless Chromium for its charts;
that start is most of the time. The PDF of the same period then takes the
charts from the in-process cache (as in the dashboard, or when both files are
made in one run). For comparison, the PDF is also timed cold, with an empty
cache and its own browser, as `python -m tracking report --format pdf` does.
The machine is shared and noisy: compare runs by the ratios, not the seconds.

Run: .venv/bin/python benchmarks/report_benchmark.py
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracking.bootstrap import init_database
from tracking.council import council_content
from tracking.council_export import clear_chart_cache, to_pdf, to_pptx
from tracking.db import make_engine, transaction
from tracking.snapshot import load_snapshot

PERIOD = "2026-H2"
TARGET_S = 6.0


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.sqlite'}")
        init_database(engine, actor="benchmark", demo=True, today=dt.date(2026, 11, 15))
        with transaction(engine) as session:
            snap = load_snapshot(session)
        engine.dispose()

    content, t_content = timed(lambda: council_content(snap, PERIOD))
    clear_chart_cache()
    pptx, t_pptx = timed(lambda: to_pptx(content))
    pdf, t_pdf = timed(lambda: to_pdf(content))
    total = t_pptx + t_pdf
    clear_chart_cache()
    _, t_pdf_cold = timed(lambda: to_pdf(content))

    print(f"demo data: {len(content.measures)} measures, period {PERIOD}")
    print(f"content (roll-ups, trend): {t_content:.2f} s")
    print(f"PPTX (renders the charts): {t_pptx:.2f} s ({len(pptx) / 1e6:.1f} MB)")
    print(f"PDF (charts from the cache): {t_pdf:.2f} s ({len(pdf) / 1e6:.1f} MB)")
    verdict = "met" if total < TARGET_S else "NOT met"
    print(f"PPTX + PDF: {total:.2f} s (target: under {TARGET_S:.0f} s for both together: {verdict})")
    print(f"PDF alone, cold (own browser): {t_pdf_cold:.2f} s (ratio to PPTX: {t_pdf_cold / t_pptx:.2f})")


if __name__ == "__main__":
    main()
