"""Helpers for browser tests: a real `streamlit run` and Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

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
def streamlit_server(database_url: str, log_path: Path, script: str = "dashboard.py", env: dict | None = None):
    """Start the dashboard (or another script) on a free port; yield its base URL; stop it."""
    port = free_port()
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


def dismiss_page_not_found(page) -> None:
    """Close Streamlit's spurious «Page not found» dialog on a deep link's first load.

    A known Streamlit issue (streamlit/streamlit#9992): the right page is shown
    underneath; the dialog only blocks clicks.
    """
    dialog = page.get_by_role("dialog").filter(has_text="Page not found")
    if dialog.count():
        page.keyboard.press("Escape")
        dialog.wait_for(state="detached")


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
    dismiss_page_not_found(page)
    if page.get_by_role("heading", name="Anmelden").count():
        page.get_by_text(ROLE_LABELS[role], exact=True).click()
        wait_idle(page)
        page.get_by_role("button", name="Demo starten").click()
        wait_idle(page)
        page.get_by_role("button", name="Abmelden").wait_for()
        wait_idle(page)
