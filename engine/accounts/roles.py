"""Role names the engine treats specially, read from configuration rather than written into code.

Two kinds of role carry powers beyond their tasks: the *process owner* (operates cases: cancel, suspend,
resume, retry; deploys) and the *supervisors* (assign tasks to others, see all open work of their
scope). Their names are settings so that a district that calls its owner role differently changes
configuration, not code. Defaults are the names the three processes use; operators override them in
the ``platform`` section of the process configuration file (``instance/process-config.json`` or
``SHEQUFLOW_PROCESS_CONFIG``)::

    {"platform": {"processOwnerRole": "流程管理员", "supervisorRoles": ["街道领导", "科长"],
                  "organizationRoles": ["申请人", "社会组织发起人", "承接社会组织"]}}

The *organization roles* are the organization-side lanes (declared with scope ``organization`` in the
bundles' ``roles.json``): the only roles a process owner may grant at organization scope. A grant at an
organization also covers that organization's cases, so a street role granted there (街道经办人 at the
applicant's own organization) would let the organization review its own case. An owner whose only
covering grant is an organization grant never grants the process-owner or supervisor roles, and no
owner grants anything to themselves (``engine.worklist.admin``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from workflows.config import load_config

DEFAULT_PROCESS_OWNER_ROLE = "流程管理员"
DEFAULT_SUPERVISOR_ROLES = ("街道领导",)
DEFAULT_ORGANIZATION_ROLES = ("申请人", "社会组织发起人", "承接社会组织")


@dataclass(frozen=True)
class RoleSettings:
    """The special role names in force."""

    process_owner: str
    supervisors: tuple[str, ...]
    organization_roles: tuple[str, ...] = DEFAULT_ORGANIZATION_ROLES


@lru_cache(maxsize=1)
def role_settings() -> RoleSettings:
    """The configured special roles (read once per process; restart to change)."""
    platform = load_config().get("platform", {})
    owner = str(platform.get("processOwnerRole") or DEFAULT_PROCESS_OWNER_ROLE)
    return RoleSettings(
        owner,
        _names(platform.get("supervisorRoles"), DEFAULT_SUPERVISOR_ROLES),
        _names(platform.get("organizationRoles"), DEFAULT_ORGANIZATION_ROLES),
    )


def _names(value: object, default: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        return default
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else default
