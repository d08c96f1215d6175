"""The council's meeting summary as plain data: what the Regierungsrat reads.

A tree of dataclasses with str, int, float, date and None only (no DataFrames, no ORM
objects), so it pickles, caches, is stored as JSON for a closed period
(tracking/council_json.py) and feeds every export the same way (tracking/council_export/,
the dashboard page). tracking/council.py computes it. Missing values stay missing:
progress without data is None, never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from functools import cached_property

import pandas as pd

from tracking import formatting as fmt
from tracking.tables import rows_of
from tracking.vocab import NO_REPORT, STATUSES, light_text

STRATEGY_NAME = "Strategie «Digitaler Wandel»"
ISSUER = "Kanton Luzern"


# --- the content ------------------------------------------------------------


def waiting_sentence(n_waiting: int) -> str | None:
    """What the council reads about reports waiting for the department's release (sign-off)."""
    if not n_waiting:
        return None
    if n_waiting == 1:
        return "1 Meldung wartet auf die Freigabe durch das Departement und zählt noch nicht."
    return f"{fmt.number(n_waiting)} Meldungen warten auf die Freigabe durch die Departemente und zählen noch nicht."


def measure_name(title: str, department: str, code: str) -> str:
    """A measure as people read it: «Elektronische Geschäftsverwaltung (FD, M-5.2.01)», the code
    last, for those who look it up (the code alone when there is no title)."""
    within = ", ".join(part for part in (department, code) if part)
    return f"{title} ({within})" if title else code


@dataclass(frozen=True)
class MeasureRef:
    code: str
    title: str
    department: str = ""  # not in contents stored before names were shown

    @property
    def name(self) -> str:
        return measure_name(self.title, self.department, self.code)


@dataclass(frozen=True)
class Advance:
    code: str
    title: str
    delta: float  # percentage points since the previous period
    department: str = ""

    @property
    def name(self) -> str:
        return measure_name(self.title, self.department, self.code)


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """A measure the council should look at, and why (e.g. «rot; überfällig»)."""

    code: str
    title: str
    field_code: str
    department: str
    light: str | None  # gruen, gelb, rot; None: no report
    light_label: str  # icon and word, e.g. «■ rot»
    progress: float | None
    expected: float | None
    planned_end: dt.date | None
    reason: str  # the report's comment, «» when there is none (with the reporter's explanation of warnings)
    why: str
    hints: tuple[str, ...] = ()  # plausibility warnings of the report, in full

    @property
    def name(self) -> str:
        return measure_name(self.title, self.department, self.code)


@dataclass(frozen=True)
class MatrixCell:
    field_code: str
    field_name: str
    core_code: str
    core_name: str
    strength: float
    strength_label: str
    n_goals: int
    progress: float | None
    state: str  # «», «keine Daten» or «kein Beitrag»
    core_short: str = ""  # the matrix's column heading; «» in contents stored before short names


@dataclass
class FieldBlock:
    code: str
    name: str
    progress: float | None
    previous_progress: float | None
    change: float | None  # percentage points against the previous period
    n_measures: int
    n_behind_plan: int
    n_overdue: int
    lights: dict[str, int]  # gruen, gelb, rot, «keine Meldung» -> count
    summary_light: str | None
    summary_light_label: str
    trend: list[tuple[str, float | None]]  # (period, progress) up to this period
    turned_red: list[MeasureRef] = field(default_factory=list)
    completed: list[MeasureRef] = field(default_factory=list)
    advanced_most: list[Advance] = field(default_factory=list)
    summary_note: str = ""  # why the Sammelampel, when the rule decided a tie (rollup.tie_note)


@dataclass(frozen=True, slots=True)
class MeasureRow:
    code: str
    title: str
    field_code: str
    goal_code: str
    department: str
    status_label: str  # status word or «keine Meldung»
    light: str | None
    light_label: str
    progress: float | None
    expected: float | None
    planned_end: dt.date | None
    behind_plan: bool
    overdue: bool
    comment: str


@dataclass(frozen=True)
class Decision:
    topic: str
    question: str
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()  # the same measures by name (measure_name), in the same order

    @property
    def measures(self) -> tuple[str, ...]:
        """What a person reads: the names (the codes in contents stored before names)."""
        return self.names or self.codes


@dataclass(frozen=True)
class CompletenessRow:
    department: str
    active: int
    reported: int
    missing: int
    share: float | None


@dataclass
class CouncilContent:
    strategy: str
    issuer: str
    period: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date  # «Stand»: the day of the plan and overdue checks
    created: dt.date
    previous_period: str | None
    headline: dict[str, float | int | None]
    previous_headline: dict[str, float | int | None] | None
    summary: list[str]
    attention: list[AttentionRow]
    core_goals: list[tuple[str, str]]  # (code, name) in the strategy's order
    core_progress: dict[str, float | None]
    matrix: list[MatrixCell]
    fields: list[FieldBlock]
    overall_trend: list[tuple[str, float | None]]
    decisions: list[Decision]
    completeness: list[CompletenessRow]
    n_unchanged: int = 0  # reports of the period confirmed unchanged
    n_hints: int = 0  # reports of the period with plausibility warnings
    n_waiting: int = 0  # reports waiting for the department's release (sign-off): not counted
    # Every measure of the period (rollup.measure_status), made into MeasureRows only when a
    # file asks for them: the page does not list them, and at 100'000 measures that takes seconds.
    measure_frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    @cached_property
    def measures(self) -> list[MeasureRow]:
        return [] if self.measure_frame is None else measure_rows(self.measure_frame)

    def __eq__(self, other) -> bool:
        if not isinstance(other, CouncilContent):
            return NotImplemented
        same = all(getattr(self, f.name) == getattr(other, f.name) for f in dataclass_fields(self) if f.compare)
        return same and self.measures == other.measures

    @property
    def footer(self) -> str:
        return f"Berichtsperiode {self.period} · Stand {fmt.date(self.as_of)}"


# --- small helpers ------------------------------------------------------------


# Plain checks instead of pd.isna: these run for every measure, 100'000 times at
# country scale, and pd.isna on one value costs ten times as much.
def missing(x) -> bool:
    return x is None or x is pd.NA or x is pd.NaT or (isinstance(x, float) and x != x)


def plain_number(x) -> float | None:
    """NaN and None -> None; numbers -> float (no numpy types in the content)."""
    if missing(x):
        return None
    value = float(x)
    return None if value != value else value


def plain_text(x) -> str:
    if isinstance(x, str):
        return x.strip()
    return "" if missing(x) else str(x).strip()


def plain_date(x) -> dt.date | None:
    if missing(x):
        return None
    return x.date() if isinstance(x, dt.datetime) else x


def plain_headline(h: dict) -> dict[str, float | int | None]:
    """headline() with NaN as None and plain Python numbers."""
    out: dict[str, float | int | None] = {}
    for key, v in h.items():
        out[key] = int(v) if isinstance(v, int) else plain_number(v)
    return out


def status_label(row) -> str:
    if not row.has_report and not row.carried:
        return NO_REPORT
    label = STATUSES.get(row.status, plain_text(row.status))
    return f"{label} (früher)" if row.carried else label


def measure_rows(m: pd.DataFrame) -> list[MeasureRow]:
    rows = []
    for r in rows_of(m):  # plain tuples: see tracking/tables.py
        shown = r.has_report or r.carried
        light = r.light if shown and isinstance(r.light, str) else None
        rows.append(
            MeasureRow(
                code=r.code,
                title=plain_text(r.title),
                field_code=r.field_code,
                goal_code=plain_text(r.goal_code),
                department=plain_text(r.department_code),
                status_label=status_label(r),
                light=light,
                light_label=light_text(light),
                progress=plain_number(r.progress) if shown else None,
                expected=plain_number(r.expected),
                planned_end=plain_date(r.planned_end),
                behind_plan=bool(r.behind_plan),
                overdue=bool(r.overdue),
                comment=plain_text(r.comment) if shown else "",
            )
        )
    return rows


def report_day() -> dt.date:
    """The day a report is made («erstellt»): today."""
    return dt.date.today()
