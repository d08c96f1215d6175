"""Every page passes axe-core's WCAG 2.1 A and AA rules (no serious or critical violation)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pages import PAGES
from tests.browser import ROOT, open_page, wait_idle

# Words and accessibility do not depend on the database: the PostgreSQL pass leaves them out.
pytestmark = [pytest.mark.browser, pytest.mark.first_pass_only]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the page (axe already added)."""
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['html'][:120] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.exists():
        pytest.skip("axe-core fehlt: `npm install` im Projektordner ausführen")
    return AXE


@pytest.mark.parametrize(
    ("url", "title"), [("" if i == 0 else url, title) for i, (_, title, _, url, _) in enumerate(PAGES)]
)
def test_page_has_no_serious_accessibility_violations(server, page, axe_script, url, title):
    open_page(page, server, url)
    page.get_by_role("heading", name=title).first.wait_for()
    page.add_script_tag(path=str(axe_script))
    # At 1440 px and on a phone: the same page, narrowed (its phone layout is CSS).
    for width, height in ((1440, 2200), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        wait_idle(page)
        assert serious_violations(page) == [], f"{width} px"


def test_sign_in_page_has_no_serious_accessibility_violations(server, page, axe_script):
    page.goto(f"{server}/")
    wait_idle(page)
    page.get_by_role("heading", name="Anmelden").wait_for()
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    assert [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")] == []
