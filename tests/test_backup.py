"""Export of all data to Excel and restore into an empty database."""

from __future__ import annotations

import datetime as dt
import io
import math
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import Column, Engine, Integer, MetaData, Table, func, select

from tests.conftest import REFERENCE_DATE, temp_database_url
from tests.factories import add_measure, add_report
from tracking import schema
from tracking.access import Actor
from tracking.audit import WriteLog
from tracking.backup import (
    NOT_EMPTY,
    RESTORE_SOURCE,
    UNREADABLE,
    _sheet_names,
    backup_tables,
    export_workbook,
    restore_workbook,
)
from tracking.db import make_engine, transaction
from tracking.demo import generate_demo
from tracking.errors import TrackingError
from tracking.frozen import freeze_closed
from tracking.models import Goal, Indicator, Measure, StatusReport, WriteRecord
from tracking.rollup import headline, rollup
from tracking.snapshot import load_snapshot
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file

FORMULA_TEXTS = ["=1+1", "+41 41 228 00 00", "-5", "@SUM(A1)", " =cmd", "\t=cmd", "\r\n=cmd", '=HYPERLINK("x")']
# Texts an .xlsx carries only with escapes (CR, control characters, look-alikes of the escape).
AWKWARD_TEXTS = ["Zeile 1\r\nZeile 2\rEnde", "Glocke \x07", "_x0041_ bleibt", "  Leerzeichen  ", "Zürich «Süd» 😀"]


def new_database(path) -> Engine:
    engine = make_engine(temp_database_url(path))
    schema.upgrade(engine)
    return engine


def load_luzern(engine: Engine) -> None:
    with transaction(engine) as session:
        load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)


def fill_demo(engine: Engine) -> None:
    """Demo data plus what the demo lacks: superseded reports, an undone write, awkward values."""
    load_luzern(engine)
    with transaction(engine) as session:
        generate_demo(session, reference_date=REFERENCE_DATE)
        measures = session.scalars(select(Measure).order_by(Measure.id)).all()
        # A second report in the same period supersedes the first (is_current = false).
        add_report(session, measures[0], "2026-H2", 55, light="gelb", comment=AWKWARD_TEXTS[0])
        add_report(session, measures[1], "2026-H2", 60, comment=AWKWARD_TEXTS[1], actor="Anna Muster")
        measures[2].description = "\n".join(AWKWARD_TEXTS)
        measures[2].budget_chf = Decimal("9999999999.99")
        measures[3].start_date = dt.date(1899, 12, 31)  # before Excel's first usable day
        measures[4].title = FORMULA_TEXTS[0]
        report = session.scalars(select(StatusReport).where(StatusReport.is_current.is_(True))).first()
        report.reported_at = dt.datetime(2026, 7, 1, 8, 30, 15, 123456)
        indicator = session.scalars(select(Indicator)).first()
        indicator.baseline = 0.1 + 0.2  # needs all 17 digits
        indicator.target = math.inf
        # An import and the later write that undid it (a reference to a later row).
        # Written by an account: its name and, beside it, the display name (write_record.actor_name).
        koord5 = Actor(name="Sandra Muster", role="koordination", fields=frozenset({"AF5"}), username="koord5")
        undone = WriteLog(session, actor=koord5, source="import.xlsx", action="import")
        undone.change("measure", "M-x", "insert", after={"title": "=1+1", "budget": 1.5, "list": [1, None]})
        undo = WriteLog(session, actor="test", source="import.xlsx", action="undo")
        undo.change("measure", "M-x", "retire", before={"active": True}, after={"active": False})
        undone.record.undone_by_id = undo.record.id
        # The edits above change closed periods: their stored sums follow, as after a catalogue write.
        freeze_closed(session, undo)


def normalized(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        # Excel keeps milliseconds at most; the export rounds to them.
        return value.replace(microsecond=0) + dt.timedelta(milliseconds=round(value.microsecond / 1000))
    return value


def all_rows(engine: Engine) -> dict[str, list[dict]]:
    with transaction(engine) as session:
        return {
            table.name: [
                {k: normalized(v) for k, v in row.items()}
                for row in session.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for table in backup_tables()
        }


def row_counts(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return {t.name: session.scalar(select(func.count()).select_from(t)) for t in backup_tables()}


def figures(engine: Engine) -> dict:
    with transaction(engine) as session:
        result = headline(rollup(load_snapshot(session), "2026-H2", as_of=REFERENCE_DATE))
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in result.items()}


def export(engine: Engine) -> bytes:
    with transaction(engine) as session:
        return export_workbook(session)


def restore(engine: Engine, data: bytes) -> dict[str, int]:
    with transaction(engine) as session:
        return restore_workbook(session, data, actor="Beat Admin")


def assert_same_data(source: Engine, target: Engine, counts: dict[str, int]) -> None:
    before, after = all_rows(source), all_rows(target)
    assert counts == {name: len(rows) for name, rows in before.items()}

    # The restore adds exactly one write record of its own, after the restored ones.
    known = {r["id"] for r in before["write_record"]}
    (own,) = [r for r in after["write_record"] if r["id"] not in known]
    assert own["id"] == max(known) + 1
    assert (own["action"], own["source"], own["actor"]) == ("restore", RESTORE_SOURCE, "Beat Admin")
    tables = sum(1 for n in counts.values() if n)
    assert own["summary"].startswith(f"{sum(counts.values())} Zeilen in {tables} Tabellen aus dem Export vom ")
    (change,) = [r for r in after["row_change"] if r["write_id"] == own["id"]]
    assert change["after"]["rows"] == counts
    after["write_record"].remove(own)
    after["row_change"].remove(change)

    for name, rows in before.items():
        assert after[name] == rows, name
    assert figures(target) == figures(source)


def test_round_trip_into_a_fresh_sqlite_database(engine, tmp_path):
    fill_demo(engine)
    target = new_database(tmp_path / "restored.sqlite")

    counts = restore(target, export(engine))

    assert_same_data(engine, target, counts)
    assert counts["status_report"] > counts["measure"]
    rows = all_rows(target)
    assert any(not r["is_current"] for r in rows["status_report"])
    assert any(r["undone_by_id"] for r in rows["write_record"])
    assert any((r["actor"], r["actor_name"]) == ("koord5", "Sandra Muster") for r in rows["write_record"])
    assert any(r["reported_at"] == dt.datetime(2026, 7, 1, 8, 30, 15, 123000) for r in rows["status_report"])
    target.dispose()


def test_round_trip_from_sqlite_into_the_test_database(engine, tmp_path):
    source = new_database(tmp_path / "source.sqlite")
    fill_demo(source)

    counts = restore(engine, export(source))

    assert_same_data(source, engine, counts)
    # The id sequences moved past the restored ids: new rows get fresh keys.
    with transaction(engine) as session:
        measure = session.scalars(select(Measure).order_by(Measure.id)).first()
        new_report = add_report(session, measure, "2026-H2", 99, comment="nach der Wiederherstellung")
        assert new_report.id == counts["status_report"] + 1
    source.dispose()


def test_formula_like_texts_stay_text(engine, tmp_path):
    load_luzern(engine)
    with transaction(engine) as session:
        goal = session.scalars(select(Goal).order_by(Goal.id)).first()
        for n, value in enumerate(FORMULA_TEXTS, start=1):
            measure = add_measure(session, f"M-F.{n:02d}", goal.code)
            measure.title = value
            add_report(session, measure, "2026-H2", 10, light="rot", comment=value)

    data = export(engine)

    wb = load_workbook(io.BytesIO(data))
    assert not [c.coordinate for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    for sheet, column in (("measure", "title"), ("status_report", "comment")):
        ws = wb[sheet]
        position = [c.value for c in ws[1]].index(column)
        cells = [row[position] for row in ws.iter_rows(min_row=2)]
        assert len(cells) == len(FORMULA_TEXTS)
        for cell, value in zip(cells, FORMULA_TEXTS):
            assert cell.data_type == "s", value
            assert cell.quotePrefix, value
            # openpyxl does not decode Excel's _x000D_ escape for CR; the others are verbatim.
            assert cell.value == value.replace("\r", "_x000D_")
    plain = wb["measure"]["B2"]  # the code column: ordinary text, no prefix
    assert (plain.value, plain.data_type, plain.quotePrefix) == ("M-F.01", "s", False)

    target = new_database(tmp_path / "restored.sqlite")
    restore(target, data)
    with transaction(target) as session:
        assert session.scalars(select(Measure.title).order_by(Measure.code)).all() == FORMULA_TEXTS
        assert session.scalars(select(StatusReport.comment).order_by(StatusReport.id)).all() == FORMULA_TEXTS
    target.dispose()


@pytest.fixture
def small_export(tmp_path) -> bytes:
    """An export of the Lucerne strategy, made in a separate SQLite database."""
    source = new_database(tmp_path / "source.sqlite")
    load_luzern(source)
    data = export(source)
    source.dispose()
    return data


def edited(data: bytes, edit) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def assert_refused(engine: Engine, data: bytes, messages: list[str]) -> None:
    before = all_rows(engine)
    with pytest.raises(TrackingError) as info:
        restore(engine, data)
    assert info.value.messages == messages
    assert all_rows(engine) == before


def test_restore_refuses_a_database_that_is_not_empty(engine, small_export):
    load_luzern(engine)
    assert_refused(engine, small_export, [NOT_EMPTY])
    assert NOT_EMPTY == "Die Datenbank ist nicht leer: Wiederherstellen nur in eine leere Datenbank."


def test_restore_refuses_a_missing_table_sheet(engine, small_export):
    def drop_sheet(wb):
        del wb["measure"]

    assert_refused(engine, edited(small_export, drop_sheet), ["Das Tabellenblatt «measure» fehlt."])
    assert not any(row_counts(engine).values())


def test_restore_refuses_a_renamed_column(engine, small_export):
    def rename_column(wb):
        ws = wb["goal"]
        position = [c.value for c in ws[1]].index("name")
        ws.cell(row=1, column=position + 1, value="titel")

    assert_refused(
        engine,
        edited(small_export, rename_column),
        ["Tabellenblatt «goal»: Die Spalte «name» fehlt.", "Tabellenblatt «goal»: Unbekannte Spalte «titel»."],
    )
    assert not any(row_counts(engine).values())


def test_restore_refuses_values_that_do_not_fit(engine, small_export):
    def break_values(wb):
        ws = wb["goal"]
        header = [c.value for c in ws[1]]
        ws.cell(row=2, column=header.index("weight") + 1, value="viel")
        ws.cell(row=3, column=header.index("position") + 1).value = None

    assert_refused(
        engine,
        edited(small_export, break_values),
        [
            "Tabellenblatt «goal», Zeile 2, Spalte «weight»: «viel» ist keine Zahl.",
            "Tabellenblatt «goal», Zeile 3, Spalte «position»: Der Wert fehlt.",
        ],
    )


def test_restore_refuses_a_file_that_is_no_workbook(engine):
    assert_refused(engine, b"keine Excel-Datei", [UNREADABLE])


def test_restore_needs_an_actor(engine, small_export):
    with pytest.raises(ValueError), transaction(engine) as session:
        restore_workbook(session, small_export, actor=" ")
    assert not any(row_counts(engine).values())
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(WriteRecord)) == 0


def test_sheet_names_are_valid_for_excel_and_unique():
    metadata = MetaData()
    long_name = "a_table_name_that_is_longer_than_excel_allows"
    tables = [
        Table(name, metadata, Column("id", Integer, primary_key=True))
        for name in (long_name, long_name + "_too", "inhalt", "odd[name]")
    ]

    names = _sheet_names(tables)

    assert names == {
        long_name: long_name[:31],
        long_name + "_too": long_name[:29] + "~2",
        "inhalt": "inhalt~2",  # «Inhalt» is taken, and Excel ignores case
        "odd[name]": "odd_name_",
    }
