"""The meeting summary as a PowerPoint file: which slides, in which order, with what on them.

The layout (measuring text, flowing it over slides, tables that continue) is in slides.py.
"""

from __future__ import annotations

import io

from pptx.dml.color import RGBColor
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Emu, Inches, Pt

from tracking import formatting as fmt
from tracking.briefing import FIELDS_TITLE, MORE_POINTS_WHERE, KeyFigure, briefing, fields_table
from tracking.council import ATTENTION_TITLE, NO_DECISION, count
from tracking.council_content import CouncilContent, FieldBlock
from tracking.council_export.chart_images import MATRIX_PX, TREND_PX, ChartImages, render_charts
from tracking.council_export.slides import (
    BODY_BOTTOM,
    BODY_TOP,
    CONTENT_W,
    GREY,
    LINE,
    MARGIN,
    MIN_PT,
    SLIDE_W,
    TEXT,
    Deck,
    Paragraphs,
    block_height,
    fit,
    flow_slides,
    light_runs,
    line_count,
    run,
    table_slides,
    textbox,
)
from tracking.council_export.text import (
    ATTENTION_NOTE,
    DECISION_NOTE,
    NO_ATTENTION,
    TABLE_NOTE,
    field_facts,
    field_notable,
    measure_table,
    progress_text,
)
from tracking.palette import BAD_CHANGE, GOOD_CHANGE
from tracking.vocab import light_text


def _title_slide(deck: Deck) -> None:
    c = deck.content
    slide = deck.prs.slides.add_slide(deck.layout)
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = MARGIN, Inches(1.9), CONTENT_W, Inches(1.4)
    tf = shape.text_frame
    tf.word_wrap = True
    run(tf.paragraphs[0], c.strategy, 40, bold=True)
    box = textbox(slide, MARGIN, Inches(3.5), CONTENT_W, Inches(2.5))
    lines = [
        (f"{c.issuer} · Bericht an den Regierungsrat", 24, False),
        (f"Berichtsperiode {c.period} ({fmt.date(c.period_start)} – {fmt.date(c.period_end)})", 24, True),
        (f"Stand {fmt.date(c.as_of)} · erstellt am {fmt.date(c.created)}", 18, False),
    ]
    for i, (text, size, bold) in enumerate(lines):
        para = box.paragraphs[0] if i == 0 else box.add_paragraph()
        para.space_after = Pt(10)
        run(para, text, size, bold=bold, colour=None if bold else GREY)


GOOD, BAD = RGBColor.from_string(GOOD_CHANGE[1:]), RGBColor.from_string(BAD_CHANGE[1:])


def _change_colour(f: KeyFigure) -> RGBColor:
    if not f.change or f.change[0] not in "+-":
        return GREY
    rising = f.change.startswith("+")
    return GOOD if rising == f.rising_is_good else BAD


def _tiles(slide, figures: list[KeyFigure], top: int) -> int:
    """The key figures as tiles across the slide; returns where the tiles end."""
    gap = Inches(0.15)
    width = int((CONTENT_W - gap * (len(figures) - 1)) / len(figures))
    height = Inches(1.35)
    for i, f in enumerate(figures):
        shape = slide.shapes.add_shape(1, MARGIN + i * (width + gap), top, width, height)  # 1: rectangle
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor(0xEE, 0xF2, 0xF7)
        shape.line.color.rgb = RGBColor(0xC8, 0xD2, 0xDE)
        tf = shape.text_frame
        tf.word_wrap = True
        tf.margin_left = tf.margin_right = Inches(0.1)
        tf.vertical_anchor = MSO_ANCHOR.TOP
        # Explicit text colours: a shape would paint its text white.
        run(tf.paragraphs[0], f.label, MIN_PT, bold=True, colour=TEXT)
        run(tf.add_paragraph(), f.value, 32, bold=True, colour=TEXT)
        para = tf.add_paragraph()
        if f.change:
            run(para, f.change, MIN_PT, bold=True, colour=_change_colour(f))
        if f.note:
            run(para, f" · {f.note}" if f.change else f.note, MIN_PT, colour=GREY)
    return top + height + Inches(0.2)


def _briefing_slide(deck: Deck) -> None:
    """Page one: the period, five key figures with their change, the sentences and the decisions."""
    b = briefing(deck.content)
    slide = deck.slide(f"Auf einen Blick: Berichtsperiode {b.period}")
    tf = textbox(slide, MARGIN, BODY_TOP - Inches(0.15), CONTENT_W, Inches(0.35))
    run(tf.paragraphs[0], b.period_text, MIN_PT, colour=GREY)
    top = _tiles(slide, b.figures, BODY_TOP + Inches(0.3))
    column_w = int((CONTENT_W - Inches(0.4)) / 2)
    tf = textbox(slide, MARGIN, top, column_w, BODY_BOTTOM - top)
    run(tf.paragraphs[0], "Das Wichtigste", 18, bold=True)
    for sentence in b.sentences:
        para = tf.add_paragraph()
        para.space_before = Pt(6)
        run(para, f"– {sentence}", 16)
    right = MARGIN + column_w + Inches(0.4)
    tf = textbox(slide, right, top, column_w, BODY_BOTTOM - top)
    run(tf.paragraphs[0], "Zu entscheiden" if b.points else "Zu entscheiden: nichts", 18, bold=True)
    width_pt = Emu(column_w).pt
    # The reasons share what room is left under the names (each at least one line, at most three).
    line_pt = MIN_PT * LINE
    room = Emu(BODY_BOTTOM - top).pt - 18 * LINE - (line_pt + 6 if b.more_points else 0)
    names = sum(line_count(f"{light_text(p.light)} {p.name}", width_pt, MIN_PT) for p in b.points)
    reason_lines = max(1, min(3, int((room - len(b.points) * 6 - names * line_pt) / line_pt / max(1, len(b.points)))))
    for point in b.points:
        para = tf.add_paragraph()
        para.space_before = Pt(6)
        light_runs(para, light_text(point.light), point.light, MIN_PT, bold=True, text_colour=TEXT)
        run(para, f" {point.name}", MIN_PT, bold=True)
        para = tf.add_paragraph()
        reason = fit(f"{point.why}: {point.reason}", width_pt, MIN_PT, reason_lines)
        run(para, reason, MIN_PT, colour=GREY)
    if b.more_points:
        para = tf.add_paragraph()
        para.space_before = Pt(6)
        run(para, f"Weitere {fmt.number(b.more_points)}: {MORE_POINTS_WHERE}", MIN_PT, colour=GREY)
    if not b.points:
        run(tf.add_paragraph(), NO_DECISION, 16)


def _matrix_slide(deck: Deck, images: ChartImages) -> None:
    c = deck.content
    slide = deck.slide("Aktionsfelder × Kernziele")
    image_w = Inches(8.6)
    image_h = int(image_w * MATRIX_PX[1] / MATRIX_PX[0])
    slide.shapes.add_picture(io.BytesIO(images["matrix"]), MARGIN, BODY_TOP, image_w, image_h)
    tf = textbox(
        slide, MARGIN + image_w + Inches(0.3), BODY_TOP, CONTENT_W - image_w - Inches(0.3), BODY_BOTTOM - BODY_TOP
    )
    para = tf.paragraphs[0]
    run(para, "Zelle: Beitrag der Ziele und ihr Fortschritt; Farbe: Fortschritt; – kein Beitrag.", MIN_PT, colour=GREY)
    para.space_after = Pt(8)
    for code, name in c.core_goals:
        para = tf.add_paragraph()
        run(para, f"{code} ", MIN_PT, bold=True)
        run(para, f"{name}: {fmt.percent(c.core_progress.get(code))}", MIN_PT)
        para.space_after = Pt(6)


def _field_slide(deck: Deck, block: FieldBlock, images: ChartImages) -> None:
    slide = deck.slide(f"Anhang: {block.code} {block.name}")
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
    if block_height(chosen, width, 4) > height:  # the measures by name continue on the next slide
        chosen, overflow = facts, notable
    tf = textbox(slide, left, BODY_TOP, width, height)
    for i, (text, size, bold) in enumerate(chosen):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        para.space_after = Pt(4)
        if text.startswith("Sammelampel: "):
            run(para, "Sammelampel: ", size)
            light_runs(para, block.summary_light_label, block.summary_light, size, bold=True)
        else:
            run(para, text, size, bold=bold)
    if overflow:
        title = f"Anhang: {block.code} {block.name} (Fortsetzung)"
        flow_slides(deck, title, overflow, slide=deck.slide(title))


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


NAMES_PER_DECISION = 3


def _decision_blocks(content: CouncilContent) -> list[Paragraphs]:
    if not content.decisions:
        return [[(NO_DECISION, 20, False)]]
    blocks: list[Paragraphs] = [[(DECISION_NOTE, MIN_PT, False)]]
    for d in content.decisions:
        blocks.append([(d.topic, 20, True), (d.question, 18, False)])
        # A few measures by name; all of them stand in the attention list. (A decision on the
        # returns names its departments in its topic.)
        shown = d.names[:NAMES_PER_DECISION]
        blocks += [[(f"– {name}", 16, False)] for name in shown]
        if len(d.names) > len(shown):
            rest = len(d.names) - len(shown)
            blocks.append([(f"– und {fmt.number(rest)} weitere, alle in «{ATTENTION_TITLE}»", 16, False)])
    return blocks


ATTENTION_WIDTHS = [0.95, 2.35, 0.75, 1.05, 0.72, 0.72, 1.15, 1.7, 2.94]
ATTENTION_MAIN_SLIDES = 2  # the rest of the list follows in the appendix


def _attention_slides(deck: Deck) -> int:
    """The attention list in the main part, at most ATTENTION_MAIN_SLIDES; returns the rows placed."""
    header, rows, lights = _attention_table(deck.content)
    placed = table_slides(
        deck,
        ATTENTION_TITLE,
        header,
        rows,
        ATTENTION_WIDTHS,
        lights={3: lights},
        right=frozenset({4, 5}),
        note=f"{ATTENTION_NOTE} · {count(len(rows), 'Massnahme', 'Massnahmen')}",
        empty=NO_ATTENTION,
        max_slides=ATTENTION_MAIN_SLIDES,
        max_lines=4,  # the main part shows more measures; the appendix and the Excel file the whole text
    )
    return placed


def _attention_rest_slides(deck: Deck, placed: int) -> None:
    header, rows, lights = _attention_table(deck.content)
    if placed < len(rows):
        table_slides(
            deck,
            f"Anhang: {ATTENTION_TITLE} – weitere Massnahmen",
            header,
            rows[placed:],
            ATTENTION_WIDTHS,
            lights={3: lights[placed:]},
            right=frozenset({4, 5}),
            note=ATTENTION_NOTE,
        )


FIELDS_WIDTHS = [3.5, 1.2, 1.45, 1.55, 0.85, 0.85, 0.85, 0.85, 1.22]


def _fields_overview_slide(deck: Deck) -> None:
    """Every field in one table: progress, change, Sammelampel (with why, when a tie decided it)."""
    note, header, rows, lights = fields_table(deck.content)
    table_slides(
        deck,
        FIELDS_TITLE,
        header,
        rows,
        FIELDS_WIDTHS,
        lights={3: lights},
        right=frozenset({1, 2, 4, 5, 6, 7, 8}),
        note=note,
        empty="Keine Aktionsfelder erfasst.",
    )


def _appendix_slides(deck: Deck) -> None:
    """All measures, then the share of reports received per department."""
    header, rows, lights = measure_table(deck.content)
    table_slides(
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
    table_slides(
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
    """The meeting summary as a 16:9 PowerPoint file (images: from render_charts, else rendered here).

    The main part (at most 12 slides with nine fields): title, the briefing, what changed, the
    fields, the matrix, what needs attention (two slides at most), the decisions. The appendix:
    each field in detail, the rest of the attention list, every measure, the returns per department.
    """
    images = images if images is not None else render_charts(content)
    deck = Deck(content)
    _title_slide(deck)
    _briefing_slide(deck)
    flow_slides(
        deck,
        f"Was sich seit {content.previous_period or 'der letzten Periode'} verändert hat",
        [[(x, 18, False)] for x in content.summary],
    )
    _fields_overview_slide(deck)
    _matrix_slide(deck, images)
    placed = _attention_slides(deck)
    flow_slides(deck, "Was braucht einen Entscheid?", _decision_blocks(content))
    for block in content.fields:
        _field_slide(deck, block, images)
    _attention_rest_slides(deck, placed)
    _appendix_slides(deck)
    return deck.finish()
