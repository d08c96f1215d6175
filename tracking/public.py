"""What the public may see: the one place that decides it.

The public page (tracking/public_page.py), the open data (tracking/opendata.py)
and the command line all read a PublicView and nothing else, so one rule holds
everywhere:

- Public is the strategy (core goals, principles, fields, goals and what they
  contribute to the core goals) and the totals of a period: progress and lights
  per field, per core goal and overall. Every measure counts in a total, public
  or not, so the totals read as on the internal pages.
- Of a measure marked «öffentlich» (Measure.public) only the columns in
  PUBLIC_MEASURE_COLUMNS: title, field, goal, lead department, status,
  progress, light, planned start and end, and the day of its last report.
- Only closed periods are published: their figures are frozen and the council
  has seen them; the open period stays internal until the Fachstelle closes it.
- Never: reasons, risks, next steps, comments, descriptions, budgets, people
  (unit, contact, who reported), accounts, the audit trail, reports that wait
  for release (they are not reports yet, see tracking/sign_off.py), and nothing
  of an internal measure beyond its share in a total.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracking import rollup as ru
from tracking.errors import TrackingError
from tracking.figures import figures_trend, period_figures
from tracking.models import ActionField, Principle, ReportingPeriod, StatusReport, Strategy
from tracking.snapshot import Snapshot, load_snapshot
from tracking.vocab import LIGHTS, NO_REPORT, STATUSES, TOTAL

# measure_status's column -> the public column. What is not named here never leaves.
PUBLIC_MEASURE_COLUMNS = {
    "code": "code",
    "title": "titel",
    "field_code": "aktionsfeld",
    "goal_code": "ziel",
    "department_code": "federfuehrung",
    "department_name": "federfuehrung_name",
    "status_text": "status",
    "progress": "fortschritt_prozent",
    "light_text": "ampel",
    "start_date": "beginn",
    "planned_end": "geplantes_ende",
    "last_report": "letzte_meldung",
}
SWITCH_OFF = ("0", "aus", "nein", "false", "off", "no")


def page_enabled(environ=None) -> bool:
    """TRACKING_PUBLIC_PAGE=aus switches the public page off for the whole installation."""
    env = os.environ if environ is None else environ
    return env.get("TRACKING_PUBLIC_PAGE", "").strip().casefold() not in SWITCH_OFF


@dataclass
class Publisher:
    name: str | None
    slug: str | None
    contact: str | None
    email: str | None


@dataclass
class PublicView:
    """Everything public about one closed period; every frame holds public columns only."""

    strategy_code: str
    strategy_name: str
    source: str | None
    goals_are_examples: bool
    sign_off: bool  # reports count once the department released them
    publisher: Publisher
    period: str
    period_start: dt.date
    period_end: dt.date
    periods: list[str]  # every published period up to this one, oldest first
    period_bounds: dict[str, tuple[dt.date, dt.date]]  # period -> (start, end)
    updated: dt.date | None  # the day of the period's last counted report
    core_goals: pd.DataFrame  # code, name, short, progress
    principles: pd.DataFrame  # code, name
    fields: pd.DataFrame  # code, name, introduction, progress, measures, public_measures, the lights' counts
    goals: pd.DataFrame  # code, name, field, example, progress
    contributions: pd.DataFrame  # goal, core goal, weight
    headline: dict  # measures, public_measures, overall_progress, gruen, gelb, rot, keine
    measures: pd.DataFrame  # PUBLIC_MEASURE_COLUMNS' values, public measures counting in the period
    reports: pd.DataFrame  # period + the same columns, every published period up to this one
    progress: pd.DataFrame  # period, level, code, progress: overall, per field, per core goal


def published_periods(session: Session) -> list[str]:
    """The closed periods, oldest first: the only ones the public sees."""
    return list(
        session.scalars(
            select(ReportingPeriod.name).where(ReportingPeriod.is_open.is_(False)).order_by(ReportingPeriod.start_date)
        )
    )


def public_period(session: Session, name: str | None = None) -> str | None:
    """The period to publish: the named one (refused unless published) or the latest closed one;
    None when no period is closed yet."""
    published = published_periods(session)
    if name is None:
        return published[-1] if published else None
    name = name.strip()
    if name in published:
        return name
    known = session.scalar(select(ReportingPeriod.is_open).where(ReportingPeriod.name == name))
    if known is None:
        raise TrackingError(f"Berichtsperiode «{name}» gibt es nicht.")
    raise TrackingError(
        f"Berichtsperiode {name} ist noch offen: öffentlich sind nur abgeschlossene Perioden "
        f"({', '.join(published) or 'noch keine'})."
    )


def public_view(session: Session, period: str | None = None) -> PublicView | None:
    """The public view of a closed period (default: the latest); None when none is closed."""
    name = public_period(session, period)
    if name is None:
        return None
    strategy = session.scalar(select(Strategy).order_by(Strategy.id))
    # The totals come from SQL over all measures; of the measures themselves only the public ones are read.
    snap = load_snapshot(session, with_measures=False)
    public_snap = load_snapshot(session, public_only=True)
    published = [p for p in published_periods(session) if _starts(snap, p) <= _starts(snap, name)]
    figures = period_figures(session, snap, name, as_of=_day(snap, name))
    measures = _measure_rows(public_snap, name)
    return PublicView(
        strategy_code=strategy.code,
        strategy_name=strategy.name,
        source=strategy.source,
        goals_are_examples=bool(strategy.goals_are_examples),
        sign_off=bool(strategy.sign_off),
        publisher=Publisher(strategy.publisher, strategy.publisher_slug, strategy.contact_name, strategy.contact_email),
        period=name,
        period_start=snap.period_row(name)["start_date"],
        period_end=snap.period_row(name)["end_date"],
        periods=published,
        period_bounds={p: (_starts(snap, p), snap.period_row(p)["end_date"]) for p in published},
        updated=_updated(session, name),
        core_goals=figures.core_goals.rename(columns={"core_code": "code", "core_name": "name", "core_short": "short"})[
            ["code", "name", "short", "progress"]
        ],
        principles=_principles(session, strategy.id),
        fields=_fields(session, figures, measures),
        goals=_goals(snap, figures),
        contributions=_contributions(snap),
        headline=_headline(figures, measures),
        measures=measures,
        reports=pd.concat([_measure_rows(public_snap, p).assign(period=p) for p in published], ignore_index=True),
        progress=_progress(session, snap, published),
    )


def _starts(snap: Snapshot, period: str) -> dt.date:
    return snap.period_row(period)["start_date"]


def _day(snap: Snapshot, period: str) -> dt.date:
    return snap.resolve(period).reference_day


def _measure_rows(snap: Snapshot, period: str) -> pd.DataFrame:
    """The public measures counting in the period, by measure_status (the rule of every page),
    in PUBLIC_MEASURE_COLUMNS only."""
    m = ru.measure_status(snap, period, as_of=_day(snap, period))
    if m.empty:
        return pd.DataFrame(columns=list(PUBLIC_MEASURE_COLUMNS.values()))
    m["status_text"] = [STATUSES.get(s, NO_REPORT) if isinstance(s, str) and s else NO_REPORT for s in m["status"]]
    m["light_text"] = [LIGHTS.get(x, "") if isinstance(x, str) else "" for x in m["light"]]
    m["progress"] = m["progress"].round().astype("Int64")
    m["last_report"] = m["measure_id"].map(_last_reports(snap, period))
    m["department_name"] = m["department_code"].map(
        dict(zip(snap.departments["department_code"], snap.departments["department_name"]))
    )
    return m[list(PUBLIC_MEASURE_COLUMNS)].rename(columns=PUBLIC_MEASURE_COLUMNS).reset_index(drop=True)


def _last_reports(snap: Snapshot, period: str) -> dict[int, dt.date]:
    """Per measure the day of its last report up to the period (a measure that ended earlier
    counts with its final report: its day)."""
    start = _starts(snap, period)
    reports = snap.reports.merge(snap.periods[["period_id", "start_date"]], on="period_id")
    reports = reports[reports["start_date"] <= start]
    last = reports.groupby("measure_id")["reported_at"].max()
    return {int(k): pd.Timestamp(v).date() for k, v in last.items()}


def _updated(session: Session, period: str) -> dt.date | None:
    at = session.scalar(
        select(func.max(StatusReport.reported_at))
        .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
        .where(ReportingPeriod.name == period, StatusReport.is_current.is_(True))
    )
    return at.date() if at is not None else None


def _principles(session: Session, strategy_id: int) -> pd.DataFrame:
    rows = session.execute(
        select(Principle.code, Principle.name)
        .where(Principle.strategy_id == strategy_id, Principle.active.is_(True))
        .order_by(Principle.position)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["code", "name"])


def _fields(session: Session, figures, measures: pd.DataFrame) -> pd.DataFrame:
    intros = dict(session.execute(select(ActionField.code, ActionField.introduction)).all())
    lights = figures.lights_by_field.set_index("field_code")
    fields = figures.fields.rename(columns={"field_code": "code", "field_name": "name"})
    out = fields[["code", "name", "progress", "n_measures"]].rename(columns={"n_measures": "measures"})
    out["public_measures"] = out["code"].map(measures["aktionsfeld"].value_counts()).fillna(0).astype(int)
    out["introduction"] = out["code"].map(intros)
    for key in [*LIGHTS, NO_REPORT]:
        out[key] = out["code"].map(lights[key]).fillna(0).astype(int)
    out["summary_light"] = out["code"].map(lights["summary_light"]).fillna("")
    return out.reset_index(drop=True)


def _goals(snap: Snapshot, figures) -> pd.DataFrame:
    goals = figures.goals.merge(snap.fields[["field_id", "field_code"]], on="field_id")
    return goals.rename(columns={"goal_code": "code", "goal_name": "name", "field_code": "field"})[
        ["code", "name", "field", "is_example", "progress"]
    ].reset_index(drop=True)


def _contributions(snap: Snapshot) -> pd.DataFrame:
    c = snap.contributions.merge(snap.goals[["goal_id", "goal_code"]], on="goal_id").merge(
        snap.core_goals[["core_goal_id", "core_code"]], on="core_goal_id"
    )
    c = c[c["weight"] > 0].rename(columns={"goal_code": "goal", "core_code": "core_goal"})
    return c[["goal", "core_goal", "weight"]].sort_values(["goal", "core_goal"]).reset_index(drop=True)


def _headline(figures, measures: pd.DataFrame) -> dict:
    lights = figures.lights_by_field
    return {
        "measures": int(figures.fields["n_measures"].sum()),
        "public_measures": len(measures),
        "overall_progress": figures.headline["overall_progress"],
        **{key: int(lights[key].sum()) for key in LIGHTS},
        "keine": int(lights[NO_REPORT].sum()),
    }


def _progress(session: Session, snap: Snapshot, published: list[str]) -> pd.DataFrame:
    """Progress per period: overall («Gesamt»), per field and per core goal."""
    trend = figures_trend(session, snap, up_to=published[-1]) if published else pd.DataFrame()
    rows = []
    for r in trend.itertuples():
        if r.period in published:
            level = "Gesamt" if r.field_code == TOTAL else "Aktionsfeld"
            rows.append((r.period, level, r.field_code, r.progress))
    for period in published:
        cores = period_figures(session, snap, period, as_of=_day(snap, period)).core_goals
        rows += [(period, "Kernziel", c.core_code, c.progress) for c in cores.itertuples()]
    return pd.DataFrame(rows, columns=["period", "level", "code", "progress"])
