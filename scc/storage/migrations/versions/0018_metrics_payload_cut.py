"""metrics: a rejected message keeps its payload's first bytes, with the whole payload's size and SHA-256

Revision ID: 0018_metrics
Revises: 0017_cameras
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_metrics"
down_revision = "0017_cameras"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already kept stay as they are (whole, size and SHA-256 null) until retention takes them.
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("payload_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rejected_messages", schema=None) as batch_op:
        batch_op.drop_column("payload_sha256")
        batch_op.drop_column("payload_bytes")
