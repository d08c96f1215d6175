"""Helpers for browser tests: a real `streamlit run` and Debian's headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    database_url: str, log_path: Path, script: str = "server.py", env: dict | None = None, port: int | None = None
):
    """Start the dashboard (server.py, or another script) on a free port; yield its base URL; stop it."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until the app's script has finished running (never sleep)."""
    page.wait_for_selector(IDLE, timeout=timeout)
    # No skeletons still loading and no elements left over from the previous run.
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stSkeleton\"]')"
        " && !document.querySelector('[data-stale=\"true\"]')",
        timeout=timeout,
    )


def no_page_not_found(page) -> None:
    """Streamlit's English «Page not found» dialog never shows (server.py keeps Streamlit from
    reading pages/ as its old pages folder, dashboard.py knows every page's address)."""
    expect(page.get_by_role("dialog").filter(has_text="Page not found")).to_have_count(0)


ROLE_LABELS = {
    "admin": "Administration",
    "koordination": "Koordination",
    "departementsleitung": "Departementsleitung",
    "regierungsrat": "Regierungsrat",
}


def open_page(page, base: str, path: str = "", role: str = "admin") -> None:
    """Open a URL and, on the sign-in screen, start a demo session with the role."""
    page.goto(f"{base}/{path}")
    wait_idle(page)
    no_page_not_found(page)
    if page.get_by_role("heading", name="Anmelden").count():
        page.get_by_text(ROLE_LABELS[role], exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name="Demo starten").click()
        wait_idle(page)
        page.get_by_role("button", name="Abmelden").wait_for()
        wait_idle(page)


def sign_in_with_password(page, username: str, password: str) -> None:
    """On the sign-in screen (at any address): the account's name and password; then the browser
    fetches its cookie and comes back, a new page run signed in from the cookie."""
    page.get_by_role("textbox", name="Benutzername").fill(username)
    page.get_by_role("textbox", name="Passwort").fill(password)
    page.get_by_role("button", name="Anmelden", exact=True).click()
    deadline = time.monotonic() + 20
    while not [c for c in page.context.cookies() if c["name"] == "tracking_sitzung"]:
        assert time.monotonic() < deadline, "kein Anmelde-Cookie"
        page.wait_for_timeout(100)
    page.wait_for_load_state()
    wait_idle(page)
    page.get_by_role("button", name="Abmelden").wait_for()


def data_grid_cell(grid, column: int, row: int):
    """One cell of a Streamlit data grid, as its accessible twin (the grid itself draws on a canvas)."""
    return grid.locator(f"td#glide-cell-{column}-{row}")


def data_grid_row(grid, text: str, column: int = 0) -> int:
    """The row of a Streamlit data grid whose cell in the column reads exactly text.

    Waits for it: the grid's accessible table is built a moment after the grid
    is drawn, and until then may still show the rows it had before.
    """
    grid.locator('canvas[data-testid="data-grid-canvas"]').focus()
    cell = grid.locator(f'td[id^="glide-cell-{column}-"]').filter(has_text=re.compile(f"^{re.escape(text)}$"))
    cell.wait_for(state="attached", timeout=30_000)
    return int(cell.get_attribute("id").rsplit("-", 1)[1])


def select_data_grid_cell(grid, column: int, row: int, attempts: int = 5) -> None:
    """Select one cell of a Streamlit data grid through its accessible table (td#glide-cell-COL-ROW).

    The grid selects the cell whose accessible twin gets the focus. That table
    is rebuilt a moment after each change, and a focus that lands in between is
    lost; so focus, check that the grid selected exactly this cell, and else
    go through a neighbour and try again. Reliable on a freshly drawn grid;
    after an edit the grid no longer follows the accessible table.
    """
    from playwright.sync_api import expect

    canvas = grid.locator('canvas[data-testid="data-grid-canvas"]')
    cell = grid.locator(f"td#glide-cell-{column}-{row}")
    for attempt in range(attempts):
        canvas.focus()
        cell.focus()
        try:
            expect(cell).to_be_focused(timeout=2_000)
            expect(cell).to_have_attribute("aria-selected", "true", timeout=2_000)
            return
        except AssertionError:
            if attempt == attempts - 1:
                raise
            # The grid ignores a second focus on the cell it saw last.
            grid.locator(f"td#glide-cell-0-{row}").focus()


def paste_into_data_grid(page, grid, column: int, row: int, cells: list[str]) -> None:
    """Paste cells copied from a spreadsheet row (tab-separated) into st.data_editor, with Ctrl+V.

    Needs the context's clipboard permissions (clipboard-read, clipboard-write).
    """
    select_data_grid_cell(grid, column, row)
    page.evaluate("text => navigator.clipboard.writeText(text)", "\t".join(cells))
    page.keyboard.press("Control+V")
    wait_idle(page)


def type_into_data_grid(page, grid, column: int, row: int, value: str) -> None:
    """Type one value into a cell of st.data_editor: select it, Enter, type into the cell's editor, Enter.

    The keys go to the editor only once it is open, never to whatever else has the focus.
    """
    select_data_grid_cell(grid, column, row)
    page.keyboard.press("Enter")
    # A text cell opens a textarea, a choice cell a searchable list (react-select).
    editor = page.locator("#portal textarea.gdg-input, #portal input[id^='react-select']").first
    editor.wait_for(timeout=10_000)
    editor.fill(value)
    editor.press("Enter")
    editor.wait_for(state="detached", timeout=10_000)
    wait_idle(page)
