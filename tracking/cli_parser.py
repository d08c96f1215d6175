"""The command line's arguments: one parser per command, German help and messages
(tracking/german_argparse.py). tracking/cli.py runs the command the arguments name."""

from __future__ import annotations

import argparse
import datetime as dt

from tracking.german_argparse import GermanArgumentParser

# The council report's file kinds (by the target file's ending unless --format says).
REPORT_FORMATS = {"pptx": "PowerPoint", "pdf": "PDF", "xlsx": "Excel"}


def date_argument(text: str) -> dt.date:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"Datum «{text}» ungültig: erwartet 31.12.2026 oder 2026-12-31.")


def whole_number_argument(text: str) -> int:
    try:
        return int(text.replace("'", "").replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» ist keine ganze Zahl, erwartet z. B. 20.") from None


def _parser_init(sub) -> None:
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
        type=date_argument,
        metavar="DATUM",
        help="Stichtag statt heute (für Demodaten und Perioden), z. B. 15.11.2026",
    )


def _parser_generate(sub) -> None:
    p = sub.add_parser(
        "generate",
        help="grosse synthetische Daten für Last- und Skalierungstests",
        description=(
            "Legt in einer Datenbank ohne Massnahmen viele nummerierte Massnahmen mit Statusberichten über "
            "mehrere Halbjahre an (als Demodaten markiert), z. B. 100'000 Massnahmen über 20 Perioden."
        ),
    )
    p.add_argument(
        "--measures",
        type=whole_number_argument,
        metavar="ANZAHL",
        default=100_000,
        help="Anzahl Massnahmen (Standard 100000)",
    )
    p.add_argument(
        "--periods",
        type=whole_number_argument,
        metavar="ANZAHL",
        default=20,
        help="Anzahl Halbjahre bis heute (Standard 20)",
    )
    p.add_argument(
        "--seed", type=whole_number_argument, metavar="ZAHL", default=7, help="Zufallsstartwert (Standard 7)"
    )
    p.add_argument("--today", type=date_argument, metavar="DATUM", help="Stichtag statt heute, z. B. 15.11.2026")


def _parser_load_strategy(sub) -> None:
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
    p.add_argument("--today", type=date_argument, metavar="DATUM", help="Stichtag für neue Perioden (Standard: heute)")


def _parser_periods(sub) -> None:
    p = sub.add_parser(
        "periods",
        help="Berichtsperioden auflisten, öffnen, schliessen, Meldeschluss setzen",
        description=(
            "list: alle Perioden; open NAME / close NAME: Periode öffnen oder schliessen; "
            "deadline NAME DATUM: Meldeschluss setzen (deadline NAME keiner: entfernen)."
        ),
    )
    p.add_argument(
        "action",
        choices=["list", "open", "close", "deadline"],
        nargs="?",
        default="list",
        help="list, open, close oder deadline",
    )
    p.add_argument("name", nargs="?", metavar="PERIODE", help="z. B. 2026-H2")
    p.add_argument("deadline", nargs="?", metavar="DATUM", help="Meldeschluss, z. B. 15.01.2027, oder «keiner»")


def _parser_summary(sub) -> None:
    p = sub.add_parser(
        "summary",
        help="Kennzahlen und Matrix einer Periode als Text",
        description=("Kopfzahlen und die Matrix Aktionsfelder × Kernziele einer Periode als Texttabelle."),
    )
    p.add_argument("--period", metavar="PERIODE", help="z. B. 2026-H2 (Standard: aktuelle Periode)")
    p.add_argument(
        "--today",
        type=date_argument,
        metavar="DATUM",
        help="Datum, das als heute gilt (Plan/Ist einer offenen Periode)",
    )


def _parser_report(sub) -> None:
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
        "--today",
        type=date_argument,
        metavar="DATUM",
        help="Datum, das als heute gilt (Plan/Ist einer offenen Periode)",
    )


def _parser_template(sub) -> None:
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


def _parser_import(sub) -> None:
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


def _parser_undo(sub) -> None:
    p = sub.add_parser(
        "undo",
        help="einen Import (Statusbericht oder Katalog) rückgängig machen",
        description=(
            "Setzt alle Meldungen eines Imports auf den Stand davor zurück (die Geschichte bleibt erhalten); "
            "bei einem Katalog-Import die Massnahmen und Kennzahlen."
        ),
    )
    p.add_argument(
        "import_id", type=whole_number_argument, metavar="IMPORT_ID", help="Nummer aus «python -m tracking imports»"
    )


def _parser_imports(sub) -> None:
    sub.add_parser("imports", help="Liste der Importe", description="Alle Importe, neueste zuerst.")


def _parser_export(sub) -> None:
    p = sub.add_parser(
        "export",
        help="alle Daten als Excel-Datei sichern",
        description=(
            "Schreibt alle Daten (Strategie, Massnahmen, alle Berichte mit Geschichte, Kennzahlen, Importe, "
            "Protokoll) in eine Excel-Datei, ein Blatt pro Tabelle."
        ),
    )
    p.add_argument("-o", "--output", required=True, metavar="DATEI.xlsx")


def _parser_restore(sub) -> None:
    p = sub.add_parser(
        "restore",
        help="Export in eine leere Datenbank laden",
        description=("Lädt eine mit «export» erstellte Datei in eine leere Datenbank."),
    )
    p.add_argument("file", metavar="DATEI.xlsx")


def _parser_catalogue(sub) -> None:
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


def _user_options(q: argparse.ArgumentParser) -> None:
    """Options of both `users add` and `users change`."""
    q.add_argument(
        "--fields", metavar="FELDER", help="Geltungsbereich einer Koordination: Aktionsfelder, z. B. AF1,AF5"
    )
    q.add_argument(
        "--departments", metavar="DEPS", help="Geltungsbereich einer Koordination: Departemente, z. B. GSD,FD"
    )
    q.add_argument("--home-department", metavar="DEP", help="vorgewähltes Departement, z. B. GSD")
    q.add_argument("--email", metavar="E-MAIL", help="E-Mail für Single Sign-on, z. B. vorname.name@lu.ch")


def _parser_users(sub) -> None:
    p = sub.add_parser(
        "users",
        help="Benutzerkonten auflisten, anlegen, ändern, sperren",
        description=(
            "Benutzerkonten und Rollen (admin, koordination, departementsleitung, regierungsrat). "
            "Wer die Kommandozeile auf dem Server bedient, handelt als Administration."
        ),
    )
    users = p.add_subparsers(dest="action", required=True, metavar="AKTION")
    q = users.add_parser("list", help="alle Benutzer", description="Alle Benutzerkonten mit Rolle und Status.")

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
    _user_options(q)
    q.add_argument("--password-stdin", action="store_true", help="Passwort von der Standardeingabe lesen")

    q = users.add_parser(
        "password",
        help="Passwort setzen",
        description="Setzt ein neues Passwort (erste Zeile der Standardeingabe) und hebt eine Sperre auf.",
    )
    q.add_argument("username", metavar="BENUTZERNAME")
    q.add_argument("--password-stdin", action="store_true", help="Passwort von der Standardeingabe lesen (nötig)")

    for name, text in (("disable", "deaktivieren (keine Anmeldung mehr)"), ("enable", "wieder aktivieren")):
        q = users.add_parser(name, help=f"Benutzer {text}", description=f"Benutzerkonto {text}.")
        q.add_argument("username", metavar="BENUTZERNAME")

    q = users.add_parser(
        "change",
        help="Rolle, Name, Geltungsbereich oder E-Mail ändern",
        description='Ändert nur die angegebenen Angaben; ein leerer Wert ("") leert Geltungsbereich oder E-Mail.',
    )
    q.add_argument("username", metavar="BENUTZERNAME")
    q.add_argument("--role", metavar="ROLLE", help="admin, koordination, departementsleitung, regierungsrat")
    q.add_argument("--name", metavar="NAME", help="Vorname und Name")
    _user_options(q)


def _parser_audit(sub) -> None:
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
        help=(
            "nur diese Aktion: import, undo, load-strategy, open-period, close-period, periods, deadline, "
            "user, demo, restore, remind, release, return"
        ),
    )
    p.add_argument("--since", type=date_argument, metavar="DATUM", help="ab diesem Tag, z. B. 01.01.2026")
    p.add_argument("--until", type=date_argument, metavar="DATUM", help="bis und mit diesem Tag, z. B. 31.12.2026")
    p.add_argument("--text", metavar="TEXT", help="Suche in Zeile, Quelle und Person")
    p.add_argument("-o", "--output", metavar="DATEI.xlsx", help="als Excel-Datei speichern statt anzeigen")


def _parser_remind(sub) -> None:
    p = sub.add_parser(
        "remind",
        help="Koordination per E-Mail an fehlende Statusberichte erinnern",
        description=(
            "Schickt jeder Koordinatorin und jedem Koordinator mit E-Mail-Adresse und Geltungsbereich eine "
            "E-Mail mit den Massnahmen, deren Statusbericht in der Periode noch fehlt (oder zurückgewiesen "
            "wurde), dem Meldeschluss und dem Link zur Seite Statusbericht. Höchstens eine pro Person und Tag. "
            "Braucht TRACKING_SMTP_URL, TRACKING_MAIL_FROM und TRACKING_PUBLIC_URL (ausser mit --dry-run)."
        ),
    )
    p.add_argument("--period", metavar="PERIODE", help="z. B. 2026-H2 (Standard: aktuelle Periode)")
    p.add_argument("--dry-run", action="store_true", help="nur zeigen, wer was bekäme; nichts versenden")
    p.add_argument(
        "--within",
        type=whole_number_argument,
        metavar="TAGE",
        help="nur erinnern, wenn der Meldeschluss höchstens so viele Tage entfernt (oder vorbei) ist, z. B. 14",
    )
    p.add_argument("--today", type=date_argument, metavar="DATUM", help="Datum, das als heute gilt")


def _parser_opendata(sub) -> None:
    p = sub.add_parser(
        "opendata",
        help="offene Daten veröffentlichen (CSV, datapackage.json, README, DCAT-AP CH)",
        description=(
            "Schreibt die offenen Daten einer abgeschlossenen Periode in einen Ordner: eine CSV-Datei je "
            "Tabelle, datapackage.json (Frictionless), README.md mit jeder Spalte und die Metadaten für "
            "opendata.swiss (dcat.ttl, dcat.rdf). Nur öffentliche Massnahmen, nie Begründungen, Risiken, "
            "Kommentare oder Personen. Braucht TRACKING_PUBLIC_URL (Grundlage der dauerhaften Adressen)."
        ),
    )
    p.add_argument("-o", "--output", required=True, metavar="ORDNER", help="Zielordner, z. B. opendata")
    p.add_argument("--period", metavar="PERIODE", help="abgeschlossene Periode, z. B. 2026-H1 (Standard: die neueste)")


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
    for add in (
        _parser_init,
        _parser_generate,
        _parser_load_strategy,
        _parser_periods,
        _parser_remind,
        _parser_summary,
        _parser_report,
        _parser_opendata,
        _parser_template,
        _parser_import,
        _parser_undo,
        _parser_imports,
        _parser_export,
        _parser_restore,
        _parser_catalogue,
        _parser_users,
        _parser_audit,
    ):
        add(sub)
    return parser
