"""A coordinator's scope: one action field, one department, or everything."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from tracking.errors import TrackingError


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
