"""Reminders by e-mail, sent through a real SMTP server started here (STARTTLS and a password),
read as the coordinators would: who got one, its subject, the measures listed, the link."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from tests.factories import add_measure, add_report, definition_dict, load_definition
from tests.smtp_server import mail_server
from tracking import cli
from tracking.db import transaction
from tracking.models import RowChange, WriteRecord
from tracking.periods import set_deadline
from tracking.users import UserSpec, create_user

PERIOD = "2024-H2"  # open on the factories' day (15.11.2024)
TODAY = dt.date(2024, 12, 20)
DEADLINE = dt.date(2025, 1, 15)  # 26 days after TODAY
PUBLIC = "https://monitoring.example.ch"

# Three fields, two departments; reported already: M-1.2.01, M-2.1.02, M-3.1.01.
MEASURES = {
    "M-1.1.01": ("1.1", "STK"),
    "M-1.1.02": ("1.1", "FD"),
    "M-1.2.01": ("1.2", "STK"),
    "M-2.1.01": ("2.1", "FD"),
    "M-2.1.02": ("2.1", "STK"),
    "M-3.1.01": ("3.1", "STK"),
}
REPORTED = {"M-1.2.01", "M-2.1.02", "M-3.1.01"}
# By hand: each scope's measures without a report.
OWED = {
    "af1@lu.ch": ["M-1.1.01", "M-1.1.02"],  # field AF1
    "fd@lu.ch": ["M-1.1.02", "M-2.1.01"],  # department FD
}


@pytest.fixture
def cycle(engine, monkeypatch):
    """A small strategy with the measures above, the accounts below and 2024-H2's deadline."""
    fields = {"AF1": {"1.1": {"K1": 3}, "1.2": {"K2": 1}}, "AF2": {"2.1": {"K1": 2}}, "AF3": {"3.1": {"K2": 1}}}
    with transaction(engine) as session:
        load_definition(session, definition_dict(fields))
        for code, (goal, department) in MEASURES.items():
            measure = add_measure(session, code, goal, department=department)
            if code in REPORTED:
                add_report(session, measure, PERIOD, 50)
        for spec, active in [
            (UserSpec("af1", "Anna Feld", "koordination", ["AF1"], [], email="af1@lu.ch"), True),
            (UserSpec("fd", "Franz Departement", "koordination", [], ["FD"], email="fd@lu.ch"), True),
            # owes nothing: AF3's one measure reported
            (UserSpec("af3", "Alles Gemeldet", "koordination", ["AF3"], [], email="af3@lu.ch"), True),
            # no e-mail address, not active, not a coordinator: no reminder
            (UserSpec("ohne", "Ohne Adresse", "koordination", ["AF1"], []), True),
            (UserSpec("alt", "Nicht Mehr Aktiv", "koordination", ["AF1"], [], email="alt@lu.ch"), False),
            (UserSpec("leitung", "Lea Leitung", "departementsleitung", [], [], "FD", email="leitung@lu.ch"), True),
        ]:
            create_user(session, spec, password=None, actor="test", active=active)
        set_deadline(session, name=PERIOD, deadline=DEADLINE, actor="test")
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return engine


@pytest.fixture
def smtp(tmp_path, monkeypatch):
    with mail_server(tmp_path) as server:
        monkeypatch.setenv("TRACKING_SMTP_URL", server.url)
        monkeypatch.setenv("TRACKING_MAIL_FROM", "monitoring@lu.ch")
        monkeypatch.setenv("TRACKING_PUBLIC_URL", PUBLIC + "/")
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert_file))  # trust the server's own certificate
        yield server


def remind(capsys, *extra: str) -> tuple[int, str, str]:
    code = cli.main(["--user", "cron", "remind", "--period", PERIOD, "--today", TODAY.isoformat(), *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def text_of(message) -> str:
    """The message's text as the reader sees it (SMTP carries CRLF line ends)."""
    return message.get_content().replace("\r\n", "\n")


def listed_codes(body: str) -> list[str]:
    return re.findall(r"^- (M-[\d.]+) ", body, flags=re.MULTILINE)


def test_each_coordinator_gets_one_mail_with_the_measures_of_their_scope(cycle, smtp, capsys):
    code, out, err = remind(capsys)
    assert code == 0, err
    # Only the two coordinators who owe something; nobody else.
    assert sorted(a for r in smtp.received for a in r.rcpt_tos) == sorted(OWED)
    for address, owed in OWED.items():
        (message,) = smtp.to(address)
        assert message["From"] == "monitoring@lu.ch"
        assert message["Subject"] == "Statusbericht 2024-H2: 2 Massnahmen offen – Meldeschluss in 26 Tagen (15.01.2025)"
        body = text_of(message)
        assert listed_codes(body) == owed  # nothing outside the scope, nothing reported
        for measure in owed:
            department = MEASURES[measure][1]
            assert f"- {measure} Massnahme {measure} ({department} Departement {department})" in body
        assert "Meldeschluss in 26 Tagen (15.01.2025)." in body
    anna = text_of(smtp.to("af1@lu.ch")[0])
    assert anna.startswith("Guten Tag Anna Feld\n")
    assert "Geltungsbereich (AF1)" in anna
    # The link opens the Statusbericht of the period with the coordinator's field chosen.
    link = next(line for line in anna.splitlines() if line.startswith(PUBLIC))
    parts = urlsplit(link)
    assert parts.path == "/statusbericht"
    assert parse_qs(parts.query) == {"periode": [PERIOD], "feld": ["AF1"]}
    franz = text_of(smtp.to("fd@lu.ch")[0])
    link = next(line for line in franz.splitlines() if line.startswith(PUBLIC))
    assert parse_qs(urlsplit(link).query) == {"periode": [PERIOD], "departement": ["FD"]}
    assert "Franz Departement <fd@lu.ch> erhielt eine Erinnerung: 2 Massnahmen (M-1.1.02, M-2.1.01)" in out
    assert "Alles Gemeldet <af3@lu.ch>: alles gemeldet, keine Erinnerung" in out
    assert out.rstrip().endswith("2 Erinnerungen versandt (Periode 2024-H2).")


def test_a_second_run_the_same_day_sends_nothing_and_each_mail_is_in_the_audit_trail(cycle, smtp, capsys):
    assert remind(capsys)[0] == 0
    assert len(smtp.received) == 2
    code, out, _ = remind(capsys)
    assert code == 0 and len(smtp.received) == 2
    assert "Anna Feld <af1@lu.ch>: heute bereits erinnert, nichts versandt" in out
    assert out.rstrip().endswith("0 Erinnerungen versandt (Periode 2024-H2).")
    with transaction(cycle) as session:
        rows = session.execute(
            select(WriteRecord.actor, WriteRecord.action, RowChange.table_name, RowChange.row_key, RowChange.after)
            .join(RowChange, RowChange.write_id == WriteRecord.id)
            .where(WriteRecord.action == "remind")
            .order_by(RowChange.id)
        ).all()
    assert [(r.actor, r.row_key) for r in rows] == [
        ("cron", "af1/2024-H2/2024-12-20"),
        ("cron", "fd/2024-H2/2024-12-20"),
    ]
    assert rows[0].after == {"an": "af1@lu.ch", "massnahmen": OWED["af1@lu.ch"], "meldeschluss": "2025-01-15"}
    # The next day, who still owes gets the next reminder.
    code = cli.main(["remind", "--period", PERIOD, "--today", (TODAY + dt.timedelta(days=1)).isoformat()])
    assert code == 0 and len(smtp.received) == 4


def test_a_dry_run_shows_who_would_get_what_and_sends_nothing(cycle, smtp, capsys):
    code, out, _ = remind(capsys, "--dry-run")
    assert code == 0 and smtp.received == []
    assert out.startswith("Probelauf: es wird nichts versandt.\n")
    assert "Anna Feld <af1@lu.ch> bekäme eine Erinnerung: 2 Massnahmen (M-1.1.01, M-1.1.02)" in out
    with transaction(cycle) as session:
        assert session.scalar(select(WriteRecord).where(WriteRecord.action == "remind")) is None


def test_without_the_mail_settings_remind_says_so_in_german_and_sends_nothing(cycle, smtp, capsys, monkeypatch):
    monkeypatch.delenv("TRACKING_SMTP_URL")
    monkeypatch.delenv("TRACKING_PUBLIC_URL")
    code, _, err = remind(capsys)
    assert code == 1 and smtp.received == []
    assert err.strip() == (
        "Fehler: Erinnerungen können nicht versandt werden: TRACKING_SMTP_URL und TRACKING_PUBLIC_URL sind nicht "
        "gesetzt (README «Erinnerungen per E-Mail»). Nichts wurde versandt."
    )


def test_a_wrong_password_or_an_untrusted_server_sends_nothing_and_records_nothing(cycle, smtp, capsys, monkeypatch):
    monkeypatch.setenv("TRACKING_SMTP_URL", smtp.url.replace("geheim", "falsch"))
    code, _, err = remind(capsys)
    assert code == 1 and smtp.received == []
    assert "hat die Anmeldung abgelehnt" in err
    monkeypatch.setenv("TRACKING_SMTP_URL", smtp.url)
    monkeypatch.delenv("SSL_CERT_FILE")  # the self-signed certificate is no longer trusted
    code, _, err = remind(capsys)
    assert code == 1 and smtp.received == []
    assert f"Versand über 127.0.0.1:{smtp.port} fehlgeschlagen" in err
    with transaction(cycle) as session:
        assert session.scalar(select(WriteRecord).where(WriteRecord.action == "remind")) is None


def test_within_days_of_the_deadline_only(cycle, smtp, capsys):
    """The cron line runs every Monday with --within 14: 26 days before the deadline nothing goes out."""
    code, out, _ = remind(capsys, "--within", "14")
    assert code == 0 and smtp.received == []
    assert out.strip() == "Meldeschluss in 26 Tagen (15.01.2025): noch keine Erinnerung (--within 14)."
    code, out, _ = remind(capsys, "--within", "26")
    assert code == 0 and len(smtp.received) == 2
