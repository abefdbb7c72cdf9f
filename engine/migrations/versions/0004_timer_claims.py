"""the timer worker's claim on a case: attempts, lease, last failure

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

TIME = sa.String(length=32)


def upgrade() -> None:
    with op.batch_alter_table('instances') as batch:
        batch.add_column(sa.Column('timer_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('timer_lease_until', TIME, nullable=True))
        batch.add_column(sa.Column('timer_last_error', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('instances') as batch:
        batch.drop_column('timer_last_error')
        batch.drop_column('timer_lease_until')
        batch.drop_column('timer_attempts')
