"""what is public: a flag per measure, the publisher of the open data

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measure") as batch:
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.text("false")))
    with op.batch_alter_table("strategy") as batch:
        batch.add_column(sa.Column("publisher", sa.String(200), nullable=True))
        batch.add_column(sa.Column("publisher_slug", sa.String(100), nullable=True))
        batch.add_column(sa.Column("contact_name", sa.String(200), nullable=True))
        batch.add_column(sa.Column("contact_email", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("strategy") as batch:
        for name in ("contact_email", "contact_name", "publisher_slug", "publisher"):
            batch.drop_column(name)
    with op.batch_alter_table("measure") as batch:
        batch.drop_column("public")
