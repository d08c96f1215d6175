"""Loading a strategy definition: the Lucerne file, idempotence, retire not delete, bad files."""

from __future__ import annotations

import copy

import pytest
import yaml
from sqlalchemy import func, select

from tests.conftest import REFERENCE_DATE
from tests.factories import add_measure, add_report, definition_dict, load_definition
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.models import (
    ActionField,
    CoreGoal,
    Department,
    Goal,
    GoalContribution,
    Measure,
    Principle,
    ReportingPeriod,
    StatusReport,
    WriteRecord,
)
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file, parse_definition, preview_strategy_file

# Published wording of Planungsbericht B 108, typed here by hand, not read from the data file.
CORE_GOALS = {
    "K1": "die Förderung der Chancengerechtigkeit ins Zentrum rücken",
    "K2": "Bildung als Basis für Erfolg zu nutzen",
    "K3": "Transparenz und Vertrauen fördern, Sicherheit gewährleisten",
    "K4": "den digitalen Wandel vernetzt gestalten",
}
FIELDS = {
    "AF1": "Bildung, Forschung und Innovation",
    "AF2": "Infrastruktur",
    "AF3": "Sicherheit",
    "AF4": "Umweltschutz, natürliche Ressourcen und Energie",
    "AF5": "politische Partizipation und E-Government",
    "AF6": "Wirtschaft",
    "AF7": "Daten, digitale Inhalte und künstliche Intelligenz",
    "AF8": "Soziales, Gesundheit und Kultur",
    "AF9": "regionales und nationales Engagement",
}
DEPARTMENTS = {"BKD", "BUWD", "FD", "GSD", "JSD", "STK"}
PRINCIPLES = {"Lebensqualität", "Innovation", "Zusammenhalt", "Nachhaltigkeit"}


def counts(session) -> dict[str, int]:
    models = [CoreGoal, Principle, ActionField, Goal, GoalContribution, Department, ReportingPeriod, WriteRecord]
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in models}


def test_luzern_definition_holds_the_published_structure(luzern):
    with transaction(luzern) as session:
        assert {c.code: c.name for c in session.scalars(select(CoreGoal))} == CORE_GOALS
        assert {f.code: f.name for f in session.scalars(select(ActionField))} == FIELDS
        assert {p.name for p in session.scalars(select(Principle))} == PRINCIPLES
        assert {d.code for d in session.scalars(select(Department))} == DEPARTMENTS
        for field in session.scalars(select(ActionField)):
            assert 2 <= len(field.goals) <= 6, field.code
            for goal in field.goals:
                assert goal.is_example, goal.code
                assert goal.code.startswith(field.code[2:] + "."), goal.code
                assert any(c.weight > 0 for c in goal.contributions), goal.code
        periods = session.scalars(select(ReportingPeriod).order_by(ReportingPeriod.start_date)).all()
        # Half-years from 2023-H1 up to the one holding the reference date (15.11.2026).
        assert [p.name for p in periods] == [f"{y}-H{h}" for y in (2023, 2024, 2025, 2026) for h in (1, 2)]
        assert [p.is_open for p in periods] == [False] * 7 + [True]


def test_a_core_goal_short_name_is_stored_and_changed_by_the_next_load(engine, tmp_path):
    data = definition_dict()
    data["core_goals"][0]["short"] = "Chancen"
    with transaction(engine, write=True) as session:
        load_definition(session, data)
    with transaction(engine) as session:
        assert {c.code: c.short_name for c in session.scalars(select(CoreGoal))} == {"K1": "Chancen", "K2": ""}
    data["core_goals"][0]["short"] = "Chancengerechtigkeit"
    path = tmp_path / "neu.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with transaction(engine, write=True) as session:
        result = load_strategy_file(session, path, actor="test", today=REFERENCE_DATE)
    assert "geändert: Kernziel K1 (short_name)" in result.changes
    with transaction(engine) as session:
        assert session.scalar(select(CoreGoal.short_name).where(CoreGoal.code == "K1")) == "Chancengerechtigkeit"


def test_loading_the_same_file_again_changes_nothing(luzern):
    with transaction(luzern) as session:
        before = counts(session)
    with transaction(luzern) as session:
        result = load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)
    assert result.changes == []
    assert result.write_id is None
    with transaction(luzern) as session:
        assert counts(session) == before


def test_edited_file_renames_adds_and_retires_without_deleting(engine):
    original = definition_dict()
    with transaction(engine) as session:
        load_definition(session, original)
        measure = add_measure(session, "M-1.2.01", "1.2")
        add_report(session, measure, "2024-H1", 40)

    edited = copy.deepcopy(original)
    edited["fields"][0]["name"] = "Bildung und Forschung"  # renamed
    edited["fields"][0]["goals"] = [g for g in edited["fields"][0]["goals"] if g["code"] != "1.2"]  # 1.2 dropped
    edited["fields"][1]["goals"].append({"code": "2.2", "name": "Neues Ziel", "contributes": {"K2": "stark"}})
    edited["fields"][1]["goals"][0]["contributes"] = {"K1": "mittel"}  # K2 contribution removed
    with transaction(engine) as session:
        result = load_definition(session, edited)
    assert "umbenannt: Aktionsfeld AF1 (name)" in result.changes
    assert "ausser Kraft: Ziel 1.2" in result.changes
    assert "neu: Ziel 2.2" in result.changes
    assert "Beitrag geändert: Ziel 2.1/K2 2 → 0" in result.changes

    with transaction(engine) as session:
        goals = {g.code: g for g in session.scalars(select(Goal))}
        assert goals["1.2"].active is False  # retired, still there
        assert goals["2.2"].active is True
        assert session.scalar(select(ActionField.name).where(ActionField.code == "AF1")) == "Bildung und Forschung"
        # The measure of the retired goal and its report stay.
        assert session.scalar(select(Measure.code).where(Measure.goal_id == goals["1.2"].id)) == "M-1.2.01"
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 1
        record = session.get(WriteRecord, result.write_id)
        assert record.actor == "test"
        assert {c.kind for c in record.changes} == {"insert", "update", "retire"}

    # Loading the original again brings the goal back.
    with transaction(engine) as session:
        back = load_definition(session, original)
    assert "geändert: Ziel 1.2 (active)" in back.changes
    with transaction(engine) as session:
        assert session.scalar(select(Goal.active).where(Goal.code == "1.2")) is True


def test_preview_shows_changes_without_writing(luzern, tmp_path):
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    data["fields"][8]["name"] = "Engagement in Region und Bund"
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with transaction(luzern) as session:
        before = counts(session)
    result = preview_strategy_file(luzern, path, actor="test", today=REFERENCE_DATE)
    assert result.changes == ["umbenannt: Aktionsfeld AF9 (name)"]
    with transaction(luzern) as session:
        assert counts(session) == before
        assert session.scalar(select(ActionField.name).where(ActionField.code == "AF9")) == FIELDS["AF9"]


def _broken(change) -> str:
    data = definition_dict()
    change(data)
    return yaml.safe_dump(data, allow_unicode=True)


BAD_FILES = [
    ("strategy: [unclosed", "test.yaml: kein gültiges YAML (Zeile 1, Spalte 20)."),
    ("- nur\n- eine Liste\n", "test.yaml: erwartet die Abschnitte strategy, core_goals, fields usw."),
    (_broken(lambda d: d.pop("strategy")), "test.yaml: Abschnitt «strategy» (Name und Code der Strategie) fehlt."),
    (_broken(lambda d: d.pop("fields")), "test.yaml: Abschnitt «fields» (Aktionsfeld) fehlt."),
    (
        _broken(lambda d: d["fields"][0]["goals"][0].update(contributes={"K9": "stark"})),
        "test.yaml: Aktionsfeld AF1, Ziel 1.1: Kernziel «K9» ist unbekannt (erlaubt: K1, K2).",
    ),
    (
        _broken(lambda d: d["fields"][0]["goals"][0].update(contributes={"K1": "sehr stark"})),
        "test.yaml: Aktionsfeld AF1, Ziel 1.1: Beitrag an K1 «sehr stark» ist ungültig "
        "(erlaubt: keine, schwach, mittel, stark oder eine Zahl ab 0).",
    ),
    (
        _broken(lambda d: d["fields"][0]["goals"][1].pop("name")),
        "test.yaml: Aktionsfeld AF1, Ziel 1.2: Wortlaut (name) fehlt.",
    ),
    (_broken(lambda d: d["fields"][1].update(goals=[])), "test.yaml: Aktionsfeld AF2: braucht mindestens ein Ziel."),
    (_broken(lambda d: d["fields"][1].update(code="AF1")), "test.yaml: Aktionsfeld «AF1» ist mehrfach aufgeführt."),
    (
        _broken(lambda d: d["fields"][1]["goals"][0].update(code="1.1")),
        "test.yaml: Ziel «1.1» ist mehrfach aufgeführt.",
    ),
    (
        _broken(lambda d: d["core_goals"][1].update(code="K 2")),
        "test.yaml: Kernziel Nr. 2: Code «K 2» ist ungültig (nur Buchstaben, Ziffern, Punkt, Binde- und Unterstrich).",
    ),
    (
        _broken(lambda d: d["core_goals"][0].update(short="x" * 41)),
        "test.yaml: Kernziel K1: Kurzname (short) hat 41 Zeichen, höchstens 40.",
    ),
    (
        _broken(lambda d: d.update(periods={"first": "2024-H3"})),
        "test.yaml: Abschnitt «periods»: erste Periode «2024-H3» ist ungültig (z. B. 2023-H1).",
    ),
    (
        _broken(lambda d: d["fields"][0]["goals"][0].update(weight=0)),
        "test.yaml: Aktionsfeld AF1, Ziel 1.1: Gewicht «0» muss eine Zahl grösser als 0 sein.",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES, ids=[m.split(": ", 1)[1][:40] for _, m in BAD_FILES])
def test_malformed_definition_is_refused_whole(engine, tmp_path, text, message):
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        before = counts(session)
    path = tmp_path / "test.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TrackingError) as info, transaction(engine) as session:
        load_strategy_file(session, path, actor="test", today=REFERENCE_DATE)
    assert message in info.value.messages
    with transaction(engine) as session:
        assert counts(session) == before


def test_all_problems_are_reported_at_once():
    data = definition_dict()
    data["fields"][0]["goals"][0]["contributes"] = {"K7": 1}
    data["fields"][1]["name"] = ""
    with pytest.raises(TrackingError) as info:
        parse_definition(yaml.safe_dump(data), source="f.yaml")
    assert info.value.messages == [
        "f.yaml: Aktionsfeld AF1, Ziel 1.1: Kernziel «K7» ist unbekannt (erlaubt: K1, K2).",
        "f.yaml: Aktionsfeld AF2: Name fehlt.",
    ]
