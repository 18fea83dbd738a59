"""metrics: hourly and daily roll-ups of the samples, and the indexes housekeeping reads by time

Revision ID: 0013_metrics
Revises: 0012_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_metrics"
down_revision = "0012_calls"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _rollup(name: str, bucket: str) -> None:
    op.create_table(
        name,
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column(bucket, UTC, nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("low", sa.Float(), nullable=False),
        sa.Column("high", sa.Float(), nullable=False),
        sa.Column("last_value", sa.Float(), nullable=False),
        sa.Column("last_ts", UTC, nullable=False),
        *([sa.Column("rolled_at", UTC, nullable=False)] if bucket == "hour" else []),
        sa.PrimaryKeyConstraint("skpd_code", "metric_key", bucket, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _rollup("metric_hourly", "hour")
    op.create_index("ix_metric_hourly_hour", "metric_hourly", ["hour"], unique=False)
    _rollup("metric_daily", "day")
    op.create_index("ix_metric_samples_received", "metric_samples", ["received_at"], unique=False)
    op.create_index("ix_metric_corrections_at", "metric_corrections", ["corrected_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_metric_corrections_at", table_name="metric_corrections")
    op.drop_index("ix_metric_samples_received", table_name="metric_samples")
    op.drop_table("metric_daily")
    op.drop_index("ix_metric_hourly_hour", table_name="metric_hourly")
    op.drop_table("metric_hourly")
