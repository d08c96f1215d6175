"""The measures catalogue in Excel: export, checked import, preview, audit, undo, retirement.

The database holds the Lucerne strategy with three measures and one
indicator (see the fixture); every expected count and code below follows
from that by hand.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.factories import add_measure, add_report
from tracking import rollup as ru
from tracking.catalogue import (
    INDICATOR_SHEET,
    MEASURE_SHEET,
    apply_catalogue,
    export_catalogue,
    measure_entries,
    plan_catalogue,
    plan_entries,
    undo_catalogue,
)
from tracking.cli import main
from tracking.db import transaction
from tracking.errors import TrackingError
from tracking.models import Goal, Indicator, Measure, ReportingPeriod, RowChange, StatusReport, WriteRecord
from tracking.periods import get_period
from tracking.reports import reportable_measures
from tracking.snapshot import load_snapshot
from tracking.workbook import ImportRefused

RETIRED_ON = dt.date(2026, 11, 20)  # in 2026-H2


@pytest.fixture
def catalogue(luzern):
    """M-5.1.01 and M-5.1.02 (goal 5.1), M-1.1.01 (goal 1.1, one report in 2026-H2), indicator on 5.1."""
    end = dt.date(2027, 12, 31)
    with transaction(luzern) as session:
        add_measure(session, "M-5.1.01", "5.1", end=end)
        add_measure(session, "M-5.1.02", "5.1", department="FD", end=end, weight=2.0)
        m3 = add_measure(session, "M-1.1.01", "1.1", department="BKD", end=end)
        add_report(session, m3, "2026-H2", 40)
        goal = session.scalar(select(Goal).where(Goal.code == "5.1"))
        session.add(
            Indicator(goal_id=goal.id, name="Online-Dienstleistungen", unit="Anzahl", baseline=10, direction="hoeher")
        )
    return luzern


def exported(engine) -> bytes:
    with transaction(engine) as session:
        return export_catalogue(session, generated_by="test")


def edited(data: bytes, edit) -> bytes:
    workbook = load_workbook(io.BytesIO(data))
    edit(workbook[MEASURE_SHEET], workbook[INDICATOR_SHEET])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def row_of(sheet, code: str) -> int:
    return next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == code)


def plan(engine, data: bytes):
    with transaction(engine) as session:
        return plan_catalogue(session, data, "katalog.xlsx")


def apply(engine, data: bytes, actor="Fachstelle"):
    with transaction(engine) as session:
        return apply_catalogue(session, plan_catalogue(session, data, "katalog.xlsx"), actor=actor, today=RETIRED_ON)


def state(engine) -> dict:
    with transaction(engine) as session:
        return {
            "measures": sorted(
                session.execute(
                    select(Measure.code, Measure.title, Measure.active, Measure.weight, Measure.retired_on)
                ).all()
            ),
            "indicators": sorted(session.execute(select(Indicator.name, Indicator.unit, Indicator.active)).all()),
            "writes": session.scalar(select(func.count()).select_from(WriteRecord)),
            "row_changes": session.scalar(select(func.count()).select_from(RowChange)),
        }


def test_export_has_every_entry_and_reimports_unchanged(catalogue):
    data = exported(catalogue)
    workbook = load_workbook(io.BytesIO(data))
    measures = workbook[MEASURE_SHEET]
    assert [measures[f"A{r}"].value for r in range(2, measures.max_row + 1)] == ["M-1.1.01", "M-5.1.01", "M-5.1.02"]
    assert measures["E3"].value == "STK" and measures["L4"].value == 2 and measures["M2"].value == "ja"
    assert workbook[INDICATOR_SHEET]["C2"].value == "Online-Dienstleistungen"
    assert workbook[INDICATOR_SHEET]["I2"].value == "höher ist besser"
    # Not public unless decided so: «nein» in column N.
    assert measures["N1"].value == "Öffentlich" and measures["N2"].value == "nein"
    # Dropdowns for goal, department, active, public (measures) and goal, direction, active (indicators).
    assert len(measures.data_validations.dataValidation) == 4
    assert len(workbook[INDICATOR_SHEET].data_validations.dataValidation) == 3
    before = state(catalogue)
    p = plan(catalogue, data)
    assert (p.count("neu"), p.count("geändert"), p.count("ausser Kraft"), p.count("unverändert")) == (0, 0, 0, 4)
    assert apply(catalogue, data) is None
    assert state(catalogue) == before


def test_public_flag_is_set_by_the_workbook_and_a_wrong_word_is_refused_by_cell(catalogue):
    def make_public(measures, _indicators):
        measures[f"N{row_of(measures, 'M-5.1.02')}"] = "ja"

    apply(catalogue, edited(exported(catalogue), make_public))
    with transaction(catalogue) as session:
        assert dict(session.execute(select(Measure.code, Measure.public)).all()) == {
            "M-1.1.01": False,
            "M-5.1.01": False,
            "M-5.1.02": True,
        }

    def wrong_word(measures, _indicators):
        measures[f"N{row_of(measures, 'M-1.1.01')}"] = "vielleicht"

    before = state(catalogue)
    with pytest.raises(ImportRefused) as refused:
        plan(catalogue, edited(exported(catalogue), wrong_word))
    (problem,) = refused.value.problems
    assert (problem.sheet, problem.row, problem.column) == (MEASURE_SHEET, row_of_code(catalogue, "M-1.1.01"), "N")
    assert problem.message == "«vielleicht» ist nicht erlaubt. Erlaubt: ja, nein."
    assert state(catalogue) == before


def row_of_code(engine, code: str) -> int:
    workbook = load_workbook(io.BytesIO(exported(engine)))
    return row_of(workbook[MEASURE_SHEET], code)


def _new_changed_retired(measures, indicators):
    measures[f"C{row_of(measures, 'M-5.1.01')}"] = "Portal mit neuem Titel"
    measures[f"M{row_of(measures, 'M-1.1.01')}"] = "nein"
    new = [None, "5.1", "Ganz neue Massnahme", "Beschreibung", "GSD", "Amt", "Eva Muster", "fd, STK"]
    measures.append([*new, "01.01.2027", "31.12.2028", "120'000", 1.5, "ja"])
    indicators.append([None, "5.1", "Nutzerzufriedenheit", "%", 60, 2025, 80, 2030, "höher ist besser", "ja"])


def test_new_changed_and_retired_entries_are_counted_saved_and_logged(catalogue):
    data = edited(exported(catalogue), _new_changed_retired)
    p = plan(catalogue, data)
    assert (p.count("neu"), p.count("geändert"), p.count("ausser Kraft"), p.count("unverändert")) == (2, 1, 1, 2)
    assert p.summary_lines() == [
        "Datei «katalog.xlsx»: 2 neu, 1 geändert, 1 ausser Kraft, 2 unverändert.",
        "  ausser Kraft: Massnahme M-1.1.01: Aktiv ja → nein",
        "  geändert: Massnahme M-5.1.01: Titel Massnahme M-5.1.01 → Portal mit neuem Titel",
        "  neu: Massnahme M-5.1.03",
        "  neu: Kennzahl 5.1 Nutzerzufriedenheit",
    ]
    write_id = apply(catalogue, data)
    with transaction(catalogue) as session:
        new = session.scalar(select(Measure).where(Measure.code == "M-5.1.03"))
        assert (new.title, new.lead_department.code, sorted(d.code for d in new.partners)) == (
            "Ganz neue Massnahme",
            "GSD",
            ["FD", "STK"],
        )
        assert (new.start_date, new.planned_end, float(new.budget_chf), new.weight) == (
            dt.date(2027, 1, 1),
            dt.date(2028, 12, 31),
            120000.0,
            1.5,
        )
        retired = session.scalar(select(Measure).where(Measure.code == "M-1.1.01"))
        assert (retired.active, retired.retired_on) == (False, RETIRED_ON)
        changes = {
            c.row_key: (c.kind, c.before, c.after)
            for c in session.scalars(select(RowChange).where(RowChange.write_id == write_id))
            # The closed half-years, filled by the test's factories, are frozen by this first
            # catalogue write (tests/test_frozen.py checks that): the catalogue's own entries here.
            if c.table_name != "period_goal_sums"
        }
        record = session.get(WriteRecord, write_id)
        assert (record.actor, record.action) == ("Fachstelle", "catalogue")
    assert set(changes) == {"M-5.1.01", "M-1.1.01", "M-5.1.03", f"Nr. {_indicator_id(catalogue)} Nutzerzufriedenheit"}
    kind, before, after = changes["M-5.1.01"]
    assert (kind, before["title"], after["title"]) == ("update", "Massnahme M-5.1.01", "Portal mit neuem Titel")
    assert changes["M-1.1.01"][0] == "retire" and changes["M-1.1.01"][2]["active"] is False
    assert changes["M-5.1.03"][0] == "insert" and changes["M-5.1.03"][1] is None
    # The same file again changes nothing: the row without a code is the measure it made.
    again = plan(catalogue, data)
    assert (again.count("neu"), again.count("unverändert")) == (0, 6)
    assert apply(catalogue, data) is None


def _indicator_id(engine) -> int:
    with transaction(engine) as session:
        return session.scalar(select(Indicator.id).where(Indicator.name == "Nutzerzufriedenheit"))


def test_a_retired_measure_leaves_templates_and_rollups_from_the_next_period_on(catalogue):
    apply(catalogue, edited(exported(catalogue), _new_changed_retired))
    with transaction(catalogue) as session:
        session.add(
            ReportingPeriod(name="2027-H1", start_date=dt.date(2027, 1, 1), end_date=dt.date(2027, 6, 30), is_open=True)
        )
    with transaction(catalogue) as session:
        now = [r.code for r in reportable_measures(session, get_period(session, "2026-H2"))]
        later = [r.code for r in reportable_measures(session, get_period(session, "2027-H1"))]
        snap = load_snapshot(session)
        reports = session.scalar(select(func.count()).select_from(StatusReport))
    assert "M-1.1.01" in now and "M-1.1.01" not in later
    assert "M-1.1.01" in set(ru.measure_status(snap, "2026-H2")["code"])
    assert "M-1.1.01" not in set(ru.measure_status(snap, "2027-H1")["code"])
    assert reports == 1  # its history stays


def test_undo_puts_the_catalogue_back(catalogue):
    original = exported(catalogue)
    before = state(catalogue)
    write_id = apply(catalogue, edited(original, _new_changed_retired))
    with transaction(catalogue) as session:
        assert undo_catalogue(session, write_id, actor="Fachstelle") == 4
    after = state(catalogue)
    assert after["measures"] == before["measures"] and after["indicators"] == before["indicators"]
    p = plan(catalogue, original)
    assert p.count("unverändert") == 4 and not p.has_changes
    with pytest.raises(TrackingError) as refused, transaction(catalogue) as session:
        undo_catalogue(session, write_id, actor="Fachstelle")
    assert refused.value.messages[0].startswith(f"Katalog-Import {write_id} wurde bereits rückgängig gemacht")


def test_undo_is_refused_once_a_new_measure_has_reports(catalogue):
    write_id = apply(catalogue, edited(exported(catalogue), _new_changed_retired))
    with transaction(catalogue) as session:
        add_report(session, session.scalar(select(Measure).where(Measure.code == "M-5.1.03")), "2026-H2", 5)
    before = state(catalogue)
    with pytest.raises(TrackingError) as refused, transaction(catalogue) as session:
        undo_catalogue(session, write_id, actor="Fachstelle")
    assert refused.value.messages == [
        f"Katalog-Import {write_id} kann nicht rückgängig gemacht werden: M-5.1.03 hat seither 1 Statusberichte. "
        "Die Massnahme stattdessen im Katalog auf «nein» setzen."
    ]
    assert state(catalogue) == before


def _set(cell: str, value):
    def edit(measures, indicators):
        sheet = indicators if cell.startswith("K:") else measures
        sheet[cell.removeprefix("K:")] = value

    return edit


BAD = [
    (
        "unknown goal",
        _set("B2", "9.9"),
        "Blatt «Massnahmen», Zeile 2, Spalte B (Ziel): Ziel «9.9» gibt es nicht. Bitte aus der Liste wählen.",
    ),
    (
        "goal missing",
        _set("B2", None),
        "Blatt «Massnahmen», Zeile 2, Spalte B (Ziel): Ziel fehlt. Bitte aus der Liste wählen, z. B. 5.1.",
    ),
    (
        "another goal",
        _set("B3", "1.1"),
        "Blatt «Massnahmen», Zeile 3, Spalte B (Ziel): Massnahme M-5.1.01 gehört "
        "zu Ziel 5.1, nicht 1.1. Eine Massnahme wechselt das Ziel nicht: für das andere Ziel eine neue Zeile ohne Code "
        "anfügen, diese auf «nein» setzen.",
    ),
    (
        "unknown department",
        _set("E2", "XYZ"),
        "Blatt «Massnahmen», Zeile 2, Spalte E (Federführung): Departement "
        "«XYZ» gibt es nicht. Erlaubt: BKD, BUWD, FD, GSD, JSD, STK.",
    ),
    ("title missing", _set("C2", None), "Blatt «Massnahmen», Zeile 2, Spalte C (Titel): Titel fehlt."),
    (
        "bad date",
        _set("I2", "31.02.2026"),
        "Blatt «Massnahmen», Zeile 2, Spalte I (Beginn): «31.02.2026» ist kein "
        "gültiges Datum. Erlaubt: 31.12.2026 oder 2026-12-31.",
    ),
    (
        "end before start",
        _set("J2", "01.01.2020"),
        "Blatt «Massnahmen», Zeile 2, Spalte J (Geplantes Ende): Das geplante Ende liegt vor dem Beginn.",
    ),
    (
        "weight zero",
        _set("L2", 0),
        "Blatt «Massnahmen», Zeile 2, Spalte L (Gewicht): «0» ist kein gültiges Gewicht: eine Zahl grösser als 0.",
    ),
    (
        "bad active",
        _set("M2", "vielleicht"),
        "Blatt «Massnahmen», Zeile 2, Spalte M (Aktiv): «vielleicht» ist nicht erlaubt. Erlaubt: ja, nein.",
    ),
    (
        "bad code",
        _set("A2", "X-1"),
        "Blatt «Massnahmen», Zeile 2, Spalte A (Code): «X-1» ist kein Massnahmencode "
        "(M-Feld.Ziel.Nummer, z. B. M-5.1.03) – oder leer lassen.",
    ),
    (
        "duplicate code",
        _set("A3", "M-1.1.01"),
        "Blatt «Massnahmen», Zeile 3, Spalte A (Code): Massnahme M-1.1.01 "
        "kommt doppelt vor (schon in Zeile 2). Bitte nur eine Zeile pro Code.",
    ),
    (
        "renamed column",
        _set("C1", "Name"),
        "Blatt «Massnahmen», Zeile 1, Spalte C: erwartet die Spalte "
        "«Titel», gefunden «Name». Spalten nicht umbenennen oder verschieben.",
    ),
    (
        "title too long",
        _set("C2", "Portal " + "ä" * 394),
        "Blatt «Massnahmen», Zeile 2, Spalte C (Titel): Titel ist 401 Zeichen lang; erlaubt sind höchstens 400.",
    ),
    (
        "description too long",
        _set("D2", "x" * 4001),
        "Blatt «Massnahmen», Zeile 2, Spalte D (Beschreibung): Beschreibung ist 4'001 Zeichen lang; "
        "erlaubt sind höchstens 4'000.",
    ),
    (
        "responsible unit too long",
        _set("F2", "Amt " * 50 + "x"),
        "Blatt «Massnahmen», Zeile 2, Spalte F (Verantwortliche Stelle): Verantwortliche Stelle ist 201 Zeichen "
        "lang; erlaubt sind höchstens 200.",
    ),
    (
        "escape sequence in the contact",
        _set("G2", "Eva _x001B_[2J Muster"),  # the escaped form of ESC in a workbook: Excel reads it as ESC
        "Blatt «Massnahmen», Zeile 2, Spalte G (Kontakt): Kontakt enthält unzulässige Steuerzeichen (U+001B). "
        "Erlaubt sind Text, Tabulator und Zeilenumbrüche; bitte die Zelle neu eintippen.",
    ),
    (
        "NUL in the title",
        _set("C2", "Portal_x0000_"),
        "Blatt «Massnahmen», Zeile 2, Spalte C (Titel): Titel enthält unzulässige Steuerzeichen (U+0000). "
        "Erlaubt sind Text, Tabulator und Zeilenumbrüche; bitte die Zelle neu eintippen.",
    ),
    (
        "indicator name too long",
        _set("K:C2", "K" * 301),
        "Blatt «Kennzahlen», Zeile 2, Spalte C (Kennzahl): Kennzahl ist 301 Zeichen lang; erlaubt sind höchstens 300.",
    ),
    (
        "unit too long",
        _set("K:D2", "Einheit " * 6 + "xxx"),
        "Blatt «Kennzahlen», Zeile 2, Spalte D (Einheit): Einheit ist 51 Zeichen lang; erlaubt sind höchstens 50.",
    ),
    (
        "unknown indicator",
        _set("K:A2", 999),
        "Blatt «Kennzahlen», Zeile 2, Spalte A (Nr.): Kennzahl Nr. 999 gibt "
        "es nicht. Für eine neue Kennzahl Nr. leer lassen.",
    ),
    (
        "bad direction",
        _set("K:I2", "seitwärts"),
        "Blatt «Kennzahlen», Zeile 2, Spalte I (Richtung): «seitwärts» "
        "ist keine Richtung. Erlaubt: höher ist besser, tiefer ist besser.",
    ),
    (
        "bad year",
        _set("K:F2", "bald"),
        "Blatt «Kennzahlen», Zeile 2, Spalte F (Ausgangsjahr): «bald» ist kein Jahr (z. B. 2030).",
    ),
]


@pytest.mark.parametrize(("name", "edit", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_catalogue_is_refused_with_sheet_row_column_and_nothing_changes(catalogue, name, edit, message):
    data = edited(exported(catalogue), edit)
    before = state(catalogue)
    with pytest.raises(ImportRefused) as refused, transaction(catalogue) as session:
        apply_catalogue(session, plan_catalogue(session, data, "katalog.xlsx"), actor="Fachstelle")
    assert refused.value.messages == [message]
    assert state(catalogue) == before


def test_every_problem_at_once(catalogue):
    def many(measures, indicators):
        measures["B2"] = "9.9"
        measures["L3"] = -1
        indicators["I2"] = "quer"

    with pytest.raises(ImportRefused) as refused:
        plan(catalogue, edited(exported(catalogue), many))
    assert [(p.sheet, p.row, p.column) for p in refused.value.problems] == [
        ("Massnahmen", 2, "B"),
        ("Massnahmen", 3, "L"),
        ("Kennzahlen", 2, "I"),
    ]


def test_not_a_catalogue_is_refused(catalogue):
    with pytest.raises(ImportRefused) as refused:
        plan(catalogue, b"Code;Ziel\nM-1;1.1\n")
    assert refused.value.messages == [
        "«katalog.xlsx» ist eine Textdatei (z. B. CSV), keine Excel-Arbeitsmappe. "
        "Bitte die Vorlage aus dem Tool verwenden und als .xlsx speichern."
    ]


def test_cli_catalogue_export_import_and_undo(catalogue, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", catalogue.url.render_as_string(hide_password=False))
    path = tmp_path / "katalog.xlsx"
    assert main(["catalogue", "export", "-o", str(path)]) == 0
    path.write_bytes(edited(path.read_bytes(), _new_changed_retired))
    assert main(["--user", "Fachstelle", "catalogue", "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 neu, 1 geändert, 1 ausser Kraft, 2 unverändert." in out and "Probelauf: nichts gespeichert." in out
    assert state(catalogue)["measures"][-1][0] == "M-5.1.02"  # nothing saved yet
    assert main(["--user", "Fachstelle", "catalogue", "import", str(path)]) == 0
    write_id = int(capsys.readouterr().out.split("Katalog-Import ")[1].split(" ")[0])
    assert main(["undo", str(write_id)]) == 0
    assert capsys.readouterr().out == (
        f"Katalog-Import {write_id} rückgängig gemacht: 4 Zeilen auf den früheren Stand gesetzt.\n"
    )


# --- undo after a later change of the same entry ------------------------------------


def _title(code: str, title: str):
    def edit(measures, indicators):
        measures[f"C{row_of(measures, code)}"] = title

    return edit


def _form(engine, *, measures=(), indicators=()) -> int:
    """A catalogue write as the form in Verwaltung makes it (tracking.catalogue.plan_entries)."""
    with transaction(engine) as session:
        p = plan_entries(session, measures=list(measures), indicators=list(indicators))
        return apply_catalogue(session, p, actor="Formularperson", today=RETIRED_ON)


def _stored_form_entry(engine, code: str, **changes) -> dict:
    with transaction(engine) as session:
        values = measure_entries(session)[code]
    return {"code": code, **values, "active": "ja" if values["active"] else "nein"} | changes


def _stored_title(engine, code: str) -> str:
    with transaction(engine) as session:
        return session.scalar(select(Measure.title).where(Measure.code == code))


def test_undo_is_refused_when_a_later_write_changed_the_same_measure(catalogue):
    first = apply(catalogue, edited(exported(catalogue), _title("M-5.1.01", "Titel B")))  # A -> B
    second = _form(catalogue, measures=[_stored_form_entry(catalogue, "M-5.1.01", title="Titel C")])  # B -> C
    before = state(catalogue)
    with pytest.raises(TrackingError) as refused, transaction(catalogue) as session:
        undo_catalogue(session, first, actor="Fachstelle")
    [message] = refused.value.messages
    assert message.startswith(
        f"Katalog-Import {first} kann nicht rückgängig gemacht werden: Massnahme M-5.1.01 wurde seither durch "
        f"Vorgang {second} (Katalog «Formular», Formularperson, "
    )
    assert message.endswith("geändert. Zuerst die neueren Katalogänderungen rückgängig machen.")
    assert state(catalogue) == before and _stored_title(catalogue, "M-5.1.01") == "Titel C"
    # Newest first: then both go back, and the title is A again.
    with transaction(catalogue) as session:
        undo_catalogue(session, second, actor="Fachstelle")
    assert _stored_title(catalogue, "M-5.1.01") == "Titel B"
    with transaction(catalogue) as session:
        undo_catalogue(session, first, actor="Fachstelle")
    assert _stored_title(catalogue, "M-5.1.01") == "Massnahme M-5.1.01"


def test_undo_of_a_new_measure_is_refused_once_a_form_changed_it(catalogue):
    first = apply(catalogue, edited(exported(catalogue), _new_changed_retired))  # adds M-5.1.03
    second = _form(catalogue, measures=[_stored_form_entry(catalogue, "M-5.1.03", contact="Neue Person")])
    with pytest.raises(TrackingError) as refused, transaction(catalogue) as session:
        undo_catalogue(session, first, actor="Fachstelle")
    assert f"Massnahme M-5.1.03 wurde seither durch Vorgang {second} " in refused.value.messages[0]
    with transaction(catalogue) as session:
        assert session.scalar(select(Measure.contact).where(Measure.code == "M-5.1.03")) == "Neue Person"


def test_undo_of_a_form_write_is_refused_when_a_later_file_changed_the_indicator(catalogue):
    with transaction(catalogue) as session:
        indicator = session.scalar(select(Indicator.id).where(Indicator.name == "Online-Dienstleistungen"))
    entry = {"id": indicator, "goal": "5.1", "name": "Online-Dienstleistungen", "unit": "Stück", "active": "ja"}
    first = _form(catalogue, indicators=[entry])

    def unit(measures, indicators):
        indicators["D2"] = "Anzahl Dienste"

    second = apply(catalogue, edited(exported(catalogue), unit))
    with pytest.raises(TrackingError) as refused, transaction(catalogue) as session:
        undo_catalogue(session, first, actor="Fachstelle")
    assert refused.value.messages[0].startswith(
        f"Katalog-Import {first} kann nicht rückgängig gemacht werden: Kennzahl Nr. {indicator} wurde seither "
        f"durch Vorgang {second} (Katalog «katalog.xlsx», Fachstelle, "
    )


def test_undo_goes_ahead_when_other_entries_changed_later(catalogue):
    first = apply(catalogue, edited(exported(catalogue), _title("M-5.1.01", "Titel B")))
    _form(catalogue, measures=[_stored_form_entry(catalogue, "M-5.1.02", title="Anderer Titel")])
    with transaction(catalogue) as session:
        assert undo_catalogue(session, first, actor="Fachstelle") == 1
    assert _stored_title(catalogue, "M-5.1.01") == "Massnahme M-5.1.01"
    assert _stored_title(catalogue, "M-5.1.02") == "Anderer Titel"


def test_texts_at_their_limits_are_stored_whole(catalogue):
    """Each text of a measure and an indicator at its maximum length (tracking.text_rules), in multi-byte
    characters and one unbroken word, is accepted, stored and exported again unchanged."""
    long = {
        "C": "Ü" * 400,  # Titel
        "D": "Beschreibung " + "é" * 3987,
        "F": "Ämterübergreifende" * 11 + "xx",  # Verantwortliche Stelle, 200 characters
        "G": "ø" * 200,  # Kontakt
    }

    def edit(measures, indicators):
        row = row_of(measures, "M-5.1.02")
        for column, text in long.items():
            measures[f"{column}{row}"] = text
        indicators.append([None, "5.1", "Ω" * 300, "µ" * 50, 1, 2025, 2, 2030, "höher ist besser", "ja"])

    write_id = apply(catalogue, edited(exported(catalogue), edit))
    assert write_id is not None
    with transaction(catalogue) as session:
        stored = measure_entries(session)["M-5.1.02"]
        indicator = session.scalar(select(Indicator).where(Indicator.name == "Ω" * 300))
        keys = set(session.scalars(select(RowChange.row_key).where(RowChange.write_id == write_id)))
    assert [stored[k] for k in ("title", "description", "responsible_unit", "contact")] == list(long.values())
    assert (indicator.unit, len(indicator.name)) == ("µ" * 50, 300)
    # The audit trail names the indicator, its long name cut to fit.
    assert f"Nr. {indicator.id} {'Ω' * 300}"[:199] + "…" in keys
    assert not plan(catalogue, exported(catalogue)).has_changes
