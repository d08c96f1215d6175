"""The record of every write: who, when, from which source, which rows changed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tracking.models import RowChange, WriteRecord, local_now


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The listed attributes of a row as JSON-friendly values."""
    return {f: _jsonable(getattr(obj, f)) for f in fields}


class WriteLog:
    """Collects the row changes of one write; the record is created on the first change.

    A write that changes nothing leaves no trace, so loading the same file twice
    does not fill the audit trail with empty entries.
    """

    def __init__(self, session: Session, *, actor: str, source: str, action: str):
        if not actor or not actor.strip():
            raise ValueError("Jeder Schreibvorgang braucht eine handelnde Person (actor).")
        self.session = session
        self.actor = actor.strip()
        self.source = source
        self.action = action
        self.record: WriteRecord | None = None

    def ensure_record(self) -> WriteRecord:
        if self.record is None:
            self.record = WriteRecord(actor=self.actor, source=self.source, action=self.action, at=local_now())
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
        record.changes.append(RowChange(table_name=table, row_key=key, kind=kind, before=before, after=after))

    @property
    def count(self) -> int:
        return 0 if self.record is None else len(self.record.changes)
