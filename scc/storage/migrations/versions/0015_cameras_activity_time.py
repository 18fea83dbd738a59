"""cameras: camera activity and outages by time alone, for retention

Revision ID: 0015_cameras
Revises: 0014_platform
"""

from alembic import op

revision = "0015_cameras"
down_revision = "0014_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_camera_activity_at", "camera_activity", ["at"], unique=False)
    op.create_index("ix_camera_outages_started", "camera_outages", ["started_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_camera_outages_started", table_name="camera_outages")
    op.drop_index("ix_camera_activity_at", table_name="camera_activity")
