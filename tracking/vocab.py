"""Fixed vocabularies: status, traffic light, direction, contribution strength.

Codes are stored in the database (ASCII, stable); labels are what people read.
Lights are never shown by colour alone: every light has an icon and a word too
(their colours are in tracking.palette).
"""

from __future__ import annotations

PLANNED = "geplant"
IN_PROGRESS = "in_umsetzung"
COMPLETED = "abgeschlossen"
SUSPENDED = "sistiert"
CANCELLED = "abgebrochen"
STATUSES: dict[str, str] = {
    PLANNED: "geplant",
    IN_PROGRESS: "in Umsetzung",
    COMPLETED: "abgeschlossen",
    SUSPENDED: "sistiert",
    CANCELLED: "abgebrochen",
}
# Under way: behind plan is judged only for these.
RUNNING_STATUSES = frozenset({PLANNED, IN_PROGRESS})
# Counted and shown, but they do not pull progress down (README «Hochrechnungsregeln»).
PAUSED_STATUSES = frozenset({SUSPENDED, CANCELLED})
# A measure in one of these states has ended; it is not overdue and not due a report.
ENDED_STATUSES = frozenset({COMPLETED, CANCELLED})

GREEN, YELLOW, RED = "gruen", "gelb", "rot"
LIGHTS: dict[str, str] = {GREEN: "grün", YELLOW: "gelb", RED: "rot"}
LIGHT_MEANING: dict[str, str] = {
    "gruen": "auf Kurs",
    "gelb": "Risiken oder leichte Verzögerung",
    "rot": "gefährdet",
}
LIGHT_ICONS: dict[str, str] = {"gruen": "●", "gelb": "▲", "rot": "■", "keine": "○"}
# Worse colours sort higher: used for "ties toward the worse colour".
LIGHT_SEVERITY: dict[str, int] = {"gruen": 0, "gelb": 1, "rot": 2}
NEEDS_REASON = frozenset({"gelb", "rot"})

NO_REPORT = "keine Meldung"
# The series of the whole strategy beside the fields (trend lines).
TOTAL = "Gesamt"
NO_DATA = "keine Daten"

# A report under sign-off (Freigabe), by its stored state.
WAITING = "eingereicht"
RELEASED = "freigegeben"
RETURNED = "zurueckgewiesen"
WITHDRAWN = "zurueckgezogen"  # the import that submitted it was undone
REPLACED = "ersetzt"  # a later upload replaced it before review
SUBMISSION_STATES: dict[str, str] = {
    WAITING: "eingereicht",
    RELEASED: "freigegeben",
    RETURNED: "zurückgewiesen",
    WITHDRAWN: "zurückgezogen",
    REPLACED: "ersetzt",
}

DIRECTIONS: dict[str, str] = {"hoeher": "höher ist besser", "tiefer": "tiefer ist besser"}

# Contribution of a goal to a core goal; a plain number is accepted as well.
STRENGTHS: dict[str, float] = {"keine": 0.0, "schwach": 1.0, "mittel": 2.0, "stark": 3.0}


def strength_label(weight: float) -> str:
    """The word for a contribution weight (nearest named strength)."""
    if weight <= 0:
        return "keine"
    best = min(STRENGTHS.items(), key=lambda kv: (abs(kv[1] - weight), -kv[1]))
    return best[0] if best[1] > 0 else "schwach"


def light_text(light: str | None) -> str:
    """Icon and word for a light, e.g. '■ rot'; «keine Meldung» when missing (None, or NaN as
    a DataFrame holds it)."""
    if not isinstance(light, str) or not light:
        return f"{LIGHT_ICONS['keine']} {NO_REPORT}"
    return f"{LIGHT_ICONS[light]} {LIGHTS[light]}"
