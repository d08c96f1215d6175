"""The council's meeting summary, computed: the content (tracking/council_content.py) of a
period from the roll-ups (tracking.rollup) of that period and the one before it.

council_content() reads nothing from the database; live_council_content() reads what it
needs at any scale; load_council_content() gives a closed period's stored content instead.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.council_content import (
    ISSUER,
    STRATEGY_NAME,
    Advance,
    AttentionRow,
    CompletenessRow,
    CouncilContent,
    Decision,
    FieldBlock,
    MatrixCell,
    MeasureRef,
    plain_date,
    plain_headline,
    plain_number,
    plain_text,
    report_day,
    waiting_sentence,
)
from tracking.council_json import stored_content
from tracking.figures import figures_trend
from tracking.periods import get_period, plan_day
from tracking.plausibility import RULE_LABELS, Earlier, Hint, report_warnings
from tracking.reports import earlier_reports
from tracking.rollup import (
    BEHIND_PLAN_MARGIN,
    PeriodRollup,
    changes_since,
    completeness,
    headline,
    light_distribution,
    progress_trend,
    rollup,
)
from tracking.sign_off import waiting_count
from tracking.snapshot import Snapshot, load_snapshot
from tracking.tables import rows_of
from tracking.vocab import GREEN, LIGHTS, NO_REPORT, RED, TOTAL, YELLOW, light_text, strength_label

OVERALL = TOTAL  # the overall line in progress_trend (the palette draws it black and thick)
# Sentences name at most this many measures (by name, a line each); the lists name them all.
NAMES_IN_SENTENCE = 3
# Where the measures a sentence leaves out are listed.
ATTENTION_TITLE = "Was braucht Aufmerksamkeit?"  # the list's title on the page and in every file
IN_ATTENTION = f"alle in «{ATTENTION_TITLE}»"
NO_DECISION = "Aus den Daten ergibt sich kein Entscheidungsbedarf."
IN_FIELDS = "alle unter «Die Aktionsfelder»"
# Per field and kind of change, at most this many measures are named.
NOTABLE_PER_KIND = 3


def count(n: int, singular: str, plural: str) -> str:
    """«1 Massnahme ist», «3 Massnahmen sind»: number and the matching form."""
    return f"{fmt.number(n)} {singular if n == 1 else plural}"


def points(delta: float | None) -> str:
    """A change in percentage points: «+5 Prozentpunkte», «−1 Prozentpunkt», «unverändert»."""
    if delta is None:
        return "–"
    rounded = round(delta)
    if rounded == 0:
        return "unverändert"
    sign = "+" if rounded > 0 else "−"
    unit = "Prozentpunkt" if abs(rounded) == 1 else "Prozentpunkte"
    return f"{sign}{fmt.number(abs(rounded))} {unit}"


def name_list(names: list[str], where: str = "", limit: int = NAMES_IN_SENTENCE) -> str:
    """«A, B und C»; beyond the limit «A, B, C und 4 weitere», and where all of them are listed."""
    if len(names) <= limit:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " und " + names[-1]
    rest = f" und {len(names) - limit} weitere"
    return ", ".join(names[:limit]) + (f"{rest} ({where})" if where else rest)


# --- building the parts -------------------------------------------------------


def _summary(
    period: str,
    previous: str | None,
    h: dict,
    ph: dict | None,
    changes: pd.DataFrame,
    comp: pd.DataFrame,
) -> list[str]:
    """Sentences for «Wo stehen wir, was hat sich verändert»; every number from the roll-ups."""
    return [
        *_returns_sentences(period, h, comp),
        *_standing_sentences(previous, h, ph),
        *_change_sentences(period, previous, h, ph, changes),
        *_risk_sentences(h, changes),
    ]


def _returns_sentences(period: str, h: dict, comp: pd.DataFrame) -> list[str]:
    """Reports received (Rücklauf), with the departments that lack the most."""
    active, reported = int(h["active"]), int(h["reported"])
    missing = active - reported
    if active == 0:
        return [f"In der Berichtsperiode {period} ist keine Massnahme meldepflichtig."]
    if reported == 0:
        return [
            f"Für {period} ist noch keine Meldung eingegangen: "
            f"{count(active, 'meldepflichtige Massnahme ist', 'meldepflichtige Massnahmen sind')} ohne Meldung."
        ]
    noun = "meldepflichtigen Massnahme" if active == 1 else "meldepflichtigen Massnahmen"
    verb = "hat" if reported == 1 else "haben"
    sentence = (
        f"{fmt.number(reported)} von {fmt.number(active)} {noun} {verb} für {period} gemeldet "
        f"(Rücklauf {fmt.share(h['completeness'])})."
    )
    if not missing:
        return [sentence + " Es fehlt keine Meldung."]
    lacking = comp[comp["missing"] > 0]
    worst = lacking[lacking["missing"] == lacking["missing"].max()]
    names = name_list(list(worst["department_code"]), limit=5)
    if len(lacking) == 1:
        where = f"alle bei {names}" if missing > 1 else names
    else:
        each = "je " if len(worst) > 1 else ""
        where = f"am meisten bei {names}: {each}{fmt.number(int(worst['missing'].iloc[0]))}"
    return [sentence + f" {count(missing, 'Meldung fehlt', 'Meldungen fehlen')} ({where})."]


def _standing_sentences(previous: str | None, h: dict, ph: dict | None) -> list[str]:
    """Where we stand: overall progress against the previous period, the lights."""
    out = []
    if h["overall_progress"] is None:
        out.append("Ein Gesamtfortschritt lässt sich noch nicht berechnen: es liegen keine Daten vor.")
    else:
        sentence = f"Der Gesamtfortschritt beträgt {fmt.percent(h['overall_progress'])}"
        if ph is not None and ph["overall_progress"] is not None:
            delta = h["overall_progress"] - ph["overall_progress"]
            sentence += f" ({previous}: {fmt.percent(ph['overall_progress'])}, {points(delta)})"
        out.append(sentence + ".")
    if int(h["reported"]):
        out.append(
            f"Ampeln der eingegangenen Meldungen: {fmt.number(h['green'])} {light_text(GREEN)}, "
            f"{fmt.number(h['yellow'])} {light_text(YELLOW)}, {fmt.number(h['red'])} {light_text(RED)}; "
            f"{fmt.share(h['on_track_share'])} auf Kurs."
        )
    return out


def _change_sentences(period: str, previous: str | None, h: dict, ph: dict | None, changes: pd.DataFrame) -> list[str]:
    """What changed since the previous period: advanced, newly red, completed."""
    out = []
    reported = int(h["reported"])
    red_codes = _names(changes[changes["turned_red"]])
    done_codes = _names(changes[changes["completed"]])
    if previous is None:
        out.append(f"{period} ist die erste Berichtsperiode: Veränderungen werden ab der nächsten Periode gezeigt.")
        if red_codes:
            out.append(
                f"{count(len(red_codes), 'Massnahme steht', 'Massnahmen stehen')} auf {light_text(RED)}: "
                f"{name_list(red_codes, IN_FIELDS)}."
            )
    else:
        compared = int((changes["has_report"] & changes["prev_has_report"].fillna(False).astype(bool)).sum())
        if compared == 0:
            if reported == 0:
                out.append(f"Ohne Meldungen für {period} ist kein Vergleich mit {previous} möglich.")
            elif ph is not None and ph["reported"] == 0:
                out.append(f"Für {previous} liegen keine Meldungen vor: ein Vergleich ist nicht möglich.")
            else:
                out.append(
                    f"Keine Massnahme hat in beiden Perioden gemeldet: ein Vergleich mit {previous} ist nicht möglich."
                )
        else:
            advanced = int(changes["advanced"].sum())
            subject = "Keine Massnahme ist" if advanced == 0 else count(advanced, "Massnahme ist", "Massnahmen sind")
            out.append(
                f"{subject} gegenüber {previous} vorangekommen "
                f"(von {fmt.number(compared)} mit Meldung in beiden Perioden)."
            )
        if red_codes:
            out.append(
                f"{count(len(red_codes), 'Massnahme ist', 'Massnahmen sind')} neu auf {light_text(RED)}: "
                f"{name_list(red_codes, IN_FIELDS)}."
            )
        elif reported:
            out.append(f"Keine Massnahme ist neu auf {light_text('rot')}.")
    if done_codes:
        out.append(
            f"{count(len(done_codes), 'Massnahme wurde', 'Massnahmen wurden')} abgeschlossen: "
            f"{name_list(done_codes, IN_FIELDS)}."
        )
    elif reported:
        out.append("In dieser Periode wurde keine Massnahme abgeschlossen.")
    return out


def _risk_sentences(h: dict, changes: pd.DataFrame) -> list[str]:
    """What is at risk: overdue and behind plan."""
    out = []
    overdue_codes = _names(changes[changes["overdue"]])
    if overdue_codes:
        out.append(
            f"{count(len(overdue_codes), 'Massnahme ist', 'Massnahmen sind')} überfällig "
            f"(geplantes Ende vorbei, nicht abgeschlossen): {name_list(overdue_codes, IN_ATTENTION)}."
        )
    else:
        out.append("Keine Massnahme ist überfällig.")
    behind = int(h["behind_plan"])
    who = count(behind, "Massnahme liegt", "Massnahmen liegen") if behind else "Keine Massnahme liegt"
    out.append(f"{who} mehr als {fmt.number(BEHIND_PLAN_MARGIN)} Prozentpunkte hinter Plan.")
    return out


def _attention(m: pd.DataFrame, hints: dict[int, list[Hint]]) -> list[AttentionRow]:
    red = m["has_report"] & (m["light"] == RED)
    hinted = m["measure_id"].isin(list(hints))
    listed = m[red | m["behind_plan"] | m["overdue"] | hinted].copy()
    listed["is_red"] = red[listed.index]
    listed["hinted"] = hinted[listed.index]
    # Red first, then overdue, then behind plan, then plausibility warnings; within each by code.
    listed = listed.sort_values(
        ["is_red", "overdue", "behind_plan", "hinted", "code"], ascending=[False, False, False, False, True]
    )
    rows = []
    # Not iterrows: at 100'000 measures a Series per row costs seconds and hundreds of MB.
    for r in rows_of(listed):
        why = [w for w, flag in (("rot", r.is_red), ("überfällig", r.overdue), ("hinter Plan", r.behind_plan)) if flag]
        found = hints.get(r.measure_id, [])
        why += list(dict.fromkeys(f"Hinweis: {RULE_LABELS[h.rule]}" for h in found))
        light = r.light if r.has_report else None
        reason = plain_text(r.comment) if r.has_report else ""
        if found and plain_text(r.explanation):
            explanation = plain_text(r.explanation)
            reason = f"{reason} (Erläuterung: {explanation})" if reason else f"Erläuterung: {explanation}"
        rows.append(
            AttentionRow(
                code=r.code,
                title=plain_text(r.title),
                field_code=r.field_code,
                department=plain_text(r.department_code),
                light=light,
                light_label=light_text(light),
                progress=plain_number(r.progress) if r.has_report else None,
                expected=plain_number(r.expected),
                planned_end=plain_date(r.planned_end),
                reason=reason,
                why="; ".join(why),
                hints=tuple(h.message for h in found),
            )
        )
    return rows


def _earlier_in(snap: Snapshot, period: str) -> dict[int, list[Earlier]]:
    """Each measure's last two reports before the period, newest first, from the snapshot's reports
    (tracking.reports.earlier_reports reads the same in SQL)."""
    starts = dict(zip(snap.periods["period_id"], snap.periods["start_date"]))
    names = dict(zip(snap.periods["period_id"], snap.periods["period"]))
    start = snap.period_row(period)["start_date"]
    r = snap.reports
    if r.empty:
        return {}
    r = r[[starts[p] < start for p in r["period_id"]]]
    r = r.assign(_start=[starts[p] for p in r["period_id"]]).sort_values("_start", ascending=False)
    out: dict[int, list[Earlier]] = {}
    for row in rows_of(r.groupby("measure_id").head(2)):
        comment = row.comment if isinstance(row.comment, str) else None
        out.setdefault(row.measure_id, []).append(
            Earlier(names[row.period_id], row.status, row.light, float(row.progress), comment)
        )
    return out


def _hints(m: pd.DataFrame, earlier: dict[int, list], day: dt.date) -> dict[int, list[Hint]]:
    """measure_id -> the plausibility warnings of its report in the period (carried reports have none)."""
    out = {}
    for r in rows_of(m[m["has_report"]]):
        found = report_warnings(
            r.status,
            r.light,
            float(r.progress),
            plain_text(r.comment) or None,
            earlier.get(r.measure_id, ()),
            start_date=plain_date(r.start_date),
            planned_end=plain_date(r.planned_end),
            day=day,
        )
        if found:
            out[r.measure_id] = found
    return out


def _matrix(r: PeriodRollup) -> list[MatrixCell]:
    return [
        MatrixCell(
            field_code=c.field_code,
            field_name=c.field_name,
            core_code=c.core_code,
            core_name=c.core_name,
            strength=float(c.strength),
            strength_label=strength_label(float(c.strength)) if c.n_goals else "kein Beitrag",
            n_goals=int(c.n_goals),
            progress=plain_number(c.progress),
            state=plain_text(c.state),
            core_short=plain_text(c.core_short),
        )
        for c in r.matrix.itertuples()
    ]


def _names(rows: pd.DataFrame) -> list[str]:
    """The measures as people read them, in code order."""
    return [m.name for m in _refs(rows.sort_values("code"))]


def _refs(rows: pd.DataFrame) -> list[MeasureRef]:
    return [
        MeasureRef(r.code, plain_text(r.title), plain_text(r.department_code))
        for r in rows[["code", "title", "department_code"]].itertuples()
    ]


def _fields(r: PeriodRollup, prev: PeriodRollup | None, changes: pd.DataFrame, trend: pd.DataFrame) -> list[FieldBlock]:
    dist = light_distribution(r.measures, "field_code").set_index("field_code")
    prev_progress = {} if prev is None else dict(zip(prev.fields["field_code"], prev.fields["progress"]))
    blocks = []
    for f in r.fields.itertuples():
        mine = changes[changes["field_code"] == f.field_code]
        progress, before = plain_number(f.progress), plain_number(prev_progress.get(f.field_code))
        lights = {key: 0 for key in [*LIGHTS, NO_REPORT]}
        light, note = None, ""
        if f.field_code in dist.index:
            row = dist.loc[f.field_code]
            lights = {key: int(row[key]) for key in lights}
            # None or NaN (pandas turns a column of only None into NaN) when nothing came in.
            light = row["summary_light"] if isinstance(row["summary_light"], str) else None
            note = plain_text(row["summary_note"])
        advanced = mine[mine["advanced"]].sort_values(["progress_delta", "code"], ascending=[False, True])
        field_trend = trend[trend["field_code"] == f.field_code]
        blocks.append(
            FieldBlock(
                code=f.field_code,
                name=f.field_name,
                progress=progress,
                previous_progress=before,
                change=None if progress is None or before is None else progress - before,
                n_measures=len(mine),
                n_behind_plan=int(mine["behind_plan"].sum()),
                n_overdue=int(mine["overdue"].sum()),
                lights=lights,
                summary_light=light,
                summary_light_label=light_text(light),
                trend=[(p, plain_number(v)) for p, v in zip(field_trend["period"], field_trend["progress"])],
                turned_red=_refs(mine[mine["turned_red"]]),
                completed=_refs(mine[mine["completed"]]),
                summary_note=note,
                advanced_most=[
                    Advance(a.code, plain_text(a.title), float(a.progress_delta), plain_text(a.department_code))
                    for a in advanced.head(NOTABLE_PER_KIND).itertuples()
                ],
            )
        )
    return blocks


def _decisions(attention: list[AttentionRow], comp: pd.DataFrame) -> list[Decision]:
    """What the council may have to decide, derived from the data (a proposal, not a verdict)."""
    out = []
    red = [a for a in attention if a.light == RED]
    if red:
        out.append(
            Decision(
                f"{count(len(red), 'gefährdete Massnahme', 'gefährdete Massnahmen')} ({light_text(RED)})",
                "Weiterführen mit Korrekturen, sistieren oder abbrechen?",
                tuple(a.code for a in red),
                tuple(a.name for a in red),
            )
        )
    overdue = [a for a in attention if "überfällig" in a.why]
    if overdue:
        out.append(
            Decision(
                f"{count(len(overdue), 'überfällige Massnahme', 'überfällige Massnahmen')}",
                "Neuen Endtermin genehmigen oder die Massnahme abschliessen?",
                tuple(a.code for a in overdue),
                tuple(a.name for a in overdue),
            )
        )
    low = comp[comp["share"] < 0.5]
    if len(low):
        names = ", ".join(f"{d} ({fmt.share(s)})" for d, s in zip(low["department_code"], low["share"]))
        out.append(
            Decision(
                f"Rücklauf unter 50 %: {names}",
                "Die Departemente beauftragen, die fehlenden Meldungen nachzuliefern?",
                tuple(low["department_code"]),
            )
        )
    return out


# --- the whole ----------------------------------------------------------------


def load_council_content(
    session: Session, period: str, *, as_of: dt.date | None = None, trend: pd.DataFrame | None = None
) -> CouncilContent:
    """The Sitzungsbericht of the period: a closed period's as stored when it was frozen
    (tracking/frozen.py; on its reference day, the end), else live_council_content."""
    found = get_period(session, period)
    if not found.is_open and as_of in (None, found.end_date):
        stored = stored_content(session, found.id)
        if stored is not None:
            return stored
    return live_council_content(session, period, as_of=as_of, trend=trend)


def live_council_content(
    session: Session, period: str, *, as_of: dt.date | None = None, trend: pd.DataFrame | None = None
) -> CouncilContent:
    """council_content read from the database at any scale: the reports of the period and of
    the one before it (with the final reports carried into them), the trend in SQL (or the
    one given: figures_trend up to the period, as the dashboard keeps it)."""
    structure = load_snapshot(session, with_measures=False)
    previous = structure.previous_period(period)
    snap = load_snapshot(session, report_periods=[p for p in (previous, period) if p])
    if trend is None:
        trend = figures_trend(session, structure, up_to=period)
    # Only measures reporting in the period get warnings: their history alone is read.
    found = get_period(session, period)
    earlier = earlier_reports(session, found, reported_in_period=True)
    waiting = waiting_count(session, found.id)
    return council_content(snap, period, as_of=as_of, trend=trend, earlier=earlier, n_waiting=waiting)


def council_content(
    snap: Snapshot,
    period: str,
    *,
    as_of: dt.date | None = None,
    trend: pd.DataFrame | None = None,
    earlier: dict[int, list] | None = None,
    n_waiting: int = 0,
) -> CouncilContent:
    """The meeting summary of one period, compared with the period before it.

    as_of: the day for plan and overdue checks (default: the period's end),
    as in tracking.rollup.rollup. trend: progress_trend up to the period when
    already computed (figures_trend, in SQL). earlier: each measure's last two reports
    before the period (tracking.reports.earlier_reports) when the snapshot does not hold
    the whole history. n_waiting: reports waiting for the department's release (sign-off),
    which count nowhere yet. Raises KeyError for an unknown period.
    """
    prow = snap.period_row(period)
    current = rollup(snap, period, as_of=as_of)
    previous_name = snap.previous_period(period)
    previous = rollup(snap, previous_name) if previous_name else None

    h = plain_headline(headline(current))
    ph = plain_headline(headline(previous)) if previous else None
    changes = changes_since(current.measures, previous.measures if previous else None)
    comp = completeness(current.measures)
    trend = progress_trend(snap, up_to=period) if trend is None else trend
    overall = trend[trend["field_code"] == OVERALL]
    day = plan_day(prow["end_date"], as_of)
    hints = _hints(current.measures, _earlier_in(snap, period) if earlier is None else earlier, day)
    attention = _attention(current.measures, hints)
    n_unchanged = int((current.measures["has_report"] & current.measures["unchanged"].fillna(False).astype(bool)).sum())
    summary = _summary(period, previous_name, h, ph, changes, comp)
    summary += _reporting_quality(n_unchanged, len(hints), int(h["reported"]))
    if n_waiting:
        summary.append(waiting_sentence(n_waiting))

    return CouncilContent(
        strategy=STRATEGY_NAME,
        issuer=ISSUER,
        period=period,
        period_start=plain_date(prow["start_date"]),
        period_end=plain_date(prow["end_date"]),
        as_of=plain_date(day),
        created=report_day(),
        previous_period=previous_name,
        headline=h,
        previous_headline=ph,
        summary=summary,
        attention=attention,
        core_goals=list(zip(snap.core_goals["core_code"], snap.core_goals["core_name"])),
        core_progress={c.core_code: plain_number(c.progress) for c in current.core_goals.itertuples()},
        matrix=_matrix(current),
        fields=_fields(current, previous, changes, trend),
        overall_trend=[(p, plain_number(v)) for p, v in zip(overall["period"], overall["progress"])],
        decisions=_decisions(attention, comp),
        completeness=[
            CompletenessRow(r.department_code, int(r.active), int(r.reported), int(r.missing), plain_number(r.share))
            for r in comp.itertuples()
        ],
        measure_frame=current.measures,
        n_unchanged=n_unchanged,
        n_hints=len(hints),
        n_waiting=n_waiting,
    )


def _reporting_quality(n_unchanged: int, n_hints: int, reported: int) -> list[str]:
    """How much of what came in is new: confirmed unchanged reports and plausibility warnings."""
    if not reported:
        return []
    out = []
    if n_unchanged:
        out.append(f"{count(n_unchanged, 'Meldung bestätigt', 'Meldungen bestätigen')} die letzte Meldung unverändert.")
    if n_hints:
        out.append(
            f"{count(n_hints, 'Meldung hat', 'Meldungen haben')} Plausibilitätshinweise; "
            f"sie stehen in der Liste «{ATTENTION_TITLE}»."
        )
    return out
