"""Load a strategy definition (YAML) into the store.

Loading is idempotent: the same file twice changes nothing. An edited file
renames and adds; what it no longer lists is retired (active = False), never
deleted, so reports and history stay. A malformed file is refused whole, with
a German message naming the entry.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracking.access import Actor, require
from tracking.audit import WriteLog, snapshot
from tracking.catalogue import set_public_measures
from tracking.db import PROJECT_DIR
from tracking.errors import TrackingError
from tracking.files import read_file
from tracking.frozen import freeze_closed
from tracking.models import (
    ActionField,
    CoreGoal,
    Department,
    Goal,
    GoalContribution,
    Principle,
    Strategy,
)
from tracking.periods import PERIOD_NAME, ensure_half_years
from tracking.vocab import STRENGTHS

LUZERN_DEFINITION = PROJECT_DIR / "data" / "strategy_luzern.yaml"
# The «open_data» section's keys and the Strategy columns they fill.
OPEN_DATA_KEYS = {
    "publisher": "publisher",
    "organisation": "publisher_slug",
    "contact": "contact_name",
    "email": "contact_email",
}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass
class GoalDef:
    code: str
    name: str
    example: bool
    weight: float
    contributes: dict[str, float]


@dataclass
class FieldDef:
    code: str
    name: str
    introduction: str | None
    goals: list[GoalDef]


@dataclass
class Definition:
    code: str
    name: str
    source: str | None
    description: str | None
    goals_are_examples: bool
    core_goals: list[tuple[str, str]]
    principles: list[tuple[str, str]]
    departments: list[tuple[str, str]]
    fields: list[FieldDef]
    first_period: str | None
    core_goal_short_names: dict[str, str] = field(default_factory=dict)  # code -> «Chancengerechtigkeit»
    # Freigabe: coordinators' reports count once the department head released them.
    sign_off: bool = False
    # «open_data»: who publishes the open data (tracking/opendata.py); None where not given.
    open_data: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(OPEN_DATA_KEYS))
    # «public_measures»: the codes of the public measures; None: the flags stay as they are.
    public_measures: list[str] | None = None


@dataclass
class LoadResult:
    """What a load changed, one German line per change."""

    changes: list[str] = field(default_factory=list)
    write_id: int | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- parsing and validation -------------------------------------------------


def _yes_no(check: _Checker, head: dict, key: str, what: str) -> bool:
    """A switch of the strategy section: true or false (YAML's yes/no read as such); absent: false."""
    value = head.get(key, False)
    if not isinstance(value, bool):
        check.errors.append(f"Strategie: {what} muss true oder false sein, nicht «{value}».")
        return False
    return value


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def text(self, value: Any, where: str, what: str, required: bool = True) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors.append(f"{where}: {what} fehlt.")
            return None
        if not isinstance(value, str | int | float):
            self.errors.append(f"{where}: {what} muss ein Text sein.")
            return None
        return str(value).strip()

    def code(self, value: Any, where: str) -> str | None:
        code = self.text(value, where, "Code")
        if code is not None and not CODE.match(code):
            self.errors.append(
                f"{where}: Code «{code}» ist ungültig (nur Buchstaben, Ziffern, Punkt, Binde- und Unterstrich)."
            )
            return None
        return code

    def mapping_list(self, data: dict, key: str, label: str, required: bool = True) -> list[dict]:
        items = data.get(key)
        if items is None:
            if required:
                self.errors.append(f"Abschnitt «{key}» ({label}) fehlt.")
            return []
        if not isinstance(items, list):
            self.errors.append(f"Abschnitt «{key}» ({label}) muss eine Liste sein.")
            return []
        good = []
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict):
                self.errors.append(f"{label} Nr. {i}: erwartet Einträge wie «code: …» und «name: …».")
            else:
                good.append(item)
        return good

    def unique(self, codes: list[str], label: str) -> None:
        seen: set[str] = set()
        for code in codes:
            if code in seen:
                self.errors.append(f"{label} «{code}» ist mehrfach aufgeführt.")
            seen.add(code)


def _strength(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        word = value.strip().lower()
        if word in STRENGTHS:
            return STRENGTHS[word]
        try:
            number = float(word.replace(",", "."))
        except ValueError:
            return None
        return number if number >= 0 else None
    return None


def _code_name_list(check: _Checker, data: dict, key: str, label: str) -> list[tuple[str, str]]:
    result = []
    for i, item in enumerate(check.mapping_list(data, key, label), start=1):
        code = check.code(item.get("code"), f"{label} Nr. {i}")
        where = f"{label} {code}" if code else f"{label} Nr. {i}"
        name = check.text(item.get("name"), where, "Name")
        if code and name:
            result.append((code, name))
    check.unique([c for c, _ in result], label)
    return result


SHORT_NAME_CHARS = 40  # a column heading of the matrix


def _short_names(check: _Checker, data: dict) -> dict[str, str]:
    """The core goals' optional «short» names (the matrix's column headings)."""
    items = data.get("core_goals")
    out = {}
    for i, item in enumerate(items if isinstance(items, list) else [], start=1):
        if not isinstance(item, dict) or item.get("short") is None:
            continue
        where = f"Kernziel {item.get('code') or f'Nr. {i}'}"
        short = check.text(item.get("short"), where, "Kurzname (short)", required=False)
        if short is not None and len(short) > SHORT_NAME_CHARS:
            check.errors.append(f"{where}: Kurzname (short) hat {len(short)} Zeichen, höchstens {SHORT_NAME_CHARS}.")
        elif short is not None and item.get("code") is not None:
            out[str(item["code"]).strip()] = short
    return out


def parse_definition(text: str, source: str = "Datei") -> Definition:
    """Validate a YAML definition; raise TrackingError listing every problem."""
    data = _load_yaml(text, source)
    # Every section is checked even after a problem, so that one round names them all.
    check = _Checker()
    head = data.get("strategy")
    if not isinstance(head, dict):
        check.errors.append("Abschnitt «strategy» (Name und Code der Strategie) fehlt.")
        head = {}
    code = check.code(head.get("code"), "Strategie") if head else None
    name = check.text(head.get("name"), "Strategie", "Name") if head else None

    core_goals = _code_name_list(check, data, "core_goals", "Kernziel")
    short_names = _short_names(check, data)
    principles = _code_name_list(check, data, "principles", "Grundsatz")
    departments = _code_name_list(check, data, "departments", "Departement")
    fields = _parse_fields(check, data, [c for c, _ in core_goals])
    first_period = _first_period(check, data)
    sign_off = _yes_no(check, head, "sign_off", "Freigabe (sign_off)")
    open_data = _open_data(check, data)
    public_measures = _public_measures(check, data)

    if check.errors:
        raise TrackingError([f"{source}: {e}" for e in check.errors])
    assert code and name
    return Definition(
        code=code,
        name=name,
        source=check.text(head.get("source"), "Strategie", "Quelle", required=False),
        description=check.text(head.get("description"), "Strategie", "Beschreibung", required=False),
        goals_are_examples=bool(head.get("goals_are_examples", False)),
        core_goals=core_goals,
        principles=principles,
        departments=departments,
        fields=fields,
        first_period=first_period,
        core_goal_short_names=short_names,
        sign_off=sign_off,
        open_data=open_data,
        public_measures=public_measures,
    )


def _open_data(check: _Checker, data: dict) -> dict[str, str | None]:
    """The optional «open_data» section: publisher, organisation (its opendata.swiss slug), contact, email."""
    section = data.get("open_data")
    values: dict[str, str | None] = dict.fromkeys(OPEN_DATA_KEYS)
    if section is None:
        return values
    if not isinstance(section, dict):
        check.errors.append("Abschnitt «open_data»: erwartet publisher, organisation, contact und email.")
        return values
    unknown = sorted(str(k) for k in section if k not in OPEN_DATA_KEYS)
    if unknown:
        check.errors.append(
            f"Abschnitt «open_data»: unbekannt {', '.join(unknown)} (erlaubt: {', '.join(OPEN_DATA_KEYS)})."
        )
    for key in OPEN_DATA_KEYS:
        values[key] = check.text(section.get(key), "Abschnitt «open_data»", key, required=False)
    if values["organisation"] and not SLUG.match(values["organisation"]):
        check.errors.append(
            f"Abschnitt «open_data»: organisation «{values['organisation']}» ist kein Kürzel wie auf "
            "opendata.swiss (Kleinbuchstaben, Ziffern, Bindestriche; z. B. kanton-luzern)."
        )
    if values["email"] and not EMAIL.match(values["email"]):
        check.errors.append(f"Abschnitt «open_data»: email «{values['email']}» ist keine E-Mail-Adresse.")
    return values


def _public_measures(check: _Checker, data: dict) -> list[str] | None:
    """The optional «public_measures»: a list of measure codes (checked against the store on load)."""
    if "public_measures" not in data:
        return None
    codes = data.get("public_measures") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) and c.strip() for c in codes):
        check.errors.append("Abschnitt «public_measures»: erwartet eine Liste von Massnahmencodes, z. B. [M-5.1.01].")
        return None
    codes = [c.strip().upper() for c in codes]
    check.unique(codes, "Öffentliche Massnahme")
    return codes


def _load_yaml(text: str, source: str) -> dict:
    """The YAML as a mapping; refused at once when it is none (nothing else can be checked)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (Zeile {mark.line + 1}, Spalte {mark.column + 1})" if mark else ""
        raise TrackingError(f"{source}: kein gültiges YAML{where}.") from exc
    if not isinstance(data, dict):
        raise TrackingError(f"{source}: erwartet die Abschnitte strategy, core_goals, fields usw.")
    return data


def _parse_fields(check: _Checker, data: dict, core_codes: list[str]) -> list[FieldDef]:
    """The action fields with their goals; goal codes are unique across all fields."""
    fields: list[FieldDef] = []
    all_goal_codes: list[str] = []
    for i, item in enumerate(check.mapping_list(data, "fields", "Aktionsfeld"), start=1):
        fcode = check.code(item.get("code"), f"Aktionsfeld Nr. {i}")
        fwhere = f"Aktionsfeld {fcode}" if fcode else f"Aktionsfeld Nr. {i}"
        fname = check.text(item.get("name"), fwhere, "Name")
        intro = check.text(item.get("introduction"), fwhere, "Einleitung", required=False)
        goals = [
            goal
            for j, g in enumerate(check.mapping_list(item, "goals", f"{fwhere}, Ziel"), start=1)
            if (goal := _parse_goal(check, g, fwhere, j, core_codes)) is not None
        ]
        if fcode and not goals:
            check.errors.append(f"{fwhere}: braucht mindestens ein Ziel.")
        if fcode and fname:
            fields.append(FieldDef(fcode, fname, intro, goals))
        # Also the goals of a field refused above: a duplicate among them is named too.
        all_goal_codes += [g.code for g in goals]
    check.unique([f.code for f in fields], "Aktionsfeld")
    check.unique(all_goal_codes, "Ziel")
    return fields


def _parse_goal(check: _Checker, g: dict, fwhere: str, j: int, core_codes: list[str]) -> GoalDef | None:
    """One goal of a field; None when its code, name or weight is unusable."""
    gcode = check.code(g.get("code"), f"{fwhere}, Ziel Nr. {j}")
    gwhere = f"{fwhere}, Ziel {gcode}" if gcode else f"{fwhere}, Ziel Nr. {j}"
    gname = check.text(g.get("name"), gwhere, "Wortlaut (name)")
    weight = _strength(g.get("weight", 1))
    if weight is None or weight <= 0:
        check.errors.append(f"{gwhere}: Gewicht «{g.get('weight')}» muss eine Zahl grösser als 0 sein.")
    contrib = _contributions(check, g.get("contributes") or {}, gwhere, core_codes)
    if gcode and gname and weight:
        return GoalDef(gcode, gname, bool(g.get("example", False)), weight, contrib)
    return None


def _contributions(check: _Checker, contributes: Any, gwhere: str, core_codes: list[str]) -> dict[str, float]:
    """Core goal -> strength of a goal's «contributes»; unknown core goals and strengths are errors."""
    contrib: dict[str, float] = {}
    if not isinstance(contributes, dict):
        check.errors.append(f"{gwhere}: «contributes» muss Kernziele mit Stärke auflisten, z. B. {{K1: stark}}.")
        return contrib
    for core, strength in contributes.items():
        core = str(core).strip()
        if core not in core_codes:
            allowed = ", ".join(core_codes) or "keine definiert"
            check.errors.append(f"{gwhere}: Kernziel «{core}» ist unbekannt (erlaubt: {allowed}).")
            continue
        value = _strength(strength)
        if value is None:
            check.errors.append(
                f"{gwhere}: Beitrag an {core} «{strength}» ist ungültig "
                "(erlaubt: keine, schwach, mittel, stark oder eine Zahl ab 0)."
            )
            continue
        contrib[core] = value
    return contrib


def _first_period(check: _Checker, data: dict) -> str | None:
    """The optional «periods: first: 2023-H1»: the first half-year to report on."""
    periods = data.get("periods")
    if periods is None:
        return None
    if not isinstance(periods, dict) or not isinstance(periods.get("first"), str):
        check.errors.append("Abschnitt «periods»: erwartet «first: 2023-H1».")
    elif not PERIOD_NAME.match(periods["first"].strip()):
        check.errors.append(f"Abschnitt «periods»: erste Periode «{periods['first']}» ist ungültig (z. B. 2023-H1).")
    else:
        return periods["first"].strip()
    return None


def read_definition(path: str | Path) -> Definition:
    path = Path(path)
    data = read_file(path)  # German messages for a missing file, a folder, no permission
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrackingError(f"{path.name}: keine Textdatei in UTF-8.") from exc
    return parse_definition(text, source=path.name)


# --- applying ---------------------------------------------------------------


class _Applier:
    def __init__(self, session: Session, log: WriteLog):
        self.session = session
        self.log = log
        self.result = LoadResult()

    def upsert(self, model, label: str, key: str, existing, values: dict[str, Any], **identity):
        """Insert or update one row; record what changed."""
        fields = list(values)
        if existing is None:
            row = model(**identity, **values)
            self.session.add(row)
            self.session.flush()
            self.log.change(model.__tablename__, key, "insert", after=snapshot(row, fields))
            self.result.changes.append(f"neu: {label} {key}")
            return row
        before = snapshot(existing, fields)
        diffs = [f for f, v in values.items() if getattr(existing, f) != v]
        if diffs:
            for f in diffs:
                setattr(existing, f, values[f])
            self.session.flush()
            self.log.change(model.__tablename__, key, "update", before=before, after=snapshot(existing, fields))
            what = "umbenannt" if "name" in diffs else "geändert"
            self.result.changes.append(f"{what}: {label} {key} ({', '.join(diffs)})")
        return existing

    def retire(self, model, label: str, rows: dict[str, Any], keep: set[str]) -> None:
        for key, row in rows.items():
            if key not in keep and row.active:
                row.active = False
                self.log.change(model.__tablename__, key, "retire", before={"active": True}, after={"active": False})
                self.result.changes.append(f"ausser Kraft: {label} {key}")


def apply_definition(
    session: Session,
    definition: Definition,
    *,
    actor: Actor | str,
    source: str,
    today: dt.date | None = None,
) -> LoadResult:
    """Bring the store in line with the definition, in the caller's transaction."""
    acting = require(actor, "load_strategy")
    log = WriteLog(session, actor=acting, source=source, action="load-strategy")
    ap = _Applier(session, log)

    strategy = _sync_strategy(ap, definition)
    # Departments are shared by all strategies; the other lists belong to this one.
    shorts = {code: {"short_name": definition.core_goal_short_names.get(code, "")} for code, _ in definition.core_goals}
    cores = _sync_codes(ap, CoreGoal, "Kernziel", definition.core_goals, strategy.id, shorts)
    _sync_codes(ap, Principle, "Grundsatz", definition.principles, strategy.id)
    _sync_codes(ap, Department, "Departement", definition.departments, None)
    _sync_fields(ap, definition, strategy.id, cores)
    if definition.public_measures is not None:
        ap.result.changes += set_public_measures(session, log, definition.public_measures, source)

    if definition.first_period:
        for period in ensure_half_years(session, log, first=definition.first_period, today=today or dt.date.today()):
            ap.result.changes.append(f"neu: Berichtsperiode {period.name}")

    # A goal that becomes active again needs its row in the frozen periods; their stored
    # Sitzungsbericht follows a changed strategy, as the pages do.
    freeze_closed(session, log, only_frozen=True, renew_content=bool(ap.result.changes))
    session.flush()
    ap.result.write_id = log.record.id if log.record else None
    return ap.result


def _sync_strategy(ap: _Applier, definition: Definition) -> Strategy:
    strategy = ap.session.scalar(select(Strategy).where(Strategy.code == definition.code))
    return ap.upsert(
        Strategy,
        "Strategie",
        definition.code,
        strategy,
        {
            "name": definition.name,
            "source": definition.source,
            "description": definition.description,
            "goals_are_examples": definition.goals_are_examples,
            "sign_off": definition.sign_off,
            **{column: definition.open_data[key] for key, column in OPEN_DATA_KEYS.items()},
        },
        code=definition.code,
    )


def _sync_codes(
    ap: _Applier,
    model,
    label: str,
    items: list[tuple[str, str]],
    strategy_id: int | None,
    extra: dict[str, dict[str, Any]] | None = None,
) -> dict:
    """A list of code and name (core goals, principles, departments): rows by code.

    strategy_id None: the model's rows are not tied to a strategy (departments). extra: more
    columns by code (a core goal's short name).
    """
    query = select(model)
    if strategy_id is not None:
        query = query.where(model.strategy_id == strategy_id)
    rows = {r.code: r for r in ap.session.scalars(query)}
    for pos, (code, name) in enumerate(items):
        values = {"name": name, "active": True, **(extra or {}).get(code, {})}
        if hasattr(model, "position"):
            values["position"] = pos
        identity = {"code": code, **({"strategy_id": strategy_id} if strategy_id is not None else {})}
        rows[code] = ap.upsert(model, label, code, rows.get(code), values, **identity)
    ap.retire(model, label, rows, {c for c, _ in items})
    return rows


def _sync_fields(ap: _Applier, definition: Definition, strategy_id: int, cores: dict[str, CoreGoal]) -> None:
    """The action fields and their goals and contributions; what is no longer listed retires."""
    session = ap.session
    fields = {f.code: f for f in session.scalars(select(ActionField).where(ActionField.strategy_id == strategy_id))}
    # All goals, not only this strategy's: goal codes are unique in the store.
    goals = {g.code: g for g in session.scalars(select(Goal))}
    listed_goals: set[str] = set()
    for fpos, fdef in enumerate(definition.fields):
        frow = ap.upsert(
            ActionField,
            "Aktionsfeld",
            fdef.code,
            fields.get(fdef.code),
            {"name": fdef.name, "introduction": fdef.introduction, "position": fpos, "active": True},
            code=fdef.code,
            strategy_id=strategy_id,
        )
        fields[fdef.code] = frow
        for gpos, gdef in enumerate(fdef.goals):
            goals[gdef.code] = _sync_goal(ap, gdef, gpos, frow.id, goals.get(gdef.code), cores)
            listed_goals.add(gdef.code)
    ap.retire(ActionField, "Aktionsfeld", fields, {f.code for f in definition.fields})
    ap.retire(Goal, "Ziel", goals, listed_goals)


def _sync_goal(
    ap: _Applier, gdef: GoalDef, position: int, field_id: int, existing: Goal | None, cores: dict[str, CoreGoal]
) -> Goal:
    grow = ap.upsert(
        Goal,
        "Ziel",
        gdef.code,
        existing,
        {
            "field_id": field_id,
            "name": gdef.name,
            "is_example": gdef.example,
            "weight": gdef.weight,
            "position": position,
            "active": True,
        },
        code=gdef.code,
    )
    _sync_contributions(ap, grow, gdef, cores)
    return grow


def _sync_contributions(ap: _Applier, goal: Goal, gdef: GoalDef, cores: dict[str, CoreGoal]) -> None:
    current = {c.core_goal_id: c for c in goal.contributions}
    wanted = {cores[code].id: weight for code, weight in gdef.contributes.items()}
    code_of = {c.id: c.code for c in cores.values()}
    for core_id in sorted(set(current) | set(wanted)):
        old = current[core_id].weight if core_id in current else 0.0
        new = wanted.get(core_id, 0.0)
        if old == new:
            continue
        key = f"{goal.code}/{code_of.get(core_id, core_id)}"
        if core_id in current:
            current[core_id].weight = new
            ap.log.change("goal_contribution", key, "update", before={"weight": old}, after={"weight": new})
        else:
            goal.contributions.append(GoalContribution(core_goal_id=core_id, weight=new))
            ap.log.change("goal_contribution", key, "insert", after={"weight": new})
        ap.result.changes.append(f"Beitrag geändert: Ziel {key} {old:g} → {new:g}")
    ap.session.flush()


def load_strategy_file(
    session: Session, path: str | Path, *, actor: Actor | str, today: dt.date | None = None
) -> LoadResult:
    path = Path(path)
    definition = read_definition(path)
    return apply_definition(session, definition, actor=actor, source=f"Datei {path.name}", today=today)


def preview_definition(
    engine, definition: Definition, *, actor: Actor | str, source: str, today: dt.date | None = None
) -> LoadResult:
    """What loading the definition would change, without changing anything."""
    with Session(engine) as session:
        session.begin()
        try:
            return apply_definition(session, definition, actor=actor, source=source, today=today)
        finally:
            session.rollback()


def preview_strategy_file(engine, path: str | Path, *, actor: Actor | str, today: dt.date | None = None) -> LoadResult:
    definition = read_definition(path)
    return preview_definition(engine, definition, actor=actor, source=f"Vorschau {Path(path).name}", today=today)
