"""The PDF's typography as a reader sees it: words break at syllables, a table's heading stays with
its rows, no table row stands alone at the end or the start of a page."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from tracking.council_export import pdf as council_pdf

# Needs no database: the PostgreSQL pass leaves it out.
pytestmark = pytest.mark.first_pass_only

WORD = "Datenschutzanforderungen"
# The syllables of the word by hand (Duden: Da-ten-schutz-an-for-de-run-gen).
SYLLABLES = ["Da", "ten", "schutz", "an", "for", "de", "run", "gen"]
SYLLABLE_ENDS = {"".join(SYLLABLES[: i + 1]) for i in range(len(SYLLABLES) - 1)}


class _Content:
    footer = "Berichtsperiode 2026-H2 · Stand 31.12.2026"
    strategy = "Strategie «Digitaler Wandel»"
    period = "2026-H2"
    issuer = "Kanton Luzern"


def _pages(story: list) -> list[str]:
    council_pdf._register_fonts()
    data = council_pdf._build(_Content(), story)
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _rows_per_page(pages: list[str]) -> list[list[int]]:
    return [[int(n) for n in re.findall(r"Zeile (\d+)", text)] for text in pages]


def _table(styles, n: int):
    rows = [[f"Zeile {i:02d}", "Text"] for i in range(1, n + 1)]
    return council_pdf._pdf_table(styles, ["Zeile", "Inhalt"], rows, [60, 100])


def _row_height(styles) -> float:
    table = _table(styles, 1)
    table.wrap(council_pdf.PDF_WIDTH, council_pdf.FRAME_H)
    return table._rowHeights[1]


def test_a_long_word_in_a_narrow_cell_breaks_at_a_syllable_with_a_hyphen():
    styles = council_pdf._styles()
    council_pdf._register_fonts()
    table = council_pdf._pdf_table(styles, ["Massnahme", "Rest"], [[WORD, "x"]], [18, 100])
    text = _pages([table])[0]
    assert WORD not in text.replace("\n", "")  # it did not fit in one line
    found = re.search(r"Da[\w\n-]*?gen", text)
    assert found and found.group().replace("-\n", "") == WORD, text
    parts = found.group().split("-\n")
    assert len(parts) > 1 and "\n" not in "".join(parts)  # broken only where a hyphen was set
    ends = ["".join(parts[: i + 1]) for i in range(len(parts) - 1)]
    assert set(ends) <= SYLLABLE_ENDS, ends


def test_no_row_is_left_alone_at_the_end_of_a_page():
    styles = council_pdf._styles()
    council_pdf._register_fonts()
    row = _row_height(styles)
    # Room on page one for the table's header and one row (plus a little): the row must not stay alone.
    filler = council_pdf.FRAME_H - row * 2.5
    pages = _pages([Spacer(1, filler), _table(styles, 30)])
    rows = _rows_per_page(pages)
    assert rows[0] == [] and rows[1][:2] == [1, 2]
    assert "Zeile" in pages[1].split("Zeile 01")[0]  # the header came along


def test_no_row_is_left_alone_at_the_start_of_a_page():
    styles = council_pdf._styles()
    council_pdf._register_fonts()
    row = _row_height(styles)
    fits = int((council_pdf.FRAME_H - row) // row)  # rows under the header on a full page
    pages = _pages([_table(styles, fits + 1)])  # one row more than fits
    rows = _rows_per_page(pages)
    assert len(rows) == 2 and len(rows[1]) >= 2, [len(r) for r in rows]
    assert sorted(rows[0] + rows[1]) == list(range(1, fits + 2))
    assert " ".join(pages[1].split()).startswith("Zeile Inhalt")  # the header repeated


def test_a_heading_moves_with_its_first_rows_to_the_next_page():
    styles = council_pdf._styles()
    council_pdf._register_fonts()
    row = _row_height(styles)
    filler = council_pdf.FRAME_H - row * 3  # room for the heading and one row at most
    heading = Paragraph("Anhang: alle Massnahmen", styles["h1"])
    pages = _pages([Spacer(1, filler), *council_pdf._titled([heading], _table(styles, 40), 40)])
    assert "Anhang: alle Massnahmen" not in pages[0]
    assert "Anhang: alle Massnahmen" in pages[1] and _rows_per_page(pages)[1][:2] == [1, 2]


def test_a_short_table_stays_whole_with_its_heading():
    styles = council_pdf._styles()
    council_pdf._register_fonts()
    row = _row_height(styles)
    filler = council_pdf.FRAME_H - row * 5 - 20 * mm  # the heading and four of seven rows would fit
    heading = Paragraph("Anhang: Rücklauf nach Departement", styles["h2"])
    pages = _pages([Spacer(1, filler), *council_pdf._titled([heading], _table(styles, 7), 7)])
    assert _rows_per_page(pages)[1] == list(range(1, 8)) and "Rücklauf" in pages[1]
