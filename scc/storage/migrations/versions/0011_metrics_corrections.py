"""metrics: one sample per unit, metric and time; corrections keep what they replaced

Revision ID: 0011_metrics
Revises: 0010_calls

Samples stored before this revision may hold two rows for one unit, metric
and time (two messages with different ids). They become what ingest now
makes of them: the first row stays, with the last value, and each later row
is a correction of the one before it, by its own message id.

Ingest's bulk insert wrote SQLite timestamps as '... 02:00:00+00:00' where
SQLAlchemy writes '... 02:00:00.000000' (scc.storage.bulk); they are
rewritten first, so equal moments compare equal.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_metrics"
down_revision = "0010_calls"
branch_labels = None
depends_on = None

SOURCE = sa.Enum("mqtt", "web", "csv", name="metric_source", native_enum=False, create_constraint=True, length=4)
UTC = sa.DateTime(timezone=True)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    corrections = op.create_table(
        "metric_corrections",
        sa.Column("id", ID, nullable=False),
        sa.Column("skpd_code", sa.String(length=40), nullable=False),
        sa.Column("metric_key", sa.String(length=64), nullable=False),
        sa.Column("ts", UTC, nullable=False),
        sa.Column("old_value", sa.Float(), nullable=False),
        sa.Column("new_value", sa.Float(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("source", SOURCE, nullable=False),
        sa.Column("corrected_by", sa.String(length=64), nullable=False),
        sa.Column("corrected_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metric_corrections")),
        sa.UniqueConstraint("skpd_code", "message_id", "metric_key", name=op.f("uq_metric_corrections_message")),
    )
    op.create_index("ix_metric_corrections_unit", "metric_corrections", ["skpd_code", "corrected_at"])
    for column in ("ts", "received_at"):
        op.execute(sqlite_utc_text("metric_samples", column))
    _fold_duplicates(corrections)
    op.drop_index("ix_metric_samples_latest", table_name="metric_samples")
    op.create_index("uq_metric_samples_time", "metric_samples", ["skpd_code", "metric_key", "ts"], unique=True)


def sqlite_utc_text(table: str, column: str) -> sa.TextClause:
    """On SQLite, '2026-11-30 02:00:00+00:00' becomes '2026-11-30 02:00:00.000000' (and '...00.5+00:00'
    '...00.5'); nothing on PostgreSQL, whose timestamps are typed."""
    if op.get_bind().dialect.name != "sqlite":
        return sa.text("SELECT 1")
    cut = f"substr({column}, 1, length({column}) - 6)"
    return sa.text(
        f"UPDATE {table} SET {column} = CASE WHEN instr({column}, '.') > 0 THEN {cut} ELSE {cut} || '.000000' END "
        f"WHERE {column} LIKE '%+00:00'"
    )


def _fold_duplicates(corrections: sa.Table) -> None:
    conn = op.get_bind()
    samples = sa.table(
        "metric_samples",
        *(sa.column(name) for name in ("id", "skpd_code", "metric_key", "value", "message_id", "source")),
        sa.column("ts", UTC),
        sa.column("received_at", UTC),
    )
    key = (samples.c.skpd_code, samples.c.metric_key, samples.c.ts)
    groups = conn.execute(sa.select(*key).group_by(*key).having(sa.func.count() > 1)).all()
    for unit, metric, ts in groups:
        rows = conn.execute(
            sa.select(samples)
            .where(samples.c.skpd_code == unit, samples.c.metric_key == metric, samples.c.ts == ts)
            .order_by(samples.c.received_at, samples.c.id)
        ).all()
        first, later = rows[0], rows[1:]
        chain = [
            dict(skpd_code=unit, metric_key=metric, ts=ts, old_value=before.value, new_value=after.value,
                 message_id=after.message_id, source=after.source, corrected_by=unit,
                 corrected_at=after.received_at)
            for before, after in zip(rows, later, strict=False)
        ]  # fmt: skip
        conn.execute(corrections.insert(), chain)
        conn.execute(samples.delete().where(samples.c.id.in_([r.id for r in later])))
        conn.execute(samples.update().where(samples.c.id == first.id).values(value=later[-1].value))


def downgrade() -> None:
    op.drop_index("uq_metric_samples_time", table_name="metric_samples")
    op.create_index("ix_metric_samples_latest", "metric_samples", ["skpd_code", "metric_key", "ts"])
    op.drop_index("ix_metric_corrections_unit", table_name="metric_corrections")
    op.drop_table("metric_corrections")
