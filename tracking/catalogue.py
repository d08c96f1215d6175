"""The measures catalogue in Excel: every measure and indicator out, checked changes in, undo.

The strategy names no measures; departments define them and add more over
the years. The catalogue workbook lists them all; an import adds
new ones, updates changed ones and retires those marked inactive (a retired
measure counts in the periods that began before, never in later ones, and is
never deleted). The same rules as the status import (tracking/excel_import):
the file is checked before it is read, every problem comes with sheet, row
and column, a preview says what changes, saving is one transaction, the
same file twice changes nothing, and an import can be undone.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook
from sqlalchemy import delete, func, select, true
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.access import Actor, require
from tracking.audit import WriteLog, person_label
from tracking.errors import TrackingError
from tracking.excel_import import (
    ImportRefused,
    Problem,
    cell_text,
    check_file,
    check_header,
    parse_date,
    parse_number,
    read_sheet,
    refusal,
)
from tracking.frozen import TABLE as FROZEN_TABLE
from tracking.frozen import freeze_closed
from tracking.models import Department, Goal, Indicator, Measure, StatusReport, WriteRecord, local_now, measure_partner
from tracking.report_sheet import HEADER_ROW, Column, letter_of
from tracking.text_rules import text_problem
from tracking.vocab import DIRECTIONS
from tracking.xlsx import put_cell

CATALOGUE_VERSION = "1"
CATALOGUE_ACTION = "catalogue"
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
MEASURE_FIELDS = [
    "goal",
    "title",
    "description",
    "department",
    "responsible_unit",
    "contact",
    "partners",
    "start_date",
    "planned_end",
    "budget_chf",
    "weight",
    "active",
]
INDICATOR_FIELDS = [
    "goal",
    "name",
    "unit",
    "baseline",
    "baseline_year",
    "target",
    "target_year",
    "direction",
    "active",
]
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
        cells = {"code": code, **values, "active": YES if values["active"] else NO}
        for index, column in enumerate(MEASURE_COLUMNS, start=1):
            number_format = {"start_date": "DD.MM.YYYY", "planned_end": "DD.MM.YYYY", "budget_chf": "#,##0.00"}
            put_cell(measures, row, index, _plain(cells[column.key]), number_format.get(column.key))
    last = max(measures.max_row, HEADER_ROW + 500)
    _dropdown(measures, MEASURE_COLUMNS, "goal", f"{LISTS_SHEET}!$A$1:$A${max(len(goals), 1)}", last)
    _dropdown(measures, MEASURE_COLUMNS, "department", f"{LISTS_SHEET}!$B$1:$B${max(len(departments), 1)}", last)
    _dropdown(measures, MEASURE_COLUMNS, "active", f"{LISTS_SHEET}!$D$1:$D$2", last)

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


# --- import: check, plan, apply, undo ----------------------------------------------


@dataclass
class CatalogueChange:
    kind: str  # "neu", "geändert", "ausser Kraft", "unverändert"
    what: str  # "Massnahme" or "Kennzahl"
    key: str
    row: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class CataloguePlan:
    filename: str
    measures: dict[str, dict[str, Any]]  # code -> values (new codes assigned)
    indicators: list[tuple[int | None, dict[str, Any]]]  # (id or None for new, values)
    changes: list[CatalogueChange]

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def has_changes(self) -> bool:
        return any(c.kind != "unverändert" for c in self.changes)

    def summary_lines(self) -> list[str]:
        lines = [
            f"Datei «{self.filename}»: {self.count('neu')} neu, {self.count('geändert')} geändert, "
            f"{self.count('ausser Kraft')} ausser Kraft, {self.count('unverändert')} unverändert."
        ]
        for change in self.changes:
            if change.kind == "unverändert":
                continue
            detail = ""
            if change.fields:
                detail = ": " + "; ".join(
                    f"{LABELS[name]} {shown_value(old)} → {shown_value(new)}"
                    for name, (old, new) in change.fields.items()
                )
            lines.append(f"  {change.kind}: {change.what} {change.key}{detail}")
        return lines


def shown_value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, dt.date):
        return fmt.date(value)
    if value in DIRECTIONS:
        return DIRECTIONS[value]
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def plan_catalogue(session: Session, data: bytes, filename: str = "Datei") -> CataloguePlan:
    """Check the whole file and compare it with the stored catalogue; write nothing."""
    check_file(data, filename)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken parts
        raise refusal(f"«{filename}» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt.") from exc
    missing = [name for name in (MEASURE_SHEET, INDICATOR_SHEET) if name not in workbook.sheet_names]
    if missing:
        found = ", ".join(f"«{n}»" for n in workbook.sheet_names if not n.startswith("_")) or "keine"
        raise refusal(
            f"Das Blatt {' und '.join(f'«{m}»' for m in missing)} fehlt (gefunden: {found}). "
            "Bitte den Katalog unter «Verwaltung» herunterladen und diesen bearbeiten."
        )
    measure_rows = read_sheet(workbook, MEASURE_SHEET)
    indicator_rows = read_sheet(workbook, INDICATOR_SHEET)
    problems = check_header(measure_rows, MEASURE_SHEET, MEASURE_COLUMNS)
    problems += check_header(indicator_rows, INDICATOR_SHEET, INDICATOR_COLUMNS)
    if problems:
        raise ImportRefused(problems)
    return _plan_rows(session, measure_rows[HEADER_ROW:], indicator_rows[HEADER_ROW:], filename)


def plan_entries(
    session: Session,
    *,
    measures: list[dict[str, Any]] = (),
    indicators: list[dict[str, Any]] = (),
    source: str = "Formular",
) -> CataloguePlan:
    """The same checks and preview for entries typed into a form (dicts by column key).

    A problem names the form's entry as «Zeile 2» (the first) and the field by
    its column header, as in the workbook.
    """
    measure_rows = [[entry.get(c.key) for c in MEASURE_COLUMNS] for entry in measures]
    indicator_rows = [[entry.get(c.key) for c in INDICATOR_COLUMNS] for entry in indicators]
    return _plan_rows(session, measure_rows, indicator_rows, source)


def _plan_rows(
    session: Session, measure_rows: list[list[Any]], indicator_rows: list[list[Any]], filename: str
) -> CataloguePlan:
    goals = dict(session.execute(select(Goal.code, Goal.active)).all())
    departments = set(session.scalars(select(Department.code)))
    stored = measure_entries(session)
    reader = _Reader(goals, departments)
    measures: dict[str, dict[str, Any]] = {}
    rows_of: dict[str, int] = {}
    new_rows: list[tuple[int, dict[str, Any]]] = []
    for offset, raw in enumerate(measure_rows):
        excel_row = HEADER_ROW + 1 + offset
        values = reader.measure(raw, excel_row)
        if values is None:
            continue
        code = values.pop("code")
        if code is None:
            new_rows.append((excel_row, values))
            continue
        if code in rows_of:
            reader.problem(
                MEASURE_SHEET,
                excel_row,
                MEASURE_COLUMNS,
                "code",
                f"Massnahme {code} kommt doppelt vor (schon in Zeile {rows_of[code]}). Bitte nur eine Zeile pro Code.",
            )
            continue
        rows_of[code] = excel_row
        before = stored.get(code)
        if before is not None and values["goal"] != before["goal"]:
            reader.problem(
                MEASURE_SHEET,
                excel_row,
                MEASURE_COLUMNS,
                "goal",
                f"Massnahme {code} gehört zu Ziel {before['goal']}, nicht {values['goal']}. Eine Massnahme wechselt "
                "das Ziel nicht: für das andere Ziel eine neue Zeile ohne Code anfügen, diese auf «nein» setzen.",
            )
            continue
        if before is None and (match := CODE.match(code)) and match.group(1) != values["goal"]:
            reader.problem(
                MEASURE_SHEET,
                excel_row,
                MEASURE_COLUMNS,
                "code",
                f"Der Code {code} passt nicht zu Ziel {values['goal']} (erwartet M-{values['goal']}.…). "
                "Code leer lassen, dann vergibt ihn das Tool.",
            )
            continue
        measures[code] = values
    # A row without a code is a measure stored under the same goal and title
    # (so the same file twice adds nothing), else a new one with the next free
    # number of its goal.
    by_title = {(v["goal"], v["title"].casefold()): code for code, v in stored.items()}
    taken = set(stored) | set(measures)
    for excel_row, values in new_rows:
        code = by_title.get((values["goal"], values["title"].casefold()))
        if code in measures:
            reader.problem(
                MEASURE_SHEET,
                excel_row,
                MEASURE_COLUMNS,
                "title",
                f"Eine Massnahme «{values['title']}» gibt es in Ziel {values['goal']} schon ({code}, Zeile "
                f"{rows_of[code]}). Bitte einen anderen Titel wählen.",
            )
            continue
        code = code or _next_code(values["goal"], taken)
        taken.add(code)
        measures[code] = values
        rows_of[code] = excel_row

    stored_indicators = indicator_entries(session)
    indicators: list[tuple[int | None, dict[str, Any]]] = []
    indicator_row_of: dict[Any, int] = {}
    for offset, raw in enumerate(indicator_rows):
        excel_row = HEADER_ROW + 1 + offset
        parsed = reader.indicator(raw, excel_row, stored_indicators)
        if parsed is None:
            continue
        indicator_id, values = parsed
        if indicator_id is None:  # the same goal and name is the same indicator (unique in the store)
            indicator_id = next(
                (
                    i
                    for i, v in stored_indicators.items()
                    if v["goal"] == values["goal"] and v["name"].casefold() == values["name"].casefold()
                ),
                None,
            )
        key = indicator_id if indicator_id is not None else (values["goal"], values["name"].casefold())
        if key in indicator_row_of:
            reader.problem(
                INDICATOR_SHEET,
                excel_row,
                INDICATOR_COLUMNS,
                "id" if indicator_id is not None else "name",
                f"Kennzahl {indicator_id or values['name']} kommt doppelt vor "
                f"(schon in Zeile {indicator_row_of[key]}).",
            )
            continue
        indicator_row_of[key] = excel_row
        indicators.append((indicator_id, values))
    if reader.problems:
        raise ImportRefused(reader.problems)

    changes = []
    for code, values in measures.items():
        changes.append(_change("Massnahme", code, rows_of[code], stored.get(code), values))
    for indicator_id, values in indicators:
        key = f"Nr. {indicator_id} {values['name']}" if indicator_id else f"{values['goal']} {values['name']}"
        row = indicator_row_of[
            indicator_id if indicator_id is not None else (values["goal"], values["name"].casefold())
        ]
        changes.append(_change("Kennzahl", key, row, stored_indicators.get(indicator_id), values))
    changes.sort(key=lambda c: (c.what != "Massnahme", c.row))
    return CataloguePlan(filename, measures, indicators, changes)


def _change(what: str, key: str, row: int, before: dict | None, after: dict) -> CatalogueChange:
    if before is None:
        return CatalogueChange("neu", what, key, row)
    diff = {name: (before[name], value) for name, value in after.items() if before.get(name) != value}
    if not diff:
        return CatalogueChange("unverändert", what, key, row)
    kind = "ausser Kraft" if diff.get("active") == (True, False) else "geändert"
    return CatalogueChange(kind, what, key, row, diff)


def _next_code(goal: str, taken: set[str]) -> str:
    numbers = [int(m.group(2)) for code in taken if (m := CODE.match(code)) and m.group(1) == goal]
    number = max(numbers, default=0) + 1
    return f"M-{goal}.{number:02d}"


class _Reader:
    """Reads catalogue rows into values and collects every problem with sheet, row and column."""

    def __init__(self, goals: dict[str, bool], departments: set[str]):
        self.goals = goals
        self.departments = departments
        self.problems: list[Problem] = []

    def problem(self, sheet: str, row: int, columns: list[Column], key: str, message: str) -> None:
        column = next(c for c in columns if c.key == key)
        self.problems.append(Problem(message, sheet, row, letter_of(columns, key), column.header))

    def _cells(self, raw: list[Any], columns: list[Column]) -> dict[str, Any]:
        return {c.key: (raw[i] if i < len(raw) else None) for i, c in enumerate(columns)}

    def text(self, sheet, row, columns, key: str, value, kind: str) -> None:
        """A text cell longer than tracking.text_rules allows, or with control characters, is a problem."""
        message = text_problem(cell_text(value), kind)
        if message:
            self.problem(sheet, row, columns, key, f"{LABELS[key]} {message}")

    def _goal(self, sheet, row, columns, value) -> str | None:
        goal = cell_text(value)
        if not goal:
            self.problem(sheet, row, columns, "goal", "Ziel fehlt. Bitte aus der Liste wählen, z. B. 5.1.")
            return None
        if goal not in self.goals:
            self.problem(sheet, row, columns, "goal", f"Ziel «{goal}» gibt es nicht. Bitte aus der Liste wählen.")
            return None
        if not self.goals[goal]:
            self.problem(sheet, row, columns, "goal", f"Ziel {goal} ist ausser Kraft; dort entsteht nichts Neues.")
            return None
        return goal

    def _active(self, sheet, row, columns, value) -> bool | None:
        text = (cell_text(value) or YES).casefold()
        if text in (YES, "j", "wahr", "true", "1", "aktiv"):
            return True
        if text in (NO, "n", "falsch", "false", "0", "inaktiv"):
            return False
        self.problem(sheet, row, columns, "active", f"«{cell_text(value)}» ist nicht erlaubt. Erlaubt: ja, nein.")
        return None

    def measure(self, raw: list[Any], row: int) -> dict[str, Any] | None:
        cells = self._cells(raw, MEASURE_COLUMNS)
        if not any(cell_text(v) for v in cells.values()):
            return None
        before = len(self.problems)
        sheet, columns = MEASURE_SHEET, MEASURE_COLUMNS

        def problem(key: str, message: str) -> None:
            self.problem(sheet, row, columns, key, message)

        code = (cell_text(cells["code"]) or "").upper() or None
        if code is not None and not CODE.match(code):
            problem(
                "code", f"«{code}» ist kein Massnahmencode (M-Feld.Ziel.Nummer, z. B. M-5.1.03) – oder leer lassen."
            )
        goal = self._goal(sheet, row, columns, cells["goal"])
        title = cell_text(cells["title"])
        if not title:
            problem("title", "Titel fehlt.")
        for key in ("title", "description", "responsible_unit", "contact"):
            self.text(sheet, row, columns, key, cells[key], key)
        department = (cell_text(cells["department"]) or "").upper()
        if not department:
            problem("department", "Federführung fehlt. Bitte ein Departement aus der Liste wählen.")
        elif department not in self.departments:
            problem(
                "department",
                f"Departement «{department}» gibt es nicht. Erlaubt: {', '.join(sorted(self.departments))}.",
            )
        partners = sorted({p.strip().upper() for p in (cell_text(cells["partners"]) or "").split(",") if p.strip()})
        unknown = [p for p in partners if p not in self.departments]
        if unknown:
            problem("partners", f"Unbekannte Partnerdepartemente: {', '.join(unknown)}.")
        dates = {}
        for key in ("start_date", "planned_end"):
            try:
                dates[key] = parse_date(cells[key])
            except ValueError:
                problem(key, f"«{cell_text(cells[key])}» ist kein gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31.")
                dates[key] = None
        if dates["start_date"] and dates["planned_end"] and dates["planned_end"] < dates["start_date"]:
            problem("planned_end", "Das geplante Ende liegt vor dem Beginn.")
        budget = None
        if cell_text(cells["budget_chf"]):
            try:
                budget = Decimal(str(parse_number(cells["budget_chf"]))).quantize(Decimal("0.01"))
                if budget < 0:
                    raise ValueError
            except (ValueError, InvalidOperation):
                problem("budget_chf", f"«{cell_text(cells['budget_chf'])}» ist kein Betrag in Franken (z. B. 250000).")
                budget = None
        weight = 1.0
        if cell_text(cells["weight"]):
            try:
                weight = parse_number(cells["weight"])
                if weight <= 0:
                    raise ValueError
            except ValueError:
                problem("weight", f"«{cell_text(cells['weight'])}» ist kein gültiges Gewicht: eine Zahl grösser als 0.")
        active = self._active(sheet, row, columns, cells["active"])
        if len(self.problems) > before:
            return None
        return {
            "code": code,
            "goal": goal,
            "title": title,
            "description": cell_text(cells["description"]),
            "department": department,
            "responsible_unit": cell_text(cells["responsible_unit"]),
            "contact": cell_text(cells["contact"]),
            "partners": ", ".join(partners) or None,
            "start_date": dates["start_date"],
            "planned_end": dates["planned_end"],
            "budget_chf": budget,
            "weight": float(weight),
            "active": active,
        }

    def indicator(self, raw: list[Any], row: int, stored: dict[int, dict]) -> tuple[int | None, dict] | None:
        cells = self._cells(raw, INDICATOR_COLUMNS)
        if not any(cell_text(v) for v in cells.values()):
            return None
        before = len(self.problems)
        sheet, columns = INDICATOR_SHEET, INDICATOR_COLUMNS

        def problem(key: str, message: str) -> None:
            self.problem(sheet, row, columns, key, message)

        indicator_id = None
        if cell_text(cells["id"]):
            try:
                indicator_id = int(parse_number(cells["id"]))
            except ValueError:
                indicator_id = -1
            if indicator_id not in stored:
                problem(
                    "id",
                    f"Kennzahl Nr. {cell_text(cells['id'])} gibt es nicht. Für eine neue Kennzahl Nr. leer lassen.",
                )
        goal = self._goal(sheet, row, columns, cells["goal"])
        if indicator_id in stored and goal and goal != stored[indicator_id]["goal"]:
            problem("goal", f"Kennzahl Nr. {indicator_id} gehört zu Ziel {stored[indicator_id]['goal']}, nicht {goal}.")
        name = cell_text(cells["name"])
        if not name:
            problem("name", "Name der Kennzahl fehlt.")
        unit = cell_text(cells["unit"])
        if not unit:
            problem("unit", "Einheit fehlt (z. B. Anzahl, %, CHF).")
        self.text(sheet, row, columns, "name", cells["name"], "indicator_name")
        self.text(sheet, row, columns, "unit", cells["unit"], "unit")
        numbers: dict[str, Any] = {}
        for key in ("baseline", "target"):
            numbers[key] = None
            if cell_text(cells[key]):
                try:
                    numbers[key] = parse_number(cells[key])
                except ValueError:
                    problem(key, f"«{cell_text(cells[key])}» ist keine Zahl. Erlaubt: z. B. 1234.5 oder 1'234.5.")
        for key in ("baseline_year", "target_year"):
            numbers[key] = None
            if cell_text(cells[key]):
                try:
                    year = parse_number(cells[key])
                    if not (1900 <= year <= 2100 and float(year).is_integer()):
                        raise ValueError
                    numbers[key] = int(year)
                except ValueError:
                    problem(key, f"«{cell_text(cells[key])}» ist kein Jahr (z. B. 2030).")
        direction_text = cell_text(cells["direction"]) or DIRECTIONS["hoeher"]
        direction = DIRECTION_WORDS.get(direction_text.casefold().strip())
        if direction is None:
            problem("direction", f"«{direction_text}» ist keine Richtung. Erlaubt: {', '.join(DIRECTIONS.values())}.")
        active = self._active(sheet, row, columns, cells["active"])
        if len(self.problems) > before:
            return None
        return indicator_id, {
            "goal": goal,
            "name": name,
            "unit": unit,
            **numbers,
            "direction": direction,
            "active": active,
        }


def _audit_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else float(v) if isinstance(v, Decimal) else v)
        for k, v in values.items()
    }


def apply_catalogue(
    session: Session, plan: CataloguePlan, *, actor: Actor | str, today: dt.date | None = None
) -> int | None:
    """Store the plan in the caller's transaction; returns the write id (None when nothing changed).

    A measure set inactive is retired on `today` (default: the real date).
    """
    acting = require(actor, "catalogue")
    goals = dict(session.execute(select(Goal.code, Goal.id)).all())
    departments = dict(session.execute(select(Department.code, Department.id)).all())
    by_id = {d.id: d for d in session.scalars(select(Department))}
    stored = measure_entries(session)
    log = WriteLog(session, actor=acting, source=f"Katalog «{plan.filename}»", action=CATALOGUE_ACTION)
    today = today or dt.date.today()
    for code, values in plan.measures.items():
        before = stored.get(code)
        if before is not None and all(before[k] == values[k] for k in MEASURE_FIELDS):
            continue
        measure = session.get(Measure, before["id"]) if before else Measure(code=code, is_demo=False)
        if before is None:
            measure.active = True  # so that one entered inactive gets its retirement day
        _set_measure(measure, values, goals, departments, by_id, today)
        if before is None:
            session.add(measure)
        session.flush()
        kind = "insert" if before is None else ("retire" if before["active"] and not values["active"] else "update")
        log.change(
            "measure",
            code,
            kind,
            before=_audit_values({k: before[k] for k in MEASURE_FIELDS}) | {"id": before["id"]} if before else None,
            after=_audit_values({k: values[k] for k in MEASURE_FIELDS}) | {"id": measure.id},
        )
    stored_indicators = indicator_entries(session)
    for indicator_id, values in plan.indicators:
        before = stored_indicators.get(indicator_id)
        if before is not None and before == values:
            continue
        indicator = session.get(Indicator, indicator_id) if before else Indicator(is_demo=False)
        indicator.goal_id = goals[values["goal"]]
        for key in ("name", "unit", "baseline", "baseline_year", "target", "target_year", "direction", "active"):
            setattr(indicator, key, values[key])
        if before is None:
            session.add(indicator)
        session.flush()
        kind = "insert" if before is None else ("retire" if before["active"] and not values["active"] else "update")
        log.change(
            "indicator",
            f"Nr. {indicator.id} {values['name']}",
            kind,
            before=before | {"id": indicator_id} if before else None,
            after=values | {"id": indicator.id},
        )
    if log.record is None:
        return None  # nothing changed: nothing to freeze either
    # A measure's weight, goal, dates or retirement change the sums of frozen periods.
    freeze_closed(session, log)
    log.record.summary = (
        f"Katalog: {plan.count('neu')} neu, {plan.count('geändert')} geändert, "
        f"{plan.count('ausser Kraft')} ausser Kraft."
    )
    session.flush()
    return log.record.id


def undo_catalogue(session: Session, write_id: int, *, actor: Actor | str) -> int:
    """Put the catalogue back as before an import; new entries are removed while nothing refers to them."""
    from tracking.models import IndicatorValue, RowChange

    acting = require(actor, "catalogue")
    record = session.get(WriteRecord, write_id)
    if record is None or record.action != CATALOGUE_ACTION:
        raise TrackingError(f"Katalog-Import {write_id} gibt es nicht.")
    if record.undone_by_id is not None:
        raise TrackingError(
            f"Katalog-Import {write_id} wurde bereits rückgängig gemacht (Vorgang {record.undone_by_id})."
        )
    # The frozen periods' sums the write re-froze are not catalogue entries: re-frozen after the undo.
    changes = session.scalars(
        select(RowChange)
        .where(RowChange.write_id == write_id, RowChange.table_name != FROZEN_TABLE)
        .order_by(RowChange.id)
    ).all()
    _refuse_when_changed_since(session, record, changes)
    log = WriteLog(session, actor=acting, source=f"Rückgängig: Katalog {write_id}", action="undo")
    log.ensure_record()
    goals = dict(session.execute(select(Goal.code, Goal.id)).all())
    departments = dict(session.execute(select(Department.code, Department.id)).all())
    by_id = {d.id: d for d in session.scalars(select(Department))}
    for change in reversed(changes):
        if change.table_name == "measure":
            measure = session.get(Measure, change.after["id"])
            if change.before is None:
                reports = session.scalar(select(func.count()).where(StatusReport.measure_id == measure.id))
                if reports:
                    raise TrackingError(
                        f"Katalog-Import {write_id} kann nicht rückgängig gemacht werden: {measure.code} hat seither "
                        f"{reports} Statusberichte. Die Massnahme stattdessen im Katalog auf «nein» setzen."
                    )
                session.execute(delete(measure_partner).where(measure_partner.c.measure_id == measure.id))
                session.delete(measure)
            else:
                _set_measure(measure, change.before, goals, departments, by_id, dt.date.today())
        elif change.table_name == "indicator":
            indicator = session.get(Indicator, change.after["id"])
            if change.before is None:
                values = session.scalar(select(func.count()).where(IndicatorValue.indicator_id == indicator.id))
                if values:
                    raise TrackingError(
                        f"Katalog-Import {write_id} kann nicht rückgängig gemacht werden: Kennzahl Nr. {indicator.id} "
                        f"hat seither {values} Werte. Die Kennzahl stattdessen im Katalog auf «nein» setzen."
                    )
                session.delete(indicator)
            else:
                indicator.goal_id = goals[change.before["goal"]]
                for key in INDICATOR_FIELDS[1:]:
                    setattr(indicator, key, change.before[key])
        session.flush()
        log.change(change.table_name, change.row_key, "update", before=change.after, after=change.before)
    freeze_closed(session, log)
    record.undone_by_id = log.record.id
    log.record.summary = f"Katalog-Import {write_id} rückgängig gemacht: {len(changes)} Einträge."
    session.flush()
    return len(changes)


def _refuse_when_changed_since(session: Session, record: WriteRecord, changes: list) -> None:
    """Refuse the undo when an entry of the write no longer holds what the write left.

    Putting back the values from before would silently drop the later change
    (a later import or form entry). Once that later change is undone, the entry
    holds the write's values again and the undo goes ahead.
    """
    from tracking.models import RowChange

    measures = {v["id"]: v for v in measure_entries(session).values()} if changes else {}
    indicators = indicator_entries(session) if changes else {}
    for change in changes:
        entry_id = change.after["id"]
        if change.table_name == "measure":
            now, fields = measures.get(entry_id), MEASURE_FIELDS
            now = _audit_values({k: now[k] for k in fields}) if now is not None else None
            what = f"Massnahme {change.row_key}"
        elif change.table_name == "indicator":
            now, fields = indicators.get(entry_id), INDICATOR_FIELDS
            what = f"Kennzahl Nr. {entry_id}"
        else:
            continue
        if now is not None and all(now[k] == change.after.get(k) for k in fields):
            continue
        later = next(
            (
                c.write
                for c in session.scalars(
                    select(RowChange)
                    .where(RowChange.table_name == change.table_name, RowChange.write_id > record.id)
                    .order_by(RowChange.write_id.desc(), RowChange.id.desc())
                )
                if (c.after or c.before or {}).get("id") == entry_id
            ),
            None,
        )
        who = person_label(later.actor, later.actor_name) if later is not None else ""
        by = f" durch Vorgang {later.id} ({later.source}, {who}, {fmt.datetime(later.at)})" if later is not None else ""
        raise TrackingError(
            f"Katalog-Import {record.id} kann nicht rückgängig gemacht werden: {what} wurde seither{by} "
            "geändert. Zuerst die neueren Katalogänderungen rückgängig machen."
        )


def catalogue_history(session: Session, limit: int = 5) -> list[dict[str, Any]]:
    """The latest catalogue writes, newest first, with whether each was undone."""
    return [
        {
            "id": r.id,
            "at": r.at,
            "actor": person_label(r.actor, r.actor_name),
            "source": r.source,
            "summary": r.summary or "",
            "undone_by": r.undone_by_id,
        }
        for r in session.scalars(
            select(WriteRecord)
            .where(WriteRecord.action == CATALOGUE_ACTION)
            .order_by(WriteRecord.id.desc())
            .limit(limit)
        )
    ]


def _set_measure(measure: Measure, values: dict, goals: dict, departments: dict, by_id: dict, today: dt.date) -> None:
    """Give a measure the catalogue values (as planned, or as the audit trail stored them)."""

    def day(value):
        return dt.date.fromisoformat(value) if isinstance(value, str) else value

    measure.goal_id = goals[values["goal"]]
    measure.title = values["title"]
    measure.description = values["description"]
    measure.lead_department_id = departments[values["department"]]
    measure.responsible_unit = values["responsible_unit"]
    measure.contact = values["contact"]
    measure.start_date = day(values["start_date"])
    measure.planned_end = day(values["planned_end"])
    budget = values["budget_chf"]
    measure.budget_chf = Decimal(str(budget)) if budget is not None else None
    measure.weight = values["weight"]
    if measure.active != values["active"]:
        measure.active = values["active"]
        measure.retired_on = None if values["active"] else today
    codes = values["partners"].split(", ") if values["partners"] else []
    measure.partners = [by_id[departments[c]] for c in codes]
