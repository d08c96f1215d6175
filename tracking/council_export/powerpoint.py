"""The meeting summary as a PowerPoint file (python-pptx).

Slides 16:9, no text under 14 pt; a table too long for one slide continues
on the next («(Fortsetzung)») instead of shrinking, and a cell too long for a
slide is cut with «…» (the Excel file holds the whole text).
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR, MSO_AUTO_SIZE, PP_ALIGN
from pptx.util import Emu, Inches, Pt
from reportlab.pdfbase import pdfmetrics

from tracking import formatting as fmt
from tracking.council_content import CouncilContent, FieldBlock
from tracking.council_export.chart_images import MATRIX_PX, TREND_PX, ChartImages, render_charts
from tracking.council_export.text import (
    ATTENTION_NOTE,
    ATTENTION_TITLE,
    DECISION_NOTE,
    NO_ATTENTION,
    NO_DECISION,
    TABLE_NOTE,
    clean,
    field_facts,
    field_notable,
    measure_table,
    progress_text,
)
from tracking.vocab import GREEN, LIGHT_COLOURS, RED, YELLOW, light_text

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


def _line_count(text: str, width_pt: float, size: float) -> int:
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
    run.text = clean(text)
    run.font.size = Pt(size)
    run.font.name = FONT
    # Only what differs from the defaults: every property is XML work, per table cell.
    if bold:
        run.font.bold = True
    if colour is not None:
        run.font.color.rgb = colour
    return run


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


def _cell_width_pt(width: int) -> float:
    return Emu(width - 2 * CELL_MARGIN_X).pt


def _row_height(cells: list[str], widths: list[int]) -> int:
    lines = max(_line_count(text, _cell_width_pt(w), TABLE_PT) for text, w in zip(cells, widths, strict=True))
    return _height_emu(lines, TABLE_PT) + 2 * CELL_MARGIN_Y + int(ROW_SLACK)


def _fit_rows(rows: list[list[str]], widths: list[int], note: str | None) -> tuple[list[list[str]], str | None]:
    """The rows with no cell over CELL_MAX_LINES, and the note, which says so when a cell was cut."""
    fitted = [[_fit(text, _cell_width_pt(w), TABLE_PT, CELL_MAX_LINES) for text, w in zip(r, widths)] for r in rows]
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
                _run(para, text, TABLE_PT, bold=True, colour=RGBColor(0xFF, 0xFF, 0xFF))
            elif c in lights:
                _light_runs(para, text, lights[c][r - 1], TABLE_PT)
            else:
                _run(para, text, TABLE_PT)


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
    rows, note = _fit_rows(rows, widths, note)
    if not rows:
        slide = deck.slide(title)
        tf = _textbox(slide, MARGIN, BODY_TOP, CONTENT_W, Inches(1))
        _run(tf.paragraphs[0], empty, 18)
        return

    top = BODY_TOP
    if note:
        top += _height_emu(_line_count(note, CONTENT_W.pt, MIN_PT), MIN_PT) + int(Inches(0.1))
    for number, indices in enumerate(_paginate(header, rows, widths, top)):
        slide = deck.slide(title if number == 0 else f"{title} (Fortsetzung)")
        if note:
            tf = _textbox(slide, MARGIN, BODY_TOP, CONTENT_W, top - BODY_TOP)
            _run(tf.paragraphs[0], note, MIN_PT, colour=GREY)
        page_lights = {c: [values[i] for i in indices] for c, values in lights.items()}
        _add_table(slide, top, widths, header, [rows[i] for i in indices], page_lights, right)


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
        ("Gesamtfortschritt", progress_text(h["overall_progress"]), progress_note, None),
        (
            "Rücklauf",
            fmt.share(h["completeness"]),
            f"{fmt.number(h['reported'])} von {fmt.number(h['active'])} Meldungen",
            None,
        ),
        (light_text(GREEN), fmt.number(h["green"]), "auf Kurs", GREEN),
        (light_text(YELLOW), fmt.number(h["yellow"]), "Risiken", YELLOW),
        (light_text(RED), fmt.number(h["red"]), "gefährdet", RED),
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

    facts: Paragraphs = [("Fortschritt " + fmt.percent(block.progress), 22, True)]
    # «Fortschritt» is the line above; the other facts follow.
    facts += [(f"{label}: {value}", 16, False) for label, value in field_facts(deck.content, block)[1:]]
    notable: list[Paragraphs] = []
    for heading, items in field_notable(block):
        notable.append([(heading, 16, True)])
        notable += [[(f"– {item}", MIN_PT, False)] for item in items or ["keine"]]
    chosen = facts + [p for b in notable for p in b]
    overflow: list[Paragraphs] = []
    if _block_height(chosen, width, 4) > height:  # the measures by name continue on the next slide
        chosen, overflow = facts, notable
    tf = _textbox(slide, left, BODY_TOP, width, height)
    for i, (text, size, bold) in enumerate(chosen):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.space_after = Pt(4)
        if text.startswith("Sammelampel: "):
            _run(para, "Sammelampel: ", size)
            _light_runs(para, block.summary_light_label, block.summary_light, size, bold=True)
        else:
            _run(para, text, size, bold=bold)
    if overflow:
        title = f"{block.code} {block.name} (Fortsetzung)"
        _flow_slides(deck, title, overflow, slide=deck.slide(title))


def _attention_table(content: CouncilContent) -> tuple[list[str], list[list[str]], list[str | None]]:
    header = ["Code", "Massnahme", "Dep.", "Ampel", "Ist", "Soll", "Ende", "Warum", "Begründung"]
    rows = [
        [
            a.code,
            a.title,
            a.department,
            a.light_label,
            progress_text(a.progress),
            progress_text(a.expected),
            fmt.date(a.planned_end),
            a.why,
            a.reason or "–",
        ]
        for a in content.attention
    ]
    return header, rows, [a.light for a in content.attention]


def _decision_blocks(content: CouncilContent) -> list[Paragraphs]:
    if not content.decisions:
        return [[(NO_DECISION, 20, False)]]
    blocks: list[Paragraphs] = []
    for d in content.decisions:
        blocks.append([(d.topic, 20, True), (d.question, 18, False)])
        # One block per measure, so that a long list continues on the next slide.
        blocks += [[(f"– {name}", 16, False)] for name in d.measures]
    blocks.append([(DECISION_NOTE, MIN_PT, False)])
    return blocks


def _summary_slides(deck: _Deck) -> None:
    """Key figures as tiles, the summary's sentences below them and on further slides if needed."""
    title = f"Wo stehen wir? Zusammenfassung {deck.content.period}"
    slide = deck.slide(title)
    top = _tiles(deck, slide)
    _flow_slides(deck, title, [[(s, 18, False)] for s in deck.content.summary], first_top=top, slide=slide)


def _attention_slides(deck: _Deck) -> None:
    header, rows, lights = _attention_table(deck.content)
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


def _appendix_slides(deck: _Deck) -> None:
    """All measures, then the share of reports received per department."""
    header, rows, lights = measure_table(deck.content)
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
            for r in deck.content.completeness
        ],
        [3.0, 2.3, 2.3, 2.3, 2.3],
        right=frozenset({1, 2, 3, 4}),
        empty="Keine meldepflichtigen Massnahmen.",
    )


def to_pptx(content: CouncilContent, *, images: ChartImages | None = None) -> bytes:
    """The meeting summary as a 16:9 PowerPoint file (images: from render_charts, else rendered here)."""
    images = images if images is not None else render_charts(content)
    deck = _Deck(content)
    _title_slide(deck)
    _summary_slides(deck)
    _matrix_slide(deck, images)
    for block in content.fields:
        _field_slide(deck, block, images)
    _attention_slides(deck)
    _flow_slides(deck, "Was braucht einen Entscheid?", _decision_blocks(content))
    _appendix_slides(deck)
    return deck.finish()
