"""Alembic environment: runs against a connection handed in by tracking.schema,
or against DATABASE_URL when called from the alembic command line."""

from alembic import context

from tracking.db import make_engine
from tracking.models import Base

config = context.config
target_metadata = Base.metadata


def run_with(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    with make_engine().connect() as conn:
        run_with(conn)
        conn.commit()
