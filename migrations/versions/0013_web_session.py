"""sign-ins that survive a reload: the server side of the session cookie

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("demo_actor", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_web_session_ticket_hash")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_session_token_hash")),
    )


def downgrade() -> None:
    op.drop_table("web_session")
