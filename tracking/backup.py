"""Export of all data to one Excel workbook, and restore of such an export.

The export is both a backup and something people can open: one sheet per
table (row 1 the column names, then the rows in primary key order) and a first
sheet «Inhalt» with the sheet/table mapping, the row counts, the export time and
the schema revision. Restore loads it into an empty, migrated database.

What an .xlsx cannot hold exactly, and how it is handled:
- times: Excel keeps milliseconds at most, so datetimes are rounded to the
  millisecond on export;
- dates before 1 March 1900 (Excel's 1900 leap-year bug) are written as ISO text;
- NaN and infinite floats are written as text («nan», «inf»);
- an empty cell is NULL, so an empty text in a nullable column comes back as NULL;
- characters XML does not allow (control characters, CR) are written with
  Excel's own _xHHHH_ escape, which Excel, LibreOffice and calamine decode.

Left out: the Sitzungsbericht a closed period stores (period_council_content), one JSON
text of up to megabytes, more than an Excel cell holds. A restore makes it anew from
the restored data (tracking.frozen.freeze_closed).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from python_calamine import CalamineWorkbook
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    Numeric,
    String,
    Table,
    bindparam,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracking.access import Actor, require
from tracking.audit import WriteLog
from tracking.db import SETUP, serialize
from tracking.errors import TrackingError
from tracking.frozen import freeze_closed
from tracking.models import Base, PeriodCouncilContent, WebSession, local_now
from tracking.xlsx import header_cell, text_cell

INDEX_SHEET = "Inhalt"
INDEX_TITLE = "Datensicherung Strategie-Monitoring «Digitaler Wandel» (Kanton Luzern)"
EXPORTED_AT_LABEL = "Exportiert am"
REVISION_LABEL = "Alembic-Revision"
INDEX_HEADER = ("Tabellenblatt", "Tabelle", "Zeilen")
RESTORE_SOURCE = "Wiederherstellung aus Export"

NOT_EMPTY = "Die Datenbank ist nicht leer: Wiederherstellen nur in eine leere Datenbank."
UNREADABLE = "Die Datei ist keine lesbare Excel-Arbeitsmappe (.xlsx)."

MAX_SHEET_NAME = 31  # Excel's limit
MAX_CELL_ERRORS = 20  # more would bury the first, most useful ones
DATE_FORMAT = "dd.mm.yyyy"
DATETIME_FORMAT = "dd.mm.yyyy hh:mm:ss"
# Excel counts 29 February 1900 as a day, so its serial numbers are only
# unambiguous from 1 March 1900 on.
FIRST_EXCEL_DATE = dt.date(1900, 3, 1)

_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


# --- export -------------------------------------------------------------------


DERIVED_TABLES = {PeriodCouncilContent.__tablename__}
# Browser sign-ins belong to this server: a restored copy starts with everyone signed out.
NOT_BACKED_UP = DERIVED_TABLES | {WebSession.__tablename__}


def backup_tables() -> list[Table]:
    """The tables an export holds, in the order of their foreign keys."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_BACKED_UP]


def export_workbook(session: Session) -> bytes:
    """All rows of all tables as an .xlsx workbook (see the module docstring).

    Reads in the caller's transaction. On PostgreSQL under concurrent writes,
    use a REPEATABLE READ transaction to get one consistent snapshot.
    """
    exported_at = local_now()
    tables = backup_tables()
    sheet_names = _sheet_names(tables)

    wb = Workbook(write_only=True)
    # Created first so that it is the first sheet; filled last, with the counts.
    index = wb.create_sheet(INDEX_SHEET)
    counts: dict[str, int] = {}
    for table in tables:
        ws = wb.create_sheet(sheet_names[table.name])
        ws.freeze_panes = "A2"
        ws.append([header_cell(ws, c.name) for c in table.columns])
        count = 0
        for row in session.execute(select(table).order_by(*table.primary_key.columns)):
            ws.append([_cell(ws, column, value) for column, value in zip(table.columns, row)])
            count += 1
        counts[table.name] = count

    index.append([header_cell(index, INDEX_TITLE)])
    index.append([text_cell(index, EXPORTED_AT_LABEL), _datetime_cell(index, exported_at)])
    index.append([text_cell(index, REVISION_LABEL), text_cell(index, _alembic_revision(session))])
    index.append([])
    index.append([header_cell(index, h) for h in INDEX_HEADER])
    for table in tables:
        index.append([text_cell(index, sheet_names[table.name]), text_cell(index, table.name), counts[table.name]])

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _sheet_names(tables: list[Table]) -> dict[str, str]:
    """Table name -> sheet name: valid for Excel, at most 31 characters, unique."""
    names: dict[str, str] = {}
    used = {INDEX_SHEET.lower()}  # Excel compares sheet names case-insensitively
    for table in tables:
        base = _SHEET_NAME_FORBIDDEN.sub("_", table.name)
        name = base[:MAX_SHEET_NAME]
        n = 2
        while name.lower() in used:
            suffix = f"~{n}"
            name = base[: MAX_SHEET_NAME - len(suffix)] + suffix
            n += 1
        used.add(name.lower())
        names[table.name] = name
    return names


def _alembic_revision(session: Session) -> str:
    if not inspect(session.connection()).has_table("alembic_version"):
        return ""
    return ", ".join(session.scalars(text("SELECT version_num FROM alembic_version ORDER BY version_num")))


def _cell(ws, column: Column, value: Any) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(column.type, JSON):
        return text_cell(ws, json.dumps(value, ensure_ascii=False))
    if isinstance(value, bool):
        return WriteOnlyCell(ws, value)
    if isinstance(value, dt.datetime):
        return _datetime_cell(ws, value)
    if isinstance(value, dt.date):
        if value < FIRST_EXCEL_DATE:
            return text_cell(ws, value.isoformat())
        cell = WriteOnlyCell(ws, value)
        cell.number_format = DATE_FORMAT
        return cell
    if isinstance(value, int):
        return WriteOnlyCell(ws, value)
    if isinstance(value, float | Decimal):
        if not math.isfinite(value):
            return text_cell(ws, str(value))
        return _number_cell(ws, value)
    return text_cell(ws, str(value))


def _datetime_cell(ws, value: dt.datetime) -> WriteOnlyCell:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if value.date() < FIRST_EXCEL_DATE:
        return text_cell(ws, value.isoformat())
    cell = WriteOnlyCell(ws, _round_to_millisecond(value))
    cell.number_format = DATETIME_FORMAT
    return cell


def _round_to_millisecond(value: dt.datetime) -> dt.datetime:
    # Rounded here, not by the reader, so the file holds exactly what comes back.
    return value.replace(microsecond=0) + dt.timedelta(milliseconds=round(value.microsecond / 1000))


def _number_cell(ws, value: float | Decimal) -> WriteOnlyCell:
    # openpyxl writes floats with 16 significant digits, which loses the last
    # bit of some doubles; repr (and str for Decimal) is exact, so the number
    # is handed over as its text and marked numeric.
    cell = WriteOnlyCell(ws, repr(value) if isinstance(value, float) else str(value))
    cell.data_type = "n"
    return cell


# --- restore ------------------------------------------------------------------


class _CellError(ValueError):
    """A cell value that does not fit its column (message in German)."""


def restore_workbook(session: Session, data: bytes, *, actor: Actor | str) -> dict[str, int]:
    """Load an export into an empty database; returns the rows per table.

    Runs in the caller's transaction: on any refusal or error nothing stays.
    Primary keys are kept, so the references between the tables hold.
    """
    acting = require(actor, "restore")
    log = WriteLog(session, actor=acting, source=RESTORE_SOURCE, action="restore")
    tables = backup_tables()
    _require_empty(session, tables)
    # Every sheet is read and converted before the first insert: the errors of all sheets are
    # named together, not one insert at a time.
    export = _read_sheets(data, tables)
    rows_by_table = _convert_sheets(tables, export)
    _insert_tables(session, tables, export.names, rows_by_table)

    # Only now: the audit record must come after the restored write_record rows.
    counts = {table.name: len(rows_by_table[table.name]) for table in tables}
    exported_at = _exported_at(export.meta.get(EXPORTED_AT_LABEL))
    log.change(
        "*",
        f"Export vom {exported_at.isoformat(sep=' ')}" if exported_at else "Export",
        "insert",
        after={
            "rows": counts,
            "exported_at": exported_at.isoformat() if exported_at else None,
            "alembic_revision": export.meta.get(REVISION_LABEL) or None,
        },
    )
    # The stored sums of the frozen periods, recomputed from the restored reports (the same,
    # unless the export was edited), and their Sitzungsbericht made anew (not in the export);
    # closed periods the export had not frozen stay so.
    freeze_closed(session, log, only_frozen=True, with_content=True)
    when = f" vom {exported_at:%d.%m.%Y %H:%M}" if exported_at else ""
    log.ensure_record().summary = (
        f"{sum(counts.values())} Zeilen in {sum(1 for n in counts.values() if n)} Tabellen aus dem Export{when} "
        "wiederhergestellt."
    )
    session.flush()
    return counts


def _require_empty(session: Session, tables: list[Table]) -> None:
    serialize(session, SETUP)  # a concurrent restore or init: wait for it, then find the database not empty
    if any(session.execute(select(1).select_from(table).limit(1)).first() for table in tables):
        raise TrackingError(NOT_EMPTY)


@dataclass
class _Export:
    """What a restore reads from an export, by table name."""

    meta: dict[str, Any]  # from the index: the export time and the schema revision
    listed: dict[str, tuple[str, int | None]]  # table -> (sheet, row count) as the index lists them
    names: dict[str, str]  # table -> the sheet that holds it
    grids: dict[str, list[list[Any]]]  # table -> its sheet's cells


def _read_sheets(data: bytes, tables: list[Table]) -> _Export:
    """The export's sheets; refused when the file is unreadable or a table's sheet is missing."""
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for every kind of broken file
        raise TrackingError(UNREADABLE) from exc
    with wb:
        meta, listed = _read_index(wb)
        # The index names the sheets; a table it does not list has the sheet an export gives it.
        sheet_names = _sheet_names(tables)
        sheet_names.update({t: s for t, (s, _) in listed.items() if t in sheet_names})
        sheets, errors = {}, []
        for table in tables:
            name = sheet_names[table.name]
            if name not in wb.sheet_names:
                if name == table.name:
                    errors.append(f"Das Tabellenblatt «{name}» fehlt.")
                else:
                    errors.append(f"Das Tabellenblatt «{name}» (Tabelle «{table.name}») fehlt.")
                continue
            sheets[table.name] = wb.get_sheet_by_name(name).to_python()
    if errors:
        raise TrackingError(errors)
    return _Export(meta, listed, sheet_names, sheets)


def _convert_sheets(tables: list[Table], export: _Export) -> dict[str, list[dict[str, Any]]]:
    """Each table's rows as column -> value dicts; refused with the first MAX_CELL_ERRORS errors."""
    rows_by_table: dict[str, list[dict[str, Any]]] = {}
    errors: list[str] = []
    for table in tables:
        name = export.names[table.name]
        rows, table_errors = _convert_sheet(table, name, export.grids[table.name])
        expected = export.listed.get(table.name, (name, None))[1]
        if not table_errors and expected is not None and expected != len(rows):
            table_errors.append(f"Tabellenblatt «{name}»: {len(rows)} Zeilen statt der im Inhalt genannten {expected}.")
        errors.extend(table_errors)
        rows_by_table[table.name] = rows
    if errors:
        if len(errors) > MAX_CELL_ERRORS:
            errors = [*errors[:MAX_CELL_ERRORS], f"… und {len(errors) - MAX_CELL_ERRORS} weitere Fehler."]
        raise TrackingError(errors)
    return rows_by_table


def _insert_tables(
    session: Session, tables: list[Table], sheet_names: dict[str, str], rows_by_table: dict[str, list[dict[str, Any]]]
) -> None:
    """Insert in the order of the foreign keys; a refused row names its sheet."""
    for table in tables:
        try:
            _insert(session, table, rows_by_table[table.name])
        except DBAPIError as exc:
            raise TrackingError(
                f"Tabellenblatt «{sheet_names[table.name]}»: Die Daten verletzen eine Regel der Datenbank ({exc.orig})."
            ) from exc
    if session.get_bind().dialect.name == "postgresql":
        _reset_sequences(session, tables, rows_by_table)


def _read_index(wb: CalamineWorkbook) -> tuple[dict[str, Any], dict[str, tuple[str, int | None]]]:
    """From the «Inhalt» sheet: the metadata and table -> (sheet, row count).

    Without that sheet the default sheet names are used and counts are not checked.
    """
    if INDEX_SHEET not in wb.sheet_names:
        return {}, {}
    meta: dict[str, Any] = {}
    listed: dict[str, tuple[str, int | None]] = {}
    in_list = False
    for row in wb.get_sheet_by_name(INDEX_SHEET).to_python():
        cells = [*row, "", "", ""]
        if in_list:
            if cells[0] == "":
                break
            count = cells[2]
            listed[str(cells[1])] = (str(cells[0]), int(count) if isinstance(count, int | float) else None)
        elif tuple(cells[:3]) == INDEX_HEADER:
            in_list = True
        elif cells[0] in (EXPORTED_AT_LABEL, REVISION_LABEL):
            meta[cells[0]] = cells[1]
    return meta, listed


def _exported_at(value: Any) -> dt.datetime | None:
    try:
        return _datetime(value)
    except _CellError:
        return None


def _convert_sheet(table: Table, sheet: str, grid: list[list[Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """The sheet's rows as column -> value dicts, or the German reasons why not."""
    header = [("" if h is None else str(h)) for h in (grid[0] if grid else [])]
    # Numbered as in the spreadsheet; rows left empty (e.g. after editing) are skipped.
    body = [(n, row) for n, row in enumerate(grid[1:], start=2) if any(v not in ("", None) for v in row)]
    errors: list[str] = []
    for position, name in enumerate(header):
        if name == "" and any(position < len(row) and row[position] not in ("", None) for _, row in body):
            errors.append(f"Tabellenblatt «{sheet}»: Die Spalte {position + 1} hat Werte, aber keinen Namen.")
    named = [h for h in header if h]
    for name in sorted({h for h in named if named.count(h) > 1}):
        errors.append(f"Tabellenblatt «{sheet}»: Die Spalte «{name}» kommt mehrfach vor.")
    for column in table.columns:
        if column.name not in named:
            errors.append(f"Tabellenblatt «{sheet}»: Die Spalte «{column.name}» fehlt.")
    for name in named:
        if name not in table.columns:
            errors.append(f"Tabellenblatt «{sheet}»: Unbekannte Spalte «{name}».")
    if errors:
        return [], errors

    positions = {name: header.index(name) for name in named}
    rows = []
    for number, raw in body:
        row = {}
        for column in table.columns:
            position = positions[column.name]
            value = raw[position] if position < len(raw) else ""
            try:
                row[column.name] = _from_cell(column, value)
            except _CellError as exc:
                errors.append(f"Tabellenblatt «{sheet}», Zeile {number}, Spalte «{column.name}»: {exc}")
        rows.append(row)
    return rows, errors


def _from_cell(column: Column, value: Any) -> Any:
    kind = column.type
    if value is None or value == "":
        if column.nullable:
            return None
        if isinstance(kind, String):
            return ""
        raise _CellError("Der Wert fehlt.")
    if isinstance(kind, JSON):
        return _json(value)
    if isinstance(kind, Boolean):
        return _boolean(value)
    if isinstance(kind, DateTime):
        return _datetime(value)
    if isinstance(kind, Date):
        return _date(value)
    if isinstance(kind, Integer):
        return _integer(value)
    if isinstance(kind, Float):  # before Numeric: Float is a Numeric
        return _float(value)
    if isinstance(kind, Numeric):
        return _decimal(value, kind.scale)
    if isinstance(kind, String):
        return _string(value)
    return value


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            pass
    raise _CellError(f"«{value}» ist kein gültiges JSON.")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    raise _CellError(f"«{value}» ist kein Wahrheitswert (WAHR oder FALSCH).")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):  # calamine gives a date when the time is midnight
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            pass
    raise _CellError(f"«{value}» ist kein Zeitpunkt.")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date()
    elif isinstance(value, dt.date):
        return value
    elif isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _CellError(f"«{value}» ist kein Datum.")


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _CellError(f"«{value}» ist keine ganze Zahl.")


def _float(value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # nan and inf are exported as text
        try:
            return float(value)
        except ValueError:
            pass
    raise _CellError(f"«{value}» ist keine Zahl.")


def _decimal(value: Any, scale: int | None) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _CellError(f"«{value}» ist keine Zahl.")
    try:
        # repr is the shortest text that gives the same float, so 12.34 stays 12.34.
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
        if scale is not None and number.is_finite():
            number = number.quantize(Decimal(1).scaleb(-scale))
    except InvalidOperation:
        raise _CellError(f"«{value}» ist keine Zahl.") from None
    return number


def _string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a code that a spreadsheet turned into a number
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    raise _CellError(f"«{value}» ist kein Text.")


def _insert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert with the original keys; references within the table are set afterwards.

    A row may point to a later row of its own table (write_record.undone_by_id),
    which the foreign key would refuse while that row does not exist yet.
    """
    if not rows:
        return
    own = [c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)]
    session.execute(insert(table), [{**row, **dict.fromkeys(own)} for row in rows])
    keys = [c.name for c in table.primary_key.columns]
    for name in own:
        pointing = [row for row in rows if row[name] is not None]
        if pointing:
            statement = (
                update(table)
                .where(*(table.c[k] == bindparam(f"key_{k}") for k in keys))
                .values({name: bindparam("value")})
            )
            session.execute(statement, [{"value": row[name], **{f"key_{k}": row[k] for k in keys}} for row in pointing])


def _reset_sequences(session: Session, tables: list[Table], rows_by_table: dict[str, list[dict[str, Any]]]) -> None:
    """Move each id sequence past the restored ids, so that new rows do not collide."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    for table in tables:
        if "id" not in table.c or not isinstance(table.c.id.type, Integer) or not rows_by_table[table.name]:
            continue
        session.execute(
            text("SELECT setval(pg_get_serial_sequence(:table, 'id'), max(id)) FROM " + quote(table.name)),
            {"table": quote(table.name)},
        )
