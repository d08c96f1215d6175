"""What the charts show people: Swiss number formats and lights never by colour alone."""

import pandas as pd

from tracking import charts


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
