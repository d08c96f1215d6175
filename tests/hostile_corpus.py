"""Hostile cell contents: what people paste, what old data may hold, what attackers try.

Plain Python data, importable by any test (the status import uses the same
list): HOSTILE is a list of (name, text); at_limit(kind) gives a text of
exactly the maximum length tracking.text_rules allows for that kind, with
multi-byte characters and long unbroken words. Nothing here imports the
application.

Control characters other than tab and line breaks are refused on import
(tracking.text_rules), but data stored before those checks may hold them;
the pages and exports must still show such text as text.
"""

from __future__ import annotations

from tracking.text_rules import MAX_LENGTHS

# One unbroken word of 120 characters with umlauts: no renderer can break it at a space.
LONG_WORD = ("Donaudampfschifffahrtsgesellschaftskapitänsmützenüberprüfungsverordnung" * 2)[:120]

URL_TEXT = "Portal https://evil.example/x www.evil.example mail@evil.example"

HOSTILE: list[tuple[str, str]] = [
    # links, markup, script
    ("url", URL_TEXT),
    ("markdown link", "[klick](javascript:window.__pwned=3) ![bild](https://evil.example/p.png)"),
    ("markdown markup", "# Titel **fett** _kursiv_ `code` > Zitat | a | b | ~~weg~~ $x^2$ :material/home: :smile:"),
    ("html", '<img src=x onerror="window.__pwned=2"><b>fett</b>'),
    ("script", "<script>window.__pwned = 1</script>"),
    ("html entity", "&lt;script&gt; &amp; &#x3C;"),
    # spreadsheet formulas
    ("formula =", '=HYPERLINK("https://evil.example","klick")'),
    ("formula +", "+41 41 228 51 11"),
    ("formula -", "-2+3+cmd|' /C calc'!A0"),
    ("formula @", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("formula dde", "=cmd|' /C calc'!A0"),
    # control characters other than NUL (refused on import, possibly in old data)
    ("escape sequence", "Rot\x1b[31m gefärbt\x1b[0m \x1b]0;Titel\x07 \x1b[2J"),
    ("bell and backspace", "Piep\x07 zurück\x08\x08"),
    ("vertical tab and form feed", "Zeile\x0bZeile\x0cSeite"),
    ("C1 control", "Text\x85mit\x9bC1"),
    ("excel escape lookalike", "_x0041_ bleibt so"),
    ("tab and line breaks", "Spalte\tSpalte\r\nZeile\rZeile\nZeile"),
    # scripts and directions
    ("rtl", "مرحبا بالعالم — שלום עולם"),
    ("bidi override", "Rechnung \u202egnunhceR\u202c.pdf \u2066isoliert\u2069"),
    ("emoji", "Fortschritt 🚀👍🏽 👩‍👩‍👧‍👦 🇨🇭"),
    ("combining characters", "Z̸̢̛a̴͓͝l̵̰̓g̶̝̈o̵̡͑ e\u0301\u0301\u0301 A\u030a"),
    ("zero width", "un\u200bsicht\u200dbar\ufeff"),
    ("cjk", "日本語のテキストと中文文本"),
    ("long word", LONG_WORD),
    ("only spaces inside", "a" + " " * 50 + "b"),
]

_PIECES = ["Grüezi", "Überprüfung", "«Zitat»", "Ωμέγα", "日本語", "🚀", "e\u0301", LONG_WORD, "—", "Zürich"]


def at_limit(kind: str) -> str:
    """A text of exactly the maximum length for kind, multi-byte, with long unbroken words."""
    limit = MAX_LENGTHS[kind]
    text, i = "", 0
    while len(text) < limit:
        text += _PIECES[i % len(_PIECES)] + " "
        i += 1
    text = text[:limit]
    return text[:-1] + "Z" if text.endswith(" ") else text  # stored texts are trimmed


def corpus_texts() -> list[str]:
    """Every hostile text, then one text at each limit."""
    return [text for _, text in HOSTILE] + [at_limit(kind) for kind in MAX_LENGTHS]
