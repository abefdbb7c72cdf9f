"""workbench jobs: scenario runs and migrations run outside the web request, their state in the database

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

TIME = sa.String(32)


def upgrade() -> None:
    op.create_table(
        'background_jobs',
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column('kind', sa.String(32), nullable=False),
        sa.Column('process_key', sa.String(100), nullable=False),
        sa.Column('actor', sa.String(64), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('progress', sa.Text(), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', TIME, nullable=False),
        sa.Column('heartbeat_at', TIME, nullable=False),
        sa.Column('finished_at', TIME, nullable=True),
    )
    op.create_index('ix_background_jobs_process', 'background_jobs', ['process_key', 'kind'])


def downgrade() -> None:
    op.drop_index('ix_background_jobs_process', 'background_jobs')
    op.drop_table('background_jobs')
