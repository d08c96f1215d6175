"""vocabulary checks as = … OR = … instead of IN (…): SQLite evaluates an IN list
by building a lookup table for every inserted row (see models.one_of)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (constraint name, column, allowed values), as in the models at this revision.
CHECKS = {
    "status_report": [
        ("status_vocabulary", "status", ("geplant", "in_umsetzung", "abgeschlossen", "sistiert", "abgebrochen")),
        ("light_vocabulary", "light", ("gruen", "gelb", "rot")),
    ],
    "row_change": [("kind_vocabulary", "kind", ("insert", "update", "retire"))],
    "indicator": [("direction_vocabulary", "direction", ("hoeher", "tiefer"))],
    "user_account": [
        ("role_vocabulary", "role", ("admin", "koordination", "departementsleitung", "regierungsrat")),
    ],
}


def one_of(column: str, values: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f"{column} = '{v}'" for v in values) + ")"


def in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _rewrite(condition) -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, column, values in checks:
                batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
                batch_op.create_check_constraint(op.f(f"ck_{table}_{name}"), condition(column, values))


def upgrade() -> None:
    _rewrite(one_of)


def downgrade() -> None:
    _rewrite(in_list)
