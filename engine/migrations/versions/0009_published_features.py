"""a version published from the workbench keeps the acceptance scenarios it was published with

The feature file travels with the draft; on publish it is recorded beside the version, so downloading a
version, opening a new draft from it or comparing later gives back the scenarios of that version rather
than whatever features/ holds on the server.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('publish_records', sa.Column('feature', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('publish_records') as batch:
        batch.drop_column('feature')
