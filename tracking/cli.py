"""Command line: `python -m tracking ...`. Parses arguments and calls the library."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
import time
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from tracking import formatting as fmt
from tracking.bootstrap import init_database
from tracking.db import database_url, make_engine, transaction
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, import_history, plan_import
from tracking.excel_template import build_template
from tracking.files import output_file, read_file, write_file
from tracking.formatting import count
from tracking.german_argparse import GermanArgumentParser
from tracking.periods import all_periods, current_period, resolve_period, set_period_open
from tracking.rollup import load_snapshot
from tracking.scope import Scope
from tracking.strategy import load_strategy_file, preview_strategy_file
from tracking.summary import summary_text
from tracking.text_rules import printable


def say(text: object = "", *, file=None, flush: bool = False) -> None:
    """Print a line for the person at the terminal: everything the CLI prints goes through here.

    Names, titles, comments and file names come from data; their control
    characters (ESC sequences that clear the screen or set the window title)
    are shown escaped (\\x1b), never executed.
    """
    print(printable(text), file=file or sys.stdout, flush=flush)


def _actor(args: argparse.Namespace) -> str:
    return args.user or os.environ.get("TRACKING_USER") or getpass.getuser()


def _date(text: str) -> dt.date:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"Datum «{text}» ungültig: erwartet 31.12.2026 oder 2026-12-31.")


def _whole_number(text: str) -> int:
    try:
        return int(text.replace("'", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» ist keine ganze Zahl, erwartet z. B. 20.") from None


def cmd_init(args: argparse.Namespace) -> int:
    engine = make_engine()
    result = init_database(engine, actor=_actor(args), demo=args.demo, today=args.today)
    for message in result.messages:
        say(message)
    say(f"Datenbank: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from tracking.synthetic import generate_synthetic

    engine = make_engine()
    init_database(engine, actor=_actor(args), demo=False, today=args.today)
    started = time.perf_counter()

    def show(fraction: float, text: str) -> None:
        say(f"[{fraction:4.0%}] {text}", file=sys.stderr, flush=True)

    with transaction(engine, write=True) as session:
        result = generate_synthetic(
            session, measures=args.measures, periods=args.periods, seed=args.seed, today=args.today, progress=show
        )
    periods = (
        f"Periode {result.periods[0]}"
        if len(result.periods) == 1
        else f"Perioden {result.periods[0]} bis {result.periods[-1]}"
    )
    say(
        f"Erzeugt: {count(result.measures, 'Massnahme', 'Massnahmen')}, "
        f"{count(result.reports, 'Statusbericht', 'Statusberichte')}, {periods} "
        f"({time.perf_counter() - started:.1f} s)."
    )
    return 0


def cmd_load_strategy(args: argparse.Namespace) -> int:
    engine = make_engine()
    if args.dry_run:
        result = preview_strategy_file(engine, args.file, actor=_actor(args), today=args.today)
    else:
        with transaction(engine, write=True) as session:
            result = load_strategy_file(session, args.file, actor=_actor(args), today=args.today)
    if not result.changes:
        say("Keine Änderungen: die Datenbank entspricht der Datei bereits.")
        return 0
    for line in result.changes:
        say(line)
    n = len(result.changes)
    if args.dry_run:
        verb = ("würde" if n == 1 else "würden") + " geändert (Probelauf, nichts gespeichert)"
    else:
        verb = "gespeichert"
    say(f"{count(n, 'Änderung', 'Änderungen')} {verb}.")
    return 0


def cmd_periods(args: argparse.Namespace) -> int:
    engine = make_engine()
    if args.action == "list":
        with transaction(engine) as session:
            periods = all_periods(session)
            if not periods:
                say("Noch keine Berichtsperioden. Zuerst: python -m tracking init")
            for p in periods:
                state = "offen" if p.is_open else "geschlossen"
                say(f"{p.name}  {fmt.date(p.start_date)} – {fmt.date(p.end_date)}  {state}")
        return 0
    if not args.name:
        raise TrackingError(f"Bitte die Periode angeben, z. B.: python -m tracking periods {args.action} 2026-H2")
    is_open = args.action == "open"
    with transaction(engine, write=True) as session:
        changed = set_period_open(session, name=args.name, is_open=is_open, actor=_actor(args))
    word = "geöffnet" if is_open else "geschlossen"
    say(f"Periode {args.name} {word}." if changed else f"Periode {args.name} war bereits {word}.")
    return 0


def _snapshot_and_period(period: str | None, today: dt.date | None, *, with_measures: bool = True) -> tuple:
    """All data for the roll-ups (or the structure only), and the period asked for (default: the
    current one) resolved with its reference day (today: --today, else the clock)."""
    with transaction(make_engine()) as session:
        snap = load_snapshot(session, with_measures=with_measures)
        if period is None:
            found = current_period(session)
            if found is None:
                raise TrackingError("Noch keine Berichtsperioden. Zuerst: python -m tracking init")
            period = found.name
        if period not in set(snap.periods["period"]):
            known = ", ".join(snap.periods["period"]) or "keine"
            raise TrackingError(f"Berichtsperiode «{period}» gibt es nicht (vorhanden: {known}).")
        return snap, resolve_period(session, period, today=today)


def cmd_summary(args: argparse.Namespace) -> int:
    snap, period = _snapshot_and_period(args.period, args.today)
    say(summary_text(snap, period.name, as_of=period.reference_day))
    return 0


REPORT_FORMATS = {"pptx": "PowerPoint", "pdf": "PDF", "xlsx": "Excel"}


def cmd_report(args: argparse.Namespace) -> int:
    from tracking import council_export
    from tracking.council import load_council_content

    kind = args.format or Path(args.output).suffix.lower().lstrip(".")
    output = output_file(args.output, example=f"sitzungsbericht.{kind if kind in REPORT_FORMATS else 'pptx'}")
    if kind not in REPORT_FORMATS:
        raise TrackingError(
            f"Format für «{output.name}» unklar: bitte --format pptx, pdf oder xlsx angeben "
            "(oder eine Zieldatei mit dieser Endung)."
        )
    _, period = _snapshot_and_period(args.period, args.today, with_measures=False)
    with transaction(make_engine()) as session:
        content = load_council_content(session, period.name, as_of=period.reference_day)
    export = {"pptx": council_export.to_pptx, "pdf": council_export.to_pdf, "xlsx": council_export.to_xlsx}[kind]
    write_file(output, export(content))
    say(f"Sitzungsbericht {period.name} ({REPORT_FORMATS[kind]}) gespeichert: {output}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    output_file(args.output, example="vorlage.xlsx")
    engine = make_engine()
    scope = Scope.of(field=args.field, department=args.department)
    with transaction(engine) as session:
        data = build_template(session, period=args.period, scope=scope, generated_by=_actor(args))
    write_file(args.output, data)
    say(f"Vorlage für {args.period} ({scope.label}) gespeichert: {args.output}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = read_file(path)
    engine = make_engine()
    with transaction(engine, write=True) as session:
        plan = plan_import(session, data, path.name, expected_period=args.period)
        for line in plan.summary_lines():
            say(line)
        if args.dry_run:
            say("Probelauf: nichts gespeichert.")
            return 0
        if not plan.has_changes:
            say("Keine Änderungen: nichts gespeichert.")
            return 0
        result = apply_import(session, plan, actor=_actor(args))
    say(
        f"Gespeichert als Import {result.write_id}: {count(result.reports_written, 'Meldung', 'Meldungen')}, "
        f"{count(result.values_written, 'Kennzahlwert', 'Kennzahlwerte')}. "
        f"Rückgängig: python -m tracking undo {result.write_id}"
    )
    return 0


def cmd_undo(args: argparse.Namespace) -> int:
    from tracking.undo import undo

    engine = make_engine()
    with transaction(engine, write=True) as session:
        result = undo(session, args.import_id, _actor(args))
    say(f"{result.label} rückgängig gemacht: {count(result.rows, 'Zeile', 'Zeilen')} auf den früheren Stand gesetzt.")
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:
    from tracking.catalogue import apply_catalogue, export_catalogue, plan_catalogue

    if args.action == "export":
        output_file(args.output, example="katalog.xlsx")
        with transaction(make_engine()) as session:
            data = export_catalogue(session, generated_by=_actor(args))
        write_file(args.output, data)
        say(f"Katalog gespeichert: {args.output}")
        return 0
    path = Path(args.file)
    data = read_file(path)
    with transaction(make_engine(), write=True) as session:
        plan = plan_catalogue(session, data, path.name)
        for line in plan.summary_lines():
            say(line)
        if args.dry_run:
            say("Probelauf: nichts gespeichert.")
            return 0
        write_id = apply_catalogue(session, plan, actor=_actor(args))
    if write_id is None:
        say("Keine Änderungen: nichts gespeichert.")
    else:
        say(f"Gespeichert als Katalog-Import {write_id} (rückgängig: python -m tracking undo {write_id}).")
    return 0


def cmd_imports(args: argparse.Namespace) -> int:
    engine = make_engine()
    with transaction(engine) as session:
        history = import_history(session)
    if not history:
        say("Noch keine Importe.")
    for item in history:
        undone = f"  [rückgängig gemacht durch {item['undone_by']}]" if item["undone_by"] else ""
        say(
            f"{item['id']:>5}  {fmt.datetime(item['at'])}  {item['actor']}  {item['source']}  {item['summary']}{undone}"
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tracking.backup import export_workbook

    output_file(args.output, example="export.xlsx")
    engine = make_engine()
    with transaction(engine) as session:
        data = export_workbook(session)
    write_file(args.output, data)
    say(f"Alle Daten exportiert: {args.output}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from tracking import schema
    from tracking.backup import restore_workbook

    data = read_file(args.file)
    engine = make_engine()
    schema.upgrade(engine)
    with transaction(engine, write=True) as session:
        counts = restore_workbook(session, data, actor=_actor(args))
    say(
        f"Wiederhergestellt: {count(sum(counts.values()), 'Zeile', 'Zeilen')} in "
        f"{count(len(counts), 'Tabelle', 'Tabellen')}."
    )
    return 0


def _codes(text: str | None) -> list[str]:
    """«AF1, af5» -> ["AF1", "AF5"]; an empty text is an empty list."""
    return [c.strip().upper() for c in (text or "").split(",") if c.strip()]


def _check_codes(session, fields: list[str], departments: list[str]) -> None:
    from sqlalchemy import select

    from tracking.models import ActionField, Department

    problems = []
    if fields:
        known = list(session.scalars(select(ActionField.code).order_by(ActionField.position)))
        problems += [
            f"Aktionsfeld «{c}» gibt es nicht (vorhanden: {', '.join(known) or 'keine'})."
            for c in fields
            if c not in known
        ]
    if departments:
        known = list(session.scalars(select(Department.code).order_by(Department.code)))
        problems += [
            f"Departement «{c}» gibt es nicht (vorhanden: {', '.join(known) or 'keine'})."
            for c in departments
            if c not in known
        ]
    if problems:
        raise TrackingError(problems)


def _read_password() -> str:
    """The password from standard input (first line); asked twice, hidden, at a terminal."""
    if sys.stdin.isatty():
        password = getpass.getpass("Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != password:
            raise TrackingError("Die beiden Passwörter stimmen nicht überein.")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise TrackingError("Kein Passwort erhalten: mit --password-stdin das Passwort als erste Zeile übergeben.")
    return password


def _scope_text(user) -> str:
    from tracking.users import actor_for

    if user.role in ("admin", "koordination"):
        return actor_for(user).scope_label
    if user.role == "departementsleitung" and user.home_department:
        return f"Departement {user.home_department}"
    return "–"


def cmd_users(args: argparse.Namespace) -> int:
    from tracking import schema
    from tracking.access import ROLES
    from tracking.users import UserSpec, create_user, list_users, set_password, update_user

    engine = make_engine()
    schema.upgrade(engine)
    if args.action == "list":
        with transaction(engine) as session:
            users = list_users(session)
            rows = [
                [
                    u.username,
                    u.display_name,
                    ROLES.get(u.role, u.role),
                    _scope_text(u),
                    "aktiv" if u.active else "deaktiviert",
                    fmt.datetime(u.last_login_at) if u.last_login_at else "nie",
                ]
                for u in users
            ]
        if not rows:
            say(
                "Noch keine Benutzer. Den ersten Administrator anlegen: python -m tracking users add admin "
                '--role admin --name "Vorname Name" --password-stdin'
            )
            return 0
        header = ["Benutzername", "Name", "Rolle", "Geltungsbereich", "Status", "Letzte Anmeldung"]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        return 0

    if args.action == "add":
        password = _read_password() if args.password_stdin else None
        spec = UserSpec(
            username=args.username,
            display_name=(args.name or "").strip(),
            role=(args.role or "").strip(),
            scope_fields=_codes(args.fields),
            scope_departments=_codes(args.departments),
            home_department=(args.home_department or "").strip().upper() or None,
            email=(args.email or "").strip().lower() or None,
        )
        with transaction(engine, write=True) as session:
            home = [spec.home_department] if spec.home_department else []
            _check_codes(session, spec.scope_fields, spec.scope_departments + home)
            user = create_user(session, spec, password=password, actor=_actor(args))
            scope = _scope_text(user)
            role = ROLES[user.role]
        sign_in = "mit Passwort" if password else "nur über Single Sign-on (kein Passwort)"
        detail = role if scope == "–" else f"{role}, {scope}"
        say(f"Benutzer «{user.username}» angelegt ({detail}); Anmeldung {sign_in}.")
        return 0

    if args.action == "password":
        if not args.password_stdin:
            raise TrackingError(
                f"Bitte das Passwort mit --password-stdin übergeben: python -m tracking users password "
                f"{args.username} --password-stdin"
            )
        password = _read_password()
        with transaction(engine, write=True) as session:
            set_password(session, args.username, password, actor=_actor(args))
        say(f"Passwort für «{args.username.strip().lower()}» gesetzt (eine allfällige Sperre ist aufgehoben).")
        return 0

    if args.action in ("disable", "enable"):
        active = args.action == "enable"
        with transaction(engine, write=True) as session:
            changed = update_user(session, args.username, active=active, actor=_actor(args))
        word = "aktiviert" if active else "deaktiviert"
        name = args.username.strip().lower()
        say(f"Benutzer «{name}» {word}." if changed else f"Benutzer «{name}» war bereits {word}.")
        return 0

    # change
    changes: dict = {}
    if args.role is not None:
        changes["role"] = args.role.strip()
    if args.name is not None:
        changes["display_name"] = args.name.strip()
    if args.fields is not None:
        changes["scope_fields"] = _codes(args.fields)
    if args.departments is not None:
        changes["scope_departments"] = _codes(args.departments)
    if args.home_department is not None:
        changes["home_department"] = args.home_department.strip().upper() or None
    if args.email is not None:
        changes["email"] = args.email.strip().lower() or None
    if not changes:
        raise TrackingError(
            "Nichts zu ändern: bitte mindestens eine Angabe machen "
            "(--role, --name, --fields, --departments, --home-department, --email)."
        )
    with transaction(engine, write=True) as session:
        home = [changes["home_department"]] if changes.get("home_department") else []
        _check_codes(session, changes.get("scope_fields", []), changes.get("scope_departments", []) + home)
        changed = update_user(session, args.username, actor=_actor(args), **changes)
    name = args.username.strip().lower()
    say(f"Benutzer «{name}» geändert." if changed else f"Benutzer «{name}»: keine Änderung.")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from tracking.audit import audit_entries, audit_workbook

    if args.since and args.until and args.since > args.until:
        raise TrackingError(f"--since {fmt.date(args.since)} liegt nach --until {fmt.date(args.until)}.")
    if args.output:
        output_file(args.output, example="protokoll.xlsx")
    engine = make_engine()
    with transaction(engine) as session:
        entries = audit_entries(
            session,
            actor=args.filter_user,
            action=args.action,
            since=args.since,
            until=args.until,
            text=args.text,
        )
    if args.output:
        write_file(args.output, audit_workbook(entries))
        say(f"Protokoll mit {count(len(entries), 'Eintrag', 'Einträgen')} gespeichert: {args.output}")
        return 0
    if entries.empty:
        say("Keine Einträge im Protokoll für diese Auswahl.")
        return 0
    for e in entries.itertuples(index=False):
        before = e.Vorher if isinstance(e.Vorher, str) else "–"
        after = e.Nachher if isinstance(e.Nachher, str) else "–"
        say(
            f"{e.Vorgang:>5}  {fmt.datetime(e.Zeit)}  {e.Person}  {e.Aktion} ({e.Quelle})  "
            f"{e.Tabelle} {e.Zeile}: {e.Art}  {before} → {after}"
        )
    say(f"{count(len(entries), 'Eintrag', 'Einträge')}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = GermanArgumentParser(
        prog="python -m tracking",
        description="Monitoring der Strategie «Digitaler Wandel» des Kantons Luzern. "
        "Datenbank über DATABASE_URL (Standard: SQLite-Datei data/tracking.sqlite).",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="handelnde Person für das Protokoll (Standard: TRACKING_USER oder Systembenutzer)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="BEFEHL")

    p = sub.add_parser(
        "init",
        help="Schema anlegen, Strategie laden, optional Demodaten",
        description=(
            "Legt das Datenbankschema an (oder aktualisiert es), lädt die Luzerner Strategie und "
            "mit --demo Demodaten. Eine bestehende Datenbank bleibt, wie sie ist."
        ),
    )
    p.add_argument("--demo", action="store_true", help="Demodaten erzeugen (fester Seed)")
    p.add_argument(
        "--today",
        type=_date,
        metavar="DATUM",
        help="Stichtag statt heute (für Demodaten und Perioden), z. B. 15.11.2026",
    )
    p.set_defaults(func=cmd_init)

    p = sub.add_parser(
        "generate",
        help="grosse synthetische Daten für Last- und Skalierungstests",
        description=(
            "Legt in einer Datenbank ohne Massnahmen viele nummerierte Massnahmen mit Statusberichten über "
            "mehrere Halbjahre an (als Demodaten markiert), z. B. 100'000 Massnahmen über 20 Perioden."
        ),
    )
    p.add_argument(
        "--measures", type=_whole_number, metavar="ANZAHL", default=100_000, help="Anzahl Massnahmen (Standard 100000)"
    )
    p.add_argument(
        "--periods", type=_whole_number, metavar="ANZAHL", default=20, help="Anzahl Halbjahre bis heute (Standard 20)"
    )
    p.add_argument("--seed", type=_whole_number, metavar="ZAHL", default=7, help="Zufallsstartwert (Standard 7)")
    p.add_argument("--today", type=_date, metavar="DATUM", help="Stichtag statt heute, z. B. 15.11.2026")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser(
        "load-strategy",
        help="Strategie-Definition (YAML) laden",
        description=(
            "Lädt eine Strategie-Definition. Gleiche Datei nochmals: keine Änderung. Geänderte Datei: "
            "benennt um und ergänzt; nicht mehr Aufgeführtes wird ausser Kraft gesetzt, nicht gelöscht."
        ),
    )
    p.add_argument("file", metavar="DATEI", help="YAML-Datei, z. B. data/strategy_luzern.yaml")
    p.add_argument("--dry-run", action="store_true", help="nur zeigen, was sich ändern würde")
    p.add_argument("--today", type=_date, metavar="DATUM", help="Stichtag für neue Perioden (Standard: heute)")
    p.set_defaults(func=cmd_load_strategy)

    p = sub.add_parser(
        "periods",
        help="Berichtsperioden auflisten, öffnen, schliessen",
        description=("list: alle Perioden; open NAME / close NAME: Periode öffnen oder schliessen."),
    )
    p.add_argument("action", choices=["list", "open", "close"], nargs="?", default="list", help="list, open oder close")
    p.add_argument("name", nargs="?", metavar="PERIODE", help="z. B. 2026-H2")
    p.set_defaults(func=cmd_periods)

    p = sub.add_parser(
        "summary",
        help="Kennzahlen und Matrix einer Periode als Text",
        description=("Kopfzahlen und die Matrix Aktionsfelder × Kernziele einer Periode als Texttabelle."),
    )
    p.add_argument("--period", metavar="PERIODE", help="z. B. 2026-H2 (Standard: aktuelle Periode)")
    p.add_argument(
        "--today", type=_date, metavar="DATUM", help="Datum, das als heute gilt (Plan/Ist einer offenen Periode)"
    )
    p.set_defaults(func=cmd_summary)

    p = sub.add_parser(
        "report",
        help="Sitzungsbericht für den Regierungsrat (pptx, pdf, xlsx)",
        description=(
            "Schreibt den Sitzungsbericht einer Periode: Zusammenfassung, Matrix Aktionsfelder × Kernziele, "
            "eine Seite pro Aktionsfeld, gefährdete Massnahmen, Entscheidungsbedarf und alle Massnahmen. "
            "PowerPoint und PDF brauchen Chromium für die Grafiken."
        ),
    )
    p.add_argument("--period", metavar="PERIODE", help="z. B. 2026-H2 (Standard: aktuelle Periode)")
    p.add_argument(
        "--format",
        choices=list(REPORT_FORMATS),
        help="pptx, pdf oder xlsx (Standard: aus der Endung der Zieldatei)",
    )
    p.add_argument("-o", "--output", required=True, metavar="DATEI", help="Zieldatei, z. B. bericht.pptx")
    p.add_argument(
        "--today", type=_date, metavar="DATUM", help="Datum, das als heute gilt (Plan/Ist einer offenen Periode)"
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser(
        "template",
        help="Excel-Vorlage für einen Statusbericht erzeugen",
        description=(
            "Schreibt die Statusbericht-Vorlage einer offenen Periode für ein Aktionsfeld, ein Departement "
            "oder alle Massnahmen."
        ),
    )
    p.add_argument("--period", required=True, metavar="PERIODE", help="z. B. 2026-H2")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--field", metavar="FELD", help="Aktionsfeld, z. B. AF5")
    group.add_argument("--department", metavar="DEP", help="Departement, z. B. GSD")
    p.add_argument("-o", "--output", required=True, metavar="DATEI.xlsx", help="Zieldatei")
    p.set_defaults(func=cmd_template)

    p = sub.add_parser(
        "import",
        help="ausgefüllten Statusbericht (xlsx) importieren",
        description=(
            "Prüft die Datei vollständig, zeigt, was sich ändert, und speichert alles in einem Schritt "
            "(oder nichts). Mit --dry-run wird nur geprüft."
        ),
    )
    p.add_argument("file", metavar="DATEI.xlsx")
    p.add_argument("--dry-run", action="store_true", help="nur prüfen und Änderungen zeigen, nichts speichern")
    p.add_argument("--period", metavar="PERIODE", help="nur annehmen, wenn die Vorlage für diese Periode ist")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser(
        "undo",
        help="einen Import (Statusbericht oder Katalog) rückgängig machen",
        description=(
            "Setzt alle Meldungen eines Imports auf den Stand davor zurück (die Geschichte bleibt erhalten); "
            "bei einem Katalog-Import die Massnahmen und Kennzahlen."
        ),
    )
    p.add_argument("import_id", type=_whole_number, metavar="IMPORT_ID", help="Nummer aus «python -m tracking imports»")
    p.set_defaults(func=cmd_undo)

    p = sub.add_parser("imports", help="Liste der Importe", description="Alle Importe, neueste zuerst.")
    p.set_defaults(func=cmd_imports)

    p = sub.add_parser(
        "export",
        help="alle Daten als Excel-Datei sichern",
        description=(
            "Schreibt alle Daten (Strategie, Massnahmen, alle Berichte mit Geschichte, Kennzahlen, Importe, "
            "Protokoll) in eine Excel-Datei, ein Blatt pro Tabelle."
        ),
    )
    p.add_argument("-o", "--output", required=True, metavar="DATEI.xlsx")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "restore",
        help="Export in eine leere Datenbank laden",
        description=("Lädt eine mit «export» erstellte Datei in eine leere Datenbank."),
    )
    p.add_argument("file", metavar="DATEI.xlsx")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser(
        "catalogue",
        help="Massnahmenkatalog als Excel ausgeben oder einlesen",
        description=(
            "Alle Massnahmen und Kennzahlen als Excel-Datei (export) oder eine bearbeitete Datei prüfen und "
            "speichern (import): neue anlegen, geänderte nachführen, mit Aktiv «nein» ausser Kraft setzen."
        ),
    )
    catalogue = p.add_subparsers(dest="action", required=True, metavar="AKTION")
    q = catalogue.add_parser("export", help="Katalog als Excel-Datei speichern")
    q.add_argument("-o", "--output", required=True, metavar="DATEI.xlsx")
    q = catalogue.add_parser("import", help="bearbeiteten Katalog prüfen und speichern")
    q.add_argument("file", metavar="DATEI.xlsx")
    q.add_argument("--dry-run", action="store_true", help="nur prüfen und Änderungen zeigen, nichts speichern")
    p.set_defaults(func=cmd_catalogue)

    p = sub.add_parser(
        "users",
        help="Benutzerkonten auflisten, anlegen, ändern, sperren",
        description=(
            "Benutzerkonten und Rollen (admin, koordination, departementsleitung, regierungsrat). "
            "Wer die Kommandozeile auf dem Server bedient, handelt als Administration."
        ),
    )
    users = p.add_subparsers(dest="action", required=True, metavar="AKTION")

    def user_options(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--fields", metavar="FELDER", help="Geltungsbereich einer Koordination: Aktionsfelder, z. B. AF1,AF5"
        )
        q.add_argument(
            "--departments", metavar="DEPS", help="Geltungsbereich einer Koordination: Departemente, z. B. GSD,FD"
        )
        q.add_argument("--home-department", metavar="DEP", help="vorgewähltes Departement, z. B. GSD")
        q.add_argument("--email", metavar="E-MAIL", help="E-Mail für Single Sign-on, z. B. vorname.name@lu.ch")

    q = users.add_parser("list", help="alle Benutzer", description="Alle Benutzerkonten mit Rolle und Status.")
    q.set_defaults(func=cmd_users)

    q = users.add_parser(
        "add",
        help="Benutzer anlegen",
        description=(
            "Legt ein Benutzerkonto an. Mit --password-stdin wird das Passwort (mindestens 10 Zeichen) als erste "
            "Zeile der Standardeingabe gelesen; ohne meldet sich die Person nur über Single Sign-on an."
        ),
    )
    q.add_argument("username", metavar="BENUTZERNAME", help="Kleinbuchstaben, Ziffern, . _ -, z. B. anna.muster")
    q.add_argument(
        "--role", required=True, metavar="ROLLE", help="admin, koordination, departementsleitung, regierungsrat"
    )
    q.add_argument("--name", required=True, metavar="NAME", help='Vorname und Name, z. B. "Anna Muster"')
    user_options(q)
    q.add_argument("--password-stdin", action="store_true", help="Passwort von der Standardeingabe lesen")
    q.set_defaults(func=cmd_users)

    q = users.add_parser(
        "password",
        help="Passwort setzen",
        description="Setzt ein neues Passwort (erste Zeile der Standardeingabe) und hebt eine Sperre auf.",
    )
    q.add_argument("username", metavar="BENUTZERNAME")
    q.add_argument("--password-stdin", action="store_true", help="Passwort von der Standardeingabe lesen (nötig)")
    q.set_defaults(func=cmd_users)

    for name, text in (("disable", "deaktivieren (keine Anmeldung mehr)"), ("enable", "wieder aktivieren")):
        q = users.add_parser(name, help=f"Benutzer {text}", description=f"Benutzerkonto {text}.")
        q.add_argument("username", metavar="BENUTZERNAME")
        q.set_defaults(func=cmd_users)

    q = users.add_parser(
        "change",
        help="Rolle, Name, Geltungsbereich oder E-Mail ändern",
        description='Ändert nur die angegebenen Angaben; ein leerer Wert ("") leert Geltungsbereich oder E-Mail.',
    )
    q.add_argument("username", metavar="BENUTZERNAME")
    q.add_argument("--role", metavar="ROLLE", help="admin, koordination, departementsleitung, regierungsrat")
    q.add_argument("--name", metavar="NAME", help="Vorname und Name")
    user_options(q)
    q.set_defaults(func=cmd_users)

    p = sub.add_parser(
        "audit",
        help="Protokoll aller Schreibvorgänge",
        description=(
            "Zeigt das Protokoll: pro geänderter Zeile wer, wann, was, vorher und nachher, neueste zuerst. "
            "Mit -o als Excel-Datei."
        ),
    )
    p.add_argument(
        "--user",
        dest="filter_user",
        metavar="NAME",
        help="nur Vorgänge dieses Benutzerkontos (Benutzername; die Kommandozeile: ihr Name)",
    )
    p.add_argument(
        "--action",
        metavar="CODE",
        help="nur diese Aktion: import, undo, load-strategy, open-period, close-period, periods, user, demo, restore",
    )
    p.add_argument("--since", type=_date, metavar="DATUM", help="ab diesem Tag, z. B. 01.01.2026")
    p.add_argument("--until", type=_date, metavar="DATUM", help="bis und mit diesem Tag, z. B. 31.12.2026")
    p.add_argument("--text", metavar="TEXT", help="Suche in Zeile, Quelle und Person")
    p.add_argument("-o", "--output", metavar="DATEI.xlsx", help="als Excel-Datei speichern statt anzeigen")
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except TrackingError as exc:
        for message in exc.messages:
            say(f"Fehler: {message}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        say(
            f"Fehler: Datenbank nicht erreichbar oder fehlerhaft ({database_url().split('@')[-1]}): "
            f"{exc.__class__.__name__}",
            file=sys.stderr,
        )
        return 2
