"""metrics: how each value arrived, each metric's newest value, rejections kept once

Revision ID: 0006_metrics
Revises: 0005_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_metrics"
down_revision = "0005_platform"
branch_labels = None
depends_on = None

SOURCE = sa.Enum("mqtt", "web", "csv", name="metric_source", native_enum=False, create_constraint=True, length=4)


def upgrade() -> None:
    op.create_table(
        "metric_latest",
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("skpd_code", "metric_key", name=op.f("pk_metric_latest")),
    )
    with op.batch_alter_table("metric_samples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", SOURCE, server_default="mqtt", nullable=False))
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("source", SOURCE, server_default="mqtt", nullable=False))
        batch_op.add_column(sa.Column("digest", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_rejected_messages_digest"), ["digest"])
        batch_op.create_index("ix_rejected_messages_unit", ["skpd_code", "received_at"], unique=False)
    # Figures already stored become each metric's newest value.
    op.execute(
        """
        INSERT INTO metric_latest (skpd_code, metric_key, ts, value, received_at)
        SELECT s.skpd_code, s.metric_key, s.ts, s.value, s.received_at FROM metric_samples s
        WHERE s.id = (SELECT s2.id FROM metric_samples s2
                      WHERE s2.skpd_code = s.skpd_code AND s2.metric_key = s.metric_key
                      ORDER BY s2.ts DESC, s2.id DESC LIMIT 1)
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_messages_unit")
        batch_op.drop_constraint(batch_op.f("uq_rejected_messages_digest"), type_="unique")
        batch_op.drop_column("digest")
        batch_op.drop_column("source")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("metric_samples", schema=None) as batch_op:
        batch_op.drop_column("source")
    op.drop_table("metric_latest")
