"""The rows of a catalogue workbook (or form) read into values, every problem with sheet, row and column.

Used by the catalogue import (tracking/catalogue.py); the layout is in
tracking/catalogue_export.py, the cells are read with tracking/workbook.py.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from tracking.catalogue_export import (
    CODE,
    DIRECTION_WORDS,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    LABELS,
    MEASURE_COLUMNS,
    MEASURE_SHEET,
    NO,
    YES,
)
from tracking.report_sheet import Column, letter_of
from tracking.text_rules import text_problem
from tracking.vocab import DIRECTIONS
from tracking.workbook import Problem, cell_text, parse_date, parse_number


class RowReader:
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
        return self._yes_no(sheet, row, columns, "active", value, YES)

    def _yes_no(self, sheet, row, columns, key: str, value, empty: str) -> bool | None:
        """ja or nein (and their usual spellings); an empty cell means `empty`."""
        text = (cell_text(value) or empty).casefold()
        if text in (YES, "j", "wahr", "true", "1", "aktiv", "öffentlich"):
            return True
        if text in (NO, "n", "falsch", "false", "0", "inaktiv", "intern"):
            return False
        self.problem(sheet, row, columns, key, f"«{cell_text(value)}» ist nicht erlaubt. Erlaubt: ja, nein.")
        return None

    # --- measures ---------------------------------------------------------------

    def measure(self, raw: list[Any], row: int) -> dict[str, Any] | None:
        """The values of a measure row (code None for a new one); None for an empty row or one with problems."""
        cells = self._cells(raw, MEASURE_COLUMNS)
        if not any(cell_text(v) for v in cells.values()):
            return None
        before = len(self.problems)
        sheet, columns = MEASURE_SHEET, MEASURE_COLUMNS
        code = (cell_text(cells["code"]) or "").upper() or None
        if code is not None and not CODE.match(code):
            self._measure_problem(
                row,
                "code",
                f"«{code}» ist kein Massnahmencode (M-Feld.Ziel.Nummer, z. B. M-5.1.03) – oder leer lassen.",
            )
        goal = self._goal(sheet, row, columns, cells["goal"])
        title = cell_text(cells["title"])
        if not title:
            self._measure_problem(row, "title", "Titel fehlt.")
        for key in ("title", "description", "responsible_unit", "contact"):
            self.text(sheet, row, columns, key, cells[key], key)
        department, partners = self._departments(row, cells)
        dates = self._dates(row, cells)
        budget, weight = self._amounts(row, cells)
        active = self._active(sheet, row, columns, cells["active"])
        # Not public unless someone decided so: an empty cell is «nein».
        public = self._yes_no(sheet, row, columns, "public", cells["public"], NO)
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
            "public": public,
        }

    def _measure_problem(self, row: int, key: str, message: str) -> None:
        self.problem(MEASURE_SHEET, row, MEASURE_COLUMNS, key, message)

    def _departments(self, row: int, cells: dict[str, Any]) -> tuple[str, list[str]]:
        """The lead department and the partner departments, each one that exists."""
        department = (cell_text(cells["department"]) or "").upper()
        if not department:
            self._measure_problem(row, "department", "Federführung fehlt. Bitte ein Departement aus der Liste wählen.")
        elif department not in self.departments:
            self._measure_problem(
                row,
                "department",
                f"Departement «{department}» gibt es nicht. Erlaubt: {', '.join(sorted(self.departments))}.",
            )
        partners = sorted({p.strip().upper() for p in (cell_text(cells["partners"]) or "").split(",") if p.strip()})
        unknown = [p for p in partners if p not in self.departments]
        if unknown:
            self._measure_problem(row, "partners", f"Unbekannte Partnerdepartemente: {', '.join(unknown)}.")
        return department, partners

    def _dates(self, row: int, cells: dict[str, Any]) -> dict[str, Any]:
        """Beginn and geplantes Ende, the end not before the beginning."""
        dates = {}
        for key in ("start_date", "planned_end"):
            try:
                dates[key] = parse_date(cells[key])
            except ValueError:
                self._measure_problem(
                    row, key, f"«{cell_text(cells[key])}» ist kein gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31."
                )
                dates[key] = None
        if dates["start_date"] and dates["planned_end"] and dates["planned_end"] < dates["start_date"]:
            self._measure_problem(row, "planned_end", "Das geplante Ende liegt vor dem Beginn.")
        return dates

    def _amounts(self, row: int, cells: dict[str, Any]) -> tuple[Decimal | None, float]:
        """The budget in francs (to the centime, not negative) and the weight (above 0, default 1)."""
        budget = None
        if cell_text(cells["budget_chf"]):
            try:
                budget = Decimal(str(parse_number(cells["budget_chf"]))).quantize(Decimal("0.01"))
                if budget < 0:
                    raise ValueError
            except (ValueError, InvalidOperation):
                self._measure_problem(
                    row, "budget_chf", f"«{cell_text(cells['budget_chf'])}» ist kein Betrag in Franken (z. B. 250000)."
                )
                budget = None
        weight = 1.0
        if cell_text(cells["weight"]):
            try:
                weight = parse_number(cells["weight"])
                if weight <= 0:
                    raise ValueError
            except ValueError:
                self._measure_problem(
                    row, "weight", f"«{cell_text(cells['weight'])}» ist kein gültiges Gewicht: eine Zahl grösser als 0."
                )
        return budget, weight

    # --- indicators -------------------------------------------------------------

    def indicator(self, raw: list[Any], row: int, stored: dict[int, dict]) -> tuple[int | None, dict] | None:
        """(id or None for a new one, values) of an indicator row; None for an empty row or one with problems."""
        cells = self._cells(raw, INDICATOR_COLUMNS)
        if not any(cell_text(v) for v in cells.values()):
            return None
        before = len(self.problems)
        sheet, columns = INDICATOR_SHEET, INDICATOR_COLUMNS
        indicator_id = self._indicator_id(row, cells, stored)
        goal = self._goal(sheet, row, columns, cells["goal"])
        if indicator_id in stored and goal and goal != stored[indicator_id]["goal"]:
            self._indicator_problem(
                row, "goal", f"Kennzahl Nr. {indicator_id} gehört zu Ziel {stored[indicator_id]['goal']}, nicht {goal}."
            )
        name = cell_text(cells["name"])
        if not name:
            self._indicator_problem(row, "name", "Name der Kennzahl fehlt.")
        unit = cell_text(cells["unit"])
        if not unit:
            self._indicator_problem(row, "unit", "Einheit fehlt (z. B. Anzahl, %, CHF).")
        self.text(sheet, row, columns, "name", cells["name"], "indicator_name")
        self.text(sheet, row, columns, "unit", cells["unit"], "unit")
        numbers = self._numbers(row, cells)
        direction_text = cell_text(cells["direction"]) or DIRECTIONS["hoeher"]
        direction = DIRECTION_WORDS.get(direction_text.casefold().strip())
        if direction is None:
            self._indicator_problem(
                row, "direction", f"«{direction_text}» ist keine Richtung. Erlaubt: {', '.join(DIRECTIONS.values())}."
            )
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

    def _indicator_problem(self, row: int, key: str, message: str) -> None:
        self.problem(INDICATOR_SHEET, row, INDICATOR_COLUMNS, key, message)

    def _indicator_id(self, row: int, cells: dict[str, Any], stored: dict[int, dict]) -> int | None:
        """The stored indicator the row names (-1 for a number that is none), None for a new one."""
        if not cell_text(cells["id"]):
            return None
        try:
            indicator_id = int(parse_number(cells["id"]))
        except ValueError:
            indicator_id = -1
        if indicator_id not in stored:
            self._indicator_problem(
                row,
                "id",
                f"Kennzahl Nr. {cell_text(cells['id'])} gibt es nicht. Für eine neue Kennzahl Nr. leer lassen.",
            )
        return indicator_id

    def _numbers(self, row: int, cells: dict[str, Any]) -> dict[str, Any]:
        """Ausgangswert and Zielwert (numbers), Ausgangsjahr and Zieljahr (years 1900 to 2100), each or None."""
        numbers: dict[str, Any] = {}
        for key in ("baseline", "target"):
            numbers[key] = None
            if cell_text(cells[key]):
                try:
                    numbers[key] = parse_number(cells[key])
                except ValueError:
                    self._indicator_problem(
                        row, key, f"«{cell_text(cells[key])}» ist keine Zahl. Erlaubt: z. B. 1234.5 oder 1'234.5."
                    )
        for key in ("baseline_year", "target_year"):
            numbers[key] = None
            if cell_text(cells[key]):
                try:
                    year = parse_number(cells[key])
                    if not (1900 <= year <= 2100 and float(year).is_integer()):
                        raise ValueError
                    numbers[key] = int(year)
                except ValueError:
                    self._indicator_problem(row, key, f"«{cell_text(cells[key])}» ist kein Jahr (z. B. 2030).")
        return numbers
