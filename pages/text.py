"""User-provided text shown through Streamlit's markdown: as typed, never as markup."""

from __future__ import annotations

import re

from tracking.vocab import GREEN, RED, YELLOW, light_text

MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#:!{}&])")
# At the start of a line: a list item («- », «+ », «1. »), a heading underline («===»).
LINE_START_MARKUP = re.compile(r"(?m)^([ \t]*)(\d*)([-+=.)])")
# What markdown turns into a link by itself (GFM autolinks): «https://…», «www.…», «name@host».
AUTOLINK = re.compile(r"(?i)(://|\bwww(?=\.)|@(?=[\w-]))")
ZWJ = "\u200d"  # zero-width joiner: invisible, but no link starts across it


def md_text(text: object) -> str:
    """User-provided text for st.markdown, headings, captions, messages and help: shown as typed,
    never as markup, links or HTML.

    Markdown characters are escaped; a zero-width joiner after «://», «www» and
    «@» keeps markdown from making a link of a URL or e-mail (people read the same).
    """
    value = MARKDOWN_SPECIAL.sub(r"\\\1", "" if text is None else str(text))
    value = LINE_START_MARKUP.sub(r"\1\2\\\3", value)
    return AUTOLINK.sub(lambda m: m.group() + ZWJ, value)


# Streamlit's markdown colours nearest to each light's colour (tracking.palette.LIGHT_COLOURS).
LIGHT_MARKDOWN_COLOURS = {GREEN: "green", YELLOW: "orange", RED: "red"}


def light_md(light: str | None) -> str:
    """A light for st.markdown: icon and word in the light's colour («:red[■ rot]»), grey without one."""
    return f":{LIGHT_MARKDOWN_COLOURS.get(light, 'gray')}[{light_text(light)}]"
