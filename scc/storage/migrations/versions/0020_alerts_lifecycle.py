"""alerts: each alert with its lifecycle, and the silences

Revision ID: 0020_alerts
Revises: 0019_metrics

One open alert per rule and subject is a partial unique index (open: ended_at IS NULL), which SQLite and
PostgreSQL both keep.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_alerts"
down_revision = "0019_metrics"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPEN = "ended_at IS NULL"
UNACKNOWLEDGED = "acknowledged_at IS NULL AND fired_at IS NOT NULL"


def _status(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade() -> None:
    op.create_table(
        "alert_silences",
        sa.Column("id", ID, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_silences")),
    )
    op.create_index("ix_alert_silences_ends", "alert_silences", ["ends_at"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", ID, nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("skpd_code", sa.String(length=40), nullable=True),
        sa.Column("severity", _status("alert_severity", "critical", "warning", "info"), nullable=False),
        sa.Column("state", _status("alert_state", "pending", "firing", "resolved", "withdrawn"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("clear_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("silence_id", ID, nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_note", sa.Text(), server_default="", nullable=False),
        sa.Column("notify_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_notify_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["silence_id"],
            ["alert_silences.id"],
            name=op.f("fk_alerts_silence_id_alert_silences"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        "uq_alerts_open",
        "alerts",
        ["rule", "subject"],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    op.create_index(
        "ix_alerts_unacknowledged",
        "alerts",
        ["fired_at"],
        unique=False,
        sqlite_where=sa.text(UNACKNOWLEDGED),
        postgresql_where=sa.text(UNACKNOWLEDGED),
    )
    op.create_index("ix_alerts_started", "alerts", ["started_at"], unique=False)
    op.create_index("ix_alerts_subject", "alerts", ["rule", "subject", "started_at"], unique=False)
    op.create_index("ix_alerts_skpd", "alerts", ["skpd_code", "started_at"], unique=False)
    op.create_index("ix_alerts_ended", "alerts", ["ended_at"], unique=False)


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("alert_silences")
