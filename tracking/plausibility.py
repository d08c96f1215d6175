"""Plausibility of a status report: implausible but possible values are warned about, never refused.

The rules (README «Plausibilitätshinweise»), each read against the measure's
plan on the period's reference day and its last reports before the period:

- sistiert or abgebrochen with a green light;
- 100 % but not abgeschlossen;
- green while overdue, or while more than BEHIND_PLAN_MARGIN points behind plan;
- progress lower than in the last report;
- green with progress unchanged over the last two reports;
- the comment word for word the last report's while the light changed.

The import preview, the browser table's preview, the measure's page and the
council report all call `report_warnings`, so a warning reads the same on each.
The reporter may add an explanation; it is stored with the report and shown
beside the warning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from tracking import formatting as fmt
from tracking.rollup import BEHIND_PLAN_MARGIN, expected_progress, is_behind_plan, is_overdue
from tracking.vocab import COMPLETED, GREEN, LIGHTS, PAUSED_STATUSES, STATUSES


class Hint(NamedTuple):
    rule: str  # a stable code, e.g. "green_overdue"
    message: str  # German, for the person who reported


class Earlier(NamedTuple):
    """What the rules read of an earlier report (tracking.reports.EarlierReport fits)."""

    period: str
    status: str
    light: str
    progress: int
    comment: str | None


# Short German names of the rules, for counts and table columns.
RULE_LABELS: dict[str, str] = {
    "paused_green": "sistiert/abgebrochen mit grün",
    "complete_not_closed": "100 %, nicht abgeschlossen",
    # The attention list names «überfällig» and «hinter Plan» itself: these say the light contradicts it.
    "green_overdue": "Ampel grün trotz Verzug",
    "green_behind": "Ampel grün trotz Verzug",
    "progress_down": "Fortschritt gesunken",
    "green_stalled": "grün, Fortschritt seit zwei Perioden gleich",
    "same_comment": "gleicher Kommentar, andere Ampel",
}


def report_warnings(
    status: str,
    light: str,
    progress: float,
    comment: str | None,
    earlier: Sequence[Earlier],
    *,
    start_date: dt.date | None,
    planned_end: dt.date | None,
    day: dt.date,
) -> list[Hint]:
    """The warnings for one report; earlier: the measure's last reports before the period, newest first."""
    out: list[Hint] = []
    if status in PAUSED_STATUSES and light == GREEN:
        out.append(
            Hint(
                "paused_green",
                f"Status «{STATUSES[status]}» mit Ampel grün: ist die Massnahme wirklich auf Kurs?",
            )
        )
    if progress >= 100 and status != COMPLETED:
        out.append(
            Hint(
                "complete_not_closed",
                f"100 % Fortschritt, aber Status «{STATUSES[status]}» statt «abgeschlossen».",
            )
        )
    if light == GREEN and is_overdue(planned_end, status, day):
        out.append(
            Hint(
                "green_overdue",
                f"Ampel grün, obwohl das geplante Ende ({fmt.date(planned_end)}) vorbei ist: "
                "die Massnahme ist überfällig.",
            )
        )
    expected = expected_progress(start_date, planned_end, day)
    if light == GREEN and is_behind_plan(status, progress, expected):
        out.append(
            Hint(
                "green_behind",
                f"Ampel grün, obwohl {fmt.number(expected - progress, 0)} Prozentpunkte hinter Plan "
                f"(Soll {fmt.percent(expected)}, Ist {fmt.percent(progress)}; "
                f"mehr als {fmt.number(BEHIND_PLAN_MARGIN, 0)} gilt als hinter Plan).",
            )
        )
    if earlier:
        last = earlier[0]
        if progress < last.progress:
            out.append(
                Hint(
                    "progress_down",
                    f"Fortschritt tiefer als in der letzten Meldung ({last.period}: "
                    f"{fmt.percent(last.progress)} → {fmt.percent(progress)}).",
                )
            )
        if light == GREEN and len(earlier) >= 2 and progress == last.progress == earlier[1].progress:
            out.append(
                Hint(
                    "green_stalled",
                    f"Ampel grün, aber der Fortschritt steht seit zwei Perioden bei {fmt.percent(progress)} "
                    f"({earlier[1].period}, {last.period} und jetzt).",
                )
            )
        if comment and last.comment and comment.strip() == last.comment.strip() and light != last.light:
            out.append(
                Hint(
                    "same_comment",
                    f"Der Kommentar ist wortgleich wie in {last.period}, obwohl die Ampel von "
                    f"{LIGHTS[last.light]} auf {LIGHTS[light]} wechselte.",
                )
            )
    return out
