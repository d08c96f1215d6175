"""Every page, for every role, speaks German: no English word of Streamlit's own widgets, no
technical value (None, NaN), in the visible text, the placeholders or the names of the date
fields' parts; at 1440 px and on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from pages import PAGES
from tests.browser import ROLE_LABELS, no_page_not_found, open_page, wait_idle
from tracking.access import PAGE_ROLES

# Words and accessibility do not depend on the database: the PostgreSQL pass leaves them out.
pytestmark = [pytest.mark.browser, pytest.mark.first_pass_only]

# English words Streamlit, plotly or pandas would show: each has been seen on a page once.
ENGLISH = re.compile(
    r"\b(Upload|Browse files|Drag and drop|per file|Limit \d+MB|Page not found|Running|Deploy|"
    r"Choose an option|No options|No results|Press Enter|Clear all|Fullscreen|Show data|Search|"
    r"Download as|Loading|Made with Streamlit|None|NaN|nan|True|False|NaT|dd\.mm|yyyy|day|month|year|"
    r"Empty|Select all|Add row|Delete|Settings|Rerun|Stop)\b"
)

VISIBLE = """() => {
  const texts = [document.body.innerText];
  document.querySelectorAll('input[placeholder], textarea[placeholder]').forEach((e) => texts.push(e.placeholder));
  document.querySelectorAll('[data-testid="stDateInputField"] [role="spinbutton"]').forEach((e) => {
    texts.push(e.textContent, e.getAttribute('aria-label') || '', e.getAttribute('aria-valuetext') || '');
  });
  return texts.join('\\n');
}"""


def _pages_of(role: str) -> list[tuple[str, str]]:
    return [("" if i == 0 else url, title) for i, (_, title, _, url, _) in enumerate(PAGES) if role in PAGE_ROLES[url]]


@pytest.mark.parametrize("role", list(ROLE_LABELS))
def test_every_page_speaks_german_for_every_role(server, page, role):
    # One sign-in per role; each page read at 1440 px, then on a phone (the same page, narrowed).
    for url, title in _pages_of(role):
        page.set_viewport_size({"width": 1440, "height": 2200})
        open_page(page, server, url, role=role)
        page.get_by_role("heading", name=title).first.wait_for()
        no_page_not_found(page)
        for width, height in ((1440, 2200), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            wait_idle(page)
            text = page.evaluate(VISIBLE)
            found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
            assert found == [], f"{role} {url or '/'} {width} px: {found}"


def test_date_fields_and_file_uploaders_say_it_in_german(server, page):
    open_page(page, server, "verwaltung")
    since = page.locator('[data-testid="stDateInput"]').filter(has_text="von").first
    since.scroll_into_view_if_needed()
    expect(since.locator('[role="spinbutton"]')).to_have_text(["TT", "MM", "JJJJ"])
    expect(since.get_by_role("spinbutton", name="Tag, von")).to_have_count(1)
    uploader = page.locator('[data-testid="stFileUploaderDropzone"]').first
    uploader.scroll_into_view_if_needed()
    expect(uploader.get_by_role("button", name="Datei wählen")).to_be_visible()
    # The file input, for screen readers.
    expect(uploader.get_by_role("button", name="Datei hochladen")).to_have_count(1)
    # The note is CSS content (Streamlit's English note hidden): read as the browser draws it.
    note = uploader.locator('[data-testid="stFileUploaderDropzoneInstructions"] > div')
    assert note.evaluate("e => getComputedStyle(e, '::after').content") == '"oder hierher ziehen"'
    expect(uploader.get_by_text("200MB per file")).to_be_hidden()
    # Typing a date still works with the German placeholders.
    since.get_by_role("spinbutton").first.click()
    page.keyboard.type("01012026")
    expect(since.locator('[role="spinbutton"]')).to_have_text(["01", "01", "2026"])
