"""Engine and session: DATABASE_URL picks the database, SQLite is the default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_DIR / "data" / "tracking.sqlite"


def database_url() -> str:
    """DATABASE_URL if set, else the SQLite file under data/ (created on first use)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Plain postgresql:// URLs would pick psycopg2; this project ships psycopg 3.
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _on_sqlite_connect(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless every connection asks for them.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # Let SQLAlchemy issue BEGIN itself: Python's sqlite3 module would not wrap
    # DDL in the transaction, so a failed migration could leave half a schema.
    dbapi_connection.isolation_level = None


def _on_sqlite_begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: everything inside is committed together or not at all."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
