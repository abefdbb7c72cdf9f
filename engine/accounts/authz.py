"""Who may see and do what: actors, grants and their scopes.

A grant is (user, role, scope) where the scope is a street, a district (all its streets) or an
organization. Lanes in the BPMN are roles. The rules, enforced here and used by every façade query and
command (never only hidden in a UI):

* **act on a task**: the task is assigned to the actor, or it is unassigned and the actor holds the
  task's role in a scope covering the task (its street, or its organization);
* **see a case**: the actor holds any grant whose scope covers the case's street or organization, or
  has worked on one of its tasks;
* **start a process**: the actor holds the role of the start event's lane in the case's scope (any
  grant in that scope when the start event has no lane);
* **act on a task without a role**: nobody but its assignee — deploy refuses such tasks, so only an
  older version can have one;
* **operate** (cancel, suspend, resume, retry, deploy): the process-owner role in scope;
* **assign** a task to someone else: the process owner or a supervisor role in scope.

The process-owner and supervisor role names are configuration (:mod:`engine.accounts.roles`).

The system actor (timers, messages from outside) bypasses grants; it is never given to a web user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.accounts.roles import role_settings
from engine.errors import NotFoundError
from engine.store.db import Tx

ADMIN_ROLE = role_settings().process_owner  # the configured process-owner role (for seeding and tests)
SCOPE_TYPES = ("street", "district", "organization")


@dataclass(frozen=True)
class Grant:
    """One role held in one scope."""

    role: str
    scope_type: str
    scope_id: str


@dataclass(frozen=True)
class Actor:
    """A user (or the system) with grants resolved to streets and organizations per role."""

    username: str
    display_name: str = ""
    grants: tuple[Grant, ...] = ()
    streets_by_role: dict[str, frozenset[str]] = field(default_factory=dict)
    orgs_by_role: dict[str, frozenset[int]] = field(default_factory=dict)
    is_system: bool = False

    @property
    def all_streets(self) -> frozenset[str]:
        return frozenset().union(*self.streets_by_role.values()) if self.streets_by_role else frozenset()

    @property
    def all_orgs(self) -> frozenset[int]:
        return frozenset().union(*self.orgs_by_role.values()) if self.orgs_by_role else frozenset()

    def holds(self, role: str | None, street: str | None, organization_id: int | None) -> bool:
        """Whether the actor holds ``role`` (any role when None) in a scope covering the place."""
        if self.is_system:
            return True
        roles = [role] if role is not None else list(self.streets_by_role.keys() | self.orgs_by_role.keys())
        for r in roles:
            if street is not None and street in self.streets_by_role.get(r, ()):
                return True
            if organization_id is not None and organization_id in self.orgs_by_role.get(r, ()):
                return True
        return False

    def may_see_place(self, street: str | None, organization_id: int | None) -> bool:
        """Whether any grant of the actor covers this street or organization."""
        if self.is_system:
            return True
        return (street is not None and street in self.all_streets) or (
            organization_id is not None and organization_id in self.all_orgs
        )

    def may_act_on_task(self, role: str | None, street: str | None, org: int | None, assignee: str | None) -> bool:
        """Whether the actor may claim or complete a task with these attributes."""
        if self.is_system or assignee == self.username:
            return True
        return assignee is None and role is not None and self.holds(role, street, org)

    def is_admin_for(self, street: str | None, organization_id: int | None) -> bool:
        """Whether the actor is a process owner for this place."""
        return self.holds(role_settings().process_owner, street, organization_id)

    def is_supervisor_for(self, street: str | None, organization_id: int | None) -> bool:
        """Whether the actor holds a supervisor role (or the process-owner role) for this place."""
        settings = role_settings()
        return any(self.holds(r, street, organization_id) for r in (settings.process_owner, *settings.supervisors))


SYSTEM = Actor(username="system", display_name="系统", is_system=True)


def load_actor(tx: Tx, username: str) -> Actor:
    """Resolve a user's grants (district grants expand to the district's streets)."""
    row = tx.one("SELECT id, display_name, active FROM users WHERE username = :u", {"u": username})
    if row is None or not row[2]:
        raise NotFoundError(f"用户不存在或已停用：{username}", f"Unknown or inactive user: {username}")
    grants = tuple(
        Grant(r, t, s)
        for r, t, s in tx.all(
            "SELECT role, scope_type, scope_id FROM grants WHERE user_id = :id ORDER BY id", {"id": row[0]}
        )
    )
    streets: dict[str, set[str]] = {}
    orgs: dict[str, set[int]] = {}
    district_streets: dict[str, list[str]] = {}
    for g in grants:
        if g.scope_type == "street":
            streets.setdefault(g.role, set()).add(g.scope_id)
        elif g.scope_type == "district":
            if g.scope_id not in district_streets:
                district_streets[g.scope_id] = [
                    r[0] for r in tx.all("SELECT code FROM streets WHERE district_code = :d", {"d": g.scope_id})
                ]
            streets.setdefault(g.role, set()).update(district_streets[g.scope_id])
        elif g.scope_type == "organization":
            orgs.setdefault(g.role, set()).add(int(g.scope_id))
    return Actor(
        username=username,
        display_name=row[1],
        grants=grants,
        streets_by_role={k: frozenset(v) for k, v in streets.items()},
        orgs_by_role={k: frozenset(v) for k, v in orgs.items()},
    )


def task_visibility_sql(actor: Actor, alias: str = "ht") -> tuple[str, dict[str, Any]]:
    """SQL condition selecting the human tasks the actor may act on (assigned, or candidate)."""
    if actor.is_system:
        return "1=1", {}
    parts = [f"{alias}.assignee = :me"]
    params: dict[str, Any] = {"me": actor.username}
    for i, (role, streets) in enumerate(sorted(actor.streets_by_role.items())):
        names = ", ".join(f":s{i}_{j}" for j in range(len(streets)))
        parts.append(f"({alias}.assignee IS NULL AND {alias}.role = :rs{i} AND {alias}.street_code IN ({names}))")
        params[f"rs{i}"] = role
        params.update({f"s{i}_{j}": s for j, s in enumerate(sorted(streets))})
    for i, (role, orgs) in enumerate(sorted(actor.orgs_by_role.items())):
        names = ", ".join(f":o{i}_{j}" for j in range(len(orgs)))
        parts.append(f"({alias}.assignee IS NULL AND {alias}.role = :ro{i} AND {alias}.organization_id IN ({names}))")
        params[f"ro{i}"] = role
        params.update({f"o{i}_{j}": o for j, o in enumerate(sorted(orgs))})
    return "(" + " OR ".join(parts) + ")", params


def instance_visibility_sql(actor: Actor, alias: str = "i") -> tuple[str, dict[str, Any]]:
    """SQL condition selecting the instances the actor may see."""
    if actor.is_system:
        return "1=1", {}
    parts = [
        f"EXISTS (SELECT 1 FROM human_tasks w WHERE w.instance_id = {alias}.id "
        "AND (w.assignee = :me OR w.completed_by = :me))"
    ]
    params: dict[str, Any] = {"me": actor.username}
    streets, orgs = sorted(actor.all_streets), sorted(actor.all_orgs)
    if streets:
        parts.append(f"{alias}.street_code IN ({', '.join(f':vs{j}' for j in range(len(streets)))})")
        params.update({f"vs{j}": s for j, s in enumerate(streets)})
    if orgs:
        parts.append(f"{alias}.organization_id IN ({', '.join(f':vo{j}' for j in range(len(orgs)))})")
        params.update({f"vo{j}": o for j, o in enumerate(orgs)})
    return "(" + " OR ".join(parts) + ")", params
