"""Tables as people read them: German column names, Swiss formats, lights with icon and word;
and big tables read row by row."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator

import pandas as pd

from tracking import formatting as fmt
from tracking.vocab import GREEN, LIGHT_COLOURS, LIGHTS, NO_REPORT, RED, STATUSES, YELLOW, light_text


def rows_of(frame: pd.DataFrame) -> Iterator[tuple]:
    """frame.itertuples(index=False), converted column by column: pandas' string columns
    (pyarrow) hand out their values one at a time slowly, tolist() converts a column at
    once. Ten times faster over 100'000 measures."""
    # rename: a heading that is no Python name (e.g. "Geplantes Ende") is read by position.
    Row = namedtuple("Row", [str(column) for column in frame.columns], rename=True)
    return map(Row._make, zip(*(frame[column].tolist() for column in frame.columns)))


# A light as a table shows it («■ rot») -> the CSS of its cell: a tint of the light's colour (the
# text stays dark and readable; yellow text on white would not be), red the strongest, so that a
# red measure stands out. Icon and word stay: the colour is never the only sign.
_TINT = {GREEN: "33", YELLOW: "40", RED: "66"}  # alpha of the cell's background, hex
LIGHT_CELL_CSS = {
    light_text(light): f"background-color: {LIGHT_COLOURS[light]}{_TINT[light]}"
    + ("; font-weight: 700" if light == RED else "")
    for light in LIGHTS
}


def light_cell_css(label: object) -> str:
    """The CSS for a cell that shows a light label (light_text); «» for anything else."""
    return LIGHT_CELL_CSS.get(label, "") if isinstance(label, str) else ""


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
