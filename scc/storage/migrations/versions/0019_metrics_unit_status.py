"""metrics: each unit's availability is the table metric_unit_status (it was skpd_status), named like the
capability's other tables

Revision ID: 0019_metrics
Revises: 0018_metrics

A new table and a copy of the rows, not a rename: a renamed table keeps its old primary key's name
(pk_skpd_status) on both backends, and the schema's naming convention wants pk_metric_unit_status.
There is one row per SKPD, so the copy costs nothing.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_metrics"
down_revision = "0018_metrics"
branch_labels = None
depends_on = None

COLUMNS = "skpd_code, online, changed_at, last_message_at"


def _create(name: str) -> None:
    op.create_table(
        name,
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("skpd_code", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _create("metric_unit_status")
    op.execute(f"INSERT INTO metric_unit_status ({COLUMNS}) SELECT {COLUMNS} FROM skpd_status")
    op.drop_table("skpd_status")


def downgrade() -> None:
    _create("skpd_status")
    op.execute(f"INSERT INTO skpd_status ({COLUMNS}) SELECT {COLUMNS} FROM metric_unit_status")
    op.drop_table("metric_unit_status")
