"""Test data in one place: small strategies, measures and reports."""

from __future__ import annotations

import datetime as dt

import yaml
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from tracking.audit import WriteLog
from tracking.models import Department, Goal, Measure, Strategy
from tracking.periods import get_period
from tracking.reports import ReportValues, record_report
from tracking.strategy import apply_definition, parse_definition

TODAY = dt.date(2024, 11, 15)  # periods 2024-H1 (closed) and 2024-H2 (open)


def definition_dict(
    fields: dict[str, dict[str, dict[str, float]]] | None = None,
    *,
    cores: tuple[str, ...] = ("K1", "K2"),
    departments: tuple[str, ...] = ("STK", "FD"),
    goal_weights: dict[str, float] | None = None,
    first_period: str = "2024-H1",
) -> dict:
    """A small definition: fields -> goals -> contributions (core code -> weight)."""
    fields = fields or {"AF1": {"1.1": {"K1": 3}, "1.2": {"K2": 1}}, "AF2": {"2.1": {"K1": 2, "K2": 2}}}
    goal_weights = goal_weights or {}
    return {
        "strategy": {"code": "TEST", "name": "Teststrategie"},
        "core_goals": [{"code": c, "name": f"Kernziel {c}"} for c in cores],
        "principles": [{"code": "G1", "name": "Lebensqualität"}],
        "departments": [{"code": d, "name": f"Departement {d}"} for d in departments],
        "periods": {"first": first_period},
        "fields": [
            {
                "code": fcode,
                "name": f"Feld {fcode}",
                "goals": [
                    {"code": g, "name": f"Ziel {g}", "contributes": contrib, "weight": goal_weights.get(g, 1)}
                    for g, contrib in goals.items()
                ],
            }
            for fcode, goals in fields.items()
        ],
    }


def load_definition(session: Session, data: dict, *, today: dt.date = TODAY, actor: str = "test"):
    return apply_definition(
        session, parse_definition(yaml.safe_dump(data, allow_unicode=True)), actor=actor, source="test", today=today
    )


def add_measure(
    session: Session,
    code: str,
    goal: str,
    *,
    department: str = "STK",
    start: dt.date | None = dt.date(2024, 1, 1),
    end: dt.date | None = dt.date(2025, 12, 31),
    weight: float = 1.0,
    active: bool = True,
) -> Measure:
    goal_row = session.scalar(select(Goal).where(Goal.code == goal))
    dept = session.scalar(select(Department).where(Department.code == department))
    measure = Measure(
        code=code,
        goal_id=goal_row.id,
        title=f"Massnahme {code}",
        lead_department_id=dept.id,
        start_date=start,
        planned_end=end,
        weight=weight,
        active=active,
    )
    session.add(measure)
    session.flush()
    return measure


def add_report(
    session: Session,
    measure: Measure,
    period: str,
    progress: int,
    *,
    status: str = "in_umsetzung",
    light: str = "gruen",
    comment: str | None = None,
    actor: str = "test",
):
    if light != "gruen" and comment is None:
        comment = "Begründung"
    log = WriteLog(session, actor=actor, source="test", action="report")
    return record_report(
        session,
        log,
        measure=measure,
        period=get_period(session, period),
        values=ReportValues(status=status, light=light, progress=progress, comment=comment),
    )


def set_sign_off(session: Session, on: bool) -> None:
    """Switch the loaded strategy's sign-off (Freigabe) as its YAML definition would."""
    session.execute(update(Strategy).values(sign_off=on))


# Every text the public must never see starts with this (tests/test_public*.py).
MARK = "QXMARK"


def mark_internal_texts(session: Session) -> None:
    """Overwrite everything non-public with a unique marker text: reasons, risks, next steps,
    comments, descriptions, units, contacts, reporters, accounts, the audit trail, waiting
    submissions, indicators, budgets, and the titles of internal measures."""
    marks = {
        "measure": ("description", "responsible_unit", "contact"),
        "status_report": ("comment", "next_steps", "risks", "explanation", "reported_by"),
        "submission": ("comment", "next_steps", "risks", "review_comment", "submitted_by", "submitted_by_name"),
        "user_account": ("display_name",),
        "write_record": ("actor", "actor_name", "source", "summary"),
        "indicator": ("name", "unit"),
        "indicator_value": ("reported_by",),
    }
    for table, columns in marks.items():
        values = ", ".join(f"{c} = '{MARK}-{table}-{c}-' || id" for c in columns)
        session.execute(text(f"UPDATE {table} SET {values}"))
    session.execute(text(f"UPDATE user_account SET email = '{MARK.lower()}' || id || '@example.ch'"))
    session.execute(text("UPDATE measure SET budget_chf = 987654.32"))
    session.execute(text(f"UPDATE measure SET title = '{MARK}-internal-title-' || id WHERE NOT public"))
