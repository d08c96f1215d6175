"""Hostile text stays text: in every page (AppTest and a real browser) and in every export.

The corpus (tests/hostile_corpus.py) goes into measure titles and descriptions
and into the comment, next steps and risks of current reports, stored directly
(old data may hold what the import now refuses); the name of AF5 and of the
acting person carry a URL too.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select, update

from pages import PAGES
from tests.browser import open_page, streamlit_server, wait_idle
from tests.conftest import REFERENCE_DATE, temp_database_url
from tests.hostile_corpus import HOSTILE, URL_TEXT, at_limit
from tracking.audit import WriteLog
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.models import ActionField, Measure, ReportingPeriod, StatusReport
from tracking.periods import get_period
from tracking.reports import reportable_measures

SCRIPT = "<script>window.__pwned = 1</script>"
IMAGE = '<img src=x onerror="window.__pwned = 2">'
FORMULA = '=HYPERLINK("http://x","y")'
LINK = "[klick](javascript:window.__pwned=3)"
PERIOD = "2026-H2"
FIELD_NAME = f"Digitale Verwaltung {URL_TEXT}"
ACTOR_NAME = "Eva \x1b[31mRot\x1b[0m https://evil.example/a www.evil.example"

# Titles (at most 400 characters): the corpus and one at the limit. M-5.1.01 gets the URL,
# M-5.1.02 script and image, M-5.2.01 a markdown link.
TITLES = [URL_TEXT, f"Portal {SCRIPT} {IMAGE}", LINK] + [t for _, t in HOSTILE] + [at_limit("title")]
LONG = {kind: at_limit(kind) for kind in ("description", "comment", "next_steps", "risks")}


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    url = temp_database_url(tmp_path_factory.mktemp("hostile") / "hostile.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        period = session.scalar(select(ReportingPeriod.id).where(ReportingPeriod.name == PERIOD))
        session.execute(update(ActionField).where(ActionField.code == "AF5").values(name=FIELD_NAME))
        current = {
            r.measure_id: r
            for r in session.scalars(
                select(StatusReport).where(StatusReport.period_id == period, StatusReport.is_current.is_(True))
            )
        }
        named = ["M-5.1.01", "M-5.1.02", "M-5.2.01"]
        measures = [session.scalar(select(Measure).where(Measure.code == code)) for code in named]
        measures += [
            m
            for m in session.scalars(select(Measure).order_by(Measure.code))
            if m.id in current and m.code not in named
        ]
        texts = [t for _, t in HOSTILE]
        for i, measure in enumerate(measures[: len(TITLES)]):
            measure.title = TITLES[i]
            text = texts[i % len(texts)]
            measure.description = LONG["description"] if i % 5 == 4 else text
            report = current.get(measure.id)
            if report is None:
                continue
            report.light = "rot"  # on the council's list of what needs attention
            report.comment = LONG["comment"] if i % 5 == 4 else FORMULA if i == 3 else text
            report.next_steps = LONG["next_steps"] if i % 5 == 3 else text
            report.risks = LONG["risks"] if i % 5 == 2 else text
        # An import by a person whose name holds an escape sequence and a URL.
        log = WriteLog(session, actor=ACTOR_NAME, source=f"Datei {URL_TEXT}.xlsx", action="import")
        log.change("status_report", "M-5.1.01/2026-H2", "update", before={"id": 1}, after={"id": 1})
        log.record.summary = LINK
    engine.dispose()
    return url


def _stored_texts(url) -> list[str]:
    with transaction(make_engine(url)) as session:
        rows = session.execute(
            select(
                Measure.title, Measure.description, StatusReport.comment, StatusReport.next_steps, StatusReport.risks
            )
            .join(StatusReport, StatusReport.measure_id == Measure.id)
            .where(Measure.title.in_(TITLES), StatusReport.is_current.is_(True))
        ).all()
    return sorted({text for row in rows for text in row if text})


# --- every page, AppTest ---------------------------------------------------------------

# What markdown would make a link of (a URL, www., an e-mail) or render as HTML. Text from the data
# reaches markdown through pages.text.md_text, which escapes «<» and joins a ZWJ after «://», «www», «@».
UNSAFE_MARKDOWN = re.compile(r"(?i)https?\\?://(?!\u200d)|\bwww\.|\w@[\w-]|(?<!\\)<[a-z/!]")


def _markdown_values(at) -> list[str]:
    values = []
    for kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success"):
        values += [str(element.value) for element in at.get(kind)]
    values += [str(m.help or "") for m in at.get("metric")]
    values += [str(s.help or "") for s in at.get("selectbox")]
    return values


@pytest.mark.parametrize("path", [p for p, *_ in PAGES])
def test_every_page_shows_the_corpus_as_text(hostile_url, monkeypatch, path):
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import ROOT
    from tracking.access import Actor

    monkeypatch.setenv("DATABASE_URL", hostile_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at.session_state["angemeldet"] = Actor(name=ACTOR_NAME, role="admin")
    at.run()
    at.switch_page(path).run()
    if path == "pages/action_fields.py":
        at.sidebar.selectbox(key="feld").select("AF5").run()
    if path == "pages/measures.py":
        at.sidebar.selectbox(key="massnahme").select("M-5.1.01").run()
    assert not at.exception, [e.value for e in at.exception]
    values = _markdown_values(at)
    unsafe = [v for v in values if UNSAFE_MARKDOWN.search(v)]
    assert unsafe == []
    shown = "\n".join(values).replace("\u200d", "").replace("\\", "")
    if path == "pages/measures.py":
        assert f"M-5.1.01 {URL_TEXT}" in shown  # the detail's heading, read as typed
    if path in ("pages/action_fields.py", "pages/council.py"):
        assert FIELD_NAME in shown


# --- the pages in a real browser ---------------------------------------------------------


@pytest.mark.browser
def test_pages_show_hostile_text_as_text(hostile_url, browser, tmp_path):
    with streamlit_server(hostile_url, tmp_path / "streamlit.log") as base:
        context = browser.new_context(viewport={"width": 1400, "height": 2000})
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for path in ["massnahmen?massnahme=M-5.1.01", "aktionsfelder?feld=AF5", "sitzungsbericht", "massnahmen"]:
            open_page(page, base, path)
            wait_idle(page)
            assert page.evaluate("() => window.__pwned === undefined"), path
            assert page.locator("img[src='x']").count() == 0, path
            assert page.locator("a[href^='javascript']").count() == 0, path
            assert page.locator("a[href*='evil.example']").count() == 0, path
            assert page.locator("a[href^='mailto']").count() == 0, path
        open_page(page, base, "massnahmen?massnahme=M-5.1.01")
        heading = page.get_by_role("heading", name=re.compile("^M-5.1.01 Portal"))
        heading.wait_for()
        assert heading.inner_text().replace("\u200d", "") == f"M-5.1.01 {URL_TEXT}"
        open_page(page, base, "massnahmen?massnahme=M-5.1.02")
        page.get_by_role("heading", name="M-5.1.02 Portal <script>", exact=False).wait_for()
        open_page(page, base, "aktionsfelder?feld=AF5")
        heading = page.get_by_role("heading", name=re.compile("^AF5 Digitale Verwaltung"))
        heading.wait_for()
        assert heading.inner_text().replace("\u200d", "") == f"AF5 {FIELD_NAME}"
        assert dialogs == []
        context.close()


# The missing browser is the point, not the database: first pass only.
@pytest.mark.browser
@pytest.mark.first_pass_only
def test_council_page_says_in_german_when_the_pdf_cannot_be_built(hostile_url, browser, tmp_path):
    # A «browser» that exits at once: the charts, and so the PDF, cannot be made.
    with streamlit_server(hostile_url, tmp_path / "streamlit.log", env={"BROWSER_PATH": "/bin/true"}) as base:
        context = browser.new_context(viewport={"width": 1400, "height": 2000}, accept_downloads=True)
        page = context.new_page()
        open_page(page, base, "sitzungsbericht")
        page.get_by_role("heading", name=re.compile("^Auf einen Blick")).wait_for()
        page.get_by_role("button", name="PDF (A4)").click()
        alert = page.get_by_text(re.compile("^Das PDF konnte nicht erstellt werden: Chromium"))
        alert.wait_for(timeout=120_000)
        assert "Die Excel-Datei enthält dieselben Tabellen." in alert.inner_text()
        context.close()


# --- every export ------------------------------------------------------------------------


def excel_text(value: str) -> str:
    """A text cell as Excel reads it: _x001B_ is the character U+001B, _x005F_ an underscore."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def _workbook_texts(data: bytes) -> tuple[list[str], list[str]]:
    """Every text cell of a workbook (as Excel reads it), and the coordinates of any formula cell."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row]
    formulas = [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    return [excel_text(c.value) for c in cells if isinstance(c.value, str)], formulas


def _content(url):
    from tracking.council import load_council_content

    with transaction(make_engine(url)) as session:
        return load_council_content(session, PERIOD, as_of=REFERENCE_DATE)


def test_council_xlsx_keeps_every_text_whole_and_as_text(hostile_url):
    from tracking.council_export import to_xlsx

    texts, formulas = _workbook_texts(to_xlsx(_content(hostile_url)))
    assert formulas == []
    for title in TITLES:
        assert title in texts, title
    assert FORMULA in texts and LONG["comment"] in texts


def test_catalogue_backup_audit_and_template_keep_every_text_whole_and_as_text(hostile_url):
    from tracking.audit import audit_entries, audit_workbook
    from tracking.backup import export_workbook
    from tracking.catalogue import export_catalogue
    from tracking.excel_template import build_template

    stored = _stored_texts(hostile_url)
    with transaction(make_engine(hostile_url)) as session:
        files = {
            "catalogue": export_catalogue(session),
            "backup": export_workbook(session),
            "audit": audit_workbook(audit_entries(session)),
            "template": build_template(session, period=PERIOD),
        }
    found = {}
    for name, data in files.items():
        texts, formulas = _workbook_texts(data)
        assert formulas == [], name
        found[name] = set(texts)
    assert set(stored) <= found["backup"]
    # The template lists the measures that owe a report in the period (those with a hostile title among them).
    with transaction(make_engine(hostile_url)) as session:
        owing = {r.measure_id for r in reportable_measures(session, get_period(session, PERIOD))}
        owing_titles = set(session.scalars(select(Measure.title).where(Measure.id.in_(owing)))) & set(TITLES)
    assert set(TITLES) <= found["catalogue"]
    assert len(owing_titles) >= len(TITLES) - 3 and owing_titles <= found["template"]
    assert ACTOR_NAME in found["audit"] and ACTOR_NAME in found["backup"]


def test_slides_and_pdf_keep_the_corpus_as_text(hostile_url):
    from pptx import Presentation
    from pypdf import PdfReader

    from tests.test_council import blank_charts, slide_text
    from tracking.council_export import to_pdf, to_pptx
    from tracking.council_export.text import xml_safe

    content = _content(hostile_url)
    images = blank_charts(content)
    deck = Presentation(io.BytesIO(to_pptx(content, images=images)))
    slides = " ".join(slide_text(s) for s in deck.slides)
    for title in TITLES[:-1]:  # the one at the limit is cut on slides (the note says so)
        assert " ".join(xml_safe(title).split()) in slides, title
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(content, images=images))).pages)
    flat = "".join(pdf.split())  # table cells break lines anywhere
    for text in (SCRIPT, IMAGE, LINK, URL_TEXT, FORMULA):
        assert "".join(text.split()) in flat, text


@pytest.mark.browser
def test_pptx_and_pdf_with_real_charts_keep_hostile_text_as_text(hostile_url):
    from pptx import Presentation
    from pypdf import PdfReader

    from tracking.council_export import to_pdf, to_pptx

    content = _content(hostile_url)
    deck = Presentation(io.BytesIO(to_pptx(content)))
    texts = " ".join(
        shape.text_frame.text if shape.has_text_frame else " ".join(c.text for r in shape.table.rows for c in r.cells)
        for slide in deck.slides
        for shape in slide.shapes
        if shape.has_text_frame or shape.has_table
    )
    assert "<script>" in texts
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(to_pdf(content))).pages)
    assert "<script>" in pdf.replace("\n", " ")
