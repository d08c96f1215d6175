"""The dashboard in headless Chromium, as a department head would open it."""

from __future__ import annotations

import pytest

from tests.browser import ARTIFACTS, CHROMIUM_FLAGS, chromium_path, streamlit_server, wait_idle
from tests.conftest import REFERENCE_DATE
from tracking.bootstrap import init_database
from tracking.db import make_engine

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{tmp / 'demo.sqlite'}"
    init_database(make_engine(url), actor="test", demo=True, today=REFERENCE_DATE)
    with streamlit_server(url, tmp / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, locale="de-CH")
    pg = context.new_page()
    yield pg
    context.close()


def test_overview_shows_heatmap_and_bars_in_german(server, page):
    page.goto(f"{server}/")
    wait_idle(page)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("heading", name="Übersicht").is_visible()
    assert page.get_by_text("Demodaten", exact=False).first.is_visible()
    charts = page.locator(".js-plotly-plot")
    assert charts.count() >= 4
    heatmap = charts.nth(0)
    for label in ("K1", "K4", "AF5 politische Partizipation und E-Government", "Fortschritt %"):
        assert heatmap.get_by_text(label, exact=False).count() > 0, label
    bars = charts.nth(1)
    assert bars.get_by_text("Fortschritt in %").count() == 1
    lights = charts.nth(2)
    for word in ("● grün", "▲ gelb", "■ rot", "○ keine Meldung"):
        assert lights.get_by_text(word).count() == 1, word


def test_period_in_the_url_opens_that_view(server, page):
    page.goto(f"{server}/?periode=2024-H1")
    wait_idle(page)
    assert page.get_by_text("Berichtsperiode 2024-H1").count() >= 1
    assert page.get_by_role("combobox", name="Berichtsperiode").input_value() == "2024-H1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-2024-H1.png"))
