"""Import a filled-in status report: check the file, validate every cell, preview, save, undo.

The file is checked for what it is before it is parsed (size, zip structure,
zip bombs, encryption, other formats). Then every problem is collected at
once, each with sheet, row and column as Excel shows them. Nothing is written
until the caller confirms; saving is one transaction.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from python_calamine import CalamineWorkbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracking.access import Actor, require, require_scope
from tracking.audit import WriteLog, person_label
from tracking.errors import TrackingError
from tracking.indicators import current_value, record_value
from tracking.models import (
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
    StatusReport,
    WriteRecord,
    local_now,
)
from tracking.periods import get_period, lock_period, reference_day
from tracking.plausibility import Hint, report_warnings
from tracking.report_sheet import (
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    LIGHT_WORDS,
    META_SHEET,
    NO_WORDS,
    REPORT_COLUMN,
    REPORT_COLUMNS,
    REPORT_SHEET,
    STATUS_WORDS,
    TEMPLATE_VERSION,
    YES_WORDS,
    Column,
    letter_of,
)
from tracking.reports import (
    REPORT_FIELDS,
    EarlierReport,
    Reportable,
    ReportItem,
    ReportValues,
    current_reports,
    earlier_reports,
    last_write_id,
    record_reports,
    reportable_measures,
)
from tracking.scope import Scope
from tracking.text_rules import text_problem
from tracking.vocab import LIGHTS, NEEDS_REASON, STATUSES

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A real template expands to a few MB; far more means a zip bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 150
MAX_ZIP_MEMBERS = 5_000
IMPORT_ACTION = "import"

ProgressCallback = Callable[[float, str], None]


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


def _norm_word(value: Any) -> str:
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


def _has_percent_style(data: bytes) -> bool:
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


# --- the plan: validated rows and what they change --------------------------


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


@dataclass(slots=True)
class ReportRow:
    row: int
    code: str
    measure_id: int
    values: ReportValues
    as_of: dt.date | None


@dataclass
class IndicatorRow:
    row: int
    indicator_id: int
    label: str
    value: float


@dataclass(slots=True)
class Change:
    """One row of the file against the stored values: the values side by side, the
    differing ones named only when shown (a big file's preview shows a few)."""

    kind: str  # "neu", "geändert", "unverändert"
    what: str  # "Statusbericht" or "Kennzahl"
    key: str
    row: int
    labels: tuple[str, ...] = ()
    before: tuple | None = None  # None: nothing stored yet
    after: tuple = ()

    @property
    def fields(self) -> dict[str, tuple[Any, Any]]:
        """label -> (stored, from the file) of each value that differs; for a new row, each given one
        («Unverändert: nein» is no value given)."""
        if self.before is None:
            return {label: (None, b) for label, b in zip(self.labels, self.after) if b is not None and b is not False}
        return {label: (a, b) for label, a, b in zip(self.labels, self.before, self.after) if a != b}


@dataclass(frozen=True)
class RowHints:
    """The plausibility warnings of one row, with the explanation the reporter gave."""

    row: int
    code: str
    hints: tuple[Hint, ...]
    explanation: str | None


@dataclass
class ImportPlan:
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

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def has_changes(self) -> bool:
        return any(c.kind != "unverändert" for c in self.changes)

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
        for change in self.changes:
            if change.kind == "unverändert":
                continue
            detail = ""
            if change.kind == "geändert":
                detail = ": " + "; ".join(
                    f"{name} {show_value(old)} → {show_value(new)}" for name, (old, new) in change.fields.items()
                )
            lines.append(f"  {change.kind}: {change.what} {change.key}{detail}")
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


FIELD_LABELS = {
    "status": "Status",
    "light": "Ampel",
    "progress": "Fortschritt",
    "comment": "Kommentar",
    "next_steps": "Nächste Schritte",
    "risks": "Risiken",
    "unchanged": "Unverändert",
    "explanation": "Erläuterung",
    "value": "Wert",
}


def show_value(value: Any) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if value in STATUSES:
        return STATUSES[value]
    if value in LIGHTS:
        return LIGHTS[value]
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "…"


def read_sheet(workbook: CalamineWorkbook, name: str) -> list[list[Any]]:
    try:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's XmlError, CalamineError, ... for a damaged sheet
        raise refusal(f"Das Blatt «{name}» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt.") from exc


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
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own error types for broken parts
        raise refusal(f"«{filename}» kann nicht gelesen werden: die Arbeitsmappe ist beschädigt.") from exc
    if REPORT_SHEET not in workbook.sheet_names:
        found = ", ".join(f"«{n}»" for n in workbook.sheet_names if n != META_SHEET) or "keine"
        raise refusal(f"Das Blatt «{REPORT_SHEET}» fehlt (gefunden: {found}). Bitte die Vorlage des Tools verwenden.")
    meta = read_meta(workbook)

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
    percent_rows = percent_cells(data, REPORT_SHEET, progress_letter) if _has_percent_style(data) else set()
    plan = _plan_rows(session, period, scope, rows[HEADER_ROW:], indicator_rows, percent_rows, actor, report)
    plan.filename, plan.data_size = filename, len(data)
    return plan


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
    problems: list[Problem] = []
    try:
        reportable = reportable_measures(session, period, scope)
    except TrackingError as exc:  # e.g. a field retired since the template was made
        raise ImportRefused([Problem(f"Vorlage für {scope.label}: {m}") for m in exc.messages]) from exc
    allowed = {r.code: r for r in reportable}
    # The last two reports before the period: what «unverändert» carries and the plausibility rules read.
    earlier = earlier_reports(session, period, [r.measure_id for r in reportable])

    validate = _ReportRowValidator(session, allowed, percent_rows, scope, earlier)
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
    problems += validate.problems

    if actor is not None and actor.role != "admin":
        # Name every row outside the uploader's scope now; apply_import refuses them too.
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

    report(0.75, "Kennzahlen werden geprüft …")
    indicators, indicator_problems = _validate_indicators(session, indicator_rows, reportable)
    problems += indicator_problems
    if problems:
        raise ImportRefused(problems)

    report(0.85, "Vergleich mit den gespeicherten Werten …")
    write_mark = last_write_id(session)
    current = current_reports(session, period.id)
    changes = _compare(session, period, current, reports, indicators)
    # Warnings for what this file changes: a row as stored was warned about when it came in.
    changing = {c.row for c in changes if c.what == "Statusbericht" and c.kind != "unverändert"}
    day = reference_day(period.start_date, period.end_date, period.is_open)
    hints = _hints([r for r in reports if r.row in changing], allowed, earlier, day)
    report(1.0, "Prüfung abgeschlossen.")
    return ImportPlan(
        "", period.name, scope, reports, indicators, changes, empty_rows, 0, current, write_mark=write_mark, hints=hints
    )


def _hints(
    reports: list[ReportRow], allowed: dict[str, Reportable], earlier: dict[int, list[EarlierReport]], day: dt.date
) -> list[RowHints]:
    out = []
    for row in reports:
        v, measure = row.values, allowed[row.code]
        found = report_warnings(
            v.status,
            v.light,
            v.progress,
            v.comment,
            earlier.get(row.measure_id, ()),
            start_date=measure.start_date,
            planned_end=measure.planned_end,
            day=day,
        )
        if found:
            out.append(RowHints(row.row, row.code, tuple(found), v.explanation))
    return out


_INDEX = {c.key: i for i, c in enumerate(REPORT_COLUMNS)}
_STATUS, _LIGHT, _PROGRESS, _COMMENT = _INDEX["status"], _INDEX["light"], _INDEX["progress"], _INDEX["comment"]
_NEXT_STEPS, _RISKS, _AS_OF = _INDEX["next_steps"], _INDEX["risks"], _INDEX["as_of"]
_UNCHANGED, _EXPLANATION = _INDEX["unchanged"], _INDEX["explanation"]
_INPUT_KEYS = ("status", "light", "progress", "unchanged", "comment", "next_steps", "risks", "explanation", "as_of")
_TEXT_KEYS = ("comment", "next_steps", "risks", "explanation")
_ALLOWED_STATUS = ", ".join(STATUSES.values())
_PROGRESS_RULE = "Erlaubt: ganze Zahl von 0 bis 100, z. B. 50 oder 50 %."


class _ReportRowValidator:
    """Checks the rows of the report sheet one by one and collects every problem.

    Built once per file: the lookups (measures, words typed before) are shared
    by all rows, so a row costs only its own checks.
    """

    def __init__(
        self,
        session: Session,
        allowed: dict[str, Reportable],
        percent_rows: set[int],
        scope: Scope,
        earlier: dict[int, list[EarlierReport]],
    ):
        self.session = session
        self.allowed = allowed
        self.earlier = earlier
        self.percent_rows = percent_rows
        self.scope = scope
        self.problems: list[Problem] = []
        self.seen: dict[str, int] = {}
        self._known: dict[str, bool] | None = None
        # Words typed before (most rows repeat a handful): text -> vocabulary key or None.
        self._status_words: dict[str, str | None] = {}
        self._light_words: dict[str, str | None] = {}
        self._latest = dt.date.today() + dt.timedelta(days=1)

    def known(self) -> dict[str, bool]:
        """Every measure code with whether it is active; read only when a row needs it."""
        if self._known is None:
            self._known = {code: active for code, active in self.session.execute(select(Measure.code, Measure.active))}
        return self._known

    @staticmethod
    def _word(seen: dict[str, str | None], words: dict[str, str], text: str) -> str | None:
        try:
            return seen[text]
        except KeyError:
            seen[text] = words.get(_norm_word(text))
            return seen[text]

    def problem(self, excel_row: int, key: str, message: str) -> None:
        column = REPORT_COLUMN[key]
        self.problems.append(Problem(message, REPORT_SHEET, excel_row, letter_of(REPORT_COLUMNS, key), column.header))

    def __call__(self, raw: list[Any], excel_row: int) -> ReportRow | str | None:
        """The parsed row, "empty" for a row without a report, None for a row with problems."""
        if len(raw) < len(REPORT_COLUMNS):
            raw = list(raw) + [None] * (len(REPORT_COLUMNS) - len(raw))
        before = len(self.problems)
        code = cell_text(raw[0])
        if not code:
            if any(cell_text(raw[_INDEX[k]]) for k in _INPUT_KEYS):
                self.problem(
                    excel_row, "code", "Code fehlt: ohne Massnahmencode kann die Zeile nicht zugeordnet werden."
                )
            return None
        code = code.upper()
        if code in self.seen:
            self.problem(
                excel_row,
                "code",
                f"Massnahme {code} kommt doppelt vor (schon in Zeile {self.seen[code]}). "
                "Bitte nur eine Zeile pro Massnahme.",
            )
            return None
        self.seen[code] = excel_row
        measure = self.allowed.get(code)
        if measure is None:
            self._not_allowed(code, excel_row)
            return None
        status_text = cell_text(raw[_STATUS])
        light_text = cell_text(raw[_LIGHT])
        raw_progress = raw[_PROGRESS]
        progress_text = cell_text(raw_progress)
        unchanged = self._unchanged(raw[_UNCHANGED], excel_row)
        texts = {key: cell_text(raw[_INDEX[key]]) for key in _TEXT_KEYS}
        for key, text in texts.items():
            if text and (problem := text_problem(text, key)):
                self.problem(excel_row, key, f"Der Text {problem}")
        if unchanged:
            given = (status_text, light_text, progress_text, raw_progress)
            return self._carried(measure, excel_row, before, given, texts)
        if not (status_text or light_text or progress_text):
            if any(texts.values()):
                self.problem(
                    excel_row,
                    "status",
                    "Status, Ampel und Fortschritt fehlen: ohne sie ist die Zeile keine Meldung und ihr Text ginge "
                    "verloren. Bitte die drei Werte eintragen oder «Unverändert: ja» wählen.",
                )
                return None
            return None if len(self.problems) > before else "empty"

        status = self._word(self._status_words, STATUS_WORDS, status_text) if status_text else None
        if not status_text:
            self.problem(excel_row, "status", f"Status fehlt. Erlaubt: {_ALLOWED_STATUS}.")
        elif status is None:
            self.problem(excel_row, "status", f"«{status_text}» ist kein gültiger Status. Erlaubt: {_ALLOWED_STATUS}.")

        light = self._word(self._light_words, LIGHT_WORDS, light_text) if light_text else None
        if not light_text:
            self.problem(excel_row, "light", "Ampel fehlt. Erlaubt: grün, gelb, rot.")
        elif light is None:
            self.problem(excel_row, "light", f"«{light_text}» ist keine gültige Ampel. Erlaubt: grün, gelb, rot.")

        value: int | None = None
        if not progress_text:
            self.problem(excel_row, "progress", f"Fortschritt fehlt. {_PROGRESS_RULE}")
        else:
            try:
                value = parse_progress(raw_progress, excel_row in self.percent_rows)
            except ValueError:
                self.problem(excel_row, "progress", f"«{progress_text}» ist keine ganze Zahl. {_PROGRESS_RULE}")
            else:
                if not 0 <= value <= 100:
                    self.problem(
                        excel_row,
                        "progress",
                        f"{value} liegt ausserhalb von 0 bis 100. Erlaubt: ganze Zahl von 0 bis 100.",
                    )
                    value = None

        comment = texts["comment"]
        if light in NEEDS_REASON and not comment:
            self.problem(
                excel_row,
                "comment",
                f"Ampel {LIGHTS[light]} braucht eine Begründung. Bitte in «Kommentar / Begründung» erklären, warum.",
            )
        if status == "abgeschlossen" and value is not None and value < 100:
            self.problem(
                excel_row, "progress", f"Status «abgeschlossen» verlangt 100 % Fortschritt, gemeldet sind {value} %."
            )

        as_of = None
        raw_as_of = raw[_AS_OF]
        if raw_as_of is not None and raw_as_of != "":
            try:
                as_of = parse_date(raw_as_of)
            except ValueError:
                self.problem(
                    excel_row,
                    "as_of",
                    f"«{cell_text(raw_as_of)}» ist kein gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31.",
                )
            else:
                if as_of and as_of > self._latest:
                    self.problem(excel_row, "as_of", f"Das Datum {as_of:%d.%m.%Y} liegt in der Zukunft.")

        if len(self.problems) > before:
            return None
        values = ReportValues(
            status=status,
            light=light,
            progress=value,
            comment=comment,
            next_steps=texts["next_steps"],
            risks=texts["risks"],
            explanation=texts["explanation"],
        )
        return ReportRow(excel_row, code, measure.measure_id, values, as_of)

    def _unchanged(self, raw: Any, excel_row: int) -> bool:
        text = cell_text(raw)
        if not text or text.casefold() in NO_WORDS:
            return False
        if text.casefold() in YES_WORDS:
            return True
        self.problem(excel_row, "unchanged", f"«{text}» ist hier nicht gültig. Erlaubt: ja (oder leer lassen).")
        return False

    def _carried(
        self,
        measure: Reportable,
        excel_row: int,
        before: int,
        inputs: tuple[str | None, str | None, str | None, Any],
        texts: dict[str, str | None],
    ) -> ReportRow | None:
        """«Unverändert: ja»: this period's report carries the last report's values, marked as confirmed.

        Cells filled in as well must say the same as the last report: anything else is a contradiction.
        """
        earlier = self.earlier.get(measure.measure_id)
        if not earlier:
            self.problem(
                excel_row,
                "unchanged",
                f"{measure.code} hat noch keine frühere Meldung, die unverändert gelten könnte. "
                "Bitte Status, Ampel und Fortschritt eintragen.",
            )
            return None
        last = earlier[0]
        status_text, light_text, progress_text, raw_progress = inputs
        given = {
            "status": (status_text, lambda t: self._word(self._status_words, STATUS_WORDS, t), last.status),
            "light": (light_text, lambda t: self._word(self._light_words, LIGHT_WORDS, t), last.light),
            "progress": (
                progress_text,
                lambda _t: _progress_or_none(raw_progress, excel_row in self.percent_rows),
                last.progress,
            ),
            "comment": (texts["comment"], lambda t: t, last.comment),
            "next_steps": (texts["next_steps"], lambda t: t, last.next_steps),
            "risks": (texts["risks"], lambda t: t, last.risks),
        }
        for key, (text, parse, carried) in given.items():
            if text and parse(text) != carried:
                self.problem(
                    excel_row,
                    key,
                    f"«Unverändert: ja» übernimmt die letzte Meldung ({last.period}: {show_value(carried)}), "
                    f"hier steht «{show_value(text)}». Entweder «Unverändert» leeren oder die Zelle leeren.",
                )
        if len(self.problems) > before:
            return None
        values = ReportValues(
            last.status,
            last.light,
            last.progress,
            last.comment,
            last.next_steps,
            last.risks,
            unchanged=True,
            explanation=texts["explanation"],
        )
        return ReportRow(excel_row, measure.code, measure.measure_id, values, None)

    def _not_allowed(self, code: str, excel_row: int) -> None:
        active = self.known().get(code)
        if active is None:
            message = f"Unbekannter Massnahmencode «{code}». Bitte die Codes der Vorlage nicht ändern."
        elif not active:
            message = f"Massnahme {code} ist ausser Kraft und kann nicht mehr gemeldet werden."
        else:
            message = (
                f"Massnahme {code} gehört nicht zum Geltungsbereich dieser Vorlage ({self.scope.label}) "
                "oder ist in dieser Periode nicht meldepflichtig."
            )
        self.problem(excel_row, "code", message)


def _progress_or_none(raw: Any, percent_formatted: bool) -> int | None:
    try:
        return parse_progress(raw, percent_formatted)
    except ValueError:
        return None


def _validate_indicators(
    session: Session, rows: list[list[Any]], reportable: list[Reportable]
) -> tuple[list[IndicatorRow], list[Problem]]:
    if not rows:
        return [], []
    goal_ids = sorted({r.goal_id for r in reportable})
    indicators = {
        i.id: i
        for i in session.scalars(select(Indicator).where(Indicator.goal_id.in_(goal_ids), Indicator.active.is_(True)))
    }
    id_col = letter_of(INDICATOR_COLUMNS, "indicator_id")
    value_col = letter_of(INDICATOR_COLUMNS, "value")
    id_index = [c.key for c in INDICATOR_COLUMNS].index("indicator_id")
    value_index = [c.key for c in INDICATOR_COLUMNS].index("value")
    problems: list[Problem] = []
    parsed: list[IndicatorRow] = []
    seen: dict[int, int] = {}
    for offset, raw in enumerate(rows[HEADER_ROW:]):
        excel_row = HEADER_ROW + 1 + offset
        raw_value = raw[value_index] if value_index < len(raw) else None
        raw_id = raw[id_index] if id_index < len(raw) else None
        if not cell_text(raw_value):
            continue
        try:
            indicator_id = int(parse_number(raw_id))
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    "Nummer der Kennzahl fehlt oder ist ungültig; bitte nicht ändern.",
                    INDICATOR_SHEET,
                    excel_row,
                    id_col,
                    "Nr.",
                )
            )
            continue
        if indicator_id not in indicators:
            problems.append(
                Problem(
                    f"Kennzahl Nr. {indicator_id} gehört nicht zu dieser Vorlage.",
                    INDICATOR_SHEET,
                    excel_row,
                    id_col,
                    "Nr.",
                )
            )
            continue
        if indicator_id in seen:
            problems.append(
                Problem(
                    f"Kennzahl Nr. {indicator_id} kommt doppelt vor (schon in Zeile {seen[indicator_id]}).",
                    INDICATOR_SHEET,
                    excel_row,
                    id_col,
                    "Nr.",
                )
            )
            continue
        seen[indicator_id] = excel_row
        try:
            value = parse_number(raw_value)
        except (TypeError, ValueError):
            problems.append(
                Problem(
                    f"«{cell_text(raw_value)}» ist keine Zahl. Erlaubt: z. B. 1234.5 oder 1'234.5.",
                    INDICATOR_SHEET,
                    excel_row,
                    value_col,
                    "Wert",
                )
            )
            continue
        indicator = indicators[indicator_id]
        parsed.append(IndicatorRow(excel_row, indicator_id, f"{indicator.name} ({indicator.unit})", value))
    return parsed, problems


def _compare(
    session: Session,
    period: ReportingPeriod,
    current: dict[int, tuple[int, tuple]],
    reports: list[ReportRow],
    indicators: list[IndicatorRow],
) -> list[Change]:
    changes = []
    labels = tuple(FIELD_LABELS[f] for f in REPORT_FIELDS)
    for row in reports:
        existing = current.get(row.measure_id)
        if existing is None:
            kind, old = "neu", None
        else:
            old = existing[1]
            kind = "unverändert" if old == row.values else "geändert"
        changes.append(Change(kind, "Statusbericht", row.code, row.row, labels, old, row.values))
    for row in indicators:
        existing_value = current_value(session, row.indicator_id, period.id)
        key = f"Nr. {row.indicator_id} {row.label}"
        old = None if existing_value is None else (existing_value.value,)
        kind = "neu" if old is None else "unverändert" if old == (row.value,) else "geändert"
        changes.append(Change(kind, "Kennzahl", key, row.row, ("Wert",), old, (row.value,)))
    return changes


# --- saving and undoing -----------------------------------------------------


@dataclass
class ImportResult:
    write_id: int | None
    reports_written: int
    values_written: int


def _measure_scopes(session: Session, measure_ids: list[int]) -> list[tuple[str, str | None, str | None]]:
    """(code, field, lead department) of each measure, for the scope check."""
    from tracking.models import ActionField, Department, Goal

    wanted = set(measure_ids)
    if not wanted:
        return []
    query = (
        select(Measure.id, Measure.code, ActionField.code, Department.code)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .order_by(Measure.code)
    )
    # A long IN list costs more than reading every measure (and meets SQLite's
    # limit of bound parameters): filter in Python beyond a few hundred.
    if len(wanted) <= 500:
        query = query.where(Measure.id.in_(wanted))
    return [(code, field, department) for mid, code, field, department in session.execute(query) if mid in wanted]


def _indicator_scopes(
    session: Session, actor: Actor, indicator_ids: list[int]
) -> list[tuple[str, str | None, str | None]]:
    """(label, field, department) per indicator: its goal's field, and one of the actor's
    departments when that department leads a measure of the goal (so department scopes
    cover the key figures of their own goals)."""
    from tracking.models import ActionField, Department, Goal

    rows = []
    for indicator_id, goal_id, field_code in session.execute(
        select(Indicator.id, Indicator.goal_id, ActionField.code)
        .join(Goal, Goal.id == Indicator.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .where(Indicator.id.in_(indicator_ids))
    ):
        leads = set(
            session.scalars(
                select(Department.code)
                .join(Measure, Measure.lead_department_id == Department.id)
                .where(Measure.goal_id == goal_id)
            )
        )
        department = next(iter(sorted(leads & set(actor.departments))), None)
        rows.append((f"Kennzahl Nr. {indicator_id}", field_code, department))
    return rows


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
        require_scope(acting, _measure_scopes(session, changing), "melden")
        changing_values = [
            r.indicator_id
            for r in plan.indicators
            if (v := current_value(session, r.indicator_id, period.id)) is None or v.value != r.value
        ]
        require_scope(acting, _indicator_scopes(session, acting, changing_values), "melden")
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
        log.record.summary = (
            f"Periode {plan.period}, {plan.scope.label}: {written} Meldungen, {values} Kennzahlwerte gespeichert."
        )
    session.flush()
    report(1.0, "Gespeichert.")
    return ImportResult(log.record.id if log.record else None, written, values)


def undo_import(session: Session, write_id: int, *, actor: Actor | str) -> int:
    """Put back the values from before an import; returns how many rows were restored."""
    from tracking.models import RowChange

    acting = require(actor, "undo")
    record = session.get(WriteRecord, write_id)
    if record is None or record.action != IMPORT_ACTION:
        raise TrackingError(f"Import {write_id} gibt es nicht.")
    models = {"status_report": StatusReport, "indicator_value": IndicatorValue}
    changes = session.execute(
        select(RowChange.table_name, RowChange.row_key, RowChange.before, RowChange.after)
        .where(RowChange.write_id == write_id, RowChange.table_name.in_(list(models)))
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
            for name, model in models.items()
        }

    # Queue behind other writes of the same periods first, then check under the lock.
    period_ids = sorted({row.period_id for by_id in read_rows().values() for row in by_id.values()})
    closed = [session.get(ReportingPeriod, pid).name for pid in period_ids if not lock_period(session, pid)]
    rows = read_rows()
    session.refresh(record)
    measure_ids = [row[3] for row in rows["status_report"].values()]
    require_scope(acting, _measure_scopes(session, measure_ids), "zurücksetzen")
    indicator_ids = [row[3] for row in rows["indicator_value"].values()]
    require_scope(acting, _indicator_scopes(session, acting, indicator_ids), "zurücksetzen")
    if record.undone_by_id is not None:
        raise TrackingError(f"Import {write_id} wurde bereits rückgängig gemacht (Vorgang {record.undone_by_id}).")
    # Refuse when a later write replaced a row of this import: undoing it would
    # silently drop that later report.
    current = {name: {row.id: row.is_current for row in rows[name].values()} for name, model in models.items()}
    for change in changes:
        if not current[change.table_name].get(change.after["id"], False):
            raise TrackingError(
                f"Import {write_id} kann nicht rückgängig gemacht werden: {change.row_key} wurde seither "
                "durch eine neuere Meldung ersetzt. Zuerst die neueren Importe rückgängig machen."
            )
    if closed:
        raise TrackingError(
            f"Import {write_id} betrifft die geschlossene Periode {', '.join(closed)} "
            "und kann nicht rückgängig gemacht werden."
        )
    log = WriteLog(session, actor=acting, source=f"Rückgängig: Import {write_id}", action="undo")
    log.ensure_record()
    for name, model in models.items():
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
    record.undone_by_id = log.record.id
    log.record.summary = f"Import {write_id} rückgängig gemacht: {len(changes)} Zeilen auf den früheren Stand."
    session.flush()
    return len(changes)


# The column that says whose row it is, for the scope check of an undo.
_OWNER = {"status_report": "measure_id", "indicator_value": "indicator_id"}


def import_history(session: Session) -> list[dict[str, Any]]:
    """Every import, newest first: who, when, what, how many rows, whether it was undone,
    and scopes: the (action field, lead department) pairs of the measures it reported."""
    from tracking.models import ActionField, Department, Goal, RowChange

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
