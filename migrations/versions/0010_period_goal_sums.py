"""closed periods frozen: their sums per goal, stored when they are closed

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# tracking.rollup.SUM_COLUMNS as of this revision: counts are integers, weights floats.
COUNTS = ["n_measures", "n_counted", "n_paused", "n_no_report", "n_behind_plan", "n_overdue"]
WEIGHTS = ["weighted_sum", "weight_sum"]
TOTALS = ["owing", "reported", "completed"]
LIGHTS = ["gruen", "gelb", "rot"]


def upgrade() -> None:
    op.create_table(
        "period_goal_sums",
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        *[sa.Column(name, sa.Float(), nullable=False) for name in WEIGHTS],
        *[sa.Column(name, sa.Integer(), nullable=False) for name in TOTALS],
        *[
            sa.Column(f"{prefix}{key}", kind, nullable=False)
            for key in LIGHTS
            for prefix, kind in (("n_", sa.Integer()), ("w_", sa.Float()))
        ],
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], name=op.f("fk_period_goal_sums_goal_id_goal")),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["reporting_period.id"],
            name=op.f("fk_period_goal_sums_period_id_reporting_period"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("period_id", "goal_id", name=op.f("pk_period_goal_sums")),
    )


def downgrade() -> None:
    op.drop_table("period_goal_sums")
