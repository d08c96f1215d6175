"""Create or upgrade the schema through the Alembic migrations."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from tracking.db import PROJECT_DIR


def alembic_config() -> Config:
    return Config(str(PROJECT_DIR / "alembic.ini"))


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (a no-op when it is current)."""
    config = alembic_config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # SQLite alters a table by copying it; with foreign keys on, dropping
            # the old copy would fail. Switch them off for the migration only
            # (this pragma has no effect inside a transaction) and check after.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        with connection.begin():
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
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
