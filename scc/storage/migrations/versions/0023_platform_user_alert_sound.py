"""platform: a user's choice to hear critical alerts

Revision ID: 0023_platform
Revises: 0022_metrics
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_platform"
down_revision = "0022_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_sound", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("alert_sound")
