"""The Übersicht's bars and trend, drawn as HTML and SVG: the same numbers as the roll-ups,
the palette's styles, names kept as text."""

from __future__ import annotations

import base64
import re

import pandas as pd
import pytest

from tracking import charts, palette
from tracking.bar_tables import light_bars_html, progress_bars_html
from tracking.trend_svg import trend_svg

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only


def test_progress_bars_show_each_number_beside_its_bar():
    fields = pd.DataFrame(
        {"field_code": ["AF1", "AF2"], "field_name": ["Bildung <i>", "Infrastruktur"], "progress": [64.4, None]}
    )
    html = progress_bars_html(fields)
    assert re.findall(r'<span class="value">([^<]*)</span>', html) == ["64 %", "keine Daten"]
    assert "width:51.5%" in html  # 64.4 % of the 80 % the bar may take
    assert "AF1 Bildung &lt;i&gt;" in html and "<i>" not in html.split("</style>")[1]


def test_light_bars_give_every_light_icon_and_count():
    dist = pd.DataFrame({"field_code": ["AF5"], "gruen": [1], "gelb": [3], "rot": [1], "keine Meldung": [0]})
    html = light_bars_html(dist, "field_code", {"AF5": "AF5 Partizipation"})
    segments = re.findall(r'<span class="(\w+)" style="flex:(\d+) 1 0;background:(#\w+)"[^>]*>([^<]*)</span>', html)
    assert segments == [
        ("gruen", "1", "#009E73", "●\u00a01"),
        ("gelb", "3", "#E69F00", "▲\u00a03"),
        ("rot", "1", "#C62828", "■\u00a01"),
    ]  # no segment for zero
    assert "● grün: 1, ▲ gelb: 3, ■ rot: 1, ○ keine Meldung: 0" in html  # for screen readers


def _svg(html: str) -> str:
    data = re.search(r'<div class="trend-chart"[^>]*><img src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    return base64.b64decode(data).decode()


def test_the_trend_draws_every_series_in_its_palette_style_with_the_values_as_a_table():
    trend = pd.DataFrame(
        [
            ("2026-H1", "AF3", 40.0),
            ("2026-H2", "AF3", 64.0),
            ("2026-H1", "Gesamt", 50.0),
            ("2026-H2", "Gesamt", 70.0),
        ],
        columns=["period", "field_code", "progress"],
    )
    html = trend_svg(trend)
    svg = _svg(html)
    lines = re.findall(r'<polyline points="[^"]+" fill="none" stroke="(#\w+)" stroke-width="(\d+)"', svg)
    af3 = palette.SERIES[2][0]  # AF3: the third series, as in every plotly chart
    assert lines == [(af3, "2"), ("#000000", "4")]  # «Gesamt» last, on top, black and thick
    plotly = {t.name: t.line.color for t in charts.progress_trend_lines(trend).data}
    assert plotly == {"AF3": af3, "Gesamt": "#000000"}
    # y: 0 % at the plot's bottom (340 - 56 = 284), 105 % at its top (12): 64 % at 284 - 272 * 64 / 105.
    assert f",{284 - 272 * 64 / 105:.1f}" in svg
    assert re.findall(r"<tr><th scope=\"row\">(\w+)</th><td>([^<]+)</td><td>([^<]+)</td></tr>", html) == [
        ("AF3", "40 %", "64 %"),
        ("Gesamt", "50 %", "70 %"),
    ]
    assert "<title>AF3, 2026-H2: 64 %</title>" in svg


def test_a_short_table_wraps_its_texts_and_shows_progress_as_bar_and_number():
    from tracking.bar_tables import table_html

    frame = pd.DataFrame(
        {
            "Ziel": ["3.1", "3.2"],
            "Wortlaut": ["Ein <langer> Satz", "Kurz"],
            "Fortschritt": [44.4, None],
            "Gewicht": [3.0, 1.5],
            "Massnahmen": [4, 2],
        }
    )
    html = table_html(frame, helps={"Gewicht": "keine 0, stark 3"})
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(<td.*?)</tr>", html)]
    assert [re.sub(r"<[^>]+>", "", cell) for cell in rows[0]] == ["3.1", "Ein &lt;langer&gt; Satz", "44 %", "3", "4"]
    assert [re.sub(r"<[^>]+>", "", cell) for cell in rows[1]] == ["3.2", "Kurz", "keine Daten", "1.5", "2"]
    assert "width:26.6%" in rows[0][2]  # 44.4 % of the 60 % the bar may take
    assert '<th scope="col" title="keine 0, stark 3" class="number">Gewicht</th>' in html
