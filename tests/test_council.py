"""The council's meeting summary: its content and its PowerPoint, PDF and Excel exports.

The small case is built with the factories and every expected number is worked
out by hand in the comments (periods 2024-H1 and 2024-H2, measures running
1.1.2024 to 31.12.2025 unless said otherwise). The demo case checks that what
the files show equals what tracking.rollup computes. Chart rendering needs
Chromium (marker «browser», required in CI); layout tests of small cases use
blank stand-in images so they run without a browser.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pptx.util import Pt
from pypdf import PdfReader
from sqlalchemy import select

from tests.conftest import REFERENCE_DATE, temp_database_url
from tests.factories import add_measure, add_report, definition_dict, load_definition
from tracking import council_export, schema
from tracking import formatting as fmt
from tracking.bootstrap import init_database
from tracking.cli import main
from tracking.council import council_content, count, name_list, points
from tracking.council_export import chart_images
from tracking.council_export import pdf as council_pdf
from tracking.db import make_engine, transaction
from tracking.errors import TrackingError
from tracking.models import Measure
from tracking.rollup import changes_since, headline, rollup
from tracking.snapshot import load_snapshot

H1, H2 = "2024-H1", "2024-H2"
DEMO_PERIOD = "2026-H2"
CONTENT_MIN_PT = Pt(14)


# --- helpers --------------------------------------------------------------------


def norm(text: str) -> str:
    """One space between words (no-break spaces and line breaks included)."""
    return " ".join(text.replace("\u00a0", " ").split())


def flat(text: str) -> str:
    """norm, and words joined where a line break hyphenated them («Prü- fungen» -> «Prüfungen»); applied to
    both sides of a comparison, so that a real «Gesundheits- und» compares equal, too."""
    return re.sub(r"-\s+", "", norm(text))


def blank_charts(content) -> dict[str, bytes]:
    """White stand-in images for every chart of the report (no browser needed)."""
    out = io.BytesIO()
    Image.new("RGB", (740, 520), "white").save(out, format="PNG")
    return dict.fromkeys(council_export.chart_figures(content), out.getvalue())


def slide_title(slide) -> str:
    return norm(slide.shapes.title.text_frame.text) if slide.shapes.title is not None else ""


def slide_text(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text_frame.text for row in shape.table.rows for cell in row.cells]
    return norm(" ".join(parts))


def runs(slide):
    for shape in slide.shapes:
        frames = [shape.text_frame] if shape.has_text_frame else []
        if shape.has_table:
            frames += [cell.text_frame for row in shape.table.rows for cell in row.cells]
        for frame in frames:
            for para in frame.paragraphs:
                yield from para.runs


def table_rows(slide) -> list[list[str]]:
    tables = [s.table for s in slide.shapes if s.has_table]
    assert len(tables) == 1
    return [[norm(cell.text_frame.text) for cell in row.cells] for row in list(tables[0].rows)[1:]]


def pdf_pages(data: bytes) -> list[str]:
    return [norm(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


# --- the small case, computed by hand ---------------------------------------------


def build_small(engine):
    """Five measures in two fields over 2024-H1 and 2024-H2.

    M-A (goal 1.1, STK): 20 % -> 40 %, grün            advanced +20
    M-B (goal 1.2, STK): 50 % -> 50 %, grün -> rot     turned red
    M-C (goal 2.1, FD):  60 % -> 100 % abgeschlossen   completed, advanced +40
    M-D (goal 2.1, FD):  70 % gelb in H1, no report in H2; planned end 30.9.2024: overdue
    M-E (goal 1.1, STK): only in H2, 10 %              expected 50 %: behind plan
    """
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        a = add_measure(session, "M-A", "1.1")
        b = add_measure(session, "M-B", "1.2")
        c = add_measure(session, "M-C", "2.1", department="FD")
        d = add_measure(session, "M-D", "2.1", department="FD", end=dt.date(2024, 9, 30))
        e = add_measure(session, "M-E", "1.1")
        add_report(session, a, H1, 20)
        add_report(session, b, H1, 50)
        add_report(session, c, H1, 60)
        add_report(session, d, H1, 70, light="gelb", comment="Lieferverzug")
        add_report(session, a, H2, 40)
        add_report(session, b, H2, 50, light="rot", comment="Lieferant insolvent")
        add_report(session, c, H2, 100, status="abgeschlossen")
        add_report(session, e, H2, 10)
        session.flush()
        return load_snapshot(session)


def test_summary_sentences_match_the_numbers_worked_out_by_hand(engine):
    content = council_content(build_small(engine), H2)
    # Reported in H2: A, B, C, E = 4 of 5 (D missing, department FD) -> 80 %.
    # Goal 1.1 = (40 + 10) / 2 = 25, goal 1.2 = 50 -> AF1 = 37.5; goal 2.1 = 100 (D has no report) -> AF2 = 100.
    # Overall = (37.5 + 100) / 2 = 68.75 -> 69 %. In H1: AF1 = (20 + 50) / 2 = 35, AF2 = (60 + 70) / 2 = 65
    # -> overall 50 %, so +18.75 -> +19 points.
    # Lights of the 4 reports: grün A, C, E = 3, rot B = 1 -> 3 / 4 = 75 % on track.
    # Compared (a report in both periods): A, B, C = 3; advanced: A, C = 2.
    # Behind plan: expected on 31.12.2024 = 365 / 730 days = 50 %; E at 10 % < 50 - 15.
    # Plausibility: E is green though behind plan (the only report with a warning).
    assert content.summary == [
        "4 von 5 meldepflichtigen Massnahmen haben für 2024-H2 gemeldet (Rücklauf 80 %). 1 Meldung fehlt (FD).",
        "Der Gesamtfortschritt beträgt 69 % (2024-H1: 50 %, +19 Prozentpunkte).",
        "Ampeln der eingegangenen Meldungen: 3 ● grün, 0 ▲ gelb, 1 ■ rot; 75 % auf Kurs.",
        "2 Massnahmen sind gegenüber 2024-H1 vorangekommen (von 3 mit Meldung in beiden Perioden).",
        "1 Massnahme ist neu auf ■ rot: Massnahme M-B (STK, M-B).",
        "1 Massnahme wurde abgeschlossen: Massnahme M-C (FD, M-C).",
        "1 Massnahme ist überfällig (geplantes Ende vorbei, nicht abgeschlossen): Massnahme M-D (FD, M-D).",
        "1 Massnahme liegt mehr als 15 Prozentpunkte hinter Plan.",
        "1 Meldung hat Plausibilitätshinweise; sie stehen in der Liste «Was braucht Aufmerksamkeit?».",
    ]
    h = content.headline
    assert (h["measures"], h["active"], h["reported"]) == (5, 5, 4)
    assert h["overall_progress"] == pytest.approx((37.5 + 100) / 2)
    assert content.previous_headline["overall_progress"] == pytest.approx((35 + 65) / 2)
    assert content.footer == "Berichtsperiode 2024-H2 · Stand 31.12.2024"


def test_attention_lists_each_measure_once_with_its_reasons(engine):
    content = council_content(build_small(engine), H2)
    rows = {a.code: a for a in content.attention}
    assert [a.code for a in content.attention] == ["M-B", "M-D", "M-E"]  # red first, then overdue, behind plan
    assert (rows["M-B"].why, rows["M-B"].light_label, rows["M-B"].reason) == ("rot", "■ rot", "Lieferant insolvent")
    assert rows["M-B"].progress == 50 and rows["M-B"].expected == pytest.approx(50.0)
    # M-D: no report in H2, so no light and no comment of this period; planned end 30.9.2024.
    assert (rows["M-D"].why, rows["M-D"].light_label, rows["M-D"].reason) == ("überfällig", "○ keine Meldung", "")
    assert rows["M-D"].planned_end == dt.date(2024, 9, 30) and rows["M-D"].progress is None
    # M-E: green at 10 % on a plan of 50 %, so behind plan and a plausibility warning as well.
    assert rows["M-E"].why == "hinter Plan; Hinweis: Ampel grün trotz Verzug" and rows["M-E"].department == "STK"
    assert rows["M-E"].hints == (
        "Ampel grün, obwohl 40 Prozentpunkte hinter Plan (Soll 50 %, Ist 10 %; mehr als 15 gilt als hinter Plan).",
    )
    assert rows["M-B"].hints == rows["M-D"].hints == ()


def test_field_blocks_and_decisions_by_hand(engine):
    content = council_content(build_small(engine), H2)
    af1, af2 = content.fields
    assert (af1.progress, af1.previous_progress) == (pytest.approx(37.5), pytest.approx(35.0))
    assert (af2.progress, af2.change) == (pytest.approx(100.0), pytest.approx(35.0))
    assert [r.code for r in af1.turned_red] == ["M-B"] and af1.completed == []
    assert [(a.code, a.delta) for a in af1.advanced_most] == [("M-A", 20.0)]
    assert [r.code for r in af2.completed] == ["M-C"]
    assert [(a.code, a.delta) for a in af2.advanced_most] == [("M-C", 40.0)]
    # AF1: M-A, M-E grün, M-B rot -> majority grün; AF2: M-C grün, M-D without a report.
    assert af1.lights == {"gruen": 2, "gelb": 0, "rot": 1, "keine Meldung": 0}
    assert af1.summary_light_label == "● grün"
    assert af2.lights == {"gruen": 1, "gelb": 0, "rot": 0, "keine Meldung": 1}
    assert af1.trend == [(H1, pytest.approx(35.0)), (H2, pytest.approx(37.5))]
    # FD: 1 of 2 reported = 50 %, not under 50 %: no decision on missing reports.
    assert [(d.topic, d.codes, d.measures) for d in content.decisions] == [
        ("1 gefährdete Massnahme (■ rot)", ("M-B",), ("Massnahme M-B (STK, M-B)",)),
        ("1 überfällige Massnahme", ("M-D",), ("Massnahme M-D (FD, M-D)",)),
    ]
    # The field notes name the measures: title, lead department, code.
    assert [r.name for r in af1.turned_red] == ["Massnahme M-B (STK, M-B)"]
    assert [a.name for a in af2.advanced_most] == ["Massnahme M-C (FD, M-C)"]
    assert len(content.matrix) == 2 * 2 and len(content.measures) == 5


def test_first_period_says_there_is_nothing_to_compare(engine):
    content = council_content(build_small(engine), H1)
    assert content.previous_period is None and content.previous_headline is None
    assert "2024-H1 ist die erste Berichtsperiode: Veränderungen werden ab der nächsten Periode gezeigt." in (
        content.summary
    )
    assert all(block.change is None for block in content.fields)


def small_without_reports(engine, n_measures: int = 2):
    with transaction(engine) as session:
        load_definition(session, definition_dict())
        for i in range(n_measures):
            add_measure(session, f"M-{i + 1}", "1.1")
        session.flush()
        return load_snapshot(session)


def test_period_without_any_report_reads_sensibly(engine):
    content = council_content(small_without_reports(engine), H2)
    assert content.summary == [
        "Für 2024-H2 ist noch keine Meldung eingegangen: 2 meldepflichtige Massnahmen sind ohne Meldung.",
        "Ein Gesamtfortschritt lässt sich noch nicht berechnen: es liegen keine Daten vor.",
        "Ohne Meldungen für 2024-H2 ist kein Vergleich mit 2024-H1 möglich.",
        "Keine Massnahme ist überfällig.",
        "Keine Massnahme liegt mehr als 15 Prozentpunkte hinter Plan.",
    ]
    assert content.headline["overall_progress"] is None
    assert [d.topic for d in content.decisions] == ["Rücklauf unter 50 %: STK (0 %)"]


def test_reports_of_empty_and_sparse_periods_build_without_error(engine):
    snap = small_without_reports(engine, n_measures=1)
    for content in (council_content(snap, H1), council_content(snap, H2)):
        charts = blank_charts(content)
        deck = Presentation(io.BytesIO(council_export.to_pptx(content, images=charts)))
        text = " ".join(slide_text(s) for s in deck.slides)
        assert "1 meldepflichtige Massnahme ist ohne Meldung" in text
        assert all(r.font.size >= CONTENT_MIN_PT for s in list(deck.slides)[1:] for r in runs(s) if r.text.strip())
        assert "Keine Massnahme ist rot, hinter Plan oder überfällig." in text
        pages = pdf_pages(council_export.to_pdf(content, images=charts))
        assert "1 meldepflichtige Massnahme ist ohne Meldung" in " ".join(pages)
        assert load_workbook(io.BytesIO(council_export.to_xlsx(content))).sheetnames


def test_singular_and_plural_helpers():
    assert count(1, "Massnahme", "Massnahmen") == "1 Massnahme"
    assert count(3, "Massnahme ist", "Massnahmen sind") == "3 Massnahmen sind"
    assert count(1234, "Meldung", "Meldungen") == "1'234 Meldungen"
    assert [points(x) for x in (5.2, -1.0, 0.3, None)] == ["+5 Prozentpunkte", "−1 Prozentpunkt", "unverändert", "–"]
    assert name_list(["A"]) == "A" and name_list(["A", "B", "C"]) == "A, B und C"
    # Beyond three names: how many more, and where all of them are.
    assert name_list([f"M{i}" for i in range(5)], "alle in X") == "M0, M1, M2 und 2 weitere (alle in X)"


# --- the demo data: what the files show equals the roll-ups ------------------------


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("council") / "demo.sqlite"
    engine = make_engine(temp_database_url(path))
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        snap = load_snapshot(session)
    engine.dispose()
    return snap, council_content(snap, DEMO_PERIOD)


@pytest.fixture(scope="module")
def demo_charts(demo):
    if council_export.find_browser() is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium)")
    return council_export.render_charts(demo[1])


@pytest.fixture(scope="module")
def demo_pptx(demo, demo_charts):
    return Presentation(io.BytesIO(council_export.to_pptx(demo[1], images=demo_charts)))


@pytest.fixture(scope="module")
def demo_pdf(demo, demo_charts):
    return council_export.to_pdf(demo[1], images=demo_charts)


def test_content_is_plain_data_equal_to_the_rollups(demo):
    snap, content = demo
    current, previous = rollup(snap, DEMO_PERIOD), rollup(snap, "2026-H1")
    expected = headline(current)
    for key, value in content.headline.items():
        assert value == pytest.approx(expected[key]), key
    assert content.previous_headline["overall_progress"] == pytest.approx(headline(previous)["overall_progress"])
    m = current.measures
    listed = m[(m["has_report"] & (m["light"] == "rot")) | m["behind_plan"] | m["overdue"]]
    assert sorted(a.code for a in content.attention) == sorted(listed["code"])
    assert len(content.matrix) == 9 * 4 and len(content.fields) == 9
    assert [f.progress for f in content.fields] == pytest.approx(list(current.fields["progress"]))
    changes = changes_since(m, previous.measures)
    assert sum(len(f.turned_red) for f in content.fields) == int(changes["turned_red"].sum())
    assert [r.code for r in content.measures] == list(m["code"])
    assert pickle.loads(pickle.dumps(content)) == content


def _briefing_expectations(snap) -> tuple[list[str], list[str], list]:
    """What page one must hold, from the roll-ups (not from the briefing module): the five figures
    with their change, and the first five red or overdue measures (red first, then by code)."""
    h, p = headline(rollup(snap, DEMO_PERIOD)), headline(rollup(snap, "2026-H1"))

    def moved(key: str, scale: float = 1, unit: str = "") -> str:
        diff = round((h[key] - p[key]) * scale)
        return f"{diff:+d}{unit}" if diff else "unverändert"

    figures = [
        fmt.percent(h["overall_progress"]),
        fmt.share(h["on_track_share"]),
        str(h["red"]),
        str(h["overdue"]),
        fmt.share(h["completeness"]),
    ]
    changes = [
        moved("overall_progress", unit=" Pp."),
        moved("on_track_share", 100, " Pp."),
        moved("red"),
        moved("overdue"),
        moved("completeness", 100, " Pp."),
    ]
    m = rollup(snap, DEMO_PERIOD).measures
    m = m.assign(red=m["has_report"] & (m["light"] == "rot"))
    chosen = m[m["red"] | m["overdue"]].sort_values(["red", "overdue", "behind_plan", "code"], ascending=[0, 0, 0, 1])
    return figures, changes, list(chosen.head(5).itertuples())


def _codes_have_titles(text: str, snap) -> None:
    """Every measure code in the text stands in «Titel (DEP, Code)»."""
    m = rollup(snap, DEMO_PERIOD).measures
    titles = dict(zip(m["code"], m["title"]))
    text = flat(text)
    for code in re.findall(r"M-\d\.\d\.\d\d", text):
        assert re.search(re.escape(flat(titles[code])) + r" \([A-Z]+, " + re.escape(code) + r"\)", text), code


@pytest.mark.browser
def test_pptx_opens_with_the_briefing_and_keeps_its_main_part_short(demo, demo_pptx):
    snap, content = demo
    slides = list(demo_pptx.slides)
    assert demo_pptx.slide_width * 9 == demo_pptx.slide_height * 16  # 16:9
    titles = [slide_title(s) for s in slides]
    assert titles[0] == "Strategie «Digitaler Wandel»"
    assert "Berichtsperiode 2026-H2 (01.07.2026 – 31.12.2026)" in slide_text(slides[0])
    assert titles[1] == "Auf einen Blick: Berichtsperiode 2026-H2"
    appendix = next(i for i, t in enumerate(titles) if t.startswith("Anhang:"))
    assert appendix <= 12, titles[:appendix]
    assert all(t.startswith("Anhang:") for t in titles[appendix:])
    main = [t.removesuffix(" (Fortsetzung)") for t in titles[2:appendix]]
    assert list(dict.fromkeys(main)) == [
        "Was sich seit 2026-H1 verändert hat",
        "Aktionsfelder im Überblick",
        "Aktionsfelder × Kernziele",
        "Was braucht Aufmerksamkeit?",
        "Was braucht einen Entscheid?",
    ]

    briefing = slide_text(slides[1])
    figures, changes, chosen = _briefing_expectations(snap)
    for figure in figures + changes:
        assert figure in briefing, figure
    for measure in chosen:
        assert f"{measure.title} ({measure.department_code}, {measure.code})" in briefing
    _codes_have_titles(briefing, snap)
    assert len(content.attention) > 5 and "Weitere" in briefing  # where the rest are

    # Each field in the appendix: its trend and its progress.
    fields = [i for i, t in enumerate(titles) if t.startswith("Anhang: AF") and not t.endswith("(Fortsetzung)")]
    assert [titles[i] for i in fields] == [f"Anhang: {f.code} {f.name}" for f in content.fields]
    for i, block in zip(fields, content.fields):
        assert f"Fortschritt {fmt.percent(block.progress)}" in slide_text(slides[i])
        assert any(shape.shape_type == 13 for shape in slides[i].shapes)  # 13: picture
    assert any(shape.shape_type == 13 for shape in slides[titles.index("Aktionsfelder × Kernziele")].shapes)
    assert titles[-1] == "Anhang: Rücklauf nach Departement"
    for slide in slides[1:]:
        assert re.search(r"Berichtsperiode 2026-H2 · Stand 31\.12\.2026 · Folie \d+ von \d+", slide_text(slide))


# Each light's tint in a table cell, by hand: the light's colour mixed with white (red #C62828
# at 40 %, orange #E69F00 at 25 %, bluish green #009E73 at 20 %), as on the page.
TINTS = {"rot": "E8A9A9", "gelb": "F9E7BF", "gruen": "CCECE3"}


@pytest.mark.browser
def test_pptx_tables_show_lights_in_their_colour(demo_pptx):
    seen = set()
    for slide in demo_pptx.slides:
        for shape in slide.shapes:
            if not shape.has_table:
                continue
            table = shape.table
            header = [table.cell(0, c).text_frame.text for c in range(len(table.columns))]
            for c, heading in enumerate(header):
                if heading not in ("Ampel", "Sammelampel"):
                    continue
                for r in range(1, len(table.rows)):
                    cell = table.cell(r, c)
                    word = cell.text_frame.text.removesuffix(" *").split(" ")[-1]
                    light = {"grün": "gruen", "gelb": "gelb", "rot": "rot"}.get(word)
                    if light:
                        assert str(cell.fill.fore_color.rgb) == TINTS[light], (slide_title(slide), r)
                        seen.add(light)
                    bold = any(run.font.bold for p in cell.text_frame.paragraphs for run in p.runs)
                    assert bold == (light == "rot")
    assert seen == {"rot", "gelb", "gruen"}


@pytest.mark.browser
def test_pptx_content_slides_have_no_text_under_14_pt(demo_pptx):
    for number, slide in enumerate(list(demo_pptx.slides)[1:], start=2):
        for run in runs(slide):
            if run.text.strip():
                assert run.font.size is not None and run.font.size >= CONTENT_MIN_PT, (number, run.text)


@pytest.mark.browser
def test_pptx_long_tables_continue_on_further_slides(demo, demo_pptx):
    _, content = demo
    slides = list(demo_pptx.slides)
    appendix = [s for s in slides if slide_title(s).startswith("Anhang: alle Massnahmen (81)")]
    assert len(appendix) > 1
    assert all(slide_title(s).endswith("(Fortsetzung)") for s in appendix[1:])
    codes = [row[0] for s in appendix for row in table_rows(s)]
    assert codes == [m.code for m in content.measures]
    # The attention list: as much as fits two slides in the main part, the rest in the appendix.
    attention = [s for s in slides if "Was braucht Aufmerksamkeit?" in slide_title(s)]
    assert [row[0] for s in attention for row in table_rows(s)] == [a.code for a in content.attention]
    main = [s for s in attention if not slide_title(s).startswith("Anhang:")]
    assert 1 <= len(main) <= 2 and len(main) < len(attention)
    assert "Weitere im Anhang." in slide_text(main[-1])  # says where the rest is
    assert slide_title(attention[len(main)]) == "Anhang: Was braucht Aufmerksamkeit? – weitere Massnahmen"
    first = table_rows(attention[0])[0]
    a = content.attention[0]
    assert first == [
        a.code,
        a.title,
        a.department,
        a.light_label,
        fmt.percent(a.progress),
        fmt.percent(a.expected),
        fmt.date(a.planned_end),
        a.why,
        a.reason or "–",
    ]


@pytest.mark.browser
def test_pdf_has_footers_page_numbers_and_the_rollup_numbers(demo, demo_pdf):
    snap, content = demo
    h = headline(rollup(snap, DEMO_PERIOD))
    pages = pdf_pages(demo_pdf)
    assert 1 + 1 + 1 + 9 + 2 <= len(pages) <= 40
    reader = PdfReader(io.BytesIO(demo_pdf))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    for number, text in enumerate(pages, start=1):
        assert "Berichtsperiode 2026-H2 · Stand 31.12.2026" in text
        assert f"Seite {number} von {len(pages)}" in text
    first, second = pages[0], pages[1]
    assert "Strategie «Digitaler Wandel»" in first and "Auf einen Blick: Berichtsperiode 2026-H2" in first
    figures, changes, chosen = _briefing_expectations(snap)
    for figure in figures + changes:
        assert figure in first, figure
    for measure in chosen:
        assert flat(f"{measure.title} ({measure.department_code}, {measure.code})") in flat(first)
    _codes_have_titles(first, snap)
    assert all(flat(sentence) in flat(second) for sentence in content.summary)
    assert f"Rücklauf {fmt.share(h['completeness'])} {fmt.share(content.previous_headline['completeness'])}" in second
    assert f"■ rot {h['red']}" in second
    everything = " ".join(pages)
    assert "Aktionsfelder × Kernziele" in everything and "Was braucht Aufmerksamkeit?" in everything
    for block in content.fields:
        assert f"{block.code} {block.name}" in everything
    assert all(m.code in everything for m in content.measures)


@pytest.mark.browser
def test_charts_render_as_png_and_the_browser_is_stopped(demo, demo_charts):
    _, content = demo
    assert set(demo_charts) == {"matrix", *(f"field:{f.code}" for f in content.fields)}
    for png in demo_charts.values():
        with Image.open(io.BytesIO(png)) as image:
            assert image.format == "PNG" and image.width > 1000
    # Nothing of the rendering is left running under this process: no worker, no browser.
    below = [_cmdline(pid) for pid in chart_images._process_tree(os.getpid())[1:]]
    assert [line for line in below if "render_worker" in line or "chromium_wrapper" in line] == []


@pytest.mark.browser
def test_charts_once_rendered_need_no_browser_again(demo, demo_charts, monkeypatch):
    first = council_export.render_charts(demo[1])  # from the cache, or rendered once more
    monkeypatch.setattr(chart_images, "find_browser", lambda: None)
    assert council_export.render_charts(demo[1]) == first
    assert council_export.to_pdf(demo[1])[:5] == b"%PDF-"


def test_xlsx_has_the_tables_and_no_formulas(demo):
    snap, content = demo
    wb = load_workbook(io.BytesIO(council_export.to_xlsx(content)))
    assert wb.sheetnames == ["Kopfzahlen", "Handlungsbedarf", "Matrix", "Aktionsfelder", "Massnahmen"]
    assert [c.data_type for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"] == []
    h = headline(rollup(snap, DEMO_PERIOD))
    figures = {row[0].value: row[1].value for row in wb["Kopfzahlen"].iter_rows(min_row=2, max_row=13)}
    assert figures["Massnahmen"] == h["measures"] and figures["■ rot"] == h["red"]
    assert figures["Gesamtfortschritt (%)"] == pytest.approx(h["overall_progress"], abs=0.001)
    assert wb["Massnahmen"].max_row == 1 + len(content.measures)
    assert wb["Handlungsbedarf"].max_row == 1 + len(content.attention)
    assert wb["Matrix"].max_row == 1 + 9 + 1  # nine fields and the core goals' row
    # The lights in their colour, as on the page and the slides (red also bold).
    for sheet, heading in (("Handlungsbedarf", "Ampel"), ("Massnahmen", "Ampel"), ("Aktionsfelder", "Sammelampel")):
        ws = wb[sheet]
        column = [c.value for c in ws[1]].index(heading) + 1
        for row in range(2, ws.max_row + 1):
            cell = ws.cell(row, column)
            light = {"● grün": "gruen", "▲ gelb": "gelb", "■ rot": "rot"}.get(cell.value)
            fill = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            assert fill == (f"00{TINTS[light]}" if light else None), (sheet, row, cell.value)
            assert bool(cell.font.bold) == (light == "rot"), (sheet, row)


def test_xlsx_keeps_formula_like_text_as_text(engine):
    build_small(engine)
    with transaction(engine) as session:
        measure = session.scalar(select(Measure).where(Measure.code == "M-B"))
        measure.title = '=HYPERLINK("http://example.invalid";"klick")'
        session.flush()
        snap = load_snapshot(session)
    content = council_content(snap, H2)
    wb = load_workbook(io.BytesIO(council_export.to_xlsx(content)))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c for c in cells if c.data_type == "f"]
    assert any(c.value == '=HYPERLINK("http://example.invalid";"klick")' and c.data_type == "s" for c in cells)


# --- failures, in German ------------------------------------------------------------


def test_missing_browser_gives_a_clear_german_error(demo, monkeypatch):
    council_export.clear_chart_cache()
    monkeypatch.setattr(chart_images, "find_browser", lambda: None)
    with pytest.raises(TrackingError, match="Für Grafiken wird Chromium benötigt"):
        council_export.to_pptx(demo[1])
    with pytest.raises(TrackingError, match="Für Grafiken wird Chromium benötigt"):
        council_export.to_pdf(demo[1])


def test_browser_path_that_does_not_exist_counts_as_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "kein-browser"))
    assert council_export.find_browser() is None


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _processes_running(text: str) -> list[str]:
    """The command lines of running processes that mention text."""
    lines = (_cmdline(int(path.parent.name)) for path in Path("/proc").glob("[0-9]*/cmdline"))
    return [line for line in lines if text in line]


def _fake_browser(tmp_path, body: str) -> Path:
    script = tmp_path / "browser.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return script


def test_a_browser_that_dies_at_start_fails_fast(demo, monkeypatch):
    council_export.clear_chart_cache()
    monkeypatch.setattr(chart_images, "find_browser", lambda: "/bin/true")
    started = time.monotonic()
    with pytest.raises(TrackingError, match=r"^Chromium liess sich nicht starten"):
        council_export.render_charts(demo[1])
    assert time.monotonic() - started < chart_images.START_TIMEOUT_S


def test_a_browser_that_never_answers_is_stopped_and_tried_once_more(demo, monkeypatch, tmp_path):
    # A «browser» that hangs at start, as Chromium now and then does on a busy machine.
    browser = _fake_browser(tmp_path, f"echo started >> {tmp_path / 'starts'}\nexec sleep 301")
    council_export.clear_chart_cache()
    monkeypatch.setattr(chart_images, "find_browser", lambda: str(browser))
    monkeypatch.setattr(chart_images, "START_TIMEOUT_S", 4.0)
    started = time.monotonic()
    with pytest.raises(TrackingError, match=r"^Chromium ist in 2 Versuchen nicht innert 4 Sekunden gestartet"):
        council_export.render_charts(demo[1])
    assert time.monotonic() - started < 2 * 4.0 + 10  # no waiting beyond the two starts
    assert (tmp_path / "starts").read_text().count("started") == 2
    assert _processes_running(str(browser)) == [] and _processes_running("sleep 301") == []


@pytest.mark.browser
def test_a_browser_that_hangs_once_is_started_again(demo, monkeypatch, tmp_path):
    from tests.browser import chromium_path

    real = chromium_path()
    if real is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium)")
    # The first start hangs, the second is the real Chromium.
    marker = tmp_path / "hung-once"
    browser = _fake_browser(tmp_path, f'[ -e {marker} ] || {{ touch {marker}; exec sleep 302; }}\nexec {real} "$@"')
    council_export.clear_chart_cache()
    monkeypatch.setattr(chart_images, "find_browser", lambda: str(browser))
    # The hanging start is given up after 4 s; the real Chromium then has all the time it needs
    # (on a busy machine its start takes more than 10 s).
    real_attempt, attempts = chart_images._attempt, []

    def attempt(job_file, timeout):
        attempts.append(job_file)
        monkeypatch.setattr(chart_images, "START_TIMEOUT_S", 4.0 if len(attempts) == 1 else 60.0)
        return real_attempt(job_file, timeout)

    monkeypatch.setattr(chart_images, "_attempt", attempt)
    images = council_export.render_charts(demo[1])
    assert marker.exists() and len(attempts) == 2
    assert set(images) == {"matrix"} | {f"field:{b.code}" for b in demo[1].fields}
    assert all(png.startswith(b"\x89PNG") for png in images.values())
    assert _processes_running("sleep 302") == []


def test_a_browser_that_answers_too_slowly_is_stopped(demo, monkeypatch, tmp_path):
    # Starts (the worker says «ready») and then never finishes: the render deadline ends it.
    council_export.clear_chart_cache()
    monkeypatch.setattr(chart_images, "find_browser", lambda: "/bin/true")
    fake_worker = _fake_browser(tmp_path, "echo ready\nexec sleep 303")
    real_popen = chart_images.subprocess.Popen
    monkeypatch.setattr(chart_images.subprocess, "Popen", lambda args, **kw: real_popen([str(fake_worker)], **kw))
    started = time.monotonic()
    with pytest.raises(TrackingError, match=r"^Chromium hat nicht innert 3 Sekunden geantwortet"):
        council_export.render_charts(demo[1], timeout=3)
    assert time.monotonic() - started < 15
    assert _processes_running("sleep 303") == []


def test_missing_pdf_font_gives_a_clear_german_error(demo, monkeypatch, tmp_path):
    monkeypatch.setattr(council_pdf, "FONT_DIRS", (tmp_path,))
    monkeypatch.setattr(council_pdf.pdfmetrics, "getRegisteredFontNames", lambda: [])
    with pytest.raises(TrackingError, match="fonts-dejavu-core"):
        council_export.to_pdf(demo[1], images=blank_charts(demo[1]))


# --- command line -----------------------------------------------------------------


def test_cli_report_writes_the_file_and_fails_in_german(tmp_path, monkeypatch, capsys):
    url = temp_database_url(tmp_path / "cli.sqlite")
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    schema.upgrade(engine)
    build_small(engine)
    target = tmp_path / "bericht.xlsx"
    assert main(["report", "--period", H2, "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"Sitzungsbericht 2024-H2 (Excel) gespeichert: {target}\n"
    assert load_workbook(target).sheetnames[0] == "Kopfzahlen"

    assert main(["report", "--period", "2030-H1", "--format", "xlsx", "-o", str(target)]) == 1
    assert "Berichtsperiode «2030-H1» gibt es nicht" in capsys.readouterr().err
    assert main(["report", "--period", H2, "-o", str(tmp_path / "bericht.doc")]) == 1
    assert "bitte --format pptx, pdf oder xlsx angeben" in capsys.readouterr().err
    monkeypatch.setattr(chart_images, "find_browser", lambda: None)
    assert main(["report", "--period", H2, "--format", "pdf", "-o", str(tmp_path / "b.pdf")]) == 1
    assert "Fehler: Für Grafiken wird Chromium benötigt" in capsys.readouterr().err


# Builds the report's chart figures in a fresh process: plain (as `python -m tracking report`),
# or with Streamlit's plotly element loaded, as in the dashboard's process (it makes Streamlit's
# template plotly's default for every figure made afterwards).
ROOT = Path(__file__).resolve().parent.parent
FIGURES_IN_A_PROCESS = """
import json, pickle, sys
if sys.argv[1] == "dashboard":
    import streamlit.elements.plotly_chart  # noqa: F401
import plotly.io as pio
from tracking.council_export.chart_images import chart_figures
content = pickle.loads(sys.stdin.buffer.read())
figures = {name: json.loads(fig.to_json()) for name, (fig, _) in chart_figures(content).items()}
print(json.dumps({"default": pio.templates.default, "figures": figures}))
"""


def _in_a_process(script: str, content, kind: str) -> dict:
    """What the script prints as JSON, run in a fresh process of the kind («plain» or «dashboard»)."""
    done = subprocess.run(
        [sys.executable, "-c", script, kind],
        input=pickle.dumps(content),
        capture_output=True,
        cwd=ROOT,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


def test_report_charts_are_the_same_whether_made_on_the_page_or_by_the_command_line(demo):
    plain = _in_a_process(FIGURES_IN_A_PROCESS, demo[1], "plain")
    dashboard = _in_a_process(FIGURES_IN_A_PROCESS, demo[1], "dashboard")
    assert (plain["default"], dashboard["default"]) == ("plotly", "streamlit")  # the two processes differ
    assert (
        plain["figures"].keys()
        == dashboard["figures"].keys()
        == {"matrix", *(f"field:{b.code}" for b in demo[1].fields)}
    )
    for name, figure in plain["figures"].items():
        assert figure == dashboard["figures"][name], name
    # The matrix names every field and core goal on its axes, the trends every period so far.
    matrix = plain["figures"]["matrix"]["data"][0]
    assert {c.core_code for c in demo[1].matrix} <= set(matrix["x"])
    assert len(matrix["y"]) == len(demo[1].fields)
    trend = plain["figures"]["field:AF1"]["data"]
    assert {p for p, _ in demo[1].overall_trend} <= {x for line in trend for x in line["x"]}


SVG_IN_A_PROCESS = """
import json, pickle, sys
if sys.argv[1] == "dashboard":
    import streamlit.elements.plotly_chart  # noqa: F401
import plotly.io as pio
from tracking.council_export.chart_images import chart_figures
content = pickle.loads(sys.stdin.buffer.read())
svgs = {}
for name, (fig, (width, height)) in chart_figures(content).items():
    if name in ("matrix", "field:AF1"):
        svgs[name] = pio.to_image(fig, format="svg", width=width, height=height).decode()
print(json.dumps(svgs))
"""


def _svg_texts(svg: str) -> list[str]:
    """Each text element of an SVG as it reads (its lines joined by a space)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)
    return [norm(" ".join(t.itertext())) for t in root.iter("{http://www.w3.org/2000/svg}text")]


# How the charts are drawn does not depend on the database: first pass only.
@pytest.mark.browser
@pytest.mark.first_pass_only
def test_report_charts_show_every_label_as_text_in_both_processes(demo):
    """The charts as a file holds them (SVG from kaleido): field names, core goals, periods and axis
    numbers are there as text, whether the report is made by the command line or on the page."""
    if council_export.find_browser() is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium)")
    _, content = demo
    made = {kind: _in_a_process(SVG_IN_A_PROCESS, content, kind) for kind in ("plain", "dashboard")}
    matrix = _svg_texts(made["plain"]["matrix"])
    for block in content.fields:
        assert f"{block.code} {block.name}" in matrix, block.code
    # The column headings: code and short name, as the strategy file gives them.
    definition = yaml.safe_load((ROOT / "data" / "strategy_luzern.yaml").read_text(encoding="utf-8"))
    headings = {flat(t) for t in matrix}  # a long short name is hyphenated: «Chancengerech- tigkeit»
    for core in definition["core_goals"]:
        assert flat(f"{core['code']} {core['short']}") in headings, core["code"]
    assert {"0 %", "50 %", "100 %"} & set(matrix), matrix  # the colour scale's numbers
    trend = _svg_texts(made["plain"]["field:AF1"])
    assert {p for p, _ in content.overall_trend} <= set(trend)
    assert {"0 %", "20 %", "40 %", "60 %", "80 %", "100 %"} <= set(trend)
    assert "Fortschritt in %" in trend and "Gesamt" in trend and "AF1" in trend
    # The page's process makes the same charts.
    for name in ("matrix", "field:AF1"):
        assert _svg_texts(made["dashboard"][name]) == _svg_texts(made["plain"][name]), name
