"""The dashboard in headless Chromium, as a department head would open it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import (
    ARTIFACTS,
    data_grid_cell,
    data_grid_row,
    no_page_not_found,
    open_page,
    paste_into_data_grid,
    type_into_data_grid,
    wait_idle,
)

pytestmark = pytest.mark.browser


def test_overview_shows_the_matrix_and_the_bars_in_german(server, page):
    open_page(page, server, "uebersicht")
    page.wait_for_selector("table.bar-table", timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview.png"), full_page=True)

    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("heading", name="Übersicht").is_visible()
    assert page.get_by_text("Demodaten", exact=False).first.is_visible()
    # The matrix: a table with its headings (a screen reader reads it as one).
    matrix = page.locator("table.af-matrix")
    for heading in ("K1 Chancengerechtigkeit", "K4 Vernetzung"):
        expect(matrix.get_by_role("columnheader", name=heading)).to_be_visible()
    expect(matrix.get_by_role("rowheader", name="AF5 politische Partizipation und E-Government")).to_be_visible()
    # The bars: each field's progress as a number beside its bar; lights with icon, word and count.
    bars = page.get_by_role("table").filter(has_text="Fortschritt in % (0 bis 100)")
    expect(
        bars.get_by_role("row", name=re.compile(r"^AF5 politische Partizipation und E-Government \d+ %$"))
    ).to_be_visible()
    legend = page.locator(".bar-legend")
    for word in ("● grün", "▲ gelb", "■ rot", "○ keine Meldung"):
        expect(legend.get_by_text(word)).to_be_visible()
    # The red light reads red: its computed colour is the palette's red.
    red = page.locator(".bar-table .stack .rot").first
    assert red.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(198, 40, 40)"  # #C62828
    expect(page.get_by_role("img", name=re.compile("^Verlauf: Fortschritt in %"))).to_be_visible()
    # No plotly on the Übersicht: its 3 MB of script would cost the page a second.
    assert page.locator(".js-plotly-plot").count() == 0


def test_on_a_phone_the_matrix_is_one_card_per_field(server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, server, "uebersicht")
    rows = page.locator("table.af-matrix tbody tr")
    expect(rows).to_have_count(9)
    row = rows.nth(2)
    row.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-phone-matrix.png"))
    box = row.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390  # the card fits the screen
    cells = row.locator("td")
    # A card: the field's name on top, then the four core goals one below the other, each readable.
    first, second = cells.nth(0).bounding_box(), cells.nth(1).bounding_box()
    assert second["y"] >= first["y"] + first["height"] - 1 and first["width"] > 300
    expect(cells.nth(0).locator(".label")).to_have_text("K1 Chancengerechtigkeit")
    size = cells.nth(0).locator(".progress").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 16
    # Nothing of the page runs off to the side.
    assert page.evaluate("document.querySelector('[data-testid=stMain]').scrollWidth") <= 390


def test_a_field_in_the_matrix_opens_its_page_for_the_same_period(server, page):
    open_page(page, server, "uebersicht?periode=2025-H1")
    page.get_by_role("link", name="AF3 Sicherheit").click()
    page.get_by_role("heading", name="AF3 Sicherheit").wait_for()
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Berichtsperiode")).to_have_value("2025-H1")
    expect(page.get_by_role("combobox", name="Aktionsfeld")).to_have_value("AF3")
    expect(page.get_by_role("heading", name="Anmelden")).to_have_count(0)  # still signed in after the reload


def test_period_in_the_url_opens_that_view(server, page):
    open_page(page, server, "uebersicht?periode=2024-H1")
    assert page.get_by_text("Berichtsperiode 2024-H1").count() >= 1
    assert page.get_by_role("combobox", name="Berichtsperiode").input_value() == "2024-H1"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-2024-H1.png"))


def test_coordinator_downloads_fills_uploads_and_sees_the_overview_change(server, page, tmp_path):
    import openpyxl

    from tracking.report_sheet import REPORT_COLUMNS, letter_of

    def full_fields_on_overview() -> int:
        open_page(page, server, "uebersicht")
        page.wait_for_selector("table.bar-table", timeout=30_000)
        return page.locator("table.bar-table .value").filter(has_text=re.compile(r"^100 %$")).count()

    before = full_fields_on_overview()
    open_page(page, server, "statusbericht")
    # Scope: action field AF9, which has one measure that still owes a report.
    page.get_by_role("combobox", name="Aktionsfeld").click()
    page.get_by_role("option", name="AF9 regionales und nationales Engagement").click()
    wait_idle(page)
    # The button of the new run (scope AF9), not the one the rerun is replacing.
    page.get_by_text("(Aktionsfeld AF9).").wait_for()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Vorlage herunterladen (.xlsx)").click()
    assert download.value.suggested_filename == "Statusbericht_2026-H2_AF9.xlsx"
    template = tmp_path / "vorlage.xlsx"
    download.value.save_as(template)

    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Statusbericht"]
    col = {c.key: letter_of(REPORT_COLUMNS, c.key) for c in REPORT_COLUMNS}
    rows = [r for r in range(2, sheet.max_row + 1) if sheet[f"{col['code']}{r}"].value]
    assert rows, "the template lists the measures of AF9"
    for r in rows:
        sheet[f"{col['status']}{r}"] = "abgeschlossen"
        sheet[f"{col['light']}{r}"] = "grün"
        sheet[f"{col['progress']}{r}"] = 100
    filled = tmp_path / "ausgefuellt.xlsx"
    workbook.save(filled)

    page.locator('[data-testid="stFileUploaderDropzone"] input[type=file]').set_input_files(str(filled))
    wait_idle(page)
    page.get_by_text("Vorschau").first.wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "statusbericht-vorschau.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"Änderungen speichern")).click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Gespeichert als Import \d+")).wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "statusbericht-gespeichert.png"), full_page=True)

    # Every AF9 measure is now complete: one more field bar reads 100 %.
    assert full_fields_on_overview() == before + 1
    page.screenshot(path=str(ARTIFACTS / "overview-nach-import.png"), full_page=True)


def test_department_head_goes_from_overview_to_a_field_to_a_measure(server, page):
    open_page(page, server, "uebersicht")
    page.get_by_role("link", name="Aktionsfelder", exact=True).click()
    wait_idle(page)
    page.get_by_role("combobox", name="Aktionsfeld").click()
    page.get_by_role("option", name="AF5", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name="AF5 politische Partizipation und E-Government").wait_for()
    expect(page).to_have_url(re.compile(r"feld=AF5"))  # the URL follows the choice a moment later
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "aktionsfeld-AF5.png"), full_page=True)

    page.get_by_role("link", name="Massnahmen", exact=True).click()
    wait_idle(page)
    # The page switch has written its URL before the choice below adds the measure to it.
    expect(page).to_have_url(re.compile(r"/massnahmen$"))
    picker = page.get_by_role("combobox", name="Massnahme im Detail")
    picker.click()
    picker.fill("M-5.1.01")  # the list is long: type to narrow it
    page.get_by_role("option", name="M-5.1.01", exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name=re.compile(r"^M-5\.1\.01 ")).wait_for()
    page.get_by_text("Verlauf: gemeldeter Fortschritt (Ist) und Plan (Soll)").wait_for()
    page.wait_for_selector(".js-plotly-plot .scatterlayer", timeout=30_000)
    expect(page).to_have_url(re.compile(r"massnahme=M-5\.1\.01"))
    page.screenshot(path=str(ARTIFACTS / "massnahme-M-5.1.01.png"), full_page=True)


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("aktionsfelder?feld=AF3&periode=2025-H1", "AF3 Sicherheit"),
        ("departemente?departement=GSD", "GSD – Gesundheits- und Sozialdepartement"),
        ("kernziele?kernziel=K2", "K2 – Bildung als Basis für Erfolg zu nutzen"),
        ("massnahmen?massnahme=M-2.1.01", None),
        # The start page by its name (it lives at «/»): no English «Page not found», the period kept.
        ("uebersicht?periode=2025-H1", "Übersicht"),
    ],
)
def test_a_link_with_filters_opens_the_same_view(server, page, path, heading):
    open_page(page, server, path)
    if heading:
        page.get_by_role("heading", name=heading).wait_for()
    else:
        page.get_by_role("heading", name=re.compile(r"^M-2\.1\.01 ")).wait_for()
    if "periode=2025-H1" in path:
        expect(page.get_by_role("combobox", name="Berichtsperiode")).to_have_value("2025-H1")
    no_page_not_found(page)
    assert page.locator('[data-testid="stException"]').count() == 0


def test_council_page_exports_a_pdf_in_one_click(server, page, tmp_path):
    from pypdf import PdfReader

    open_page(page, server, "sitzungsbericht")
    page.get_by_role("heading", name=re.compile("^Auf einen Blick")).wait_for()
    # Longer than the export's own limits (two starts of 30 s, 60 s to draw): a failure shows as its message.
    with page.expect_download(timeout=150_000) as download:
        page.get_by_role("button", name="PDF (A4)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "Sitzungsbericht_2026-H2.pdf"
    text = PdfReader(path).pages[0].extract_text()
    assert "2026-H2" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sitzungsbericht.png"), full_page=True)


def status_table(page):
    """The status table on Statusbericht (the page has other grids: preview, missing reports, imports)."""
    return page.locator('.st-key-erfassung [data-testid="stDataFrame"]')


def check_and_save_table(page, *, new: int, changed: int) -> None:
    """Press «Eingaben prüfen», compare the preview's counts, save, wait for the confirmation."""
    page.get_by_role("button", name="Eingaben prüfen").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"^Vorschau – Eingaben im Browser, Periode 2026-H2")).wait_for(timeout=30_000)

    def metric(label: str) -> str:
        box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
        return box.locator('[data-testid="stMetricValue"]').inner_text()

    assert (metric("Neu"), metric("Geändert")) == (str(new), str(changed))
    page.screenshot(path=str(ARTIFACTS / f"statusbericht-tabelle-{new}-{changed}.png"), full_page=True)
    page.get_by_role("button", name=f"Änderungen speichern ({new + changed})").click()
    wait_idle(page)
    page.get_by_text(re.compile(r"Gespeichert als Import \d+: 1 Meldungen")).wait_for(timeout=30_000)


def test_new_measure_from_verwaltung_to_template_to_report_to_overview(server, page, tmp_path):
    """Add a measure in Verwaltung, enter and correct its status in the browser table, find it with
    that status in the next template, see the overview move."""
    import openpyxl

    from tracking.report_sheet import REPORT_COLUMNS, letter_of

    def completeness_on_overview() -> str:
        open_page(page, server, "uebersicht")
        page.wait_for_selector("table.af-matrix", timeout=30_000)
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Rücklauf")
        return metric.locator('[data-testid="stMetricValue"]').inner_text()

    open_page(page, server, "verwaltung")
    page.get_by_text("Massnahme anlegen, ändern oder ausser Kraft setzen").click()
    wait_idle(page)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Massnahme speichern")
    form.get_by_role("combobox", name="Ziel").click()
    page.keyboard.type("9.2")  # the list is long: typing filters it
    page.get_by_role("option", name="9.2", exact=True).click()
    form.get_by_label("Titel").fill("Gemeinsames Portal der Zentralschweiz")
    form.get_by_role("button", name="Massnahme speichern").click()
    wait_idle(page)
    flash = page.get_by_text(re.compile(r"Katalog gespeichert \(Vorgang \d+\): neu: Massnahme M-9\.2\.\d+"))
    flash.wait_for(timeout=30_000)
    code = re.search(r"M-9\.2\.\d+", flash.inner_text()).group(0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "verwaltung-massnahme-neu.png"), full_page=True)
    before = completeness_on_overview()

    open_page(page, server, "statusbericht")
    page.get_by_role("combobox", name="Aktionsfeld").click()
    page.get_by_role("option", name="AF9 regionales und nationales Engagement").click()
    wait_idle(page)
    # A coordinator with few measures pastes the row from a spreadsheet into the table ...
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    # The table's columns: Code, Titel, Letzte Meldung, Status, Ampel, Fortschritt %, Unverändert, Kommentar, ...
    status, progress, comment = 3, 5, 7
    grid = status_table(page)
    row = data_grid_row(grid, code)
    expect(data_grid_cell(grid, 2, row)).to_have_text("noch keine Meldung")
    paste_into_data_grid(page, grid, status, row, ["in Umsetzung", "gelb", "15 %", "", "Partner entscheiden erst 2027"])
    check_and_save_table(page, new=1, changed=0)
    # ... sees the saved values in the table, the percent sign read as a number ...
    saved = {status: "in Umsetzung", status + 1: "gelb", progress: "15", comment: "Partner entscheiden erst 2027"}
    for column, text in saved.items():
        expect(data_grid_cell(status_table(page), column, row)).to_have_text(text)
    # ... and corrects the progress by typing into its cell.
    type_into_data_grid(page, status_table(page), progress, row, "20")
    check_and_save_table(page, new=0, changed=1)
    expect(data_grid_cell(status_table(page), progress, row)).to_have_text("20")

    # The next template lists the new measure with the values just saved.
    wait_idle(page)  # a click during a rerun can be lost with the button it was made on
    with page.expect_download() as download:
        page.get_by_role("button", name="Vorlage herunterladen (.xlsx)").click()
    template = tmp_path / "vorlage.xlsx"
    download.value.save_as(template)
    wait_idle(page)  # the download button reruns the page
    sheet = openpyxl.load_workbook(template)["Statusbericht"]
    rows = {sheet[f"A{r}"].value: r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value}
    assert code in rows, "the new measure is in the next template"
    cells = [f"{letter_of(REPORT_COLUMNS, key)}{rows[code]}" for key in ("status", "light", "progress", "unchanged")]
    assert [sheet[c].value for c in cells] == ["in Umsetzung", "gelb", 20, None]

    # One more report for the period: the overview's Rücklauf moves.
    assert completeness_on_overview() != before
