"""callcenter: an index by category and status, for the complaints list's count by state

Revision ID: 0026_callcenter
Revises: 0025_reports
"""

from alembic import op

revision = "0026_callcenter"
down_revision = "0025_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_category_status", "incidents", ["category", "status", "received_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incidents_category_status", table_name="incidents")
