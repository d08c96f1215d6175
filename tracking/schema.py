"""Create or upgrade the schema through the Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from tracking.db import PROJECT_DIR, WRITE_OPTION, serialize


def alembic_config() -> Config:
    return Config(str(PROJECT_DIR / "alembic.ini"))


def is_current(engine: Engine, config: Config | None = None) -> bool:
    """Whether the database already has the newest schema (a read, no lock)."""
    heads = set(ScriptDirectory.from_config(config or alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to the newest schema (a no-op when it is current).

    revision: an earlier revision to stop at instead (the migration tests
    upgrade step by step, writing data at each revision).

    Two processes that start on a new database at once (two `init`, an
    `init` and the dashboard) take turns: the migration runs in a write
    transaction (SQLite: BEGIN IMMEDIATE, which waits for the write lock;
    PostgreSQL: an advisory lock), so the second one waits for the first and
    then finds the schema current.
    """
    config = alembic_config()
    if revision == "head" and is_current(engine, config):
        return
    sqlite = engine.dialect.name == "sqlite"
    with engine.execution_options(**{WRITE_OPTION: True}).connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it; with foreign keys on, dropping
            # the old copy would fail. Switch them off for the migration only
            # (this pragma has no effect inside a transaction) and check after.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            serialize(connection, "schema upgrade")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"Migration broke foreign keys: {broken[:5]}")
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def check(engine: Engine) -> None:
    """Raise when the models and the migrations disagree (alembic check)."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.check(config)
