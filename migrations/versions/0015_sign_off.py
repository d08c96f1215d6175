"""sign-off by the department (Freigabe): the strategy's switch and the submissions that wait

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strategy") as batch:
        batch.add_column(sa.Column("sign_off", sa.Boolean(), server_default=sa.text("false"), nullable=False))
    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("light", sa.String(length=10), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("risks", sa.Text(), nullable=True),
        sa.Column("unchanged", sa.Boolean(), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_by_name", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("review_comment", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("write_id", sa.Integer(), nullable=True),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("progress >= 0 AND progress <= 100", name=op.f("ck_submission_progress_range")),
        sa.CheckConstraint(
            "(status = 'geplant' OR status = 'in_umsetzung' OR status = 'abgeschlossen' OR status = 'sistiert' OR status = 'abgebrochen')",
            name=op.f("ck_submission_status_vocabulary"),
        ),
        sa.CheckConstraint(
            "(light = 'gruen' OR light = 'gelb' OR light = 'rot')", name=op.f("ck_submission_light_vocabulary")
        ),
        sa.CheckConstraint(
            "(state = 'eingereicht' OR state = 'freigegeben' OR state = 'zurueckgewiesen' OR state = 'zurueckgezogen' OR state = 'ersetzt')",
            name=op.f("ck_submission_state_vocabulary"),
        ),
        sa.CheckConstraint(
            "state <> 'zurueckgewiesen' OR length(trim(coalesce(review_comment, ''))) > 0",
            name=op.f("ck_submission_return_reason"),
        ),
        sa.ForeignKeyConstraint(["measure_id"], ["measure.id"], name=op.f("fk_submission_measure_id_measure")),
        sa.ForeignKeyConstraint(
            ["period_id"], ["reporting_period.id"], name=op.f("fk_submission_period_id_reporting_period")
        ),
        sa.ForeignKeyConstraint(["write_id"], ["write_record.id"], name=op.f("fk_submission_write_id_write_record")),
        sa.ForeignKeyConstraint(
            ["report_id"], ["status_report.id"], name=op.f("fk_submission_report_id_status_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission")),
    )
    with op.batch_alter_table("submission") as batch:
        batch.create_index(batch.f("ix_submission_measure_id"), ["measure_id"], unique=False)
        batch.create_index(batch.f("ix_submission_write_id"), ["write_id"], unique=False)
        batch.create_index("ix_submission_period_state", ["period_id", "state"], unique=False)
        batch.create_index(
            "uq_submission_waiting",
            ["measure_id", "period_id"],
            unique=True,
            sqlite_where=sa.text("state = 'eingereicht'"),
            postgresql_where=sa.text("state = 'eingereicht'"),
        )


def downgrade() -> None:
    op.drop_table("submission")
    with op.batch_alter_table("strategy") as batch:
        batch.drop_column("sign_off")
