"""metrics: each check of a unit's public service (the `probes` process), and the checks counted by hour

Revision ID: 0022_metrics
Revises: 0021_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_metrics"
down_revision = "0021_alerts"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "service_probes",
        sa.Column("id", ID, nullable=False),
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=True),
        sa.Column("tls_days_left", sa.Integer(), nullable=True),
        sa.Column("content_found", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_probes")),
    )
    op.create_index("ix_service_probes_unit", "service_probes", ["skpd_code", "at"])
    op.create_index("ix_service_probes_at", "service_probes", ["at"])
    op.create_table(
        "service_probe_hours",
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("up", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("skpd_code", "hour", name=op.f("pk_service_probe_hours")),
    )
    op.create_index("ix_service_probe_hours_hour", "service_probe_hours", ["hour", "skpd_code", "checks", "up"])


def downgrade() -> None:
    op.drop_index("ix_service_probe_hours_hour", table_name="service_probe_hours")
    op.drop_table("service_probe_hours")
    op.drop_index("ix_service_probes_at", table_name="service_probes")
    op.drop_index("ix_service_probes_unit", table_name="service_probes")
    op.drop_table("service_probes")
