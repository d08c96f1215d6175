"""One undo for every kind of write (tracking/undo.py): a status report file, the browser table, the catalogue.

The store holds the Lucerne strategy with three measures and one indicator
(see the fixture): M-5.1.01 reported 30 % in 2026-H2, M-5.1.02 and M-1.1.01
not reported. Every count below follows from that by hand: a file that
changes one report and adds one writes two rows, and so on.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from tests import excel_files as xf
from tests.factories import add_measure, add_report, set_sign_off
from tracking import catalogue
from tracking.access import AccessDenied, Actor
from tracking.cli import main
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, plan_entries, plan_import
from tracking.excel_template import build_template
from tracking.models import (
    Goal,
    Indicator,
    IndicatorValue,
    Measure,
    ReportingPeriod,
    StatusReport,
    Submission,
    WriteRecord,
)
from tracking.scope import Scope
from tracking.sign_off import release
from tracking.undo import UndoResult, undo

PERIOD = "2026-H2"
ADMIN = "fachstelle"  # a plain name: the command line, an administrator
KORA = Actor(name="Kora", role="koordination", fields=frozenset({"AF5"}))
COUNCIL = Actor(name="Rita", role="regierungsrat")
COUNTED_TABLES = ("status_report", "indicator_value", "measure", "indicator", "write_record", "row_change")


@pytest.fixture
def store(luzern):
    end = dt.date(2027, 12, 31)
    with transaction(luzern) as session:
        first = add_measure(session, "M-5.1.01", "5.1", end=end)
        add_measure(session, "M-5.1.02", "5.1", department="FD", end=end)
        add_measure(session, "M-1.1.01", "1.1", department="BKD", end=end)
        add_report(session, first, PERIOD, 30)
        goal = session.scalar(select(Goal).where(Goal.code == "5.1"))
        session.add(Indicator(goal_id=goal.id, name="Online-Dienstleistungen", unit="Anzahl", direction="hoeher"))
    return luzern


# --- helpers ---------------------------------------------------------------------------


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED_TABLES}


def progress(engine) -> dict[str, int]:
    """Measure code -> progress of its current 2026-H2 report."""
    with transaction(engine) as session:
        rows = session.execute(
            select(Measure.code, StatusReport.progress)
            .join(Measure, Measure.id == StatusReport.measure_id)
            .join(ReportingPeriod, ReportingPeriod.id == StatusReport.period_id)
            .where(ReportingPeriod.name == PERIOD, StatusReport.is_current.is_(True))
        ).all()
    return dict(rows)


def indicator_values(engine) -> list[float]:
    with transaction(engine) as session:
        return list(session.scalars(select(IndicatorValue.value).where(IndicatorValue.is_current.is_(True))))


def indicator_id(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(Indicator.id))


def template(engine) -> bytes:
    with transaction(engine) as session:
        return build_template(session, period=PERIOD, scope=Scope.of(field="AF5"), generated_by="test")


def import_file(engine, data: bytes, filename: str) -> int:
    with transaction(engine) as session:
        return apply_import(session, plan_import(session, data, filename), actor=ADMIN).write_id


def enter(engine, entries: list[dict], actor: Actor | str = ADMIN) -> int:
    """Reports typed into the browser table on «Statusbericht» (scope: all measures)."""
    with transaction(engine) as session:
        plan = plan_entries(
            session, entries, period=PERIOD, scope=Scope(), actor=actor if isinstance(actor, Actor) else None
        )
        return apply_import(session, plan, actor=actor).write_id


def catalogue_file(engine, code: str, title: str) -> int:
    """The exported catalogue with one measure's title changed, imported as «katalog.xlsx»."""
    with transaction(engine) as session:
        workbook = load_workbook(io.BytesIO(catalogue.export_catalogue(session, generated_by="test")))
    sheet = workbook[catalogue.MEASURE_SHEET]
    row = next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == code)
    sheet[f"C{row}"] = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    with transaction(engine) as session:
        plan = catalogue.plan_catalogue(session, buffer.getvalue(), "katalog.xlsx")
        return catalogue.apply_catalogue(session, plan, actor=ADMIN)


def catalogue_form(engine, code: str, title: str) -> int:
    """One measure's title changed in the form on «Verwaltung»."""
    with transaction(engine) as session:
        values = catalogue.measure_entries(session)[code]
        entry = {"code": code, **values, "active": "ja"} | {"title": title}
        plan = catalogue.plan_entries(session, measures=[entry])
        return catalogue.apply_catalogue(session, plan, actor="Formularperson")


def title(engine, code: str) -> str:
    with transaction(engine) as session:
        return session.scalar(select(Measure.title).where(Measure.code == code))


def undone(engine, write_id: int, actor: Actor | str = ADMIN) -> UndoResult:
    with transaction(engine) as session:
        return undo(session, write_id, actor)


def refused(engine, write_id: int, actor: Actor | str = ADMIN, error=TrackingError) -> str:
    """The one message of a refused undo; nothing was written."""
    before = counts(engine)
    with pytest.raises(error) as info, transaction(engine) as session:
        undo(session, write_id, actor)
    assert counts(engine) == before
    [message] = info.value.messages
    return message


def written_at(engine, write_id: int) -> str:
    """The time of a write as a message shows it."""
    with transaction(engine) as session:
        return session.get(WriteRecord, write_id).at.strftime("%d.%m.%Y %H:%M")


def undo_record(engine, write_id: int) -> tuple:
    """(undone by, and that write's action and source)."""
    with transaction(engine) as session:
        undone_by = session.get(WriteRecord, write_id).undone_by_id
        record = session.get(WriteRecord, undone_by)
        return undone_by, record.action, record.source


# --- each kind through undo -----------------------------------------------------------


def test_a_status_report_file_is_undone(store):
    data = xf.fill_template(
        template(store),
        {"M-5.1.01": {"progress": 33}, "M-5.1.02": {"status": "in Umsetzung", "light": "grün", "progress": 10}},
    )
    write_id = import_file(store, data, "bericht.xlsx")
    assert progress(store) == {"M-5.1.01": 33, "M-5.1.02": 10}
    result = undone(store, write_id)
    # One report replaced (30 -> 33) and one new (M-5.1.02): two rows put back.
    undo_id, action, source = undo_record(store, write_id)
    assert result == UndoResult(write_id, "import", 2, undo_id)
    assert result.label == f"Import {write_id}"
    assert (action, source) == ("undo", f"Rückgängig: Import {write_id}")
    assert progress(store) == {"M-5.1.01": 30}


def test_an_entry_of_the_browser_table_is_undone(store):
    with transaction(store) as session:
        set_sign_off(session, False)
    write_id = enter(store, [{"code": "M-5.1.02", "status": "in Umsetzung", "light": "grün", "progress": 10}], KORA)
    assert progress(store) == {"M-5.1.01": 30, "M-5.1.02": 10}
    result = undone(store, write_id, KORA)
    assert (result.kind, result.rows, result.label) == ("entry", 1, f"Import {write_id}")
    assert progress(store) == {"M-5.1.01": 30}


def waiting(engine) -> list[str]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(Measure.code)
                .join(Submission, Submission.measure_id == Measure.id)
                .where(Submission.state == "eingereicht")
            )
        )


def test_with_sign_off_an_undo_withdraws_what_waits_and_is_refused_once_it_was_released(store):
    entry = [{"code": "M-5.1.02", "status": "in Umsetzung", "light": "grün", "progress": 10}]
    write_id = enter(store, entry, KORA)
    assert progress(store) == {"M-5.1.01": 30} and waiting(store) == ["M-5.1.02"]
    assert undone(store, write_id, KORA).rows == 1
    assert progress(store) == {"M-5.1.01": 30} and waiting(store) == []
    # Entered again and released: the import can no longer be undone.
    write_id = enter(store, entry, KORA)
    with transaction(store) as session:
        (submission_id,) = session.scalars(select(Submission.id).where(Submission.state == "eingereicht"))
        release(session, [submission_id], actor="fachstelle")
    assert progress(store) == {"M-5.1.01": 30, "M-5.1.02": 10}
    assert refused(store, write_id, KORA) == (
        f"Import {write_id} kann nicht rückgängig gemacht werden: die Meldung zu M-5.1.02 wurde bereits "
        "freigegeben oder zurückgewiesen."
    )
    assert progress(store) == {"M-5.1.01": 30, "M-5.1.02": 10}


def test_key_figures_of_a_file_are_undone(store):
    data = xf.fill_indicators(template(store), {indicator_id(store): 12})
    write_id = import_file(store, data, "kennzahl.xlsx")
    assert indicator_values(store) == [12.0]
    assert undone(store, write_id).rows == 1
    assert indicator_values(store) == []


def test_a_catalogue_import_is_undone(store):
    write_id = catalogue_file(store, "M-5.1.01", "Neuer Titel")
    assert title(store, "M-5.1.01") == "Neuer Titel"
    result = undone(store, write_id)
    undo_id, action, source = undo_record(store, write_id)
    assert result == UndoResult(write_id, "catalogue", 1, undo_id)
    assert result.label == f"Katalog-Import {write_id}"
    assert (action, source) == ("undo", f"Rückgängig: Katalog {write_id}")
    assert title(store, "M-5.1.01") == "Massnahme M-5.1.01"


# --- changed since -----------------------------------------------------------------------


def test_a_status_import_replaced_since_is_refused_until_the_later_one_is_undone(store):
    first = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 33}}), "a.xlsx")
    second = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 34}}), "b.xlsx")
    assert refused(store, first) == (
        f"Import {first} kann nicht rückgängig gemacht werden: Meldung M-5.1.01/2026-H2 wurde seither durch "
        f"Vorgang {second} (Excel «b.xlsx», fachstelle, {written_at(store, second)}) ersetzt. "
        "Zuerst die neueren Importe rückgängig machen."
    )
    assert progress(store) == {"M-5.1.01": 34}
    # Newest first: then the first one goes back to the 30 % from before it.
    assert undone(store, second).rows == 1
    assert progress(store) == {"M-5.1.01": 33}
    assert undone(store, first).rows == 1
    assert progress(store) == {"M-5.1.01": 30}


def test_a_status_import_is_refused_once_the_browser_table_replaced_its_report(store):
    first = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 33}}), "a.xlsx")
    second = enter(store, [{"code": "M-5.1.01", "status": "in Umsetzung", "light": "grün", "progress": 35}])
    assert refused(store, first) == (
        f"Import {first} kann nicht rückgängig gemacht werden: Meldung M-5.1.01/2026-H2 wurde seither durch "
        f"Vorgang {second} (Browser-Tabelle, fachstelle, {written_at(store, second)}) ersetzt. "
        "Zuerst die neueren Importe rückgängig machen."
    )
    assert progress(store) == {"M-5.1.01": 35}


def test_a_key_figure_replaced_since_is_refused(store):
    indicator = indicator_id(store)
    first = import_file(store, xf.fill_indicators(template(store), {indicator: 12}), "a.xlsx")
    second = import_file(store, xf.fill_indicators(template(store), {indicator: 13}), "b.xlsx")
    assert refused(store, first) == (
        f"Import {first} kann nicht rückgängig gemacht werden: Kennzahlwert Nr. {indicator}/2026-H2 wurde seither "
        f"durch Vorgang {second} (Excel «b.xlsx», fachstelle, {written_at(store, second)}) ersetzt. "
        "Zuerst die neueren Importe rückgängig machen."
    )
    assert indicator_values(store) == [13.0]


def test_a_later_write_of_other_rows_does_not_stop_the_undo(store):
    first = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 33}}), "a.xlsx")
    enter(store, [{"code": "M-5.1.02", "status": "geplant", "light": "grün", "progress": 0}])
    assert undone(store, first).rows == 1
    assert progress(store) == {"M-5.1.01": 30, "M-5.1.02": 0}


def test_a_catalogue_import_changed_since_is_refused(store):
    first = catalogue_file(store, "M-5.1.01", "Titel B")
    second = catalogue_form(store, "M-5.1.01", "Titel C")
    assert refused(store, first) == (
        f"Katalog-Import {first} kann nicht rückgängig gemacht werden: Massnahme M-5.1.01 wurde seither durch "
        f"Vorgang {second} (Katalog «Formular», Formularperson, {written_at(store, second)}) geändert. "
        "Zuerst die neueren Katalogänderungen rückgängig machen."
    )
    assert title(store, "M-5.1.01") == "Titel C"
    assert undone(store, second).rows == 1
    assert undone(store, first).rows == 1
    assert title(store, "M-5.1.01") == "Massnahme M-5.1.01"


# --- who may undo, and what -----------------------------------------------------------------


def test_a_coordinator_may_not_undo_reports_outside_the_scope(store):
    write_id = enter(store, [{"code": "M-1.1.01", "status": "geplant", "light": "grün", "progress": 0}])
    assert refused(store, write_id, KORA, AccessDenied) == (
        "Kora darf nur Massnahmen im eigenen Geltungsbereich (AF5) zurücksetzen. Ausserhalb: M-1.1.01. "
        "Nichts wurde gespeichert."
    )
    assert progress(store) == {"M-5.1.01": 30, "M-1.1.01": 0}


def test_roles_without_undo_are_refused(store):
    write_id = enter(store, [{"code": "M-5.1.02", "status": "geplant", "light": "grün", "progress": 0}])
    assert refused(store, write_id, COUNCIL, AccessDenied) == (
        "Rita (Regierungsrat) darf Importe nicht rückgängig machen. Nichts wurde gespeichert."
    )
    catalogue_write = catalogue_file(store, "M-5.1.01", "Neuer Titel")
    assert refused(store, catalogue_write, KORA, AccessDenied) == (
        "Kora (Koordination) darf den Massnahmenkatalog nicht ändern. Nichts wurde gespeichert."
    )


def test_a_write_is_undone_once(store):
    write_id = enter(store, [{"code": "M-5.1.02", "status": "geplant", "light": "grün", "progress": 0}])
    undo_id = undone(store, write_id).undo_id
    assert refused(store, write_id) == f"Import {write_id} wurde bereits rückgängig gemacht (Vorgang {undo_id})."
    catalogue_write = catalogue_file(store, "M-5.1.01", "Neuer Titel")
    undo_id = undone(store, catalogue_write).undo_id
    assert refused(store, catalogue_write) == (
        f"Katalog-Import {catalogue_write} wurde bereits rückgängig gemacht (Vorgang {undo_id})."
    )


def test_unknown_writes_and_writes_that_are_no_import_cannot_be_undone(store):
    assert refused(store, 9999) == "Import 9999 gibt es nicht."
    write_id = enter(store, [{"code": "M-5.1.02", "status": "geplant", "light": "grün", "progress": 0}])
    undo_id = undone(store, write_id).undo_id
    # The undo itself, and the report the fixture wrote directly, are no imports.
    assert refused(store, undo_id) == f"Import {undo_id} gibt es nicht."
    with transaction(store) as session:
        direct = session.scalar(select(WriteRecord.id).where(WriteRecord.action == "report"))
    assert refused(store, direct) == f"Import {direct} gibt es nicht."


def test_the_command_line_undoes_through_undo(store, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", store.url.render_as_string(hide_password=False))
    first = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 33}}), "a.xlsx")
    second = import_file(store, xf.fill_template(template(store), {"M-5.1.01": {"progress": 34}}), "b.xlsx")
    assert main(["--user", ADMIN, "undo", str(first)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"Fehler: Import {first} kann nicht rückgängig gemacht werden: Meldung M-5.1.01/2026-H2 ")
    assert main(["--user", ADMIN, "undo", str(second)]) == 0
    assert capsys.readouterr().out == f"Import {second} rückgängig gemacht: 1 Zeile auf den früheren Stand gesetzt.\n"
    catalogue_write = catalogue_file(store, "M-5.1.01", "Neuer Titel")
    assert main(["--user", ADMIN, "undo", str(catalogue_write)]) == 0
    assert capsys.readouterr().out == (
        f"Katalog-Import {catalogue_write} rückgängig gemacht: 1 Zeile auf den früheren Stand gesetzt.\n"
    )
