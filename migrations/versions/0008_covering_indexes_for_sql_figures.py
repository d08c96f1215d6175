"""covering indexes for the overview's figures: the counting measures by goal, a measure's
current reports by period, the ended reports with what the carried figures read

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED_PREDICATE = "status IN ('abgebrochen', 'abgeschlossen')"
MEASURE_COUNTING = ["goal_id", "active", "retired_on", "start_date", "planned_end", "lead_department_id"]
ENDED_COLUMNS = ["measure_id", "is_current", "period_id", "status", "progress"]


def _ended(columns: list[str]) -> None:
    op.create_index(
        "ix_status_report_ended",
        "status_report",
        columns,
        sqlite_where=sa.text(ENDED_PREDICATE),
        postgresql_where=sa.text(ENDED_PREDICATE),
    )


def upgrade() -> None:
    op.drop_index("ix_measure_goal_id", table_name="measure")
    op.create_index("ix_measure_goal_counting", "measure", MEASURE_COUNTING)
    op.drop_index("ix_status_report_measure_id", table_name="status_report")
    op.create_index("ix_status_report_measure_current", "status_report", ["measure_id", "is_current", "period_id"])
    op.drop_index("ix_status_report_ended", table_name="status_report")
    _ended(ENDED_COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_status_report_ended", table_name="status_report")
    _ended(["measure_id"])
    op.drop_index("ix_status_report_measure_current", table_name="status_report")
    op.create_index("ix_status_report_measure_id", "status_report", ["measure_id"])
    op.drop_index("ix_measure_goal_counting", table_name="measure")
    op.create_index("ix_measure_goal_id", "measure", ["goal_id"])
