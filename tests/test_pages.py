"""Every dashboard page renders (Streamlit AppTest) and reacts to its controls."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pages import PAGES
from tests.conftest import REFERENCE_DATE
from tracking.bootstrap import init_database
from tracking.db import make_engine, transaction
from tracking.rollup import headline, load_snapshot, rollup

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "demo.sqlite"
    url = f"sqlite:///{path}"
    init_database(make_engine(url), actor="test", demo=True, today=REFERENCE_DATE)
    return url


@pytest.fixture
def app(demo_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", demo_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    return at


def test_every_page_file_is_registered():
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    helpers = {"pages/__init__.py", "pages/shared.py"}
    assert files - helpers == {path for path, *_ in PAGES}


@pytest.mark.parametrize(("path", "title"), [(p, t) for p, t, *_ in PAGES])
def test_page_renders_without_error(app, path, title):
    app.run()
    app.switch_page(path)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == title
    assert any("Demodaten" in w.value for w in app.warning)


def _metric(app, label):
    return next(m.value for m in app.metric if m.label == label)


def test_changing_the_period_changes_the_figures(app, demo_url):
    app.run()
    assert app.sidebar.selectbox[0].label == "Berichtsperiode"
    with transaction(make_engine(demo_url)) as session:
        snap = load_snapshot(session)
    expected = {p: headline(rollup(snap, p))["measures"] for p in ("2024-H1", "2026-H1")}
    assert expected["2024-H1"] != expected["2026-H1"]  # the check below can tell them apart

    app.sidebar.selectbox[0].select("2024-H1").run()
    assert not app.exception
    assert any(c.value.startswith("Berichtsperiode **2024-H1**") for c in app.caption)
    assert _metric(app, "Massnahmen") == str(expected["2024-H1"])
    app.sidebar.selectbox[0].select("2026-H1").run()
    assert _metric(app, "Massnahmen") == str(expected["2026-H1"])


def test_empty_database_says_what_to_do(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert "python -m tracking init" in at.error[0].value
