"""What a text typed by a person may hold: a maximum length per kind of text, no control characters.

One place for the limits: the status import, the browser table, the catalogue
(file and forms) and the user forms check against these, and every export
lays out a text of the longest allowed length. Tab and line breaks are
allowed; every other control character (NUL, ESC, …) is refused, because
PostgreSQL cannot store NUL and a terminal executes ESC sequences.
"""

from __future__ import annotations

import re

# Maximum length in characters, by what the text is.
MAX_LENGTHS: dict[str, int] = {
    # a status report
    "comment": 2000,
    "next_steps": 1000,
    "risks": 1000,
    "explanation": 1000,
    # a measure
    "title": 400,
    "description": 4000,
    "responsible_unit": 200,
    "contact": 200,
    # an indicator
    "indicator_name": 300,
    "unit": 50,
    # an account
    "display_name": 200,
    "email": 200,
}

# C0 controls except tab, line feed and carriage return; DEL; C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_characters(text: str) -> list[str]:
    """The forbidden control characters in a text, each once, as people can read them (U+001B)."""
    return sorted({f"U+{ord(ch):04X}" for ch in _CONTROL.findall(text)})


def text_problem(text: str | None, kind: str) -> str | None:
    """A German message when the text is too long or holds control characters; None when it is fine."""
    if not text:
        return None
    found = control_characters(text)
    if found:
        return (
            f"enthält unzulässige Steuerzeichen ({', '.join(found)}). "
            "Erlaubt sind Text, Tabulator und Zeilenumbrüche; bitte die Zelle neu eintippen."
        )
    limit = MAX_LENGTHS[kind]
    if len(text) > limit:
        return f"ist {len(text):,} Zeichen lang; erlaubt sind höchstens {limit:,}.".replace(",", "'")
    return None


# Bidirectional overrides and isolates: a terminal would show the text reordered.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def printable(text: object) -> str:
    """Text for a terminal: control characters and bidi overrides shown as \\x1b or \\u202e, never executed."""
    value = str(text)
    value = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return _BIDI.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
