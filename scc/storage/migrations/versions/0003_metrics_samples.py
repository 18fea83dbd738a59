"""metrics: samples

Revision ID: 0003_metrics
Revises: 0002_cameras
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_metrics"
down_revision = "0002_cameras"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('metric_samples',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('skpd_code', sa.String(length=40), nullable=False),
    sa.Column('metric_key', sa.String(length=64), nullable=False),
    sa.Column('ts', sa.DateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('message_id', sa.String(length=128), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_samples')),
    sa.UniqueConstraint('skpd_code', 'message_id', 'metric_key', name='uq_metric_samples_message')
    )
    with op.batch_alter_table('metric_samples', schema=None) as batch_op:
        batch_op.create_index('ix_metric_samples_latest', ['skpd_code', 'metric_key', 'ts'], unique=False)

    op.create_table('rejected_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.String(length=256), nullable=False),
    sa.Column('skpd_code', sa.String(length=40), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rejected_messages'))
    )
    with op.batch_alter_table('rejected_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rejected_messages_received_at'), ['received_at'], unique=False)

    op.create_table('skpd_status',
    sa.Column('skpd_code', sa.String(length=40), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('skpd_code', name=op.f('pk_skpd_status'))
    )


def downgrade() -> None:
    op.drop_table('skpd_status')
    with op.batch_alter_table('rejected_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rejected_messages_received_at'))

    op.drop_table('rejected_messages')
    with op.batch_alter_table('metric_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_metric_samples_latest')

    op.drop_table('metric_samples')
