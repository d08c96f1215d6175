"""A coordinator's scope: one action field, one department, or everything.

Also where measures and key figures lie (action field, lead department), for
the scope checks of writes (tracking/access.py require_scope).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.access import Actor
from tracking.errors import TrackingError
from tracking.models import ActionField, Department, Goal, Indicator, Measure


@dataclass(frozen=True)
class Scope:
    kind: str = "all"  # "all", "field" or "department"
    code: str | None = None

    @classmethod
    def of(cls, field: str | None = None, department: str | None = None) -> Scope:
        if field and department:
            raise TrackingError("Bitte entweder ein Aktionsfeld oder ein Departement angeben, nicht beides.")
        if field:
            return cls("field", field.strip().upper())
        if department:
            return cls("department", department.strip().upper())
        return cls()

    @classmethod
    def parse(cls, text: str) -> Scope:
        """From the form stored in a template: 'all', 'field:AF5', 'department:GSD'."""
        kind, _, code = (text or "").strip().partition(":")
        if kind == "all" and not code:
            return cls()
        if kind in ("field", "department") and code:
            return cls(kind, code)
        raise TrackingError(f"Geltungsbereich «{text}» unbekannt.")

    def __str__(self) -> str:
        return "all" if self.kind == "all" else f"{self.kind}:{self.code}"

    @property
    def label(self) -> str:
        if self.kind == "field":
            return f"Aktionsfeld {self.code}"
        if self.kind == "department":
            return f"Departement {self.code}"
        return "alle Massnahmen"

    def filter(self, measures: pd.DataFrame) -> pd.DataFrame:
        """Rows of a measure_status frame that fall in this scope."""
        if self.kind == "field":
            return measures[measures["field_code"] == self.code]
        if self.kind == "department":
            return measures[measures["department_code"] == self.code]
        return measures

    def check_known(self, fields: list[str], departments: list[str]) -> None:
        if self.kind == "field" and self.code not in fields:
            raise TrackingError(f"Aktionsfeld «{self.code}» gibt es nicht (vorhanden: {', '.join(fields)}).")
        if self.kind == "department" and self.code not in departments:
            raise TrackingError(f"Departement «{self.code}» gibt es nicht (vorhanden: {', '.join(departments)}).")


def measure_scopes(session: Session, measure_ids: list[int]) -> list[tuple[str, str | None, str | None]]:
    """(code, field, lead department) of each measure, for the scope check."""
    wanted = set(measure_ids)
    if not wanted:
        return []
    query = (
        select(Measure.id, Measure.code, ActionField.code, Department.code)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .outerjoin(Department, Department.id == Measure.lead_department_id)
        .order_by(Measure.code)
    )
    # A long IN list costs more than reading every measure (and meets SQLite's
    # limit of bound parameters): filter in Python beyond a few hundred.
    if len(wanted) <= 500:
        query = query.where(Measure.id.in_(wanted))
    return [(code, field, department) for mid, code, field, department in session.execute(query) if mid in wanted]


def indicator_scopes(
    session: Session, actor: Actor, indicator_ids: list[int]
) -> list[tuple[str, str | None, str | None]]:
    """(label, field, department) per indicator: its goal's field, and one of the actor's
    departments when that department leads a measure of the goal (so department scopes
    cover the key figures of their own goals)."""
    rows = []
    for indicator_id, goal_id, field_code in session.execute(
        select(Indicator.id, Indicator.goal_id, ActionField.code)
        .join(Goal, Goal.id == Indicator.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .where(Indicator.id.in_(indicator_ids))
    ):
        leads = set(
            session.scalars(
                select(Department.code)
                .join(Measure, Measure.lead_department_id == Department.id)
                .where(Measure.goal_id == goal_id)
            )
        )
        department = next(iter(sorted(leads & set(actor.departments))), None)
        rows.append((f"Kennzahl Nr. {indicator_id}", field_code, department))
    return rows
