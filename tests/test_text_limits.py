"""Text limits (tracking.text_rules) where people type: catalogue forms, user accounts, the command line."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import select

from tests.conftest import temp_database_url
from tracking.catalogue import apply_catalogue, plan_entries
from tracking.cli import main
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.excel_import import ImportRefused
from tracking.models import Measure, UserAccount
from tracking.users import UserSpec, create_user, update_user

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
