"""The measures catalogue workbook: its layout, the stored catalogue in its terms, and the export.

The strategy names no measures; departments define them and add more over
the years. The catalogue workbook lists them all (one sheet for measures, one
for indicators); an edited copy comes back through tracking/catalogue.py,
which reads the same layout.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.models import Department, Goal, Indicator, Measure, local_now, measure_partner
from tracking.report_sheet import HEADER_ROW, Column, letter_of
from tracking.vocab import DIRECTIONS
from tracking.xlsx import put_cell

CATALOGUE_VERSION = "1"
MEASURE_SHEET = "Massnahmen"
INDICATOR_SHEET = "Kennzahlen"
GUIDE_SHEET = "Anleitung"
LISTS_SHEET = "_listen"
META_SHEET = "_meta"
YES, NO = "ja", "nein"

MEASURE_COLUMNS: list[Column] = [
    Column("code", "Code", 16, False),
    Column("goal", "Ziel", 8, False),
    Column("title", "Titel", 44, False),
    Column("description", "Beschreibung", 50, False),
    Column("department", "Federführung", 13, False),
    Column("responsible_unit", "Verantwortliche Stelle", 28, False),
    Column("contact", "Kontakt", 24, False),
    Column("partners", "Partnerdepartemente", 20, False),
    Column("start_date", "Beginn", 12, False),
    Column("planned_end", "Geplantes Ende", 15, False),
    Column("budget_chf", "Budget CHF", 14, False),
    Column("weight", "Gewicht", 9, False),
    Column("active", "Aktiv", 8, False),
    Column("public", "Öffentlich", 11, False),
]
INDICATOR_COLUMNS: list[Column] = [
    Column("id", "Nr.", 6, True),
    Column("goal", "Ziel", 8, False),
    Column("name", "Kennzahl", 40, False),
    Column("unit", "Einheit", 12, False),
    Column("baseline", "Ausgangswert", 14, False),
    Column("baseline_year", "Ausgangsjahr", 12, False),
    Column("target", "Zielwert", 12, False),
    Column("target_year", "Zieljahr", 10, False),
    Column("direction", "Richtung", 18, False),
    Column("active", "Aktiv", 8, False),
]
# The columns a row of the file sets (everything but its identity: the code, the number).
MEASURE_FIELDS = [c.key for c in MEASURE_COLUMNS if c.key != "code"]
INDICATOR_FIELDS = [c.key for c in INDICATOR_COLUMNS if c.key != "id"]
LABELS = {
    "goal": "Ziel",
    "title": "Titel",
    "description": "Beschreibung",
    "department": "Federführung",
    "responsible_unit": "Verantwortliche Stelle",
    "contact": "Kontakt",
    "partners": "Partnerdepartemente",
    "start_date": "Beginn",
    "planned_end": "Geplantes Ende",
    "budget_chf": "Budget CHF",
    "weight": "Gewicht",
    "active": "Aktiv",
    "public": "Öffentlich",
    "name": "Kennzahl",
    "unit": "Einheit",
    "baseline": "Ausgangswert",
    "baseline_year": "Ausgangsjahr",
    "target": "Zielwert",
    "target_year": "Zieljahr",
    "direction": "Richtung",
}
CODE = re.compile(r"^M-(\d+\.\d+)\.(\d+)$")
DIRECTION_WORDS = {label: key for key, label in DIRECTIONS.items()} | {key: key for key in DIRECTIONS}


# --- the catalogue as it is stored -------------------------------------------------


def measure_entries(session: Session, goal: str | None = None) -> dict[str, dict[str, Any]]:
    """Every measure (or every measure of one goal) by code, with the values of MEASURE_FIELDS
    as the workbook shows them."""
    of_goal = Goal.code == goal if goal is not None else true()
    partners: dict[int, list[str]] = {}
    for measure_id, code in session.execute(
        select(measure_partner.c.measure_id, Department.code)
        .join(Department, Department.id == measure_partner.c.department_id)
        .join(Measure, Measure.id == measure_partner.c.measure_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .where(of_goal)
    ):
        partners.setdefault(measure_id, []).append(code)
    rows = {}
    for m, goal, department in session.execute(
        select(Measure, Goal.code, Department.code)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(Department, Department.id == Measure.lead_department_id)
        .where(of_goal)
        .order_by(Measure.code)
    ):
        rows[m.code] = {
            "id": m.id,
            "goal": goal,
            "title": m.title,
            "description": m.description,
            "department": department,
            "responsible_unit": m.responsible_unit,
            "contact": m.contact,
            "partners": ", ".join(sorted(partners.get(m.id, []))) or None,
            "start_date": m.start_date,
            "planned_end": m.planned_end,
            "budget_chf": Decimal(m.budget_chf).quantize(Decimal("0.01")) if m.budget_chf is not None else None,
            "weight": float(m.weight),
            "active": bool(m.active),
            "public": bool(m.public),
        }
    return rows


def indicator_entries(session: Session) -> dict[int, dict[str, Any]]:
    return {
        i.id: {
            "goal": goal,
            "name": i.name,
            "unit": i.unit,
            "baseline": i.baseline,
            "baseline_year": i.baseline_year,
            "target": i.target,
            "target_year": i.target_year,
            "direction": i.direction,
            "active": bool(i.active),
        }
        for i, goal in session.execute(
            select(Indicator, Goal.code).join(Goal, Goal.id == Indicator.goal_id).order_by(Goal.code, Indicator.name)
        )
    }


# --- export -----------------------------------------------------------------------

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def export_catalogue(session: Session, *, generated_by: str = "", now: dt.datetime | None = None) -> bytes:
    """The catalogue workbook: Anleitung, Massnahmen, Kennzahlen, with dropdowns for goal, department, direction."""
    now = now or local_now()
    goals = list(session.scalars(select(Goal.code).where(Goal.active.is_(True)).order_by(Goal.code)))
    departments = list(session.scalars(select(Department.code).order_by(Department.code)))
    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _write_guide(guide, now, generated_by)

    lists = wb.create_sheet(LISTS_SHEET)
    for column, values in enumerate((goals, departments, list(DIRECTIONS.values()), [YES, NO]), start=1):
        for row, value in enumerate(values, start=1):
            lists.cell(row=row, column=column, value=value)
    lists.sheet_state = "hidden"

    measures = wb.create_sheet(MEASURE_SHEET)
    _header(measures, MEASURE_COLUMNS)
    for row, (code, values) in enumerate(measure_entries(session).items(), start=HEADER_ROW + 1):
        cells = {
            "code": code,
            **values,
            "active": YES if values["active"] else NO,
            "public": YES if values["public"] else NO,
        }
        for index, column in enumerate(MEASURE_COLUMNS, start=1):
            number_format = {"start_date": "DD.MM.YYYY", "planned_end": "DD.MM.YYYY", "budget_chf": "#,##0.00"}
            put_cell(measures, row, index, _plain(cells[column.key]), number_format.get(column.key))
    last = max(measures.max_row, HEADER_ROW + 500)
    _dropdown(measures, MEASURE_COLUMNS, "goal", f"{LISTS_SHEET}!$A$1:$A${max(len(goals), 1)}", last)
    _dropdown(measures, MEASURE_COLUMNS, "department", f"{LISTS_SHEET}!$B$1:$B${max(len(departments), 1)}", last)
    _dropdown(measures, MEASURE_COLUMNS, "active", f"{LISTS_SHEET}!$D$1:$D$2", last)
    _dropdown(measures, MEASURE_COLUMNS, "public", f"{LISTS_SHEET}!$D$1:$D$2", last)

    indicators = wb.create_sheet(INDICATOR_SHEET)
    _header(indicators, INDICATOR_COLUMNS)
    for row, (indicator_id, values) in enumerate(indicator_entries(session).items(), start=HEADER_ROW + 1):
        cells = {
            "id": indicator_id,
            **values,
            "direction": DIRECTIONS[values["direction"]],
            "active": YES if values["active"] else NO,
        }
        for index, column in enumerate(INDICATOR_COLUMNS, start=1):
            put_cell(indicators, row, index, _plain(cells[column.key]))
    last = max(indicators.max_row, HEADER_ROW + 200)
    _dropdown(indicators, INDICATOR_COLUMNS, "goal", f"{LISTS_SHEET}!$A$1:$A${max(len(goals), 1)}", last)
    _dropdown(indicators, INDICATOR_COLUMNS, "direction", f"{LISTS_SHEET}!$C$1:$C${len(DIRECTIONS)}", last)
    _dropdown(indicators, INDICATOR_COLUMNS, "active", f"{LISTS_SHEET}!$D$1:$D$2", last)

    meta = wb.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(
        (("kind", "catalogue"), ("catalogue_version", CATALOGUE_VERSION), ("generated_at", now.isoformat())), start=1
    ):
        meta.cell(row=row, column=1, value=key)
        meta.cell(row=row, column=2, value=value)
    meta.sheet_state = "hidden"
    wb.active = 1
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _header(ws, columns: list[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        ws.column_dimensions[letter_of(columns, column.key)].width = column.width
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)


def _dropdown(ws, columns: list[Column], key: str, source: str, last_row: int) -> None:
    rule = DataValidation(type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=True)
    rule.error = "Bitte einen Wert aus der Liste wählen."
    letter = letter_of(columns, key)
    rule.add(f"{letter}{HEADER_ROW + 1}:{letter}{last_row}")
    ws.add_data_validation(rule)


def _write_guide(ws, now: dt.datetime, generated_by: str) -> None:
    lines = [
        ("Massnahmenkatalog «Digitaler Wandel»", True),
        (f"Stand {fmt.date(now.date())}" + (f", erstellt von {generated_by}" if generated_by else ""), False),
        ("", False),
        ("So wird der Katalog gepflegt", True),
        ("1. Blatt «Massnahmen»: eine Zeile pro Massnahme. Neue Massnahmen unten anfügen.", False),
        (
            "2. Code leer lassen: das Tool vergibt den nächsten freien Code des Ziels (M-Feld.Ziel.Nummer). "
            "Einen Code nie ändern; eine Massnahme wechselt nicht das Ziel.",
            False,
        ),
        ("3. Ziel, Federführung und Aktiv aus der Liste wählen; Partnerdepartemente mit Komma trennen.", False),
        ("4. Datum als 31.12.2026, Budget in Franken, Gewicht grösser als 0 (Standard 1).", False),
        (
            "5. Aktiv «nein» setzt eine Massnahme ausser Kraft: sie zählt ab der nächsten Periode nicht mehr, "
            "ihre Geschichte bleibt. Gelöscht wird nichts.",
            False,
        ),
        (
            "   Öffentlich «ja» zeigt Titel, Feld, Ziel, Federführung, Status, Fortschritt, Ampel und Termine "
            "auf der öffentlichen Seite und in den offenen Daten; leer oder «nein»: nur intern.",
            False,
        ),
        ("6. Blatt «Kennzahlen»: Nr. leer lassen für eine neue Kennzahl; Richtung aus der Liste.", False),
        (
            "7. Unter «Verwaltung» hochladen: das Tool prüft alles, zeigt die Änderungen und speichert erst "
            "nach Bestätigung.",
            False,
        ),
    ]
    for row, (text, bold) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = Font(bold=bold, size=14 if row == 1 else 11)
    ws.column_dimensions["A"].width = 110
