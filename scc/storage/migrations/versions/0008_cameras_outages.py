"""cameras: outages, activity, wall preferences

Revision ID: 0008_cameras
Revises: 0007_calls
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_cameras"
down_revision = "0007_calls"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "camera_outages",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("camera_id", sa.String(length=40), nullable=False),
        sa.Column("uplink", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_camera_outages")),
    )
    op.create_index("ix_camera_outages_camera", "camera_outages", ["camera_id", "started_at"], unique=False)
    op.create_index("ix_camera_outages_uplink", "camera_outages", ["uplink", "started_at"], unique=False)
    op.create_table(
        "camera_activity",
        sa.Column("camera_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("camera_id", "at", name=op.f("pk_camera_activity")),
    )
    op.create_table(
        "wall_prefs",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("group_by", sa.Text(), nullable=False),
        sa.Column("tour_s", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_wall_prefs")),
    )


def downgrade() -> None:
    op.drop_table("wall_prefs")
    op.drop_table("camera_activity")
    op.drop_index("ix_camera_outages_uplink", table_name="camera_outages")
    op.drop_index("ix_camera_outages_camera", table_name="camera_outages")
    op.drop_table("camera_outages")
