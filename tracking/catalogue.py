"""The measures catalogue in Excel: checked changes in, preview, save, undo.

The strategy names no measures; departments define them and add more over
the years. The catalogue workbook (tracking/catalogue_export.py) lists them
all; an import adds new ones, updates changed ones and retires those marked
inactive (a retired measure counts in the periods that began before, never in
later ones, and is never deleted). The same rules as the status import
(tracking/excel_import.py), with the same file checks (tracking/workbook.py):
every problem comes with sheet, row and column (tracking/catalogue_rows.py),
a preview says what changes, saving is one transaction, the same file twice
changes nothing, and an import can be undone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tracking.access import Actor, require
from tracking.audit import WriteLog, person_label, write_label
from tracking.catalogue_export import (
    CODE,
    INDICATOR_COLUMNS,
    INDICATOR_FIELDS,
    INDICATOR_SHEET,
    LABELS,
    MEASURE_COLUMNS,
    MEASURE_FIELDS,
    MEASURE_SHEET,
    NO,
    YES,
    export_catalogue,
    indicator_entries,
    measure_entries,
)
from tracking.catalogue_rows import RowReader
from tracking.errors import TrackingError
from tracking.frozen import TABLE as FROZEN_TABLE
from tracking.frozen import freeze_closed
from tracking.models import (
    Department,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    RowChange,
    StatusReport,
    WriteRecord,
    measure_partner,
)
from tracking.report_sheet import HEADER_ROW
from tracking.vocab import DIRECTIONS
from tracking.workbook import (
    ChangeCounts,
    ImportRefused,
    check_file,
    check_header,
    field_changes,
    open_workbook,
    read_sheet,
    refusal,
    shown,
)

# The catalogue's names, and those of tracking/catalogue_export.py the callers import from here.
__all__ = [
    "CATALOGUE_ACTION",
    "INDICATOR_SHEET",
    "LABELS",
    "MEASURE_SHEET",
    "NO",
    "YES",
    "CatalogueChange",
    "CataloguePlan",
    "apply_catalogue",
    "catalogue_changes",
    "catalogue_history",
    "export_catalogue",
    "indicator_entries",
    "measure_entries",
    "plan_catalogue",
    "plan_entries",
    "refuse_when_changed_since",
    "shown_value",
    "undo_catalogue",
]

CATALOGUE_ACTION = "catalogue"


@dataclass
class CatalogueChange:
    kind: str  # "neu", "geändert", "ausser Kraft", "unverändert"
    what: str  # "Massnahme" or "Kennzahl"
    key: str
    row: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class CataloguePlan(ChangeCounts):
    filename: str
    measures: dict[str, dict[str, Any]]  # code -> values (new codes assigned)
    indicators: list[tuple[int | None, dict[str, Any]]]  # (id or None for new, values)
    changes: list[CatalogueChange]

    def summary_lines(self) -> list[str]:
        return [
            f"Datei «{self.filename}»: {self.count('neu')} neu, {self.count('geändert')} geändert, "
            f"{self.count('ausser Kraft')} ausser Kraft, {self.count('unverändert')} unverändert.",
            *self.change_lines(),
        ]

    def detail(self, change: CatalogueChange) -> str:
        return field_changes(change.fields, shown_value, LABELS) if change.fields else ""


def shown_value(value: Any) -> str:
    """A catalogue value for the preview: dates as 31.12.2026, a direction by its label."""
    return shown(value, DIRECTIONS)


def plan_catalogue(session: Session, data: bytes, filename: str = "Datei") -> CataloguePlan:
    """Check the whole file and compare it with the stored catalogue; write nothing."""
    check_file(data, filename)
    workbook = open_workbook(data, filename)
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
    reader = RowReader(goals, departments)
    measures, rows_of = _plan_measures(reader, measure_rows, stored)
    stored_indicators = indicator_entries(session)
    indicators, indicator_row_of = _plan_indicators(reader, indicator_rows, stored_indicators)
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


def _plan_measures(
    reader: RowReader, measure_rows: list[list[Any]], stored: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The measures of the rows by code, new ones with their code assigned, and the row each came from."""
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
        problem = _code_problem(code, values, stored.get(code))
        if problem is not None:
            reader.problem(MEASURE_SHEET, excel_row, MEASURE_COLUMNS, *problem)
            continue
        measures[code] = values
    _add_new_measures(reader, new_rows, stored, measures, rows_of)
    return measures, rows_of


def _code_problem(code: str, values: dict[str, Any], before: dict[str, Any] | None) -> tuple[str, str] | None:
    """(column key, message) when a measure's code does not fit its goal."""
    if before is not None and values["goal"] != before["goal"]:
        return (
            "goal",
            f"Massnahme {code} gehört zu Ziel {before['goal']}, nicht {values['goal']}. Eine Massnahme wechselt "
            "das Ziel nicht: für das andere Ziel eine neue Zeile ohne Code anfügen, diese auf «nein» setzen.",
        )
    if before is None and (match := CODE.match(code)) and match.group(1) != values["goal"]:
        return (
            "code",
            f"Der Code {code} passt nicht zu Ziel {values['goal']} (erwartet M-{values['goal']}.…). "
            "Code leer lassen, dann vergibt ihn das Tool.",
        )
    return None


def _add_new_measures(
    reader: RowReader,
    new_rows: list[tuple[int, dict[str, Any]]],
    stored: dict[str, dict[str, Any]],
    measures: dict[str, dict[str, Any]],
    rows_of: dict[str, int],
) -> None:
    """Rows without a code: a measure stored under the same goal and title (so the same
    file twice adds nothing), else a new one with the next free number of its goal."""
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


def _plan_indicators(
    reader: RowReader, indicator_rows: list[list[Any]], stored_indicators: dict[int, dict[str, Any]]
) -> tuple[list[tuple[int | None, dict[str, Any]]], dict[Any, int]]:
    """The indicators of the rows (id None for a new one), and the row of each by id or (goal, name)."""
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
    return indicators, indicator_row_of


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

    acting = require(actor, "catalogue")
    record = session.get(WriteRecord, write_id)
    if record is None or record.action != CATALOGUE_ACTION:
        raise TrackingError(f"Katalog-Import {write_id} gibt es nicht.")
    if record.undone_by_id is not None:
        raise TrackingError(
            f"Katalog-Import {write_id} wurde bereits rückgängig gemacht (Vorgang {record.undone_by_id})."
        )
    changes = catalogue_changes(session, write_id)
    refuse_when_changed_since(session, record, changes)
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


def catalogue_changes(session: Session, write_id: int) -> list[RowChange]:
    """The entries a catalogue write changed, in order.

    The frozen periods' sums the write re-froze are not catalogue entries: re-frozen after an undo.
    """
    return session.scalars(
        select(RowChange)
        .where(RowChange.write_id == write_id, RowChange.table_name != FROZEN_TABLE)
        .order_by(RowChange.id)
    ).all()


def refuse_when_changed_since(session: Session, record: WriteRecord, changes: list[RowChange]) -> None:
    """Refuse the undo when an entry of the write no longer holds what the write left.

    Putting back the values from before would silently drop the later change
    (a later import or form entry). Once that later change is undone, the entry
    holds the write's values again and the undo goes ahead.
    """
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
        by = f" durch {write_label(later)}" if later is not None else ""
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
    # An audit row from before the flag existed leaves it as it is.
    measure.public = values.get("public", measure.public)
    codes = values["partners"].split(", ") if values["partners"] else []
    measure.partners = [by_id[departments[c]] for c in codes]


def set_public_measures(session: Session, log: WriteLog, codes: list[str], source: str) -> list[str]:
    """Exactly the listed measures public (the strategy definition's «public_measures»), each change
    logged; a code the catalogue does not know refuses the whole load. Returns the changes in words."""
    measures = {m.code: m for m in session.scalars(select(Measure))}
    unknown = [c for c in codes if c not in measures]
    if unknown:
        raise TrackingError(
            f"{source}: Abschnitt «public_measures»: Massnahme {', '.join(unknown)} gibt es nicht. "
            "Zuerst den Massnahmenkatalog laden, dann die Definition."
        )
    changes = []
    for code, measure in sorted(measures.items()):
        public = code in codes
        if measure.public != public:
            log.change("measure", code, "update", before={"public": measure.public}, after={"public": public})
            measure.public = public
            changes.append(f"{'öffentlich' if public else 'nicht mehr öffentlich'}: Massnahme {code}")
    return changes
