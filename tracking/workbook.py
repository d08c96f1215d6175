"""What both Excel imports share: the file checks, reading cells, problems with sheet, row and column.

The status report import (tracking/excel_import.py) and the measures catalogue
import (tracking/catalogue.py) check a file for what it is before it is parsed
(size, zip structure, zip bombs, encryption, other formats), read cells the
same way (dates, numbers, progress, words), name every problem with sheet, row
and column as Excel shows them, and count a plan's changes for the preview.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook

from tracking import formatting as fmt
from tracking.errors import TrackingError
from tracking.report_sheet import HEADER_ROW, Column, letter_of

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A real template expands to a few MB; far more means a zip bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 150
MAX_ZIP_MEMBERS = 5_000


def max_upload_bytes() -> int:
    """TRACKING_MAX_UPLOAD_MB overrides the 10 MB default."""
    raw = os.environ.get("TRACKING_MAX_UPLOAD_MB", "").strip()
    try:
        return int(float(raw) * 1024 * 1024) if raw else DEFAULT_MAX_BYTES
    except ValueError:
        return DEFAULT_MAX_BYTES


# --- problems ---------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None  # Excel letter
    header: str | None = None

    def __str__(self) -> str:
        where = []
        if self.sheet:
            where.append(f"Blatt «{self.sheet}»")
        if self.row:
            where.append(f"Zeile {self.row}")
        if self.column:
            where.append(f"Spalte {self.column}" + (f" ({self.header})" if self.header else ""))
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRefused(TrackingError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__([str(p) for p in problems])


def refusal(message: str) -> ImportRefused:
    return ImportRefused([Problem(message)])


# --- what the file is -------------------------------------------------------


def check_file(data: bytes, filename: str = "Datei", *, max_bytes: int | None = None) -> None:
    """Refuse anything that is not a plausible, unencrypted xlsx, before parsing it."""
    limit = max_bytes if max_bytes is not None else max_upload_bytes()
    name = filename or "Datei"
    if not data:
        raise refusal(f"«{name}» ist leer (0 Bytes). Bitte die ausgefüllte Vorlage als .xlsx hochladen.")
    if len(data) > limit:
        raise refusal(f"«{name}» ist {_size(len(data))} gross; erlaubt sind höchstens {_size(limit)}.")
    head = data[:8]
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # OLE2: either an old .xls or an xlsx encrypted with a password.
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data:
            raise refusal(
                f"«{name}» ist mit einem Passwort geschützt. Bitte den Passwortschutz entfernen "
                "(Datei > Informationen > Arbeitsmappe schützen) und erneut hochladen."
            )
        raise refusal(
            f"«{name}» ist im alten Excel-Format (.xls). Bitte in Excel oder LibreOffice als "
            "«Excel-Arbeitsmappe (.xlsx)» speichern und erneut hochladen."
        )
    if not head.startswith(b"PK\x03\x04"):
        if _looks_like_text(data):
            raise refusal(
                f"«{name}» ist eine Textdatei (z. B. CSV), keine Excel-Arbeitsmappe. "
                "Bitte die Vorlage aus dem Tool verwenden und als .xlsx speichern."
            )
        raise refusal(f"«{name}» ist keine Excel-Arbeitsmappe (.xlsx). Bitte die Vorlage aus dem Tool verwenden.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "mimetype" in names and b"opendocument" in archive.read("mimetype"):
                raise refusal(
                    f"«{name}» ist eine OpenDocument-Tabelle (.ods). Bitte in LibreOffice mit "
                    "«Speichern unter» als «Excel 2007-365 (.xlsx)» speichern."
                )
            if "xl/workbook.xml" not in names:
                raise refusal(f"«{name}» ist keine Excel-Arbeitsmappe (.xlsx), sondern ein anderes ZIP-Archiv.")
            if len(members) > MAX_ZIP_MEMBERS:
                raise refusal(f"«{name}» enthält ungewöhnlich viele Teile ({len(members)}) und wird abgelehnt.")
            total = sum(m.file_size for m in members)
            ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
            if total > MAX_UNCOMPRESSED_BYTES or ratio > MAX_COMPRESSION_RATIO:
                raise refusal(
                    f"«{name}» würde entpackt {total / 1024 / 1024:.0f} MB ergeben (Verhältnis {ratio:.0f}:1) "
                    "und wird zum Schutz des Servers abgelehnt."
                )
            bad = archive.testzip()
            if bad is not None:
                raise refusal(f"«{name}» ist beschädigt (Teil «{bad}» defekt). Bitte neu speichern.")
    except zipfile.BadZipFile as exc:
        raise refusal(f"«{name}» ist beschädigt (kein lesbares ZIP-Archiv). Bitte neu speichern.") from exc
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, zlib.error, EOFError, OSError) as exc:
        raise refusal(f"«{name}» ist beschädigt oder verschlüsselt und kann nicht gelesen werden.") from exc


def _size(n: int) -> str:
    """Bytes for people: 980 Bytes, 12 KB, 10.04 MB (two decimals, so 10.04 is not «10»)."""
    if n < 1024:
        return f"{n} Bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.2f} MB".replace(".00 MB", " MB")


def _looks_like_text(data: bytes) -> bool:
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        try:
            sample.decode("cp1252")
        except UnicodeDecodeError:
            return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 128 for b in sample)
    return printable / len(sample) > 0.95


# --- reading cells ----------------------------------------------------------


def cell_text(value: Any) -> str | None:
    if value.__class__ is str:  # the common case first: most cells are text
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def norm_word(value: Any) -> str:
    text = re.sub(r"\s+", " ", str(value)).strip().casefold()
    return re.sub(r"^[^\w]+", "", text)  # «● grün» -> «grün»


def _header_norm(value: Any) -> str:
    return re.sub(r"\s+", " ", str(value or "")).strip().casefold()


EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: Any) -> dt.date | None:
    """Excel date cells, serial numbers and text 31.12.2026 or 2026-12-31; ValueError if none."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 20_000 <= value <= 80_000:
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise ValueError
    text = str(value).strip().split(" ")[0]
    for pattern in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError


def parse_progress(value: Any, percent_formatted: bool) -> int:
    """50, «50 %», «50%», 0.5 from a percent cell -> 50; ValueError otherwise."""
    if value.__class__ is float and not percent_formatted and value.is_integer():
        return int(value)  # the common case: a whole number typed into a plain cell
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        number = float(value) * (100 if percent_formatted else 1)
    else:
        text = str(value).strip().replace("\u00a0", " ")
        had_percent = text.endswith("%")
        text = text.rstrip("%").strip().replace("'", "").replace(",", ".")
        number = float(text)
        if not had_percent and 0 < number < 1 and percent_formatted:
            number *= 100
    if math.isnan(number) or abs(number - round(number)) > 1e-6:
        raise ValueError("not whole")
    return round(number)


def parse_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        if math.isnan(float(value)):
            raise ValueError
        return float(value)
    text = str(value).strip().replace("'", "").replace("\u00a0", "").replace(" ", "").replace(",", ".")
    return float(text)


NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
PERCENT_BUILTIN_FORMATS = {9, 10}


def percent_cells(data: bytes, sheet_name: str, column: str) -> set[int]:
    """Rows whose cell in `column` has a percent number format.

    calamine gives values without formats; a 100 % cell arrives as 1.0, so the
    progress column's formats are read from the sheet XML, and only when needed.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        rel_id = next(
            (s.get(REL_NS) for s in workbook.iter(f"{{{NS['m']}}}sheet") if s.get("name") == sheet_name), None
        )
        target = next((r.get("Target") for r in rels if r.get("Id") == rel_id), None)
        if target is None:
            return set()
        target = target.lstrip("/")
        path = target if target.startswith("xl/") else f"xl/{target}"
        percent_styles = _percent_style_indexes(archive)
        rows = set()
        with archive.open(path) as sheet:
            for _, element in ElementTree.iterparse(sheet):
                if element.tag == f"{{{NS['m']}}}c":
                    ref = element.get("r", "")
                    letters = ref.rstrip("0123456789")
                    if letters == column and int(element.get("s", "0")) in percent_styles:
                        rows.add(int(ref[len(letters) :]))
                    element.clear()
        return rows


def has_percent_style(data: bytes) -> bool:
    """Whether the workbook has any percent number format (the tool's own templates have none)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return bool(_percent_style_indexes(archive))


def _percent_style_indexes(archive: zipfile.ZipFile) -> set[int]:
    try:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    except KeyError:
        return set()
    custom = {int(f.get("numFmtId")) for f in styles.iter(f"{{{NS['m']}}}numFmt") if "%" in (f.get("formatCode") or "")}
    percent_ids = PERCENT_BUILTIN_FORMATS | custom
    cell_xfs = styles.find("m:cellXfs", NS)
    if cell_xfs is None:
        return set()
    return {i for i, xf in enumerate(cell_xfs.findall("m:xf", NS)) if int(xf.get("numFmtId", "0")) in percent_ids}


# --- sheets and headers -----------------------------------------------------


def open_workbook(data: bytes, filename: str) -> CalamineWorkbook:
    """The checked file (check_file) opened for reading; a damaged one is refused."""
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken parts
        raise refusal(f"«{filename}» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt.") from exc


def read_sheet(workbook: CalamineWorkbook, name: str) -> list[list[Any]]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's XmlError, CalamineError, ... for a damaged sheet
        raise refusal(f"Das Blatt «{name}» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt.") from exc


def check_header(rows: list[list[Any]], sheet: str, columns: list[Column]) -> list[Problem]:
    header = rows[HEADER_ROW - 1] if len(rows) >= HEADER_ROW else []
    problems = []
    for index, column in enumerate(columns):
        letter = letter_of(columns, column.key)
        found = header[index] if index < len(header) else None
        if _header_norm(found) == _header_norm(column.header):
            continue
        if not cell_text(found):
            message = f"Spalte «{column.header}» fehlt."
        else:
            message = (
                f"erwartet die Spalte «{column.header}», gefunden «{cell_text(found)}». "
                "Spalten nicht umbenennen oder verschieben."
            )
        problems.append(Problem(message, sheet, HEADER_ROW, letter))
    return problems


# --- many rows ---------------------------------------------------------------


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's rows become objects.

    Tens of thousands of small lists and records set off full collections that
    walk every object of the process, again and again: they cost more than the
    checks themselves (seen: 0.2 s of 0.5 s for 10'000 rows). Nothing here
    makes reference cycles, so reference counting frees everything as usual.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            # What survives (the plan's rows) would otherwise be walked by the next young
            # collection, all at once; freeze + unfreeze moves it to the oldest generation
            # unvisited, where it waits for a full collection (or is freed before one).
            gc.freeze()
            gc.unfreeze()
            gc.enable()


# --- the preview: what a plan changes ---------------------------------------

UNCHANGED = "unverändert"


def shown(value: Any, words: Mapping[Any, str]) -> str:
    """A stored or typed value for the preview: «–» for none, ja/nein, 31.12.2026, words by
    their label (e.g. a status), long text cut to 40 characters."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dt.date):
        return fmt.date(value)
    if value in words:
        return words[value]
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def field_changes(fields: Mapping[str, tuple[Any, Any]], show: Callable[[Any], str], labels: Mapping[str, str]) -> str:
    """«: Ampel grün → gelb; Fortschritt 30 → 40», each field by its label (or its own name)."""
    return ": " + "; ".join(
        f"{labels.get(name, name)} {show(old)} → {show(new)}" for name, (old, new) in fields.items()
    )


class ChangeCounts:
    """What a status plan and a catalogue plan share: their changes (each with kind, what,
    key and row) counted by kind, and listed one line each for the preview."""

    changes: list

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def has_changes(self) -> bool:
        return any(c.kind != UNCHANGED for c in self.changes)

    def change_lines(self) -> list[str]:
        """«  geändert: Statusbericht M-5.1.01: Ampel grün → gelb» for each change but the unchanged."""
        return [f"  {c.kind}: {c.what} {c.key}{self.detail(c)}" for c in self.changes if c.kind != UNCHANGED]

    def detail(self, change: Any) -> str:
        """What the line of a change says after its key; by default nothing."""
        return ""
