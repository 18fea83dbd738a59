"""platform: a per-user kiosk flag

Revision ID: 0005_platform
Revises: 0004_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_platform"
down_revision = "0004_calls"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kiosk", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("kiosk")
