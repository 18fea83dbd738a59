"""callcenter: an index on a case's kind and state as one value, for the complaints list's counts

Revision ID: 0026_callcenter
Revises: 0025_reports
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_callcenter"
down_revision = "0025_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_case_state", "incidents", [sa.text("((category || ':') || status)")], unique=False)


def downgrade() -> None:
    op.drop_index("ix_incidents_case_state", table_name="incidents")
