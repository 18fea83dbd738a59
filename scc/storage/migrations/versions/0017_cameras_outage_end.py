"""cameras: each camera's outages by their end, for the health page's uptime

Revision ID: 0017_cameras
Revises: 0015_cameras
"""

from alembic import op

revision = "0017_cameras"
down_revision = "0015_cameras"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_camera_outages_end", "camera_outages", ["camera_id", "ended_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_camera_outages_end", table_name="camera_outages")
