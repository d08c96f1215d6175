"""The meeting summary's tables as an Excel file (openpyxl), one sheet each.

Figures are numbers with a number format, not text, so they can be
computed with; every text goes through tracking/xlsx.py's put_cell and stays
text, even when it looks like a formula.
"""

from __future__ import annotations

import io

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from tracking.council import points
from tracking.council_content import CouncilContent
from tracking.tables import light_fill, light_is_bold
from tracking.vocab import GREEN, LIGHTS, NO_REPORT, RED, YELLOW, light_text
from tracking.xlsx import put_cell

PERCENT_FORMAT = '0" %"'
SHARE_FORMAT = "0%"
DATE_FORMAT = "DD.MM.YYYY"


def _sheet(
    wb,
    title: str,
    header: list[str],
    rows: list[list],
    formats: dict[int, str] | None = None,
    widths=None,
    lights: dict[int, list[str | None]] | None = None,
):
    """A sheet with a frozen, filterable header; columns as wide as their longest value (10 to 60).

    lights: column -> each row's light; those cells get the light's tint (red also bold), as on the page.
    """
    ws = wb.create_sheet(title)
    formats = formats or {}
    looks = {
        light: (PatternFill("solid", fgColor=light_fill(light)[1:]), Font(bold=light_is_bold(light)))
        for light in LIGHTS
    }
    for c, text in enumerate(header, start=1):
        cell = put_cell(ws, 1, c, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F3A5F")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            cell = put_cell(ws, r, c, value, formats.get(c - 1))
            cell.alignment = Alignment(wrap_text=isinstance(value, str) and len(value) > 30, vertical="top")
    for c, column_lights in (lights or {}).items():
        for r, light in enumerate(column_lights, start=2):
            if light in looks:
                cell = ws.cell(r, c + 1)
                cell.fill, cell.font = looks[light]
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


KEY_FIGURES = [  # (label, key of CouncilContent.headline, number format)
    ("Massnahmen", "measures", None),
    ("davon meldepflichtig", "active", None),
    ("Meldungen eingegangen", "reported", None),
    ("Rücklauf", "completeness", SHARE_FORMAT),
    ("Gesamtfortschritt (%)", "overall_progress", PERCENT_FORMAT),
    ("Auf Kurs (● grün)", "on_track_share", SHARE_FORMAT),
    (light_text(GREEN), "green", None),
    (light_text(YELLOW), "yellow", None),
    (light_text(RED), "red", None),
    ("Hinter Plan", "behind_plan", None),
    ("Überfällig", "overdue", None),
    ("Abgeschlossen (insgesamt)", "completed", None),
]


def _key_figures_sheet(wb, c: CouncilContent) -> None:
    """Key figures of this and the previous period, the summary's sentences below."""
    h, p = c.headline, c.previous_headline or {}
    ws = _sheet(
        wb,
        "Kopfzahlen",
        ["Kennzahl", c.period, c.previous_period or "Vorperiode"],
        [[label, _round(h.get(key), 3), _round(p.get(key), 3)] for label, key, _ in KEY_FIGURES],
        widths=[34, 14, 14],
    )
    for r, (_, _, number_format) in enumerate(KEY_FIGURES, start=2):
        for col in (2, 3):
            if number_format:
                ws.cell(row=r, column=col).number_format = number_format
    row = len(KEY_FIGURES) + 3
    put_cell(ws, row, 1, f"Zusammenfassung ({c.footer})").font = Font(bold=True)
    for offset, sentence in enumerate(c.summary, start=1):
        put_cell(ws, row + offset, 1, sentence)


def _attention_sheet(wb, c: CouncilContent) -> None:
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
        lights={4: [a.light for a in c.attention]},
    )


def _matrix_sheet(wb, c: CouncilContent) -> None:
    """Per action field and core goal: the contribution and its progress; the core goals' row last."""
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


def _fields_sheet(wb, c: CouncilContent) -> None:
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
                b.lights[GREEN],
                b.lights[YELLOW],
                b.lights[RED],
                b.lights[NO_REPORT],
                b.summary_light_label,
                b.n_behind_plan,
                b.n_overdue,
                "; ".join(r.name for r in b.turned_red),
                "; ".join(r.name for r in b.completed),
                "; ".join(f"{a.name} ({points(a.delta)})" for a in b.advanced_most),
            ]
            for b in c.fields
        ],
        formats={2: PERCENT_FORMAT, 3: PERCENT_FORMAT},
        lights={10: [b.summary_light for b in c.fields]},
    )


def _measures_sheet(wb, c: CouncilContent) -> None:
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
        lights={6: [m.light for m in c.measures]},
    )


def to_xlsx(content: CouncilContent) -> bytes:
    """The summary tables, one sheet each: key figures, attention, matrix, fields, all measures."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for write in (_key_figures_sheet, _attention_sheet, _matrix_sheet, _fields_sheet, _measures_sheet):
        write(wb, content)
    wb.properties.title = f"{content.strategy} – Berichtsperiode {content.period}"
    wb.properties.creator = content.issuer
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
