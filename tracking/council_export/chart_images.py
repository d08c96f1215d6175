"""The export's charts: plotly figures of tracking/charts.py rendered to PNG.

kaleido drives a headless Chromium: one browser per report for all its
charts, in a worker process (render_worker.py) that is killed afterwards. Rendered charts are kept in a small
in-process cache, so the second format of the same period starts no browser.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tracking import charts
from tracking import formatting as fmt
from tracking.council import OVERALL
from tracking.council_content import CouncilContent, FieldBlock
from tracking.errors import TrackingError

ChartImages = dict[str, bytes]  # "matrix", "field:AF1", ... -> PNG
Figures = dict[str, tuple[go.Figure, tuple[int, int]]]  # name -> (figure, pixel size)

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Pixel size and font of each chart kind. Sized so that, placed on a slide,
# chart text comes out at about 14 pt (px = pt / 72 * px per inch on the slide).
MATRIX_PX = (930, 590)
TREND_PX = (740, 520)
CHART_FONT_PX = 20
CHART_SCALE = 1.5  # about 150 dpi on a slide, 200 dpi in the PDF
RENDER_TIMEOUT_S = 60.0  # all charts of one report, once the browser is up (a few seconds here)
START_TIMEOUT_S = 30.0  # the browser's start (about 1 s here; 10 s on a busy machine)
START_ATTEMPTS = 2
WORKER = Path(__file__).with_name("render_worker.py")
IMAGE_TIMEOUT_S = 60  # one chart, inside kaleido
_render_lock = threading.Lock()  # one browser at a time: two would halve the speed of each
CHART_CACHE_SIZE = 64  # PNGs of about 100 kB each
STACK_MAX = 10  # trend charts rendered as one image (keeps it far below browser canvas limits)
STACK_ABOVE_PX, STACK_BELOW_PX = 70, 105  # per band: legend above, rotated period labels below
_chart_cache: OrderedDict[str, bytes] = OrderedDict()
# One explicit template for every chart of a report. plotly gives a new figure its process's
# default template, and the dashboard's process has Streamlit's (set when Streamlit's plotly
# element is imported): without this, a report made on the page would look other than the same
# report made by the command line (labels lost, other colours).
EXPORT_TEMPLATE = pio.templates["plotly_white"]


def find_browser() -> str | None:
    """The Chromium that kaleido drives: BROWSER_PATH, else the first on PATH."""
    configured = os.environ.get("BROWSER_PATH", "").strip()
    if configured:
        return configured if Path(configured).is_file() else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _matrix_figure(content: CouncilContent) -> go.Figure:
    df = pd.DataFrame(
        {
            "field_code": c.field_code,
            "field_name": c.field_name,
            "core_code": c.core_code,
            "core_name": c.core_name,
            "core_short": c.core_short,
            "strength": c.strength,
            "n_goals": c.n_goals,
            "progress": float("nan") if c.progress is None else c.progress,
        }
        for c in content.matrix
    )
    # Long field names on two lines leave room for the four columns.
    fig = charts.field_core_heatmap(df, wrap=30)
    fig.update_traces(colorbar=dict(thickness=14, ticksuffix=" %", title=None))
    if df["progress"].isna().all():
        # plotly draws nothing for a heatmap without a single value: show the
        # contributions on a neutral grey instead, without a colour scale.
        zeros = [[0.0] * len(row) for row in fig.data[0].z]
        fig.update_traces(z=zeros, colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]], showscale=False)
    return fig


def _trend_figure(content: CouncilContent, block: FieldBlock) -> go.Figure:
    rows = [{"period": p, "field_code": OVERALL, "progress": v} for p, v in content.overall_trend]
    rows += [{"period": p, "field_code": block.code, "progress": v} for p, v in block.trend]
    # The palette's styles: «Gesamt» black and thick, the field in its own colour, marker and dash.
    fig = charts.progress_trend_lines(pd.DataFrame(rows, columns=["period", "field_code", "progress"]), block.code)
    fig.update_xaxes(title=None, tickangle=-45 if len(block.trend) > 4 else 0)
    return fig


def chart_figures(content: CouncilContent) -> Figures:
    """The report's figures with their pixel size: the matrix and one trend per field."""
    figures = {"matrix": (_matrix_figure(content), MATRIX_PX)}
    for block in content.fields:
        figures[f"field:{block.code}"] = (_trend_figure(content, block), TREND_PX)
    for fig, _ in figures.values():
        fig.update_layout(
            template=EXPORT_TEMPLATE, font=dict(size=CHART_FONT_PX), height=None, width=None, paper_bgcolor="#ffffff"
        )
        # Room for every tick label and axis title at the size the chart is placed.
        fig.update_xaxes(automargin=True)
        fig.update_yaxes(automargin=True)
    return figures


def _chart_key(fig: go.Figure, size: tuple[int, int]) -> str:
    return hashlib.sha256(f"{size}|{CHART_SCALE}|{fig.to_json()}".encode()).hexdigest()


def clear_chart_cache() -> None:
    with _render_lock:
        _chart_cache.clear()


def render_charts(content: CouncilContent, *, timeout: float = RENDER_TIMEOUT_S) -> ChartImages:
    """All charts of the report as PNG, rendered by one Chromium that is stopped afterwards.

    Charts rendered before in this process (same figure, same size) come from
    a small cache, so the PDF after the PowerPoint of one period, or a second
    download, starts no browser at all.
    """
    figures = chart_figures(content)
    keys = {name: _chart_key(fig, size) for name, (fig, size) in figures.items()}
    with _render_lock:
        todo = {name: figures[name] for name, key in keys.items() if key not in _chart_cache}
        if todo:
            for name, png in _render(todo, timeout).items():
                _chart_cache[keys[name]] = png
        images = {}
        for name, key in keys.items():
            _chart_cache.move_to_end(key)
            images[name] = _chart_cache[key]
        while len(_chart_cache) > CHART_CACHE_SIZE:
            _chart_cache.popitem(last=False)
        return images


def _stacked(figures: list[go.Figure], size: tuple[int, int]) -> go.Figure:
    """Figures with one x and one y axis each, one below the other in bands of size[1] pixels.

    Each band keeps its figure's traces, axes and legend, and leaves room for
    the legend above and the period labels below, so that cut out it looks
    like the figure alone.
    """
    n, height = len(figures), size[1]
    total = n * height
    combined = go.Figure(layout=figures[0].layout)
    combined.update_layout(height=total, width=size[0], margin=dict(t=0, b=0))
    for i, fig in enumerate(figures):
        suffix = "" if i == 0 else str(i + 1)
        top, bottom = 1 - i / n, 1 - (i + 1) / n
        for trace in fig.data:
            combined.add_trace(trace).data[-1].update(xaxis=f"x{suffix}", yaxis=f"y{suffix}", legend=f"legend{suffix}")
        plot = [bottom + STACK_BELOW_PX / total, top - STACK_ABOVE_PX / total]
        combined.layout[f"xaxis{suffix}"] = {**fig.layout.xaxis.to_plotly_json(), "anchor": f"y{suffix}"}
        combined.layout[f"yaxis{suffix}"] = {
            **fig.layout.yaxis.to_plotly_json(),
            "anchor": f"x{suffix}",
            "domain": plot,
        }
        legend = {**fig.layout.legend.to_plotly_json(), "y": top - 10 / total, "yanchor": "top"}
        combined.layout[f"legend{suffix}"] = legend
    return combined


def _cut(png: bytes, n: int) -> list[bytes]:
    """The n bands of a stacked image, each as its own PNG."""
    from PIL import Image as PILImage

    out = []
    with PILImage.open(io.BytesIO(png)) as image:
        band = image.height / n
        for i in range(n):
            buffer = io.BytesIO()
            image.crop((0, round(i * band), image.width, round((i + 1) * band))).save(buffer, format="PNG")
            out.append(buffer.getvalue())
    return out


def _stacked_jobs(figures: Figures) -> tuple[Figures, list[list[str]]]:
    """What kaleido renders: the figures other than trends, and the trends stacked STACK_MAX at a time.

    kaleido reloads its page after every image (about half a second here),
    so the field trends go through it as one tall figure, cut apart after.
    """
    trends = [name for name in figures if name.startswith("field:")]
    stacks = [trends[i : i + STACK_MAX] for i in range(0, len(trends), STACK_MAX)]
    jobs: Figures = {name: figure for name, figure in figures.items() if name not in trends}
    for number, names in enumerate(stacks):
        width, height = figures[names[0]][1]
        fig = _stacked([figures[name][0] for name in names], (width, height))
        jobs[f"stack:{number}"] = (fig, (width, height * len(names)))
    return jobs, stacks


def _process_tree(pid: int) -> list[int]:
    """pid and every process below it (Linux /proc; elsewhere only pid).

    kaleido starts Chromium in a session of its own, so killing the worker's
    process group would leave the browser running.
    """
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _kill(proc: subprocess.Popen) -> None:
    """Stop the worker and every process it started, the browser included."""
    for pid in _process_tree(proc.pid):  # from the top, so that none starts another
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    proc.wait()


class _Lines:
    """The worker's stdout, one line at a time, each with a deadline."""

    def __init__(self, proc: subprocess.Popen):
        self.fd = proc.stdout.fileno()
        self.buffer = b""
        self.closed = False

    def next(self, deadline: float) -> str | None:
        """The next line; "" at the end of the output; None when the deadline passed first."""
        while b"\n" not in self.buffer and not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                return None
            chunk = os.read(self.fd, 65536)
            self.closed = not chunk
            self.buffer += chunk
        if b"\n" not in self.buffer:
            line, self.buffer = self.buffer, b""
            return line.decode(errors="replace")
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace") + "\n"


def _attempt(job_file: Path, timeout: float) -> bool:
    """One run of the worker. False when the browser did not start in time (worth one more try)."""
    proc = subprocess.Popen(
        # By its path, not as a module of the package: the package's imports (pandas, reportlab,
        # python-pptx) would cost the worker most of a second before it starts the browser.
        [sys.executable, str(WORKER), str(job_file)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # Chromium's own chatter
        start_new_session=True,
    )
    lines = _Lines(proc)
    try:
        line = lines.next(time.monotonic() + START_TIMEOUT_S)
        while line is not None and line not in ("", "ready\n") and not line.startswith(("error", "nobrowser")):
            line = lines.next(time.monotonic() + START_TIMEOUT_S)  # something else printed: read on
        if line is None:
            return False
        if line == "ready\n":
            deadline = time.monotonic() + timeout
            line = lines.next(deadline)
            while line is not None and line not in ("", "done\n") and not line.startswith("error"):
                line = lines.next(deadline)
            if line is None:
                raise TrackingError(
                    f"Chromium hat nicht innert {fmt.number(timeout)} Sekunden geantwortet: "
                    "die Grafiken konnten nicht erstellt werden."
                )
        if line.startswith("nobrowser"):
            raise TrackingError("Chromium liess sich nicht starten: die Grafiken konnten nicht erstellt werden.")
        if line.startswith("error"):
            raise TrackingError(f"Die Grafiken konnten nicht erstellt werden ({line[len('error ') :].strip()}).")
        if line != "done\n":
            raise TrackingError(
                f"Die Grafiken konnten nicht erstellt werden (der Hilfsprozess endete mit Code {proc.wait()})."
            )
        return True
    finally:
        _kill(proc)


def _write_pngs(browser: str, jobs: Figures, timeout: float) -> ChartImages:
    """Every job as PNG, by a worker process that is killed afterwards, browser and all.

    A browser that has not started after START_TIMEOUT_S gets one more try:
    on a busy machine Chromium now and then hangs at start for good.
    """
    with tempfile.TemporaryDirectory(prefix="council-charts-") as tmp:
        paths = {name: Path(tmp) / f"chart-{i}.png" for i, name in enumerate(jobs)}
        job_file = Path(tmp) / "jobs.json"
        images = [
            {"figure": fig.to_json(), "path": str(paths[name]), "width": w, "height": h, "scale": CHART_SCALE}
            for name, (fig, (w, h)) in jobs.items()
        ]
        job_file.write_text(
            json.dumps({"browser": browser, "image_timeout": IMAGE_TIMEOUT_S, "images": images}), encoding="utf-8"
        )
        for _ in range(START_ATTEMPTS):
            if _attempt(job_file, timeout):
                return {name: path.read_bytes() for name, path in paths.items()}
        raise TrackingError(
            f"Chromium ist in {START_ATTEMPTS} Versuchen nicht innert {fmt.number(START_TIMEOUT_S)} Sekunden "
            "gestartet: die Grafiken konnten nicht erstellt werden."
        )


def _render(figures: Figures, timeout: float) -> ChartImages:
    browser = find_browser()
    if browser is None:
        raise TrackingError(
            "Für Grafiken wird Chromium benötigt, es wurde aber nicht gefunden. Bitte das Debian-Paket "
            "«chromium» installieren oder BROWSER_PATH auf den Browser setzen."
        )
    jobs, stacks = _stacked_jobs(figures)
    images = _write_pngs(browser, jobs, timeout)
    for number, names in enumerate(stacks):
        images.update(zip(names, _cut(images.pop(f"stack:{number}"), len(names)), strict=True))
    return images
