"""The Übersicht's progress trend as an inline SVG line chart.

plotly.js alone costs the Übersicht almost a second in the browser; this chart
is drawn by the browser at once. Same look as charts.progress_trend_lines:
each series in its palette style (colour, marker and dash: never colour
alone), «Gesamt» black and thick. Each point has a tooltip («AF3, 2026-H1:
64 %»); a screen reader gets the values as a table. On a narrow screen the
chart keeps its size and scrolls sideways, so that its labels stay readable. The page
shows it as an image (st.html takes no inline SVG); its values are a table beneath.
"""

from __future__ import annotations

import base64
import math
from html import escape

import pandas as pd

from tracking import formatting as fmt
from tracking import palette
from tracking.vocab import TOTAL

WIDTH, HEIGHT = 900, 340
LEFT, RIGHT, TOP, BOTTOM = 64, 40, 12, 56
DASHES = {"solid": "", "dash": "8 4", "dot": "2 4", "dashdot": "8 4 2 4", "longdash": "14 5"}

STYLE = """
<style>
.trend-chart { overflow-x: auto; }
.trend-chart img { width: 100%; min-width: 600px; height: auto; }
.trend-legend { display: flex; flex-wrap: wrap; gap: 0.2rem 1rem; font-size: 0.85rem; margin-top: 0.3rem; }
.trend-legend span { display: inline-flex; align-items: center; gap: 0.3rem; white-space: nowrap; }
.trend-values summary { cursor: pointer; font-size: 0.85rem; margin-top: 0.3rem; }
.trend-values table { border-collapse: collapse; font-size: 0.85rem; margin-top: 0.3rem; }
.trend-values th, .trend-values td { padding: 0.15rem 0.5rem; text-align: right; border-bottom: 1px solid #e3e3e3; }
.trend-values th[scope=row] { text-align: left; }
</style>
"""


def _marker(symbol: str, x: float, y: float, r: float, colour: str) -> str:
    """An SVG shape for plotly's marker symbol names used by the palette."""

    def polygon(points: list[tuple[float, float]]) -> str:
        return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" fill="{colour}"/>'

    def regular(n: int, radius: float, turn: float = -math.pi / 2) -> list[tuple[float, float]]:
        return [
            (x + radius * math.cos(turn + 2 * math.pi * i / n), y + radius * math.sin(turn + 2 * math.pi * i / n))
            for i in range(n)
        ]

    if symbol == "square":
        return f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{colour}"/>'
    if symbol == "diamond":
        return polygon([(x, y - r * 1.3), (x + r * 1.3, y), (x, y + r * 1.3), (x - r * 1.3, y)])
    if symbol == "triangle-up":
        return polygon(regular(3, r * 1.3))
    if symbol == "triangle-down":
        return polygon(regular(3, r * 1.3, math.pi / 2))
    if symbol == "pentagon":
        return polygon(regular(5, r * 1.2))
    if symbol == "star":
        outer, inner = regular(5, r * 1.5), regular(5, r * 0.6, -math.pi / 2 + math.pi / 5)
        return polygon([p for pair in zip(outer, inner) for p in pair])
    if symbol in ("cross", "x"):
        w = r * 0.45
        arms = [
            (x - w, y - r),
            (x + w, y - r),
            (x + w, y - w),
            (x + r, y - w),
            (x + r, y + w),
            (x + w, y + w),
            (x + w, y + r),
            (x - w, y + r),
            (x - w, y + w),
            (x - r, y + w),
            (x - r, y - w),
            (x - w, y - w),
        ]
        if symbol == "x":
            c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
            arms = [(x + (px - x) * c - (py - y) * s, y + (px - x) * s + (py - y) * c) for px, py in arms]
        return polygon(arms)
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="{colour}"/>'


def _image(svg: str, alt: str, **attributes: str) -> str:
    data = base64.b64encode(svg.encode()).decode()
    extra = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{escape(alt)}"{extra}>'


def _sample(colour: str, symbol: str, dash: str, width: float) -> str:
    """The legend's sample: a short line in the series' dash with its marker."""
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="34" height="14" viewBox="0 0 34 14">'
        f'<line x1="1" y1="7" x2="33" y2="7" stroke="{colour}" stroke-width="{width}" '
        f'stroke-dasharray="{DASHES[dash]}"/>{_marker(symbol, 17, 7, 4, colour)}</svg>'
    )
    return _image(svg, "", width="34", height="14")


def trend_svg(trend: pd.DataFrame, key: str = "field_code") -> str:
    """Progress per period (rows period, key, progress) as lines; «Gesamt» thick."""
    periods = list(dict.fromkeys(trend["period"]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(periods) - 1, 1)

    def px(i: int) -> float:
        return LEFT + (i * step if len(periods) > 1 else plot_w / 2)

    def py(value: float) -> float:
        return TOP + plot_h * (1 - value / 105)

    grid = "".join(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{py(v):.1f}" y2="{py(v):.1f}" stroke="#e3e3e3"/>'
        f'<text x="{LEFT - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{v} %</text>'
        for v in range(0, 101, 20)
    )
    rotate = len(periods) > 8
    xlabels = "".join(
        f'<text x="{px(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="{"end" if rotate else "middle"}"'
        + (f' transform="rotate(-35 {px(i):.1f} {HEIGHT - BOTTOM + 18})"' if rotate else "")
        + f">{escape(p)}</text>"
        for i, p in enumerate(periods)
    )
    index = {p: i for i, p in enumerate(periods)}
    lines, legend, table_rows = [], [], []
    # «Gesamt» drawn last: on top of the fields.
    groups = list(trend.groupby(key, sort=False))
    groups.sort(key=lambda g: g[0] == TOTAL)
    for position, (name, group) in enumerate(groups):
        colour, symbol, dash, _ = palette.series_style(name, position)
        width = palette.TOTAL_WIDTH if name == TOTAL else 2
        points = [(index[p], v) for p, v in zip(group["period"], group["progress"]) if pd.notna(v)]
        path = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in points)
        lines.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}" '
            f'stroke-dasharray="{DASHES[dash]}" stroke-linejoin="round"/>'
        )
        for i, v in points:
            label = f"{name}, {periods[i]}: {fmt.percent(v)}"
            lines.append(
                f"<g><title>{escape(label)}</title>{_marker(symbol, px(i), py(v), 5 if width > 2 else 4, colour)}</g>"
            )
        legend.append(f"<span>{_sample(colour, symbol, dash, width)}{escape(str(name))}</span>")
        values = {periods[i]: fmt.percent(v) for i, v in points}
        table_rows.append(
            f'<tr><th scope="row">{escape(str(name))}</th>'
            + "".join(f"<td>{escape(values.get(p, '–'))}</td>" for p in periods)
            + "</tr>"
        )
    axis_title = (
        f'<text transform="rotate(-90)" x="{-(TOP + plot_h / 2):.1f}" y="14" text-anchor="middle">'
        "Fortschritt in %</text>"
    )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        '<style>text { font: 13px "Source Sans Pro", Arial, sans-serif; fill: #333; }</style>'
        f"{grid}{axis_title}{xlabels}{''.join(lines)}</svg>"
    )
    heads = "".join(f'<th scope="col">{escape(p)}</th>' for p in periods)
    table = (
        '<details class="trend-values"><summary>Werte als Tabelle</summary><table>'
        f'<thead><tr><th scope="col">Reihe</th>{heads}</tr></thead>'
        f"<tbody>{''.join(table_rows)}</tbody></table></details>"
    )
    alt = "Verlauf: Fortschritt in % je Berichtsperiode; die Werte stehen in der Tabelle darunter."
    chart = _image(svg, alt)
    # Scrolls sideways on a phone: reachable by keyboard, named for screen readers.
    area = f'<div class="trend-chart" tabindex="0" role="region" aria-label="Verlauf">{chart}</div>'
    return f'{STYLE}{area}<div class="trend-legend">{"".join(legend)}</div>{table}'
