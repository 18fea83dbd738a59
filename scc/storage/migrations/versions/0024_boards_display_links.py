"""boards: display links of the public lobby screens, and each unit's announcement

Revision ID: 0024_boards
Revises: 0023_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_boards"
down_revision = "0023_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "board_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_board_links_token_hash")),
    )
    op.create_index("ix_board_links_unit", "board_links", ["skpd_code", "created_at"], unique=False)
    op.create_index("ix_board_links_revoked", "board_links", ["revoked_at"], unique=False)
    op.create_table(
        "board_announcements",
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("skpd_code", name=op.f("pk_board_announcements")),
    )


def downgrade() -> None:
    op.drop_table("board_announcements")
    op.drop_index("ix_board_links_revoked", table_name="board_links")
    op.drop_index("ix_board_links_unit", table_name="board_links")
    op.drop_table("board_links")
