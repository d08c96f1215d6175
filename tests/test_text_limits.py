"""Text limits (tracking.text_rules) where people type: catalogue forms, user accounts, the command line."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select

from tests.conftest import temp_database_url
from tests.hostile_corpus import at_limit
from tracking.catalogue import apply_catalogue, plan_entries
from tracking.cli import main
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.models import Measure, UserAccount
from tracking.snapshot import load_snapshot
from tracking.users import UserSpec, create_user, update_user
from tracking.workbook import ImportRefused

CONTROL = "Erlaubt sind Text, Tabulator und Zeilenumbrüche; bitte die Zelle neu eintippen."


def _form_problems(engine, **entry) -> list[tuple[str, str]]:
    values = {"goal": "5.1", "title": "Neues Portal", "department": "GSD", "active": "ja"} | entry
    with pytest.raises(ImportRefused) as refused, transaction(engine) as session:
        apply_catalogue(session, plan_entries(session, measures=[values]), actor="Fachstelle")
    return [(p.header, p.message) for p in refused.value.problems]


def test_catalogue_form_refuses_long_texts_and_control_characters(luzern):
    assert _form_problems(luzern, title="T" * 401) == [
        ("Titel", "Titel ist 401 Zeichen lang; erlaubt sind höchstens 400.")
    ]
    assert _form_problems(luzern, description="Text\x00mit NUL") == [
        ("Beschreibung", f"Beschreibung enthält unzulässige Steuerzeichen (U+0000). {CONTROL}")
    ]
    assert _form_problems(luzern, contact="\x1b[31mrot\x1b[0m", responsible_unit="S" * 201) == [
        ("Verantwortliche Stelle", "Verantwortliche Stelle ist 201 Zeichen lang; erlaubt sind höchstens 200."),
        ("Kontakt", f"Kontakt enthält unzulässige Steuerzeichen (U+001B). {CONTROL}"),
    ]
    with pytest.raises(ImportRefused) as refused, transaction(luzern) as session:
        plan_entries(session, indicators=[{"goal": "5.1", "name": "N\x07", "unit": "E" * 51, "active": "ja"}])
    assert [(p.header, p.message) for p in refused.value.problems] == [
        ("Kennzahl", f"Kennzahl enthält unzulässige Steuerzeichen (U+0007). {CONTROL}"),
        ("Einheit", "Einheit ist 51 Zeichen lang; erlaubt sind höchstens 50."),
    ]
    # Tab and line breaks are text.
    with transaction(luzern) as session:
        plan = plan_entries(
            session,
            measures=[{"goal": "5.1", "title": "Portal", "description": "a\tb\r\nc", "department": "GSD"}],
        )
        apply_catalogue(session, plan, actor="Fachstelle")
        assert session.scalar(select(Measure.description).where(Measure.title == "Portal")) == "a\tb\r\nc"


def _spec(**changes) -> UserSpec:
    return UserSpec(**({"username": "kim", "display_name": "Kim", "role": "admin", "scope_fields": [],
                        "scope_departments": []} | changes))  # fmt: skip


def test_user_names_and_emails_are_checked_against_the_limits(luzern):
    with pytest.raises(TrackingError) as refused, transaction(luzern) as session:
        create_user(session, _spec(display_name="N" * 201, email="a@" + "b" * 199), password=None, actor="setup")
    assert refused.value.messages == [
        "Der Name ist 201 Zeichen lang; erlaubt sind höchstens 200.",
        "Die E-Mail ist 201 Zeichen lang; erlaubt sind höchstens 200.",
    ]
    with pytest.raises(TrackingError) as refused, transaction(luzern) as session:
        create_user(session, _spec(display_name="Kim\x1b]0;pwned\x07"), password=None, actor="setup")
    assert refused.value.messages == [f"Der Name enthält unzulässige Steuerzeichen (U+0007, U+001B). {CONTROL}"]
    with transaction(luzern) as session:
        create_user(session, _spec(display_name="Ж" * 200, email="ä@" + "ö" * 198), password=None, actor="setup")
    with pytest.raises(TrackingError) as refused, transaction(luzern) as session:
        update_user(session, "kim", actor="setup", display_name="Kim\x00")
    assert refused.value.messages == [f"Der Name enthält unzulässige Steuerzeichen (U+0000). {CONTROL}"]
    with transaction(luzern) as session:
        assert session.scalar(select(UserAccount.display_name).where(UserAccount.username == "kim")) == "Ж" * 200


def test_cli_users_add_refuses_a_long_name(tmp_path, monkeypatch, capsys):
    url = temp_database_url(tmp_path / "cli.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["init", "--today", "15.11.2026"]) == 0
    capsys.readouterr()
    code = main(["users", "add", "kim", "--role", "admin", "--name", "N" * 201])
    _, err = capsys.readouterr()
    assert code != 0
    assert "Der Name ist 201 Zeichen lang; erlaubt sind höchstens 200." in err
    with transaction(make_engine(url)) as session:
        assert session.scalar(select(UserAccount).where(UserAccount.username == "kim")) is None


# --- every export lays out the longest allowed texts -----------------------------------


def _limit_content(engine):
    """Four red, overdue measures in 2024-H2 whose title, description, comment, next steps and risks are
    exactly at their limits (multi-byte, long unbroken words), stored directly as an import would."""
    import datetime as dt

    from tests.factories import add_measure, add_report, definition_dict, load_definition
    from tracking.audit import WriteLog
    from tracking.council import council_content
    from tracking.periods import get_period
    from tracking.reports import ReportValues, record_report

    with transaction(engine) as session:
        load_definition(session, definition_dict())
        for i, goal in enumerate(["1.1", "1.2", "2.1", "1.1"]):
            measure = add_measure(session, f"M-{goal}.0{i + 1}", goal, end=dt.date(2024, 9, 30))
            measure.title, measure.description = at_limit("title"), at_limit("description")
            add_report(session, measure, "2024-H1", 20)
            values = ReportValues(
                "in_umsetzung", "rot", 30, at_limit("comment"), at_limit("next_steps"), at_limit("risks")
            )
            log = WriteLog(session, actor="test", source="Import", action="import")
            record_report(session, log, measure=measure, period=get_period(session, "2024-H2"), values=values)
    with transaction(engine) as session:
        return council_content(load_snapshot(session), "2024-H2")


def _blank_charts(content) -> dict[str, bytes]:
    from PIL import Image

    from tracking import council_export

    out = io.BytesIO()
    Image.new("RGB", (740, 520), "white").save(out, format="PNG")
    return dict.fromkeys(council_export.chart_figures(content), out.getvalue())


def test_council_pdf_splits_rows_longer_than_a_page(engine):
    from pypdf import PdfReader

    from tracking.council_export import to_pdf

    content = _limit_content(engine)
    assert [len(a.reason) for a in content.attention] == [2000] * 4
    pdf = PdfReader(io.BytesIO(to_pdf(content, images=_blank_charts(content))))
    text = "".join("".join(p.extract_text().split()) for p in pdf.pages)
    # The whole comment is in the PDF (spread over pages), up to its last characters.
    assert "".join(at_limit("comment").split())[-60:] in text
    assert len(pdf.pages) > 10


def test_council_slides_cut_long_cells_and_say_where_the_whole_text_is(engine):
    from pptx import Presentation

    from tracking.council_export import BODY_BOTTOM, CUT_NOTE, SLIDE_W, to_pptx

    content = _limit_content(engine)
    deck = Presentation(io.BytesIO(to_pptx(content, images=_blank_charts(content))))
    tables = [(slide, shape) for slide in deck.slides for shape in slide.shapes if shape.has_table]
    assert tables
    for slide, shape in tables:
        height = sum(row.height for row in shape.table.rows)
        assert shape.top + height <= BODY_BOTTOM, slide.shapes.title.text_frame.text
        assert shape.left + sum(c.width for c in shape.table.columns) <= SLIDE_W
    attention = [s for s in deck.slides if "Was braucht Aufmerksamkeit?" in s.shapes.title.text_frame.text]
    rows = sum(len(next(s.table for s in slide.shapes if s.has_table).rows) - 1 for slide in attention)
    assert rows == len(content.attention)
    for slide in attention:
        texts = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert CUT_NOTE in texts
        table = next(s.table for s in slide.shapes if s.has_table)
        reasons = [table.cell(r, 8).text_frame.text for r in range(1, len(table.rows))]
        assert all(r.endswith(" …") and at_limit("comment").startswith(r[:-2]) for r in reasons)


def test_excel_exports_hold_texts_at_their_limits_whole(engine):
    from openpyxl import load_workbook

    from tracking.audit import audit_entries, audit_workbook
    from tracking.backup import export_workbook
    from tracking.catalogue import export_catalogue
    from tracking.council_export import to_xlsx

    content = _limit_content(engine)
    council = load_workbook(io.BytesIO(to_xlsx(content)))
    assert [r[9].value for r in council["Handlungsbedarf"].iter_rows(min_row=2)] == [at_limit("comment")] * 4
    assert [r[1].value for r in council["Massnahmen"].iter_rows(min_row=2)] == [at_limit("title")] * 4
    with transaction(engine) as session:
        catalogue = load_workbook(io.BytesIO(export_catalogue(session)))
        backup = load_workbook(io.BytesIO(export_workbook(session)), read_only=True)
        audit = load_workbook(io.BytesIO(audit_workbook(audit_entries(session))), read_only=True)
    assert [r[3].value for r in catalogue["Massnahmen"].iter_rows(min_row=2)] == [at_limit("description")] * 4
    cells = [c.value for ws in backup for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for kind in ("title", "description", "comment", "next_steps", "risks"):
        assert at_limit(kind) in cells, kind
    audit_cells = [c.value for row in audit["Protokoll"].iter_rows() for c in row if isinstance(c.value, str)]
    assert [c for c in audit_cells if at_limit("comment") in c and at_limit("risks") in c]
