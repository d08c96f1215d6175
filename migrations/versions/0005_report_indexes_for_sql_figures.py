"""indexes for the overview's figures in SQL: period with measure, ended reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENDED_PREDICATE = "status IN ('abgebrochen', 'abgeschlossen')"


def upgrade() -> None:
    op.drop_index("ix_status_report_period_id", table_name="status_report")
    op.create_index("ix_status_report_period_measure", "status_report", ["period_id", "measure_id"])
    op.create_index(
        "ix_status_report_ended",
        "status_report",
        ["measure_id"],
        sqlite_where=sa.text(ENDED_PREDICATE),
        postgresql_where=sa.text(ENDED_PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_status_report_ended", table_name="status_report")
    op.drop_index("ix_status_report_period_measure", table_name="status_report")
    op.create_index("ix_status_report_period_id", "status_report", ["period_id"])
