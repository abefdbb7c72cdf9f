"""The demo world: one district, two streets, two social organizations, an account for every lane.

Used by ``shequflow seed-demo`` (and ``make run``) and by the acceptance scenarios, so that what a
scenario does as "社区自治办经办人" is what a person logging in with that demo account can do.

Each process folder under ``bpmn/`` declares its lanes in ``roles.json``::

    [{"role": "街道社区自治办经办人", "scope": "street", "account": "clerk"}, …]

``scope`` is ``street`` (one account per street: ``clerk_hy``, ``clerk_xh``), ``district`` (one account)
or ``organization`` (one account per demo organization: ``applicant_1``, ``applicant_2``). A role named in
several processes gets one account. Cases in flight come from ``demo_cases.json`` in the same folder: a
list of cases, each a list of actions run through the engine façade (``start``, ``complete``,
``message``, ``workdays``, ``days``), so the demo exercises exactly the code paths users do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.accounts.authz import ADMIN_ROLE
from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.definitions.bundle import Bundle
from engine.errors import InputError
from engine.sandbox.functions import SHANGHAI
from workflows.calendar import deadline_end_of_day, default_calendar

DEMO_PASSWORD = "shequflow-demo"
DISTRICT = ("310105", "长宁区")
STREETS = {"hy": ("S-HY", "华阳路街道"), "xh": ("S-XH", "新华路街道")}
ORGANIZATIONS = [
    ("华阳社区睦邻服务社", "hy", "52310105MJ12345020"),
    ("新华路街道邻里互助协会", "xh", "51310105MJ4Y2K7AXU"),
]


@dataclass
class DemoWorld:
    """Who is who in the demo: accounts by role and place, organization ids by index (1-based)."""

    accounts: dict[tuple[str, str], str] = field(default_factory=dict)  # (role, street code or org id) → user
    district_accounts: dict[str, str] = field(default_factory=dict)  # role → user
    organizations: dict[int, int] = field(default_factory=dict)  # demo index → organization id
    streets: dict[str, str] = field(default_factory=dict)  # short name → street code

    def account(self, role: str, *, street: str | None = None, organization_id: int | None = None) -> str:
        """The demo user holding ``role`` for a street or an organization (district roles need neither)."""
        if role in self.district_accounts:
            return self.district_accounts[role]
        key = (
            str(organization_id)
            if organization_id is not None and (role, str(organization_id)) in self.accounts
            else str(street)
        )
        try:
            return self.accounts[(role, key)]
        except KeyError:
            raise InputError(
                f"演示环境没有角色“{role}”在 {key} 的账号", f"No demo account for {role} at {key}"
            ) from None


def role_declarations(bpmn_root: Path) -> list[dict[str, str]]:
    """Every role declared by the process folders (deduplicated by role name)."""
    seen: dict[str, dict[str, str]] = {}
    for path in sorted(bpmn_root.glob("*/roles.json")):
        for entry in json.loads(path.read_text(encoding="utf-8")):
            seen.setdefault(entry["role"], entry)
    seen.setdefault(ADMIN_ROLE, {"role": ADMIN_ROLE, "scope": "district", "account": "owner"})
    return list(seen.values())


def seed_directory(services: Services, bpmn_root: Path, *, roles: list[dict[str, str]] | None = None) -> DemoWorld:
    """Create the district, streets, organizations and one account per role and place (idempotent)."""
    d = services.directory
    world = DemoWorld()
    d.add_district(*DISTRICT)
    for short, (code, name) in STREETS.items():
        d.add_street(code, name, DISTRICT[0])
        world.streets[short] = code
    for index, (name, street, uscc) in enumerate(ORGANIZATIONS, start=1):
        world.organizations[index] = d.add_organization(name, STREETS[street][0], uscc)
    for entry in roles if roles is not None else role_declarations(bpmn_root):
        role, scope, account = entry["role"], entry["scope"], entry["account"]
        if scope == "district":
            _person(services, account, role, "district", DISTRICT[0])
            world.district_accounts[role] = account
        elif scope == "street":
            for short, (code, _name) in STREETS.items():
                _person(services, f"{account}_{short}", role, "street", code)
                world.accounts[(role, code)] = f"{account}_{short}"
        elif scope == "organization":
            for index, org_id in world.organizations.items():
                _person(services, f"{account}_{index}", role, "organization", str(org_id))
                world.accounts[(role, str(org_id))] = f"{account}_{index}"
        else:
            raise InputError(f"roles.json 中的范围无效：{scope}", f"Invalid scope in roles.json: {scope}")
    return world


def _person(services: Services, username: str, role: str, scope: str, scope_id: str) -> None:
    services.directory.add_user(username, DEMO_PASSWORD, username)
    services.directory.grant(username, role, scope, scope_id)


def deploy_processes(services: Services, bpmn_root: Path, author: str = "demo") -> list[str]:
    """Deploy and publish every process folder under ``bpmn_root``; return the process keys."""
    keys: list[str] = []
    for folder in sorted(p for p in bpmn_root.iterdir() if p.is_dir() and any(p.glob("*.bpmn"))):
        result = services.engine.definitions.deploy(Bundle.from_dir(folder), author, publish=True)
        keys += [v.process_key for v in result.versions]
    return keys


def run_demo_cases(services: Services, world: DemoWorld, bpmn_root: Path, clock: ManualClock | None = None) -> int:
    """Drive the cases of every ``demo_cases.json`` to their listed step; return how many were started."""
    count = 0
    for path in sorted(bpmn_root.glob("*/demo_cases.json")):
        for case in json.loads(path.read_text(encoding="utf-8")):
            _run_case(services, world, case, clock)
            count += 1
    return count


def _run_case(services: Services, world: DemoWorld, actions: list[dict[str, Any]], clock: ManualClock | None) -> None:
    engine = services.engine
    instance_id, street, org = None, None, None
    for action in actions:
        kind = action["do"]
        if kind == "start":
            street = world.streets.get(action.get("street", "hy"))
            org = world.organizations.get(action["organization"]) if "organization" in action else None
            actor = engine.actor(world.account(action["as"], street=street, organization_id=org))
            instance_id = engine.start(
                action["process"],
                actor,
                street=street,
                organization_id=org,
                business_key=action.get("business_key"),
                data=action.get("data"),
            ).instance_id
        elif kind == "complete":
            actor = engine.actor(world.account(action["as"], street=street, organization_id=org))
            tasks = [
                t
                for t in services.queries.case_tasks(actor, int(instance_id or 0))
                if t.state == "READY" and t.bpmn_id == action["task"]
            ]
            if not tasks:
                raise InputError(f"演示案件没有待办任务 {action['task']}", f"No ready task {action['task']}")
            engine.complete(tasks[0].id, actor, action.get("data"))
        elif kind == "message":
            engine.send_message(
                action["name"], action.get("correlation", {"instance": instance_id}), action.get("payload")
            )
        elif kind in ("workdays", "days") and clock is not None:
            _advance(clock, kind, int(action["n"]))
            engine.fire_due_timers()


def _advance(clock: ManualClock, kind: str, n: int) -> None:
    today = clock.now().astimezone(SHANGHAI).date()
    if kind == "days":
        clock.advance(timedelta(days=n))
        return
    last = default_calendar().add_workdays(today, n).date
    clock.set(deadline_end_of_day(last) + timedelta(hours=9))
