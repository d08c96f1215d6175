"""The layout of the status report workbook: shared by the template and the import.

Changing a column here changes both sides; TEMPLATE_VERSION tells an import
which layout a file was made with.
"""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

TEMPLATE_VERSION = "2"
REPORT_SHEET = "Statusbericht"
INDICATOR_SHEET = "Kennzahlen"
GUIDE_SHEET = "Anleitung"
META_SHEET = "_meta"
HEADER_ROW = 1


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    locked: bool  # identity and information columns are protected in the template


REPORT_COLUMNS: list[Column] = [
    Column("code", "Code", 12, True),
    Column("title", "Titel", 44, True),
    Column("goal", "Ziel", 8, True),
    Column("department", "Departement", 13, True),
    Column("planned_end", "Geplantes Ende", 15, True),
    # The last report before this period, read-only beside the input columns: a row left
    # untouched stays «keine Meldung» (the inputs are empty unless this period has a report).
    Column("last_report", "Letzte Meldung", 40, True),
    Column("status", "Status", 16, False),
    Column("light", "Ampel", 9, False),
    Column("progress", "Fortschritt %", 13, False),
    Column("unchanged", "Unverändert", 13, False),
    Column("comment", "Kommentar / Begründung", 44, False),
    Column("next_steps", "Nächste Schritte", 36, False),
    Column("risks", "Risiken", 30, False),
    Column("explanation", "Erläuterung zu Hinweisen", 36, False),
    Column("as_of", "Stand per", 12, False),
]
REPORT_COLUMN = {c.key: c for c in REPORT_COLUMNS}

INDICATOR_COLUMNS: list[Column] = [
    Column("indicator_id", "Nr.", 6, True),
    Column("goal", "Ziel", 8, True),
    Column("name", "Kennzahl", 40, True),
    Column("unit", "Einheit", 12, True),
    Column("baseline", "Ausgangswert (Jahr)", 20, True),
    Column("target", "Zielwert (Jahr)", 18, True),
    Column("direction", "Richtung", 18, True),
    Column("last_value", "Letzter Wert", 16, True),
    Column("value", "Wert", 12, False),
    Column("comment", "Bemerkung", 36, False),
]
INDICATOR_COLUMN = {c.key: c for c in INDICATOR_COLUMNS}


def letter_of(columns: list[Column], key: str) -> str:
    return get_column_letter([c.key for c in columns].index(key) + 1)


# Words a coordinator may type, in any case and with stray spaces.
STATUS_WORDS = {
    "geplant": "geplant",
    "in umsetzung": "in_umsetzung",
    "in_umsetzung": "in_umsetzung",
    "abgeschlossen": "abgeschlossen",
    "sistiert": "sistiert",
    "abgebrochen": "abgebrochen",
}
LIGHT_WORDS = {"grün": "gruen", "gruen": "gruen", "grun": "gruen", "gelb": "gelb", "rot": "rot"}

# «Unverändert»: a choice in the template, a checkbox in the browser table (True arrives as WAHR).
YES_WORDS = frozenset({"ja", "x", "wahr", "true", "1", "yes"})
NO_WORDS = frozenset({"nein", "falsch", "false", "0", "no"})
YES = "ja"
