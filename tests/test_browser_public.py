"""The public page as a visitor meets it: over plain HTTP and in Chromium, without signing in.

The database is the demo with every internal text replaced by a marker
(tests.factories.mark_internal_texts): reasons, risks, next steps, comments,
descriptions, people, accounts, the audit trail, waiting submissions and the
titles of internal measures. No page, link, download or measure address of the
public site may show a marker; nor may the internal pages before sign-in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import urllib.error
import urllib.request
import zipfile

import pytest

from tests.browser import streamlit_server, wait_idle
from tests.factories import MARK, mark_internal_texts
from tests.test_accessibility import AXE, serious_violations
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction

from .conftest import temp_database_url

# What a visitor can see does not depend on the database (the store's side runs on both in
# tests/test_public.py): the PostgreSQL pass leaves these out.
pytestmark = [pytest.mark.browser, pytest.mark.first_pass_only]
INTERNAL_PATHS = ["", "uebersicht", "massnahmen", "massnahmen?massnahme=M-1.1.01", "statusbericht", "verwaltung"]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, browser):
    tmp = tmp_path_factory.mktemp("public")
    url = temp_database_url(tmp / "public.sqlite")
    engine = make_engine(url)
    init_database(engine, actor="test", demo=True, today=dt.date(2026, 11, 15))
    with transaction(engine) as session:
        mark_internal_texts(session)
    engine.dispose()
    with streamlit_server(url, tmp / "streamlit.log") as base:
        yield base


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, final address (after redirects) and body."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.url, response.read()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read()


def no_marker(body: bytes, where: str) -> None:
    assert MARK.encode() not in body.upper(), where
    assert b"987654" not in body and b"987'654" not in body, where


def test_no_internal_text_over_http_on_any_public_address(hostile_server):
    status, _, page = fetch(f"{hostile_server}/oeffentlich")
    assert status == 200 and b"Stand der Umsetzung" in page
    no_marker(page, "/oeffentlich")
    links = set(re.findall(r'href="([^"]+)"', page.decode()))
    # Nothing internal is linked: only the public site itself and anchors on the page.
    assert links and all(link.startswith(("/oeffentlich", "#")) for link in links), links
    seen = 0
    for link in sorted(link.replace("&amp;", "&") for link in links if link.startswith("/")):
        status, _, body = fetch(hostile_server + link)
        assert status == 200, link
        no_marker(body, link)
        if link.startswith("/oeffentlich/daten.zip"):
            archive = zipfile.ZipFile(io.BytesIO(body))
            for name in archive.namelist():
                no_marker(archive.read(name), f"{link}: {name}")
        seen += 1
    assert seen >= 15  # the periods, the ZIP, nine CSV files, README, datapackage.json, DCAT twice
    _, _, measures = fetch(f"{hostile_server}/oeffentlich/daten/massnahmen.csv")
    rows = list(csv.DictReader(io.StringIO(measures.decode("utf-8"))))
    assert rows
    for row in rows:
        status, final, body = fetch(row["uri"])
        assert status == 200 and final.endswith(f"#massnahme-{row['code']}"), row["uri"]
        no_marker(body, row["uri"])
    for path in INTERNAL_PATHS:
        status, _, body = fetch(f"{hostile_server}/{path}")
        no_marker(body, f"/{path}")
        assert b"Stand der Umsetzung" not in body and b"Massnahme" not in body, path


def test_no_internal_text_in_chromium_nor_on_internal_pages_before_sign_in(hostile_server, page):
    page.goto(f"{hostile_server}/oeffentlich")
    page.get_by_role("heading", name="Digitaler Wandel: Stand der Umsetzung").wait_for()
    assert MARK not in page.content().upper()
    assert page.locator("[data-testid=stSidebar]").count() == 0
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Alle Dateien als ZIP")).click()
    archive = zipfile.ZipFile(download.value.path())
    assert "massnahmen.csv" in archive.namelist()
    for name in archive.namelist():
        no_marker(archive.read(name), name)
    for path in INTERNAL_PATHS:
        page.goto(f"{hostile_server}/{path}")
        wait_idle(page)
        page.get_by_role("heading", name="Anmelden").wait_for()
        assert MARK not in page.content().upper(), path


def test_public_page_is_accessible_and_fits_a_phone(hostile_server, page):
    page.goto(f"{hostile_server}/oeffentlich")
    page.add_script_tag(path=str(AXE))
    for width, height in ((1440, 1000), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == [], f"{width} px"
        # Nothing wider than the screen: the measures become cards, the trend scrolls in its own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{width} px"
    # On the phone each measure's row reads as a card with labels.
    card = page.locator("tr[id^=massnahme-]").first
    assert card.evaluate("e => getComputedStyle(e).display") == "block"
    assert "Fortschritt:" in card.inner_text() and "Ampel:" in card.inner_text()
