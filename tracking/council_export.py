"""Exports of the council's meeting summary: PowerPoint, PDF and Excel.

All three take a CouncilContent (tracking.council) and return bytes. Charts
are the plotly figures of tracking.charts, rendered to PNG by kaleido, which
drives a headless Chromium: one browser per report for all its charts, always
stopped afterwards. Rendered charts are kept in a small in-process cache, so
the second format of the same period starts no browser; images= lets a caller
pass charts it already has.

Layout rules: slides 16:9, no text under 14 pt; a table too long for one
slide continues on the next («(Fortsetzung)») instead of shrinking. The PDF
is A4 portrait with the period, the «Stand» and page numbers in every footer.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
import pandas as pd
import plotly.graph_objects as go
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt
from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import (
    Image,
    KeepTogether,
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from tracking import charts
from tracking import formatting as fmt
from tracking.council import OVERALL, CouncilContent, FieldBlock, points
from tracking.errors import TrackingError
from tracking.vocab import LIGHT_COLOURS, LIGHT_ICONS, LIGHTS, NO_REPORT, light_text
from tracking.xlsx import put_cell

ChartImages = dict[str, bytes]  # "matrix", "field:AF1", ... -> PNG

# --- charts -----------------------------------------------------------------

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Pixel size and font of each chart kind. Sized so that, placed on a slide,
# chart text comes out at about 14 pt (px = pt / 72 * px per inch on the slide).
MATRIX_PX = (930, 540)
TREND_PX = (740, 520)
CHART_FONT_PX = 20
CHART_SCALE = 1.5  # about 150 dpi on a slide, 200 dpi in the PDF
RENDER_TIMEOUT_S = 180.0  # all charts of one report
IMAGE_TIMEOUT_S = 60  # one chart, inside kaleido
_render_lock = threading.Lock()  # kaleido's sync server is one per process
CHART_CACHE_SIZE = 64  # PNGs of about 100 kB each
STACK_MAX = 10  # trend charts rendered as one image (keeps it far below browser canvas limits)
STACK_ABOVE_PX, STACK_BELOW_PX = 70, 105  # per band: legend above, rotated period labels below
_chart_cache: OrderedDict[str, bytes] = OrderedDict()


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
    fig = charts.progress_trend_lines(pd.DataFrame(rows, columns=["period", "field_code", "progress"]), block.code)
    # The overall line dashed, so the two lines differ in print without colour too.
    fig.update_traces(selector=dict(name=OVERALL), line=dict(color="#0072B2", dash="dash", width=2.5))
    fig.update_xaxes(title=None, tickangle=-45 if len(block.trend) > 4 else 0)
    return fig


def chart_figures(content: CouncilContent) -> dict[str, tuple[go.Figure, tuple[int, int]]]:
    """The report's figures with their pixel size: the matrix and one trend per field."""
    figures = {"matrix": (_matrix_figure(content), MATRIX_PX)}
    for block in content.fields:
        figures[f"field:{block.code}"] = (_trend_figure(content, block), TREND_PX)
    for fig, _ in figures.values():
        fig.update_layout(font=dict(size=CHART_FONT_PX), height=None, width=None, paper_bgcolor="#ffffff")
    return figures


def _wait(work: Callable[[], None], server_alive: Callable[[], bool], timeout: float) -> None:
    """Run work in a thread; give up when the render server died or time is out.

    kaleido's sync server blocks forever when its browser fails to start
    (its thread ends, the task is never taken), so we watch it from outside.
    """
    outcome: dict[str, BaseException | None] = {}

    def run() -> None:
        try:
            work()
            outcome["error"] = None
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="council-charts")
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        worker.join(0.2)
        if worker.is_alive() and not server_alive():
            raise TrackingError("Chromium liess sich nicht starten: die Grafiken konnten nicht erstellt werden.")
        if time.monotonic() > deadline:
            raise TrackingError(
                f"Chromium hat nicht innert {fmt.number(timeout)} Sekunden geantwortet: "
                "die Grafiken konnten nicht erstellt werden."
            )
    error = outcome.get("error")
    if error is not None:
        raise TrackingError(f"Die Grafiken konnten nicht erstellt werden ({error.__class__.__name__}: {error}).")


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


def _render(figures: dict[str, tuple[go.Figure, tuple[int, int]]], timeout: float) -> ChartImages:
    browser = find_browser()
    if browser is None:
        raise TrackingError(
            "Für Grafiken wird Chromium benötigt, es wurde aber nicht gefunden. Bitte das Debian-Paket "
            "«chromium» installieren oder BROWSER_PATH auf den Browser setzen."
        )
    import kaleido  # late: starts nothing, but takes a moment to import

    # kaleido reloads its page after every image (about half a second here),
    # so the field trends go through it as one tall figure, cut apart after.
    trends = [name for name in figures if name.startswith("field:")]
    stacks = [trends[i : i + STACK_MAX] for i in range(0, len(trends), STACK_MAX)]
    jobs: dict[str, tuple[go.Figure, tuple[int, int]]] = {
        name: figure for name, figure in figures.items() if name not in trends
    }
    for number, names in enumerate(stacks):
        width, height = figures[names[0]][1]
        fig = _stacked([figures[name][0] for name in names], (width, height))
        jobs[f"stack:{number}"] = (fig, (width, height * len(names)))

    with tempfile.TemporaryDirectory(prefix="council-charts-") as tmp:
        # One tab: on two cores a second one slows the start more than it speeds the rendering.
        kaleido.start_sync_server(path=browser, mathjax=False, n=1, timeout=IMAGE_TIMEOUT_S, silence_warnings=True)
        try:
            paths = {name: Path(tmp) / f"chart-{i}.png" for i, name in enumerate(jobs)}
            specs = [
                {
                    "fig": fig,
                    "path": paths[name],
                    "opts": {"format": "png", "width": size[0], "height": size[1], "scale": CHART_SCALE},
                }
                for name, (fig, size) in jobs.items()
            ]
            server = getattr(kaleido, "_global_server", None)
            thread = getattr(server, "_thread", None)
            alive = (lambda: thread.is_alive()) if thread is not None else (lambda: True)
            _wait(lambda: kaleido.write_fig_from_object_sync(specs, cancel_on_error=True), alive, timeout)
            images = {name: path.read_bytes() for name, path in paths.items()}
        finally:
            kaleido.stop_sync_server(silence_warnings=True)
    for number, names in enumerate(stacks):
        images.update(zip(names, _cut(images.pop(f"stack:{number}"), len(names)), strict=True))
    return images


# --- shared wording -----------------------------------------------------------


def _progress_text(value: float | None) -> str:
    return fmt.percent(value, missing="–")


def _lights_line(lights: dict[str, int]) -> str:
    parts = [f"{fmt.number(lights[key])} {light_text(key)}" for key in LIGHTS]
    parts.append(f"{fmt.number(lights[NO_REPORT])} {LIGHT_ICONS['keine']} {NO_REPORT}")
    return " · ".join(parts)


def _field_facts(content: CouncilContent, block: FieldBlock) -> list[tuple[str, str]]:
    """Key figures of one field as (label, value) pairs."""
    if content.previous_period is None:
        change = "keine Vorperiode"
    elif block.progress is None and block.previous_progress is None:
        change = "keine Daten"
    elif block.change is None:
        change = f"{content.previous_period}: {fmt.percent(block.previous_progress)}"
    else:
        change = f"{points(block.change)} ({content.previous_period}: {_progress_text(block.previous_progress)})"
    return [
        ("Fortschritt", fmt.percent(block.progress)),
        ("Veränderung", change),
        ("Sammelampel", block.summary_light_label),
        ("Ampeln", _lights_line(block.lights)),
        (
            "Massnahmen",
            f"{fmt.number(block.n_measures)}; hinter Plan {fmt.number(block.n_behind_plan)}; "
            f"überfällig {fmt.number(block.n_overdue)}",
        ),
    ]


def _field_notable(block: FieldBlock, *, titles: bool = True) -> list[tuple[str, list[str]]]:
    """Notable changes of one field: (heading, items); empty kinds say «keine»."""

    def name(code: str, title: str) -> str:
        return f"{code} {title}" if titles else code

    return [
        (f"Neu {light_text('rot')}", [name(r.code, r.title) for r in block.turned_red]),
        ("Abgeschlossen", [name(r.code, r.title) for r in block.completed]),
        (
            "Am meisten vorangekommen",
            [f"{name(a.code, a.title)} ({points(a.delta)})" for a in block.advanced_most],
        ),
    ]


def _headline_rows(content: CouncilContent) -> list[tuple[str, str, str]]:
    """(label, this period, previous period) for the key figures table."""
    h, p = content.headline, content.previous_headline

    def both(render: Callable[[dict], str]) -> tuple[str, str]:
        return render(h), (render(p) if p is not None else "–")

    return [
        ("Massnahmen", *both(lambda x: fmt.number(x["measures"]))),
        ("davon meldepflichtig", *both(lambda x: fmt.number(x["active"]))),
        ("Meldungen eingegangen", *both(lambda x: fmt.number(x["reported"]))),
        ("Rücklauf", *both(lambda x: fmt.share(x["completeness"]))),
        ("Gesamtfortschritt", *both(lambda x: fmt.percent(x["overall_progress"]))),
        ("Auf Kurs (● grün)", *both(lambda x: fmt.share(x["on_track_share"]))),
        (light_text("gruen"), *both(lambda x: fmt.number(x["green"]))),
        (light_text("gelb"), *both(lambda x: fmt.number(x["yellow"]))),
        (light_text("rot"), *both(lambda x: fmt.number(x["red"]))),
        ("Hinter Plan", *both(lambda x: fmt.number(x["behind_plan"]))),
        ("Überfällig", *both(lambda x: fmt.number(x["overdue"]))),
        ("Abgeschlossen (insgesamt)", *both(lambda x: fmt.number(x["completed"]))),
    ]


NO_ATTENTION = "Keine Massnahme ist rot, hinter Plan oder überfällig."
ATTENTION_TITLE = "Was ist gefährdet?"
NO_DECISION = "Aus den Daten ergibt sich kein Entscheidungsbedarf."
DECISION_NOTE = "Vorschläge, abgeleitet aus den Meldungen; entscheiden wird der Regierungsrat."
TABLE_NOTE = "Ist: gemeldeter Fortschritt · Soll: erwarteter Fortschritt am Stichtag · Ende: geplantes Ende"
ATTENTION_NOTE = (
    "Rot, hinter Plan, überfällig oder mit Plausibilitätshinweis. "
    "Ist: gemeldeter Fortschritt · Soll: erwartet am Stichtag"
)


# --- PowerPoint -----------------------------------------------------------------

SLIDE_W, SLIDE_H = Emu(12192000), Emu(6858000)  # 13.33 x 7.5 in: exactly 16:9
MARGIN = Inches(0.5)
CONTENT_W = Emu(SLIDE_W - 2 * MARGIN)
BODY_TOP = Inches(1.3)
BODY_BOTTOM = Inches(6.8)
FOOTER_TOP = Inches(6.92)
FONT = "Arial"
MIN_PT = 14
TABLE_PT = 14
TITLE_PT = 28
GREY = RGBColor(0x55, 0x55, 0x55)
TEXT = RGBColor(0x1A, 0x1A, 0x1A)
HEADER_FILL = RGBColor(0x1F, 0x3A, 0x5F)
CELL_MARGIN_X = Inches(0.06)
CELL_MARGIN_Y = Inches(0.05)  # python-pptx's default, left as it is
NBSP = "\u00a0"
LINE = 1.2  # line height as a multiple of the font size
ROW_SLACK = Pt(2)  # per table row, on top of the estimated text height


def _text_width_pt(text: str, size: float) -> float:
    # Arial and Helvetica share their widths; reportlab knows Helvetica's.
    safe = "".join(ch if ord(ch) < 256 else "M" for ch in text)
    return pdfmetrics.stringWidth(safe, "Helvetica", size)


def _line_count(text: str, width_pt: float, size: float) -> int:
    """Lines a text takes when wrapped at words into width_pt (a careful estimate)."""
    width_pt *= 0.97  # renderers differ a little; rather one line too many
    total = 0
    for paragraph in text.split("\n"):
        lines, current = 1, 0.0
        space = _text_width_pt(" ", size)
        for word in filter(None, _clean(paragraph).split(" ")):
            w = _text_width_pt(word, size)
            if current == 0:
                current = w
            elif current + space + w <= width_pt:
                current += space + w
            else:
                lines += 1
                current = w
            while current > width_pt:  # a word longer than the line breaks anywhere
                lines += 1
                current -= width_pt
        total += lines
    return total


def _height_emu(lines: int, size: float) -> int:
    return int(Pt(lines * size * LINE))


class _Deck:
    """A 16:9 presentation with a title and a footer on every content slide."""

    def __init__(self, content: CouncilContent):
        self.content = content
        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = SLIDE_W, SLIDE_H
        self.layout = self.prs.slide_layouts[5]  # «Title Only»: a real title placeholder
        self.footers = []

    def slide(self, title: str):
        slide = self.prs.slides.add_slide(self.layout)
        shape = slide.shapes.title
        shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(0.3), CONTENT_W, Inches(0.9)
        tf = shape.text_frame
        tf.word_wrap = True
        tf.vertical_anchor = MSO_ANCHOR.MIDDLE
        para = tf.paragraphs[0]
        para.alignment = PP_ALIGN.LEFT
        _run(para, title, TITLE_PT, bold=True)
        box = slide.shapes.add_textbox(MARGIN, FOOTER_TOP, CONTENT_W, Inches(0.4))
        self.footers.append(box.text_frame)
        return slide

    def finish(self) -> bytes:
        total = len(self.footers)
        for number, tf in enumerate(self.footers, start=1):
            para = tf.paragraphs[0]
            _run(para, f"{self.content.footer} · Folie {number + 1} von {total + 1}", MIN_PT, colour=GREY)
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def _run(para, text: str, size: float, *, bold: bool = False, colour: RGBColor | None = None):
    run = para.add_run()
    run.text = _clean(text)
    run.font.size = Pt(size)
    run.font.name = FONT
    # Only what differs from the defaults: every property is XML work, per table cell.
    if bold:
        run.font.bold = True
    if colour is not None:
        run.font.color.rgb = colour
    return run


def _xml_safe(text: str) -> str:
    # XML 1.0 forbids most control characters; a pasted comment may hold one.
    return "".join(ch for ch in str(text) if ch in "\t\n" or ord(ch) >= 32)


def _clean(text: str) -> str:
    """Text for slides and pages: XML-safe, and «45 %» never broken between number and sign."""
    return _xml_safe(text).replace(" %", NBSP + "%")


def _textbox(slide, left: int, top: int, width: int, height: int):
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = 0
    tf.margin_top = tf.margin_bottom = 0
    return tf


def _light_runs(
    para, label: str, light: str | None, size: float, bold: bool = False, text_colour: RGBColor | None = None
) -> None:
    """«■ rot»: the icon in the light's colour, the word in text colour."""
    icon, _, word = label.partition(" ")
    colour = RGBColor.from_string(LIGHT_COLOURS.get(light or "keine", LIGHT_COLOURS["keine"]).lstrip("#"))
    _run(para, icon + " ", size, bold=bold, colour=colour)
    _run(para, word, size, bold=bold, colour=text_colour)


Paragraphs = list[tuple[str, float, bool]]  # (text, size, bold)


def _block_height(paragraphs: Paragraphs, width: int, gap_pt: float) -> int:
    return sum(_height_emu(_line_count(t, Emu(width).pt, s), s) + int(Pt(gap_pt)) for t, s, _ in paragraphs)


def _flow_slides(deck: _Deck, title: str, blocks: list[Paragraphs], *, first_top: int = BODY_TOP, slide=None):
    """Paragraph blocks over as many slides as needed; a block is never split."""
    gap = 8
    top, bottom = first_top, BODY_BOTTOM
    slide = slide or deck.slide(title)
    pending: list[Paragraphs] = []

    def place(target, start: int, items: list[Paragraphs]) -> None:
        tf = _textbox(target, MARGIN, start, CONTENT_W, bottom - start)
        first = True
        for block in items:
            for text, size, bold in block:
                para = tf.paragraphs[0] if first else tf.add_paragraph()
                first = False
                para.space_after = Pt(gap)
                _run(para, text, size, bold=bold)

    used = 0
    for block in blocks:
        height = _block_height(block, CONTENT_W, gap)
        if pending and top + used + height > bottom:
            place(slide, top, pending)
            slide = deck.slide(f"{title} (Fortsetzung)")
            top, used, pending = BODY_TOP, 0, []
        pending.append(block)
        used += height
    if pending:
        place(slide, top, pending)


CELL_MAX_LINES = 8  # a table row on a slide: at most this many lines per cell
CUT_NOTE = "Mit «…» gekürzte Texte stehen vollständig in der Excel-Datei des Sitzungsberichts."


def _fit(text: str, width_pt: float, size: float, max_lines: int) -> str:
    """The text, or its longest beginning that fits into max_lines followed by «…»."""
    if _line_count(text, width_pt, size) <= max_lines:
        return text
    low, high = 0, len(text)  # the beginning of length low fits, of length high does not
    while high - low > 1:
        middle = (low + high) // 2
        if _line_count(text[:middle].rstrip() + " …", width_pt, size) <= max_lines:
            low = middle
        else:
            high = middle
    return text[:low].rstrip() + " …"


def _table_slides(
    deck: _Deck,
    title: str,
    header: list[str],
    rows: list[list[str]],
    widths_in: list[float],
    *,
    lights: dict[int, list[str | None]] | None = None,
    right: frozenset[int] = frozenset(),
    note: str | None = None,
    empty: str = "Keine Einträge.",
) -> None:
    """A table at TABLE_PT over as many slides as it needs, header repeated.

    A cell longer than CELL_MAX_LINES is cut with «…» (a comment of 2'000
    characters would not fit on a slide); the note then says where the whole
    text is.
    """
    widths = [Inches(w) for w in widths_in]
    lights = lights or {}

    def cell_width_pt(w: int) -> float:
        return Emu(w - 2 * CELL_MARGIN_X).pt

    fitted = [[_fit(text, cell_width_pt(w), TABLE_PT, CELL_MAX_LINES) for text, w in zip(r, widths)] for r in rows]
    if fitted != rows:
        note = f"{note} · {CUT_NOTE}" if note else CUT_NOTE
        rows = fitted

    def row_height(cells: list[str]) -> int:
        lines = max(_line_count(text, cell_width_pt(w), TABLE_PT) for text, w in zip(cells, widths, strict=True))
        return _height_emu(lines, TABLE_PT) + 2 * CELL_MARGIN_Y + int(ROW_SLACK)

    top = BODY_TOP
    if note:
        top += _height_emu(_line_count(note, CONTENT_W.pt, MIN_PT), MIN_PT) + int(Inches(0.1))
    if not rows:
        slide = deck.slide(title)
        tf = _textbox(slide, MARGIN, BODY_TOP, CONTENT_W, Inches(1))
        _run(tf.paragraphs[0], empty, 18)
        return

    header_h = row_height(header)
    pages: list[list[int]] = [[]]
    used = header_h
    for i, cells in enumerate(rows):
        h = row_height(cells)
        if pages[-1] and top + used + h > BODY_BOTTOM:
            pages.append([])
            used = header_h
        pages[-1].append(i)
        used += h

    for number, indices in enumerate(pages):
        slide = deck.slide(title if number == 0 else f"{title} (Fortsetzung)")
        if note:
            tf = _textbox(slide, MARGIN, BODY_TOP, CONTENT_W, top - BODY_TOP)
            _run(tf.paragraphs[0], note, MIN_PT, colour=GREY)
        shape = slide.shapes.add_table(len(indices) + 1, len(header), MARGIN, top, sum(widths), Inches(1))
        table = shape.table
        for c, w in enumerate(widths):
            table.columns[c].width = w
        for r, cells in enumerate([header, *(rows[i] for i in indices)]):
            table.rows[r].height = row_height(cells)
            for c, text in enumerate(cells):
                cell = table.cell(r, c)
                cell.margin_left = cell.margin_right = CELL_MARGIN_X
                para = cell.text_frame.paragraphs[0]
                if c in right:
                    para.alignment = PP_ALIGN.RIGHT
                if r == 0:
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = HEADER_FILL
                    _run(para, text, TABLE_PT, bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF))
                elif c in lights:
                    _light_runs(para, text, lights[c][indices[r - 1]], TABLE_PT)
                else:
                    _run(para, text, TABLE_PT)


def _title_slide(deck: _Deck) -> None:
    c = deck.content
    slide = deck.prs.slides.add_slide(deck.layout)
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(1.9), CONTENT_W, Inches(1.4)
    tf = shape.text_frame
    tf.word_wrap = True
    _run(tf.paragraphs[0], c.strategy, 40, bold=True)
    box = _textbox(slide, MARGIN, Inches(3.5), CONTENT_W, Inches(2.5))
    lines = [
        (f"{c.issuer} · Bericht an den Regierungsrat", 24, False),
        (f"Berichtsperiode {c.period} ({fmt.date(c.period_start)} – {fmt.date(c.period_end)})", 24, True),
        (f"Stand {fmt.date(c.as_of)} · erstellt am {fmt.date(c.created)}", 18, False),
    ]
    for i, (text, size, bold) in enumerate(lines):
        para = box.paragraphs[0] if i == 0 else box.add_paragraph()
        para.space_after = Pt(10)
        _run(para, text, size, bold=bold, colour=None if bold else GREY)


def _tiles(deck: _Deck, slide) -> int:
    """Key figures as tiles across the slide; returns where the tiles end."""
    c = deck.content
    h, p = c.headline, c.previous_headline
    prev = c.previous_period
    if h["overall_progress"] is None:
        progress_note = "keine Daten"
    elif p is None:
        progress_note = "erste Berichtsperiode"
    else:
        progress_note = f"{prev}: {fmt.percent(p['overall_progress'], missing='–')}"
    tiles = [
        ("Gesamtfortschritt", _progress_text(h["overall_progress"]), progress_note, None),
        (
            "Rücklauf",
            fmt.share(h["completeness"]),
            f"{fmt.number(h['reported'])} von {fmt.number(h['active'])} Meldungen",
            None,
        ),
        (light_text("gruen"), fmt.number(h["green"]), "auf Kurs", "gruen"),
        (light_text("gelb"), fmt.number(h["yellow"]), "Risiken", "gelb"),
        (light_text("rot"), fmt.number(h["red"]), "gefährdet", "rot"),
        ("Überfällig", fmt.number(h["overdue"]), f"hinter Plan: {fmt.number(h['behind_plan'])}", None),
    ]
    gap = Inches(0.15)
    width = int((CONTENT_W - gap * (len(tiles) - 1)) / len(tiles))
    height = Inches(1.25)
    for i, (label, value, note, light) in enumerate(tiles):
        left = MARGIN + i * (width + gap)
        shape = slide.shapes.add_shape(1, left, BODY_TOP, width, height)  # 1: rectangle
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor(0xEE, 0xF2, 0xF7)
        shape.line.color.rgb = RGBColor(0xC8, 0xD2, 0xDE)
        tf = shape.text_frame
        tf.word_wrap = True
        tf.margin_left = tf.margin_right = Inches(0.08)
        tf.vertical_anchor = MSO_ANCHOR.TOP
        for j, (text, size, bold) in enumerate([(label, MIN_PT, True), (value, 30, True), (note, MIN_PT, False)]):
            para = tf.paragraphs[0] if j == 0 else tf.add_paragraph()
            para.alignment = PP_ALIGN.LEFT
            # Explicit text colour: a shape would paint its text white.
            if j == 0 and light:
                _light_runs(para, text, light, size, bold=True, text_colour=TEXT)
            else:
                _run(para, text, size, bold=bold, colour=GREY if j == 2 else TEXT)
    return BODY_TOP + height + Inches(0.2)


def _matrix_slide(deck: _Deck, images: ChartImages) -> None:
    c = deck.content
    slide = deck.slide("Aktionsfelder × Kernziele")
    image_w = Inches(8.6)
    image_h = int(image_w * MATRIX_PX[1] / MATRIX_PX[0])
    slide.shapes.add_picture(io.BytesIO(images["matrix"]), MARGIN, BODY_TOP, image_w, image_h)
    tf = _textbox(
        slide, MARGIN + image_w + Inches(0.3), BODY_TOP, CONTENT_W - image_w - Inches(0.3), BODY_BOTTOM - BODY_TOP
    )
    para = tf.paragraphs[0]
    _run(para, "Zelle: Beitrag der Ziele und ihr Fortschritt; Farbe: Fortschritt; – kein Beitrag.", MIN_PT, colour=GREY)
    para.space_after = Pt(8)
    for code, name in c.core_goals:
        para = tf.add_paragraph()
        _run(para, f"{code} ", MIN_PT, bold=True)
        _run(para, f"{name}: {fmt.percent(c.core_progress.get(code))}", MIN_PT)
        para.space_after = Pt(6)


def _field_slide(deck: _Deck, block: FieldBlock, images: ChartImages) -> None:
    slide = deck.slide(f"{block.code} {block.name}")
    image_w = Inches(7.3)
    image_h = int(image_w * TREND_PX[1] / TREND_PX[0])
    slide.shapes.add_picture(io.BytesIO(images[f"field:{block.code}"]), MARGIN, BODY_TOP, image_w, image_h)
    left = MARGIN + image_w + Inches(0.3)
    width = SLIDE_W - MARGIN - left
    height = BODY_BOTTOM - BODY_TOP

    def paragraphs(titles: bool) -> Paragraphs:
        out: Paragraphs = [("Fortschritt " + fmt.percent(block.progress), 22, True)]
        # «Fortschritt» is the line above; the other facts follow.
        out += [(f"{label}: {value}", 16, False) for label, value in _field_facts(deck.content, block)[1:]]
        for heading, items in _field_notable(block, titles=titles):
            out.append((heading, 16, True))
            out.extend((f"– {item}", MIN_PT, False) for item in items or ["keine"])
        return out

    chosen = paragraphs(True)
    if _block_height(chosen, width, 4) > height:  # too long with titles: name the measures by code only
        chosen = paragraphs(False)
    tf = _textbox(slide, left, BODY_TOP, width, height)
    for i, (text, size, bold) in enumerate(chosen):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.space_after = Pt(4)
        if text.startswith("Sammelampel: "):
            _run(para, "Sammelampel: ", size)
            _light_runs(para, block.summary_light_label, block.summary_light, size, bold=True)
        else:
            _run(para, text, size, bold=bold)


def _attention_table(content: CouncilContent) -> tuple[list[str], list[list[str]], list[str | None]]:
    header = ["Code", "Massnahme", "Dep.", "Ampel", "Ist", "Soll", "Ende", "Warum", "Begründung"]
    rows = [
        [
            a.code,
            a.title,
            a.department,
            a.light_label,
            _progress_text(a.progress),
            _progress_text(a.expected),
            fmt.date(a.planned_end),
            a.why,
            a.reason or "–",
        ]
        for a in content.attention
    ]
    return header, rows, [a.light for a in content.attention]


def _measure_table(content: CouncilContent) -> tuple[list[str], list[list[str]], list[str | None]]:
    header = ["Code", "Massnahme", "Feld", "Dep.", "Status", "Ampel", "Ist", "Soll", "Ende"]
    rows = [
        [
            m.code,
            m.title,
            m.field_code,
            m.department,
            m.status_label,
            m.light_label,
            _progress_text(m.progress),
            _progress_text(m.expected),
            fmt.date(m.planned_end),
        ]
        for m in content.measures
    ]
    return header, rows, [m.light for m in content.measures]


def _decision_blocks(content: CouncilContent) -> list[Paragraphs]:
    if not content.decisions:
        return [[(NO_DECISION, 20, False)]]
    blocks: list[Paragraphs] = []
    for d in content.decisions:
        block: Paragraphs = [(d.topic, 20, True), (d.question, 18, False)]
        if d.codes:
            block.append((", ".join(d.codes), 16, False))
        blocks.append(block)
    blocks.append([(DECISION_NOTE, MIN_PT, False)])
    return blocks


def to_pptx(content: CouncilContent, *, images: ChartImages | None = None) -> bytes:
    """The meeting summary as a 16:9 PowerPoint file (images: from render_charts, else rendered here)."""
    images = images if images is not None else render_charts(content)
    deck = _Deck(content)
    _title_slide(deck)

    slide = deck.slide(f"Wo stehen wir? Zusammenfassung {content.period}")
    top = _tiles(deck, slide)
    _flow_slides(
        deck,
        f"Wo stehen wir? Zusammenfassung {content.period}",
        [[(s, 18, False)] for s in content.summary],
        first_top=top,
        slide=slide,
    )

    _matrix_slide(deck, images)
    for block in content.fields:
        _field_slide(deck, block, images)

    header, rows, lights = _attention_table(content)
    _table_slides(
        deck,
        ATTENTION_TITLE,
        header,
        rows,
        [0.95, 2.6, 0.8, 1.7, 0.72, 0.72, 1.15, 1.5, 2.19],
        lights={3: lights},
        right=frozenset({4, 5}),
        note=ATTENTION_NOTE,
        empty=NO_ATTENTION,
    )
    _flow_slides(deck, "Was braucht einen Entscheid?", _decision_blocks(content))

    header, rows, lights = _measure_table(content)
    _table_slides(
        deck,
        f"Anhang: alle Massnahmen ({fmt.number(len(rows))})",
        header,
        rows,
        [0.95, 3.49, 0.6, 0.8, 2.2, 1.7, 0.72, 0.72, 1.15],
        lights={5: lights},
        right=frozenset({6, 7}),
        note=TABLE_NOTE,
        empty="Keine Massnahmen erfasst.",
    )
    _table_slides(
        deck,
        "Anhang: Rücklauf nach Departement",
        ["Departement", "meldepflichtig", "eingegangen", "fehlen", "Rücklauf"],
        [
            [r.department, fmt.number(r.active), fmt.number(r.reported), fmt.number(r.missing), fmt.share(r.share)]
            for r in content.completeness
        ],
        [3.0, 2.3, 2.3, 2.3, 2.3],
        right=frozenset({1, 2, 3, 4}),
        empty="Keine meldepflichtigen Massnahmen.",
    )
    return deck.finish()


# --- PDF ------------------------------------------------------------------------

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
PDF_FONT, PDF_BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_W, PAGE_H = A4
PDF_MARGIN = 18 * mm
PDF_WIDTH = PAGE_W - 2 * PDF_MARGIN
_fonts_lock = threading.Lock()
# Binary streams: ASCII85 (reportlab's default) runs in pure Python here and
# triples the time to write the chart images.
rl_config.useA85 = 0


def _register_fonts() -> None:
    """DejaVu Sans has every glyph the report uses (umlauts, «», ●▲■○, ×)."""
    with _fonts_lock:
        if PDF_FONT in pdfmetrics.getRegisteredFontNames():
            return
        for folder in FONT_DIRS:
            regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
            if regular.is_file() and bold.is_file():
                pdfmetrics.registerFont(TTFont(PDF_FONT, str(regular)))
                pdfmetrics.registerFont(TTFont(PDF_BOLD, str(bold)))
                pdfmetrics.registerFontFamily(PDF_FONT, normal=PDF_FONT, bold=PDF_BOLD)
                return
    raise TrackingError(
        "Für das PDF fehlt die Schrift DejaVu Sans (DejaVuSans.ttf und DejaVuSans-Bold.ttf unter "
        f"{FONT_DIRS[0]}). Bitte das Debian-Paket «fonts-dejavu-core» installieren."
    )


def _styles() -> dict[str, ParagraphStyle]:
    grey = colors.HexColor("#555555")
    base = ParagraphStyle("body", fontName=PDF_FONT, fontSize=10, leading=13.5, spaceAfter=4)
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0)

    def style(name: str, parent: ParagraphStyle = base, **kwargs) -> ParagraphStyle:
        return ParagraphStyle(name, parent=parent, **kwargs)

    return {
        "title": style("title", fontName=PDF_BOLD, fontSize=22, leading=27, spaceAfter=6),
        "subtitle": style("subtitle", fontSize=12.5, leading=17, textColor=grey),
        "h1": style("h1", fontName=PDF_BOLD, fontSize=15, leading=19, spaceBefore=4, spaceAfter=8),
        "h2": style("h2", fontName=PDF_BOLD, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4),
        "body": base,
        "bullet": style("bullet", leftIndent=12, bulletIndent=0, spaceAfter=5),
        "note": style("note", fontSize=8.5, leading=11, textColor=grey),
        "cell": cell,
        "cell_head": style("cell_head", cell, fontName=PDF_BOLD, textColor=colors.white),
        "cell_right": style("cell_right", cell, alignment=TA_RIGHT),
        "fact": style("fact", spaceAfter=0),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(_clean(text)), style)


def _light_p(label: str, light: str | None, style: ParagraphStyle) -> Paragraph:
    icon, _, word = label.partition(" ")
    colour = LIGHT_COLOURS.get(light or "keine", LIGHT_COLOURS["keine"])
    return Paragraph(f'<font color="{colour}">{escape(icon)}</font> {escape(word)}', style)


def _pdf_table(
    styles: dict[str, ParagraphStyle],
    header: list[str],
    rows: list[list[str]],
    widths_mm: list[float],
    *,
    lights: dict[int, list[str | None]] | None = None,
    right: frozenset[int] = frozenset(),
) -> LongTable:
    lights = lights or {}
    data = [[_p(h, styles["cell_head"]) for h in header]]
    for i, cells in enumerate(rows):
        line = []
        for c, text in enumerate(cells):
            if c in lights:
                line.append(_light_p(text, lights[c][i], styles["cell"]))
            else:
                line.append(_p(text, styles["cell_right" if c in right else "cell"]))
        data.append(line)
    # splitInRow: a row taller than a page (a comment of 2'000 characters) continues on the next.
    table = LongTable(data, colWidths=[w * mm for w in widths_mm], repeatRows=1, splitInRow=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1F3A5F")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#EEF2F7")]),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#C8D2DE")),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


def _image(png: bytes, width: float) -> Image:
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as im:
        w, h = im.size
    return Image(io.BytesIO(png), width=width, height=width * h / w)


def _numbered_canvas(footer: str):
    """A canvas that knows the page count when it writes each footer (two passes)."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self.setFont(PDF_FONT, 8.5)
                self.setFillColor(colors.HexColor("#555555"))
                self.drawString(PDF_MARGIN, 10 * mm, footer)
                self.drawRightString(PAGE_W - PDF_MARGIN, 10 * mm, f"Seite {self._pageNumber} von {total}")
                super().showPage()
            super().save()

    return NumberedCanvas


def to_pdf(content: CouncilContent, *, images: ChartImages | None = None) -> bytes:
    """The meeting summary as an A4 portrait PDF (images: from render_charts, else rendered here)."""
    _register_fonts()
    images = images if images is not None else render_charts(content)
    s = _styles()
    c = content
    story: list = [
        _p(c.strategy, s["title"]),
        _p(f"{c.issuer} · Bericht an den Regierungsrat", s["subtitle"]),
        _p(f"Berichtsperiode {c.period} ({fmt.date(c.period_start)} – {fmt.date(c.period_end)})", s["subtitle"]),
        _p(f"Stand {fmt.date(c.as_of)} · erstellt am {fmt.date(c.created)}", s["subtitle"]),
        Spacer(1, 8 * mm),
        _p("Wo stehen wir? Zusammenfassung", s["h1"]),
    ]
    story += [Paragraph(escape(_clean(sentence)), s["bullet"], bulletText="•") for sentence in c.summary]
    story.append(_p("Kopfzahlen", s["h2"]))
    story.append(
        _pdf_table(
            s,
            ["Kennzahl", c.period, c.previous_period or "Vorperiode"],
            [list(r) for r in _headline_rows(c)],
            [80, 47, 47],
            right=frozenset({1, 2}),
        )
    )

    story += [PageBreak(), _p("Aktionsfelder × Kernziele", s["h1"]), _image(images["matrix"], PDF_WIDTH)]
    story.append(_p("Zelle: Beitrag der Ziele und ihr Fortschritt; Farbe: Fortschritt; – kein Beitrag.", s["note"]))
    cores = [code for code, _ in c.core_goals]
    cells = {(m.field_code, m.core_code): m for m in c.matrix}
    matrix_rows = []
    for block in c.fields:
        row = [f"{block.code} {block.name}", fmt.percent(block.progress, missing="–")]
        for core in cores:
            cell = cells.get((block.code, core))
            row.append(
                "–" if cell is None or cell.n_goals == 0 else f"{cell.strength_label} {fmt.percent(cell.progress)}"
            )
        matrix_rows.append(row)
    matrix_rows.append(["Kernziel", "", *(_progress_text(c.core_progress.get(k)) for k in cores)])
    core_w = (PDF_WIDTH / mm - 48 - 22) / max(len(cores), 1)
    story.append(_pdf_table(s, ["Aktionsfeld", "Fortschritt", *cores], matrix_rows, [48, 22, *[core_w] * len(cores)]))
    story.append(Spacer(1, 3 * mm))
    story += [_p(f"{code}: {name}", s["note"]) for code, name in c.core_goals]

    story += [PageBreak(), _p(ATTENTION_TITLE, s["h1"])]
    if c.attention:
        story.append(_p(ATTENTION_NOTE, s["note"]))
        story.append(
            _pdf_table(
                s,
                ["Massnahme", "Dep.", "Ampel", "Ist / Soll", "Ende", "Warum", "Begründung"],
                [
                    [
                        f"{a.code} {a.title}",
                        a.department,
                        a.light_label,
                        f"{_progress_text(a.progress)} / {_progress_text(a.expected)}",
                        fmt.date(a.planned_end),
                        a.why,
                        a.reason or "–",
                    ]
                    for a in c.attention
                ],
                [37, 12, 20, 25, 21, 22, 37],
                lights={2: [a.light for a in c.attention]},
            )
        )
    else:
        story.append(_p(NO_ATTENTION, s["body"]))

    decision = [_p("Was braucht einen Entscheid?", s["h1"])]
    if c.decisions:
        for d in c.decisions:
            text = f"<b>{escape(d.topic)}</b>: {escape(d.question)}"
            if d.codes:
                text += f"<br/>{escape(', '.join(d.codes))}"
            decision.append(Paragraph(text, s["bullet"], bulletText="•"))
        decision.append(_p(DECISION_NOTE, s["note"]))
    else:
        decision.append(_p(NO_DECISION, s["body"]))
    story += [Spacer(1, 6 * mm), KeepTogether(decision)]

    for block in c.fields:
        story += [PageBreak(), _p(f"{block.code} {block.name}", s["h1"])]
        story.append(_image(images[f"field:{block.code}"], PDF_WIDTH * 0.85))
        facts = [
            [
                Paragraph(f"<b>{escape(label)}</b>", s["fact"]),
                _light_p(value, block.summary_light, s["fact"]) if label == "Sammelampel" else _p(value, s["fact"]),
            ]
            for label, value in _field_facts(c, block)
        ]
        table = Table(facts, colWidths=[40 * mm, PDF_WIDTH - 40 * mm], splitInRow=1)
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#C8D2DE")),
                ]
            )
        )
        story += [Spacer(1, 3 * mm), table, _p("Bemerkenswerte Veränderungen", s["h2"])]
        for heading, items in _field_notable(block):
            text = f"<b>{escape(heading)}</b>: " + (escape("; ".join(items)) if items else "keine")
            story.append(Paragraph(text, s["bullet"], bulletText="•"))

    header, rows, lights = _measure_table(c)
    story += [PageBreak(), _p(f"Anhang: alle Massnahmen ({fmt.number(len(rows))})", s["h1"])]
    story.append(_p(TABLE_NOTE, s["note"]))
    if rows:
        story.append(_pdf_table(s, header, rows, [16, 46, 10, 12, 25, 21, 12, 12, 20], lights={5: lights}))
    else:
        story.append(_p("Keine Massnahmen erfasst.", s["body"]))
    story += [Spacer(1, 6 * mm), _p("Anhang: Rücklauf nach Departement", s["h2"])]
    story.append(
        _pdf_table(
            s,
            ["Departement", "meldepflichtig", "eingegangen", "fehlen", "Rücklauf"],
            [
                [r.department, fmt.number(r.active), fmt.number(r.reported), fmt.number(r.missing), fmt.share(r.share)]
                for r in c.completeness
            ]
            or [["–", "0", "0", "0", "–"]],
            [54, 30, 30, 30, 30],
            right=frozenset({1, 2, 3, 4}),
        )
    )

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=PDF_MARGIN,
        rightMargin=PDF_MARGIN,
        topMargin=PDF_MARGIN,
        bottomMargin=20 * mm,
        title=f"{c.strategy} – Berichtsperiode {c.period}",
        author=c.issuer,
        subject="Bericht an den Regierungsrat",
    )
    doc.build(story, canvasmaker=_numbered_canvas(c.footer))
    return out.getvalue()


# --- Excel ----------------------------------------------------------------------

PERCENT_FORMAT = '0" %"'
SHARE_FORMAT = "0%"
DATE_FORMAT = "DD.MM.YYYY"


def _put(ws, row: int, col: int, value, number_format: str | None = None):
    """Write one cell; text that looks like a formula stays text, control characters are kept escaped."""
    return put_cell(ws, row, col, value, number_format)


def _sheet(wb, title: str, header: list[str], rows: list[list], formats: dict[int, str] | None = None, widths=None):
    ws = wb.create_sheet(title)
    formats = formats or {}
    for c, text in enumerate(header, start=1):
        cell = _put(ws, 1, c, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = _put(ws, r, c, value, formats.get(c - 1))
            cell.alignment = Alignment(wrap_text=isinstance(value, str) and len(value) > 30, vertical="top")
    for c, text in enumerate(header, start=1):
        longest = max([len(str(text)), *(len(str(v[c - 1])) for v in rows if v[c - 1] is not None)])
        width = widths[c - 1] if widths else min(max(10, longest + 2), 60)
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{len(rows) + 1}"
    return ws


def _round(value: float | None, digits: int = 0) -> float | None:
    """A figure as the other surfaces show it (fmt.percent: whole percent, ties to even like
    Python's round); rounded once to one decimal first, Excel showed 78.47 as «79 %»."""
    return None if value is None else round(value, digits)


def to_xlsx(content: CouncilContent) -> bytes:
    """The summary tables, one sheet each: key figures, attention, matrix, fields, all measures."""
    c = content
    h, p = c.headline, c.previous_headline or {}
    wb = openpyxl.Workbook()
    wb.remove(wb.active)

    keys = [
        ("Massnahmen", "measures", None),
        ("davon meldepflichtig", "active", None),
        ("Meldungen eingegangen", "reported", None),
        ("Rücklauf", "completeness", SHARE_FORMAT),
        ("Gesamtfortschritt (%)", "overall_progress", PERCENT_FORMAT),
        ("Auf Kurs (● grün)", "on_track_share", SHARE_FORMAT),
        (light_text("gruen"), "green", None),
        (light_text("gelb"), "yellow", None),
        (light_text("rot"), "red", None),
        ("Hinter Plan", "behind_plan", None),
        ("Überfällig", "overdue", None),
        ("Abgeschlossen (insgesamt)", "completed", None),
    ]
    ws = _sheet(
        wb,
        "Kopfzahlen",
        ["Kennzahl", c.period, c.previous_period or "Vorperiode"],
        [[label, _round(h.get(key), 3), _round(p.get(key), 3)] for label, key, _ in keys],
        widths=[34, 14, 14],
    )
    for r, (_, _, number_format) in enumerate(keys, start=2):
        for col in (2, 3):
            if number_format:
                ws.cell(row=r, column=col).number_format = number_format
    row = len(keys) + 3
    _put(ws, row, 1, f"Zusammenfassung ({c.footer})").font = Font(bold=True)
    for offset, sentence in enumerate(c.summary, start=1):
        _put(ws, row + offset, 1, sentence)

    _sheet(
        wb,
        "Handlungsbedarf",
        [
            "Code",
            "Massnahme",
            "Aktionsfeld",
            "Departement",
            "Ampel",
            "Fortschritt (%)",
            "Soll (%)",
            "Geplantes Ende",
            "Warum",
            "Begründung",
        ],
        [
            [
                a.code,
                a.title,
                a.field_code,
                a.department,
                a.light_label,
                _round(a.progress),
                _round(a.expected),
                a.planned_end,
                a.why,
                a.reason,
            ]
            for a in c.attention
        ],
        formats={5: PERCENT_FORMAT, 6: PERCENT_FORMAT, 7: DATE_FORMAT},
    )

    cores = [code for code, _ in c.core_goals]
    cells = {(m.field_code, m.core_code): m for m in c.matrix}
    matrix_rows = []
    for block in c.fields:
        row_values = [block.code, block.name, _round(block.progress)]
        for core in cores:
            cell = cells.get((block.code, core))
            row_values += [cell.strength_label if cell else "kein Beitrag", _round(cell.progress) if cell else None]
        matrix_rows.append(row_values)
    matrix_rows.append(["Kernziel", "", None, *[v for k in cores for v in ("", _round(c.core_progress.get(k)))]])
    core_header = [x for k in cores for x in (f"{k} Beitrag", f"{k} Fortschritt (%)")]
    _sheet(
        wb,
        "Matrix",
        ["Aktionsfeld", "Name", "Fortschritt (%)", *core_header],
        matrix_rows,
        formats={2: PERCENT_FORMAT, **{3 + 2 * i + 1: PERCENT_FORMAT for i in range(len(cores))}},
    )

    _sheet(
        wb,
        "Aktionsfelder",
        [
            "Aktionsfeld",
            "Name",
            "Fortschritt (%)",
            "Vorperiode (%)",
            "Veränderung (Prozentpunkte)",
            "Massnahmen",
            "grün",
            "gelb",
            "rot",
            NO_REPORT,
            "Sammelampel",
            "hinter Plan",
            "überfällig",
            "neu rot",
            "abgeschlossen",
            "am meisten vorangekommen",
        ],
        [
            [
                b.code,
                b.name,
                _round(b.progress),
                _round(b.previous_progress),
                _round(b.change),
                b.n_measures,
                b.lights["gruen"],
                b.lights["gelb"],
                b.lights["rot"],
                b.lights[NO_REPORT],
                b.summary_light_label,
                b.n_behind_plan,
                b.n_overdue,
                ", ".join(r.code for r in b.turned_red),
                ", ".join(r.code for r in b.completed),
                ", ".join(f"{a.code} ({points(a.delta)})" for a in b.advanced_most),
            ]
            for b in c.fields
        ],
        formats={2: PERCENT_FORMAT, 3: PERCENT_FORMAT},
    )

    _sheet(
        wb,
        "Massnahmen",
        [
            "Code",
            "Massnahme",
            "Aktionsfeld",
            "Ziel",
            "Departement",
            "Status",
            "Ampel",
            "Fortschritt (%)",
            "Soll (%)",
            "Geplantes Ende",
            "hinter Plan",
            "überfällig",
            "Kommentar",
        ],
        [
            [
                m.code,
                m.title,
                m.field_code,
                m.goal_code,
                m.department,
                m.status_label,
                m.light_label,
                _round(m.progress),
                _round(m.expected),
                m.planned_end,
                "ja" if m.behind_plan else "nein",
                "ja" if m.overdue else "nein",
                m.comment,
            ]
            for m in c.measures
        ],
        formats={7: PERCENT_FORMAT, 8: PERCENT_FORMAT, 9: DATE_FORMAT},
    )
    wb.properties.title = f"{c.strategy} – Berichtsperiode {c.period}"
    wb.properties.creator = c.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def failure_message(what: str, exc: Exception) -> str:
    """What the page says when building a file failed: the library's own German message, else the kind
    of error, and that the Excel file holds the same tables."""
    if isinstance(exc, TrackingError):
        reason = " ".join(exc.messages).rstrip(".")
    else:
        reason = f"unerwarteter Fehler ({type(exc).__name__}); bitte der Fachstelle melden"
    return f"{what} konnte nicht erstellt werden: {reason}. Die Excel-Datei enthält dieselben Tabellen."


__all__ = [
    "ChartImages",
    "chart_figures",
    "clear_chart_cache",
    "failure_message",
    "find_browser",
    "render_charts",
    "to_pdf",
    "to_pptx",
    "to_xlsx",
]
