"""The admin page's operations: users and their grants, managed by process owners within their scope.

A process owner (``流程管理员``) sees the users who hold a grant inside the streets and organizations their
own grant covers (and users without any grant yet), creates users, and gives or takes back grants whose
scope lies inside their own: a street they cover, a district all of whose streets they cover, or an
organization of such a street. The CLI (``shequflow users``) remains the operator's unrestricted tool.

Nobody grants to themselves. At organization scope only the configured organization-side roles
(``platform.organizationRoles``, :mod:`engine.accounts.roles`) may be granted: an organization grant
covers that organization's own cases, so a street role there would let the organization act as the
street office on its own application. An owner covered only through an organization grant never hands
out the process-owner or supervisor roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.accounts.authz import ADMIN_ROLE, Actor, Grant
from engine.accounts.directory import Directory
from engine.accounts.roles import role_settings
from engine.errors import InputError, NotFoundError, PermissionDeniedError
from engine.store.db import Database, Tx
from engine.worklist.numbers import ascii_int


@dataclass(frozen=True)
class GrantView:
    id: int
    role: str
    scope_type: str
    scope_id: str


@dataclass(frozen=True)
class UserAdminView:
    username: str
    display_name: str
    active: bool
    grants: list[GrantView]


def _admin_streets(actor: Actor) -> frozenset[str]:
    if ADMIN_ROLE not in actor.streets_by_role and ADMIN_ROLE not in actor.orgs_by_role:
        raise PermissionDeniedError("只有流程管理员可以管理用户", "Only process owners manage users")
    return actor.streets_by_role.get(ADMIN_ROLE, frozenset())


def _covering(tx: Tx, actor: Actor, streets: frozenset[str], scope_type: str, scope_id: str) -> str | None:
    """How the owner's grants cover the scope: "street" (a street or district grant), "organization", or None."""
    if scope_type == "street":
        return "street" if scope_id in streets else None
    if scope_type == "district":
        members = {r[0] for r in tx.all("SELECT code FROM streets WHERE district_code = :d", {"d": scope_id})}
        return "street" if members and members <= streets else None
    org = ascii_int(scope_id) if scope_type == "organization" else None
    if org is not None:
        row = tx.one("SELECT street_code FROM organizations WHERE id = :o", {"o": org})
        if row is not None and row[0] in streets:
            return "street"
        if row is not None and org in actor.orgs_by_role.get(ADMIN_ROLE, ()):
            return "organization"
    return None


def _covers(tx: Tx, actor: Actor, streets: frozenset[str], scope_type: str, scope_id: str) -> bool:
    return _covering(tx, actor, streets, scope_type, scope_id) is not None


def _check_grantable(role: str, scope_type: str, covering: str) -> None:
    """Refuse street roles at organization scope, and powers handed out by an organization-level owner."""
    settings = role_settings()
    if covering == "organization" and role in (settings.process_owner, *settings.supervisors):
        raise PermissionDeniedError(
            f"组织范围的流程管理员不能授予“{role}”", f"An organization-level owner may not grant {role}"
        )
    if scope_type == "organization" and role not in settings.organization_roles:
        raise PermissionDeniedError(
            f"组织范围只能授予组织角色（{'、'.join(settings.organization_roles)}），不能授予“{role}”",
            f"Only organization roles ({', '.join(settings.organization_roles)}) are granted at organization scope",
        )


class Admin:
    """User and grant administration, scoped to the process owner's grants."""

    def __init__(self, db: Database, directory: Directory) -> None:
        self.db = db
        self.directory = directory

    def users(self, actor: Actor) -> list[UserAdminView]:
        """Users with grants in the owner's scope (only those grants shown), and users without grants."""
        streets = _admin_streets(actor)
        with self.db.transaction(write=False) as tx:
            people = tx.all("SELECT id, username, display_name, active FROM users ORDER BY username")
            grants = tx.all("SELECT id, user_id, role, scope_type, scope_id FROM grants ORDER BY id")
            covered = {(t, s) for _i, _u, _r, t, s in grants if _covers(tx, actor, streets, t, s)}
        by_user: dict[int, list[GrantView]] = {}
        has_any: set[int] = set()
        for gid, uid, role, scope_type, scope_id in grants:
            has_any.add(uid)
            if (scope_type, scope_id) in covered:
                by_user.setdefault(uid, []).append(GrantView(gid, role, scope_type, scope_id))
        return [
            UserAdminView(name, display, bool(active), by_user.get(uid, []))
            for uid, name, display, active in people
            if uid in by_user or uid not in has_any
        ]

    def create_user(self, actor: Actor, username: str, password: str, display_name: str | None) -> None:
        """Create a user (an existing username is refused here: passwords are reset with the CLI)."""
        _admin_streets(actor)
        username = username.strip()
        if not username or len(username) > 64 or not username.replace("_", "").replace("-", "").isalnum():
            raise InputError("用户名为1–64位字母、数字、下划线或连字符", "Username: 1–64 letters, digits, _ or -")
        with self.db.transaction(write=False) as tx:
            if tx.scalar("SELECT 1 FROM users WHERE username = :u", {"u": username}):
                raise InputError(f"用户名已存在：{username}", f"Username taken: {username}")
        self.directory.add_user(username, password, (display_name or "").strip()[:100] or None)

    def grant(self, actor: Actor, username: str, role: str, scope_type: str, scope_id: str) -> None:
        """Give a user a role in a scope inside the owner's own."""
        streets = _admin_streets(actor)
        role = role.strip()
        if not role or len(role) > 100:
            raise InputError("角色名称必填，不超过100字", "Role required, at most 100 characters")
        if username.strip() == actor.username:
            raise PermissionDeniedError("不能给自己授权", "You may not grant roles to yourself")
        with self.db.transaction(write=False) as tx:
            covering = _covering(tx, actor, streets, scope_type, scope_id.strip())
        if covering is None:
            raise PermissionDeniedError("只能在自己管理的范围内授权", "You may only grant within your own scope")
        _check_grantable(role, scope_type, covering)
        self.directory.grant(username.strip(), role, scope_type, scope_id.strip())

    def revoke(self, actor: Actor, grant_id: int) -> Grant:
        """Take back a grant inside the owner's scope (others are 'not found')."""
        streets = _admin_streets(actor)
        with self.db.transaction() as tx:
            row = tx.one("SELECT role, scope_type, scope_id FROM grants WHERE id = :g", {"g": grant_id})
            if row is None or not _covers(tx, actor, streets, row[1], row[2]):
                raise NotFoundError(f"授权不存在：#{grant_id}", f"No such grant: #{grant_id}")
            tx.execute("DELETE FROM grants WHERE id = :g", {"g": grant_id})
        return Grant(*row)
