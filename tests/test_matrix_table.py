"""The fields × core goals matrix as the pages show it: numbers, words, colours, links."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.test_charts import _luminance
from tracking.matrix_table import matrix_html, progress_colour, text_colour

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only


def _matrix() -> pd.DataFrame:
    rows = [
        # field, name, core, progress, goals, strength
        ("AF1", "Bildung <b>&</b> Forschung", "K1", 64.0, 2, 3.0),
        ("AF1", "Bildung <b>&</b> Forschung", "K2", None, 0, 0.0),
        ("AF2", "Infrastruktur", "K1", 12.4, 1, 1.0),
        ("AF2", "Infrastruktur", "K2", 100.0, 1, 2.0),
    ]
    frame = pd.DataFrame(rows, columns=["field_code", "field_name", "core_code", "progress", "n_goals", "strength"])
    names = {"K1": "Chancengerechtigkeit fördern", "K2": "Bildung als Basis"}
    return frame.assign(
        core_name=frame["core_code"].map(names), core_short=frame["core_code"].map({"K1": "Chancen", "K2": ""})
    )


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", " ", td).split() for td in re.findall(r"<td[^>]*>(.*?)</td>", html)]


def test_each_cell_says_progress_large_and_contribution_small():
    html = matrix_html(_matrix(), "aktionsfelder", {"periode": "2026-H2"})
    cells = [" ".join(words) for words in _cells(html)]
    # Label (shown on a phone), progress, contribution; in the order of the rows.
    assert cells == [
        "K1 Chancen 64 % Beitrag stark",
        "K2 Bildung als Basis – kein Beitrag",
        "K1 Chancen 12 % Beitrag schwach",
        "K2 Bildung als Basis 100 % Beitrag mittel",
    ]
    assert '<span class="progress">64 %</span><span class="strength">Beitrag stark</span>' in html
    # Column headings: code and short name; without a short name, the code alone.
    assert '<th scope="col" title="Chancengerechtigkeit fördern">K1<br>Chancen</th>' in html
    assert '<th scope="col" title="Bildung als Basis">K2</th>' in html


def test_each_field_links_to_its_page_with_the_period_and_names_stay_text():
    html = matrix_html(_matrix(), "aktionsfelder", {"periode": "2026-H2"})
    assert '<a href="aktionsfelder?feld=AF2&amp;periode=2026-H2" target="_self">AF2 Infrastruktur</a>' in html
    assert "AF1 Bildung &lt;b&gt;&amp;&lt;/b&gt; Forschung" in html and "<b>&" not in html


def test_the_colour_is_the_progress_scale_and_the_text_always_readable():
    # The scale's stops, by hand: 0 % #f7fbff, 50 % #6baed6, 100 % #08306b; 25 % halfway between the first two.
    assert progress_colour(0) == "#f7fbff" and progress_colour(50) == "#6baed6" and progress_colour(100) == "#08306b"
    assert progress_colour(25) == "#b1d5eb"  # (0xf7+0x6b)/2 = 0xb1, (0xfb+0xae)/2 = 0xd4.5 -> d5, (0xff+0xd6)/2 = 0xeb
    html = matrix_html(_matrix(), "aktionsfelder")
    assert f"background:{progress_colour(64.0)}" in html
    for progress in range(0, 101):
        background = progress_colour(progress)
        text = text_colour(background)
        lighter, darker = sorted((_luminance(background), _luminance(text)), reverse=True)
        assert (lighter + 0.05) / (darker + 0.05) >= 4.5, (progress, background, text)
