"""calls: intake, dispatch, complaints, call log

Revision ID: 0007_calls
Revises: 0006_metrics
"""

import sqlalchemy as sa
from alembic import op


revision = "0007_calls"
down_revision = "0006_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line_code", sa.String(length=40), nullable=True),
        sa.Column("caller_number", sa.String(length=32), nullable=True),
        sa.Column("district", sa.String(length=40), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "answered", "abandoned", "unanswered", name="call_outcome", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("duration_s", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "source",
            sa.Enum("intake", "csv", name="call_source", native_enum=False, create_constraint=True),
            nullable=False,
        ),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_call_log_incident_id_incidents"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_log")),
        sa.UniqueConstraint("digest", name=op.f("uq_call_log_digest")),
    )
    with op.batch_alter_table("call_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_call_log_line", ["line_code", "at"], unique=False)

    op.create_table(
        "incident_units",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("incident_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_code", sa.String(length=40), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=64), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_units_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_units")),
    )
    with op.batch_alter_table("incident_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_units_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(
            "uq_incident_units_busy",
            ["unit_code"],
            unique=True,
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )

    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "status",
                    "note",
                    "call",
                    "unit",
                    "snapshot",
                    name="incident_event_kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                server_default="status",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("unit_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("snapshot", sa.String(length=200), nullable=True))

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("village", sa.String(length=80), server_default="", nullable=False))
        batch_op.add_column(sa.Column("landmark", sa.String(length=200), server_default="", nullable=False))
        batch_op.add_column(sa.Column("caller_name", sa.String(length=120), server_default="", nullable=False))
        batch_op.add_column(sa.Column("priority", sa.Integer(), server_default="2", nullable=False))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("updated_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("skpd_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("site", sa.String(length=120), nullable=True))
        batch_op.create_index("ix_incidents_caller", ["caller_number", "received_at"], unique=False)
        batch_op.create_index("ix_incidents_skpd", ["skpd_code", "status"], unique=False)
        batch_op.create_index("ix_incidents_status", ["status", "received_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status")
        batch_op.drop_index("ix_incidents_skpd")
        batch_op.drop_index("ix_incidents_caller")
        batch_op.drop_column("site")
        batch_op.drop_column("due_at")
        batch_op.drop_column("skpd_code")
        batch_op.drop_column("updated_by")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("version")
        batch_op.drop_column("priority")
        batch_op.drop_column("caller_name")
        batch_op.drop_column("landmark")
        batch_op.drop_column("village")

    with op.batch_alter_table("incident_events", schema=None) as batch_op:
        batch_op.drop_column("snapshot")
        batch_op.drop_column("unit_code")
        batch_op.drop_column("kind")

    with op.batch_alter_table("incident_units", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_incident_units_busy",
            sqlite_where=sa.text("released_at IS NULL"),
            postgresql_where=sa.text("released_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_incident_units_incident_id"))

    op.drop_table("incident_units")
    with op.batch_alter_table("call_log", schema=None) as batch_op:
        batch_op.drop_index("ix_call_log_line")
        batch_op.drop_index(batch_op.f("ix_call_log_at"))

    op.drop_table("call_log")
