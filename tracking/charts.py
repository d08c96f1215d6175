"""Plotly figures for the dashboard and the reports, labelled in German.

Figures are built here (not in the pages) so that reports can reuse them and
tests can check what they show. Lights carry an icon and a word in every
legend and hover text, and a pattern in bars, so colour is never the only cue.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from tracking import formatting as fmt
from tracking import palette
from tracking.palette import LIGHT_COLOURS, PROGRESS_SCALE
from tracking.vocab import GREEN, LIGHT_ICONS, LIGHTS, NO_REPORT, RED, TOTAL, YELLOW, strength_label

FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=13)
PATTERNS = {GREEN: "", YELLOW: "/", RED: "x", NO_REPORT: "."}
# Counts with the thousands apostrophe (layout separators), not plotly's «5k».
COUNT_FORMAT = ",d"


def plain(text: object) -> str:
    """Data as plotly text: plotly reads <br>, <b>, <a href> … as markup, so < > & are written as entities."""
    return html.escape(str(text), quote=False)


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


def _syllables(word: str, width: int) -> list[str]:
    """A word longer than width in pieces of at most width characters, broken at German
    syllables with a hyphen («Chancen-», «gerechtigkeit»); a word without a break point whole."""
    import pyphen  # late: only long words need it

    pieces = []
    while len(word) > width:
        cuts = [i for i in pyphen.Pyphen(lang="de_CH").positions(word) if i < width]
        if not cuts:
            break
        pieces.append(word[: cuts[-1]] + "-")
        word = word[cuts[-1] :]
    return [*pieces, word]


def wrapped(text: object, width: int) -> str:
    """Data as plotly text in lines of at most width characters (longer words hyphenated): each
    line escaped (plain), joined by plotly's line break."""
    lines, current = [], ""
    for word in (piece for w in str(text).split() for piece in _syllables(w, width)):
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    return "<br>".join(plain(line) for line in lines)


def field_core_heatmap(
    matrix: pd.DataFrame,
    core_names: dict[str, str] | None = None,
    short_labels: bool = False,
    wrap: int | None = None,
) -> go.Figure:
    """The 9 x 4 matrix: colour is progress, text is contribution and progress. wrap: field
    names in lines of at most that many characters."""
    fields = list(dict.fromkeys(matrix["field_code"]))
    cores = list(dict.fromkeys(matrix["core_code"]))
    field_names = {
        code: wrapped(name, wrap) if wrap else plain(name)
        for code, name in zip(matrix["field_code"], matrix["field_name"])
    }
    core_names = {
        code: plain(name) for code, name in (core_names or dict(zip(matrix["core_code"], matrix["core_name"]))).items()
    }
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
            y=fields if short_labels else [f"{f} {field_names[f]}" for f in fields],
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
    # Column headings: the code and the core goal's short name (when the strategy gives one).
    shorts = dict(zip(matrix["core_code"], matrix["core_short"])) if "core_short" in matrix else {}
    headings = [
        f"{c}<br>{wrapped(shorts[c], 14)}" if isinstance(shorts.get(c), str) and shorts[c] else c for c in cores
    ]
    fig.update_xaxes(side="top", title=None, tickvals=cores, ticktext=headings, tickangle=0)
    return _layout(fig, height=60 + 48 * len(fields) + (16 * max(h.count("<br>") for h in headings) if cores else 0))


def field_progress_bars(fields: pd.DataFrame) -> go.Figure:
    """Progress per field as horizontal bars; fields without data say so."""
    labels = [f"{r.field_code} {plain(r.field_name)}" for r in fields.itertuples()]
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
            marker_color=palette.MAIN_COLOUR,
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
            text=[fmt.number(v) if v else "" for v in dist[key]],
            textposition="inside",
            hovertemplate="%{y}<br>" + name + ": %{x:,d}<extra></extra>",
        )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title="Anzahl Massnahmen", tickformat=COUNT_FORMAT)
    largest = dist[[*LIGHTS, NO_REPORT]].sum(axis=1).max() if len(dist) else 0
    if largest <= 10:
        # plotly's own ticks for a few measures fall between whole numbers (0, 0.5, 1 read as «0 0 1»).
        fig.update_xaxes(tick0=0, dtick=1)
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, height=90 + 32 * len(dist))


def progress_trend_lines(trend: pd.DataFrame, highlight: str = TOTAL, key: str = "field_code") -> go.Figure:
    """Progress over the periods, one line per series in its palette style (colour, marker and
    dash); «Gesamt» black and thick everywhere, the highlighted series thick, the others thin."""
    fig = go.Figure()
    for position, (code, group) in enumerate(trend.groupby(key, sort=False)):
        colour, symbol, dash, _ = palette.series_style(code, position)
        thick = code in (TOTAL, highlight)
        fig.add_scatter(
            x=group["period"],
            y=group["progress"],
            mode="lines+markers",
            name=code,
            line=dict(width=palette.TOTAL_WIDTH if thick else 2, color=colour, dash=dash),
            marker=dict(symbol=symbol, size=9 if thick else 7),
            hovertemplate=f"{plain(code)}<br>%{{x}}: %{{y:.0f}} %<extra></extra>",
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
        marker_color=LIGHT_COLOURS[GREEN],
        text=[f"{fmt.share(s)}" for s in table["share"]],
        textposition="inside",
        hovertemplate="%{y}: %{x:,d} eingegangen<extra></extra>",
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
        hovertemplate="%{y}: %{x:,d} fehlen<extra></extra>",
    )
    fig.update_layout(barmode="stack", legend_traceorder="normal")
    fig.update_xaxes(title="Anzahl Massnahmen", tickformat=COUNT_FORMAT)
    fig.update_yaxes(autorange="reversed", title=None)
    return _layout(fig, height=90 + 32 * len(table))


def field_core_bars(matrix: pd.DataFrame) -> go.Figure:
    """Grouped bars: for each field, the progress towards each core goal it serves."""
    fig = go.Figure()
    for i, (core, group) in enumerate(matrix.groupby("core_code", sort=False)):
        colour, _, _, pattern = palette.series_style(core, i)
        fig.add_bar(
            x=group["field_code"],
            y=group["progress"],
            name=core,
            marker=dict(
                color=colour,
                pattern=dict(shape=pattern, fgcolor="#ffffff", bgcolor=colour, solidity=0.3),
            ),
            customdata=[fmt.percent(p) if n else "kein Beitrag" for p, n in zip(group["progress"], group["n_goals"])],
            hovertemplate=f"%{{x}} → {core}: %{{customdata}}<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(range=[0, 105], title="Fortschritt in %", ticksuffix=" %")
    fig.update_xaxes(title="Aktionsfeld")
    return _layout(fig, height=380)


def measure_history_chart(history: pd.DataFrame) -> go.Figure:
    """A measure's reported progress per period against the plan, lights marked by symbol."""
    symbols = {GREEN: "circle", YELLOW: "triangle-up", RED: "square"}
    fig = go.Figure()
    fig.add_scatter(
        x=history["period"],
        y=history["expected"],
        mode="lines",
        name="Soll (Plan)",
        line=dict(dash="dash", color=palette.PLAN_COLOUR),
        hovertemplate="%{x}: Soll %{y:.0f} %<extra></extra>",
    )
    reported = history[history["progress"].notna()]
    fig.add_scatter(
        x=reported["period"],
        y=reported["progress"],
        mode="lines+markers",
        name="Ist (gemeldet)",
        line=dict(color=palette.MAIN_COLOUR, width=3),
        marker=dict(
            size=14,
            symbol=[symbols.get(light, "circle-open") for light in reported["light"]],
            color=[LIGHT_COLOURS.get(light, LIGHT_COLOURS["keine"]) for light in reported["light"]],
            line=dict(color="#333333", width=1),
        ),
        customdata=[f"{LIGHT_ICONS[light]} {LIGHTS[light]}" for light in reported["light"]],
        hovertemplate="%{x}: Ist %{y:.0f} % · Ampel %{customdata}<extra></extra>",
    )
    fig.update_yaxes(range=[0, 105], title="Fortschritt in %", ticksuffix=" %")
    fig.update_xaxes(title="Berichtsperiode", type="category")
    return _layout(fig, height=320)


def measure_gantt(measures: pd.DataFrame) -> go.Figure:
    """Planned spans of measures as horizontal bars, coloured and patterned by light."""
    m = measures[measures["start_date"].notna() & measures["planned_end"].notna()].sort_values("start_date")
    fig = go.Figure()
    for key in [*LIGHTS, NO_REPORT]:
        part = m[m["light"] == key] if key in LIGHTS else m[m["light"].isna()]
        if part.empty:
            continue
        name = f"{LIGHT_ICONS[key]} {LIGHTS[key]}" if key in LIGHTS else f"{LIGHT_ICONS['keine']} {NO_REPORT}"
        colour = LIGHT_COLOURS.get(key, LIGHT_COLOURS["keine"])
        start = pd.to_datetime(part["start_date"])
        end = pd.to_datetime(part["planned_end"])
        fig.add_bar(
            base=start,
            x=(end - start).dt.total_seconds() * 1000,
            y=part["code"],
            orientation="h",
            name=name,
            marker=dict(color=colour, pattern=dict(shape=PATTERNS[key], fgcolor="#ffffff", bgcolor=colour)),
            customdata=list(
                zip(
                    [plain(t) for t in part["title"]],
                    [fmt.date(d) for d in part["start_date"]],
                    [fmt.date(d) for d in part["planned_end"]],
                )
            ),
            hovertemplate="%{y} %{customdata[0]}<br>%{customdata[1]} – %{customdata[2]}<extra></extra>",
        )
    fig.update_xaxes(type="date", title=None, tickformat="%m.%Y")
    fig.update_yaxes(
        autorange="reversed", title=None, type="category", categoryorder="array", categoryarray=list(m["code"])
    )
    fig.update_layout(barmode="overlay", legend_traceorder="normal")
    return _layout(fig, height=max(250, 60 + 18 * len(m)))


def indicator_chart(values: pd.DataFrame) -> go.Figure:
    """One indicator's values over the periods against its baseline and target."""
    first = values.iloc[0]
    v = values[values["value"].notna()]
    fig = go.Figure()
    fig.add_scatter(
        x=v["period"],
        y=v["value"],
        mode="lines+markers",
        name="Ist",
        line=dict(color=palette.MAIN_COLOUR, width=3),
        hovertemplate="%{x}: %{y:,.1f} " + plain(first["unit"]) + "<extra></extra>",
    )
    if pd.notna(first["baseline"]):
        fig.add_hline(
            y=first["baseline"],
            line_dash="dot",
            line_color=palette.PLAN_COLOUR,
            annotation_text=f"Ausgangswert {fmt.number(first['baseline'], 1)} ({first['baseline_year']})",
        )
    if pd.notna(first["target"]):
        fig.add_hline(
            y=first["target"],
            line_dash="dash",
            line_color=palette.TARGET_COLOUR,
            annotation_text=f"Ziel {fmt.number(first['target'], 1)} ({first['target_year']})",
        )
    fig.update_yaxes(title=plain(first["unit"]))
    fig.update_xaxes(title="Berichtsperiode", type="category")
    return _layout(fig, height=280)
