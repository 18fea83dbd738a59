"""calls: call-log times imported in bulk are stored as SQLAlchemy stores them

Revision ID: 0012_calls
Revises: 0011_metrics

The call-log import's bulk insert wrote SQLite timestamps as
'... 02:00:00+00:00' where SQLAlchemy writes '... 02:00:00.000000'
(scc.storage.bulk); a call at the first second of a day then fell outside
"today". Rewritten here; nothing to do on PostgreSQL.
"""

from alembic import op

revision = "0012_calls"
down_revision = "0011_metrics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    cut = "substr(at, 1, length(at) - 6)"
    op.execute(
        f"UPDATE call_log SET at = CASE WHEN instr(at, '.') > 0 THEN {cut} ELSE {cut} || '.000000' END "
        "WHERE at LIKE '%+00:00'"
    )


def downgrade() -> None:
    pass  # the rewritten text is what SQLAlchemy reads and writes anyway
