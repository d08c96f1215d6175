"""Slide layout for the meeting summary's PowerPoint (python-pptx): a 16:9 deck with title and
footer on every content slide, text measured to fit, text that flows over several slides, and
tables that continue on the next slide with their header repeated.

No text under 14 pt; a cell too long for a slide is cut with «…» (the Excel file holds the whole
text). powerpoint.py puts the report's slides together from these parts.
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt
from reportlab.pdfbase import pdfmetrics

from tracking.council_content import CouncilContent
from tracking.council_export.text import clean
from tracking.palette import LIGHT_COLOURS
from tracking.tables import light_fill, light_is_bold

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
LINE = 1.2  # line height as a multiple of the font size
ROW_SLACK = Pt(2)  # per table row, on top of the estimated text height


def _text_width_pt(text: str, size: float) -> float:
    # Arial and Helvetica share their widths; reportlab knows Helvetica's.
    safe = "".join(ch if ord(ch) < 256 else "M" for ch in text)
    return pdfmetrics.stringWidth(safe, "Helvetica", size)


def line_count(text: str, width_pt: float, size: float) -> int:
    """Lines a text takes when wrapped at words into width_pt (a careful estimate)."""
    width_pt *= 0.97  # renderers differ a little; rather one line too many
    total = 0
    for paragraph in text.split("\n"):
        lines, current = 1, 0.0
        space = _text_width_pt(" ", size)
        for word in filter(None, clean(paragraph).split(" ")):
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


def height_emu(lines: int, size: float) -> int:
    return int(Pt(lines * size * LINE))


class Deck:
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
        run(para, title, TITLE_PT, bold=True)
        box = slide.shapes.add_textbox(MARGIN, FOOTER_TOP, CONTENT_W, Inches(0.4))
        self.footers.append(box.text_frame)
        return slide

    def finish(self) -> bytes:
        total = len(self.footers)
        for number, tf in enumerate(self.footers, start=1):
            para = tf.paragraphs[0]
            run(para, f"{self.content.footer} · Folie {number + 1} von {total + 1}", MIN_PT, colour=GREY)
        out = io.BytesIO()
        self.prs.save(out)
        return out.getvalue()


def run(para, text: str, size: float, *, bold: bool = False, colour: RGBColor | None = None):
    run = para.add_run()
    run.text = clean(text)
    run.font.size = Pt(size)
    run.font.name = FONT
    # Only what differs from the defaults: every property is XML work, per table cell.
    if bold:
        run.font.bold = True
    if colour is not None:
        run.font.color.rgb = colour
    return run


def textbox(slide, left: int, top: int, width: int, height: int):
    box = slide.shapes.add_textbox(left, top, width, height)
    tf = box.text_frame
    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = 0
    tf.margin_top = tf.margin_bottom = 0
    return tf


def light_runs(
    para, label: str, light: str | None, size: float, bold: bool = False, text_colour: RGBColor | None = None
) -> None:
    """«■ rot»: the icon in the light's colour, the word in text colour."""
    icon, _, word = label.partition(" ")
    colour = RGBColor.from_string(LIGHT_COLOURS.get(light or "keine", LIGHT_COLOURS["keine"]).lstrip("#"))
    run(para, icon + " ", size, bold=bold, colour=colour)
    run(para, word, size, bold=bold, colour=text_colour)


Paragraphs = list[tuple[str, float, bool]]  # (text, size, bold)


def block_height(paragraphs: Paragraphs, width: int, gap_pt: float) -> int:
    return sum(height_emu(line_count(t, Emu(width).pt, s), s) + int(Pt(gap_pt)) for t, s, _ in paragraphs)


def flow_slides(deck: Deck, title: str, blocks: list[Paragraphs], *, first_top: int = BODY_TOP, slide=None):
    """Paragraph blocks over as many slides as needed; a block is never split."""
    gap = 8
    top, bottom = first_top, BODY_BOTTOM
    slide = slide or deck.slide(title)
    pending: list[Paragraphs] = []

    def place(target, start: int, items: list[Paragraphs]) -> None:
        tf = textbox(target, MARGIN, start, CONTENT_W, bottom - start)
        first = True
        for block in items:
            for text, size, bold in block:
                para = tf.paragraphs[0] if first else tf.add_paragraph()
                first = False
                para.space_after = Pt(gap)
                run(para, text, size, bold=bold)

    used = 0
    for block in blocks:
        height = block_height(block, CONTENT_W, gap)
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


def fit(text: str, width_pt: float, size: float, max_lines: int) -> str:
    """The text, or its longest beginning that fits into max_lines followed by «…»."""
    if line_count(text, width_pt, size) <= max_lines:
        return text
    low, high = 0, len(text)  # the beginning of length low fits, of length high does not
    while high - low > 1:
        middle = (low + high) // 2
        if line_count(text[:middle].rstrip() + " …", width_pt, size) <= max_lines:
            low = middle
        else:
            high = middle
    cut = text[:low]
    if " " in cut.strip() and low < len(text) and not text[low].isspace():
        cut = cut.rstrip().rsplit(" ", 1)[0]  # not inside a word
    return cut.rstrip(" ,;:") + " …"


def _cell_width_pt(width: int) -> float:
    return Emu(width - 2 * CELL_MARGIN_X).pt


def _row_height(cells: list[str], widths: list[int]) -> int:
    lines = max(line_count(text, _cell_width_pt(w), TABLE_PT) for text, w in zip(cells, widths, strict=True))
    return height_emu(lines, TABLE_PT) + 2 * CELL_MARGIN_Y + int(ROW_SLACK)


def _fit_rows(
    rows: list[list[str]], widths: list[int], note: str | None, max_lines: int = CELL_MAX_LINES
) -> tuple[list[list[str]], str | None]:
    """The rows with no cell over max_lines, and the note, which says so when a cell was cut."""
    fitted = [[fit(text, _cell_width_pt(w), TABLE_PT, max_lines) for text, w in zip(r, widths)] for r in rows]
    if fitted == rows:
        return rows, note
    return fitted, (f"{note} · {CUT_NOTE}" if note else CUT_NOTE)


def _paginate(header: list[str], rows: list[list[str]], widths: list[int], top: int) -> list[list[int]]:
    """The indices of the rows on each slide, each slide filled from top to BODY_BOTTOM under the header."""
    header_h = _row_height(header, widths)
    pages: list[list[int]] = [[]]
    used = header_h
    for i, cells in enumerate(rows):
        h = _row_height(cells, widths)
        if pages[-1] and top + used + h > BODY_BOTTOM:
            pages.append([])
            used = header_h
        pages[-1].append(i)
        used += h
    return pages


def _add_table(
    slide,
    top: int,
    widths: list[int],
    header: list[str],
    rows: list[list[str]],
    lights: dict[int, list[str | None]],
    right: frozenset[int],
) -> None:
    """One slide's part of a table: header in white on blue, light columns with coloured icons."""
    shape = slide.shapes.add_table(len(rows) + 1, len(header), MARGIN, top, sum(widths), Inches(1))
    table = shape.table
    for c, w in enumerate(widths):
        table.columns[c].width = w
    for r, cells in enumerate([header, *rows]):
        table.rows[r].height = _row_height(cells, widths)
        for c, text in enumerate(cells):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = CELL_MARGIN_X
            para = cell.text_frame.paragraphs[0]
            if c in right:
                para.alignment = PP_ALIGN.RIGHT
            if r == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = HEADER_FILL
                run(para, text, TABLE_PT, bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF))
            elif c in lights:
                light = lights[c][r - 1]
                fill = light_fill(light)
                if fill:  # the cell tinted as on the page: a red measure stands out
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor.from_string(fill[1:])
                light_runs(para, text, light, TABLE_PT, bold=light_is_bold(light), text_colour=TEXT)
            else:
                run(para, text, TABLE_PT)


def table_slides(
    deck: Deck,
    title: str,
    header: list[str],
    rows: list[list[str]],
    widths_in: list[float],
    *,
    lights: dict[int, list[str | None]] | None = None,
    right: frozenset[int] = frozenset(),
    note: str | None = None,
    empty: str = "Keine Einträge.",
    max_slides: int | None = None,
    max_lines: int = CELL_MAX_LINES,
) -> int:
    """A table at TABLE_PT over as many slides as it needs (at most max_slides), header repeated;
    returns how many rows it placed.

    A cell longer than CELL_MAX_LINES is cut with «…» (a comment of 2'000
    characters would not fit on a slide); the note then says where the whole
    text is.
    """
    widths = [Inches(w) for w in widths_in]
    lights = lights or {}
    rows, note = _fit_rows(rows, widths, note, max_lines)
    if not rows:
        slide = deck.slide(title)
        tf = textbox(slide, MARGIN, BODY_TOP, CONTENT_W, Inches(1))
        run(tf.paragraphs[0], empty, 18)
        return 0

    more = f"{note} · Weitere im Anhang." if note else "Weitere im Anhang."  # the last slide when cut
    top = BODY_TOP
    if note or max_slides is not None:
        longest = more if max_slides is not None else note
        top += height_emu(line_count(longest, CONTENT_W.pt, MIN_PT), MIN_PT) + int(Inches(0.1))
    every_page = _paginate(header, rows, widths, top)
    pages = every_page[:max_slides]
    for number, indices in enumerate(pages):
        slide = deck.slide(title if number == 0 else f"{title} (Fortsetzung)")
        cut_here = number == len(pages) - 1 and len(pages) < len(every_page)
        if note or cut_here:
            tf = textbox(slide, MARGIN, BODY_TOP, CONTENT_W, top - BODY_TOP)
            run(tf.paragraphs[0], more if cut_here else note, MIN_PT, colour=GREY)
        page_lights = {c: [values[i] for i in indices] for c, values in lights.items()}
        _add_table(slide, top, widths, header, [rows[i] for i in indices], page_lights, right)
    return sum(len(indices) for indices in pages)
