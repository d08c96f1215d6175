"""Bars as HTML tables: the Übersicht's progress and lights per field, and short tables (a
field's goals) whose texts wrap.

Drawn by the browser at once (no plotly.js to load), read by a screen reader
as a table, and the number always stands beside its bar, also on a phone.
Lights keep their icon and word and each segment its count: the colour is
never the only sign.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from tracking import formatting as fmt
from tracking.palette import LIGHT_COLOURS, MAIN_COLOUR
from tracking.vocab import LIGHT_ICONS, LIGHTS, NO_REPORT

STYLE = """
<style>
.bar-table { width: 100%; border-collapse: collapse; font-size: 0.95rem; }
.bar-table caption { caption-side: top; text-align: left; font-size: 0.85rem; color: #555; padding-bottom: 0.3rem; }
.bar-table th { text-align: left; font-weight: 400; padding: 0.25rem 0.5rem 0.25rem 0; width: 45%;
  overflow-wrap: anywhere; }
.bar-table thead th { font-weight: 600; font-size: 0.85rem; }
.bar-table td { padding: 0.25rem 0; }
.bar-table .track { display: flex; align-items: center; gap: 0.4rem; }
.bar-table .bar { height: 1.1rem; border-radius: 2px; }
.bar-table .value { white-space: nowrap; font-weight: 600; }
.bar-table .stack { display: flex; height: 1.3rem; flex: 1; border-radius: 2px; overflow: hidden; }
.bar-table .stack span { display: flex; align-items: center; justify-content: center; color: #000;
  font-size: 0.8rem; font-weight: 600; min-width: 0; overflow: hidden; }
.bar-table .stack .rot { color: #fff; }
.bar-table .counts { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
.bar-legend { font-size: 0.85rem; margin-bottom: 0.2rem; }
.bar-legend span { margin-right: 0.8rem; white-space: nowrap; }
.bar-legend i { display: inline-block; width: 0.8rem; height: 0.8rem; margin-right: 0.25rem; vertical-align: -1px; }
@media (max-width: 640px) { .bar-table th { width: 40%; } }
.data-table { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
.data-table th, .data-table td { padding: 0.35rem 0.5rem; border-bottom: 1px solid #e3e3e3; vertical-align: top;
  text-align: left; }
.data-table thead th { font-weight: 600; border-bottom: 2px solid #c8d2de; }
.data-table .number { text-align: right; white-space: nowrap; }
.data-table .track { display: flex; align-items: center; gap: 0.4rem; min-width: 8rem; }
.data-table .bar { height: 0.8rem; border-radius: 2px; }
.data-table .value { white-space: nowrap; font-weight: 600; }
.data-table-wrap { overflow-x: auto; }
</style>
"""


def progress_bars_html(fields: pd.DataFrame, heading: str = "Aktionsfeld") -> str:
    """Progress per field (rows of rollup's field frame, or core goals in its columns): a bar and its
    number; «keine Daten» without."""
    rows = []
    for r in fields.itertuples():
        label = f"{r.field_code} {r.field_name}"
        value = fmt.percent(r.progress)
        width = 0 if pd.isna(r.progress) else max(0.0, min(100.0, float(r.progress)))
        bar = f'<span class="bar" style="width:{width * 0.8:.1f}%;background:{MAIN_COLOUR}"></span>' if width else ""
        rows.append(
            f'<tr><th scope="row">{escape(label)}</th>'
            f'<td><div class="track">{bar}<span class="value">{escape(value)}</span></div></td></tr>'
        )
    return (
        f'{STYLE}<table class="bar-table"><caption>Fortschritt in % (0 bis 100)</caption>'
        f'<thead><tr><th scope="col">{escape(heading)}</th><th scope="col">Fortschritt</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


_KEYS = [*LIGHTS, NO_REPORT]


def _word(key: str) -> str:
    return f"{LIGHT_ICONS[key]} {LIGHTS[key]}" if key in LIGHTS else f"{LIGHT_ICONS['keine']} {NO_REPORT}"


def _css_class(key: str) -> str:
    return key if key in LIGHTS else "keine"


def light_bars_html(dist: pd.DataFrame, by: str, labels: dict[str, str] | None = None) -> str:
    """Per group the measures by light as one stacked bar, each segment with its icon and count
    («● 5»), in the order grün, gelb, rot, keine Meldung; a screen reader reads all four counts."""
    labels = labels or {}
    legend = "".join(
        f'<span><i style="background:{LIGHT_COLOURS.get(k, LIGHT_COLOURS["keine"])}"></i>{escape(_word(k))}</span>'
        for k in _KEYS
    )
    rows = []
    for _, r in dist.iterrows():
        total = sum(int(r[k]) for k in _KEYS)
        segments = "".join(
            f'<span class="{_css_class(k)}" style="flex:{int(r[k])} 1 0;'
            f'background:{LIGHT_COLOURS.get(k, LIGHT_COLOURS["keine"])}" title="{escape(_word(k))}: {int(r[k])}">'
            f"{LIGHT_ICONS[_css_class(k)]}\u00a0{fmt.number(int(r[k]))}</span>"
            for k in _KEYS
            if int(r[k])
        )
        counts = ", ".join(f"{_word(k)}: {fmt.number(int(r[k]))}" for k in _KEYS)
        label = labels.get(r[by], r[by])
        rows.append(
            f'<tr><th scope="row">{escape(str(label))}</th><td><div class="track">'
            f'<div class="stack" aria-hidden="true">{segments if total else ""}</div>'
            f'<span class="counts">{escape(counts)}</span></div></td></tr>'
        )
    return (
        f'{STYLE}<div class="bar-legend">{legend}</div><table class="bar-table">'
        f'<thead><tr><th scope="col">Aktionsfeld</th><th scope="col">Massnahmen nach Ampel</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _progress_cell(progress) -> str:
    width = 0 if pd.isna(progress) else max(0.0, min(100.0, float(progress)))
    bar = f'<span class="bar" style="width:{width * 0.6:.1f}%;background:{MAIN_COLOUR}"></span>' if width else ""
    return f'<td><div class="track">{bar}<span class="value">{escape(fmt.percent(progress))}</span></div></td>'


def table_html(frame: pd.DataFrame, progress: str = "Fortschritt", helps: dict[str, str] | None = None) -> str:
    """A short table (a field's goals) as HTML: texts wrap instead of being cut, the progress
    column a bar with its number, whole numbers right-aligned; helps: a heading's explanation
    (its tooltip)."""
    helps = helps or {}
    numeric = {c for c in frame.columns if c != progress and pd.api.types.is_numeric_dtype(frame[c])}

    def head(column: str) -> str:
        title = f' title="{escape(helps[column])}"' if column in helps else ""
        align = ' class="number"' if column in numeric else ""
        return f'<th scope="col"{title}{align}>{escape(column)}</th>'

    heads = "".join(head(c) for c in frame.columns)
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            if column == progress:
                cells.append(_progress_cell(value))
            elif column in numeric:
                decimals = 0 if pd.isna(value) or float(value).is_integer() else 1
                cells.append(f'<td class="number">{escape(fmt.number(value, decimals))}</td>')
            else:
                cells.append(f"<td>{escape(str(value))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return (
        f'{STYLE}<div class="data-table-wrap" tabindex="0" role="region" aria-label="Tabelle">'
        f'<table class="data-table"><thead><tr>{heads}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'
    )
