"""The rows of a status report checked one by one, and compared with the stored values.

Every problem is named with sheet, row and column. Used by the status import
(tracking/excel_import.py) for a file's sheets and for the table typed into
the browser; the cells are read with tracking/workbook.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.indicators import current_value
from tracking.models import Indicator, Measure, ReportingPeriod
from tracking.plausibility import Hint, report_warnings
from tracking.report_sheet import (
    HEADER_ROW,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    LIGHT_WORDS,
    NO_WORDS,
    REPORT_COLUMN,
    REPORT_COLUMNS,
    REPORT_SHEET,
    STATUS_WORDS,
    YES_WORDS,
    letter_of,
)
from tracking.reports import REPORT_FIELDS, EarlierReport, Reportable, ReportValues
from tracking.scope import Scope
from tracking.text_rules import text_problem
from tracking.vocab import COMPLETED, LIGHTS, NEEDS_REASON, STATUSES
from tracking.workbook import Problem, cell_text, norm_word, parse_date, parse_number, parse_progress, shown


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
    """A report's value for the preview: status and light by their label («in Umsetzung», «grün»)."""
    return shown(value, _WORDS)


_WORDS = STATUSES | LIGHTS


def row_hints(
    reports: list[ReportRow], allowed: dict[str, Reportable], earlier: dict[int, list[EarlierReport]], day: dt.date
) -> list[RowHints]:
    """The plausibility warnings (tracking/plausibility.py) of each report row that has any, read on `day`."""
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


class ReportRowValidator:
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
            seen[text] = words.get(norm_word(text))
            return seen[text]

    def problem(self, excel_row: int, key: str, message: str) -> None:
        column = REPORT_COLUMN[key]
        self.problems.append(Problem(message, REPORT_SHEET, excel_row, letter_of(REPORT_COLUMNS, key), column.header))

    def __call__(self, raw: list[Any], excel_row: int) -> ReportRow | str | None:
        """The parsed row, "empty" for a row without a report, None for a row with problems."""
        if len(raw) < len(REPORT_COLUMNS):
            raw = list(raw) + [None] * (len(REPORT_COLUMNS) - len(raw))
        before = len(self.problems)
        measure = self._measure(raw, excel_row)
        if measure is None:
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
        status, light, value = self._reported(excel_row, status_text, light_text, raw_progress, progress_text)
        comment = texts["comment"]
        if light in NEEDS_REASON and not comment:
            self.problem(
                excel_row,
                "comment",
                f"Ampel {LIGHTS[light]} braucht eine Begründung. Bitte in «Kommentar / Begründung» erklären, warum.",
            )
        if status == COMPLETED and value is not None and value < 100:
            self.problem(
                excel_row, "progress", f"Status «abgeschlossen» verlangt 100 % Fortschritt, gemeldet sind {value} %."
            )
        as_of = self._as_of(raw[_AS_OF], excel_row)
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
        return ReportRow(excel_row, measure.code, measure.measure_id, values, as_of)

    def _measure(self, raw: list[Any], excel_row: int) -> Reportable | None:
        """The measure the row reports on; None (the problem named) when its code is missing,
        repeated or not reportable here, and for a row without code or input."""
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
        return measure

    def _reported(
        self,
        excel_row: int,
        status_text: str | None,
        light_text: str | None,
        raw_progress: Any,
        progress_text: str | None,
    ) -> tuple[str | None, str | None, int | None]:
        """Status, light and progress as typed, each checked; None for a missing or invalid one."""
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
        return status, light, value

    def _as_of(self, raw_as_of: Any, excel_row: int) -> dt.date | None:
        """«Stand per»: a date not in the future, or none."""
        if raw_as_of is None or raw_as_of == "":
            return None
        try:
            as_of = parse_date(raw_as_of)
        except ValueError:
            self.problem(
                excel_row,
                "as_of",
                f"«{cell_text(raw_as_of)}» ist kein gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31.",
            )
            return None
        if as_of and as_of > self._latest:
            self.problem(excel_row, "as_of", f"Das Datum {as_of:%d.%m.%Y} liegt in der Zukunft.")
        return as_of

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


def validate_indicators(
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


def compare(
    session: Session,
    period: ReportingPeriod,
    current: dict[int, tuple[int, tuple]],
    reports: list[ReportRow],
    indicators: list[IndicatorRow],
) -> list[Change]:
    """Each report and indicator row against the stored values: neu, geändert or unverändert."""
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
