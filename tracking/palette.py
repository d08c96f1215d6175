"""The product's colours in one place: lights, progress, series.

Every chart, table, slide and PDF takes its colours from here.

- Lights: green, yellow (an orange, to tell it from green) and a red that
  reads as red; always with their icon and word (tracking.vocab), never by
  colour alone. Red means «gefährdet» and nothing else: no series is red.
- Progress: one sequential scale, light to dark blue.
- Series (lines and grouped bars): up to nine, told apart by colour, marker and
  dash together, so that none depends on colour alone. Each colour stands out
  against white (contrast at least 3:1). An action field keeps its series
  everywhere (AF3 is always the third); «Gesamt» is always black and thick.
"""

from __future__ import annotations

import re

from tracking.vocab import TOTAL

LIGHT_COLOURS: dict[str, str] = {
    "gruen": "#009E73",  # bluish green (Okabe-Ito)
    "gelb": "#E69F00",  # orange (Okabe-Ito)
    "rot": "#C62828",  # red that reads as red (vermillion read as orange next to yellow)
    "keine": "#999999",
}
PROGRESS_SCALE = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]

# (colour, plotly marker symbol, plotly dash, bar pattern)
SERIES: list[tuple[str, str, str, str]] = [
    ("#0072B2", "circle", "solid", ""),  # blue
    ("#B35900", "square", "dash", "/"),  # dark orange
    ("#117733", "diamond", "dot", "."),  # green
    ("#AA4499", "triangle-up", "dashdot", "x"),  # purple
    ("#332288", "triangle-down", "longdash", "-"),  # indigo
    ("#2A8C82", "cross", "solid", "+"),  # teal
    ("#7A7A00", "x", "dash", "\\"),  # olive
    ("#666666", "star", "dot", "|"),  # grey
    ("#6A3D9A", "pentagon", "dashdot", "/"),  # violet
]
TOTAL_COLOUR = "#000000"
TOTAL_WIDTH = 4
# The one measured line beside a plan (a measure's Ist, an indicator's values) and plain bars.
MAIN_COLOUR = SERIES[0][0]
PLAN_COLOUR = "#555555"  # Soll and baselines: dashed grey
TARGET_COLOUR = SERIES[2][0]
# A change since the previous period in the reports' key figures: good news green, bad news red.
GOOD_CHANGE, BAD_CHANGE = "#007A5A", "#B71C1C"


def series_index(name: str, position: int) -> int:
    """The series' place in SERIES: an action field's by its number (AF3 -> 2), so that it
    looks the same in every chart; anything else by its position in the chart."""
    match = re.fullmatch(r"AF(\d+)", str(name))
    return (int(match.group(1)) - 1 if match else position) % len(SERIES)


def series_style(name: str, position: int) -> tuple[str, str, str, str]:
    """(colour, marker, dash, bar pattern) of a series; «Gesamt» black, solid, round markers."""
    if name == TOTAL:
        return (TOTAL_COLOUR, "circle", "solid", "")
    return SERIES[series_index(name, position)]
