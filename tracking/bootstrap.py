"""Bring a database to a usable state: schema, the Lucerne strategy, optional demo data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, exists, select

from tracking import schema
from tracking.db import transaction
from tracking.demo import generate_demo, has_demo_data
from tracking.models import Strategy
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file


@dataclass
class InitResult:
    messages: list[str] = field(default_factory=list)


def init_database(engine: Engine, *, actor: str, demo: bool = False, today: dt.date | None = None) -> InitResult:
    """Create what is missing and leave what exists as it is (safe to run again)."""
    today = today or dt.date.today()
    result = InitResult()
    schema.upgrade(engine)
    with transaction(engine, write=True) as session:
        if session.scalar(select(exists().where(Strategy.id.is_not(None)))):
            result.messages.append("Strategie bereits geladen: unverändert gelassen.")
        else:
            loaded = load_strategy_file(session, LUZERN_DEFINITION, actor=actor, today=today)
            result.messages.append(f"Strategie «Digitaler Wandel» geladen ({len(loaded.changes)} Einträge).")
    if demo:
        with transaction(engine, write=True) as session:
            if has_demo_data(session):
                result.messages.append("Demodaten bereits vorhanden: unverändert gelassen.")
            else:
                made = generate_demo(session, reference_date=today)
                result.messages.append(
                    f"Demodaten erzeugt: {made.measures} Massnahmen, {made.reports} Statusberichte, "
                    f"{made.indicators} Kennzahlen (Stichtag {today:%d.%m.%Y})."
                )
    return result
