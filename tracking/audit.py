"""The record of every write: who, when, from which source, which rows changed."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Select, insert, literal, select
from sqlalchemy.orm import Session

from tracking import formatting as fmt
from tracking.access import Actor
from tracking.db import bulk_insert_columns
from tracking.models import RowChange, WriteRecord, local_now
from tracking.xlsx import tables_workbook


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The listed attributes of a row as JSON-friendly values."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


ROW_KEY_LENGTH = 200  # RowChange.row_key


def row_key(key: str) -> str:
    """The key as the audit trail holds it: a long one (an indicator's name) cut to fit, ending in «…»."""
    return key if len(key) <= ROW_KEY_LENGTH else key[: ROW_KEY_LENGTH - 1] + "…"


class WriteLog:
    """Collects the row changes of one write; the record is created on the first change.

    A write that changes nothing leaves no trace, so loading the same file twice
    does not fill the audit trail with empty entries.

    actor is the Actor of a page (its account name goes into WriteRecord.actor, its
    display name into actor_name: two people may share a display name) or a plain name
    (the command line, a script), stored as it is. A demo role without account is
    stored by its name.
    """

    def __init__(self, session: Session, *, actor: Actor | str, source: str, action: str):
        if isinstance(actor, Actor):
            account, display_name = actor.username or actor.name, actor.name
        else:
            account = display_name = actor
        if not account or not account.strip():
            raise ValueError("Jeder Schreibvorgang braucht eine handelnde Person (actor).")
        self.session = session
        # The account name, what `audit --user` finds.
        self.account = account.strip()
        # The person's name as pages show it, e.g. «gemeldet von» (StatusReport.reported_by).
        self.display_name = (display_name or account).strip()
        self.source = source
        self.action = action
        self.record: WriteRecord | None = None
        self._count = 0

    def ensure_record(self) -> WriteRecord:
        if self.record is None:
            self.record = WriteRecord(
                actor=self.account,
                actor_name=self.display_name if self.display_name != self.account else None,
                source=self.source,
                action=self.action,
                at=local_now(),
            )
            self.session.add(self.record)
            self.session.flush()
        return self.record

    def change(
        self,
        table: str,
        key: str,
        kind: str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        record = self.ensure_record()
        # Added by id, not through record.changes: a growing relationship list
        # would be re-checked on every flush (quadratic for big imports).
        self.session.add(
            RowChange(write_id=record.id, table_name=table, row_key=row_key(key), kind=kind, before=before, after=after)
        )
        self._count += 1

    def changes(self, table: str, rows: list[tuple[str, str, dict | None, dict | None]]) -> None:
        """Many row changes (key, kind, before, after) of one table in one bulk INSERT."""
        if not rows:
            return
        record = self.ensure_record()
        keys, kinds, befores, afters = (list(column) for column in zip(*rows))
        count = len(keys)
        bulk_insert_columns(
            self.session,
            RowChange.__table__,
            {
                "write_id": [record.id] * count,
                "table_name": [table] * count,
                "row_key": [row_key(k) for k in keys],
                "kind": kinds,
                "before": befores,
                "after": afters,
            },
        )
        self._count += count

    def changes_from_select(self, table: str, rows: Select, count: int) -> None:
        """Row changes the database builds itself, in one INSERT … SELECT.

        rows selects (row_key, kind, before, after) in the order to log; count is
        how many rows it gives. For big writes whose values are already stored:
        the database makes the JSON faster than Python could send it.
        """
        if not count:
            return
        record = self.ensure_record()
        query = rows.add_columns(literal(record.id), literal(table))
        self.session.execute(
            insert(RowChange).from_select(["row_key", "kind", "before", "after", "write_id", "table_name"], query)
        )
        self._count += count

    @property
    def count(self) -> int:
        return self._count


# --- reading the audit trail ---------------------------------------------------

AUDIT_ACTIONS = {
    "import": "Import",
    "undo": "Rückgängig",
    "load-strategy": "Strategie geladen",
    "open-period": "Periode geöffnet",
    "close-period": "Periode geschlossen",
    "freeze": "Kennzahlen gespeichert",
    "periods": "Perioden ergänzt",
    "user": "Benutzer",
    "demo": "Demodaten",
    "restore": "Wiederherstellung",
    "catalogue": "Katalog",
    "report": "Meldung",
    "deadline": "Meldeschluss",
    "remind": "Erinnerung",
    "release": "Freigabe",
    "return": "Zurückgewiesen",
}
CHANGE_KINDS = {"insert": "neu", "update": "geändert", "retire": "ausser Kraft"}
AUDIT_COLUMNS = ["Vorgang", "Zeit", "Person", "Aktion", "Quelle", "Tabelle", "Zeile", "Art", "Vorher", "Nachher"]
AUDIT_SHEET = "Protokoll"
# The stored tables as the audit trail names them (the database's own names are English).
TABLE_LABELS = {
    "strategy": "Strategie",
    "core_goal": "Kernziel",
    "principle": "Grundsatz",
    "action_field": "Aktionsfeld",
    "goal": "Ziel",
    "goal_contribution": "Beitrag an Kernziel",
    "department": "Departement",
    "measure": "Massnahme",
    "reporting_period": "Berichtsperiode",
    "period_goal_sums": "Summen je Ziel",
    "period_council_content": "Sitzungsbericht (gespeichert)",
    "status_report": "Statusbericht",
    "indicator": "Kennzahl",
    "indicator_value": "Kennzahlwert",
    "user_account": "Benutzerkonto",
    "sign_in_throttle": "Anmeldesperre",
    "submission": "Meldung zur Freigabe",
    "reminder": "Erinnerung",
}
EMPTY = "–"  # a value the write did not have (before an insert, after a delete)
# Shown as a placeholder should such a value ever reach the trail.
_SECRET_KEYS = {"password_hash"}


def _hide_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "…" if k in _SECRET_KEYS else _hide_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide_secrets(v) for v in value]
    return value


def _json_text(value: Any) -> str | None:
    """Before/after values as compact JSON text, keys sorted; None stays empty."""
    if value is None:
        return None
    return json.dumps(_hide_secrets(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def person_label(account: str, display_name: str | None) -> str:
    """Who wrote, as the audit trail shows it: «koord5 (Sandra Muster)», or the name alone."""
    if display_name and display_name != account:
        return f"{account} ({display_name})"
    return account


def write_label(record: WriteRecord) -> str:
    """A write as a refusal names it: «Vorgang 12 (Excel «b.xlsx», koord5 (Sandra Muster), 16.11.2026 09:30)»."""
    who = person_label(record.actor, record.actor_name)
    return f"Vorgang {record.id} ({record.source}, {who}, {fmt.datetime(record.at)})"


def audit_entries(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    text: str | None = None,
) -> pd.DataFrame:
    """One row per changed row, with its write (who, when, what), newest first.

    The filters combine: actor is the account name (the whole name, case-insensitive;
    the command line's plain name likewise), action an action code (e.g. «import»),
    since/until whole days (both included), text a case-insensitive search in Zeile,
    Quelle and Person (account and display name). Person shows the account name with
    the display name beside it: «koord5 (Sandra Muster)».
    """
    query = (
        select(
            WriteRecord.id,
            WriteRecord.at,
            WriteRecord.actor,
            WriteRecord.actor_name,
            WriteRecord.action,
            WriteRecord.source,
            RowChange.table_name,
            RowChange.row_key,
            RowChange.kind,
            RowChange.before,
            RowChange.after,
        )
        .join(RowChange, RowChange.write_id == WriteRecord.id)
        .order_by(WriteRecord.at.desc(), WriteRecord.id.desc(), RowChange.id)
    )
    if actor is not None and actor.strip():
        # Compared in Python: SQLite's lower() folds ASCII letters only (not Ä, Ö, Ü).
        wanted = actor.strip().casefold()
        names = [n for n in session.scalars(select(WriteRecord.actor).distinct()) if n.casefold() == wanted]
        query = query.where(WriteRecord.actor.in_(names))
    if action is not None and action.strip():
        query = query.where(WriteRecord.action == action.strip())
    if since is not None:
        query = query.where(WriteRecord.at >= dt.datetime.combine(since, dt.time.min))
    if until is not None:
        query = query.where(WriteRecord.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    needle = (text or "").strip().casefold()
    rows = []
    for write_id, at, account, display_name, code, source, table, key, kind, before, after in session.execute(query):
        person = person_label(account, display_name)
        if needle and not any(needle in (v or "").casefold() for v in (key, source, person)):
            continue
        rows.append(
            (
                write_id,
                at,
                person,
                AUDIT_ACTIONS.get(code, code),
                source or EMPTY,
                TABLE_LABELS.get(table, table),
                key,
                CHANGE_KINDS.get(kind, kind),
                _json_text(before) or EMPTY,
                _json_text(after) or EMPTY,
            )
        )
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def audit_workbook(entries: pd.DataFrame) -> bytes:
    """The entries as an .xlsx file (one sheet «Protokoll»); text never becomes a formula."""
    return tables_workbook({AUDIT_SHEET: entries})
