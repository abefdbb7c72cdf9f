"""web collaboration tables: login throttling, API tokens, drafts, comments, attachments, saved filters, visits

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TIME = sa.String(length=32)


def upgrade() -> None:
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('remote', sa.String(length=64), nullable=False),
    sa.Column('at', TIME, nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_login_attempts_username', 'login_attempts', ['username', 'at'])
    op.create_index('ix_login_attempts_remote', 'login_attempts', ['remote', 'at'])
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.Column('last_used_at', TIME, nullable=True),
    sa.Column('revoked_at', TIME, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_api_tokens_username', 'api_tokens', ['username'])
    op.create_table('task_drafts',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('saved_at', TIME, nullable=False),
    sa.PrimaryKeyConstraint('task_id', 'username')
    )
    op.create_table('comments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('author', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_comments_instance', 'comments', ['instance_id', 'id'])
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('uploaded_by', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', TIME, nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['instances.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_attachments_instance', 'attachments', ['instance_id', 'id'])
    op.create_table('saved_filters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('shared_role', sa.String(length=100), nullable=True),
    sa.Column('created_at', TIME, nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_saved_filters_owner', 'saved_filters', ['owner'])
    op.create_index('ix_saved_filters_role', 'saved_filters', ['shared_role'])
    op.create_table('user_visits',
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('last_seen_at', TIME, nullable=False),
    sa.Column('previous_seen_at', TIME, nullable=True),
    sa.PrimaryKeyConstraint('username')
    )


def downgrade() -> None:
    op.drop_table('user_visits')
    op.drop_index('ix_saved_filters_role', 'saved_filters')
    op.drop_index('ix_saved_filters_owner', 'saved_filters')
    op.drop_table('saved_filters')
    op.drop_index('ix_attachments_instance', 'attachments')
    op.drop_table('attachments')
    op.drop_index('ix_comments_instance', 'comments')
    op.drop_table('comments')
    op.drop_table('task_drafts')
    op.drop_index('ix_api_tokens_username', 'api_tokens')
    op.drop_table('api_tokens')
    op.drop_index('ix_login_attempts_remote', 'login_attempts')
    op.drop_index('ix_login_attempts_username', 'login_attempts')
    op.drop_table('login_attempts')
