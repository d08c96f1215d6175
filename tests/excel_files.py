"""Files for the import tests: templates filled in as a coordinator would, and bad files.

A coordinator opens the template, types into the «Statusbericht» sheet and
saves; fill_template() does the same with openpyxl. The bad files imitate
what arrives in practice: an old .xls, a password-protected workbook, a CSV,
an OpenDocument sheet, other zip files, broken zips, a zip bomb, and
workbooks whose structure was changed.
"""

from __future__ import annotations

import io
import random
import re
import struct
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook, load_workbook

from tracking.report_sheet import (
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    META_SHEET,
    REPORT_COLUMNS,
    REPORT_SHEET,
    letter_of,
)

OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@dataclass(frozen=True)
class Cell:
    """A value with a number format, e.g. Cell(0.5, "0%") for a cell showing 50 %."""

    value: Any
    number_format: str | None = None


# --- reading and writing workbooks -------------------------------------------


def open_workbook(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def save_workbook(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def column(key: str) -> str:
    """The Excel letter of a column of the «Statusbericht» sheet, e.g. 'progress' -> 'H'."""
    return letter_of(REPORT_COLUMNS, key)


def report_rows(data: bytes) -> dict[str, int]:
    """Measure code -> Excel row number in the «Statusbericht» sheet."""
    ws = open_workbook(data)[REPORT_SHEET]
    code_col = column("code")
    rows = {}
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        code = ws[f"{code_col}{row}"].value
        if code:
            rows[str(code)] = row
    return rows


def _set(ws, ref: str, value: Any) -> None:
    if isinstance(value, Cell):
        ws[ref].value = value.value
        if value.number_format:
            ws[ref].number_format = value.number_format
    else:
        ws[ref].value = value


def fill_template(data: bytes, rows: dict[str | int, dict[str, Any]]) -> bytes:
    """Set cells of the «Statusbericht» sheet by column key.

    rows: measure code (or Excel row number) -> {column key: value}. A value
    may be a Cell to set a number format as well; None empties the cell.
    """
    wb = open_workbook(data)
    ws = wb[REPORT_SHEET]
    by_code = {
        str(ws[f"{column('code')}{r}"].value): r
        for r in range(HEADER_ROW + 1, ws.max_row + 1)
        if ws[f"{column('code')}{r}"].value
    }
    for key, values in rows.items():
        row = key if isinstance(key, int) else by_code[key]
        for column_key, value in values.items():
            _set(ws, f"{column(column_key)}{row}", value)
    return save_workbook(wb)


def fill_all(data: bytes, values: dict[str, Any]) -> bytes:
    """The same values in every measure row of the «Statusbericht» sheet."""
    return fill_template(data, {code: dict(values) for code in report_rows(data)})


def fill_indicators(data: bytes, values: dict[int, Any]) -> bytes:
    """Set the «Wert» of indicators in the «Kennzahlen» sheet: indicator id -> value."""
    wb = open_workbook(data)
    ws = wb[INDICATOR_SHEET]
    id_col = letter_of(INDICATOR_COLUMNS, "indicator_id")
    value_col = letter_of(INDICATOR_COLUMNS, "value")
    found = set()
    for row in range(HEADER_ROW + 1, ws.max_row + 1):
        indicator_id = ws[f"{id_col}{row}"].value
        if indicator_id in values:
            _set(ws, f"{value_col}{row}", values[indicator_id])
            found.add(indicator_id)
    missing = set(values) - found
    if missing:
        raise KeyError(f"indicators not in the template: {sorted(missing)}")
    return save_workbook(wb)


def append_row(data: bytes, values: dict[str, Any]) -> tuple[bytes, int]:
    """Add a row below the last one; returns the file and the new row's number."""
    wb = open_workbook(data)
    ws = wb[REPORT_SHEET]
    row = ws.max_row + 1
    for column_key, value in values.items():
        _set(ws, f"{column(column_key)}{row}", value)
    return save_workbook(wb), row


def rename_header(data: bytes, key: str, header: str) -> bytes:
    wb = open_workbook(data)
    wb[REPORT_SHEET][f"{column(key)}{HEADER_ROW}"].value = header
    return save_workbook(wb)


def delete_column(data: bytes, key: str) -> bytes:
    """Delete a column of the «Statusbericht» sheet (the columns right of it move left)."""
    wb = open_workbook(data)
    ws = wb[REPORT_SHEET]
    ws.delete_cols([c.key for c in REPORT_COLUMNS].index(key) + 1)
    return save_workbook(wb)


def set_meta(data: bytes, key: str, value: str) -> bytes:
    """Change one entry of the hidden «_meta» sheet (e.g. template_version)."""
    wb = open_workbook(data)
    ws = wb[META_SHEET]
    for row in ws.iter_rows(min_col=1, max_col=2):
        if row[0].value == key:
            row[1].value = value
            return save_workbook(wb)
    raise KeyError(key)


def without_sheet(data: bytes, name: str) -> bytes:
    wb = open_workbook(data)
    del wb[name]
    if wb.active is None or wb.active.sheet_state != "visible":
        wb.active = 0
    return save_workbook(wb)


def sheet_path(data: bytes, name: str) -> str:
    """The zip member of a sheet, e.g. 'xl/worksheets/sheet2.xml'."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = archive.read("xl/workbook.xml").decode()
        rels = archive.read("xl/_rels/workbook.xml.rels").decode()
    rel_id = re.search(rf'<sheet[^>]*name="{re.escape(name)}"[^>]*r:id="([^"]+)"', workbook)
    if rel_id is None:  # attributes in another order
        rel_id = re.search(rf'<sheet[^>]*r:id="([^"]+)"[^>]*name="{re.escape(name)}"', workbook)
    target = re.search(rf'<Relationship[^>]*Id="{rel_id.group(1)}"[^>]*Target="([^"]+)"', rels)
    if target is None:
        target = re.search(rf'<Relationship[^>]*Target="([^"]+)"[^>]*Id="{rel_id.group(1)}"', rels)
    path = target.group(1).lstrip("/")
    return path if path.startswith("xl/") else f"xl/{path}"


def replace_member(data: bytes, member: str, content: bytes) -> bytes:
    """The same zip with one member's content replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == member else source.read(info.filename))
    return out.getvalue()


def with_cached_formula(data: bytes, key: str, row: int, formula: str, cached: float | int) -> bytes:
    """Put a formula with a cached result into a cell, as Excel saves it.

    openpyxl writes formulas without their result, which is not what a file
    saved by Excel or LibreOffice holds; so the cell is written into the sheet
    XML directly: <c r="H3"><f>40+10</f><v>50</v></c>, keeping the cell's style.
    """
    member = sheet_path(data, REPORT_SHEET)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(member).decode()
    ref = f"{column(key)}{row}"
    style = ""
    pattern = re.compile(rf'<c r="{ref}"([^>]*?)(/>|>.*?</c>)', re.S)
    match = pattern.search(xml)
    if match is None:
        raise KeyError(f"cell {ref} not in the sheet XML")
    found_style = re.search(r'\ss="(\d+)"', match.group(1))
    if found_style:
        style = f' s="{found_style.group(1)}"'
    cell = f'<c r="{ref}"{style}><f>{formula}</f><v>{cached}</v></c>'
    xml = xml[: match.start()] + cell + xml[match.end() :]
    return replace_member(data, member, xml.encode())


# --- bad files ----------------------------------------------------------------


def xls_file() -> bytes:
    """An old Excel 97-2003 workbook: an OLE2 compound file."""
    return OLE2_HEADER + bytes(512 - len(OLE2_HEADER)) + b"Workbook".ljust(512, b"\x00") + bytes(3072)


def encrypted_xlsx() -> bytes:
    """What Excel saves for an xlsx with a password: OLE2 with EncryptionInfo and EncryptedPackage."""
    return (
        OLE2_HEADER
        + bytes(504)
        + "EncryptionInfo".encode("utf-16-le")
        + bytes(64)
        + "EncryptedPackage".encode("utf-16-le")
        + b"EncryptedPackage"
        + random.Random(7).randbytes(2048)
    )


def csv_file() -> bytes:
    return (
        "Code;Titel;Status;Ampel;Fortschritt %\n"
        "M-5.1.01;Portal;in Umsetzung;grün;50\n"
        "M-5.1.02;Formulare;geplant;gelb;10\n"
    ).encode()


def ods_file() -> bytes:
    """An OpenDocument spreadsheet: a zip whose first member «mimetype» names the type, stored."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), b"application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", '<?xml version="1.0"?><office:document-content/>', zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest/>', zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_like() -> bytes:
    """A Word document's structure: a zip without xl/workbook.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return out.getvalue()


def random_bytes(size: int = 4096, seed: int = 42) -> bytes:
    data = random.Random(seed).randbytes(size)
    # make sure it is binary (a NUL) and does not start like a known format
    return b"\x07\x00" + data[2:]


def empty_file() -> bytes:
    return b""


def truncated(data: bytes) -> bytes:
    """A download or copy that stopped half-way: no central directory."""
    return data[: len(data) // 2]


def _member_data_range(data: bytes, member: str) -> tuple[int, int]:
    """Start and end of a member's compressed bytes inside the zip."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(member)
    offset = info.header_offset
    name_len, extra_len = struct.unpack("<HH", data[offset + 26 : offset + 30])
    start = offset + 30 + name_len + extra_len
    return start, start + info.compress_size


def broken_deflate(data: bytes, member: str = "xl/worksheets/sheet2.xml") -> bytes:
    """The workbook with the first deflate block header of `member` made invalid (block type 3).

    Unlike a changed byte that only breaks the CRC, zlib itself fails on this member.
    """
    start, _ = _member_data_range(data, member)
    damaged = bytearray(data)
    damaged[start] = 0x07  # BFINAL=1, BTYPE=11: «invalid block type»
    return bytes(damaged)


def stored_member_flipped(data: bytes, member: str = "xl/worksheets/sheet2.xml") -> bytes:
    """The workbook with `member` stored uncompressed and one byte of it changed: only the CRC tells."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            compress = zipfile.ZIP_STORED if info.filename == member else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, source.read(info.filename), compress_type=compress)
    rebuilt = out.getvalue()
    start, end = _member_data_range(rebuilt, member)
    damaged = bytearray(rebuilt)
    index = (start + end) // 2
    damaged[index] = ord("X") if damaged[index] != ord("X") else ord("Y")
    return bytes(damaged)


def zip_bomb(data: bytes, megabytes: int = 300, member: str = "xl/media/padding.bin") -> bytes:
    """A valid workbook with an extra member of `megabytes` MB of zeros, deflated to a few hundred KB.

    Written in 1 MB chunks, so building it takes little memory.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        chunk = bytes(1024 * 1024)
        with target.open(member, "w", force_zip64=True) as handle:
            for _ in range(megabytes):
                handle.write(chunk)
    return out.getvalue()


def uncompressed_total(data: bytes) -> tuple[int, float]:
    """Total uncompressed size and the highest compression ratio of a zip's members."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = archive.infolist()
    total = sum(m.file_size for m in members)
    ratio = max(m.file_size / max(m.compress_size, 1) for m in members)
    return total, ratio


def padded(data: bytes, size: int) -> bytes:
    """The file followed by zeros up to `size` bytes (a zip tolerates trailing bytes poorly; only for size checks)."""
    return data + bytes(max(size - len(data), 0))
