"""The fields × core goals matrix as an HTML table for the pages.

A table rather than a chart: it draws at once (no plotly.js), a screen reader
reads it with its row and column headings, and on a phone (narrow screen) it
turns into one card per field. Each cell says the progress large and the
contribution small beneath it; its colour is the progress on the palette's
scale. Each field's name links to its Aktionsfeld page. The reports (PDF,
PowerPoint) draw the same figures as a chart (charts.field_core_heatmap).
"""

from __future__ import annotations

import itertools
from html import escape
from urllib.parse import urlencode

import pandas as pd

from tracking import formatting as fmt
from tracking.palette import PROGRESS_SCALE
from tracking.vocab import strength_label

NARROW_PX = 640  # at most this wide: one card per field

STYLE = f"""
<style>
.af-matrix {{ border-collapse: separate; border-spacing: 3px; width: 100%; font-size: 0.95rem; table-layout: fixed; }}
.af-matrix caption {{ caption-side: bottom; text-align: left; font-size: 0.85rem; color: #555; padding-top: 0.4rem; }}
.af-matrix th {{ font-weight: 600; text-align: left; vertical-align: bottom; padding: 0.2rem 0.4rem; }}
.af-matrix thead th {{ text-align: center; line-height: 1.2; }}
.af-matrix thead th:first-child {{ text-align: left; }}
.af-matrix thead th:first-child, .af-matrix th[scope=row] {{ width: 30%; vertical-align: middle; }}
.af-matrix th[scope=row] a {{ color: #0b4f8a; text-decoration: underline; }}
.af-matrix td {{ text-align: center; padding: 0.35rem 0.25rem; border-radius: 4px; min-width: 4.5rem; }}
.af-matrix .progress {{ display: block; font-size: 1.25rem; font-weight: 700; line-height: 1.2; }}
.af-matrix .strength {{ display: block; font-size: 0.8rem; }}
.af-matrix td.none {{ color: #555; background: #f4f4f4; }}
.af-matrix .label {{ display: none; }}
@media (max-width: {NARROW_PX}px) {{
  .af-matrix, .af-matrix tbody, .af-matrix tr, .af-matrix th, .af-matrix td {{ display: block; width: auto; }}
  .af-matrix thead {{ position: absolute; left: -10000px; }}
  .af-matrix tr {{ border: 1px solid #d0d7de; border-radius: 8px; margin-bottom: 0.6rem; padding: 0.3rem; }}
  .af-matrix th[scope=row] {{ width: auto; font-size: 1.05rem; }}
  .af-matrix td {{ display: flex; justify-content: space-between; align-items: baseline; text-align: left;
    margin: 3px 0; padding: 0.3rem 0.5rem; }}
  .af-matrix .label {{ display: inline; font-weight: 600; margin-right: auto; padding-right: 0.5rem; }}
  .af-matrix .progress {{ display: inline; font-size: 1.1rem; }}
  .af-matrix .strength {{ display: inline; margin-left: 0.4rem; }}
}}
</style>
"""


def progress_colour(progress: float) -> str:
    """The colour of a progress 0..100 on the palette's scale (linear between its stops)."""
    x = min(max(progress, 0.0), 100.0) / 100
    for (x0, c0), (x1, c1) in itertools.pairwise(PROGRESS_SCALE):
        if x <= x1:
            t = 0.0 if x1 == x0 else (x - x0) / (x1 - x0)
            mixed = (  # rounded half up
                int(int(c0[i : i + 2], 16) + (int(c1[i : i + 2], 16) - int(c0[i : i + 2], 16)) * t + 0.5)
                for i in (1, 3, 5)
            )
            return "#" + "".join(f"{v:02x}" for v in mixed)
    return PROGRESS_SCALE[-1][1]


def _luminance(hex_colour: str) -> float:
    """WCAG relative luminance."""
    channels = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on the background (at least 4.5:1 on any colour)."""
    lum = _luminance(background)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def _heading(code: str, short: str) -> str:
    return f"{escape(code)}<br>{escape(short)}" if short else escape(code)


def _cell(cell, label: str) -> str:
    prefix = f'<span class="label">{escape(label)}</span>'
    if cell.n_goals == 0:
        return (
            f'<td class="none">{prefix}<span class="progress">–</span><span class="strength">kein Beitrag</span></td>'
        )
    progress = cell.progress
    if pd.isna(progress):
        return f'<td class="none">{prefix}<span class="progress">–</span><span class="strength">keine Daten</span></td>'
    background = progress_colour(progress)
    strength = f"Beitrag {strength_label(cell.strength)}"
    return (
        f'<td style="background:{background};color:{text_colour(background)}">{prefix}'
        f'<span class="progress">{escape(fmt.percent(progress))}</span>'
        f'<span class="strength">{escape(strength)}</span></td>'
    )


def matrix_html(matrix: pd.DataFrame, link_page: str, link_query: dict[str, str] | None = None) -> str:
    """The matrix (rows of rollup's field × core goal frame) as a table; each field's name
    links to link_page?feld=CODE plus link_query (e.g. the period)."""
    fields = list(dict.fromkeys(matrix["field_code"]))
    cores = list(dict.fromkeys(matrix["core_code"]))
    names = dict(zip(matrix["field_code"], matrix["field_name"]))
    shorts = dict(zip(matrix["core_code"], matrix["core_short"])) if "core_short" in matrix else {}
    core_names = dict(zip(matrix["core_code"], matrix["core_name"]))
    labels = {c: f"{c} {shorts.get(c) or core_names[c]}" for c in cores}
    grid = {(r.field_code, r.core_code): r for r in matrix.itertuples()}
    head = "".join(
        f'<th scope="col" title="{escape(core_names[c])}">{_heading(c, shorts.get(c) or "")}</th>' for c in cores
    )
    rows = []
    for f in fields:
        href = f"{link_page}?{urlencode({'feld': f, **(link_query or {})})}"
        cells = "".join(_cell(grid[(f, c)], labels[c]) for c in cores)
        rows.append(
            f'<tr><th scope="row"><a href="{escape(href)}" target="_self">{escape(f)} {escape(names[f])}</a></th>'
            f"{cells}</tr>"
        )
    caption = (
        "Zahl: Fortschritt der Ziele des Felds, die dem Kernziel dienen (gewichtet nach Beitrag); darunter die "
        "stärkste Beitragsstärke. Farbe: Fortschritt, hell 0 % bis dunkel 100 %. «–»: kein Beitrag. "
        "Ein Feldname öffnet das Aktionsfeld."
    )
    return (
        f'{STYLE}<table class="af-matrix"><caption>{escape(caption)}</caption>'
        f'<thead><tr><th scope="col">Aktionsfeld</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
