"""What the charts show people: Swiss number formats and lights never by colour alone."""

import itertools

import pandas as pd
import pytest

from tracking import charts

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only


def test_light_bars_write_counts_with_the_thousands_apostrophe():
    dist = pd.DataFrame(
        {"field_code": ["AF1", "AF2"], "gruen": [4285, 12], "gelb": [0, 3], "rot": [1001, 0], "keine Meldung": [7, 0]}
    )
    fig = charts.light_distribution_bars(dist, "field_code")
    bars = {bar.name: bar for bar in fig.data}
    assert list(bars["● grün"].text) == ["4'285", "12"]
    assert list(bars["■ rot"].text) == ["1'001", ""]  # nothing written on an empty bar
    # The axis counts 5'000, 10'000 (layout separators), not plotly's «5k».
    assert fig.layout.xaxis.tickformat == ",d" and fig.layout.separators == ".'"
    assert all(":,d}" in bar.hovertemplate for bar in fig.data)
    # Each light has its own pattern besides its colour.
    assert len({bar.marker.pattern.shape for bar in fig.data}) == len(fig.data)


def test_light_bars_of_a_few_measures_tick_whole_numbers_only():
    # One measure: plotly's own ticks 0, 0.2, … 1 would read «0 0 0 1 1 1» as whole numbers.
    few = pd.DataFrame({"field_code": ["AF7"], "gruen": [0], "gelb": [0], "rot": [0], "keine Meldung": [1]})
    fig = charts.light_distribution_bars(few, "field_code")
    assert (fig.layout.xaxis.tick0, fig.layout.xaxis.dtick) == (0, 1)
    # Many: plotly's ticks (0, 2'000, …) are whole numbers anyway.
    many = few.assign(gruen=[4000])
    assert charts.light_distribution_bars(many, "field_code").layout.xaxis.dtick is None


def test_completeness_bars_count_with_the_thousands_apostrophe():
    table = pd.DataFrame(
        {"department_code": ["GSD"], "reported": [2400], "missing": [1600], "share": [0.6], "active": [4000]}
    )
    fig = charts.completeness_bars(table, "department_code")
    assert fig.layout.xaxis.tickformat == ",d"
    assert list(fig.data[0].text) == ["60 %"]
    assert all(":,d}" in bar.hovertemplate for bar in fig.data)


def test_wrapped_field_names_break_lines_and_keep_markup_as_text():
    matrix = pd.DataFrame(
        {
            "field_code": ["AF1"],
            "field_name": ["Bildung, Forschung und Innovation <b>neu</b>"],
            "core_code": ["K1"],
            "core_name": ["Kernziel"],
            "strength": [3],
            "n_goals": [1],
            "progress": [50.0],
        }
    )
    label = charts.field_core_heatmap(matrix, wrap=30).data[0].y[0]
    # A line break between the lines, and the name's own «<b>» written as text, not markup.
    assert label == "AF1 Bildung, Forschung und<br>Innovation &lt;b&gt;neu&lt;/b&gt;"


def test_a_long_word_wraps_at_a_syllable_with_a_hyphen():
    # Chan-cen-ge-rech-tig-keit: the longest beginning under 14 characters ends after «rech».
    assert charts.wrapped("Chancengerechtigkeit", 14) == "Chancengerech-<br>tigkeit"
    assert charts.wrapped("Transparenz und Sicherheit", 14) == "Transparenz<br>und Sicherheit"
    assert charts.wrapped("Bildung", 14) == "Bildung"


def test_the_matrix_columns_carry_the_core_goals_short_names():
    matrix = pd.DataFrame(
        {
            "field_code": ["AF1", "AF1"],
            "field_name": ["Feld", "Feld"],
            "core_code": ["K1", "K2"],
            "core_name": ["Kernziel eins", "Kernziel zwei"],
            "core_short": ["Bildung", ""],
            "strength": [3.0, 0.0],
            "n_goals": [1, 0],
            "progress": [50.0, float("nan")],
        }
    )
    axis = charts.field_core_heatmap(matrix).layout.xaxis
    assert list(axis.tickvals) == ["K1", "K2"] and list(axis.ticktext) == ["K1<br>Bildung", "K2"]


# --- one palette (tracking/palette.py) -----------------------------------------------------


def _luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance, from the definition."""

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _hue_and_saturation(hex_colour: str) -> tuple[float, float]:
    import colorsys

    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))
    h, _, s = colorsys.rgb_to_hls(r, g, b)
    return h * 360, s


def test_the_series_stand_out_on_white_and_none_is_red():
    from tracking.palette import LIGHT_COLOURS, SERIES

    for colour, *_ in SERIES:
        # WCAG 1.4.11: graphical objects at least 3:1 against the white background.
        assert (1.05) / (_luminance(colour) + 0.05) >= 3, colour
        hue, saturation = _hue_and_saturation(colour)
        # Red means «gefährdet»: no series in the reds (hue within 20° of 0°, clearly coloured).
        assert not (saturation > 0.3 and (hue < 20 or hue > 340)), colour
        assert colour.upper() not in {c.upper() for c in LIGHT_COLOURS.values()}, colour
    # The red light itself would fail the test above: the check can fail.
    hue, saturation = _hue_and_saturation(LIGHT_COLOURS["rot"])
    assert saturation > 0.3 and (hue < 20 or hue > 340)


def test_no_two_series_share_a_colour_or_a_marker_so_none_depends_on_colour_alone():
    from tracking.palette import SERIES

    assert len(SERIES) >= 9  # nine action fields
    assert len({colour.upper() for colour, *_ in SERIES}) == len(SERIES)
    assert len({marker for _, marker, _, _ in SERIES}) == len(SERIES)
    # Neighbours also differ in dash, so that two lines side by side differ in print.
    assert all(a[2] != b[2] for a, b in itertools.pairwise(SERIES))


def _trend(codes: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"period": p, "field_code": c, "progress": 10.0 * i}
            for i, p in enumerate(["2026-H1", "2026-H2"])
            for c in codes
        ]
    )


def test_gesamt_and_a_field_look_the_same_in_every_trend_chart():
    overview = {
        t.name: t for t in charts.progress_trend_lines(_trend(["Gesamt", *[f"AF{i}" for i in range(1, 10)]])).data
    }
    field_page = {t.name: t for t in charts.progress_trend_lines(_trend(["Gesamt", "AF3"]), highlight="AF3").data}
    # «Gesamt»: black, thick, solid on the Übersicht and on the Aktionsfelder page.
    for chart in (overview, field_page):
        assert (chart["Gesamt"].line.color, chart["Gesamt"].line.width, chart["Gesamt"].line.dash) == (
            "#000000",
            4,
            "solid",
        )
    # AF3 keeps its colour, marker and dash although it is the 4th line in one chart, the 2nd in the other.
    for attribute in ("color", "dash"):
        assert getattr(overview["AF3"].line, attribute) == getattr(field_page["AF3"].line, attribute)
    assert overview["AF3"].marker.symbol == field_page["AF3"].marker.symbol
    # Ten lines, ten different colour-marker pairs.
    assert len({(t.line.color, t.marker.symbol) for t in overview.values()}) == 10
