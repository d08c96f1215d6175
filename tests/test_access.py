"""Who may do what: every role against every write, through the library (not the pages).

Each write is tried by an administrator, a coordinator for AF5, a department
head and a member of the Regierungsrat. A refusal must carry the exact German
message and leave the database as it was: the refusal is caught inside the
transaction, which then commits, so a write that had already happened before
the check would show.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, func, select

from tests import excel_files as xf
from tests.conftest import REFERENCE_DATE
from tracking.access import PAGE_ROLES, ROLES, AccessDenied, Actor, can, can_see
from tracking.backup import export_workbook, restore_workbook
from tracking.db import transaction
from tracking.demo import generate_demo
from tracking.excel_import import apply_import, plan_import, undo_import
from tracking.excel_template import build_template
from tracking.frozen import set_period_open
from tracking.models import (
    ActionField,
    Base,
    Department,
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
    RowChange,
    StatusReport,
    Submission,
    UserAccount,
    WriteRecord,
)
from tracking.periods import add_missing_periods, set_deadline
from tracking.reminders import remind
from tracking.report_sheet import REPORT_COLUMNS
from tracking.scope import Scope
from tracking.sign_off import release, return_submissions
from tracking.strategy import LUZERN_DEFINITION, apply_definition, parse_definition
from tracking.users import UserSpec, create_user

PERIOD = "2026-H2"

ACTORS = {
    "admin": Actor(name="Anna Admin", role="admin", username="anna"),
    "koordination": Actor(name="Kim Koordination", role="koordination", fields=frozenset({"AF5"}), username="kim"),
    "departementsleitung": Actor(
        name="Dora Departement", role="departementsleitung", home_department="STK", username="dora"
    ),
    "regierungsrat": Actor(name="Rita Rat", role="regierungsrat", username="rita"),
}
LABELS = {
    "admin": "Administration",
    "koordination": "Koordination",
    "departementsleitung": "Departementsleitung",
    "regierungsrat": "Regierungsrat",
}
# Every report cell a template may carry (its input columns); None empties it.
EMPTY_REPORT = dict.fromkeys(c.key for c in REPORT_COLUMNS if not c.locked)
NEW_VALUES = {"status": "in Umsetzung", "light": "gelb", "progress": 55, "comment": "Zugriffstest: Verzögerung"}


# German puts «nicht» before the verb: «darf Statusberichte nicht hochladen».
NOT_BEFORE_VERB = {
    "Statusberichte hochladen": "Statusberichte nicht hochladen",
    "Importe rückgängig machen": "Importe nicht rückgängig machen",
    "die Strategie-Definition laden": "die Strategie-Definition nicht laden",
    "Berichtsperioden verwalten": "Berichtsperioden nicht verwalten",
    "Meldungen freigeben oder zurückweisen": "Meldungen nicht freigeben oder zurückweisen",
    "Erinnerungen versenden": "Erinnerungen nicht versenden",
    "Benutzer verwalten": "Benutzer nicht verwalten",
    "Daten wiederherstellen": "Daten nicht wiederherstellen",
    "den Massnahmenkatalog ändern": "den Massnahmenkatalog nicht ändern",
}


def role_refusal(role: str, what: str) -> str:
    actor = ACTORS[role]
    return f"{actor.name} ({LABELS[role]}) darf {NOT_BEFORE_VERB[what]}. Nichts wurde gespeichert."


def scope_refusal(verb: str, codes: list[str]) -> str:
    return (
        f"Kim Koordination darf nur Massnahmen im eigenen Geltungsbereich (AF5) {verb}. "
        f"Ausserhalb: {', '.join(codes)}. Nichts wurde gespeichert."
    )


# --- the state a refused write must leave as it was --------------------------------


def db_state(engine: Engine) -> dict[str, Any]:
    def count(model, *where) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where))

    with transaction(engine) as session:
        return {
            "status_report": count(StatusReport),
            "submission": count(Submission),
            "waiting": count(Submission, Submission.state == "eingereicht"),
            "current_reports": sorted(
                session.execute(
                    select(StatusReport.measure_id, StatusReport.period_id, StatusReport.id).where(
                        StatusReport.is_current.is_(True)
                    )
                ).all()
            ),
            "indicator_value": count(IndicatorValue),
            "write_record": count(WriteRecord),
            "row_change": count(RowChange),
            "undone": sorted(session.execute(select(WriteRecord.id, WriteRecord.undone_by_id)).all()),
            "user_account": count(UserAccount),
            "periods": dict(session.execute(select(ReportingPeriod.name, ReportingPeriod.is_open)).all()),
            "deadlines": dict(session.execute(select(ReportingPeriod.name, ReportingPeriod.deadline)).all()),
            "goals": sorted(session.execute(select(Goal.code, Goal.name, Goal.active)).all()),
            "measures": sorted(session.execute(select(Measure.code, Measure.title, Measure.active)).all()),
        }


# --- helpers to build what each write needs ------------------------------------


def with_demo(engine: Engine) -> None:
    with transaction(engine) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)


def measure_codes(engine: Engine) -> dict[str, str]:
    """Measure code -> action field code."""
    with transaction(engine) as session:
        return dict(
            session.execute(
                select(Measure.code, ActionField.code)
                .join(Goal, Goal.id == Measure.goal_id)
                .join(ActionField, ActionField.id == Goal.field_id)
            ).all()
        )


def filled_template(engine: Engine, scope: Scope, rows: list[str] | None = None, count: int = 1) -> tuple[bytes, list]:
    """A template with every row emptied, then `rows` (or the first `count` rows) filled in."""
    with transaction(engine) as session:
        data = build_template(session, period=PERIOD, scope=scope, generated_by="test")
    data = xf.fill_all(data, EMPTY_REPORT)
    codes = rows or sorted(xf.report_rows(data))[:count]
    return xf.fill_template(data, {code: dict(NEW_VALUES) for code in codes}), codes


def import_as(engine: Engine, data: bytes, actor: Actor | str) -> int:
    with transaction(engine) as session:
        plan = plan_import(session, data, "statusbericht.xlsx")
        return apply_import(session, plan, actor=actor).write_id


def in_and_out_of_scope(engine: Engine) -> tuple[str, list[str]]:
    """One AF5 measure in the 2026-H2 template and the first two of other fields."""
    with transaction(engine) as session:
        data = build_template(session, period=PERIOD, generated_by="test")
    fields = measure_codes(engine)
    listed = sorted(xf.report_rows(data))
    inside = next(c for c in listed if fields[c] == "AF5")
    outside = [c for c in listed if fields[c] != "AF5"][:2]
    return inside, outside


# --- the cases: prepare, write, and what an allowed write changed ---------------


@dataclass
class Case:
    name: str
    allowed: set[str]
    what: str  # the refusal's wording for roles without the right
    prepare: Callable[[Engine], dict]
    write: Callable[[Any, Actor, dict], Any]
    changed: Callable[[dict, dict, dict], None]  # (before, after, context): asserts the allowed effect
    scope_refusal: Callable[[dict], str] | None = None  # message for the coordinator, if refused by scope


def _prepare_import_in_scope(engine):
    with_demo(engine)
    data, codes = filled_template(engine, Scope.of(field="AF5"))
    return {"data": data, "codes": codes}


def _prepare_import_out_of_scope(engine):
    with_demo(engine)
    inside, outside = in_and_out_of_scope(engine)
    data, codes = filled_template(engine, Scope(), rows=[inside, *outside])
    return {"data": data, "codes": codes, "outside": outside}


def _write_import(session, actor, ctx):
    plan = plan_import(session, ctx["data"], "statusbericht.xlsx")
    return apply_import(session, plan, actor=actor)


def _import_changed(before, after, ctx):
    if ctx["role"] == "koordination":
        # The strategy asks for sign-off: a coordinator's reports wait for the department head.
        assert after["status_report"] == before["status_report"]
        assert after["waiting"] == before["waiting"] + len(ctx["codes"])
    else:
        assert after["status_report"] == before["status_report"] + len(ctx["codes"])
        assert after["waiting"] == before["waiting"]
    assert after["write_record"] == before["write_record"] + 1


def _prepare_submission(engine):
    """Kim (AF5) submits a report of an AF5 measure led by the department head's department (STK)."""
    with_demo(engine)
    with transaction(engine) as session:
        code = session.scalar(
            select(Measure.code)
            .join(Goal, Goal.id == Measure.goal_id)
            .join(ActionField, ActionField.id == Goal.field_id)
            .join(Department, Department.id == Measure.lead_department_id)
            .where(ActionField.code == "AF5", Department.code == "STK", Measure.active.is_(True))
            .order_by(Measure.code)
        )
    assert code is not None, "the demo data has an AF5 measure of the STK"
    data, codes = filled_template(engine, Scope(), rows=[code])
    import_as(engine, data, ACTORS["koordination"])
    with transaction(engine) as session:
        submission = session.scalar(
            select(Submission).where(Submission.state == "eingereicht", Submission.submitted_by == "kim")
        )
        return {"id": submission.id, "measure_id": submission.measure_id, "codes": codes}


def _write_release(session, actor, ctx):
    assert release(session, [ctx["id"]], actor=actor) == 1


def _release_changed(before, after, ctx):
    assert after["status_report"] == before["status_report"] + 1
    assert after["waiting"] == before["waiting"] - 1
    assert any(m == ctx["measure_id"] for m, _, _ in set(after["current_reports"]) - set(before["current_reports"]))


def _write_return(session, actor, ctx):
    assert return_submissions(session, [ctx["id"]], "Bitte die Verzögerung begründen.", actor=actor) == 1


def _return_changed(before, after, ctx):
    assert after["status_report"] == before["status_report"]
    assert after["current_reports"] == before["current_reports"]
    assert after["waiting"] == before["waiting"] - 1


def _write_deadline(session, actor, ctx):
    assert set_deadline(session, name=PERIOD, deadline=dt.date(2027, 1, 15), actor=actor, source="test")


def _deadline_changed(before, after, ctx):
    assert before["deadlines"][PERIOD] is None and after["deadlines"][PERIOD] == dt.date(2027, 1, 15)


def _write_remind(session, actor, ctx):
    # A dry run: the right is checked before anything is read or sent.
    remind(lambda write=False: nullcontext(session), PERIOD, actor=actor, today=REFERENCE_DATE, dry_run=True)


def _remind_changed(before, after, ctx):
    assert after == before  # a dry run sends and records nothing


def _prepare_undo(engine, *, in_scope: bool):
    with_demo(engine)
    if in_scope:
        data, codes = filled_template(engine, Scope.of(field="AF5"))
    else:
        _, outside = in_and_out_of_scope(engine)
        data, codes = filled_template(engine, Scope(), rows=outside[:1])
    write_id = import_as(engine, data, ACTORS["admin"])
    with transaction(engine) as session:
        report_ids = set(session.scalars(select(StatusReport.id).where(StatusReport.write_id == write_id)))
    assert len(report_ids) == len(codes)
    return {"write_id": write_id, "codes": codes, "report_ids": report_ids}


def _write_undo(session, actor, ctx):
    return undo_import(session, ctx["write_id"], actor=actor)


def _undo_changed(before, after, ctx):
    assert after["status_report"] == before["status_report"]
    assert after["write_record"] == before["write_record"] + 1
    assert dict(after["undone"])[ctx["write_id"]] is not None
    current_before = {report_id for _, _, report_id in before["current_reports"]}
    current_after = {report_id for _, _, report_id in after["current_reports"]}
    assert ctx["report_ids"] <= current_before
    assert not ctx["report_ids"] & current_after


def _prepare_nothing(engine):
    return {}


def _write_definition(session, actor, ctx):
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    data["fields"][4]["goals"][0]["name"] = "Dienstleistungen konsequent auf die Bedürfnisse ausrichten"
    definition = parse_definition(yaml.safe_dump(data, allow_unicode=True))
    return apply_definition(session, definition, actor=actor, source="Zugriffstest", today=REFERENCE_DATE)


def _definition_changed(before, after, ctx):
    goals = {code: name for code, name, _ in after["goals"]}
    assert goals["5.1"] == "Dienstleistungen konsequent auf die Bedürfnisse ausrichten"
    assert after["write_record"] == before["write_record"] + 1


def _prepare_catalogue(engine):
    """A catalogue file with one new measure (no code) in goal 5.1, checked."""
    from openpyxl import load_workbook

    from tracking.catalogue import MEASURE_SHEET, export_catalogue, plan_catalogue

    with transaction(engine) as session:
        workbook = load_workbook(io.BytesIO(export_catalogue(session)))
    sheet = workbook[MEASURE_SHEET]
    sheet.append([None, "5.1", "Neue Massnahme aus dem Katalog", None, "STK"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with transaction(engine) as session:
        return {"plan": plan_catalogue(session, buffer.getvalue(), "katalog.xlsx")}


def _write_catalogue(session, actor, ctx):
    from tracking.catalogue import apply_catalogue

    assert apply_catalogue(session, ctx["plan"], actor=actor) is not None


def _catalogue_changed(before, after, ctx):
    added = set(after["measures"]) - set(before["measures"])
    assert added == {("M-5.1.01", "Neue Massnahme aus dem Katalog", True)}
    assert after["write_record"] == before["write_record"] + 1


def _write_close(session, actor, ctx):
    assert set_period_open(session, name=PERIOD, is_open=False, actor=actor, source="test")


def _close_changed(before, after, ctx):
    assert before["periods"][PERIOD] is True and after["periods"][PERIOD] is False


def _write_open(session, actor, ctx):
    assert set_period_open(session, name="2025-H1", is_open=True, actor=actor, source="test")


def _open_changed(before, after, ctx):
    assert before["periods"]["2025-H1"] is False and after["periods"]["2025-H1"] is True


def _write_add_periods(session, actor, ctx):
    assert add_missing_periods(session, actor=actor, today=dt.date(2027, 3, 1), source="test") == ["2027-H1"]


def _add_periods_changed(before, after, ctx):
    assert set(after["periods"]) - set(before["periods"]) == {"2027-H1"}
    assert after["periods"]["2027-H1"] is True


def _write_create_user(session, actor, ctx):
    spec = UserSpec("neu.person", "Neue Person", "regierungsrat", [], [])
    return create_user(session, spec, password="ein-langes-passwort", actor=actor, source="test")


def _user_changed(before, after, ctx):
    assert after["user_account"] == before["user_account"] + 1


def _prepare_restore(engine):
    """An export of the Lucerne database, and that database emptied for the restore."""
    with transaction(engine) as session:
        data = export_workbook(session)
    with transaction(engine) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
    return {"data": data}


def _write_restore(session, actor, ctx):
    return restore_workbook(session, ctx["data"], actor=actor)


def _restore_changed(before, after, ctx):
    assert before["periods"] == {} and len(after["periods"]) == 8  # 2023-H1 .. 2026-H2
    assert after["write_record"] == 2  # the strategy load and the restore


CASES = [
    Case(
        "import-in-scope",
        {"admin", "koordination"},
        "Statusberichte hochladen",
        _prepare_import_in_scope,
        _write_import,
        _import_changed,
    ),
    Case(
        "import-out-of-scope",
        {"admin"},
        "Statusberichte hochladen",
        _prepare_import_out_of_scope,
        _write_import,
        _import_changed,
        scope_refusal=lambda ctx: scope_refusal("melden", ctx["outside"]),
    ),
    Case(
        "undo-in-scope",
        {"admin", "koordination"},
        "Importe rückgängig machen",
        lambda engine: _prepare_undo(engine, in_scope=True),
        _write_undo,
        _undo_changed,
    ),
    Case(
        "undo-out-of-scope",
        {"admin"},
        "Importe rückgängig machen",
        lambda engine: _prepare_undo(engine, in_scope=False),
        _write_undo,
        _undo_changed,
        scope_refusal=lambda ctx: scope_refusal("zurücksetzen", ctx["codes"]),
    ),
    Case(
        "load-strategy",
        {"admin"},
        "die Strategie-Definition laden",
        _prepare_nothing,
        _write_definition,
        _definition_changed,
    ),
    Case(
        "close-period",
        {"admin"},
        "Berichtsperioden verwalten",
        _prepare_nothing,
        _write_close,
        _close_changed,
    ),
    Case(
        "open-period",
        {"admin"},
        "Berichtsperioden verwalten",
        _prepare_nothing,
        _write_open,
        _open_changed,
    ),
    Case(
        "add-missing-periods",
        {"admin"},
        "Berichtsperioden verwalten",
        _prepare_nothing,
        _write_add_periods,
        _add_periods_changed,
    ),
    Case(
        "deadline",
        {"admin"},
        "Berichtsperioden verwalten",
        _prepare_nothing,
        _write_deadline,
        _deadline_changed,
    ),
    Case(
        "release",
        {"admin", "departementsleitung"},
        "Meldungen freigeben oder zurückweisen",
        _prepare_submission,
        _write_release,
        _release_changed,
    ),
    Case(
        "return",
        {"admin", "departementsleitung"},
        "Meldungen freigeben oder zurückweisen",
        _prepare_submission,
        _write_return,
        _return_changed,
    ),
    Case(
        "remind",
        {"admin"},
        "Erinnerungen versenden",
        _prepare_nothing,
        _write_remind,
        _remind_changed,
    ),
    Case(
        "create-user",
        {"admin"},
        "Benutzer verwalten",
        _prepare_nothing,
        _write_create_user,
        _user_changed,
    ),
    Case(
        "catalogue",
        {"admin"},
        "den Massnahmenkatalog ändern",
        _prepare_catalogue,
        _write_catalogue,
        _catalogue_changed,
    ),
    Case(
        "restore",
        {"admin"},
        "Daten wiederherstellen",
        _prepare_restore,
        _write_restore,
        _restore_changed,
    ),
]


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_role_against_every_write(luzern, case: Case, role: str):
    ctx = {**case.prepare(luzern), "role": role}
    actor = ACTORS[role]
    before = db_state(luzern)
    if role in case.allowed:
        with transaction(luzern) as session:
            case.write(session, actor, ctx)
        case.changed(before, db_state(luzern), ctx)
        return
    if role == "koordination" and case.scope_refusal is not None:
        expected = case.scope_refusal(ctx)
    else:
        expected = role_refusal(role, case.what)
    # Caught inside the transaction, which commits: nothing may have been written before the check.
    with transaction(luzern) as session, pytest.raises(AccessDenied) as refused:
        case.write(session, actor, ctx)
    assert refused.value.messages == [expected]
    assert db_state(luzern) == before


def test_coordinator_import_outside_scope_is_refused_as_a_whole(luzern):
    """Five rows of which three are outside AF5: none is saved, all three are named."""
    with_demo(luzern)
    fields = measure_codes(luzern)
    with transaction(luzern) as session:
        listed = sorted(xf.report_rows(build_template(session, period=PERIOD, generated_by="test")))
    inside = [c for c in listed if fields[c] == "AF5"][:2]
    outside = [c for c in listed if fields[c] != "AF5"][-3:]
    data, _ = filled_template(luzern, Scope(), rows=inside + outside)
    before = db_state(luzern)
    with transaction(luzern) as session:
        plan = plan_import(session, data, "gemischt.xlsx")
        assert len(plan.reports) == 5
        with pytest.raises(AccessDenied) as refused:
            apply_import(session, plan, actor=ACTORS["koordination"])
    assert refused.value.messages == [scope_refusal("melden", sorted(outside))]
    assert db_state(luzern) == before
    # The same file with only the AF5 rows goes through for the coordinator.
    data, _ = filled_template(luzern, Scope(), rows=inside)
    write_id = import_as(luzern, data, ACTORS["koordination"])
    with transaction(luzern) as session:
        record = session.get(WriteRecord, write_id)
        assert (record.actor, record.actor_name) == ("kim", "Kim Koordination")


def test_coordinator_scope_by_department(luzern):
    """A coordinator for a department may report that department's measures in any field."""
    with_demo(luzern)
    fields = measure_codes(luzern)
    with transaction(luzern) as session:
        data = build_template(session, period=PERIOD, scope=Scope.of(department="GSD"), generated_by="test")
    code = next(c for c in sorted(xf.report_rows(data)) if fields[c] != "AF5")
    data, _ = filled_template(luzern, Scope.of(department="GSD"), rows=[code])
    before = db_state(luzern)
    with transaction(luzern) as session:
        plan = plan_import(session, data, "gsd.xlsx")
        with pytest.raises(AccessDenied) as refused:
            apply_import(session, plan, actor=ACTORS["koordination"])
    assert refused.value.messages == [scope_refusal("melden", [code])]
    assert db_state(luzern) == before
    gsd = Actor(name="Gabi GSD", role="koordination", departments=frozenset({"GSD"}))
    assert import_as(luzern, data, gsd) is not None


def test_coordinator_cannot_write_indicator_values_outside_scope(luzern):
    with_demo(luzern)
    with transaction(luzern) as session:
        data = build_template(session, period=PERIOD, scope=Scope.of(field="AF1"), generated_by="test")
        indicator_id = session.scalar(
            select(Indicator.id)
            .join(Goal, Goal.id == Indicator.goal_id)
            .join(ActionField, ActionField.id == Goal.field_id)
            .where(ActionField.code == "AF1")
            .order_by(Indicator.id)
        )
    data = xf.fill_all(xf.fill_indicators(data, {indicator_id: 12345}), EMPTY_REPORT)
    before = db_state(luzern)
    with transaction(luzern) as session:
        plan = plan_import(session, data, "af1.xlsx")
        assert plan.reports == [] and len(plan.indicators) == 1
        with pytest.raises(AccessDenied):
            apply_import(session, plan, actor=ACTORS["koordination"])
    assert db_state(luzern) == before


def test_coordinator_cannot_undo_indicator_values_outside_scope(luzern):
    with_demo(luzern)
    with transaction(luzern) as session:
        data = build_template(session, period=PERIOD, scope=Scope.of(field="AF1"), generated_by="test")
        indicator_id = session.scalar(
            select(Indicator.id)
            .join(Goal, Goal.id == Indicator.goal_id)
            .join(ActionField, ActionField.id == Goal.field_id)
            .where(ActionField.code == "AF1")
            .order_by(Indicator.id)
        )
    data = xf.fill_all(xf.fill_indicators(data, {indicator_id: 12345}), EMPTY_REPORT)
    write_id = import_as(luzern, data, ACTORS["admin"])
    before = db_state(luzern)
    with transaction(luzern) as session, pytest.raises(AccessDenied):
        undo_import(session, write_id, actor=ACTORS["koordination"])
    assert db_state(luzern) == before


def test_command_line_name_is_an_administrator():
    assert all(can("cli-user", action) for action in ("import", "undo", "load_strategy", "periods", "users"))
    with pytest.raises(ValueError, match="handelnde Person"):
        can("  ", "import")


# --- what each role sees -------------------------------------------------------

EVERYONE_BUT_COUNCIL = {"admin", "koordination", "departementsleitung"}
VISIBLE = {
    "aufgaben": EVERYONE_BUT_COUNCIL,
    "uebersicht": set(ROLES),
    "aktionsfelder": EVERYONE_BUT_COUNCIL,
    "kernziele": EVERYONE_BUT_COUNCIL,
    "massnahmen": EVERYONE_BUT_COUNCIL,
    "departemente": EVERYONE_BUT_COUNCIL,
    "statusbericht": EVERYONE_BUT_COUNCIL,
    "sitzungsbericht": set(ROLES),
    "verwaltung": {"admin"},
}


def test_every_page_is_in_the_expected_table():
    assert set(PAGE_ROLES) == set(VISIBLE)


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize("page", list(PAGE_ROLES))
def test_can_see(role, page):
    assert can_see(ACTORS[role], page) is (role in VISIBLE[page])


def test_council_sees_only_overview_and_meeting_summary():
    assert {p for p in PAGE_ROLES if can_see(ACTORS["regierungsrat"], p)} == {"uebersicht", "sitzungsbericht"}
    assert {r for r in ACTORS if can_see(ACTORS[r], "verwaltung")} == {"admin"}


def test_nobody_signed_in_sees_nothing_and_unknown_pages_are_hidden():
    assert not any(can_see(None, page) for page in PAGE_ROLES)
    assert not can_see(ACTORS["admin"], "gibt-es-nicht")
