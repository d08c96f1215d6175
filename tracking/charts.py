"""Plotly figures for the dashboard and the reports, labelled in German.

Figures are built here (not in the pages) so that reports can reuse them and
tests can check what they show. Lights carry an icon and a word in every
legend and hover text, and a pattern in bars, so colour is never the only cue.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from tracking import formatting as fmt
from tracking.vocab import LIGHT_COLOURS, LIGHT_ICONS, LIGHTS, NO_REPORT, strength_label

FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=13)
# Sequential, colour-blind safe scale for progress 0..100 (light to dark blue).
PROGRESS_SCALE = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]
PATTERNS = {"gruen": "", "gelb": "/", "rot": "x", NO_REPORT: "."}


def _layout(fig: go.Figure, title: str | None = None, height: int | None = None) -> go.Figure:
    fig.update_layout(
        title=title,
        font=FONT,
        separators=".'",  # decimal point, apostrophe for thousands (Swiss)
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        height=height,
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    )
    return fig


def field_core_heatmap(matrix: pd.DataFrame, core_names: dict[str, str] | None = None) -> go.Figure:
    """The 9 x 4 matrix: colour is progress, text is contribution and progress."""
    fields = list(dict.fromkeys(matrix["field_code"]))
    cores = list(dict.fromkeys(matrix["core_code"]))
    field_names = dict(zip(matrix["field_code"], matrix["field_name"]))
    core_names = core_names or dict(zip(matrix["core_code"], matrix["core_name"]))
    grid = matrix.set_index(["field_code", "core_code"])
    z, text, hover = [], [], []
    for f in fields:
        zr, tr, hr = [], [], []
        for c in cores:
            cell = grid.loc[(f, c)]
            progress = cell["progress"]
            zr.append(None if pd.isna(progress) else float(progress))
            if cell["n_goals"] == 0:
                tr.append("–")
                hr.append(f"{f} {field_names[f]}<br>{c}: kein Beitrag")
            else:
                label = strength_label(cell["strength"])
                tr.append(f"{label}<br>{fmt.percent(progress)}")
                hr.append(
                    f"{f} {field_names[f]}<br>{c} {core_names[c]}<br>Beitrag: {label} "
                    f"({cell['n_goals']} Ziel{'e' if cell['n_goals'] != 1 else ''})<br>"
                    f"Fortschritt: {fmt.percent(progress)}"
                )
        z.append(zr)
        text.append(tr)
        hover.append(hr)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"{c}" for c in cores],
            y=[f"{f} {field_names[f]}" for f in fields],
            text=text,
            texttemplate="%{text}",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            colorscale=PROGRESS_SCALE,
            zmin=0,
            zmax=100,
            xgap=3,
            ygap=3,
            colorbar=dict(title=dict(text="Fortschritt %"), ticksuffix=" %"),
        )
    )
    fig.update_yaxes(autorange="reversed", title=None)
    fig.update_xaxes(side="top", title=None)
    return _layout(fig, height=60 + 48 * len(fields))


def field_progress_bars(fields: pd.DataFrame) -> go.Figure:
    """Progress per field as horizontal bars; fields without data say so."""
    labels = [f"{r.field_code} {r.field_name}" for r in fields.itertuples()]
    values = [None if pd.isna(p) else p for p in fields["progress"]]
    texts = [fmt.percent(p) for p in fields["progress"]]
    fig = go.Figure(
        go.Bar(
            x=[v if v is not None else 0 for v in values],
            y=labels,
            orientation="h",
            text=texts,
            textposition="outside",
            cliponaxis=False,
            marker_color="#0072B2",
            hovertemplate="%{y}<br>Fortschritt: %{text}<extra></extra>",
        )
    )
    fig.update_xaxes(range=[0, 112], title="Fortschritt in %", ticksuffix=" %")
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, height=60 + 36 * len(fields))


def light_distribution_bars(dist: pd.DataFrame, by: str, labels: dict[str, str] | None = None) -> go.Figure:
    """Stacked bars of grün / gelb / rot / keine Meldung per group."""
    labels = labels or {}
    y = [labels.get(k, k) for k in dist[by]]
    fig = go.Figure()
    for key in [*LIGHTS, NO_REPORT]:
        name = f"{LIGHT_ICONS[key]} {LIGHTS[key]}" if key in LIGHTS else f"{LIGHT_ICONS['keine']} {NO_REPORT}"
        colour = LIGHT_COLOURS.get(key, LIGHT_COLOURS["keine"])
        fig.add_bar(
            x=dist[key],
            y=y,
            orientation="h",
            name=name,
            marker=dict(
                color=colour,
                pattern=dict(shape=PATTERNS[key], fgcolor="#ffffff", bgcolor=colour, size=6, solidity=0.25),
            ),
            text=[str(v) if v else "" for v in dist[key]],
            textposition="inside",
            hovertemplate="%{y}<br>" + name + ": %{x}<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title="Anzahl Massnahmen")
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, height=90 + 32 * len(dist))


def progress_trend_lines(trend: pd.DataFrame, highlight: str = "Gesamt") -> go.Figure:
    """Progress over the periods: overall bold, each field thin."""
    fig = go.Figure()
    for code, group in trend.groupby("field_code", sort=False):
        bold = code == highlight
        fig.add_scatter(
            x=group["period"],
            y=group["progress"],
            mode="lines+markers",
            name=code,
            line=dict(width=4 if bold else 1.5, color="#000000" if bold else None),
            opacity=1.0 if bold else 0.75,
            hovertemplate=f"{code}<br>%{{x}}: %{{y:.0f}} %<extra></extra>",
        )
    fig.update_yaxes(range=[0, 105], title="Fortschritt in %", ticksuffix=" %")
    fig.update_xaxes(title="Berichtsperiode", type="category")
    return _layout(fig, height=380)


def completeness_bars(table: pd.DataFrame, by: str) -> go.Figure:
    """Reported and missing reports per group (Rücklauf), with the share as text."""
    fig = go.Figure()
    fig.add_bar(
        x=table["reported"],
        y=table[by],
        orientation="h",
        name="● eingegangen",
        marker_color=LIGHT_COLOURS["gruen"],
        text=[f"{fmt.share(s)}" for s in table["share"]],
        textposition="inside",
        hovertemplate="%{y}: %{x} eingegangen<extra></extra>",
    )
    fig.add_bar(
        x=table["missing"],
        y=table[by],
        orientation="h",
        name=f"{LIGHT_ICONS['keine']} {NO_REPORT}",
        marker=dict(
            color=LIGHT_COLOURS["keine"],
            pattern=dict(shape=".", fgcolor="#ffffff", bgcolor=LIGHT_COLOURS["keine"], solidity=0.25),
        ),
        hovertemplate="%{y}: %{x} fehlen<extra></extra>",
    )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title="Anzahl Massnahmen")
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, height=90 + 32 * len(table))
