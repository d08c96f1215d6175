"""Page one of the meeting summary: what the Regierungsrat reads first, in two minutes; and the
table of all fields that follows it.

The period, five key figures with their change, three to five sentences and at
most five points that need a decision (each with the measure's title,
department and reason). The Sitzungsbericht page shows it at the top, the
PowerPoint on its first content slide, the PDF on its first page: all three
read it from here, so they say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracking import formatting as fmt
from tracking.council import ATTENTION_TITLE, count, name_list
from tracking.council_content import AttentionRow, CouncilContent, waiting_sentence
from tracking.rollup import BEHIND_PLAN_MARGIN
from tracking.vocab import GREEN, NO_REPORT, RED, YELLOW, light_text

MAX_POINTS = 5
MAX_SENTENCES = 5
REASON_CHARS = 110  # a point's reason in the briefing; the attention list has it whole
# Where the points the briefing leaves out are listed, in every format.
MORE_POINTS_WHERE = f"«{ATTENTION_TITLE}»"
QUESTION_RED = "Weiterführen mit Korrekturen, sistieren oder abbrechen?"
QUESTION_OVERDUE = "Neuen Endtermin genehmigen oder die Massnahme abschliessen?"


@dataclass(frozen=True)
class KeyFigure:
    label: str
    value: str
    change: str | None  # «+3 Pp.», «unverändert» against the previous period; None without one
    rising_is_good: bool  # a rise in red or overdue measures is bad news
    note: str = ""  # e.g. «35 von 53 Meldungen»


@dataclass(frozen=True)
class BriefingPoint:
    name: str  # the measure as people read it: «Titel (DEP, Code)»
    department: str
    light: str | None
    why: str  # «rot», «überfällig; hinter Plan»
    reason: str  # the report's own words, shortened (the attention list has them whole)
    question: str  # what the council may decide


@dataclass(frozen=True)
class Briefing:
    period: str
    period_text: str  # «2026-H2 (01.07.2026 – 31.12.2026) · Stand 15.11.2026»
    figures: list[KeyFigure]
    sentences: list[str]
    points: list[BriefingPoint]
    more_points: int  # red or overdue measures beyond the five shown


def key_figures(c: CouncilContent) -> list[KeyFigure]:
    """The five key figures, each with its change since the previous period."""
    h, p = c.headline, c.previous_headline or {}

    def change(key: str, scale: float = 1.0, unit: str = "") -> str | None:
        if h.get(key) is None or p.get(key) is None:
            return None
        return fmt.change(h.get(key), p.get(key), scale, unit) or "unverändert"

    return [
        KeyFigure(
            "Gesamtfortschritt", fmt.percent(h["overall_progress"]), change("overall_progress", unit=" Pp."), True
        ),
        KeyFigure(
            f"Auf Kurs ({light_text(GREEN)})",
            fmt.share(h["on_track_share"]),
            change("on_track_share", 100, " Pp."),
            True,
            f"{fmt.number(h['green'])} von {fmt.number(h['reported'])} Meldungen",
        ),
        KeyFigure(light_text(RED), fmt.number(h["red"]), change("red"), False, "gefährdet"),
        KeyFigure("Überfällig", fmt.number(h["overdue"]), change("overdue"), False, "Ende vorbei, nicht fertig"),
        KeyFigure(
            "Rücklauf",
            fmt.share(h["completeness"]),
            change("completeness", 100, " Pp."),
            True,
            f"{fmt.number(h['reported'])} von {fmt.number(h['active'])} Meldungen",
        ),
    ]


def _sentences(c: CouncilContent) -> list[str]:
    h = c.headline
    out = []
    if h["active"]:
        missing = h["active"] - h["reported"]
        owing = count(h["active"], "meldepflichtigen Massnahme hat", "meldepflichtigen Massnahmen haben")
        out.append(
            f"{fmt.number(h['reported'])} von {owing} "
            f" für {c.period} gemeldet (Rücklauf {fmt.share(h['completeness'])})"
            + (f"; {count(missing, 'Meldung fehlt', 'Meldungen fehlen')}." if missing else ".")
        )
    else:
        out.append(f"Für {c.period} ist keine Massnahme meldepflichtig.")
    if waiting := waiting_sentence(c.n_waiting):
        out.append(waiting)
    ranked = sorted((b for b in c.fields if b.progress is not None), key=lambda b: b.progress)
    if len(ranked) >= 2:
        low, high = ranked[0], ranked[-1]
        out.append(
            f"Am weitesten ist {high.code} {high.name} ({fmt.percent(high.progress)}), "
            f"am wenigsten weit {low.code} {low.name} ({fmt.percent(low.progress)})."
        )
    risks = [
        part
        for n, part in (
            (h["red"], count(h["red"], "Massnahme ist rot", "Massnahmen sind rot")),
            (h["overdue"], f"{fmt.number(h['overdue'])} überfällig"),
            (
                h["behind_plan"],
                f"{fmt.number(h['behind_plan'])} mehr als {fmt.number(BEHIND_PLAN_MARGIN)} Prozentpunkte hinter Plan",
            ),
        )
        if n
    ]
    out.append(
        (risks[0] if len(risks) == 1 else ", ".join(risks[:-1]) + " und " + risks[-1]) + "."
        if risks
        else "Keine Massnahme ist rot, überfällig oder hinter Plan."
    )
    red_fields = [f"{b.code} {b.name}" for b in c.fields if b.summary_light == RED]
    if red_fields:
        out.append(f"Sammelampel {light_text(RED)}: {name_list(red_fields, limit=len(red_fields))}.")
    completed = sum(len(b.completed) for b in c.fields)
    if completed:
        out.append(f"{count(completed, 'Massnahme wurde', 'Massnahmen wurden')} in dieser Periode abgeschlossen.")
    return out[:MAX_SENTENCES]


def shorten(text: str, limit: int) -> str:
    """At most limit characters, cut at a word with «…»."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:") + "…"


def _point(a: AttentionRow) -> BriefingPoint:
    flags = [w for w in a.why.split("; ") if not w.startswith("Hinweis")]
    return BriefingPoint(
        name=a.name,
        department=a.department,
        light=a.light,
        why="; ".join(flags),
        reason=shorten(a.reason, REASON_CHARS) if a.reason else "keine Begründung gemeldet",
        question=QUESTION_RED if a.light == RED else QUESTION_OVERDUE,
    )


def decision_candidates(c: CouncilContent) -> list[AttentionRow]:
    """The measures that may need a decision: red or overdue, red first (the attention list's order)."""
    return [a for a in c.attention if a.light == RED or "überfällig" in a.why.split("; ")]


def briefing(c: CouncilContent) -> Briefing:
    candidates = decision_candidates(c)
    return Briefing(
        period=c.period,
        period_text=(
            f"Berichtsperiode {c.period} ({fmt.date(c.period_start)} – {fmt.date(c.period_end)}) · "
            f"Stand {fmt.date(c.as_of)}" + (f" · Vergleich mit {c.previous_period}" if c.previous_period else "")
        ),
        figures=key_figures(c),
        sentences=_sentences(c),
        points=[_point(a) for a in candidates[:MAX_POINTS]],
        more_points=max(0, len(candidates) - MAX_POINTS),
    )


# --- the fields in one table (after the briefing, on the page and in every file) ---


FIELDS_TITLE = "Aktionsfelder im Überblick"


def fields_table(content: CouncilContent) -> tuple[str, list[str], list[list[str]], list[str | None]]:
    """Note, header, rows and each row's Sammelampel of the table of all fields."""
    ties = any(b.summary_note for b in content.fields)
    note = "Sammelampel: die Farbe mit dem grössten Gewicht · Ampeln: Anzahl Massnahmen (○ ohne Meldung)" + (
        " · * Gleichstand: die schlechtere Farbe gilt" if ties else ""
    )
    header = ["Aktionsfeld", "Fortschritt", "Veränderung", "Sammelampel"]
    header += [light_text(GREEN), light_text(YELLOW), light_text(RED), "○ ohne", "überfällig"]
    rows = [
        [
            f"{b.code} {b.name}",
            fmt.percent(b.progress),
            "–" if b.change is None else f"{b.change:+.0f} Pp.",
            b.summary_light_label + (" *" if b.summary_note else ""),
            *(fmt.number(b.lights[k]) for k in (GREEN, YELLOW, RED, NO_REPORT)),
            fmt.number(b.n_overdue),
        ]
        for b in content.fields
    ]
    return note, header, rows, [b.summary_light for b in content.fields]
