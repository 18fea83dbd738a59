"""reports: the daily, weekly and per-unit reports, made or asked for

Revision ID: 0025_reports
Revises: 0024_boards
"""

import sqlalchemy as sa
from alembic import op

revision = "0025_reports"
down_revision = "0024_boards"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    kinds = ("daily", "weekly", "unit")
    statuses = ("requested", "making", "ready", "failed")
    op.create_table(
        "reports",
        sa.Column("id", ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*kinds, name="report_kind", native_enum=False, create_constraint=True, length=6),
            nullable=False,
        ),
        sa.Column("skpd_code", sa.String(length=40), server_default="", nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*statuses, name="report_status", native_enum=False, create_constraint=True, length=9),
            nullable=False,
        ),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("kind", "skpd_code", "period_start", name="uq_reports_period"),
    )
    op.create_index("ix_reports_unit", "reports", ["skpd_code", "period_start"])
    op.create_index("ix_reports_status", "reports", ["status", "requested_at"])
    op.create_index("ix_reports_end", "reports", ["period_end"])


def downgrade() -> None:
    op.drop_index("ix_reports_end", table_name="reports")
    op.drop_index("ix_reports_status", table_name="reports")
    op.drop_index("ix_reports_unit", table_name="reports")
    op.drop_table("reports")
