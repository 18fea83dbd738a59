"""calls: a complaint's topic, and the indexes the history search needs

Revision ID: 0010_calls
Revises: 0009_platform
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_calls"
down_revision = "0009_platform"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_incidents_category", ["category", "received_at"], unique=False)
        batch_op.create_index("ix_incidents_district", ["district", "received_at"], unique=False)
        batch_op.create_index("ix_incidents_skpd_received", ["skpd_code", "received_at"], unique=False)
    op.create_index("ix_incident_units_unit", "incident_units", ["unit_code", "incident_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incident_units_unit", table_name="incident_units")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_skpd_received")
        batch_op.drop_index("ix_incidents_district")
        batch_op.drop_index("ix_incidents_category")
        batch_op.drop_column("topic")
