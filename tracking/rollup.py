"""Roll-ups: measure -> goal -> field -> core goal, lights, plan vs actual, completeness.

Every rule of README «Hochrechnungsregeln» is one function here. They work on a
Snapshot (tracking/snapshot.py: plain DataFrames loaded once from the store), so the dashboard can
cache one snapshot and compute any period from it, and tests can build small
snapshots by hand.

Missing data stays missing: a measure without a report has progress NaN and
the state «keine Meldung»; a goal without data has NaN and «keine Daten».
Nothing is ever filled with 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tracking.periods import plan_day
from tracking.snapshot import REPORT_COLUMNS, Snapshot
from tracking.vocab import (
    COMPLETED,
    ENDED_STATUSES,
    LIGHT_SEVERITY,
    LIGHTS,
    NO_DATA,
    NO_REPORT,
    PAUSED_STATUSES,
    RED,
    RUNNING_STATUSES,
    TOTAL,
)

# A measure is behind plan when its progress falls short of the expected
# progress by more than this many percentage points.
BEHIND_PLAN_MARGIN = 15.0


# --- helpers ----------------------------------------------------------------


def weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """Mean of the values that are present, weighted; NaN when none is."""
    mask = values.notna() & weights.notna() & (weights > 0)
    if not mask.any():
        return float("nan")
    return float(np.average(values[mask].astype(float), weights=weights[mask].astype(float)))


def counts_in(measures: pd.DataFrame, period_start: dt.date) -> pd.Series:
    """Active measures, and those the catalogue retired after the period began (Measure.counts_in)."""
    active = measures["active"].astype(bool)
    later = [isinstance(day, dt.date) and day > period_start for day in measures["retired_on"]]
    return active | pd.Series(later, index=measures.index, dtype=bool)


def expected_progress(start: dt.date | None, planned_end: dt.date | None, day: dt.date) -> float:
    """Plan: grows linearly from 0 % at the start to 100 % at the planned end."""
    if start is None or planned_end is None or pd.isna(start) or pd.isna(planned_end):
        return float("nan")
    if day <= start:
        return 0.0
    if day >= planned_end or planned_end <= start:
        return 100.0
    return 100.0 * (day - start).days / (planned_end - start).days


def is_behind_plan(status: str | None, progress: float, expected: float, margin: float = BEHIND_PLAN_MARGIN) -> bool:
    """One report against its plan: running (geplant, in Umsetzung) and more than margin points short.

    The rule of measure_status's behind_plan, for one report (tested equal on every measure).
    """
    return status in RUNNING_STATUSES and progress < expected - margin


def is_overdue(planned_end: dt.date | None, status: str | None, day: dt.date) -> bool:
    """Planned end passed and not ended (abgeschlossen or abgebrochen): measure_status's overdue, for one report."""
    return planned_end is not None and not pd.isna(planned_end) and planned_end < day and status not in ENDED_STATUSES


# --- measure level ----------------------------------------------------------


def measure_status(
    snap: Snapshot,
    period: str,
    *,
    as_of: dt.date | None = None,
    margin: float = BEHIND_PLAN_MARGIN,
) -> pd.DataFrame:
    """One row per measure that counts in the period, with its report and plan state.

    Counts in the period: active, started by the period's end. A measure that
    ended (abgeschlossen or abgebrochen) in an earlier period keeps its final
    report (carried = True): it still counts for progress but owes no report.
    as_of (default: the period's end) is the day for plan and overdue checks.
    """
    prow = snap.period_row(period)
    day = plan_day(prow["end_date"], as_of)
    order = snap.periods[["period_id", "start_date"]].rename(columns={"start_date": "period_start"})

    m = snap.measures[counts_in(snap.measures, prow["start_date"])].copy()
    m = m[m["start_date"].isna() | (m["start_date"] <= prow["end_date"])]

    reports = snap.reports.merge(order, on="period_id")
    this = reports[reports["period_id"] == prow["period_id"]]
    earlier = reports[reports["period_start"] < prow["start_date"]].sort_values("period_start")
    last_earlier = earlier.groupby("measure_id").tail(1).set_index("measure_id")

    m = m.merge(
        this[[c for c in REPORT_COLUMNS if c != "period_id"]],
        on="measure_id",
        how="left",
    )
    m["has_report"] = m["status"].notna()
    # Measures that ended before this period keep their final report.
    prev = last_earlier.reindex(m["measure_id"]).reset_index(drop=True)
    prev.index = m.index
    m["carried"] = ~m["has_report"] & prev["status"].isin(ENDED_STATUSES)
    for col in ["status", "light", "progress", "comment"]:
        m[col] = m[col].where(~m["carried"], prev[col])
    # Whether it ended, in this period or before (any earlier status that did not end counts as none).
    last_status = m["status"].where(m["status"].notna(), prev["status"])
    m["progress"] = pd.to_numeric(m["progress"], errors="coerce").astype(float)
    m["state"] = np.where(m["has_report"] | m["carried"], m["status"].fillna(""), NO_REPORT)
    m["owes_report"] = ~m["carried"]

    m["expected"] = [expected_progress(s, e, day) for s, e in zip(m["start_date"], m["planned_end"])]
    running = m["status"].isin(RUNNING_STATUSES)
    m["behind_plan"] = running & m["has_report"] & (m["progress"] < m["expected"] - margin)
    ended_or_stopped = last_status.isin(ENDED_STATUSES)
    m["overdue"] = m["planned_end"].notna() & (m["planned_end"] < day) & ~ended_or_stopped
    m["overdue"] = m["overdue"].astype(bool)

    m = m.merge(snap.goals[["goal_id", "goal_code", "goal_name", "field_id"]], on="goal_id")
    m = m.merge(snap.fields[["field_id", "field_code", "field_name"]], on="field_id")
    m = m.merge(snap.departments[["department_id", "department_code"]], on="department_id", how="left")
    m["period"] = period
    return m.sort_values("code").reset_index(drop=True)


# --- goal, field, core goal -------------------------------------------------


# --- the seam: sums per goal (or department, field) --------------------------------
#
# Everything above a measure is computed from these sums, once: goals' progress, fields,
# core goals, the matrix, the headline, light distributions and Sammelampeln. They have
# two producers: measure_sums from a measure_status frame (pandas, for what a page holds
# in memory and as an independent oracle) and tracking.figures in SQL (at any scale).

SUM_COLUMNS = [
    "n_measures",
    "n_counted",
    "n_paused",
    "n_no_report",
    "n_behind_plan",
    "n_overdue",
    "weighted_sum",
    "weight_sum",
    "owing",
    "reported",
    "completed",
] + [f"{prefix}{key}" for key in LIGHTS for prefix in ("n_", "w_")]


def is_weighted(column: str) -> bool:
    """Whether a sum column holds weights (float) rather than counts (int)."""
    return column in ("weighted_sum", "weight_sum") or column.startswith("w_")


def measure_sums(measures: pd.DataFrame, by: str, into: pd.Index) -> pd.DataFrame:
    """Per entry of `into`, the SUM_COLUMNS of the measure_status rows whose `by` is that entry.

    Counted: reported or carried, not sistiert or abgebrochen (they do not pull progress
    down). Lights: the period's reports only. Owing: every measure but the carried ones.
    """
    paused = measures["status"].isin(PAUSED_STATUSES)
    counted = measures["progress"].where(~paused)
    reported = measures["has_report"].astype(bool)
    weight = measures["weight"].astype(float)
    values = {
        **_weighted_parts(counted, weight),
        "n_measures": 1.0,
        "n_counted": counted.notna(),
        "n_paused": paused,
        "n_no_report": measures["state"] == NO_REPORT,
        "n_behind_plan": measures["behind_plan"],
        "n_overdue": measures["overdue"],
        "owing": measures["owes_report"],
        "reported": reported,
        "completed": measures["status"] == COMPLETED,
    }
    for key in LIGHTS:
        lit = reported & (measures["light"] == key)
        values[f"n_{key}"] = lit
        values[f"w_{key}"] = weight.where(lit, 0.0)
    sums = sums_by(measures[by], into, **values)
    sums["weighted_sum"], sums["weight_sum"] = sums.pop("wv"), sums.pop("w")
    out = pd.DataFrame({by: into})
    for column in SUM_COLUMNS:
        out[column] = sums[column].astype(float if is_weighted(column) else int)
    return out


def goals_from_sums(snap: Snapshot, sums: pd.DataFrame) -> pd.DataFrame:
    """Every active goal with its sums (0 where no measure counts) and its progress: the weighted
    mean of its counted measures; no data -> NaN, «keine Daten»."""
    out = snap.goals.drop(columns=["goal_position"], errors="ignore").reset_index(drop=True)
    found = sums.set_index("goal_id").reindex(out["goal_id"]).fillna(0).reset_index(drop=True)
    for column in SUM_COLUMNS:
        out[column] = found[column].to_numpy(dtype=float if is_weighted(column) else int)
    out["progress"] = mean_of({"wv": out["weighted_sum"].to_numpy(), "w": out["weight_sum"].to_numpy()})
    out["state"] = _no_data(out["progress"].to_numpy())
    return out


def goal_progress(snap: Snapshot, measures: pd.DataFrame) -> pd.DataFrame:
    """The goals of goals_from_sums, from a measure_status frame."""
    return goals_from_sums(snap, measure_sums(measures, "goal_id", pd.Index(snap.goals["goal_id"])))


def headline_of(goals: pd.DataFrame, fields: pd.DataFrame) -> dict[str, float | int]:
    """The figures on top of the overview, from the goals' sums.

    overall progress: mean of the fields' progress (each field counts the same,
    as the strategy gives the nine fields equal standing); fields without data
    are left out.
    """
    total = {column: goals[column].sum() for column in SUM_COLUMNS}
    owing, reported = int(total["owing"]), int(total["reported"])
    return {
        "measures": int(total["n_measures"]),
        "active": owing,
        "reported": reported,
        "completeness": reported / owing if owing else float("nan"),
        "on_track_share": float(total["n_gruen"]) / reported if reported else float("nan"),
        "green": int(total["n_gruen"]),
        "yellow": int(total["n_gelb"]),
        "red": int(total["n_rot"]),
        "behind_plan": int(total["n_behind_plan"]),
        "overdue": int(total["n_overdue"]),
        "completed": int(total["completed"]),
        "overall_progress": overall_progress(fields),
    }


def overall_progress(fields: pd.DataFrame) -> float:
    """Mean of the fields' progress, each field counting the same; fields without data left out."""
    return weighted_mean(fields["progress"], pd.Series(1.0, index=fields.index))


def trend_rows(period: str, fields: pd.DataFrame) -> list[dict]:
    """One period of a trend: the overall line («Gesamt») and each field's progress."""
    rows = [{"period": period, "field_code": TOTAL, "progress": overall_progress(fields)}]
    return rows + [{"period": period, "field_code": f.field_code, "progress": f.progress} for f in fields.itertuples()]


def lights_of(sums: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts of grün, gelb, rot and «keine Meldung» per group with the Sammelampel, from sums with
    a `by` column (several rows per group are added up). Only measures that owe a report count:
    a measure that ended earlier is neither a fresh green nor a missing report."""
    groups = pd.Index(sorted(sums[by].dropna().unique()))
    columns = ["owing", "reported", *[f"{prefix}{key}" for key in LIGHTS for prefix in ("n_", "w_")]]
    totals = sums_by(sums[by], groups, **{column: sums[column] for column in columns})
    rows = []
    for i, code in enumerate(groups):
        owing = int(totals["owing"][i])
        if owing == 0:
            continue
        row = {by: code, **{key: int(totals[f"n_{key}"][i]) for key in LIGHTS}}
        row[NO_REPORT] = owing - int(totals["reported"][i])
        row["total"] = owing
        present = {key: float(totals[f"w_{key}"][i]) for key in LIGHTS if totals[f"n_{key}"][i] > 0}
        row["summary_light"] = majority_light(present)
        row["summary_note"] = tie_note(present)
        rows.append(row)
    return pd.DataFrame(rows, columns=[by, *LIGHTS, NO_REPORT, "total", "summary_light", "summary_note"])


def sums_by(keys, into: pd.Index, **values) -> dict[str, np.ndarray]:
    """Per entry of `into`, the sum of each value over the rows whose key is that entry (rows
    with other keys are left out). np.bincount on these tables of a few dozen rows: a pandas
    groupby and merge cost a millisecond each, and the overview needs dozens."""
    codes = into.get_indexer(keys)
    keep = codes >= 0
    codes = codes[keep]
    return {
        name: np.bincount(
            codes, weights=np.broadcast_to(np.asarray(v, dtype=float), keep.shape)[keep], minlength=len(into)
        )
        for name, v in values.items()
    }


def _weighted_parts(value: pd.Series, weight: pd.Series) -> dict[str, np.ndarray]:
    """value × weight and weight for the rows with a value and a weight above 0, else 0
    (the sums behind a weighted mean of the values present)."""
    v, w = value.to_numpy(dtype=float, na_value=np.nan), weight.to_numpy(dtype=float, na_value=np.nan)
    use = ~np.isnan(v) & ~np.isnan(w) & (w > 0)
    return {"wv": np.where(use, v * w, 0.0), "w": np.where(use, w, 0.0)}


def mean_of(sums: dict[str, np.ndarray]) -> np.ndarray:
    """The weighted mean from _weighted_parts' sums; NaN where no value is present."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums["w"] > 0, sums["wv"] / sums["w"], np.nan)


def _no_data(progress: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(progress), NO_DATA, "")


def field_progress(snap: Snapshot, goals: pd.DataFrame) -> pd.DataFrame:
    """Weighted mean of the field's goals' progress; goals without data are left out."""
    out = snap.fields[["field_id", "field_code", "field_name"]].reset_index(drop=True)
    sums = sums_by(
        goals["field_id"],
        pd.Index(out["field_id"]),
        **_weighted_parts(goals["progress"], goals["goal_weight"]),
        n_goals=1.0,
        n_goals_with_data=goals["progress"].notna(),
        n_measures=goals["n_measures"],
    )
    out["progress"] = mean_of(sums)
    for column in ("n_goals", "n_goals_with_data", "n_measures"):
        out[column] = sums[column].astype(int)
    out["state"] = _no_data(out["progress"].to_numpy())
    return out


def _serving_goals(snap: Snapshot, goals: pd.DataFrame) -> pd.DataFrame:
    """Goal x core goal pairs with a contribution above 0: core_goal_id, weight, the goal's field_id
    and progress."""
    pairs = snap.contributions[snap.contributions["weight"] > 0]
    position = pd.Index(goals["goal_id"]).get_indexer(pairs["goal_id"])
    pairs, position = pairs[position >= 0], position[position >= 0]
    return pd.DataFrame(
        {
            "goal_id": pairs["goal_id"].to_numpy(),
            "core_goal_id": pairs["core_goal_id"].to_numpy(),
            "weight": pairs["weight"].to_numpy(dtype=float),
            "field_id": goals["field_id"].to_numpy()[position],
            "progress": goals["progress"].to_numpy(dtype=float, na_value=np.nan)[position],
        }
    )


def core_goal_progress(snap: Snapshot, goals: pd.DataFrame) -> pd.DataFrame:
    """Mean of goal progress weighted by each goal's contribution to the core goal."""
    serving = _serving_goals(snap, goals)
    out = snap.core_goals.reset_index(drop=True)
    sums = sums_by(
        serving["core_goal_id"],
        pd.Index(out["core_goal_id"]),
        **_weighted_parts(serving["progress"], serving["weight"]),
        n_goals=1.0,
    )
    out["progress"] = mean_of(sums)
    out["n_goals"] = sums["n_goals"].astype(int)
    out["state"] = _no_data(out["progress"].to_numpy())
    return out


def core_goal_contributors(snap: Snapshot, goals: pd.DataFrame, core_code: str) -> pd.DataFrame:
    """The goals that contribute to one core goal (weight above 0), one row each: the goal's
    columns (goal_code, goal_name, progress …), its weight and its field's code and name."""
    core = snap.core_goals.loc[snap.core_goals["core_code"] == core_code, "core_goal_id"]
    pairs = snap.contributions[snap.contributions["core_goal_id"].isin(core) & (snap.contributions["weight"] > 0)]
    serving = goals.merge(pairs[["goal_id", "weight"]], on="goal_id")
    return serving.merge(snap.fields[["field_id", "field_code", "field_name"]], on="field_id")


def field_core_matrix(snap: Snapshot, goals: pd.DataFrame) -> pd.DataFrame:
    """For each field x core goal: contribution strength and weighted progress.

    strength: the strongest contribution of any of the field's goals (0 when
    none serves the core goal). progress: mean of the serving goals' progress,
    weighted by their contribution; NaN when none serves or none has data.
    """
    serving = _serving_goals(snap, goals)
    fields = snap.fields[["field_id", "field_code", "field_name"]].reset_index(drop=True)
    cores = snap.core_goals[["core_goal_id", "core_code", "core_name", "core_short"]].reset_index(drop=True)
    # One cell per field and core goal, fields first (as a cross join lists them).
    field_at = pd.Index(fields["field_id"]).get_indexer(serving["field_id"])
    core_at = pd.Index(cores["core_goal_id"]).get_indexer(serving["core_goal_id"])
    inside = (field_at >= 0) & (core_at >= 0)
    cell = np.where(inside, field_at * len(cores) + core_at, -1)
    cells = pd.Index(np.arange(len(fields) * len(cores)))
    sums = sums_by(cell, cells, **_weighted_parts(serving["progress"], serving["weight"]), n_goals=1.0)
    strength = np.zeros(len(cells))
    np.maximum.at(strength, cell[inside], serving["weight"].to_numpy()[inside])
    out = pd.DataFrame(
        {
            "field_code": np.repeat(fields["field_code"].to_numpy(), len(cores)),
            "field_name": np.repeat(fields["field_name"].to_numpy(), len(cores)),
            "core_code": np.tile(cores["core_code"].to_numpy(), len(fields)),
            "core_name": np.tile(cores["core_name"].to_numpy(), len(fields)),
            "core_short": np.tile(cores["core_short"].to_numpy(), len(fields)),
            "strength": strength,
            "n_goals": sums["n_goals"].astype(int),
            "progress": mean_of(sums),
        }
    )
    out["state"] = np.where(out["progress"].notna(), "", np.where(out["n_goals"] > 0, NO_DATA, "kein Beitrag"))
    return out


# --- traffic lights ---------------------------------------------------------


def summary_light(lights: pd.Series, weights: pd.Series | None = None) -> str | None:
    """Weighted majority of the lights; a tie goes to the worse colour."""
    lights = lights.dropna()
    if lights.empty:
        return None
    weights = pd.Series(1.0, index=lights.index) if weights is None else weights.loc[lights.index].astype(float)
    return majority_light(weights.groupby(lights).sum().to_dict())


def majority_light(totals: dict[str, float]) -> str | None:
    """summary_light from the total weight of each light present (the SQL figures' sums)."""
    leading = leading_lights(totals)
    return leading[-1] if leading else None


def leading_lights(totals: dict[str, float]) -> list[str]:
    """The lights with the greatest total weight, best to worst: more than one is a tie, which
    the Sammelampel gives to the worst of them."""
    if not totals:
        return []
    best = max(totals.values())
    # Relative tolerance only: tiny weights must not all look like a tie.
    tied = [light for light, total in totals.items() if np.isclose(total, best, rtol=1e-9, atol=0.0)]
    return sorted(tied, key=lambda light: LIGHT_SEVERITY[light])


def tie_note(totals: dict[str, float]) -> str:
    """Why the Sammelampel is what it is when the rule decided a tie; «» otherwise."""
    tied = leading_lights(totals)
    if len(tied) < 2:
        return ""
    words = [LIGHTS[light] for light in tied]
    return (
        f"Gleichstand nach Gewicht der Massnahmen zwischen {', '.join(words[:-1])} und {words[-1]}: "
        f"bei Gleichstand gilt die schlechtere Farbe, {words[-1]}."
    )


def light_distribution(measures: pd.DataFrame, by: str) -> pd.DataFrame:
    """lights_of the measures' sums per `by` (e.g. field_code, department_code)."""
    keys = measures[by]
    return lights_of(measure_sums(measures, by, pd.Index(sorted(keys.dropna().unique()))), by)


# --- completeness and changes ----------------------------------------------


def completeness(measures: pd.DataFrame, by: str = "department_code") -> pd.DataFrame:
    """Share of measures owing a report that have one in the period (Rücklauf)."""
    owing = measures[measures["owes_report"]]
    grouped = owing.groupby(by).agg(active=("measure_id", "count"), reported=("has_report", "sum")).reset_index()
    grouped["reported"] = grouped["reported"].astype(int)
    grouped["missing"] = grouped["active"] - grouped["reported"]
    grouped["share"] = grouped["reported"] / grouped["active"]
    return grouped


def changes_since(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Status, light and progress against the previous period, per measure."""
    cols = ["measure_id", "status", "light", "progress", "has_report", "carried"]
    out = current.copy()
    prev = pd.DataFrame(columns=cols) if previous is None else previous[cols]
    prev = prev.rename(columns={c: f"prev_{c}" for c in cols if c != "measure_id"})
    out = out.merge(prev, on="measure_id", how="left")
    out["prev_progress"] = pd.to_numeric(out["prev_progress"], errors="coerce").astype(float)
    both = out["has_report"] & out["prev_has_report"].fillna(False).astype(bool)
    out["progress_delta"] = np.where(both, out["progress"] - out["prev_progress"], np.nan)
    out["advanced"] = both & (out["progress_delta"] > 0)
    out["turned_red"] = out["has_report"] & (out["light"] == RED) & (out["prev_light"] != RED)
    out["completed"] = out["has_report"] & (out["status"] == COMPLETED) & (out["prev_status"] != COMPLETED)
    out["light_changed"] = both & (out["light"] != out["prev_light"])
    out["status_changed"] = both & (out["status"] != out["prev_status"])
    return out


# --- the period as a whole --------------------------------------------------


@dataclass
class PeriodRollup:
    period: str
    measures: pd.DataFrame
    goals: pd.DataFrame
    fields: pd.DataFrame
    core_goals: pd.DataFrame
    matrix: pd.DataFrame


def rollup(snap: Snapshot, period: str, *, as_of: dt.date | None = None) -> PeriodRollup:
    measures = measure_status(snap, period, as_of=as_of)
    goals = goal_progress(snap, measures)
    return PeriodRollup(
        period=period,
        measures=measures,
        goals=goals,
        fields=field_progress(snap, goals),
        core_goals=core_goal_progress(snap, goals),
        matrix=field_core_matrix(snap, goals),
    )


def headline(r: PeriodRollup) -> dict[str, float | int]:
    """headline_of the roll-up's goals and fields."""
    return headline_of(r.goals, r.fields)


def progress_trend(snap: Snapshot, up_to: str | None = None) -> pd.DataFrame:
    """Overall and per-field progress for every period (up to and including up_to)."""
    rows = []
    for name in snap.periods["period"]:
        rows += trend_rows(name, rollup(snap, name).fields)
        if name == up_to:
            break
    return pd.DataFrame(rows)


def goal_trend(snap: Snapshot, up_to: str | None = None) -> pd.DataFrame:
    """Progress of every goal for every period (up to and including up_to)."""
    frames = []
    for name in snap.periods["period"]:
        goals = goal_progress(snap, measure_status(snap, name))
        frames.append(goals[["goal_code", "field_id", "progress"]].assign(period=name))
        if name == up_to:
            break
    if not frames:
        return pd.DataFrame(columns=["goal_code", "field_id", "progress", "period"])
    return pd.concat(frames, ignore_index=True)


def department_summary(measures: pd.DataFrame, departments: pd.DataFrame) -> pd.DataFrame:
    """Per lead department, from its measures' sums: progress (as for a goal: weighted, paused
    left out), lights and Sammelampel, plan, completeness."""
    codes = pd.Index(departments["department_code"])
    sums = measure_sums(measures, "department_code", codes)
    lights = lights_of(sums, "department_code").set_index("department_code")
    progress = mean_of({"wv": sums["weighted_sum"].to_numpy(), "w": sums["weight_sum"].to_numpy()})
    rows = []
    for i, dep in enumerate(departments.itertuples()):
        owing, reported = int(sums["owing"][i]), int(sums["reported"][i])
        rows.append(
            {
                "department_code": dep.department_code,
                "department_name": dep.department_name,
                "measures": int(sums["n_measures"][i]),
                "progress": float(progress[i]),
                **{key: int(sums[f"n_{key}"][i]) for key in LIGHTS},
                NO_REPORT: owing - reported,
                "summary_light": lights["summary_light"].get(dep.department_code),
                "summary_note": lights["summary_note"].get(dep.department_code, ""),
                "behind_plan": int(sums["n_behind_plan"][i]),
                "overdue": int(sums["n_overdue"][i]),
                "completeness": reported / owing if owing else float("nan"),
            }
        )
    return pd.DataFrame(rows)
