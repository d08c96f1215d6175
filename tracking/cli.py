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
from tracking import schema
from tracking.audit import audit_entries, audit_workbook
from tracking.backup import export_workbook, restore_workbook
from tracking.bootstrap import init_database
from tracking.catalogue import apply_catalogue, plan_catalogue
from tracking.catalogue_export import export_catalogue
from tracking.cli_parser import REPORT_FORMATS, build_parser, date_argument
from tracking.council import load_council_content
from tracking.db import database_url, make_engine, transaction
from tracking.errors import TrackingError
from tracking.excel_import import apply_import, import_history, plan_import
from tracking.excel_template import build_template
from tracking.figures import period_figures
from tracking.files import output_file, read_file, write_file
from tracking.formatting import count
from tracking.frozen import set_period_open
from tracking.opendata import public_base_url, release_files, write_release
from tracking.periods import Period, all_periods, current_period, deadline_text, due_within, get_period, set_deadline
from tracking.public import public_view
from tracking.reminders import mail_settings, remind
from tracking.scope import Scope
from tracking.snapshot import Snapshot, load_snapshot
from tracking.strategy import load_strategy_file, preview_strategy_file
from tracking.summary import summary_text
from tracking.synthetic import generate_synthetic
from tracking.text_rules import printable
from tracking.undo import undo
from tracking.users import (
    USER_LIST_COLUMNS,
    UserSpec,
    check_codes,
    create_user,
    role_and_scope,
    set_password,
    update_user,
    user_rows,
)


def say(text: object = "", *, file=None, flush: bool = False) -> None:
    """Print a line for the person at the terminal: everything the CLI prints goes through here.

    Names, titles, comments and file names come from data; their control
    characters (ESC sequences that clear the screen or set the window title)
    are shown escaped (\\x1b), never executed.
    """
    print(printable(text), file=file or sys.stdout, flush=flush)


def _actor(args: argparse.Namespace) -> str:
    return args.user or os.environ.get("TRACKING_USER") or getpass.getuser()


def cmd_init(args: argparse.Namespace) -> int:
    engine = make_engine()
    result = init_database(engine, actor=_actor(args), demo=args.demo, today=args.today)
    for message in result.messages:
        say(message)
    say(f"Datenbank: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_generate(args: argparse.Namespace) -> int:

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
                due = f"  {deadline_text(p.deadline)}" if p.deadline else ""
                say(f"{p.name}  {fmt.date(p.start_date)} – {fmt.date(p.end_date)}  {state}{due}")
        return 0
    if not args.name:
        raise TrackingError(f"Bitte die Periode angeben, z. B.: python -m tracking periods {args.action} 2026-H2")
    if args.action == "deadline":
        return _set_deadline(args)
    is_open = args.action == "open"
    with transaction(engine, write=True) as session:
        changed = set_period_open(session, name=args.name, is_open=is_open, actor=_actor(args))
    word = "geöffnet" if is_open else "geschlossen"
    say(f"Periode {args.name} {word}." if changed else f"Periode {args.name} war bereits {word}.")
    return 0


def _set_deadline(args: argparse.Namespace) -> int:
    if not args.deadline:
        raise TrackingError(
            f"Bitte den Meldeschluss angeben, z. B.: python -m tracking periods deadline {args.name} 15.01.2027"
        )
    if args.deadline.strip().lower() in ("keiner", "kein", "-"):
        deadline = None
    else:
        try:
            deadline = date_argument(args.deadline)
        except argparse.ArgumentTypeError as exc:
            raise TrackingError(str(exc)) from None
    with transaction(make_engine(), write=True) as session:
        changed = set_deadline(session, name=args.name, deadline=deadline, actor=_actor(args))
    shown = f"Meldeschluss {args.name}: {fmt.date(deadline)}." if deadline else f"Meldeschluss {args.name} entfernt."
    say(shown if changed else f"{shown} (unverändert)")
    return 0


def cmd_remind(args: argparse.Namespace) -> int:
    engine = make_engine()
    today = args.today or dt.date.today()
    # The settings first: without them nothing is read and nothing is sent.
    settings = None if args.dry_run else mail_settings()
    with transaction(engine) as session:
        name = args.period or _current_period_name(session)
        deadline = get_period(session, name).deadline
    if args.within is not None and not due_within(deadline, args.within, today):
        why = f"{deadline_text(deadline, today)}" if deadline else "Kein Meldeschluss festgelegt"
        say(f"{why}: noch keine Erinnerung (--within {args.within}).")
        return 0
    result = remind(
        lambda write=False: transaction(engine, write=write),
        name,
        actor=_actor(args),
        today=today,
        dry_run=args.dry_run,
        settings=settings,
    )
    verb = "bekäme" if args.dry_run else "erhielt"
    if args.dry_run:
        say("Probelauf: es wird nichts versandt.")
    for r in result.sent:
        codes = ", ".join(m.code for m in r.measures)
        owed = count(len(r.measures), "Massnahme", "Massnahmen")
        say(f"{r.name} <{r.email}> {verb} eine Erinnerung: {owed} ({codes})")
    for r in result.skipped_today:
        say(f"{r.name} <{r.email}>: heute bereits erinnert, nichts versandt")
    for r in result.nothing_owed:
        say(f"{r.name} <{r.email}>: alles gemeldet, keine Erinnerung")
    n = len(result.sent)
    if args.dry_run:
        say(f"{count(n, 'Erinnerung würde', 'Erinnerungen würden')} versandt (Periode {name}).")
    else:
        say(f"{count(n, 'Erinnerung', 'Erinnerungen')} versandt (Periode {name}).")
    return 0


def _current_period_name(session) -> str:
    found = current_period(session)
    if found is None:
        raise TrackingError("Noch keine Berichtsperioden. Zuerst: python -m tracking init")
    return found.name


def _period(session, structure: Snapshot, name: str | None, today: dt.date | None) -> Period:
    """The period asked for (default: the current one) with its reference day (today: --today,
    else the clock); structure: load_snapshot(with_measures=False)."""
    if name is None:
        found = current_period(session)
        if found is None:
            raise TrackingError("Noch keine Berichtsperioden. Zuerst: python -m tracking init")
        name = found.name
    if name not in set(structure.periods["period"]):
        known = ", ".join(structure.periods["period"]) or "keine"
        raise TrackingError(f"Berichtsperiode «{name}» gibt es nicht (vorhanden: {known}).")
    return structure.resolve(name, today)


def cmd_summary(args: argparse.Namespace) -> int:
    # The overview's figures, summed in SQL: no measure or report is read into memory.
    with transaction(make_engine()) as session:
        structure = load_snapshot(session, with_measures=False)
        period = _period(session, structure, args.period, args.today)
        figures = period_figures(session, structure, period.name, as_of=period.reference_day)
    say(summary_text(structure, figures))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    # Imported here: plotly, kaleido, python-pptx and reportlab load only for `report`.
    from tracking import council_export

    kind = args.format or Path(args.output).suffix.lower().lstrip(".")
    output = output_file(args.output, example=f"sitzungsbericht.{kind if kind in REPORT_FORMATS else 'pptx'}")
    if kind not in REPORT_FORMATS:
        raise TrackingError(
            f"Format für «{output.name}» unklar: bitte --format pptx, pdf oder xlsx angeben "
            "(oder eine Zieldatei mit dieser Endung)."
        )
    with transaction(make_engine()) as session:
        period = _period(session, load_snapshot(session, with_measures=False), args.period, args.today)
        content = load_council_content(session, period.name, as_of=period.reference_day)
    export = {"pptx": council_export.to_pptx, "pdf": council_export.to_pdf, "xlsx": council_export.to_xlsx}[kind]
    write_file(output, export(content))
    say(f"Sitzungsbericht {period.name} ({REPORT_FORMATS[kind]}) gespeichert: {output}")
    return 0


def cmd_opendata(args: argparse.Namespace) -> int:
    base = public_base_url()
    with transaction(make_engine()) as session:
        view = public_view(session, args.period)
    if view is None:
        raise TrackingError(
            "Noch keine Berichtsperiode ist abgeschlossen: veröffentlicht werden nur abgeschlossene Perioden "
            "(python -m tracking periods close PERIODE)."
        )
    written = write_release(release_files(view, base), args.output)
    say(
        f"Offene Daten {view.period} gespeichert in {args.output}: {len(written)} Dateien, "
        f"{fmt.count(len(view.measures), 'öffentliche Massnahme', 'öffentliche Massnahmen')} "
        f"von {fmt.number(view.headline['measures'])}."
    )
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

    engine = make_engine()
    with transaction(engine, write=True) as session:
        result = undo(session, args.import_id, _actor(args))
    say(f"{result.label} rückgängig gemacht: {count(result.rows, 'Zeile', 'Zeilen')} auf den früheren Stand gesetzt.")
    return 0


def cmd_catalogue(args: argparse.Namespace) -> int:

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

    output_file(args.output, example="export.xlsx")
    engine = make_engine()
    with transaction(engine) as session:
        data = export_workbook(session)
    write_file(args.output, data)
    say(f"Alle Daten exportiert: {args.output}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:

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


def _users_list(engine, args: argparse.Namespace) -> int:

    with transaction(engine) as session:
        rows = user_rows(session)
    if not rows:
        say(
            "Noch keine Benutzer. Den ersten Administrator anlegen: python -m tracking users add admin "
            '--role admin --name "Vorname Name" --password-stdin'
        )
        return 0
    widths = [max(len(r[i]) for r in [USER_LIST_COLUMNS, *rows]) for i in range(len(USER_LIST_COLUMNS))]
    for row in [USER_LIST_COLUMNS, *rows]:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _users_add(engine, args: argparse.Namespace) -> int:

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
        check_codes(session, spec.scope_fields, spec.scope_departments, spec.home_department)
        user = create_user(session, spec, password=password, actor=_actor(args))
        username, detail = user.username, role_and_scope(user)
    sign_in = "mit Passwort" if password else "nur über Single Sign-on (kein Passwort)"
    say(f"Benutzer «{username}» angelegt ({detail}); Anmeldung {sign_in}.")
    return 0


def _users_password(engine, args: argparse.Namespace) -> int:

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


def _users_active(engine, args: argparse.Namespace) -> int:

    active = args.action == "enable"
    with transaction(engine, write=True) as session:
        changed = update_user(session, args.username, active=active, actor=_actor(args))
    word = "aktiviert" if active else "deaktiviert"
    name = args.username.strip().lower()
    say(f"Benutzer «{name}» {word}." if changed else f"Benutzer «{name}» war bereits {word}.")
    return 0


def _user_changes(args: argparse.Namespace) -> dict:
    """The options given to `users change`, as update_user's changes; an empty text empties."""
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
    return changes


def _users_change(engine, args: argparse.Namespace) -> int:

    changes = _user_changes(args)
    with transaction(engine, write=True) as session:
        check_codes(
            session,
            changes.get("scope_fields", []),
            changes.get("scope_departments", []),
            changes.get("home_department"),
        )
        changed = update_user(session, args.username, actor=_actor(args), **changes)
    name = args.username.strip().lower()
    say(f"Benutzer «{name}» geändert." if changed else f"Benutzer «{name}»: keine Änderung.")
    return 0


USER_ACTIONS = {
    "list": _users_list,
    "add": _users_add,
    "password": _users_password,
    "disable": _users_active,
    "enable": _users_active,
    "change": _users_change,
}


def cmd_users(args: argparse.Namespace) -> int:

    engine = make_engine()
    schema.upgrade(engine)
    return USER_ACTIONS[args.action](engine, args)


def cmd_audit(args: argparse.Namespace) -> int:

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


# The command each parser names (args.command), run by main().
COMMANDS = {
    "init": cmd_init,
    "generate": cmd_generate,
    "load-strategy": cmd_load_strategy,
    "periods": cmd_periods,
    "remind": cmd_remind,
    "summary": cmd_summary,
    "report": cmd_report,
    "opendata": cmd_opendata,
    "template": cmd_template,
    "import": cmd_import,
    "undo": cmd_undo,
    "imports": cmd_imports,
    "export": cmd_export,
    "restore": cmd_restore,
    "catalogue": cmd_catalogue,
    "users": cmd_users,
    "audit": cmd_audit,
}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
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
