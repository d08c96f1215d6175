"""«Meine Aufgaben» as each role opens it (AppTest on the demo data), its lists checked against
the database read here directly: the measures owing a report, the submissions waiting."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.test_pages import demo_url, signed_in_app  # noqa: F401 (the fixture)
from tracking.access import Actor
from tracking.db import make_engine, transaction
from tracking.demo_cycle import DEMO_RETURN_COMMENT
from tracking.models import ActionField, Department, Goal, Measure, ReportingPeriod, StatusReport, Submission

PERIOD = "2026-H2"
KORA = Actor(name="Kora", role="koordination", fields=frozenset({"AF2"}))
FD_HEAD = Actor(name="Fiona", role="departementsleitung", home_department="FD")


def database(url):
    """Per measure of the open period: code, field, department, reported?, latest submission state."""
    with transaction(make_engine(url)) as session:
        period = session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == PERIOD))
        rows = session.execute(
            select(Measure.id, Measure.code, ActionField.code, Department.code, Measure.start_date)
            .join(Goal, Goal.id == Measure.goal_id)
            .join(ActionField, ActionField.id == Goal.field_id)
            .join(Department, Department.id == Measure.lead_department_id)
            .where(Measure.active.is_(True))
        ).all()
        reported = set(
            session.scalars(
                select(StatusReport.measure_id).where(StatusReport.period_id == period.id, StatusReport.is_current)
            )
        )
        states = dict(
            session.execute(
                select(Submission.measure_id, Submission.state).where(Submission.period_id == period.id)
            ).all()
        )
    return [
        (code, field, department, measure_id in reported, states.get(measure_id))
        for measure_id, code, field, department, start in rows
        if start <= period.end_date
    ]


def test_a_coordinator_sees_what_is_owed_waiting_and_returned(demo_url, monkeypatch):  # noqa: F811
    rows = database(demo_url)
    # The demo's ended measures owe nothing: the expected lists come from what has no report at all
    # and is not ended (checked against the page's «Noch zu melden» via the owing rule in SQL).
    waiting = sorted(c for c, f, _, _, s in rows if f == "AF2" and s == "eingereicht")
    returned = sorted(c for c, f, _, rep, s in rows if f == "AF2" and s == "zurueckgewiesen" and not rep)
    assert waiting and returned, "the demo has waiting and returned reports in AF2"
    at = signed_in_app(demo_url, monkeypatch, KORA)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Meine Aufgaben"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Wartet auf Freigabe"] == str(len(waiting))
    assert metrics["Zurückgewiesen"] == str(len(returned))
    returned_table = next(d.value for d in at.dataframe if "Kommentar der Departementsleitung" in d.value.columns)
    assert sorted(returned_table["Massnahme"]) == returned
    assert set(returned_table["Kommentar der Departementsleitung"]) == {DEMO_RETURN_COMMENT}
    owed_table = next(
        d.value for d in at.dataframe if list(d.value.columns) == ["Massnahme", "Titel", "Departement", "Aktionsfeld"]
    )
    owed = set(owed_table["Massnahme"])
    assert metrics["Noch zu melden"] == str(len(owed))
    # What is owed: AF2 only, nothing reported, nothing waiting; the returned ones are owed again.
    by_code = {c: (f, rep, s) for c, f, _, rep, s in rows}
    assert all(by_code[c][0] == "AF2" and not by_code[c][1] and by_code[c][2] != "eingereicht" for c in owed)
    assert set(returned) <= owed
    assert any(e.value.startswith("Meldeschluss in ") for e in [*at.info, *at.warning, *at.error])


def test_a_department_head_sees_the_own_departments_reports_to_release(demo_url, monkeypatch):  # noqa: F811
    rows = database(demo_url)
    expected = sorted(c for c, _, d, _, s in rows if d == "FD" and s == "eingereicht")
    at = signed_in_app(demo_url, monkeypatch, FD_HEAD)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(h.value == f"Zur Freigabe ({len(expected)})" for h in at.subheader)
    assert [b.label for b in at.button if b.label.startswith("Auswahl")] == [
        "Auswahl freigeben (0)",
        "Auswahl zurückweisen (0)",
    ]


def test_the_fachstelle_sees_the_cantons_rucklauf_with_what_waits(demo_url, monkeypatch):  # noqa: F811
    rows = database(demo_url)
    at = signed_in_app(demo_url, monkeypatch)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.dataframe if "wartet auf Freigabe" in d.value.columns)
    shown = {r["Departement"]: r["wartet auf Freigabe"] for _, r in table.iterrows()}
    expected = {}
    for _, _, department, reported, state in rows:
        expected.setdefault(department, 0)
        expected[department] += state == "eingereicht" and not reported
    assert shown == {d: n for d, n in expected.items() if d in shown} and sum(shown.values()) == sum(expected.values())
    # Sitzungsbericht of the same period: the waiting reports are named, not counted.
    at.switch_page("pages/council.py").run()
    assert any(f"{sum(expected.values())} Meldungen warten auf die Freigabe" in m.value for m in at.markdown)


@pytest.mark.parametrize("role", ["koordination", "departementsleitung", "admin"])
def test_the_tasks_page_works_without_a_deadline(demo_url, tmp_path, monkeypatch, role):  # noqa: F811
    actor = {"koordination": KORA, "departementsleitung": FD_HEAD, "admin": Actor(name="A", role="admin")}[role]
    with transaction(make_engine(demo_url)) as session:
        period = session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == PERIOD))
        deadline, period.deadline = period.deadline, None
    try:
        at = signed_in_app(demo_url, monkeypatch, actor)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert any(c.value == f"Berichtsperiode {PERIOD}: kein Meldeschluss festgelegt." for c in at.caption)
    finally:
        with transaction(make_engine(demo_url)) as session:
            session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == PERIOD)).deadline = deadline


def test_a_coordinators_aktionsfelder_page_opens_on_the_first_own_field(demo_url, monkeypatch):  # noqa: F811
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import ROOT

    monkeypatch.setenv("DATABASE_URL", demo_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    at.radio(key="demo_rolle").set_value("koordination").run()
    at.multiselect(key="demo_felder").set_value(["AF9", "AF7"]).run()
    next(b for b in at.button if b.label == "Demo starten").click().run()
    assert at.title[0].value == "Meine Aufgaben"
    at.switch_page("pages/action_fields.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.selectbox(key="feld").value == "AF7"
