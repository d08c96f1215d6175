"""argparse in German: help, usage and every error message of the command line.

argparse builds its texts through gettext (`_()` and `ngettext()` in its
module). GermanArgumentParser swaps those two for a German lookup while it
builds itself, parses, formats help and reports an error, so every subparser
(made with the same class) speaks German too. Texts that only a programmer
can cause (conflicting options and the like) stay as argparse has them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from tracking.text_rules import printable

GERMAN = {
    "usage: ": "Aufruf: ",
    "positional arguments": "Argumente",
    "options": "Optionen",
    "show this help message and exit": "diese Hilfe zeigen und beenden",
    "argument %(argument_name)s: %(message)s": "Angabe %(argument_name)s: %(message)s",
    "unrecognized arguments: %s": "unbekannte Angaben: %s",
    "not allowed with argument %s": "nicht zusammen mit %s erlaubt",
    "ignored explicit argument %r": "hier ist kein Wert erlaubt: %r",
    "the following arguments are required: %s": "diese Angaben fehlen: %s",
    "one of the arguments %s is required": "eine dieser Angaben ist nötig: %s",
    "expected one argument": "erwartet einen Wert",
    "expected at most one argument": "erwartet höchstens einen Wert",
    "expected at least one argument": "erwartet mindestens einen Wert",
    "ambiguous option: %(option)s could match %(matches)s": "mehrdeutige Option %(option)s: passt zu %(matches)s",
    "unexpected option string: %s": "unerwartete Option: %s",
    "invalid %(type)s value: %(value)r": "ungültiger Wert: %(value)r",
    "invalid choice: %(value)r (choose from %(choices)s)": "ungültige Auswahl: %(value)r (möglich: %(choices)s)",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "unbekannter Befehl %(parser_name)r (möglich: %(choices)s)"
    ),
    "%(prog)s: error: %(message)s\n": "%(prog)s: Fehler: %(message)s\n",
    "can't open '%(filename)s': %(error)s": "«%(filename)s» kann nicht geöffnet werden: %(error)s",
}
GERMAN_PLURAL = {
    ("expected %s argument", "expected %s arguments"): ("erwartet %s Wert", "erwartet %s Werte"),
}


def german(message: str) -> str:
    return GERMAN.get(message, message)


def german_plural(singular: str, plural: str, n: int) -> str:
    one, many = GERMAN_PLURAL.get((singular, plural), (singular, plural))
    return one if n == 1 else many


@contextlib.contextmanager
def _in_german() -> Iterator[None]:
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = german, german_plural
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class GermanArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose own texts are German; errors show control characters escaped."""

    def __init__(self, *args, **kwargs):
        with _in_german():
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        with _in_german():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):
        with _in_german():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with _in_german():
            return super().format_usage()

    def format_help(self) -> str:
        with _in_german():
            return super().format_help()

    def error(self, message: str):
        with _in_german():
            self.print_usage(sys.stderr)
            text = argparse._("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": printable(message)}
            self.exit(2, text)
