"""Import a filled-in status report: check the file, validate every cell, preview, save, undo.

The file is checked for what it is before it is parsed (tracking/workbook.py).
Then every problem is collected at once (tracking/status_validation.py), each
with sheet, row and column as Excel shows them. Nothing is written until the
caller confirms; saving is one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracking.access import Actor, require, require_scope
from tracking.audit import WriteLog, person_label, write_label
from tracking.errors import TrackingError
from tracking.indicators import current_value, record_value
from tracking.models import (
    ActionField,
    Department,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
    RowChange,
    StatusReport,
    WriteRecord,
    local_now,
)
from tracking.periods import get_period, lock_period, reference_day
from tracking.report_sheet import (
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    META_SHEET,
    REPORT_COLUMN,
    REPORT_COLUMNS,
    REPORT_SHEET,
    TEMPLATE_VERSION,
    letter_of,
)
from tracking.reports import (
    Reportable,
    ReportItem,
    current_reports,
    earlier_reports,
    last_write_id,
    record_reports,
    reportable_measures,
)
from tracking.scope import Scope, indicator_scopes, measure_scopes
from tracking.sign_off import needs_sign_off, submission_scopes, submit_reports, withdraw_import
from tracking.status_validation import (
    Change,
    IndicatorRow,
    ReportRow,
    ReportRowValidator,
    RowHints,
    compare,
    row_hints,
    show_value,
    validate_indicators,
)
from tracking.workbook import (
    ChangeCounts,
    ImportRefused,
    Problem,
    cell_text,
    check_file,
    check_header,
    field_changes,
    gc_paused,
    has_percent_style,
    open_workbook,
    percent_cells,
    read_sheet,
    refusal,
)

# The pages import ImportRefused and show_value from here, too.

IMPORT_ACTION = "import"

ProgressCallback = Callable[[float, str], None]


@dataclass
class ImportPlan(ChangeCounts):
    filename: str
    period: str
    scope: Scope
    reports: list[ReportRow]
    indicators: list[IndicatorRow]
    changes: list[Change]
    empty_rows: int
    data_size: int = 0
    # The current reports the plan was compared with, and the last write id read
    # just before them: apply_import reuses them when no write came in between.
    current: dict[int, tuple[int, tuple]] | None = field(default=None, repr=False)
    write_mark: int | None = None
    source: str | None = None  # for the audit trail; default: the file name
    # Plausibility warnings of the file's reports (they never block): one entry per row with any.
    hints: list[RowHints] = field(default_factory=list)

    @property
    def source_label(self) -> str:
        return self.source or f"Excel «{self.filename}»"

    def summary_lines(self) -> list[str]:
        lines = [
            f"Datei «{self.filename}»: Berichtsperiode {self.period}, {self.scope.label}.",
            f"{self.count('neu')} neu, {self.count('geändert')} geändert, {self.count('unverändert')} unverändert"
            + (
                f", {self.empty_rows} {'Zeile' if self.empty_rows == 1 else 'Zeilen'} ohne Angaben (keine Meldung)."
                if self.empty_rows
                else "."
            ),
        ]
        lines += self.change_lines()
        if self.hints:
            count = sum(len(h.hints) for h in self.hints)
            lines.append(
                f"{count} {'Plausibilitätshinweis' if count == 1 else 'Plausibilitätshinweise'} "
                "(speichern ist trotzdem möglich; eine Erläuterung gehört in «Erläuterung zu Hinweisen»):"
            )
            for row in self.hints:
                said = f" – Erläuterung: {row.explanation}" if row.explanation else ""
                for hint in row.hints:
                    lines.append(f"  Zeile {row.row}, {row.code}: {hint.message}{said}")
        return lines

    def detail(self, change: Change) -> str:
        # A new report's values are all new: only a changed one lists them.
        return field_changes(change.fields, show_value, {}) if change.kind == "geändert" else ""


def read_meta(workbook: CalamineWorkbook) -> dict[str, str]:
    if META_SHEET not in workbook.sheet_names:
        raise refusal(
            "Die Datei ist keine Vorlage dieses Tools (das verborgene Blatt «_meta» fehlt). "
            "Bitte die Vorlage unter «Statusbericht» herunterladen und diese ausfüllen."
        )
    meta = {}
    for row in read_sheet(workbook, META_SHEET):
        if len(row) >= 2 and cell_text(row[0]):
            meta[cell_text(row[0])] = cell_text(row[1]) or ""
    return meta


@gc_paused()
def plan_import(
    session: Session,
    data: bytes,
    filename: str = "Datei",
    *,
    expected_period: str | None = None,
    actor: Actor | None = None,
    progress: ProgressCallback | None = None,
) -> ImportPlan:
    """Validate the whole file and compare it with the current values; write nothing."""
    report = progress or (lambda _f, _t: None)
    report(0.0, "Datei wird geprüft …")
    check_file(data, filename)
    workbook = open_workbook(data, filename)
    if REPORT_SHEET not in workbook.sheet_names:
        found = ", ".join(f"«{n}»" for n in workbook.sheet_names if n != META_SHEET) or "keine"
        raise refusal(f"Das Blatt «{REPORT_SHEET}» fehlt (gefunden: {found}). Bitte die Vorlage des Tools verwenden.")
    meta = read_meta(workbook)
    period, scope = _template_period_and_scope(session, meta, expected_period)

    report(0.1, "Blatt «Statusbericht» wird gelesen …")
    rows = read_sheet(workbook, REPORT_SHEET)
    problems = check_header(rows, REPORT_SHEET, REPORT_COLUMNS)
    indicator_rows: list[list[Any]] = []
    if INDICATOR_SHEET in workbook.sheet_names:
        indicator_rows = read_sheet(workbook, INDICATOR_SHEET)
        if any(cell_text(c) for r in indicator_rows[HEADER_ROW:] for c in r):
            problems += check_header(indicator_rows, INDICATOR_SHEET, INDICATOR_COLUMNS)
    if problems:
        raise ImportRefused(problems)

    # A number in a percent-formatted cell (100 % arrives as 1.0, 200 % as 2.0)
    # can only be told apart by its format: read the formats whenever the
    # workbook has a percent style at all (the tool's template has none).
    progress_letter = letter_of(REPORT_COLUMNS, "progress")
    percent_rows = percent_cells(data, REPORT_SHEET, progress_letter) if has_percent_style(data) else set()
    plan = _plan_rows(session, period, scope, rows[HEADER_ROW:], indicator_rows, percent_rows, actor, report)
    plan.filename, plan.data_size = filename, len(data)
    return plan


def _template_period_and_scope(
    session: Session, meta: dict[str, str], expected_period: str | None
) -> tuple[ReportingPeriod, Scope]:
    """The open period and the scope a template was made for, from its hidden sheet «_meta»."""
    version = meta.get("template_version")
    if version != TEMPLATE_VERSION:
        raise refusal(
            f"Die Vorlage hat die Version «{version or '–'}», erwartet wird «{TEMPLATE_VERSION}». "
            "Bitte eine neue Vorlage herunterladen und die Angaben übertragen."
        )
    period_name = meta.get("period", "")
    if expected_period and period_name != expected_period:
        raise refusal(
            f"Die Datei ist eine Vorlage für die Berichtsperiode {period_name or '–'}, gewählt ist {expected_period}. "
            f"Bitte die Vorlage für {expected_period} verwenden oder die Periode wechseln."
        )
    try:
        period = get_period(session, period_name)
    except TrackingError as exc:
        raise refusal(f"Die Vorlage nennt die Berichtsperiode «{period_name}», die es nicht gibt.") from exc
    if not period.is_open:
        raise refusal(
            f"Die Berichtsperiode {period.name} ist geschlossen: Meldungen sind nicht mehr möglich. "
            "Bitte die Fachstelle kontaktieren, falls eine Korrektur nötig ist."
        )
    try:
        scope = Scope.parse(meta.get("scope", ""))
    except TrackingError as exc:
        raise refusal(f"Der Geltungsbereich der Vorlage «{meta.get('scope')}» ist unbekannt.") from exc
    return period, scope


@gc_paused()
def plan_entries(
    session: Session,
    entries: list[dict[str, Any]],
    *,
    period: str,
    scope: Scope,
    actor: Actor | None = None,
    source: str = "Browser-Tabelle",
) -> ImportPlan:
    """The same checks, comparison and preview for reports typed into a table in the browser.

    entries: one dict per measure by REPORT_COLUMNS key (code, status, light,
    progress, comment, next_steps, risks, as_of); status and light as shown
    («in Umsetzung», «grün»). A problem names the table's row as Zeile 2 for
    the first, as in the template.
    """
    found = get_period(session, period)
    if not found.is_open:
        raise refusal(f"Die Berichtsperiode {found.name} ist geschlossen: Meldungen sind nicht mehr möglich.")
    rows = [[entry.get(c.key) for c in REPORT_COLUMNS] for entry in entries]
    plan = _plan_rows(session, found, scope, rows, [], set(), actor, lambda _f, _t: None)
    plan.filename, plan.source = source, source
    return plan


def _plan_rows(
    session: Session,
    period: ReportingPeriod,
    scope: Scope,
    rows: list[list[Any]],
    indicator_rows: list[list[Any]],
    percent_rows: set[int],
    actor: Actor | None,
    report: ProgressCallback,
) -> ImportPlan:
    """Check report rows (raw cells in REPORT_COLUMNS order, the first is Excel row 2) and compare."""
    try:
        reportable = reportable_measures(session, period, scope)
    except TrackingError as exc:  # e.g. a field retired since the template was made
        raise ImportRefused([Problem(f"Vorlage für {scope.label}: {m}") for m in exc.messages]) from exc
    allowed = {r.code: r for r in reportable}
    # The last two reports before the period: what «unverändert» carries and the plausibility rules read.
    earlier = earlier_reports(session, period, [r.measure_id for r in reportable])
    validate = ReportRowValidator(session, allowed, percent_rows, scope, earlier)
    reports, empty_rows = _check_rows(validate, rows, report)
    problems = validate.problems
    if actor is not None and actor.role != "admin":
        problems += _outside_scope(actor, reports, allowed)

    report(0.75, "Kennzahlen werden geprüft …")
    indicators, indicator_problems = validate_indicators(session, indicator_rows, reportable)
    problems += indicator_problems
    if problems:
        raise ImportRefused(problems)

    report(0.85, "Vergleich mit den gespeicherten Werten …")
    write_mark = last_write_id(session)
    current = current_reports(session, period.id)
    changes = compare(session, period, current, reports, indicators)
    # Warnings for what this file changes: a row as stored was warned about when it came in.
    changing = {c.row for c in changes if c.what == "Statusbericht" and c.kind != "unverändert"}
    day = reference_day(period.start_date, period.end_date, period.is_open)
    hints = row_hints([r for r in reports if r.row in changing], allowed, earlier, day)
    report(1.0, "Prüfung abgeschlossen.")
    return ImportPlan(
        "", period.name, scope, reports, indicators, changes, empty_rows, 0, current, write_mark=write_mark, hints=hints
    )


def _check_rows(
    validate: ReportRowValidator, rows: list[list[Any]], report: ProgressCallback
) -> tuple[list[ReportRow], int]:
    """The report rows that passed, and how many were empty; the problems stay with the validator."""
    reports: list[ReportRow] = []
    empty_rows = 0
    total = max(len(rows), 1)
    for offset, raw in enumerate(rows):
        excel_row = HEADER_ROW + 1 + offset
        if offset % 2000 == 0:
            report(0.1 + 0.6 * offset / total, f"Zeile {excel_row} von {len(rows) + HEADER_ROW} wird geprüft …")
        parsed = validate(raw, excel_row)
        if parsed == "empty":
            empty_rows += 1
        elif parsed is not None:
            reports.append(parsed)
    return reports, empty_rows


def _outside_scope(actor: Actor, reports: list[ReportRow], allowed: dict[str, Reportable]) -> list[Problem]:
    """Every row outside the uploader's scope, named now; apply_import refuses them too."""
    problems = []
    for row in reports:
        measure = allowed[row.code]
        if not actor.covers(measure.field_code, measure.department_code):
            problems.append(
                Problem(
                    f"Massnahme {row.code} liegt ausserhalb Ihres Geltungsbereichs ({actor.scope_label}).",
                    REPORT_SHEET,
                    row.row,
                    letter_of(REPORT_COLUMNS, "code"),
                    REPORT_COLUMN["code"].header,
                )
            )
    return problems


# --- saving and undoing -----------------------------------------------------


@dataclass
class ImportResult:
    write_id: int | None
    reports_written: int
    values_written: int
    # With sign-off: the reports that wait for the department head's release (none written yet).
    reports_submitted: int = 0


@gc_paused()
def apply_import(
    session: Session, plan: ImportPlan, *, actor: Actor | str, progress: ProgressCallback | None = None
) -> ImportResult:
    """Store every row of the plan in the caller's transaction (all or nothing)."""
    report = progress or (lambda _f, _t: None)
    acting = require(actor, "import")
    period = get_period(session, plan.period)
    if not lock_period(session, period.id):
        raise refusal(f"Die Berichtsperiode {period.name} wurde inzwischen geschlossen; nichts gespeichert.")
    # Compared again with the stored values when another write landed since
    # the plan was made (read under the period's lock). Only rows that change
    # something need to be in the uploader's scope: an unchanged, pre-filled
    # row of a wider template writes nothing.
    if plan.current is not None and plan.write_mark == last_write_id(session):
        current = plan.current
    else:
        current = current_reports(session, period.id)
    if acting.role != "admin":
        changing = [
            r.measure_id for r in plan.reports if (old := current.get(r.measure_id)) is None or old[1] != r.values
        ]
        require_scope(acting, measure_scopes(session, changing), "melden")
        changing_values = [
            r.indicator_id
            for r in plan.indicators
            if (v := current_value(session, r.indicator_id, period.id)) is None or v.value != r.value
        ]
        require_scope(acting, indicator_scopes(session, acting, changing_values), "melden")
    log = WriteLog(session, actor=acting, source=plan.source_label, action=IMPORT_ACTION)
    now = local_now()
    report(0.1, f"{len(plan.reports)} Meldungen werden gespeichert …")
    items = [
        ReportItem(
            row.measure_id,
            row.code,
            row.values,
            dt.datetime.combine(row.as_of, dt.time(12)) if row.as_of else now,
        )
        for row in plan.reports
    ]
    submitted = 0
    if needs_sign_off(session, acting):
        # Freigabe: the reports wait for the department head; key figures count at once.
        submitted = submit_reports(session, log, actor=acting, period=period, items=items, current=current)
        written = 0
    else:
        written = record_reports(session, log, period=period, items=items, current=current)
    values = 0
    indicators = {
        i.id: i
        for i in session.scalars(select(Indicator).where(Indicator.id.in_([r.indicator_id for r in plan.indicators])))
    }
    for row in plan.indicators:
        if record_value(
            session, log, indicator=indicators[row.indicator_id], period=period, value=row.value, reported_at=now
        ):
            values += 1
    if log.record is not None:
        reports = f"{submitted} Meldungen zur Freigabe eingereicht" if submitted else f"{written} Meldungen"
        log.record.summary = (
            f"Periode {plan.period}, {plan.scope.label}: {reports}, {values} Kennzahlwerte gespeichert."
        )
    session.flush()
    report(1.0, "Gespeichert.")
    return ImportResult(log.record.id if log.record else None, written, values, submitted)


# The tables an import writes, and the column that says whose row it is (for the scope check of an undo).
_MODELS = {"status_report": StatusReport, "indicator_value": IndicatorValue}
_OWNER = {"status_report": "measure_id", "indicator_value": "indicator_id"}


@dataclass
class WrittenRows:
    """What an import wrote, read for its undo under the locks of its periods."""

    changes: list[Any]  # (table_name, row_key, before, after), in order
    rows: dict[str, dict[int, Any]]  # table -> row id -> (id, period_id, is_current, owner id)
    closed: list[str]  # names of the periods closed meanwhile

    def scopes(self, session: Session, actor: Actor) -> list[list[tuple[str, str | None, str | None]]]:
        """The rows for require_scope: the measures reported, then the key figures."""
        measure_ids = [row[3] for row in self.rows["status_report"].values()]
        indicator_ids = [row[3] for row in self.rows["indicator_value"].values()]
        return [measure_scopes(session, measure_ids), indicator_scopes(session, actor, indicator_ids)]


def written_rows(session: Session, record: WriteRecord) -> WrittenRows:
    """The rows an import wrote; takes the locks of their periods and rereads the record under them."""
    changes = session.execute(
        select(RowChange.table_name, RowChange.row_key, RowChange.before, RowChange.after)
        .where(RowChange.write_id == record.id, RowChange.table_name.in_(list(_MODELS)))
        .order_by(RowChange.id)
    ).all()

    def read_rows() -> dict[str, dict[int, Any]]:
        """The rows the import wrote: id, period, whether current, whose (measure or indicator)."""
        return {
            name: {
                row.id: row
                for row in session.execute(
                    select(model.id, model.period_id, model.is_current, getattr(model, _OWNER[name])).where(
                        model.id.in_([c.after["id"] for c in changes if c.table_name == name])
                    )
                )
            }
            for name, model in _MODELS.items()
        }

    # Queue behind other writes of the same periods first, then check under the lock.
    period_ids = sorted({row.period_id for by_id in read_rows().values() for row in by_id.values()})
    closed = [session.get(ReportingPeriod, pid).name for pid in period_ids if not lock_period(session, pid)]
    rows = read_rows()
    session.refresh(record)
    return WrittenRows(changes, rows, closed)


def refuse_when_replaced_since(session: Session, record: WriteRecord, written: WrittenRows) -> None:
    """Refuse the undo when a later write replaced a row of the import, naming the row and that write.

    Undoing it would silently drop the later report. Once that later write is
    undone, the import's row is current again and the undo goes ahead.
    """
    for change in written.changes:
        row = written.rows[change.table_name].get(change.after["id"])
        if row is not None and row.is_current:
            continue
        later = _replaced_by(session, record, change.table_name, change.row_key, row)
        by = f" durch {write_label(later)}" if later is not None else ""
        what = "Meldung" if change.table_name == "status_report" else "Kennzahlwert Nr."
        raise TrackingError(
            f"Import {record.id} kann nicht rückgängig gemacht werden: {what} {change.row_key} wurde seither{by} "
            "ersetzt. Zuerst die neueren Importe rückgängig machen."
        )


def _replaced_by(session: Session, record: WriteRecord, table: str, key: str, row: Any) -> WriteRecord | None:
    """The later write whose row of the same measure (or indicator) and period is current now,
    else the latest later write that touched that row."""
    model = _MODELS[table]
    if row is not None:
        writer = session.scalar(
            select(model.write_id).where(
                getattr(model, _OWNER[table]) == row[3], model.period_id == row.period_id, model.is_current.is_(True)
            )
        )
        if writer is not None and writer > record.id:
            return session.get(WriteRecord, writer)
    return session.scalar(
        select(WriteRecord)
        .join(RowChange, RowChange.write_id == WriteRecord.id)
        .where(RowChange.table_name == table, RowChange.row_key == key, RowChange.write_id > record.id)
        .order_by(RowChange.write_id.desc())
        .limit(1)
    )


def undo_import(session: Session, write_id: int, *, actor: Actor | str) -> int:
    """Put back the values from before an import; returns how many rows were restored."""
    acting = require(actor, "undo")
    record = session.get(WriteRecord, write_id)
    if record is None or record.action != IMPORT_ACTION:
        raise TrackingError(f"Import {write_id} gibt es nicht.")
    written = written_rows(session, record)
    for rows in written.scopes(session, acting):
        require_scope(acting, rows, "zurücksetzen")
    if record.undone_by_id is not None:
        raise TrackingError(f"Import {write_id} wurde bereits rückgängig gemacht (Vorgang {record.undone_by_id}).")
    refuse_when_replaced_since(session, record, written)
    if written.closed:
        raise TrackingError(
            f"Import {write_id} betrifft die geschlossene Periode {', '.join(written.closed)} "
            "und kann nicht rückgängig gemacht werden."
        )
    require_scope(acting, submission_scopes(session, write_id), "zurücksetzen")
    log = WriteLog(session, actor=acting, source=f"Rückgängig: Import {write_id}", action="undo")
    log.ensure_record()
    withdrawn = withdraw_import(session, log, write_id)
    _put_back(session, log, written.changes)
    record.undone_by_id = log.record.id
    rows = len(written.changes) + withdrawn
    log.record.summary = f"Import {write_id} rückgängig gemacht: {rows} Zeilen auf den früheren Stand."
    session.flush()
    return rows


def _put_back(session: Session, log: WriteLog, changes: list[Any]) -> None:
    """Make the rows an import replaced current again, and its own rows not; logged as the undo's changes."""
    for name, model in _MODELS.items():
        of_table = [c for c in changes if c.table_name == name]
        retire = [c.after["id"] for c in of_table]
        restore = [c.before["id"] for c in of_table if c.before is not None]
        # Retire first: one current row per measure (or indicator) and period.
        for ids, flag in ((retire, False), (restore, True)):
            for start in range(0, len(ids), 500):
                session.execute(
                    update(model.__table__)
                    .where(model.__table__.c.id.in_(ids[start : start + 500]))
                    .values(is_current=flag)
                )
        log.changes(name, [(c.row_key, "update", c.after, c.before) for c in reversed(of_table)])
    # The bulk UPDATEs bypass the identity map: rows already loaded reread is_current.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, StatusReport | IndicatorValue):
            session.expire(obj, ["is_current"])


def import_history(session: Session) -> list[dict[str, Any]]:
    """Every import, newest first: who, when, what, how many rows, whether it was undone,
    and scopes: the (action field, lead department) pairs of the measures it reported."""
    records = session.execute(
        select(WriteRecord.id, WriteRecord.at, WriteRecord.actor, WriteRecord.source, WriteRecord.summary)
        .add_columns(WriteRecord.undone_by_id, WriteRecord.actor_name)
        .where(WriteRecord.action == IMPORT_ACTION)
        .order_by(WriteRecord.id.desc())
    ).all()
    # Counted and scoped in SQL: a big import has thousands of rows.
    rows = dict(
        session.execute(
            select(RowChange.write_id, func.count())
            .join(WriteRecord, WriteRecord.id == RowChange.write_id)
            .where(WriteRecord.action == IMPORT_ACTION)
            .group_by(RowChange.write_id)
        ).all()
    )
    scopes: dict[int, set[tuple[str, str | None]]] = {}
    for write_id, field_code, department in session.execute(
        select(StatusReport.write_id, ActionField.code, Department.code)
        .join(WriteRecord, WriteRecord.id == StatusReport.write_id)
        .join(Measure, Measure.id == StatusReport.measure_id)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .where(WriteRecord.action == IMPORT_ACTION)
        .distinct()
    ):
        scopes.setdefault(write_id, set()).add((field_code, department))
    return [
        {
            "id": write_id,
            "at": at,
            "actor": person_label(actor, actor_name),
            "source": source,
            "summary": summary or "",
            "rows": rows.get(write_id, 0),
            "undone_by": undone_by,
            "scopes": scopes.get(write_id, set()),
        }
        for write_id, at, actor, source, summary, undone_by, actor_name in records
    ]
