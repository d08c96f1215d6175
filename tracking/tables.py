"""Tables as people read them: German column names, Swiss formats, lights with icon and word;
and big tables read row by row."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator

import pandas as pd

from tracking import formatting as fmt
from tracking.palette import LIGHT_COLOURS
from tracking.vocab import GREEN, LIGHTS, NO_REPORT, RED, STATUSES, YELLOW, light_text


def rows_of(frame: pd.DataFrame) -> Iterator[tuple]:
    """frame.itertuples(index=False), converted column by column: pandas' string columns
    (pyarrow) hand out their values one at a time slowly, tolist() converts a column at
    once. Ten times faster over 100'000 measures."""
    # rename: a heading that is no Python name (e.g. "Geplantes Ende") is read by position.
    Row = namedtuple("Row", [str(column) for column in frame.columns], rename=True)
    return map(Row._make, zip(*(frame[column].tolist() for column in frame.columns)))


# A light as a table shows it («■ rot») -> the look of its cell: a tint of the light's colour (the
# text stays dark and readable; yellow text on white would not be), red the strongest and bold, so
# that a red measure stands out. Icon and word stay: the colour is never the only sign. The page,
# the PowerPoint, the PDF and the Excel file all take their tint from light_fill.
_TINT = {GREEN: 0.2, YELLOW: 0.25, RED: 0.4}  # share of the light's colour, the rest white


def light_fill(light: str | None) -> str | None:
    """The background of a table cell that shows this light, as «#RRGGBB»; None without a light."""
    if light not in _TINT:
        return None
    colour = LIGHT_COLOURS[light].lstrip("#")
    mixed = (round(255 - (255 - int(colour[i : i + 2], 16)) * _TINT[light]) for i in (0, 2, 4))
    return "#" + "".join(f"{v:02X}" for v in mixed)


def light_is_bold(light: str | None) -> bool:
    return light == RED


LIGHT_CELL_CSS = {
    light_text(light): f"background-color: {light_fill(light)}" + ("; font-weight: 700" if light_is_bold(light) else "")
    for light in LIGHTS
}


def light_cell_css(label: object) -> str:
    """The CSS for a cell that shows a light label (light_text, maybe marked «*» for a footnote);
    «» for anything else."""
    return LIGHT_CELL_CSS.get(label.removesuffix(" *"), "") if isinstance(label, str) else ""


def status_text(status: str | None) -> str:
    return STATUSES.get(status, NO_REPORT) if isinstance(status, str) else NO_REPORT


def measure_display(measures: pd.DataFrame) -> pd.DataFrame:
    """A measure_status frame as the measures table shows it."""
    m = measures
    flags = []
    for behind, overdue in zip(m["behind_plan"], m["overdue"]):
        parts = (["hinter Plan"] if behind else []) + (["überfällig"] if overdue else [])
        flags.append(", ".join(parts))
    return pd.DataFrame(
        {
            "Code": m["code"],
            "Titel": m["title"],
            "Feld": m["field_code"],
            "Ziel": m["goal_code"],
            "Departement": m["department_code"],
            "Status": [status_text(s) for s in m["status"].tolist()],
            "Ampel": [light_text(light if isinstance(light, str) else None) for light in m["light"].tolist()],
            "Fortschritt": m["progress"],
            "Soll": m["expected"].round(0),
            "Geplantes Ende": [fmt.date(d) if pd.notna(d) else "–" for d in m["planned_end"].tolist()],
            "Hinweis": flags,
            "Begründung / Kommentar": m["comment"].fillna(""),
        }
    )
