"""A filter shared with a role reaches the holders of that role in the sharer's streets or organizations only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from engine.accounts.directory import Directory
from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.store.db import Database
from engine.store.migrate import upgrade
from engine.worklist import build_worklist
from tests.conftest import DISTRICT, FAST_HASH, OTHER_STREET, STREET
from tests.integration.webclient import make_app, signed_in

ROLE = "街道社区自治办经办人"


def _share(world: Services, username: str, name: str, role: str = ROLE) -> None:
    browser = signed_in(make_app(world), username)
    form = {"name": name, "query": "view=claimable", "shared_role": role}
    assert browser.post("/inbox/filters", form).status_code == 302


def _offered(world: Services, username: str) -> set[str]:
    return {f.name for f in build_worklist(world).collab.filters(world.engine.actor(username))}


def test_a_filter_shared_in_one_street_is_not_offered_in_another(world: Services) -> None:
    _share(world, "clerk", "华阳逾期")
    assert "华阳逾期" in _offered(world, "clerk2")
    assert "华阳逾期" not in _offered(world, "other_clerk")
    page = signed_in(make_app(world), "other_clerk").get("/inbox").get_data(as_text=True)
    assert "华阳逾期" not in page


def test_a_district_grant_overlaps_each_of_its_streets(world: Services) -> None:
    world.directory.add_user("district_clerk", "password123", "district_clerk")
    world.directory.grant("district_clerk", ROLE, "district", DISTRICT)
    _share(world, "other_clerk", "新泾逾期")
    assert "新泾逾期" in _offered(world, "district_clerk")
    assert "新泾逾期" not in _offered(world, "clerk")
    _share(world, "district_clerk", "全区逾期")
    assert {"全区逾期"} <= _offered(world, "clerk") & _offered(world, "other_clerk")


def test_a_filter_shared_at_an_organization_reaches_that_organization_only(world: Services) -> None:
    other_org = world.directory.add_organization("新泾社工站", OTHER_STREET)
    world.directory.add_user("other_org_user", "password123", "other_org_user")
    world.directory.grant("other_org_user", "申请人", "organization", str(other_org))
    with world.db.transaction(write=False) as tx:
        org = int(tx.scalar("SELECT id FROM organizations WHERE street_code = :s", {"s": STREET}))
    world.directory.add_user("org_user2", "password123", "org_user2")
    world.directory.grant("org_user2", "申请人", "organization", str(org))
    _share(world, "org_user", "我的申请", role="申请人")
    assert "我的申请" in _offered(world, "org_user2")
    assert "我的申请" not in _offered(world, "other_org_user")


def test_the_migration_back_fills_the_scope_of_filters_shared_before_it(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(db, "0007")
    directory = Directory(db, ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)), FAST_HASH)
    directory.add_district(DISTRICT, "长宁区")
    directory.add_street(STREET, "华阳路街道", DISTRICT)
    directory.add_street(OTHER_STREET, "新泾镇", DISTRICT)
    for user, scope_type, scope_id in (("clerk", "street", STREET), ("chief", "district", DISTRICT)):
        directory.add_user(user, "password123", user)
        directory.grant(user, ROLE, scope_type, scope_id)
    with db.transaction() as tx:
        for owner in ("clerk", "chief"):
            tx.execute(
                "INSERT INTO saved_filters (owner, name, query, shared_role, created_at) "
                "VALUES (:o, :o, 'view=claimable', :r, '2026-03-02T01:00:00')",
                {"o": owner, "r": ROLE},
            )
    upgrade(db)
    with db.transaction(write=False) as tx:
        scopes = dict(tx.all("SELECT owner, shared_scope FROM saved_filters"))
    db.dispose()
    assert scopes == {"clerk": f"street:{STREET}", "chief": f"street:{STREET} street:{OTHER_STREET}"}
