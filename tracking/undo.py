"""Undo one write: a status report import, an entry of the browser table, or a catalogue import.

Every kind passes the same guards before anything is written: the actor may
undo (tracking/access.py) every row the write touched (scope); the write
exists, is of one of these kinds and was not undone already; and no later
write changed its rows since (undoing it would silently drop that later
change). The rows are then put back by undo_import (tracking/excel_import.py)
or undo_catalogue (tracking/catalogue.py), which check again: they are still
called on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tracking.access import Actor, require, require_scope
from tracking.catalogue import CATALOGUE_ACTION, catalogue_changes, refuse_when_changed_since, undo_catalogue
from tracking.errors import TrackingError
from tracking.excel_import import IMPORT_ACTION, refuse_when_replaced_since, undo_import, written_rows
from tracking.models import RowChange, WriteRecord
from tracking.scope import indicator_scopes, measure_scopes

# Each kind of write as messages name it.
KIND_LABELS = {"import": "Import", "entry": "Import", "catalogue": "Katalog-Import"}
# An import from a file has this source (ImportPlan.source_label); the browser table its own.
FILE_SOURCE = "Excel «"


@dataclass(frozen=True)
class UndoResult:
    """What an undo did, for the caller to show."""

    write_id: int
    kind: str  # "import" (a status report file), "entry" (the browser table), "catalogue"
    rows: int  # rows (entries, for the catalogue) put back
    undo_id: int  # the undo's own write

    @property
    def label(self) -> str:
        """The write as messages name it: «Import 12», «Katalog-Import 14»."""
        return f"{KIND_LABELS[self.kind]} {self.write_id}"


def kind_of(record: WriteRecord | None) -> str | None:
    """The kind of a write that can be undone; None for any other write, or none."""
    if record is None:
        return None
    if record.action == CATALOGUE_ACTION:
        return "catalogue"
    if record.action == IMPORT_ACTION:
        return "import" if record.source.startswith(FILE_SOURCE) else "entry"
    return None


def undo(session: Session, write_id: int, actor: Actor | str) -> UndoResult:
    """Undo a write in the caller's transaction. A refusal (TrackingError, or AccessDenied
    for the actor) says why in German, and nothing is written."""
    acting = require(actor, "undo")
    record = session.get(WriteRecord, write_id)
    kind = kind_of(record)
    if kind is None:
        raise TrackingError(f"Import {write_id} gibt es nicht.")
    if kind == "catalogue":
        require(acting, "catalogue")
        changes = catalogue_changes(session, write_id)
        scopes = _catalogue_scopes(session, acting, changes)
    else:
        written = written_rows(session, record)  # under the locks of its periods
        scopes = written.scopes(session, acting)
    for scope_rows in scopes:
        require_scope(acting, scope_rows, "zurücksetzen")
    if record.undone_by_id is not None:
        raise TrackingError(
            f"{KIND_LABELS[kind]} {write_id} wurde bereits rückgängig gemacht (Vorgang {record.undone_by_id})."
        )
    if kind == "catalogue":
        refuse_when_changed_since(session, record, changes)
        rows = undo_catalogue(session, write_id, actor=acting)
    else:
        refuse_when_replaced_since(session, record, written)
        rows = undo_import(session, write_id, actor=acting)
    return UndoResult(write_id, kind, rows, record.undone_by_id)


def _catalogue_scopes(
    session: Session, actor: Actor, changes: list[RowChange]
) -> list[list[tuple[str, str | None, str | None]]]:
    """The measures, then the key figures a catalogue write changed, for require_scope."""
    measure_ids = [c.after["id"] for c in changes if c.table_name == "measure"]
    indicator_ids = [c.after["id"] for c in changes if c.table_name == "indicator"]
    return [measure_scopes(session, measure_ids), indicator_scopes(session, actor, indicator_ids)]
