"""index for the 已办 (completed by me) inbox view

Revision ID: 0006
Revises: 0005
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_human_tasks_completed_by', 'human_tasks', ['completed_by', 'state'])


def downgrade() -> None:
    op.drop_index('ix_human_tasks_completed_by', table_name='human_tasks')
