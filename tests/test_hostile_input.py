"""Hostile text stays text: in the pages (real browser) and in every export."""

from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select, update

from tests.browser import open_page, streamlit_server, wait_idle
from tests.conftest import REFERENCE_DATE, temp_database_url
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.models import Measure, ReportingPeriod, StatusReport

SCRIPT = "<script>window.__pwned = 1</script>"
IMAGE = '<img src=x onerror="window.__pwned = 2">'
FORMULA = '=HYPERLINK("http://x","y")'
LINK = "[klick](javascript:window.__pwned=3)"


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory):
    url = temp_database_url(tmp_path_factory.mktemp("hostile") / "hostile.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=REFERENCE_DATE)
    with transaction(engine) as session:
        period = session.scalar(select(ReportingPeriod.id).where(ReportingPeriod.name == "2026-H2"))
        session.execute(update(Measure).where(Measure.code == "M-5.1.01").values(title=f"Portal {SCRIPT} {IMAGE}"))
        session.execute(update(Measure).where(Measure.code == "M-5.1.02").values(title=LINK))
        report = session.scalar(
            select(StatusReport).where(StatusReport.period_id == period, StatusReport.is_current.is_(True)).limit(1)
        )
        report.light, report.comment = "rot", FORMULA
    return url


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
        open_page(page, base, "massnahmen?massnahme=M-5.1.01")
        page.get_by_role("heading", name="M-5.1.01 Portal <script>", exact=False).wait_for()
        assert dialogs == []
        context.close()


def test_exports_keep_hostile_text_as_text(hostile_url):
    from tracking.council import council_content
    from tracking.council_export import to_xlsx
    from tracking.rollup import load_snapshot

    with transaction(make_engine(hostile_url)) as session:
        content = council_content(load_snapshot(session), "2026-H2", as_of=REFERENCE_DATE)
    workbook = openpyxl.load_workbook(io.BytesIO(to_xlsx(content)))
    cells = [c for ws in workbook for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "no formula cells"
    assert any(SCRIPT in c.value for c in cells)
    assert any(c.value == FORMULA for c in cells)


@pytest.mark.browser
def test_pptx_and_pdf_keep_hostile_text_as_text(hostile_url):
    from pptx import Presentation
    from pypdf import PdfReader

    from tracking.council import council_content
    from tracking.council_export import to_pdf, to_pptx
    from tracking.rollup import load_snapshot

    with transaction(make_engine(hostile_url)) as session:
        content = council_content(load_snapshot(session), "2026-H2", as_of=REFERENCE_DATE)
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
