"""The meeting summary as an A4 portrait PDF (reportlab).

The period, the «Stand» and «Seite n von m» are in every footer; a table
row longer than a page continues on the next.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from xml.sax.saxutils import escape

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
    CondPageBreak,
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

from tracking import formatting as fmt
from tracking.briefing import FIELDS_TITLE, MORE_POINTS_WHERE, briefing, fields_table
from tracking.council import ATTENTION_TITLE, NO_DECISION
from tracking.council_content import CouncilContent, FieldBlock
from tracking.council_export.chart_images import ChartImages, render_charts
from tracking.council_export.text import (
    ATTENTION_NOTE,
    DECISION_NOTE,
    NO_ATTENTION,
    TABLE_NOTE,
    clean,
    field_facts,
    field_notable,
    headline_rows,
    measure_table,
    progress_text,
)
from tracking.errors import TrackingError
from tracking.palette import BAD_CHANGE, GOOD_CHANGE, LIGHT_COLOURS
from tracking.tables import light_fill, light_is_bold
from tracking.vocab import light_text

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
PDF_FONT, PDF_BOLD = "DejaVuSans", "DejaVuSans-Bold"
PAGE_W, PAGE_H = A4
PDF_MARGIN = 18 * mm
PDF_WIDTH = PAGE_W - 2 * PDF_MARGIN
PDF_BOTTOM = 20 * mm
FRAME_H = PAGE_H - PDF_MARGIN - PDF_BOTTOM - 12  # the frame's padding: 6 pt above and below
MIN_ROWS = 2  # table rows kept together at a page break
HEADING_ROOM = 40 * mm  # a heading, a table's header and two rows
HYPHENATION = "de_CH"
WHOLE_WORDS = {"hyphenationLang": ""}  # headings are not hyphenated
GOOD, BAD = GOOD_CHANGE, BAD_CHANGE
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
    # Words break at German syllables (pyphen), never inside one: «Datenschutz-anforderungen»;
    # not at a hyphen of their own (a code like «M-5.2.02» stays whole).
    base = ParagraphStyle(
        "body",
        fontName=PDF_FONT,
        fontSize=10,
        leading=13.5,
        spaceAfter=4,
        hyphenationLang=HYPHENATION,
        embeddedHyphenation=1,
    )
    cell = ParagraphStyle("cell", parent=base, fontSize=8.5, leading=10.5, spaceAfter=0)

    def style(name: str, parent: ParagraphStyle = base, **kwargs) -> ParagraphStyle:
        return ParagraphStyle(name, parent=parent, **kwargs)

    return {
        "title": style("title", fontName=PDF_BOLD, fontSize=22, leading=27, spaceAfter=6),
        "subtitle": style("subtitle", fontSize=12.5, leading=17, textColor=grey),
        "h1": style("h1", fontName=PDF_BOLD, fontSize=15, leading=19, spaceBefore=4, spaceAfter=8, hyphenationLang=""),
        "h2": style(
            "h2", fontName=PDF_BOLD, fontSize=11.5, leading=15, spaceBefore=8, spaceAfter=4, hyphenationLang=""
        ),
        "figure_label": style("figure_label", fontSize=8.5, leading=11, textColor=grey),
        "figure_value": style("figure_value", fontName=PDF_BOLD, fontSize=20, leading=24),
        "figure_change": style("figure_change", fontSize=8.5, leading=11),
        "body": base,
        "bullet": style("bullet", leftIndent=12, bulletIndent=0, spaceAfter=5),
        "note": style("note", fontSize=8.5, leading=11, textColor=grey),
        "cell": cell,
        "cell_head": style("cell_head", cell, fontName=PDF_BOLD, textColor=colors.white),
        "cell_right": style("cell_right", cell, alignment=TA_RIGHT),
        "fact": style("fact", spaceAfter=0),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(clean(text)), style)


def _light_markup(label: str, light: str | None) -> str:
    """«■ rot» as reportlab markup: the icon in the light's colour, red in bold."""
    icon, _, word = label.partition(" ")
    colour = LIGHT_COLOURS.get(light or "keine", LIGHT_COLOURS["keine"])
    text = f'<font color="{colour}">{escape(icon)}</font> {escape(word)}'
    return f"<b>{text}</b>" if light_is_bold(light) else text


def _light_p(label: str, light: str | None, style: ParagraphStyle) -> Paragraph:
    return Paragraph(_light_markup(label, light), style)


class _Table(LongTable):
    """A table that leaves no row alone: at least MIN_ROWS rows under the heading on a page and
    at least MIN_ROWS on the next when it breaks; a row is cut only when it is taller than a page."""

    _in_row = False

    def _getFirstPossibleSplitRowPosition(self, availHeight, ignoreSpans=0):
        n = super()._getFirstPossibleSplitRowPosition(availHeight, ignoreSpans)
        if self._in_row:
            return n
        total, first = len(self._rowHeights), self.repeatRows + MIN_ROWS
        if 0 < total - n < MIN_ROWS:
            n = total - MIN_ROWS
        return n if n >= first else 0

    def _splitRows(self, availHeight, doInRowSplit=0):
        if not doInRowSplit:
            return super()._splitRows(availHeight, doInRowSplit)
        if availHeight < FRAME_H * 0.8:
            return []  # not at the top of a page: the row goes whole to the next page
        self._in_row = True  # a row taller than a page: cut it, whatever the rows around it
        try:
            return super()._splitRows(availHeight, doInRowSplit)
        finally:
            self._in_row = False


KEEP_WHOLE_ROWS = 20  # a table this short moves whole with its heading to the next page


def _titled(title: list, table: Table, n_rows: int) -> list:
    """A heading (and its note) with its table: a short table stays whole with its heading; a long
    one starts on a new page when fewer than two of its rows would follow the heading on this one."""
    if n_rows <= KEEP_WHOLE_ROWS:
        return [KeepTogether([*title, table])]
    return [CondPageBreak(HEADING_ROOM), *title, table]


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
    table = _Table(data, colWidths=[w * mm for w in widths_mm], repeatRows=1, splitInRow=1)
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
                # Light cells tinted as on the page: a red measure stands out.
                *(
                    ("BACKGROUND", (c, i + 1), (c, i + 1), colors.HexColor(light_fill(light)))
                    for c, column in lights.items()
                    for i, light in enumerate(column)
                    if light_fill(light)
                ),
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


def _briefing_page(c: CouncilContent, s: dict[str, ParagraphStyle]) -> list:
    """Page one: the period, five key figures with their change, the sentences and the decisions."""
    b = briefing(c)
    story: list = [
        _p(f"{c.issuer} · Bericht an den Regierungsrat · {c.strategy}", s["subtitle"]),
        _p(f"Auf einen Blick: Berichtsperiode {b.period}", s["title"]),
        _p(b.period_text, s["subtitle"]),
        Spacer(1, 5 * mm),
    ]

    def change(f) -> str:
        if not f.change:
            return escape(f.note)
        colour = "#555555" if f.change[0] not in "+-" else (GOOD if (f.change[0] == "+") == f.rising_is_good else BAD)
        note = f" · {escape(f.note)}" if f.note else ""
        return f'<font color="{colour}"><b>{escape(f.change)}</b></font>{note}'

    cells = [
        [
            Paragraph(escape(clean(f.label)), s["figure_label"]),
            Paragraph(escape(clean(f.value)), s["figure_value"]),
            Paragraph(change(f), s["figure_change"]),
        ]
        for f in b.figures
    ]
    tiles = Table([cells], colWidths=[PDF_WIDTH / len(cells)] * len(cells))
    tiles.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor("#EEF2F7")),
                ("BOX", (0, 0), (-1, -1), 0.5, colors.HexColor("#C8D2DE")),
                ("LINEAFTER", (0, 0), (-2, -1), 2, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    story += [tiles, Spacer(1, 4 * mm), _p("Das Wichtigste", s["h2"])]
    story += [Paragraph(escape(clean(sentence)), s["bullet"], bulletText="•") for sentence in b.sentences]
    story.append(_p("Zu entscheiden", s["h2"]))
    if not b.points:
        story.append(_p(NO_DECISION, s["body"]))
    for point in b.points:
        icon = _light_markup(light_text(point.light), point.light)
        story.append(
            Paragraph(
                f"{icon} <b>{escape(clean(point.name))}</b><br/>"
                f'<font color="#555555">{escape(clean(point.why))}: {escape(clean(point.reason))}</font><br/>'
                f"{escape(point.question)}",
                s["bullet"],
                bulletText="•",
            )
        )
    if b.more_points:
        story.append(_p(f"Weitere {fmt.number(b.more_points)}: {MORE_POINTS_WHERE}", s["note"]))
    return [*story, PageBreak()]


def _overview_part(c: CouncilContent, s: dict[str, ParagraphStyle]) -> list:
    """What changed, the key figures against the previous period, and every field in one table."""
    story: list = [_p(f"Was sich seit {c.previous_period or 'der letzten Periode'} verändert hat", s["h1"])]
    story += [Paragraph(escape(clean(sentence)), s["bullet"], bulletText="•") for sentence in c.summary]
    key_rows = [list(r) for r in headline_rows(c)]
    table = _pdf_table(
        s, ["Kennzahl", c.period, c.previous_period or "Vorperiode"], key_rows, [80, 47, 47], right=frozenset({1, 2})
    )
    story += _titled([_p("Kopfzahlen", s["h2"])], table, len(key_rows))
    note, header, rows, lights = fields_table(c)
    table = _pdf_table(
        s,
        header,
        rows,
        [48, 18, 19, 23, 13, 13, 13, 13, 14],
        lights={3: lights},
        right=frozenset({1, 2, 4, 5, 6, 7, 8}),
    )
    story += _titled([_p(FIELDS_TITLE, s["h2"]), _p(note, s["note"])], table, len(rows))
    return story


def _matrix_part(c: CouncilContent, s: dict[str, ParagraphStyle], images: ChartImages) -> list:
    """The matrix chart, the same as a table (for print without colour) and the core goals' names."""
    story: list = [
        KeepTogether(
            [
                _p("Aktionsfelder × Kernziele", s["h1"]),
                _image(images["matrix"], PDF_WIDTH * 0.92),
                _p("Zelle: Beitrag der Ziele und ihr Fortschritt; Farbe: Fortschritt; – kein Beitrag.", s["note"]),
            ]
        )
    ]
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
    matrix_rows.append(["Kernziel", "", *(progress_text(c.core_progress.get(k)) for k in cores)])
    core_w = (PDF_WIDTH / mm - 48 - 22) / max(len(cores), 1)
    table = _pdf_table(s, ["Aktionsfeld", "Fortschritt", *cores], matrix_rows, [48, 22, *[core_w] * len(cores)])
    names = [_p(f"{code}: {name}", s["note"]) for code, name in c.core_goals]
    return [*story, KeepTogether([Spacer(1, 3 * mm), table, Spacer(1, 3 * mm), *names])]


def _attention_part(c: CouncilContent, s: dict[str, ParagraphStyle]) -> list:
    story: list = [PageBreak(), _p(ATTENTION_TITLE, s["h1"])]
    if not c.attention:
        return [*story, _p(NO_ATTENTION, s["body"])]
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
                    f"{progress_text(a.progress)} / {progress_text(a.expected)}",
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
    return story


def _decision_part(c: CouncilContent, s: dict[str, ParagraphStyle]) -> list:
    """The proposed decisions, kept on one page with their heading."""
    decision = [_p("Was braucht einen Entscheid?", s["h1"])]
    if c.decisions:
        for d in c.decisions:
            text = f"<b>{escape(d.topic)}</b>: {escape(d.question)}"
            for name in d.names:
                text += f"<br/>– {escape(name)}"
            decision.append(Paragraph(text, s["bullet"], bulletText="•"))
        decision.append(_p(DECISION_NOTE, s["note"]))
    else:
        decision.append(_p(NO_DECISION, s["body"]))
    return [Spacer(1, 6 * mm), KeepTogether(decision)]


def _field_part(c: CouncilContent, s: dict[str, ParagraphStyle], block: FieldBlock, images: ChartImages) -> list:
    """One page per action field: its trend, its key figures and its notable changes."""
    story: list = [PageBreak(), _p(f"{block.code} {block.name}", s["h1"])]
    story.append(_image(images[f"field:{block.code}"], PDF_WIDTH * 0.85))
    facts = [
        [
            Paragraph(f"<b>{escape(label)}</b>", s["fact"]),
            _light_p(value, block.summary_light, s["fact"]) if label == "Sammelampel" else _p(value, s["fact"]),
        ]
        for label, value in field_facts(c, block)
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
    for heading, items in field_notable(block):
        text = f"<b>{escape(heading)}</b>: " + (escape("; ".join(items)) if items else "keine")
        story.append(Paragraph(text, s["bullet"], bulletText="•"))
    return story


def _appendix(c: CouncilContent, s: dict[str, ParagraphStyle]) -> list:
    """All measures, then the share of reports received per department."""
    header, rows, lights = measure_table(c)
    story: list = [PageBreak(), _p(f"Anhang: alle Massnahmen ({fmt.number(len(rows))})", s["h1"])]
    story.append(_p(TABLE_NOTE, s["note"]))
    if rows:
        story.append(_pdf_table(s, header, rows, [16, 46, 10, 12, 25, 21, 12, 12, 20], lights={5: lights}))
    else:
        story.append(_p("Keine Massnahmen erfasst.", s["body"]))
    returns = [
        [r.department, fmt.number(r.active), fmt.number(r.reported), fmt.number(r.missing), fmt.share(r.share)]
        for r in c.completeness
    ] or [["–", "0", "0", "0", "–"]]
    table = _pdf_table(
        s,
        ["Departement", "meldepflichtig", "eingegangen", "fehlen", "Rücklauf"],
        returns,
        [54, 30, 30, 30, 30],
        right=frozenset({1, 2, 3, 4}),
    )
    return [
        *story,
        *_titled([Spacer(1, 6 * mm), _p("Anhang: Rücklauf nach Departement", s["h2"])], table, len(returns)),
    ]


def _build(c: CouncilContent, story: list) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=PDF_MARGIN,
        rightMargin=PDF_MARGIN,
        topMargin=PDF_MARGIN,
        bottomMargin=PDF_BOTTOM,
        title=f"{c.strategy} – Berichtsperiode {c.period}",
        author=c.issuer,
        subject="Bericht an den Regierungsrat",
    )
    doc.build(story, canvasmaker=_numbered_canvas(c.footer))
    return out.getvalue()


def to_pdf(content: CouncilContent, *, images: ChartImages | None = None) -> bytes:
    """The meeting summary as an A4 portrait PDF (images: from render_charts, else rendered here)."""
    _register_fonts()
    images = images if images is not None else render_charts(content)
    s = _styles()
    story = [
        *_briefing_page(content, s),
        *_overview_part(content, s),
        *_matrix_part(content, s, images),
        *_attention_part(content, s),
        *_decision_part(content, s),
    ]
    for block in content.fields:
        story += _field_part(content, s, block, images)
    story += _appendix(content, s)
    return _build(content, story)
