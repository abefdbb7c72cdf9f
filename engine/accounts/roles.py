"""Role names the engine treats specially, read from configuration rather than written into code.

Two kinds of role carry powers beyond their tasks: the *process owner* (operates cases: cancel, suspend,
resume, retry; deploys) and the *supervisors* (assign tasks to others, see all open work of their
scope). Their names are settings so that a district that calls its owner role differently changes
configuration, not code. Defaults are the names the three processes use; operators override them in
the ``platform`` section of the process configuration file (``instance/process-config.json`` or
``SHEQUFLOW_PROCESS_CONFIG``)::

    {"platform": {"processOwnerRole": "流程管理员", "supervisorRoles": ["街道领导", "科长"]}}
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from workflows.config import load_config

DEFAULT_PROCESS_OWNER_ROLE = "流程管理员"
DEFAULT_SUPERVISOR_ROLES = ("街道领导",)


@dataclass(frozen=True)
class RoleSettings:
    """The special role names in force."""

    process_owner: str
    supervisors: tuple[str, ...]


@lru_cache(maxsize=1)
def role_settings() -> RoleSettings:
    """The configured special roles (read once per process; restart to change)."""
    platform = load_config().get("platform", {})
    owner = str(platform.get("processOwnerRole") or DEFAULT_PROCESS_OWNER_ROLE)
    supervisors = platform.get("supervisorRoles") or DEFAULT_SUPERVISOR_ROLES
    if isinstance(supervisors, str):
        supervisors = (supervisors,)
    return RoleSettings(owner, tuple(str(s) for s in supervisors))
