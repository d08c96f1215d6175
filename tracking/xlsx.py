"""Writing spreadsheets people open in Excel or LibreOffice, safely.

Text that begins with =, +, -, @ (or a tab or CR) is written as a text cell
with Excel's quote prefix, so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from decimal import Decimal
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tracking.tables import rows_of

HEADER_FONT = Font(bold=True)
FORMULA_STARTS = ("=", "+", "-", "@")
# A literal "_x0041_" in a text would be decoded as "A" by readers, so its
# underscore is escaped first (as _x005F_, the way Excel does it).
_ESCAPE_LOOKALIKE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")
# XML 1.0 cannot carry these; CR would be turned into LF by any XML parser.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")


def looks_like_formula(value: str) -> bool:
    return value.startswith(("\t", "\r")) or value.lstrip().startswith(FORMULA_STARTS)


def escape_text(value: str) -> str:
    value = _ESCAPE_LOOKALIKE.sub("_x005F_", value)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group()):04X}_", value)


def text_cell(ws, value: str) -> WriteOnlyCell:
    # The data type is set after the value: openpyxl turns any str starting
    # with "=" into a formula.
    cell = WriteOnlyCell(ws, escape_text(value))
    cell.data_type = "s"
    if looks_like_formula(value):
        # Shown and kept as text when someone edits the cell in Excel or LibreOffice.
        cell.quotePrefix = True
    return cell


def put_cell(ws, row: int, column: int, value: Any, number_format: str | None = None):
    """Write one cell of an ordinary (not write-only) sheet; text stays text, even «=…»."""
    if isinstance(value, str):
        value = escape_text(value)
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl makes any str starting with "=" a formula
        if looks_like_formula(value):
            cell.quotePrefix = True
    if number_format and value is not None:
        cell.number_format = number_format
    return cell


def header_cell(ws, value: str) -> WriteOnlyCell:
    cell = text_cell(ws, value)
    cell.font = HEADER_FONT
    return cell


def value_cell(ws, value: Any) -> Any:
    """A cell for any plain value: text safely, dates formatted, missing values empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, str):
        return text_cell(ws, value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime | dt.date):
        cell = WriteOnlyCell(ws, value)
        cell.number_format = "dd.mm.yyyy hh:mm" if isinstance(value, dt.datetime) else "dd.mm.yyyy"
        return cell
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def tables_workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    """One sheet per DataFrame (sheet name = key, at most 31 characters), header in bold."""
    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        ws.append([header_cell(ws, str(c)) for c in frame.columns])
        for row in rows_of(frame):  # a list of every measure has 100'000 rows
            ws.append([value_cell(ws, v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
