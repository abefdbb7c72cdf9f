"""process-owner workbench: drafts with an optimistic version, publish records with overrides

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

TIME = sa.String(length=32)


def upgrade() -> None:
    op.create_table('workbench_drafts',
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('files', sa.LargeBinary(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', TIME, nullable=False),
    sa.Column('test_hash', sa.String(length=64), nullable=True),
    sa.Column('test_passed', sa.Boolean(), nullable=True),
    sa.Column('test_report', sa.Text(), nullable=True),
    sa.Column('tested_at', TIME, nullable=True),
    sa.PrimaryKeyConstraint('process_key')
    )
    op.create_table('publish_records',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('published_at', TIME, nullable=False),
    sa.Column('scenarios', sa.String(length=16), nullable=False),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_publish_records_process', 'publish_records', ['process_key', 'version'])


def downgrade() -> None:
    op.drop_index('ix_publish_records_process', table_name='publish_records')
    op.drop_table('publish_records')
    op.drop_table('workbench_drafts')
