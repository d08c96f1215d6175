"""Fixtures: a fresh database per test, on SQLite and (when configured) PostgreSQL.

TEST_DATABASE_URL points at an empty PostgreSQL database that the tests may
wipe. Without it the PostgreSQL variants are skipped, unless REQUIRE_POSTGRES=1
(CI), where a missing database fails the run instead.

Tests of the store run on both through the `engine` fixture. The others (the
pages, the browser, the command line) make their own database with
temp_database_url(): a SQLite file, or with TEST_BACKEND=postgres a new
PostgreSQL database on TEST_DATABASE_URL's server (the role needs CREATEDB).
`make test` runs the suite, then with TEST_BACKEND=postgres once more the
tests that do not already run on both.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, make_url, text

from tracking import schema
from tracking.db import make_engine, transaction
from tracking.models import Base
from tracking.strategy import LUZERN_DEFINITION, load_strategy_file

REFERENCE_DATE = dt.date(2026, 11, 15)


def on_postgres_backend() -> bool:
    return os.environ.get("TEST_BACKEND") == "postgres"


_CREATED_DATABASES: list[str] = []


def _server_url() -> str:
    url = _postgres_url()
    if url is None:
        raise RuntimeError("TEST_BACKEND=postgres braucht TEST_DATABASE_URL.")
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def _create_postgres_database(name: str, template: str | None = None) -> str:
    admin = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    admin.dispose()
    _CREATED_DATABASES.append(name)
    return make_url(_server_url()).set(database=name).render_as_string(hide_password=False)


def temp_database_url(path: Path) -> str:
    """A new, empty database: the SQLite file at path, or (TEST_BACKEND=postgres) a new PostgreSQL database."""
    if not on_postgres_backend():
        return f"sqlite:///{path}"
    name = f"t_{re.sub(r'[^a-z0-9]', '_', path.stem.lower())}_{uuid.uuid4().hex[:8]}"
    return _create_postgres_database(name)


def copy_database_url(url: str, path: Path) -> str:
    """A copy of the database at url (no connection may be open to it): a file copy or a template copy."""
    if url.startswith("sqlite"):
        shutil.copyfile(make_url(url).database, path)
        return f"sqlite:///{path}"
    name = f"t_{re.sub(r'[^a-z0-9]', '_', path.stem.lower())}_{uuid.uuid4().hex[:8]}"
    return _create_postgres_database(name, template=make_url(url).database)


def pytest_sessionfinish(session, exitstatus):
    if not _CREATED_DATABASES:
        return
    admin = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _CREATED_DATABASES:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


# Fixtures that already give a test both databases: under TEST_BACKEND=postgres
# such tests are left out (the first pass ran them on both).
_BOTH_DATABASES = {"engine", "luzern", "sqlite_engine", "migrated_postgres", "empty_url", "empty_database"}


def pytest_collection_modifyitems(config, items):
    if on_postgres_backend():
        keep = [
            item
            for item in items
            if not (_BOTH_DATABASES & set(getattr(item, "fixturenames", ())))
            and not item.get_closest_marker("first_pass_only")
        ]
        dropped = [item for item in items if item not in keep]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = keep
    # In CI a skipped required test is a failure, not a quiet pass.
    required = {m for m in ("postgres", "browser", "libreoffice") if os.environ.get(f"REQUIRE_{m.upper()}") == "1"}
    if not required:
        return
    for item in items:
        for mark in required & {m.name for m in item.iter_markers()}:
            item.user_properties.append(("required", mark))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and any(k == "required" for k, _ in item.user_properties):
        report.outcome = "failed"
        report.longrepr = f"Pflichttest übersprungen (in CI nicht erlaubt): {report.longrepr}"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "").strip()
    return url or None


def _wipe_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file with the current schema, made once; tests get a copy (fast)."""
    path = tmp_path_factory.mktemp("template") / "schema.sqlite"
    eng = make_engine(f"sqlite:///{path}")
    schema.upgrade(eng)
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def migrated_postgres() -> Engine | None:
    """The PostgreSQL test database, wiped and migrated once per run.

    With pytest-xdist (make test runs two workers) each worker has its own database
    on the same server, named after TEST_DATABASE_URL's with the worker's id.
    """
    url = _postgres_url()
    if url is None:
        yield None  # the PostgreSQL variants skip themselves
        return
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        name = f"{make_url(url).database}_{worker}"
        admin = create_engine(_server_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
        url = _create_postgres_database(name)
    eng = make_engine(url)
    _wipe_postgres(eng)
    schema.upgrade(eng)
    yield eng
    eng.dispose()


def _empty_postgres(engine: Engine) -> None:
    """Every table emptied and its ids reset, the schema (and alembic_version) kept."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path, migrated_sqlite, migrated_postgres) -> Engine:
    """An empty database with the current schema (through the migrations)."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(migrated_sqlite, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    if migrated_postgres is None:
        pytest.skip("TEST_DATABASE_URL nicht gesetzt: PostgreSQL-Variante übersprungen")
    _empty_postgres(migrated_postgres)
    yield migrated_postgres


@pytest.fixture
def sqlite_engine(tmp_path, migrated_sqlite) -> Engine:
    path = tmp_path / "test.sqlite"
    shutil.copyfile(migrated_sqlite, path)
    eng = make_engine(f"sqlite:///{path}")
    yield eng
    eng.dispose()


@pytest.fixture
def luzern(engine) -> Engine:
    """A database with the Lucerne strategy loaded (periods up to REFERENCE_DATE)."""
    with transaction(engine) as session:
        load_strategy_file(session, LUZERN_DEFINITION, actor="test", today=REFERENCE_DATE)
    return engine


__all__ = ["REFERENCE_DATE", "Base"]


# --- browser tests: one dashboard server and one Chromium for the whole run ---


@pytest.fixture(scope="session")
def server(tmp_path_factory, browser):
    """`streamlit run server.py` on a free port, on a fresh demo database."""
    from tests.browser import streamlit_server
    from tracking.bootstrap import init_database

    tmp = tmp_path_factory.mktemp("browser")
    url = temp_database_url(tmp / "demo.sqlite")
    init_database(make_engine(url), actor="test", demo=True, today=REFERENCE_DATE)
    with streamlit_server(url, tmp / "streamlit.log") as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    from tests.browser import CHROMIUM_FLAGS, chromium_path

    path = chromium_path()
    if path is None:
        pytest.skip("Chromium nicht installiert (Debian-Paket chromium)")
    from playwright.sync_api import expect, sync_playwright

    # Two test workers share two cores with their dashboards: a page may take longer than
    # playwright's default 5 s to follow a click. A failure still shows within 20 s.
    expect.set_options(timeout=20_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2200}, locale="de-CH", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()
