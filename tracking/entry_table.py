"""The Statusbericht's table in the browser: the measures in scope as rows to fill in, and the
filled-in rows back as entries for the status import's checks (tracking.excel_import.plan_entries)."""

from __future__ import annotations

import pandas as pd

from tracking.vocab import LIGHTS, STATUSES

EMPTY = "–"  # an empty choice (the editor would show None); reads back as nothing
# Entry key -> the table's column header.
ENTRY_COLUMNS = {
    "code": "Code",
    "title": "Titel",
    "status": "Status",
    "light": "Ampel",
    "progress": "Fortschritt %",
    "comment": "Kommentar / Begründung",
    "next_steps": "Nächste Schritte",
    "risks": "Risiken",
    "unchanged": "Unverändert",
    "explanation": "Erläuterung zu Hinweisen",
}
LAST_REPORT = "Letzte Meldung"


def entry_table(measures: pd.DataFrame, last: dict[int, str]) -> pd.DataFrame:
    """One row per measure owing a report (rows of tracking.reports.owing_reports), pre-filled with
    what the period already holds. Measures without a report stay empty; a confirmed-unchanged
    report shows its tick and leaves the values to «Letzte Meldung» (last: measure_id -> text)."""
    confirmed = [bool(h) and bool(u) for h, u in zip(measures["has_report"], measures["unchanged"])]
    has = [bool(h) and not c for h, c in zip(measures["has_report"], confirmed)]

    def current(column: str, labels: dict | None = None, empty: str = "") -> list:
        return [
            (labels.get(v, v) if labels else v) if h and isinstance(v, str) else empty
            for v, h in zip(measures[column], has)
        ]

    return pd.DataFrame(
        {
            "Code": measures["code"].tolist(),
            "Titel": measures["title"].tolist(),
            LAST_REPORT: [last.get(mid, "") for mid in measures["measure_id"]],
            "Status": current("status", STATUSES, EMPTY),
            "Ampel": current("light", LIGHTS, EMPTY),
            "Fortschritt %": [str(int(v)) if h else "" for v, h in zip(measures["progress"], has)],
            "Unverändert": confirmed,
            "Kommentar / Begründung": current("comment"),
            "Nächste Schritte": current("next_steps"),
            "Risiken": current("risks"),
            "Erläuterung zu Hinweisen": [
                e if bool(h) and isinstance(e, str) else ""
                for e, h in zip(measures["explanation"], measures["has_report"])
            ],
        }
    )


def entries_from_table(table: pd.DataFrame) -> list[dict]:
    """The table's rows as entries: empty text, «–» and an unticked box read as nothing."""
    return [
        {
            key: (None if pd.isna(row[label]) or row[label] in ("", EMPTY, False) else row[label])
            for key, label in ENTRY_COLUMNS.items()
        }
        for _, row in table.iterrows()
    ]
