"""The command line fails in German, never with a traceback, and leaves nothing half-written.

Files that cannot be written or read, a DATABASE_URL of a kind not supported,
two `init` or `restore` at once on a new database, argparse's own messages,
singular and plural, and control characters from the data on the terminal.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

from tests import excel_files as xf
from tests.conftest import REFERENCE_DATE, _create_postgres_database, _postgres_url
from tests.conftest import temp_database_url as new_database_url
from tests.factories import add_measure
from tracking.cli import main
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.models import Measure, Strategy, UserAccount, WriteRecord
from tracking.strategy import LUZERN_DEFINITION

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b]0;pwned\x07\x1b[2J"  # sets the terminal's window title, then clears the screen


PLACEHOLDER = "STEUERZEICHEN"


def _excel_escaped(text: str) -> bytes:
    """Control characters as an .xlsx file stores them (_x001B_), which openpyxl refuses to write."""
    return "".join(f"_x{ord(ch):04X}_" if ord(ch) < 32 else ch for ch in text).encode()


def with_control_characters(data: bytes) -> bytes:
    """The workbook with every PLACEHOLDER replaced by ESC, as a crafted or foreign file could hold it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item).replace(PLACEHOLDER.encode(), _excel_escaped(ESC)))
    return out.getvalue()


@pytest.fixture
def db(tmp_path, monkeypatch):
    url = new_database_url(tmp_path / "cli.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKING_USER", "cli-test")
    assert main(["init", "--today", "15.11.2026"]) == 0
    return url


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def cli(*args, env=None, stdin=None):
    """`python -m tracking …` as a person runs it, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "tracking", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        timeout=300,
        check=False,
    )


# --- 1. files to write -------------------------------------------------------

# Every command that writes a file, and the function doing its (possibly long) work,
# which must not run when the file cannot be written.
WRITERS = [
    (["export"], "tracking.backup.export_workbook"),
    (["template", "--period", "2026-H2"], "tracking.cli.build_template"),
    (["report", "--period", "2026-H2", "--format", "xlsx"], "tracking.council.load_council_content"),
    (["catalogue", "export"], "tracking.catalogue.export_catalogue"),
    (["audit"], "tracking.audit.audit_entries"),
]


def _no_work(*_args, **_kwargs):
    raise AssertionError("the work ran although the file cannot be written")


@pytest.mark.parametrize(("command", "work"), WRITERS, ids=[" ".join(c[:2]) for c, _ in WRITERS])
def test_output_to_a_folder_is_refused_before_the_work(db, capsys, monkeypatch, tmp_path, command, work):
    monkeypatch.setattr(work, _no_work)
    folder = tmp_path / "ablage"
    folder.mkdir()
    code, out, err = run(capsys, *command, "-o", str(folder))
    assert code == 1
    assert out == ""
    assert err.startswith(f"Fehler: «{folder}» ist ein Ordner; bitte einen Dateinamen angeben, z. B. -o {folder}/")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("command", "work"), WRITERS, ids=[" ".join(c[:2]) for c, _ in WRITERS])
def test_output_into_a_missing_folder_is_refused_before_the_work(db, capsys, monkeypatch, tmp_path, command, work):
    monkeypatch.setattr(work, _no_work)
    missing = tmp_path / "gibt-es-nicht"
    code, out, err = run(capsys, *command, "-o", str(missing / "datei.xlsx"))
    assert (code, out) == (1, "")
    assert err == (
        f"Fehler: Der Ordner «{missing}» existiert nicht; bitte den Ordner zuerst anlegen "
        "oder einen bestehenden angeben.\n"
    )
    assert not missing.exists()


def test_output_below_a_file_is_refused(db, capsys, tmp_path):
    plain = tmp_path / "notiz.txt"
    plain.write_text("x")
    code, _, err = run(capsys, "export", "-o", str(plain / "export.xlsx"))
    assert code == 1
    assert err == f"Fehler: «{plain}» ist kein Ordner, sondern eine Datei; bitte einen Ordner als Ziel angeben.\n"


def test_a_failed_write_leaves_the_old_file_and_no_scraps(db, capsys, monkeypatch, tmp_path):
    import errno

    from tracking import files

    (tmp_path / "ablage").mkdir()
    target = tmp_path / "ablage" / "export.xlsx"
    target.write_bytes(b"the export of yesterday")

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    code, out, err = run(capsys, "export", "-o", str(target))
    assert (code, out) == (1, "")
    assert err == (
        f"Fehler: Datei «{target}» konnte nicht geschrieben werden (kein Platz mehr auf dem Datenträger); "
        "nichts gespeichert.\n"
    )
    assert target.read_bytes() == b"the export of yesterday"
    assert [p.name for p in target.parent.iterdir()] == ["export.xlsx"]


def test_a_written_file_replaces_the_old_one_whole(db, capsys, tmp_path):
    (tmp_path / "ablage").mkdir()
    target = tmp_path / "ablage" / "export.xlsx"
    target.write_bytes(b"old")
    target.chmod(0o640)
    code, out, _ = run(capsys, "export", "-o", str(target))
    assert (code, out) == (0, f"Alle Daten exportiert: {target}\n")
    assert target.read_bytes()[:2] == b"PK"  # an xlsx is a zip archive
    assert target.stat().st_mode & 0o777 == 0o640  # the file keeps its permissions
    assert [p.name for p in target.parent.iterdir()] == ["export.xlsx"]


def test_output_to_a_device_or_through_a_link_writes_the_file_behind(db, capsys, tmp_path):
    import stat

    code, out, _ = run(capsys, "export", "-o", os.devnull)
    assert (code, out) == (0, f"Alle Daten exportiert: {os.devnull}\n")
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)  # written to, not replaced by a file
    real = tmp_path / "echt.xlsx"
    real.write_bytes(b"old")
    link = tmp_path / "verknuepfung.xlsx"
    link.symlink_to(real)
    assert run(capsys, "export", "-o", str(link))[0] == 0
    assert link.is_symlink() and real.read_bytes()[:2] == b"PK"


# --- 2. files to read --------------------------------------------------------

READERS = [["import"], ["catalogue", "import"], ["restore"], ["load-strategy"]]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_reading_a_folder_says_it_is_a_folder(db, capsys, tmp_path, command):
    code, out, err = run(capsys, *command, str(tmp_path))
    assert (code, out) == (1, "")
    assert err == f"Fehler: «{tmp_path}» ist ein Ordner, keine Datei; bitte den Namen einer Datei darin angeben.\n"


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_reading_a_missing_file_says_not_found(db, capsys, tmp_path, command):
    missing = tmp_path / "fehlt.xlsx"
    code, out, err = run(capsys, *command, str(missing))
    assert (code, out) == (1, "")
    assert err == f"Fehler: Datei «{missing}» nicht gefunden. Bitte Ordner und Dateinamen prüfen.\n"


UNREADABLE = "kann nicht gelesen werden: keine Leseberechtigung. Bitte die Berechtigungen prüfen"


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_reading_a_file_without_permission_says_so(db, capsys, monkeypatch, tmp_path, command):
    locked = tmp_path / "gesperrt.xlsx"
    locked.write_bytes(b"PK")
    real_read = Path.read_bytes

    def refuse(self):  # root reads every file, so the refusal of the operating system is played here
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    code, out, err = run(capsys, *command, str(locked))
    assert (code, out) == (1, "")
    assert err.startswith(f"Fehler: Datei «{locked}» {UNREADABLE}")


# --- 3. DATABASE_URL ---------------------------------------------------------

SUPPORTED = (
    "Unterstützt sind SQLite (z. B. sqlite:///data/tracking.sqlite) und PostgreSQL "
    "(z. B. postgresql://benutzer:passwort@host/datenbank)."
)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://anna:geheim@db-host/tracking", "DATABASE_URL: Die Datenbankart «mysql» wird nicht unterstützt."),
        ("oracle://anna:geheim@db-host/tracking", "DATABASE_URL: Die Datenbankart «oracle» wird nicht unterstützt."),
        ("foo", "DATABASE_URL «foo» ist keine gültige Datenbankadresse."),
        ("sqlite:", "DATABASE_URL «sqlite:» ist keine gültige Datenbankadresse."),
        ("mysql//anna:geheim@db-host", "DATABASE_URL «mysql//anna:***@db-host» ist keine gültige Datenbankadresse."),
        ("postgresql://anna:geheim@db-host:port/x", "DATABASE_URL «postgresql://anna:***@db-host:port/x» ist keine"),
        (
            "postgresql+psycopg2://anna:geheim@db-host/tracking",
            "DATABASE_URL: Der Treiber «psycopg2» wird nicht unterstützt; bitte die Adresse ohne Treiber angeben "
            "(postgresql://…).",
        ),
    ],
)
def test_a_database_url_of_another_kind_names_the_supported_ones(url, message):
    result = cli("periods", env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"Fehler: {message}")
    assert result.stderr.rstrip().endswith(SUPPORTED)
    assert "Traceback" not in result.stderr and "geheim" not in result.stderr
    with pytest.raises(TrackingError) as refused:
        make_engine(url)  # the library says the same to the dashboard
    assert f"Fehler: {refused.value.messages[0]}\n" == result.stderr


def test_the_dashboard_shows_the_database_url_message(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DATABASE_URL", "mysql://anna:geheim@db-host/tracking")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    shown = at.error[0].value.replace("\\", "")  # the page escapes markdown
    assert "Die Datenbankart «mysql» wird nicht unterstützt." in shown
    assert "SQLite" in shown and "PostgreSQL" in shown and "geheim" not in shown


# --- 4. two at once on a new database ---------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path) -> str:
    """A new database without schema: a SQLite file not yet there, or a new PostgreSQL database."""
    # Under TEST_BACKEND=postgres conftest leaves these tests out: the first pass ran both.
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'neu.sqlite'}"
    if _postgres_url() is None:
        pytest.skip("TEST_DATABASE_URL nicht gesetzt: PostgreSQL-Variante übersprungen")
    return _create_postgres_database(f"t_at_once_{uuid.uuid4().hex[:12]}")


def _at_once(url: str, *commands: list[str]) -> list[subprocess.CompletedProcess]:
    env = {**os.environ, "DATABASE_URL": url, "TRACKING_USER": "at-once"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tracking", *command],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = []
    for process, command in zip(processes, commands):
        out, err = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_three_inits_at_once_on_a_new_database(empty_url):
    results = _at_once(empty_url, *[["init", "--today", "15.11.2026"]] * 3)
    assert [r.returncode for r in results] == [0, 0, 0], [r.stderr for r in results]
    loaded = [r for r in results if "Strategie «Digitaler Wandel» geladen" in r.stdout]
    left = [r for r in results if "Strategie bereits geladen: unverändert gelassen." in r.stdout]
    assert (len(loaded), len(left)) == (1, 2)
    engine = make_engine(empty_url)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Strategy)) == 1
        loads = select(func.count()).select_from(WriteRecord).where(WriteRecord.action == "load-strategy")
        assert session.scalar(loads) == 1
    engine.dispose()


def test_two_restores_at_once_into_a_new_database(empty_url, tmp_path):
    source = new_database_url(tmp_path / "quelle.sqlite")
    assert cli("init", "--today", "15.11.2026", env={"DATABASE_URL": source}).returncode == 0
    backup = tmp_path / "export.xlsx"
    assert cli("export", "-o", str(backup), env={"DATABASE_URL": source}).returncode == 0

    results = _at_once(empty_url, ["restore", str(backup)], ["restore", str(backup)])
    codes = sorted(r.returncode for r in results)
    assert codes == [0, 1], [r.stderr for r in results]
    done = next(r for r in results if r.returncode == 0)
    refused = next(r for r in results if r.returncode == 1)
    assert done.stdout.startswith("Wiederhergestellt: ")
    assert refused.stderr == "Fehler: Die Datenbank ist nicht leer: Wiederherstellen nur in eine leere Datenbank.\n"
    engine = make_engine(empty_url)
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Strategy)) == 1
    engine.dispose()


# --- 5. argparse in German ---------------------------------------------------

ENGLISH = [
    "the following arguments are required",
    "not allowed with argument",
    "invalid choice",
    "unrecognized arguments",
    "expected one argument",
    "show this help message and exit",
    "usage:",
    "positional arguments",
    "options",
    "error:",
    "choose from",
]


def _english(text: str) -> list[str]:
    return [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}", text, re.IGNORECASE)]


@pytest.mark.parametrize("command", [[], ["template"], ["catalogue"], ["catalogue", "import"], ["users", "add"]])
def test_help_is_german(command):
    result = cli(*command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith(f"Aufruf: python -m tracking {' '.join(command)}".rstrip())
    assert "Optionen:" in result.stdout and "diese Hilfe zeigen und beenden" in result.stdout
    assert _english(result.stdout) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "python -m tracking: Fehler: diese Angaben fehlen: BEFEHL"),
        (["template", "--period", "2026-H2"], "python -m tracking template: Fehler: diese Angaben fehlen: -o/--output"),
        (
            ["template", "--period", "2026-H2", "--field", "AF1", "--department", "GSD", "-o", "x.xlsx"],
            "python -m tracking template: Fehler: Angabe --department: nicht zusammen mit --field erlaubt",
        ),
        (["bericht"], "python -m tracking: Fehler: Angabe BEFEHL: ungültige Auswahl: 'bericht' (möglich: 'init',"),
        (
            ["report", "--format", "doc", "-o", "x.doc"],
            "python -m tracking report: Fehler: Angabe --format: ungültige Auswahl: 'doc' (möglich: 'pptx', 'pdf', "
            "'xlsx')",
        ),
        (
            ["periods", "list", "2026-H2", "15.01.2027", "zuviel"],
            "python -m tracking: Fehler: unbekannte Angaben: zuviel",
        ),
        (["summary", "--period"], "python -m tracking summary: Fehler: Angabe --period: erwartet einen Wert"),
        (["undo", "drei"], "python -m tracking undo: Fehler: Angabe IMPORT_ID: «drei» ist keine ganze Zahl"),
    ],
)
def test_argument_errors_are_german(args, message):
    result = cli(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Aufruf: python -m tracking")
    assert message in result.stderr
    assert _english(result.stderr) == []


# --- 6. singular and plural --------------------------------------------------


def test_one_measure_one_change_one_row_in_the_singular(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", new_database_url(tmp_path / "eins.sqlite"))
    code, out, _ = run(capsys, "generate", "--measures", "1", "--periods", "1", "--today", "15.11.2026")
    assert code == 0
    assert out.startswith("Erzeugt: 1 Massnahme, ")
    assert re.match(r"Erzeugt: 1 Massnahme, (1 Statusbericht|[02-9]\d* Statusberichte), Periode 2026-H2 \(", out)


def test_one_change_of_the_strategy_in_the_singular(db, capsys, tmp_path):
    data = yaml.safe_load(LUZERN_DEFINITION.read_text(encoding="utf-8"))
    data["fields"][4]["goals"][0]["name"] = "Ein neuer Wortlaut für Ziel 5.1"  # one goal renamed: one change
    path = tmp_path / "eine_aenderung.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    code, out, _ = run(capsys, "load-strategy", str(path), "--dry-run")
    assert code == 0
    assert out.splitlines()[-1] == "1 Änderung würde geändert (Probelauf, nichts gespeichert)."
    code, out, _ = run(capsys, "load-strategy", str(path))
    assert out.splitlines()[-1] == "1 Änderung gespeichert."


def test_undo_of_one_report_in_the_singular(db, capsys, tmp_path):
    with transaction(make_engine(db)) as session:
        add_measure(session, "M-5.1.01", "5.1", end=dt.date(2027, 12, 31))
    template = tmp_path / "vorlage.xlsx"
    assert run(capsys, "template", "--period", "2026-H2", "-o", str(template))[0] == 0
    filled = tmp_path / "ausgefuellt.xlsx"
    filled.write_bytes(xf.fill_all(template.read_bytes(), {"status": "in Umsetzung", "light": "grün", "progress": 30}))
    code, out, _ = run(capsys, "import", str(filled))
    assert code == 0
    # One measure, no indicators: one report written, no values.
    write_id = int(re.search(r"Gespeichert als Import (\d+): 1 Meldung, 0 Kennzahlwerte\.", out).group(1))
    code, out, _ = run(capsys, "undo", str(write_id))
    assert out == f"Import {write_id} rückgängig gemacht: 1 Zeile auf den früheren Stand gesetzt.\n"


def test_a_session_of_one_minute_expires_in_the_singular(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tracking.access import Actor
    from tracking.bootstrap import init_database

    url = new_database_url(tmp_path / "minute.sqlite")
    init_database(make_engine(url), actor="test", today=REFERENCE_DATE)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("TRACKING_SESSION_MINUTES", "1")
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["angemeldet"] = Actor(name="Test Admin", role="admin")
    at.session_state["zuletzt_aktiv"] = dt.datetime.now() - dt.timedelta(minutes=2)
    at.run()
    assert at.info[0].value == "Ihre Sitzung ist nach 1 Minute ohne Aktivität abgelaufen. Bitte neu anmelden."


# --- 7. control characters from the data are shown, never executed ---------


def test_import_preview_escapes_control_characters(db, capsys, tmp_path):
    with transaction(make_engine(db)) as session:
        add_measure(session, "M-5.1.01", "5.1", end=dt.date(2027, 12, 31))
    template = tmp_path / "vorlage.xlsx"
    assert run(capsys, "template", "--period", "2026-H2", "-o", str(template))[0] == 0
    values = {"status": "in Umsetzung", "light": "grün", "progress": 30, "comment": "Kommentar"}
    first = tmp_path / "erster.xlsx"
    first.write_bytes(xf.fill_all(template.read_bytes(), values))
    assert run(capsys, "import", str(first))[0] == 0
    # The same report again with a comment holding ESC sequences: the preview shows the changed comment.
    values["comment"] = f"Kommentar {PLACEHOLDER} Ende"
    hostile_name = tmp_path / "bericht\x1b[2J.xlsx"  # the file's name is printed too
    hostile_name.write_bytes(with_control_characters(xf.fill_all(template.read_bytes(), values)))

    # Refused at the cell (control characters are not stored); nothing raw reaches the terminal.
    code, out, err = run(capsys, "import", str(hostile_name), "--dry-run")
    assert code == 1
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "Spalte K (Kommentar / Begründung): Der Text enthält unzulässige Steuerzeichen (U+0007, U+001B)" in err


def test_lists_escape_control_characters_from_the_data(db, capsys, tmp_path):
    engine = make_engine(db)
    with transaction(engine) as session:
        add_measure(session, "M-5.1.01", "5.1", end=dt.date(2027, 12, 31))
    template = tmp_path / "vorlage.xlsx"
    assert run(capsys, "template", "--period", "2026-H2", "-o", str(template))[0] == 0
    hostile_name = tmp_path / f"bericht{ESC}.xlsx"
    hostile_name.write_bytes(
        xf.fill_all(template.read_bytes(), {"status": "in Umsetzung", "light": "grün", "progress": 30})
    )
    code, _, err = run(capsys, "--user", f"Eva{ESC}", "import", str(hostile_name))
    assert code == 0, err
    assert run(capsys, "users", "add", "eva", "--role", "admin", "--name", "Eva Muster")[0] == 0
    with transaction(engine) as session:  # as if written by an older version, before names were checked
        session.execute(update(UserAccount).where(UserAccount.username == "eva").values(display_name=f"Eva {ESC}"))
        session.execute(update(Measure).where(Measure.code == "M-5.1.01").values(title=f"Titel {ESC}"))

    for command in (["imports"], ["users", "list"], ["audit"], ["audit", "--text", "\x1b"]):
        code, out, err = run(capsys, *command)
        assert code == 0, err
        assert "\x1b" not in out + err and "\x07" not in out + err, command
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in run(capsys, "imports")[1]


def test_catalogue_preview_escapes_control_characters(db, capsys, tmp_path):
    from openpyxl import load_workbook

    from tracking.catalogue import MEASURE_SHEET

    with transaction(make_engine(db)) as session:
        add_measure(session, "M-5.1.01", "5.1", end=dt.date(2027, 12, 31))
    path = tmp_path / "katalog.xlsx"
    assert run(capsys, "catalogue", "export", "-o", str(path))[0] == 0
    workbook = load_workbook(path)
    workbook[MEASURE_SHEET]["C2"] = f"Neuer Titel {PLACEHOLDER}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    path.write_bytes(with_control_characters(buffer.getvalue()))
    code, out, err = run(capsys, "catalogue", "import", str(path), "--dry-run")
    assert "\x1b" not in out + err and "\x07" not in out + err
    if code == 0:  # accepted today; refused once titles are checked for control characters
        assert "→ Neuer Titel \\x1b]0;pwned\\x07\\x1b[2J" in out


def test_error_messages_escape_control_characters(db):
    result = cli("import", f"fehlt{ESC}.xlsx", env={"DATABASE_URL": db})
    assert result.returncode == 1
    assert "\x1b" not in result.stderr and "fehlt\\x1b]0;pwned" in result.stderr
    result = cli("report", "--format", f"x{ESC}", "-o", "x.pptx")
    assert result.returncode == 2
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
