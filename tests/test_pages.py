"""Every dashboard page renders (Streamlit AppTest) and reacts to its controls."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from pages import PAGES
from tests.conftest import REFERENCE_DATE, temp_database_url
from tracking import formatting as fmt
from tracking.access import Actor
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.excel_import import apply_import, plan_entries
from tracking.periods import get_period
from tracking.reports import current_reports, reportable_measures
from tracking.rollup import department_summary, headline, measure_status, rollup
from tracking.scope import Scope
from tracking.snapshot import load_snapshot
from tracking.vocab import LIGHTS, STATUSES

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "demo.sqlite"
    url = temp_database_url(path)
    init_database(make_engine(url), actor="test", demo=True, today=REFERENCE_DATE)
    return url


ADMIN = Actor(name="Test Admin", role="admin")


def signed_in_app(url, monkeypatch, actor=ADMIN) -> AppTest:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["angemeldet"] = actor
    return at


@pytest.fixture
def app(demo_url, monkeypatch):
    return signed_in_app(demo_url, monkeypatch)


def test_every_page_file_is_registered():
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    helpers = {f"pages/{name}.py" for name in ("__init__", "auth", "data", "sidebar", "sign_in", "text", "widgets")}
    assert files - helpers == {path for path, *_ in PAGES}


@pytest.mark.parametrize(("path", "title"), [(p, t) for p, t, *_ in PAGES])
def test_page_renders_without_error(app, path, title):
    app.run()
    app.switch_page(path)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == title
    assert any("Demodaten" in w.value for w in app.warning)


def _metric(app, label):
    return next(m.value for m in app.metric if m.label == label)


def test_changing_the_period_changes_the_figures(app, demo_url):
    app.run()
    app.switch_page("pages/overview.py").run()
    assert app.sidebar.selectbox[0].label == "Berichtsperiode"
    with transaction(make_engine(demo_url)) as session:
        snap = load_snapshot(session)
    expected = {p: headline(rollup(snap, p))["measures"] for p in ("2024-H1", "2026-H1")}
    assert expected["2024-H1"] != expected["2026-H1"]  # the check below can tell them apart

    app.sidebar.selectbox[0].select("2024-H1").run()
    assert not app.exception
    assert any(c.value.startswith("Berichtsperiode **2024-H1**") for c in app.caption)
    assert _metric(app, "Massnahmen") == fmt.number(expected["2024-H1"])
    app.sidebar.selectbox[0].select("2026-H1").run()
    assert _metric(app, "Massnahmen") == fmt.number(expected["2026-H1"])


@pytest.mark.parametrize("page", ["pages/overview.py", "pages/council.py"])
def test_a_page_shows_a_write_made_outside_this_app_process(tmp_path, monkeypatch, page):
    """An upload through another app instance or the CLI (this process's caches never hear of it)
    shows on the next page run, not only when the cached figures expire: on the overview (cached
    data) and the Sitzungsbericht (one shared cached copy, keyed by the newest write)."""
    # A database of its own (the module's is open in this process's app engine: no copy on PostgreSQL).
    url = temp_database_url(tmp_path / "written.sqlite")
    init_database(make_engine(url), actor="test", demo=True, today=REFERENCE_DATE)
    app = signed_in_app(url, monkeypatch)
    app.run()
    app.switch_page(page).run()
    period = "2026-H2"  # open on the demo's reference date: the pages' default
    assert any(f"Berichtsperiode **{period}**" in c.value for c in app.caption)
    engine = make_engine(url)
    with transaction(engine) as session:
        before = headline(rollup(load_snapshot(session), period, as_of=REFERENCE_DATE))
        owing = reportable_measures(session, get_period(session, period))
        reported = current_reports(session, get_period(session, period).id)
        code = next(m.code for m in owing if m.measure_id not in reported)
    assert _metric(app, "Rücklauf") == fmt.share(before["completeness"])

    entry = {"code": code, "status": "in Umsetzung", "light": "grün", "progress": 10}
    with transaction(engine, write=True) as session:
        plan = plan_entries(session, [entry], period=period, scope=Scope())
        apply_import(session, plan, actor="Andere Instanz")
    with transaction(engine) as session:
        after = headline(rollup(load_snapshot(session), period, as_of=REFERENCE_DATE))
    engine.dispose()
    assert after["reported"] == before["reported"] + 1
    assert fmt.share(after["completeness"]) != fmt.share(before["completeness"])  # the page can tell them apart

    app.run()
    assert not app.exception
    assert _metric(app, "Rücklauf") == fmt.share(after["completeness"])


def test_status_report_page_counts_what_the_rollup_counts(app, demo_url):
    """Template caption, entry table, Rücklauf and the list of missing reports (read in SQL)
    agree with the pandas roll-up of the whole history."""
    app.run()
    app.switch_page("pages/status_report.py")
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    with transaction(make_engine(demo_url)) as session:
        measures = measure_status(load_snapshot(session), "2026-H2")
    owing = measures[measures["owes_report"]]
    in_af1 = owing[owing["field_code"] == "AF1"]
    assert len(owing) > len(in_af1) > 0 and 0 < owing["has_report"].sum() < len(owing)

    assert any(
        c.value == f"{len(in_af1)} meldepflichtige Massnahmen in 2026-H2 (Aktionsfeld AF1)." for c in app.caption
    )
    table = app.dataframe[0].value  # the entry table: the owing measures of AF1
    assert list(table["Code"]) == sorted(in_af1["code"])
    # A measure without a report shows «–» for its choices (a dash is read back as nothing chosen).
    missing = set(in_af1.loc[~in_af1["has_report"], "code"])
    assert missing and all(
        (status, light) == ("–", "–")
        for code, status, light in zip(table["Code"], table["Status"], table["Ampel"])
        if code in missing
    )
    # Beside the empty inputs: the last report before 2026-H2, read here from the whole history.
    with transaction(make_engine(demo_url)) as session:
        snap = load_snapshot(session)
    starts = dict(zip(snap.periods["period_id"], snap.periods["start_date"]))
    names = dict(zip(snap.periods["period_id"], snap.periods["period"]))
    h2_start = snap.period_row("2026-H2")["start_date"]
    shown = dict(zip(table["Code"], table["Letzte Meldung"]))
    ticks = dict(zip(table["Code"], table["Unverändert"]))
    for code in missing:
        measure_id = int(in_af1.loc[in_af1["code"] == code, "measure_id"].iloc[0])
        earlier = snap.reports[
            (snap.reports["measure_id"] == measure_id).to_numpy()
            & np.array([starts[p] < h2_start for p in snap.reports["period_id"]], dtype=bool)
        ]
        if earlier.empty:
            assert shown[code] == "noch keine Meldung"
        else:
            last = earlier.loc[max(earlier.index, key=lambda i: starts[earlier.at[i, "period_id"]])]
            expected = f"{names[last['period_id']]}: {STATUSES[last['status']]}, {LIGHTS[last['light']]}, "
            expected += f"{int(last['progress'])} %"
            expected += f" – {last['comment']}" if isinstance(last["comment"], str) else ""
            assert shown[code] == expected
        assert not ticks[code]
    reported = int(owing["has_report"].sum())
    share = fmt.share(reported / len(owing))
    texts = [p.proto.text for p in app.get("progress")]
    assert f"{reported} von {len(owing)} Meldungen eingegangen ({share})" in texts
    assert any(e.label == f"Fehlende Meldungen ({len(owing) - reported}) – zum Nachfragen" for e in app.expander)


def test_status_report_entry_table_gives_way_to_the_template_beyond_its_limit(app, demo_url, monkeypatch):
    """More measures in scope than the browser table takes: the page says so, with the count and
    the way on (the Excel template, or a narrower scope), instead of sending them all."""
    from pages import widgets

    with transaction(make_engine(demo_url)) as session:
        measures = measure_status(load_snapshot(session), "2026-H2")
    in_af1 = int((measures["owes_report"] & (measures["field_code"] == "AF1")).sum())
    monkeypatch.setattr(widgets, "ENTRY_ROWS_LIMIT", in_af1 - 1)
    app.run()
    app.switch_page("pages/status_report.py").run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [d for d in app.get("arrow_data_frame") if "Fortschritt %" in d.value.columns]
    assert [i.value for i in app.info if "meldepflichtig" in i.value] == [
        f"{in_af1} meldepflichtige Massnahmen (Aktionsfeld AF1): zu viele für die Tabelle im Browser "
        f"(höchstens {in_af1 - 1}). Bitte die Excel-Vorlage verwenden (Schritte 1 und 2)."
    ]
    app.radio(key="vorlage_art").set_value("Alle Massnahmen").run()
    assert next(i.value for i in app.info if "meldepflichtig" in i.value).endswith(
        "Bitte die Excel-Vorlage verwenden (Schritte 1 und 2) oder in Schritt 1 ein Aktionsfeld oder "
        "Departement wählen."
    )
    # The limit itself still shows the table.
    monkeypatch.setattr(widgets, "ENTRY_ROWS_LIMIT", in_af1)
    app.radio(key="vorlage_art").set_value("Aktionsfeld").run()
    assert (
        not [i for i in app.info if "meldepflichtig" in i.value] and "Fortschritt %" in app.dataframe[0].value.columns
    )


def _whole(url):
    """The snapshot of everything and its roll-up of the open period: what the pages must show."""
    with transaction(make_engine(url)) as session:
        snap = load_snapshot(session)
    return snap, rollup(snap, "2026-H2", as_of=REFERENCE_DATE)


def _plotly_values(values) -> list[float]:
    """A plotly trace's numbers from its JSON: a list, or a typed array (base64 with dtype)."""
    if isinstance(values, dict):
        return [float(v) for v in np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])]
    return [float("nan") if v is None else float(v) for v in values]


def _open_with_choice(app, path: str, key: str, value: str) -> None:
    """Open the page and pick the value in its sidebar choice."""
    app.run()
    app.switch_page(path).run()
    app.sidebar.selectbox(key=key).select(value).run()
    assert not app.exception, [e.value for e in app.exception]


def test_field_and_department_pages_show_the_figures_of_the_whole(app, demo_url):
    """Both pages read only their field's or department's measures: their figures are still
    those of the roll-up over everything."""
    snap, whole = _whole(demo_url)
    _open_with_choice(app, "pages/action_fields.py", "feld", "AF5")
    field = whole.fields.set_index("field_code").loc["AF5"]
    in_field = whole.measures[whole.measures["field_code"] == "AF5"]
    assert _metric(app, "Fortschritt") == fmt.percent(field["progress"])
    assert _metric(app, "Massnahmen") == fmt.number(len(in_field))
    assert _metric(app, "Hinter Plan") == fmt.number(int(in_field["behind_plan"].sum()))
    # The goals' trend (in SQL) ends at each goal's progress in the roll-up over everything.
    goals = whole.goals[whole.goals["field_id"] == field["field_id"]]
    figures = [json.loads(c.proto.spec)["data"] for c in app.get("plotly_chart")]
    traces = next({t["name"]: t for t in f} for f in figures if {t["name"] for t in f} == set(goals["goal_code"]))
    for code, progress in zip(goals["goal_code"], goals["progress"]):
        last = _plotly_values(traces[code]["y"])[-1]
        assert (math.isnan(last) and math.isnan(progress)) or last == pytest.approx(progress)

    _open_with_choice(app, "pages/departments.py", "departement", "GSD")
    own = department_summary(whole.measures, snap.departments).set_index("department_code").loc["GSD"]
    assert _metric(app, "Massnahmen") == fmt.number(int(own["measures"]))
    assert _metric(app, "Fortschritt") == fmt.percent(own["progress"])
    assert _metric(app, "Rücklauf") == fmt.share(own["completeness"])


def test_core_goal_page_shows_the_rollup_figures(app, demo_url):
    """The page reads per-goal figures in SQL; they are those of the roll-up over every measure."""
    snap, whole = _whole(demo_url)
    _open_with_choice(app, "pages/core_goals.py", "kernziel", "K3")
    core = whole.core_goals.set_index("core_code").loc["K3"]
    assert _metric(app, "Fortschritt K3") == fmt.percent(core["progress"])
    contributions = snap.contributions[
        (snap.contributions["core_goal_id"] == core["core_goal_id"]) & (snap.contributions["weight"] > 0)
    ]
    serving = whole.goals[whole.goals["goal_id"].isin(contributions["goal_id"])]
    html = next(e.proto.body for e in app.get("html") if "data-table" in e.proto.body)
    shown = {
        re.findall(r"<td[^>]*>(.*?)</td>", row)[1]: re.search(r'<span class="value">([^<]+)</span>', row).group(1)
        for row in re.findall(r"<tr>(<td.*?)</tr>", html)
    }
    assert len(serving) > 1 and _metric(app, "Ziele mit Beitrag") == fmt.number(len(serving))
    # The number beside each goal's bar reads as the rule rounds.
    assert shown == {code: fmt.percent(p) for code, p in zip(serving["goal_code"], serving["progress"])}


def test_empty_database_says_what_to_do(tmp_path, monkeypatch):
    url = temp_database_url(tmp_path / "empty.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "python -m tracking init" in at.error[0].value


def _count_measures(url, period_end, field=None):
    """Active measures started by the period's end, counted in SQL (independent of the roll-ups)."""
    from sqlalchemy import func, select

    from tracking.models import ActionField, Goal, Measure

    query = (
        select(func.count())
        .select_from(Measure)
        .join(Goal, Goal.id == Measure.goal_id)
        .join(ActionField, ActionField.id == Goal.field_id)
        .where(Measure.active.is_(True), Measure.start_date <= period_end)
    )
    if field:
        query = query.where(ActionField.code == field)
    with transaction(make_engine(url)) as session:
        return session.scalar(query)


def test_a_filter_narrows_the_measures_table(app, demo_url):
    import datetime as dt

    app.run()
    app.switch_page("pages/measures.py").run()
    assert not app.exception
    table = app.dataframe[0].value
    end = dt.date(2026, 12, 31)
    assert len(table) == _count_measures(demo_url, end)
    field_filter = next(m for m in app.multiselect if m.label == "Aktionsfeld")
    field_filter.select("AF5").run()
    narrowed = app.dataframe[0].value
    assert len(narrowed) == _count_measures(demo_url, end, field="AF5")
    assert 0 < len(narrowed) < len(table)
    assert set(narrowed["Feld"]) == {"AF5"}
    search = next(t for t in app.text_input if t.label.startswith("Suche"))
    code = narrowed["Code"].iloc[0]
    search.input(code).run()
    assert list(app.dataframe[0].value["Code"]) == [code]


def test_a_long_measures_list_shows_its_first_rows_and_gives_the_whole_as_excel(app, demo_url, monkeypatch):
    import datetime as dt
    import io

    from python_calamine import CalamineWorkbook

    from pages import widgets
    from tracking.measures import MeasureFilter, filter_measures
    from tracking.tables import measure_display
    from tracking.xlsx import tables_workbook

    monkeypatch.setattr(widgets, "MEASURE_ROWS_LIMIT", 7)
    app.run()
    app.switch_page("pages/measures.py").run()
    assert not app.exception
    total = _count_measures(demo_url, dt.date(2026, 12, 31))
    table = app.dataframe[0].value
    assert len(table) == 7 and list(table["Code"]) == sorted(table["Code"])
    assert any(f"die ersten 7 von {total} Massnahmen" in c.value for c in app.caption)
    # The download holds every measure the filters let through, not only the rows shown.
    with transaction(make_engine(demo_url)) as session:
        measures = rollup(load_snapshot(session), "2026-H2").measures
    shown = filter_measures(measures, MeasureFilter())
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(tables_workbook({"Massnahmen": measure_display(shown)})))
    rows = sheet.get_sheet_by_name("Massnahmen").to_python()
    assert len(rows) == total + 1 and rows[0][0] == "Code"
    assert [r[0] for r in rows[1:8]] == list(table["Code"])


@pytest.mark.parametrize(
    ("path", "choice", "value", "key"),
    [
        ("pages/departments.py", "departement", "FD", "dep_all_measures"),
        ("pages/action_fields.py", "feld", "AF5", "field_measures"),
    ],
)
def test_long_measure_tables_of_a_department_or_field_are_cut_with_the_whole_as_excel(
    app, demo_url, monkeypatch, path, choice, value, key
):
    from pages import widgets

    scope = Scope("department" if choice == "departement" else "field", value)
    with transaction(make_engine(demo_url)) as session:
        measures = scope.filter(rollup(load_snapshot(session), "2026-H2", as_of=REFERENCE_DATE).measures)
    monkeypatch.setattr(widgets, "MEASURE_ROWS_LIMIT", 3)
    _open_with_choice(app, path, choice, value)
    assert len(measures) > 3
    assert any(
        c.value.startswith(f"Die Tabelle zeigt die ersten 3 von {len(measures)} Massnahmen") for c in app.caption
    )
    shown = [d.value for d in app.dataframe if "Code" in d.value.columns and len(d.value) == 3]
    assert shown and list(shown[-1]["Code"]) == sorted(measures["code"])[:3]
    assert app.get("download_button")  # the whole list
    monkeypatch.setattr(widgets, "MEASURE_ROWS_LIMIT", len(measures))
    app.run()
    assert not any(c.value.startswith("Die Tabelle zeigt die ersten") for c in app.caption)
    assert not app.get("download_button")


def test_measure_detail_shows_its_history(app):
    app.run()
    app.switch_page("pages/measures.py").run()
    picker = next(s for s in app.sidebar.selectbox if s.label == "Massnahme im Detail")
    picker.select("M-5.1.01").run()
    assert not app.exception
    assert any(s.value.startswith("M-5.1.01 ") for s in app.subheader)
    periods = list(app.dataframe[1].value["Periode"])
    assert periods == sorted(periods, reverse=True)  # newest first


def test_beyond_the_choice_limit_the_measure_is_typed_and_an_unknown_code_is_named(app, monkeypatch):
    """At country scale the sidebar takes a typed code instead of a list of every measure."""
    from pages import sidebar

    monkeypatch.setattr(sidebar, "MEASURE_CHOICES_LIMIT", 10)
    app.run()
    app.switch_page("pages/measures.py").run()
    assert not [s for s in app.sidebar.selectbox if s.label == "Massnahme im Detail"]
    typed = next(t for t in app.sidebar.text_input if t.label == "Massnahme im Detail")
    typed.input(" m-5.1.01 ").run()  # as typed: spaces and lower case
    assert not app.exception
    assert any(s.value.startswith("M-5.1.01 ") for s in app.subheader)
    typed.input("M-9.9.99").run()
    assert [w.value for w in app.warning if "M-9.9.99" in w.value] == [
        "Eine Massnahme mit dem Code «M-9.9.99» gibt es nicht."
    ]
    assert not any(s.value.startswith("M-") for s in app.subheader)


@pytest.fixture(scope="module")
def bare_url(tmp_path_factory):
    """The strategy without any measure or report: what a new installation shows."""
    url = temp_database_url(tmp_path_factory.mktemp("bare") / "bare.sqlite")
    init_database(make_engine(url), actor="test", demo=False, today=REFERENCE_DATE)
    add_admin_account(url)
    return url


# Without demo data only an account signs in (a demo role ends with the demo data).
ACCOUNT_ADMIN = Actor(name="Test Admin", role="admin", username="admin")


def add_admin_account(url: str) -> None:
    from tracking.users import UserSpec, create_user

    with transaction(make_engine(url)) as session:
        create_user(session, UserSpec("admin", "Test Admin", "admin", [], []), password=None, actor="test")


@pytest.mark.parametrize(("path", "title"), [(p, t) for p, t, *_ in PAGES])
def test_every_page_works_without_measures(bare_url, monkeypatch, path, title):
    at = signed_in_app(bare_url, monkeypatch, ACCOUNT_ADMIN)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title
    assert not any("Demodaten" in w.value for w in at.warning)
    # Each page says what to do instead of showing empty charts.
    texts = [i.value for i in at.info] + [c.value for c in at.caption]
    assert texts, "an empty page explains itself"


def test_council_presentation_moves_through_the_sections(app):
    app.run()
    app.switch_page("pages/council.py").run()
    assert not app.exception
    headers = [s.value for s in app.subheader]
    assert headers == [
        "Auf einen Blick: 2026-H2",
        "Was braucht Aufmerksamkeit?",
        "Aktionsfelder im Überblick",
        "Aktionsfelder × Kernziele",
        "Die Aktionsfelder im Einzelnen",
    ]
    next(b for b in app.button if b.label == "Präsentation starten").click().run()
    assert [s.value for s in app.subheader] == ["Auf einen Blick: 2026-H2"]
    assert not app.title, "the presentation leaves the page's title out"
    forward = next(b for b in app.button if b.label == "Weiter")
    assert forward.proto.shortcut == "right"  # the arrow key moves on, too (as Streamlit spells it)
    forward.click().run()
    assert [s.value for s in app.subheader] == ["Was braucht Aufmerksamkeit?"]
    # Four sections, then each of the nine fields on a screen of its own.
    assert any(m.value.startswith("**2 / 13**") for m in app.markdown)
    for _ in range(11):
        next(b for b in app.button if b.label == "Weiter").click().run()
    assert any(m.value.startswith("**13 / 13**") and "AF9" in m.value for m in app.markdown)
    assert next(b for b in app.button if b.label == "Weiter").disabled
    next(b for b in app.button if b.label == "Beenden").click().run()
    assert app.title[0].value == "Sitzungsbericht" and len(app.subheader) == 5


ROLE_ACTORS = {
    "admin": ADMIN,
    "koordination": Actor(name="Kora", role="koordination", fields=frozenset({"AF5"})),
    "departementsleitung": Actor(name="Dora", role="departementsleitung", home_department="GSD"),
    "regierungsrat": Actor(name="Rita", role="regierungsrat"),
}


@pytest.mark.parametrize("role", list(ROLE_ACTORS))
@pytest.mark.parametrize(("path", "title", "url"), [(p, t, u) for p, t, _, u, _ in PAGES])
def test_role_sees_exactly_its_pages(demo_url, monkeypatch, role, path, title, url):
    from tracking.access import can_see

    at = signed_in_app(demo_url, monkeypatch, ROLE_ACTORS[role])
    at.run()
    try:
        at.switch_page(path).run()
    except Exception:  # AppTest refuses pages that are not in the navigation
        shown = None
    else:
        assert not at.exception, [e.value for e in at.exception]
        shown = at.title[0].value if at.title else None
    if can_see(ROLE_ACTORS[role], url):
        assert shown == title
    else:
        assert shown != title


def test_without_sign_in_the_app_asks_for_it(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == "Anmelden"
    # Demo data is loaded: a role can be picked without a password.
    at.radio(key="demo_rolle").set_value("regierungsrat").run()
    next(b for b in at.button if b.label == "Demo starten").click().run()
    # The council starts on its meeting summary.
    assert at.title[0].value == "Sitzungsbericht"
    assert any("Demo Regierungsrat" in m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize(
    ("role", "title"),
    [
        ("admin", "Meine Aufgaben"),
        ("koordination", "Meine Aufgaben"),
        ("departementsleitung", "Meine Aufgaben"),
        ("regierungsrat", "Sitzungsbericht"),
    ],
)
def test_each_role_starts_on_its_own_page(demo_url, monkeypatch, role, title):
    at = signed_in_app(demo_url, monkeypatch, ROLE_ACTORS[role])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == title


def test_the_first_administrator_hint_shows_only_on_a_fresh_installation(demo_url, bare_url, tmp_path, monkeypatch):
    """Only a database without an administrator and without demo data needs it; it names the command."""
    fresh = temp_database_url(tmp_path / "fresh.sqlite")
    init_database(make_engine(fresh), actor="test", demo=False, today=REFERENCE_DATE)
    shown = {}
    for name, url in (("fresh", fresh), ("demo", demo_url), ("with admin", bare_url)):
        monkeypatch.setenv("DATABASE_URL", url)
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.run()
        assert not at.exception and at.title[0].value == "Anmelden", name
        shown[name] = [i.value for i in at.info if "Administrationskonto" in i.value]
    assert shown["demo"] == [] and shown["with admin"] == []
    assert len(shown["fresh"]) == 1
    assert ".venv/bin/python -m tracking users add admin --role admin" in shown["fresh"][0]


def test_local_sign_in_with_wrong_and_right_password(bare_url, monkeypatch):
    from tracking.users import UserSpec, create_user, list_users

    with transaction(make_engine(bare_url)) as session:
        if "anna" not in {u.username for u in list_users(session)}:
            create_user(
                session, UserSpec("anna", "Anna Admin", "admin", [], []), password="richtig-lang-1", actor="setup"
            )
    monkeypatch.setenv("DATABASE_URL", bare_url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert at.title[0].value == "Anmelden"
    assert not any(b.label == "Demo starten" for b in at.button), "no demo sign-in without demo data"
    at.text_input[0].input("anna")
    at.text_input[1].input("falsch")
    at.button[0].click().run()
    assert at.error[0].value == "Benutzername oder Passwort ist falsch."
    assert at.title[0].value == "Anmelden"
    at.text_input[0].input("anna")
    at.text_input[1].input("richtig-lang-1")
    at.button[0].click().run()
    assert at.title[0].value == "Meine Aufgaben"
    assert any("Anna Admin" in m.value for m in at.sidebar.markdown)


def test_session_ends_after_inactivity(demo_url, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("TRACKING_SESSION_MINUTES", "30")
    at = signed_in_app(demo_url, monkeypatch)
    at.session_state["zuletzt_aktiv"] = dt.datetime.now() - dt.timedelta(minutes=31)
    at.run()
    assert at.title[0].value == "Anmelden"
    assert "abgelaufen" in at.info[0].value


def test_admin_creates_a_user_and_the_audit_trail_shows_it(tmp_path, monkeypatch):
    url = temp_database_url(tmp_path / "admin.sqlite")
    init_database(make_engine(url), actor="test", demo=False, today=REFERENCE_DATE)
    add_admin_account(url)
    at = signed_in_app(url, monkeypatch, ACCOUNT_ADMIN)
    at.run()
    at.switch_page("pages/administration.py").run()

    def field(label):
        return next(t for t in at.text_input if t.label.startswith(label))

    field("Benutzername").input("kora")
    field("Name").input("Kora Koordination")
    next(s for s in at.selectbox if s.label == "Rolle").set_value("koordination")
    next(m for m in at.multiselect if m.label.startswith("Aktionsfelder")).set_value(["AF5"])
    field("Passwort").input("ein-langes-passwort")
    next(b for b in at.button if b.label == "Speichern").click().run()
    assert not at.exception
    assert any("Benutzer «kora» gespeichert." in s.value for s in at.success)
    users = next(d.value for d in at.dataframe if "Benutzername" in d.value.columns)
    assert list(users["Benutzername"]) == ["admin", "kora"]
    assert users["Geltungsbereich"].iloc[1] == "AF5"
    audit = next(d.value for d in at.dataframe if "Vorgang" in d.value.columns)
    row = audit[audit["Zeile"] == "kora"].iloc[0]
    assert row["Person"] == "admin (Test Admin)" and row["Art"] == "neu"
    assert "argon2" not in str(row["Nachher"])  # the password hash never reaches the audit trail


def test_audit_trail_on_the_page_tells_apart_two_people_with_the_same_name(tmp_path, monkeypatch):
    """koord5 and koord6 are both «Sandra Muster»: the Protokoll shows whose write it was."""
    from tracking.users import UserSpec, actor_for, create_user, get_user

    url = temp_database_url(tmp_path / "same-name.sqlite")
    init_database(make_engine(url), actor="test", demo=False, today=REFERENCE_DATE)
    add_admin_account(url)
    with transaction(make_engine(url)) as session:
        for username in ("koord5", "koord6"):
            create_user(session, UserSpec(username, "Sandra Muster", "admin", [], []), password=None, actor="test")
        sandras = {u: actor_for(get_user(session, u)) for u in ("koord5", "koord6")}
    # koord5 closes 2026-H2, koord6 opens it again, each in the own tab.
    for username in ("koord5", "koord6"):
        at = signed_in_app(url, monkeypatch, sandras[username])
        at.run()
        at.switch_page("pages/administration.py").run()
        next(b for b in at.button if b.key == "period_2026-H2").click().run()
        assert not at.exception
    at = signed_in_app(url, monkeypatch, ACCOUNT_ADMIN)
    at.run()
    at.switch_page("pages/administration.py").run()

    def protocol():
        audit = next(d.value for d in at.dataframe if "Vorgang" in d.value.columns)
        # The period's rows (closing and opening also freeze and thaw its sums per goal).
        rows = audit[audit["Tabelle"] == "Berichtsperiode"]
        rows = zip(rows["Aktion"], rows["Person"], rows["Zeile"])
        return sorted(r for r in rows if r[0].startswith("Periode"))

    assert protocol() == [
        ("Periode geschlossen", "koord5 (Sandra Muster)", "2026-H2"),
        ("Periode geöffnet", "koord6 (Sandra Muster)", "2026-H2"),
    ]
    next(t for t in at.text_input if t.label == "Benutzername").input("koord6").run()
    assert protocol() == [("Periode geöffnet", "koord6 (Sandra Muster)", "2026-H2")]


def test_coordinator_is_refused_a_write_outside_the_page(demo_url, monkeypatch):
    """Hidden buttons are not the only guard: the library refuses the write itself."""
    from tracking.access import AccessDenied
    from tracking.frozen import set_period_open

    coordinator = ROLE_ACTORS["koordination"]
    with pytest.raises(AccessDenied), transaction(make_engine(demo_url)) as session:
        set_period_open(session, name="2026-H2", is_open=False, actor=coordinator)


@pytest.mark.parametrize(("fixture", "title"), [("demo_url", "Meine Aufgaben"), ("bare_url", "Anmelden")])
def test_demo_role_from_environment_only_with_demo_data(request, monkeypatch, fixture, title):
    monkeypatch.setenv("TRACKING_DEMO_ROLE", "admin")
    monkeypatch.setenv("DATABASE_URL", request.getfixturevalue(fixture))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert at.title[0].value == title


def _cell_styles(frame) -> dict[tuple[int, int], str]:
    """(row, column) -> the CSS a styled table gives the cell (pandas Styler, as Streamlit sends it)."""
    import re

    styles = {}
    for selectors, css in re.findall(r"([^{}]+)\{\s*([^}]*?)\s*\}", frame.proto.arrow_data.styler.styles):
        for row, col in re.findall(r"_row(\d+)_col(\d+)", selectors):
            styles[(int(row), int(col))] = css
    return styles


def test_lights_in_tables_are_tinted_in_their_colour(app):
    """A red measure stands out: in the Sitzungsbericht's attention list and a field's measures
    table every light cell carries its colour (red for rot, bold), icon and word stay."""
    # Each light's colour mixed with white, by hand: red #C62828 at 40 % (255 - (255 - 198) * 0.4 = 232
    # = E8, 255 - (255 - 40) * 0.4 = 169 = A9), orange #E69F00 at 25 %, bluish green #009E73 at 20 %.
    expected = {
        "■ rot": "background-color: #E8A9A9; font-weight: 700",
        "▲ gelb": "background-color: #F9E7BF",
        "● grün": "background-color: #CCECE3",
    }
    app.run()
    for path, table in (("pages/council.py", 0), ("pages/action_fields.py", 0)):
        app.switch_page(path).run()
        assert not app.exception, [e.value for e in app.exception]
        frame = app.dataframe[table]
        shown = frame.value.reset_index(drop=True)
        column = list(shown.columns).index("Ampel")
        styles = _cell_styles(frame)
        lights = shown["Ampel"].tolist()
        assert "■ rot" in lights or path.endswith("action_fields.py"), "the demo's attention list holds a red measure"
        for row, light in enumerate(lights):
            assert styles.get((row, column), "") == expected.get(light, ""), (path, row, light)


def test_large_tables_keep_their_lights_untinted(app, monkeypatch):
    """Beyond COLOURED_ROWS_LIMIT rows the light cells are not styled (a Styler resends the table)."""
    from pages import widgets

    app.run()
    app.switch_page("pages/action_fields.py").run()
    rows = len(app.dataframe[0].value)
    assert _cell_styles(app.dataframe[0])  # within the limit: tinted
    monkeypatch.setattr(widgets, "COLOURED_ROWS_LIMIT", rows - 1)
    app.run()
    assert not app.exception and len(app.dataframe[0].value) == rows
    assert _cell_styles(app.dataframe[0]) == {}
