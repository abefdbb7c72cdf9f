"""An organization-scoped process owner cannot raise anyone (least of all themselves) to street powers."""

from __future__ import annotations

from engine.bootstrap import Services
from tests.conftest import STREET
from tests.integration.webclient import make_app, signed_in


def _org_owner(world: Services) -> int:
    org = world.directory.add_organization("长宁社工服务中心", STREET)
    world.directory.add_user("org_owner", "password123", "org_owner")
    world.directory.grant("org_owner", "流程管理员", "organization", str(org))
    return org


def _grant(browser: object, username: str, role: str, scope_type: str, scope_id: str) -> int:
    form = {"username": username, "role": role, "scope_type": scope_type, "scope_id": scope_id}
    return int(browser.post("/admin/grants", form).status_code)  # type: ignore[attr-defined]


def test_an_organization_owner_cannot_grant_street_roles_at_their_organization(world: Services) -> None:
    org = _org_owner(world)
    owner = signed_in(make_app(world), "org_owner")
    for role in ("街道社区自治办经办人", "街道领导", "流程管理员"):
        assert _grant(owner, "clerk2", role, "organization", str(org)) == 403, role
        assert not world.engine.actor("clerk2").holds(role, None, org)


def test_a_process_owner_cannot_grant_roles_to_themselves(world: Services) -> None:
    org = _org_owner(world)
    org_owner = signed_in(make_app(world), "org_owner")
    assert _grant(org_owner, "org_owner", "申请人", "organization", str(org)) == 403
    assert not world.engine.actor("org_owner").holds("申请人", None, org)
    owner = signed_in(make_app(world), "owner")
    assert _grant(owner, "owner", "街道领导", "street", STREET) == 403
    assert not world.engine.actor("owner").holds("街道领导", STREET, None)


def test_an_organization_owner_grants_organization_roles_to_others(world: Services) -> None:
    org = _org_owner(world)
    owner = signed_in(make_app(world), "org_owner")
    assert _grant(owner, "clerk2", "申请人", "organization", str(org)) == 302
    assert world.engine.actor("clerk2").holds("申请人", None, org)


def test_a_street_owner_grants_only_organization_roles_at_organization_scope(world: Services) -> None:
    org = _org_owner(world)
    owner = signed_in(make_app(world), "owner")
    assert _grant(owner, "clerk2", "街道社区自治办经办人", "organization", str(org)) == 403
    assert not world.engine.actor("clerk2").holds("街道社区自治办经办人", None, org)
    assert _grant(owner, "clerk2", "承接社会组织", "organization", str(org)) == 302
    assert world.engine.actor("clerk2").holds("承接社会组织", None, org)
