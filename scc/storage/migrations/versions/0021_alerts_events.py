"""alerts: the events other systems are told on MQTT (raised, acknowledged, resolved), and which are sent

Revision ID: 0021_alerts
Revises: 0020_alerts

The publisher's outbox is a partial index on the rows not yet published, which SQLite and PostgreSQL both keep.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_alerts"
down_revision = "0020_alerts"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNPUBLISHED = "published_at IS NULL"


def upgrade() -> None:
    events = ("raised", "acknowledged", "resolved")
    op.create_table(
        "alert_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column(
            "event",
            sa.Enum(*events, name="alert_event", native_enum=False, create_constraint=True, length=12),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_events_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_events")),
        sa.UniqueConstraint("alert_id", "event", name="uq_alert_events_alert_event"),
    )
    op.create_index(
        "ix_alert_events_unpublished",
        "alert_events",
        ["id"],
        unique=False,
        sqlite_where=sa.text(UNPUBLISHED),
        postgresql_where=sa.text(UNPUBLISHED),
    )
    op.create_index("ix_alert_events_at", "alert_events", ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("alert_events")
