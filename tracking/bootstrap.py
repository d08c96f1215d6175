"""Bring a database to a usable state: schema, the Lucerne strategy, optional demo data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine, exists, select
from sqlalchemy.orm import Session

from tracking import schema
from tracking.audit import WriteLog
from tracking.db import SETUP, serialize, transaction
from tracking.demo import generate_demo, has_demo_data
from tracking.formatting import count
from tracking.frozen import freeze_missing, missing_periods
from tracking.models import Strategy
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file


@dataclass(frozen=True)
class StoreFacts:
    """What the dashboard's frame shows before any page: which strategy, example goals, demo data."""

    strategy: str | None  # None: the database is empty (no strategy loaded yet)
    goals_are_examples: bool
    demo: bool


def store_facts(session: Session) -> StoreFacts:
    strategy = session.scalar(select(Strategy).limit(1))
    return StoreFacts(
        strategy=strategy.name if strategy else None,
        goals_are_examples=bool(strategy and strategy.goals_are_examples),
        demo=has_demo_data(session),
    )


@dataclass
class InitResult:
    messages: list[str] = field(default_factory=list)


def init_database(engine: Engine, *, actor: str, demo: bool = False, today: dt.date | None = None) -> InitResult:
    """Create what is missing and leave what exists as it is (safe to run again)."""
    today = today or dt.date.today()
    result = InitResult()
    schema.upgrade(engine)
    with transaction(engine, write=True) as session:
        serialize(session, SETUP)  # two `init` at once: the second waits and then finds the strategy
        if session.scalar(select(exists().where(Strategy.id.is_not(None)))):
            result.messages.append("Strategie bereits geladen: unverändert gelassen.")
        else:
            loaded = load_strategy_file(session, LUZERN_DEFINITION, actor=actor, today=today)
            entries = count(len(loaded.changes), "Eintrag", "Einträge")
            result.messages.append(f"Strategie «Digitaler Wandel» geladen ({entries}).")
    if demo:
        with transaction(engine, write=True) as session:
            serialize(session, SETUP)
            if has_demo_data(session):
                result.messages.append("Demodaten bereits vorhanden: unverändert gelassen.")
            else:
                made = generate_demo(session, reference_date=today)
                result.messages.append(
                    f"Demodaten erzeugt: {count(made.measures, 'Massnahme', 'Massnahmen')}, "
                    f"{count(made.reports, 'Statusbericht', 'Statusberichte')}, "
                    f"{count(made.indicators, 'Kennzahl', 'Kennzahlen')} (Stichtag {today:%d.%m.%Y})."
                )
    frozen = freeze_missing_periods(engine, actor=actor, source="cli")
    if frozen:
        result.messages.append(f"Kennzahlen geschlossener Perioden gespeichert: {', '.join(frozen)}.")
    return result


def freeze_missing_periods(engine: Engine, *, actor: str, source: str) -> list[str]:
    """Freeze the closed periods without stored sums (tracking.frozen.freeze_missing), in one
    write; returns their names. `init` and the dashboard's first connection call it: a
    database upgraded from before the frozen periods (revision 0010) is frozen on first use."""
    with transaction(engine) as session:
        # Most starts find nothing to do: a read, without waiting for a write lock.
        if not missing_periods(session):
            return []
    with transaction(engine, write=True) as session:
        serialize(session, SETUP)  # two instances starting at once: the second finds them frozen
        return freeze_missing(session, WriteLog(session, actor=actor, source=source, action="freeze"))
