"""A CouncilContent as JSON and back: what a closed period stores of its Sitzungsbericht
(tracking/frozen.py), so that its report reads the same today and in a year.

Every field is written, nested dataclasses as objects, dates as ISO text; reading
rebuilds them from the dataclasses' type hints. «created» is not stored: it is the day a
report is made, not part of what the period says.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import types
import typing
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.council_content import CouncilContent, MeasureRow, report_day
from tracking.models import PeriodCouncilContent

_NOT_STORED = {"created", "measure_frame"}


def to_json(content: CouncilContent) -> str:
    data = {f.name: _plain(getattr(content, f.name)) for f in dataclasses.fields(content) if f.name not in _NOT_STORED}
    data["measures"] = _plain(content.measures)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def from_json(text: str, *, created: dt.date) -> CouncilContent:
    data = json.loads(text)
    measures = [_decode(row, MeasureRow) for row in data.pop("measures")]
    content = _decode({**data, "created": created.isoformat()}, CouncilContent)
    content.__dict__["measures"] = measures  # what the cached property would build from measure_frame
    return content


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _decode(value: Any, hint: Any) -> Any:
    if value is None:
        return None
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _decode(value, inner[0]) if len(inner) == 1 else value  # e.g. float | int: as JSON has it
    if dataclasses.is_dataclass(hint):
        hints = typing.get_type_hints(hint)
        return hint(
            **{f.name: _decode(value[f.name], hints[f.name]) for f in dataclasses.fields(hint) if f.name in value}
        )
    if origin is list:
        return [_decode(v, args[0]) for v in value]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(v, args[0]) for v in value)
        return tuple(_decode(v, a) for v, a in zip(value, args))
    if origin is dict:
        return {k: _decode(v, args[1]) for k, v in value.items()}
    if isinstance(hint, type) and issubclass(hint, dt.date):
        return dt.date.fromisoformat(value)
    if hint is float:
        return float(value)
    return value


def stored_content(session: Session, period_id: int) -> CouncilContent | None:
    """The Sitzungsbericht the period stored when it was frozen («erstellt» today), None when none."""
    text = session.scalar(select(PeriodCouncilContent.content).where(PeriodCouncilContent.period_id == period_id))
    return None if text is None else from_json(text, created=report_day())
