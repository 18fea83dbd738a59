"""platform: refusals by the broker and the web sign-in, counted per channel, account and kind

Revision ID: 0009_platform
Revises: 0008_cameras
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_platform"
down_revision = "0008_cameras"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=max(map(len, values)))


def upgrade() -> None:
    op.create_table(
        "refusals",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("channel", _enum("refusal_channel", "broker", "web"), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("kind", _enum("refusal_kind", "publish", "subscribe", "signin"), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "last_reason",
            _enum(
                "refusal_reason",
                "acl",
                "not_authorised",
                "password",
                "unknown_account",
                "disabled",
                "throttled",
                "too_long",
            ),
            nullable=False,
        ),
        sa.Column("last_detail", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refusals")),
        sa.UniqueConstraint("channel", "account", "kind", "source", name=op.f("uq_refusals_channel")),
    )
    op.create_index(op.f("ix_refusals_last_at"), "refusals", ["last_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_refusals_last_at"), table_name="refusals")
    op.drop_table("refusals")
