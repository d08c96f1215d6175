"""Every role against every write action through the app (Streamlit AppTest).

tests/test_access.py holds the same matrix for the library; here the pages are
checked: a role that may write finds the control and it works, a role that
may not finds it missing or disabled, and a click on a disabled control
cannot happen. Two imports are in the database: one in AF5 (the demo
coordinator's scope) and one in AF1 (outside it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from pages import auth, sidebar
from pages.text import md_text
from tests import excel_files as xf
from tests.conftest import REFERENCE_DATE, copy_database_url, temp_database_url
from tracking import formatting as fmt
from tracking.access import Actor, can, can_see
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.excel_import import apply_import, plan_import
from tracking.excel_template import build_template
from tracking.models import Measure, ReportingPeriod, RowChange, StatusReport, WriteRecord
from tracking.periods import get_period
from tracking.reports import reportable_measures
from tracking.scope import Scope
from tracking.users import UserSpec, actor_for, create_user, get_user, update_user

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-H2"
ACTORS = {
    "admin": Actor(name="Test Admin", role="admin", username="admin"),
    "koordination": Actor(name="Kora", role="koordination", fields=frozenset({"AF5"})),
    "departementsleitung": Actor(name="Dora", role="departementsleitung", home_department="GSD"),
    "regierungsrat": Actor(name="Rita", role="regierungsrat"),
}


def _import_one_change(url: str, field: str) -> tuple[int, str]:
    """An admin's import that changes the progress of the field's first measure: (import id, code)."""
    engine = make_engine(url)
    with transaction(engine) as session:
        measure = reportable_measures(session, get_period(session, PERIOD), Scope("field", field))[0]
        template = build_template(session, period=PERIOD, scope=Scope("field", field), generated_by="test")
        progress = session.scalar(
            select(StatusReport.progress).where(
                StatusReport.measure_id == measure.measure_id, StatusReport.is_current.is_(True)
            )
        )
    new_progress = 37 if progress != 37 else 38
    data = xf.fill_template(
        template,
        {measure.code: {"status": "in Umsetzung", "light": "grün", "progress": new_progress, "comment": None}},
    )
    with transaction(engine) as session:
        plan = plan_import(session, data, f"{field}.xlsx")
        result = apply_import(session, plan, actor="Test Admin")
    engine.dispose()
    return result.write_id, measure.code


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    url = temp_database_url(tmp_path_factory.mktemp("writes") / "demo.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        # The admin signs in with an account; the other roles are demo roles (no account).
        create_user(session, UserSpec("admin", "Test Admin", "admin", [], []), password=None, actor="test")
    engine.dispose()
    af5 = _import_one_change(url, "AF5")
    af1 = _import_one_change(url, "AF1")
    return url, {"AF5": af5[0], "AF1": af1[0]}


@pytest.fixture
def db(base_db, tmp_path):
    """A fresh copy per test: clicks write."""
    url, imports = base_db
    return copy_database_url(url, tmp_path / "demo.sqlite"), imports


def app_as(url: str, monkeypatch, actor: Actor, page: str) -> AppTest | None:
    """The page as the role sees it, or None when the role's navigation does not offer it."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["angemeldet"] = actor
    at.run()
    try:
        at.switch_page(page).run()
    except Exception:  # AppTest refuses a page that is not in the role's navigation
        return None
    assert not at.exception, [e.value for e in at.exception]
    return at


def undo_button(at: AppTest, import_id: int):
    return next((b for b in at.button if b.key == f"undo_{import_id}"), None)


def _can_upload(at):
    return bool(at.get("file_uploader"))


def _undo_af5(imports):
    def check(at):
        button = undo_button(at, imports["AF5"])
        return button is not None and not button.disabled

    return check


def _button(label):
    def check(at):
        return any(b.label == label and not b.disabled for b in at.button)

    return check


def _user_form(at):
    return any(b.label == "Speichern" for b in at.button) and any(
        t.label.startswith("Benutzername") for t in at.text_input
    )


def _strategy_upload(at):
    return any(getattr(u, "label", "") == "Strategie-Definition (.yaml)" for u in at.get("file_uploader"))


# (write action, page, url path, is the control there and usable?)
CONTROLS = [
    ("import", "pages/status_report.py", "statusbericht", lambda imports: _can_upload),
    ("undo", "pages/status_report.py", "statusbericht", _undo_af5),
    ("periods", "pages/administration.py", "verwaltung", lambda imports: _button("Schliessen")),
    ("load_strategy", "pages/administration.py", "verwaltung", lambda imports: _strategy_upload),
    ("users", "pages/administration.py", "verwaltung", lambda imports: _user_form),
    ("catalogue", "pages/administration.py", "verwaltung", lambda imports: _button("Massnahme speichern")),
]


@pytest.mark.parametrize("role", list(ACTORS))
@pytest.mark.parametrize(("action", "page", "url", "control"), CONTROLS, ids=[c[0] for c in CONTROLS])
def test_every_role_against_every_write_in_the_app(db, monkeypatch, role, action, page, url, control):
    url_db, imports = db
    actor = ACTORS[role]
    allowed = can(actor, action) and can_see(actor, url)
    at = app_as(url_db, monkeypatch, actor, page)
    if at is None:
        assert not can_see(actor, url)
        assert not allowed
        return
    assert control(imports)(at) == allowed, f"{role} / {action}: expected {'allowed' if allowed else 'refused'}"


def test_expected_outcomes_of_the_matrix():
    """The matrix above asserts this table, written out by hand from the issue."""
    expected = {
        "admin": {"import", "undo", "periods", "load_strategy", "users", "catalogue"},
        "koordination": {"import", "undo"},
        "departementsleitung": set(),
        "regierungsrat": set(),
    }
    for role, actor in ACTORS.items():
        assert {a for a, _, url, _ in CONTROLS if can(actor, a) and can_see(actor, url)} == expected[role]


def _undone(url: str, import_id: int) -> int | None:
    with transaction(make_engine(url)) as session:
        return session.get(WriteRecord, import_id).undone_by_id


def test_coordinator_undoes_an_import_in_scope_and_not_one_outside(db, monkeypatch):
    url, imports = db
    at = app_as(url, monkeypatch, ACTORS["koordination"], "pages/status_report.py")
    outside = undo_button(at, imports["AF1"])
    assert outside.disabled
    assert outside.help == "Dieser Import betrifft Massnahmen ausserhalb Ihres Geltungsbereichs (AF5)."
    with transaction(make_engine(url)) as session:
        rows = session.scalar(select(func.count()).select_from(RowChange).where(RowChange.write_id == imports["AF5"]))
    undo_button(at, imports["AF5"]).click().run()
    assert not at.exception
    shown = "1 Zeile" if rows == 1 else f"{rows} Zeilen"  # German: one row, singular
    assert [s.value for s in at.success] == [f"Import {imports['AF5']} rückgängig gemacht ({shown})."]
    assert _undone(url, imports["AF5"]) is not None
    assert _undone(url, imports["AF1"]) is None
    with transaction(make_engine(url)) as session:
        record = session.get(WriteRecord, _undone(url, imports["AF5"]))
        assert (record.actor, record.action) == ("Kora", "undo")


def test_department_head_sees_the_imports_but_cannot_undo(db, monkeypatch):
    url, imports = db
    at = app_as(url, monkeypatch, ACTORS["departementsleitung"], "pages/status_report.py")
    for import_id in imports.values():
        button = undo_button(at, import_id)
        assert button.disabled
        assert button.help == "Nur Administration und Koordination dürfen Importe rückgängig machen."
    assert not at.get("file_uploader")


def test_admin_closes_a_period_in_the_app(db, monkeypatch):
    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    next(b for b in at.button if b.key == f"period_{PERIOD}").click().run()
    assert not at.exception
    assert any(f"Periode {PERIOD} geschlossen." in s.value for s in at.success)
    with transaction(make_engine(url)) as session:
        period = session.scalar(select(ReportingPeriod).where(ReportingPeriod.name == PERIOD))
        assert period.is_open is False
        closed = session.scalars(select(WriteRecord).where(WriteRecord.action == "close-period")).all()
        assert [(r.actor, r.actor_name, r.source) for r in closed] == [("admin", "Test Admin", "Verwaltung")]


def test_admin_adds_a_measure_in_the_catalogue_form(db, monkeypatch):
    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    form_title = next(t for t in at.text_input if t.label == "Titel")
    next(s for s in at.selectbox if s.label == "Ziel").set_value("5.1")
    form_title.input("Serviceportal für Gemeinden")
    next(s for s in at.selectbox if s.label == "Federführung").set_value("GSD")
    next(b for b in at.button if b.label == "Massnahme speichern").click().run()
    assert not at.exception
    with transaction(make_engine(url)) as session:
        codes = list(session.scalars(select(Measure.code).where(Measure.code.like("M-5.1.%")).order_by(Measure.code)))
        added = session.scalar(select(Measure).where(Measure.title == "Serviceportal für Gemeinden"))
    # The demo data numbers goal 5.1's measures from 01: the new one takes the next number.
    assert added.code == f"M-5.1.{len(codes):02d}" and added.code == codes[-1]
    assert [s.value for s in at.success] == [
        md_text(f"Katalog gespeichert (Vorgang {_last_write(url)}): neu: Massnahme {added.code}.")
    ]


def test_the_catalogue_form_makes_a_measure_public(db, monkeypatch):
    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    next(s for s in at.selectbox if s.label == "Ziel").set_value("5.1")
    next(t for t in at.text_input if t.label == "Titel").input("Öffentliches Vorhaben")
    public = next(c for c in at.checkbox if c.label == "öffentlich")
    assert public.value is False  # internal unless someone decides otherwise
    public.check()
    next(b for b in at.button if b.label == "Massnahme speichern").click().run()
    assert not at.exception
    with transaction(make_engine(url)) as session:
        added = session.scalar(select(Measure).where(Measure.title == "Öffentliches Vorhaben"))
    assert added.public is True


def test_catalogue_form_names_the_field_that_is_wrong(db, monkeypatch):
    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    next(b for b in at.button if b.label == "Massnahme speichern").click().run()  # no title
    assert not at.exception
    assert [e.value for e in at.error] == [md_text("Titel: Titel fehlt.")]


def _last_write(url: str) -> int:
    with transaction(make_engine(url)) as session:
        return session.scalar(select(func.max(WriteRecord.id)))


def test_with_many_measures_the_catalogue_form_asks_for_the_goal_first(db, monkeypatch):
    url, _ = db
    monkeypatch.setattr(sidebar, "MEASURE_CHOICES_LIMIT", 5)  # the demo data holds more than five
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    goal = next(s for s in at.selectbox if s.label == "Ziel der Massnahme")
    goal.set_value("5.1").run()
    assert not at.exception
    with transaction(make_engine(url)) as session:
        of_goal = list(session.scalars(select(Measure.code).where(Measure.code.like("M-5.1.%")).order_by(Measure.code)))
    choice = next(s for s in at.selectbox if s.label == "Massnahme")
    assert choice.options[1:] == [f"{code} {title}" for code, title in _titles(url, of_goal)]
    # A new measure starts in the chosen goal.
    assert next(s for s in at.selectbox if s.label == "Ziel").value == "5.1"
    choice.set_value(of_goal[0]).run()
    assert next(t for t in at.text_input if t.label == "Titel").value == _titles(url, of_goal[:1])[0][1]


def _titles(url: str, codes: list[str]) -> list[tuple[str, str]]:
    with transaction(make_engine(url)) as session:
        titles = dict(session.execute(select(Measure.code, Measure.title).where(Measure.code.in_(codes))).all())
    return [(code, titles[code]) for code in codes]


# --- the account is read afresh on every run and before every write ------------------

KIM = "kim"


@pytest.fixture
def kim(db):
    """An AF5 coordinator with an account, signed in as the sign-in page signs in."""
    url, imports = db
    with transaction(make_engine(url)) as session:
        create_user(
            session, UserSpec(KIM, "Kim Koordination", "koordination", ["AF5"], []), password=None, actor="test"
        )
        actor = actor_for(get_user(session, KIM))
    return url, imports, actor


def _change_kim(url: str, **changes) -> None:
    with transaction(make_engine(url)) as session:
        update_user(session, KIM, actor="Test Admin", source="test", **changes)


def _counts(url: str) -> tuple[int, int]:
    with transaction(make_engine(url)) as session:
        return (
            session.scalar(select(func.count()).select_from(WriteRecord).where(WriteRecord.action == "import")),
            session.scalar(select(func.count()).select_from(StatusReport)),
        )


def _signed_out_notice(at: AppTest) -> str:
    assert at.title[0].value == "Anmelden"
    return " ".join(w.value for w in at.warning if "abgemeldet" in w.value)


def test_a_disabled_account_is_signed_out_on_the_next_click(kim, monkeypatch, capsys):
    from tracking.cli import main

    url, imports, actor = kim
    at = app_as(url, monkeypatch, actor, "pages/status_report.py")
    assert _can_upload(at)
    assert main(["users", "disable", KIM]) == 0  # DATABASE_URL is the app's (app_as)
    capsys.readouterr()
    undo_button(at, imports["AF5"]).click().run()
    assert not at.exception
    assert _signed_out_notice(at) == "Das Benutzerkonto «kim» ist nicht mehr aktiv. Sie wurden abgemeldet."
    assert "angemeldet" not in at.session_state
    assert _undone(url, imports["AF5"]) is None


def _entry_plan(at: AppTest, url: str, actor: Actor) -> str:
    """A checked status entry for an AF5 measure, as «Eingaben prüfen» leaves it; the save button's key."""
    from tracking.excel_import import plan_entries

    period = next(s for s in at.sidebar.selectbox if s.label == "Berichtsperiode").value
    scope = Scope("field", "AF5")
    with transaction(make_engine(url)) as session:
        code = reportable_measures(session, get_period(session, period), scope)[0].code
        plan = plan_entries(
            session,
            [{"code": code, "status": "in Umsetzung", "light": "grün", "progress": "61"}],
            period=period,
            scope=scope,
            actor=actor,
        )
    assert plan.has_changes
    key = f"entry_plan:{period}:{scope}"
    at.session_state[key] = plan
    at.run()
    return f"save_{key}"


def _change_after_the_run_check(monkeypatch, url: str, **changes) -> None:
    """The account changes in the moment between the run's check and the write (another admin at work)."""
    real = auth.signed_in

    def signed_in_then_changed():
        actor = real()
        _change_kim(url, **changes)
        monkeypatch.setattr(auth, "signed_in", real)
        return actor

    monkeypatch.setattr(auth, "signed_in", signed_in_then_changed)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"active": False}, None),
        (
            {"role": "departementsleitung", "home_department": "GSD"},
            "Nicht gespeichert: Kim Koordination (Departementsleitung) darf Statusberichte nicht hochladen. "
            "Nichts wurde gespeichert.",
        ),
        (
            {"scope_fields": ["AF1"]},
            "Nicht gespeichert: Kim Koordination darf nur Massnahmen im eigenen Geltungsbereich (AF1) melden.",
        ),
    ],
    ids=["disabled", "role", "scope"],
)
def test_a_write_checks_the_account_afresh(kim, monkeypatch, changes, message):
    url, _, actor = kim
    at = app_as(url, monkeypatch, actor, "pages/status_report.py")
    save = _entry_plan(at, url, actor)
    before = _counts(url)
    _change_after_the_run_check(monkeypatch, url, **changes)
    next(b for b in at.button if b.key == save).click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert _counts(url) == before  # nothing written
    if message is None:
        assert _signed_out_notice(at) == (
            "Das Benutzerkonto «kim» ist nicht mehr aktiv. Nichts wurde gespeichert. Sie wurden abgemeldet."
        )
    else:
        assert next(e.value for e in at.error).startswith(message)


def test_a_new_role_applies_on_the_next_run(kim, monkeypatch):
    url, imports, actor = kim
    at = app_as(url, monkeypatch, actor, "pages/status_report.py")
    assert _can_upload(at) and not undo_button(at, imports["AF5"]).disabled
    _change_kim(url, role="departementsleitung", home_department="GSD")
    at.run()
    assert not at.exception
    assert at.title[0].value == "Statusbericht"
    assert not _can_upload(at)
    assert undo_button(at, imports["AF5"]).disabled
    assert any("Departementsleitung" in m.value for m in at.sidebar.markdown)


def test_a_new_scope_applies_on_the_next_run(kim, monkeypatch):
    url, imports, actor = kim
    at = app_as(url, monkeypatch, actor, "pages/status_report.py")
    assert not undo_button(at, imports["AF5"]).disabled and undo_button(at, imports["AF1"]).disabled
    _change_kim(url, scope_fields=["AF1"], display_name="Kim Muster")
    at.run()
    assert not at.exception
    assert undo_button(at, imports["AF5"]).disabled and not undo_button(at, imports["AF1"]).disabled
    assert any(c.value == "Geltungsbereich: AF1" for c in at.sidebar.caption)
    assert any("Kim Muster" in m.value for m in at.sidebar.markdown)
    undo_button(at, imports["AF1"]).click().run()
    assert not at.exception
    assert _undone(url, imports["AF1"]) is not None


def test_a_demo_role_ends_with_the_demo_data(db, monkeypatch):
    from tracking.models import Measure

    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["koordination"], "pages/status_report.py")
    assert _can_upload(at)
    with transaction(make_engine(url)) as session:
        session.execute(Measure.__table__.update().values(is_demo=False))
        session.add(WriteRecord(actor="test", source="test", action="demo"))  # a write: the app drops its caches
    at.run()
    assert _signed_out_notice(at) == (
        "Die Demodaten sind nicht mehr geladen: die Demo-Anmeldung ist beendet. Sie wurden abgemeldet."
    )


def test_pages_write_only_through_the_one_write_helper():
    """No page opens a write transaction of its own: every data write goes through auth.write(),
    which reads the actor afresh; the raw write transaction serves only the sign-ins."""
    for path in [*(ROOT / "pages").glob("*.py"), ROOT / "dashboard.py"]:
        text = path.read_text(encoding="utf-8")
        assert text.count("), write=True)") == {"data.py": 1}.get(path.name, 0), path.name
        # auth.write(), the single sign-on and the sign-in cookie's session (start, resume, end) in
        # auth.py, the password sign-in in sign_in.py.
        assert text.count("data.write_transaction()") == {"auth.py": 5, "sign_in.py": 1}.get(path.name, 0), path.name


def test_catalogue_undo_in_the_app_is_refused_after_a_later_form_change(db, monkeypatch):
    url, _ = db
    at = app_as(url, monkeypatch, ACTORS["admin"], "pages/administration.py")
    with transaction(make_engine(url)) as session:
        code, title = session.execute(select(Measure.code, Measure.title).order_by(Measure.code).limit(1)).one()
    for new_title in (f"{title} B", f"{title} C"):
        next(s for s in at.selectbox if s.label == "Massnahme").set_value(code).run()
        next(t for t in at.text_input if t.label == "Titel").input(new_title)
        next(b for b in at.button if b.label == "Massnahme speichern").click().run()
        assert not at.exception
    second = _last_write(url)
    first = second - 1
    next(b for b in at.button if b.key == f"katalog_undo_{first}").click().run()
    assert [e.value for e in at.error] == [
        md_text(
            f"Katalog-Import {first} kann nicht rückgängig gemacht werden: Massnahme {code} wurde seither durch "
            f"Vorgang {second} (Katalog «Formular», admin (Test Admin), {_write_time(url, second)}) geändert. "
            "Zuerst die neueren Katalogänderungen rückgängig machen."
        )
    ]
    assert _titles(url, [code]) == [(code, f"{title} C")]


def _write_time(url: str, write_id: int) -> str:
    with transaction(make_engine(url)) as session:
        return fmt.datetime(session.get(WriteRecord, write_id).at)
