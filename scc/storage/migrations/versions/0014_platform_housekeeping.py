"""platform: how far each housekeeping job has gone

Revision ID: 0014_platform
Revises: 0013_metrics
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_platform"
down_revision = "0013_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "housekeeping_marks",
        sa.Column("job", sa.String(length=64), nullable=False),
        sa.Column("upto", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_housekeeping_marks")),
    )


def downgrade() -> None:
    op.drop_table("housekeeping_marks")
