"""Sign-off by the department (Freigabe): a coordinator's reports wait until the head of the
measure's department releases them, count nowhere before, and everywhere after.

A small strategy (tests/factories.py): goal 1.1 with two measures, M-1.1.01 led by the STK and
M-1.1.02 by the FD, both weight 1; period 2024-H2 open.
"""

from __future__ import annotations

import math

import pytest
import yaml
from sqlalchemy import func, select, update

from tests.factories import add_measure, definition_dict, load_definition, set_sign_off
from tracking.access import AccessDenied, Actor
from tracking.audit import audit_entries
from tracking.council import live_council_content
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, plan_entries
from tracking.figures import period_figures
from tracking.models import ReportingPeriod, StatusReport, Submission, UserAccount
from tracking.periods import resolve_period
from tracking.reports import current_report, owing_reports
from tracking.rollup import rollup
from tracking.scope import Scope
from tracking.sign_off import release, return_submissions, submissions, waiting_count
from tracking.snapshot import load_snapshot
from tracking.strategy import parse_definition
from tracking.tasks import tasks_for
from tracking.users import UserSpec, actor_for, create_user, update_user

PERIOD = "2024-H2"
KIM = Actor(name="Kim Koordination", role="koordination", fields=frozenset({"AF1"}), username="kim")
STK_HEAD = Actor(name="Stefan Staatskanzlei", role="departementsleitung", home_department="STK", username="stefan")
FD_HEAD = Actor(name="Fiona Finanzen", role="departementsleitung", home_department="FD", username="fiona")


@pytest.fixture
def cycle(engine):
    data = definition_dict()
    data["strategy"]["sign_off"] = True
    with transaction(engine) as session:
        load_definition(session, data)
        add_measure(session, "M-1.1.01", "1.1", department="STK")
        add_measure(session, "M-1.1.02", "1.1", department="FD")
    return engine


def entry(code: str, progress: int, light: str = "grün", comment: str | None = None) -> dict:
    return {"code": code, "status": "in Umsetzung", "light": light, "progress": progress, "comment": comment}


def submit(engine, entries: list[dict], actor: Actor = KIM):
    with transaction(engine) as session:
        plan = plan_entries(session, entries, period=PERIOD, scope=Scope(), actor=actor)
        return apply_import(session, plan, actor=actor)


def waiting_ids(engine) -> dict[str, int]:
    with transaction(engine) as session:
        frame = submissions(session, period_id=resolve_period(session, PERIOD).id)
    return dict(zip(frame["code"], frame["submission_id"]))


def goal_progress(engine) -> float:
    with transaction(engine) as session:
        return float(rollup(load_snapshot(session), PERIOD).goals.set_index("goal_code").at["1.1", "progress"])


def test_the_yaml_switch_is_true_or_false():
    data = definition_dict()
    data["strategy"]["sign_off"] = True
    assert parse_definition(yaml.safe_dump(data)).sign_off is True
    data["strategy"]["sign_off"] = "ja"
    with pytest.raises(TrackingError) as refused:
        parse_definition(yaml.safe_dump(data))
    assert "Strategie: Freigabe (sign_off) muss true oder false sein, nicht «ja»." in refused.value.messages[0]


def test_a_coordinators_report_waits_and_counts_only_once_released(cycle):
    result = submit(cycle, [entry("M-1.1.01", 40), entry("M-1.1.02", 80)])
    assert (result.reports_written, result.reports_submitted) == (0, 2)
    # Waiting: no figure moves; the council report says two wait.
    assert math.isnan(goal_progress(cycle))  # no report counts yet
    with transaction(cycle) as session:
        period = resolve_period(session, PERIOD)
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 0
        assert waiting_count(session, period.id) == 2
        content = live_council_content(session, PERIOD)
    assert content.headline["reported"] == 0
    assert "2 Meldungen warten auf die Freigabe durch die Departemente und zählen noch nicht." in content.summary

    ids = waiting_ids(cycle)
    with transaction(cycle) as session:
        assert release(session, [ids["M-1.1.01"]], actor=STK_HEAD) == 1
    # Released: M-1.1.01's 40 % counts (the only report of goal 1.1), reported by Kim.
    assert goal_progress(cycle) == pytest.approx(40.0)
    with transaction(cycle) as session:
        period = resolve_period(session, PERIOD)
        measure_id = session.scalar(select(Submission.measure_id).where(Submission.id == ids["M-1.1.01"]))
        report = current_report(session, measure_id, period.id)
        assert (report.progress, report.reported_by) == (40, "Kim Koordination")
        structure = load_snapshot(session, with_measures=False)
        sql = period_figures(session, structure, PERIOD, as_of=period.reference_day)
        content = live_council_content(session, PERIOD)
    assert dict(zip(sql.goals["goal_code"], sql.goals["progress"]))["1.1"] == pytest.approx(40.0)
    assert content.headline["reported"] == 1
    assert "1 Meldung wartet auf die Freigabe durch das Departement und zählt noch nicht." in content.summary

    # Returned with a comment: still nothing of M-1.1.02 counts; Kim sees it again.
    with transaction(cycle) as session:
        assert return_submissions(session, [ids["M-1.1.02"]], "Bitte 80 % belegen.", actor=FD_HEAD) == 1
    assert goal_progress(cycle) == pytest.approx(40.0)
    with transaction(cycle) as session:
        period = resolve_period(session, PERIOD)
        tasks = tasks_for(session, KIM, period, owing_reports(session, session.get(ReportingPeriod, period.id)))
        assert waiting_count(session, period.id) == 0
        content = live_council_content(session, PERIOD)
    assert list(tasks.returned["code"]) == ["M-1.1.02"]
    assert list(tasks.returned["review_comment"]) == ["Bitte 80 % belegen."]
    assert list(tasks.owed["code"]) == ["M-1.1.02"]
    assert not any("warten" in line or "wartet" in line for line in content.summary)

    # Reported again and released: (40 + 70) / 2 = 55 %.
    submit(cycle, [entry("M-1.1.02", 70)])
    with transaction(cycle) as session:
        release(session, [waiting_ids(cycle)["M-1.1.02"]], actor=FD_HEAD)
    assert goal_progress(cycle) == pytest.approx(55.0)
    # Every step is in the audit trail.
    with transaction(cycle) as session:
        actions = list(audit_entries(session)["Aktion"])
    assert actions.count("Freigabe") == 4  # two row changes per release: the report and the submission
    assert actions.count("Zurückgewiesen") == 1


def test_a_department_head_releases_only_the_own_departments_reports(cycle):
    submit(cycle, [entry("M-1.1.01", 40), entry("M-1.1.02", 80)])
    ids = waiting_ids(cycle)
    with pytest.raises(AccessDenied) as refused, transaction(cycle) as session:
        release(session, [ids["M-1.1.01"], ids["M-1.1.02"]], actor=STK_HEAD)
    assert refused.value.messages == [
        "Stefan Staatskanzlei gibt nur Meldungen des eigenen Departements (STK) frei; M-1.1.02 gehört zum "
        "Departement FD. Nichts wurde gespeichert."
    ]
    with transaction(cycle) as session:
        assert session.scalar(select(func.count()).select_from(StatusReport)) == 0
    assert set(waiting_ids(cycle)) == {"M-1.1.01", "M-1.1.02"}
    # The Fachstelle releases any department's.
    with transaction(cycle) as session:
        assert release(session, [ids["M-1.1.02"]], actor="fachstelle") == 1


def test_nobody_releases_their_own_upload(cycle):
    """Kim submits, then becomes head of the FD: Kim's own report stays for someone else."""
    with transaction(cycle) as session:
        create_user(session, UserSpec("kim", "Kim Koordination", "koordination", ["AF1"], []), password=None, actor="t")
    submit(cycle, [entry("M-1.1.02", 80)])
    with transaction(cycle) as session:
        update_user(session, "kim", actor="t", role="departementsleitung", home_department="FD", scope_fields=[])
        kim_now = actor_for(session.scalar(select(UserAccount).where(UserAccount.username == "kim")))
    with pytest.raises(AccessDenied) as refused, transaction(cycle) as session:
        release(session, list(waiting_ids(cycle).values()), actor=kim_now)
    assert refused.value.messages == [
        "Die Meldung zu M-1.1.02 hat Kim Koordination selbst eingereicht: eine andere Person gibt sie frei. "
        "Nichts wurde gespeichert."
    ]
    with transaction(cycle) as session:
        assert release(session, list(waiting_ids(cycle).values()), actor=FD_HEAD) == 1


def test_returning_needs_a_comment_and_a_closed_period_takes_no_release(cycle):
    submit(cycle, [entry("M-1.1.01", 40)])
    ids = list(waiting_ids(cycle).values())
    with pytest.raises(TrackingError) as refused, transaction(cycle) as session:
        return_submissions(session, ids, "  ", actor=STK_HEAD)
    assert refused.value.messages[0].startswith("Bitte begründen, warum die Meldung zurückgewiesen wird")
    with pytest.raises(TrackingError) as refused, transaction(cycle) as session:
        return_submissions(session, ids, "Bitte\x00prüfen", actor=STK_HEAD)  # PostgreSQL cannot store NUL
    assert refused.value.messages == [
        "Der Kommentar enthält unzulässige Steuerzeichen (U+0000). Erlaubt sind Text, Tabulator und "
        "Zeilenumbrüche; bitte die Zelle neu eintippen. Nichts wurde gespeichert."
    ]
    with transaction(cycle) as session:
        session.execute(update(ReportingPeriod).where(ReportingPeriod.name == PERIOD).values(is_open=False))
    with pytest.raises(TrackingError) as refused, transaction(cycle) as session:
        release(session, ids, actor=STK_HEAD)
    assert refused.value.messages == ["Die Berichtsperiode 2024-H2 ist geschlossen. Nichts wurde gespeichert."]
    assert list(waiting_ids(cycle)) == ["M-1.1.01"]


def test_a_second_upload_replaces_what_waits_and_an_equal_one_writes_nothing(cycle):
    submit(cycle, [entry("M-1.1.01", 40)])
    assert submit(cycle, [entry("M-1.1.01", 40)]).reports_submitted == 0
    assert submit(cycle, [entry("M-1.1.01", 45)]).reports_submitted == 1
    with transaction(cycle) as session:
        states = session.execute(select(Submission.progress, Submission.state).order_by(Submission.id)).all()
    assert states == [(40, "ersetzt"), (45, "eingereicht")]


def test_without_sign_off_a_coordinators_report_counts_at_once(cycle):
    with transaction(cycle) as session:
        set_sign_off(session, False)
    result = submit(cycle, [entry("M-1.1.01", 40)])
    assert (result.reports_written, result.reports_submitted) == (1, 0)
    assert goal_progress(cycle) == pytest.approx(40.0)


def test_the_fachstelles_own_entries_count_at_once(cycle):
    result = submit(cycle, [entry("M-1.1.01", 40)], actor=Actor(name="Fachstelle", role="admin"))
    assert (result.reports_written, result.reports_submitted) == (1, 0)
    assert goal_progress(cycle) == pytest.approx(40.0)
