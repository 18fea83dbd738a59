"""cameras: state

Revision ID: 0002_cameras
Revises: 0001_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_cameras"
down_revision = "0001_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('camera_state',
    sa.Column('camera_id', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('online', 'stale', 'offline', 'error', name='camera_status', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('last_frame_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fps', sa.Float(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('codec', sa.String(length=32), nullable=True),
    sa.Column('reconnects', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('activity', sa.Float(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('camera_id', name=op.f('pk_camera_state'))
    )


def downgrade() -> None:
    op.drop_table('camera_state')
