"""Who may do what. Every write function in tracking/ asks here, not only the pages.

Roles (README «Anmeldung und Rollen»):
- admin (Administration / Fachstelle): everything.
- koordination: uploads and undoes reports for the measures in its scope (a set
  of action fields and/or departments); sees everything.
- departementsleitung: sees everything, its own department preselected; releases or returns
  its own department's reports when the strategy asks for sign-off (tracking/sign_off.py).
- regierungsrat: sees the overview and the meeting summary; writes nothing.

The command line runs on the server: whoever can run it is an administrator,
so a plain name (str) as actor stands for an administrator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tracking.errors import TrackingError

ROLES: dict[str, str] = {
    "admin": "Administration",
    "koordination": "Koordination",
    "departementsleitung": "Departementsleitung",
    "regierungsrat": "Regierungsrat",
}

# Write actions and the roles that may do them (scope checked separately).
WRITE_ACTIONS: dict[str, set[str]] = {
    "import": {"admin", "koordination"},
    "undo": {"admin", "koordination"},
    "load_strategy": {"admin"},
    "periods": {"admin"},
    "users": {"admin"},
    "catalogue": {"admin"},
    "restore": {"admin"},
    "remind": {"admin"},
    # Freigabe: a department head their own department's, the Fachstelle all (tracking/sign_off.py).
    "release": {"admin", "departementsleitung"},
}
# (object, verb): «darf Statusberichte nicht hochladen».
ACTION_LABELS = {
    "import": ("Statusberichte", "hochladen"),
    "undo": ("Importe", "rückgängig machen"),
    "load_strategy": ("die Strategie-Definition", "laden"),
    "periods": ("Berichtsperioden", "verwalten"),
    "users": ("Benutzer", "verwalten"),
    "catalogue": ("den Massnahmenkatalog", "ändern"),
    "restore": ("Daten", "wiederherstellen"),
    "remind": ("Erinnerungen", "versenden"),
    "release": ("Meldungen", "freigeben oder zurückweisen"),
}

# Pages by their URL path; a role not listed for a page does not see it.
PAGE_ROLES: dict[str, set[str]] = {
    "aufgaben": {"admin", "koordination", "departementsleitung"},
    "uebersicht": set(ROLES),
    "aktionsfelder": {"admin", "koordination", "departementsleitung"},
    "kernziele": {"admin", "koordination", "departementsleitung"},
    "massnahmen": {"admin", "koordination", "departementsleitung"},
    "departemente": {"admin", "koordination", "departementsleitung"},
    "statusbericht": {"admin", "koordination", "departementsleitung"},
    "sitzungsbericht": set(ROLES),
    "verwaltung": {"admin"},
}


# The page each role lands on after signing in (and at «/»): its own tasks; the council its
# meeting summary. Before sign-in: the Übersicht (behind the sign-in).
START_PAGES: dict[str, str] = {
    "admin": "aufgaben",
    "koordination": "aufgaben",
    "departementsleitung": "aufgaben",
    "regierungsrat": "sitzungsbericht",
}


def start_page(actor: Actor | None) -> str:
    return START_PAGES[actor.role] if actor is not None else "uebersicht"


class AccessDenied(TrackingError):
    """The acting user may not do this; nothing was written."""


@dataclass(frozen=True)
class Actor:
    name: str
    role: str = "admin"
    fields: frozenset[str] = field(default_factory=frozenset)
    departments: frozenset[str] = field(default_factory=frozenset)
    home_department: str | None = None
    username: str | None = None

    @property
    def role_label(self) -> str:
        return ROLES[self.role]

    def covers(self, field_code: str | None, department_code: str | None) -> bool:
        """Whether a measure in this field, led by this department, is in the actor's scope."""
        if self.role == "admin":
            return True
        if self.role != "koordination":
            return False
        return field_code in self.fields or department_code in self.departments

    @property
    def scope_label(self) -> str:
        if self.role == "admin":
            return "alle Massnahmen"
        parts = sorted(self.fields) + sorted(self.departments)
        return ", ".join(parts) if parts else "kein Geltungsbereich"


def as_actor(actor: Actor | str) -> Actor:
    """A plain name is the command line (or a script) on the server: an administrator."""
    if isinstance(actor, Actor):
        return actor
    if not actor or not str(actor).strip():
        raise ValueError("Jeder Schreibvorgang braucht eine handelnde Person (actor).")
    return Actor(name=str(actor).strip(), role="admin")


def can(actor: Actor | str, action: str) -> bool:
    return as_actor(actor).role in WRITE_ACTIONS[action]


def require(actor: Actor | str, action: str) -> Actor:
    """The actor, if the role allows the action; AccessDenied (German) otherwise."""
    resolved = as_actor(actor)
    if resolved.role not in WRITE_ACTIONS[action]:
        raise AccessDenied(
            f"{resolved.name} ({resolved.role_label}) darf {ACTION_LABELS[action][0]} nicht "
            f"{ACTION_LABELS[action][1]}. Nichts wurde gespeichert."
        )
    return resolved


def require_scope(actor: Actor, rows: Iterable[tuple[str, str | None, str | None]], what: str) -> None:
    """Refuse the whole write when any (label, field, department) row is outside the actor's scope."""
    outside = [label for label, field_code, department in rows if not actor.covers(field_code, department)]
    if outside:
        shown = ", ".join(outside[:20]) + (f" und {len(outside) - 20} weitere" if len(outside) > 20 else "")
        raise AccessDenied(
            f"{actor.name} darf nur Massnahmen im eigenen Geltungsbereich ({actor.scope_label}) {what}. "
            f"Ausserhalb: {shown}. Nichts wurde gespeichert."
        )


def in_scope(actor: Actor, measures):
    """The rows of a measures frame (field_code, department_code) the actor may report on."""
    if actor.role == "admin":
        return measures
    return measures[[actor.covers(f, d) for f, d in zip(measures["field_code"], measures["department_code"])]]


def template_choices(
    actor: Actor, fields: dict[str, str], departments: dict[str, str]
) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """What the actor may fetch templates for: the scope kinds ("field", "department", "all") and
    the fields and departments (code -> name). A coordinator gets only the own scope's, and no
    template of all measures; everyone else all."""
    if actor.role != "koordination":
        return ["field", "department", "all"], fields, departments
    fields = {c: n for c, n in fields.items() if c in actor.fields}
    departments = {c: n for c, n in departments.items() if c in actor.departments}
    return [kind for kind, names in (("field", fields), ("department", departments)) if names], fields, departments


def can_see(actor: Actor | None, page: str) -> bool:
    return actor is not None and actor.role in PAGE_ROLES.get(page, set())
