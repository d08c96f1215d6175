"""reports confirmed unchanged and the explanation of plausibility warnings; the audit
trail's account name with the display name beside it

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_report") as batch:
        batch.add_column(sa.Column("unchanged", sa.Boolean(), nullable=False, server_default=sa.text("false")))
        batch.add_column(sa.Column("explanation", sa.Text(), nullable=True))
    with op.batch_alter_table("write_record") as batch:
        batch.add_column(sa.Column("actor_name", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("write_record") as batch:
        batch.drop_column("actor_name")
    with op.batch_alter_table("status_report") as batch:
        batch.drop_column("explanation")
        batch.drop_column("unchanged")
