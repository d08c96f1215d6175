"""Wording shared by the slides (powerpoint.py) and the PDF (pdf.py), and the page's failure message.

Plain text: each format adds its own markup.
"""

from __future__ import annotations

from collections.abc import Callable

from tracking import formatting as fmt
from tracking.council import points
from tracking.council_content import CouncilContent, FieldBlock
from tracking.errors import TrackingError
from tracking.vocab import GREEN, LIGHT_ICONS, LIGHTS, NO_REPORT, RED, YELLOW, light_text

NBSP = "\u00a0"
NO_ATTENTION = "Keine Massnahme ist rot, hinter Plan oder überfällig."
DECISION_NOTE = "Vorschläge, abgeleitet aus den Meldungen; entscheiden wird der Regierungsrat."
TABLE_NOTE = "Ist: gemeldeter Fortschritt · Soll: erwarteter Fortschritt am Stichtag · Ende: geplantes Ende"
ATTENTION_NOTE = (
    "Rot, hinter Plan, überfällig oder mit Plausibilitätshinweis. "
    "Ist: gemeldeter Fortschritt · Soll: erwartet am Stichtag"
)


def xml_safe(text: str) -> str:
    # XML 1.0 forbids most control characters; a pasted comment may hold one.
    return "".join(ch for ch in str(text) if ch in "\t\n" or ord(ch) >= 32)


def clean(text: str) -> str:
    """Text for slides and pages: XML-safe, and «45 %» never broken between number and sign."""
    return xml_safe(text).replace(" %", NBSP + "%")


def progress_text(value: float | None) -> str:
    return fmt.percent(value, missing="–")


def lights_line(lights: dict[str, int]) -> str:
    parts = [f"{fmt.number(lights[key])} {light_text(key)}" for key in LIGHTS]
    parts.append(f"{fmt.number(lights[NO_REPORT])} {LIGHT_ICONS['keine']} {NO_REPORT}")
    return " · ".join(parts)


def field_facts(content: CouncilContent, block: FieldBlock) -> list[tuple[str, str]]:
    """Key figures of one field as (label, value) pairs."""
    if content.previous_period is None:
        change = "keine Vorperiode"
    elif block.progress is None and block.previous_progress is None:
        change = "keine Daten"
    elif block.change is None:
        change = f"{content.previous_period}: {fmt.percent(block.previous_progress)}"
    else:
        change = f"{points(block.change)} ({content.previous_period}: {progress_text(block.previous_progress)})"
    return [
        ("Fortschritt", fmt.percent(block.progress)),
        ("Veränderung", change),
        ("Sammelampel", block.summary_light_label),
        ("Ampeln", lights_line(block.lights)),
        (
            "Massnahmen",
            f"{fmt.number(block.n_measures)}; hinter Plan {fmt.number(block.n_behind_plan)}; "
            f"überfällig {fmt.number(block.n_overdue)}",
        ),
        # Why the Sammelampel, when the rule decided a tie.
        *([("Gleichstand", block.summary_note)] if block.summary_note else []),
    ]


def field_notable(block: FieldBlock) -> list[tuple[str, list[str]]]:
    """Notable changes of one field: (heading, the measures by name); empty kinds say «keine»."""
    return [
        (f"Neu {light_text(RED)}", [r.name for r in block.turned_red]),
        ("Abgeschlossen", [r.name for r in block.completed]),
        ("Am meisten vorangekommen", [f"{a.name} ({points(a.delta)})" for a in block.advanced_most]),
    ]


def headline_rows(content: CouncilContent) -> list[tuple[str, str, str]]:
    """(label, this period, previous period) for the key figures table."""
    h, p = content.headline, content.previous_headline

    def both(render: Callable[[dict], str]) -> tuple[str, str]:
        return render(h), (render(p) if p is not None else "–")

    return [
        ("Massnahmen", *both(lambda x: fmt.number(x["measures"]))),
        ("davon meldepflichtig", *both(lambda x: fmt.number(x["active"]))),
        ("Meldungen eingegangen", *both(lambda x: fmt.number(x["reported"]))),
        ("Rücklauf", *both(lambda x: fmt.share(x["completeness"]))),
        ("Gesamtfortschritt", *both(lambda x: fmt.percent(x["overall_progress"]))),
        ("Auf Kurs (● grün)", *both(lambda x: fmt.share(x["on_track_share"]))),
        (light_text(GREEN), *both(lambda x: fmt.number(x["green"]))),
        (light_text(YELLOW), *both(lambda x: fmt.number(x["yellow"]))),
        (light_text(RED), *both(lambda x: fmt.number(x["red"]))),
        ("Hinter Plan", *both(lambda x: fmt.number(x["behind_plan"]))),
        ("Überfällig", *both(lambda x: fmt.number(x["overdue"]))),
        ("Abgeschlossen (insgesamt)", *both(lambda x: fmt.number(x["completed"]))),
    ]


def measure_table(content: CouncilContent) -> tuple[list[str], list[list[str]], list[str | None]]:
    """Header, rows and each row's light of the appendix's table of all measures."""
    header = ["Code", "Massnahme", "Feld", "Dep.", "Status", "Ampel", "Ist", "Soll", "Ende"]
    rows = [
        [
            m.code,
            m.title,
            m.field_code,
            m.department,
            m.status_label,
            m.light_label,
            progress_text(m.progress),
            progress_text(m.expected),
            fmt.date(m.planned_end),
        ]
        for m in content.measures
    ]
    return header, rows, [m.light for m in content.measures]


def failure_message(what: str, exc: Exception) -> str:
    """What the page says when building a file failed: the library's own German message, else the kind
    of error, and that the Excel file holds the same tables."""
    if isinstance(exc, TrackingError):
        reason = " ".join(exc.messages).rstrip(".")
    else:
        reason = f"unerwarteter Fehler ({type(exc).__name__}); bitte der Fachstelle melden"
    return f"{what} konnte nicht erstellt werden: {reason}. Die Excel-Datei enthält dieselben Tabellen."
