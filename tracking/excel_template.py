"""The status report template a coordinator downloads, fills in and uploads.

Written with openpyxl (styles, protection and data validation need it). The
hidden sheet _meta and the workbook's custom properties hold the period, the
scope and the template version, so the import knows what it reads.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.errors import TrackingError
from tracking.models import Goal, Indicator, IndicatorValue, ReportingPeriod
from tracking.periods import get_period
from tracking.report_sheet import (
    GUIDE_SHEET,
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    META_SHEET,
    REPORT_COLUMN,
    REPORT_COLUMNS,
    REPORT_SHEET,
    TEMPLATE_VERSION,
    YES,
    letter_of,
)
from tracking.reports import last_report_texts, owing_reports
from tracking.scope import Scope
from tracking.vocab import DIRECTIONS, LIGHTS, STATUSES
from tracking.xlsx import put_cell

HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
HEADER_FONT = Font(bold=True, color="FFFFFF")


def template_rows(session: Session, period: ReportingPeriod, scope: Scope) -> pd.DataFrame:
    """The measures a template for this period and scope holds: what this period holds for each
    (empty where nothing came in yet) and the text of the last report before it."""
    rows = owing_reports(session, period, scope)
    texts = last_report_texts(session, period, rows["measure_id"].tolist())
    rows["last_report"] = rows["measure_id"].map(texts)
    goal_codes = dict(session.execute(select(Goal.id, Goal.code)).all())
    rows["goal_code"] = rows["goal_id"].map(goal_codes)
    return rows


WRAPPED = ("title", "last_report", "comment", "next_steps", "risks", "explanation")
LINE_POINTS = 15  # the height of one line of 11-point text


def _row_height(values: dict) -> float:
    """Tall enough for the longest wrapped text (at most 8 lines): spreadsheets do not grow a
    row for wrapped text they did not type themselves, and the lines would overlap."""
    lines = 1
    for key in WRAPPED:
        text = values.get(key)
        if isinstance(text, str) and text:
            per_line = max(REPORT_COLUMN[key].width - 2, 10)
            lines = max(lines, sum(-(-max(len(part), 1) // per_line) for part in text.split("\n")))
    return LINE_POINTS * min(lines, 8)


def _header(ws, columns) -> None:
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=HEADER_ROW, column=index, value=column.header)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(vertical="center", wrap_text=True)
        cell.protection = Protection(locked=True)
        ws.column_dimensions[letter_of(columns, column.key)].width = column.width
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=3)
    ws.row_dimensions[HEADER_ROW].height = 32


def _protect(ws) -> None:
    # Protection guides the user to the input columns; it has no password on
    # purpose (it is not a security boundary, and a coordinator may need to
    # unprotect to sort or filter).
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.sort = False
    ws.protection.autoFilter = False


def build_template(
    session: Session, *, period: str, scope: Scope | None = None, generated_by: str = "", now: dt.datetime | None = None
) -> bytes:
    """The template workbook for one period and scope, as .xlsx bytes."""
    scope = scope or Scope()
    period_row: ReportingPeriod = get_period(session, period)
    if not period_row.is_open:
        raise TrackingError(
            f"Berichtsperiode {period} ist geschlossen: dafür gibt es keine Vorlage. "
            "Eine Administratorin kann sie unter «Verwaltung» wieder öffnen."
        )
    rows = template_rows(session, period_row, scope)
    now = now or dt.datetime.now()

    wb = Workbook()
    guide = wb.active
    guide.title = GUIDE_SHEET
    _write_guide(guide, period_row, scope, len(rows))
    _write_reports(wb, rows)
    _write_indicators(wb, session, period_row, rows)
    _write_meta(wb, period_row, scope, generated_by, now)
    wb.active = 1  # opens on the report sheet, not the guide
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _write_reports(wb: Workbook, rows: pd.DataFrame) -> None:
    """The sheet «Statusbericht»: one row per measure, the inputs checked by lists and ranges."""
    ws = wb.create_sheet(REPORT_SHEET)
    _header(ws, REPORT_COLUMNS)
    validations = _report_validations()
    for dv in validations.values():
        ws.add_data_validation(dv)
    for r, row in enumerate(rows.itertuples(index=False), start=HEADER_ROW + 1):
        values = _report_values(row._asdict())
        _write_report_row(ws, r, values)
    # At least one row: the ranges stay valid in a template without measures.
    last_row = max(HEADER_ROW + 1, HEADER_ROW + len(rows))
    for key, dv in validations.items():
        column = letter_of(REPORT_COLUMNS, key)
        dv.add(f"{column}{HEADER_ROW + 1}:{column}{last_row}")
    ws.auto_filter.ref = f"A{HEADER_ROW}:{letter_of(REPORT_COLUMNS, REPORT_COLUMNS[-1].key)}{last_row}"
    _protect(ws)


def _report_validations() -> dict[str, DataValidation]:
    """The input checks of the report sheet by column key (added to the sheet in this order)."""
    return {
        "status": _list_validation(STATUSES.values(), "Status", "Bitte einen Status aus der Liste wählen."),
        "light": _list_validation(LIGHTS.values(), "Ampel", "Bitte grün, gelb oder rot wählen."),
        "progress": DataValidation(
            type="whole",
            operator="between",
            formula1="0",
            formula2="100",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Fortschritt",
            error="Bitte eine ganze Zahl von 0 bis 100 eingeben.",
        ),
        # Excel's serial numbers of 1 January 2000 and 1 January 2100.
        "as_of": DataValidation(
            type="date",
            operator="between",
            formula1="36526",
            formula2="73051",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Stand per",
            error="Bitte ein Datum eingeben, z. B. 31.12.2026.",
        ),
        "unchanged": _list_validation(
            [YES], "Unverändert", "«ja», wenn die letzte Meldung unverändert gilt; sonst leer lassen."
        ),
    }


def _list_validation(choices, title: str, error: str) -> DataValidation:
    return DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=error,
    )


def _report_values(row: dict) -> dict:
    """The cells of one measure's row by column key."""
    # Only this period's report fills the inputs: an untouched row is «keine Meldung», never
    # a copy of the last report (that stands read-only in «Letzte Meldung»).
    mine = bool(row["has_report"])
    confirmed = mine and bool(row["unchanged"])
    shown = mine and not confirmed  # a confirmed row says «ja» and carries the rest

    def text(key: str) -> str | None:
        return row[key] if shown and isinstance(row[key], str) else None

    return {
        "code": row["code"],
        "title": row["title"],
        "goal": row["goal_code"],
        "department": row["department_code"],
        "planned_end": row["planned_end"],
        "last_report": row["last_report"],
        "status": STATUSES[row["status"]] if shown else None,
        "light": LIGHTS[row["light"]] if shown else None,
        "progress": int(row["progress"]) if shown else None,
        "unchanged": YES if confirmed else None,
        "comment": text("comment"),
        "next_steps": text("next_steps"),
        "risks": text("risks"),
        "explanation": row["explanation"] if mine and isinstance(row["explanation"], str) else None,
        "as_of": None,
    }


def _write_report_row(ws, r: int, values: dict) -> None:
    for c, column in enumerate(REPORT_COLUMNS, start=1):
        cell = put_cell(ws, r, c, values[column.key])
        cell.protection = Protection(locked=column.locked)
        if column.locked:
            cell.fill = LOCKED_FILL
        if column.key in ("planned_end", "as_of"):
            cell.number_format = "DD.MM.YYYY"
        elif column.key == "progress":
            cell.number_format = "0"
        cell.alignment = Alignment(wrap_text=column.key in WRAPPED, vertical="top")
    ws.row_dimensions[r].height = _row_height(values)


def _write_guide(ws, period: ReportingPeriod, scope: Scope, count: int) -> None:
    lines = [
        ("Statusbericht «Digitaler Wandel»", True),
        (f"Berichtsperiode {period.name} ({fmt.date(period.start_date)} – {fmt.date(period.end_date)})", False),
        (f"Geltungsbereich: {scope.label} · {count} Massnahmen", False),
        ("", False),
        ("So füllen Sie die Vorlage aus", True),
        ("1. Im Blatt «Statusbericht» pro Massnahme Status, Ampel und Fortschritt eintragen.", False),
        (
            "   Die grauen Spalten (Code, Titel, Ziel, Departement, Geplantes Ende, Letzte Meldung) sind geschützt.",
            False,
        ),
        ("2. Status: geplant, in Umsetzung, abgeschlossen, sistiert oder abgebrochen (Auswahlliste).", False),
        ("3. Ampel: grün (auf Kurs), gelb (Risiken oder leichte Verzögerung), rot (gefährdet).", False),
        ("   Bei gelb oder rot ist eine Begründung in «Kommentar / Begründung» Pflicht.", False),
        ("4. Fortschritt: ganze Zahl von 0 bis 100 (Prozent). «abgeschlossen» heisst 100.", False),
        ("   «Stand per» (freiwillig): Datum, auf das sich die Angaben beziehen, z. B. 31.12.2026.", False),
        (
            "5. «Letzte Meldung» zeigt die Meldung der Vorperiode. Eine Zeile ohne Angaben gilt als «keine Meldung».",
            False,
        ),
        (
            "   Hat sich nichts geändert: in «Unverändert» «ja» wählen und Status, Ampel, Fortschritt leer lassen;",
            False,
        ),
        ("   so gilt die letzte Meldung für diese Periode weiter und zählt als bestätigt unverändert.", False),
        ("   Das Tool weist auf Unstimmigkeiten hin (z. B. grün, aber überfällig); sie verhindern nichts.", False),
        ("   Eine Erklärung dazu gehört in «Erläuterung zu Hinweisen».", False),
        ("6. Im Blatt «Kennzahlen» die Werte der Kennzahlen für diese Periode eintragen (falls vorhanden).", False),
        ("7. Datei als .xlsx speichern (Excel oder LibreOffice) und im Tool unter «Statusbericht» hochladen.", False),
        (
            "   Vor dem Speichern zeigt das Tool, was sich ändert; Fehler werden mit Blatt, Zeile und Spalte genannt.",
            False,
        ),
        ("", False),
        ("Bitte keine Spalten umbenennen, verschieben oder löschen und das Blatt «_meta» nicht verändern.", True),
    ]
    for r, (text, bold) in enumerate(lines, start=1):
        cell = ws.cell(row=r, column=1, value=text)
        cell.font = Font(bold=bold, size=14 if r == 1 else 11)
    ws.column_dimensions["A"].width = 110


def _write_indicators(wb: Workbook, session: Session, period: ReportingPeriod, rows: pd.DataFrame) -> None:
    ws = wb.create_sheet(INDICATOR_SHEET)
    _header(ws, INDICATOR_COLUMNS)
    goal_ids = [int(g) for g in rows["goal_id"].unique()] if len(rows) else []
    indicators = session.execute(
        select(Indicator, Goal.code)
        .join(Goal, Goal.id == Indicator.goal_id)
        .where(Indicator.goal_id.in_(goal_ids), Indicator.active.is_(True))
        .order_by(Goal.code, Indicator.name)
    ).all()
    value_dv = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1000000000",
        formula2="1000000000",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Wert",
        error="Bitte eine Zahl eingeben.",
    )
    ws.add_data_validation(value_dv)
    for r, (indicator, goal_code) in enumerate(indicators, start=HEADER_ROW + 1):
        latest = session.execute(
            select(IndicatorValue.value, ReportingPeriod.name, IndicatorValue.period_id)
            .join(ReportingPeriod, ReportingPeriod.id == IndicatorValue.period_id)
            .where(
                IndicatorValue.indicator_id == indicator.id,
                IndicatorValue.is_current.is_(True),
                ReportingPeriod.start_date <= period.start_date,
            )
            .order_by(ReportingPeriod.start_date.desc())
            .limit(1)
        ).first()
        current_value = latest[0] if latest and latest[2] == period.id else None
        values = {
            "indicator_id": indicator.id,
            "goal": goal_code,
            "name": indicator.name,
            "unit": indicator.unit,
            "baseline": _with_year(indicator.baseline, indicator.baseline_year),
            "target": _with_year(indicator.target, indicator.target_year),
            "direction": DIRECTIONS[indicator.direction],
            "last_value": f"{fmt.number(latest[0], 1)} ({latest[1]})" if latest else "–",
            "value": current_value,
            "comment": None,
        }
        for c, column in enumerate(INDICATOR_COLUMNS, start=1):
            cell = put_cell(ws, r, c, values[column.key])
            cell.protection = Protection(locked=column.locked)
            if column.locked:
                cell.fill = LOCKED_FILL
    last_row = max(HEADER_ROW + 1, HEADER_ROW + len(indicators))
    value_col = letter_of(INDICATOR_COLUMNS, "value")
    value_dv.add(f"{value_col}{HEADER_ROW + 1}:{value_col}{last_row}")
    _protect(ws)


def _with_year(value: float | None, year: int | None) -> str:
    if value is None:
        return "–"
    return f"{fmt.number(value, 1)} ({year})" if year else fmt.number(value, 1)


def _write_meta(wb: Workbook, period: ReportingPeriod, scope: Scope, generated_by: str, now: dt.datetime) -> None:
    meta = {
        "template_version": TEMPLATE_VERSION,
        "period": period.name,
        "scope": str(scope),
        "generated_at": now.isoformat(timespec="seconds"),
        "generated_by": generated_by,
    }
    ws = wb.create_sheet(META_SHEET)
    for r, (key, value) in enumerate(meta.items(), start=1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value)
    ws.sheet_state = "hidden"
    _protect(ws)
    for key, value in meta.items():
        wb.custom_doc_props.append(StringProperty(name=f"tracking_{key}", value=value or "-"))
    wb.properties.title = f"Statusbericht {period.name} – {scope.label}"
    wb.properties.creator = "Monitoring Digitaler Wandel"
