"""The admin page: a process owner manages users and grants inside their own scope only."""

from __future__ import annotations

from engine.bootstrap import Services
from tests.conftest import STREET
from tests.integration.webclient import Browser, make_app, signed_in


def test_a_process_owner_creates_a_user_and_grants_a_role_in_their_district(world: Services) -> None:
    app = make_app(world)
    owner = signed_in(app, "owner")
    page = owner.get("/admin/users").get_data(as_text=True)
    assert "clerk" in page and "街道社区自治办经办人 @ street S-HY" in page
    owner.post("/admin/users", {"username": "new_clerk", "password": "long-enough-1", "display_name": "新人"})
    granted = owner.post(
        "/admin/grants",
        {"username": "new_clerk", "role": "街道社区自治办经办人", "scope_type": "street", "scope_id": STREET},
    )
    assert granted.status_code == 302
    assert world.engine.actor("new_clerk").holds("街道社区自治办经办人", STREET, None)
    assert Browser(app).login("new_clerk", "long-enough-1").status_code == 302
    page = owner.get("/admin/users").get_data(as_text=True)
    grant_id = page.split("new_clerk")[1].split("/admin/grants/")[1].split("/")[0]
    assert owner.post(f"/admin/grants/{grant_id}/revoke").status_code == 302
    assert not world.engine.actor("new_clerk").holds("街道社区自治办经办人", STREET, None)


def test_grants_outside_the_owners_scope_are_refused(world: Services) -> None:
    world.directory.add_district("310106", "静安区")
    world.directory.add_street("S-JA", "静安寺街道", "310106")
    app = make_app(world)
    owner = signed_in(app, "owner")
    refused = owner.post(
        "/admin/grants", {"username": "clerk", "role": "街道领导", "scope_type": "street", "scope_id": "S-JA"}
    )
    assert refused.status_code == 403
    assert not world.engine.actor("clerk").holds("街道领导", "S-JA", None)
    assert owner.post("/admin/users", {"username": "clerk", "password": "long-enough-1"}).status_code == 422


def test_caseworkers_have_no_admin_page(world: Services) -> None:
    clerk = signed_in(make_app(world), "clerk")
    assert clerk.get("/admin/users").status_code == 403
    assert clerk.post("/admin/users", {"username": "x_user", "password": "long-enough-1"}).status_code == 403
