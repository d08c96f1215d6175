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
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def check(engine: Engine) -> None:
    """Raise when the models and the migrations disagree (alembic check)."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.check(config)
