"""saved filters shared with a role remember the sharer's scope (streets / organizations) for that role

Existing shared filters are back-filled from their owner's current grants for the role, so that they
keep reaching the same street's holders (and no longer every street's).

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def _places(conn: sa.Connection, owner: str, role: str) -> str:
    places: set[str] = set()
    grants = conn.execute(
        sa.text(
            "SELECT g.scope_type, g.scope_id FROM grants g JOIN users u ON u.id = g.user_id "
            "WHERE u.username = :o AND g.role = :r"
        ),
        {"o": owner, "r": role},
    ).all()
    for scope_type, scope_id in grants:
        if scope_type == "street":
            places.add(f"street:{scope_id}")
        elif scope_type == "organization":
            places.add(f"organization:{scope_id}")
        elif scope_type == "district":
            streets = conn.execute(sa.text("SELECT code FROM streets WHERE district_code = :d"), {"d": scope_id})
            places.update(f"street:{code}" for (code,) in streets)
    return " ".join(sorted(places))


def upgrade() -> None:
    op.add_column('saved_filters', sa.Column('shared_scope', sa.Text(), nullable=True))
    conn = op.get_bind()
    shared = conn.execute(
        sa.text("SELECT id, owner, shared_role FROM saved_filters WHERE shared_role IS NOT NULL")
    ).all()
    for filter_id, owner, role in shared:
        conn.execute(
            sa.text("UPDATE saved_filters SET shared_scope = :s WHERE id = :i"),
            {"s": _places(conn, owner, role) or None, "i": filter_id},
        )


def downgrade() -> None:
    with op.batch_alter_table('saved_filters') as batch:
        batch.drop_column('shared_scope')
