"""The role rule: a task's role comes from its lane or its ``role`` property, and whoever may act on a
task finds it in an inbox query of theirs — for every published diagram in bpmn/ and its demo cases."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from engine.accounts.authz import Actor, Grant
from engine.bootstrap import build
from engine.runtime.queries import TaskFilter
from web.cli import main

BPMN = Path(__file__).resolve().parents[2] / "bpmn"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def _roles_of_human_tasks(path: Path) -> dict[str, str | None]:
    tree = etree.parse(str(path))
    lane_of = {
        ref.text.strip(): lane.get("name")
        for lane in tree.iterfind(".//bpmn:lane", NS)
        for ref in lane.iterfind("bpmn:flowNodeRef", NS)
        if ref.text
    }
    roles: dict[str, str | None] = {}
    for task in [*tree.iterfind(".//bpmn:userTask", NS), *tree.iterfind(".//bpmn:manualTask", NS)]:
        prop = task.find(".//spiff:property[@name='role']", NS)
        roles[task.get("id")] = (prop.get("value") if prop is not None else None) or lane_of.get(task.get("id"))
    return roles


def test_every_human_task_in_bpmn_has_a_role_from_its_lane_or_property() -> None:
    files = sorted(BPMN.glob("*/*.bpmn"))
    assert len(files) >= 6
    missing = [f"{f.name}:{tid}" for f in files for tid, role in _roles_of_human_tasks(f).items() if not role]
    assert missing == []


def test_whoever_may_act_on_a_ready_task_finds_it_in_their_inbox(db_url: str) -> None:
    result = CliRunner().invoke(main, ["--database-url", db_url, "seed-demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    services = build(db_url)
    try:
        with services.db.transaction(write=False) as tx:
            users = [r[0] for r in tx.all("SELECT username FROM users ORDER BY username")]
            ready = tx.all(
                "SELECT id, role, street_code, organization_id, assignee FROM human_tasks WHERE state = 'READY'"
            )
        assert ready, "the demo world has tasks in flight"
        actors = [services.engine.actor(u) for u in users]
        checked = 0
        for actor in actors:
            inbox, total = services.queries.tasks(actor, TaskFilter(limit=10_000))
            assert total == len(inbox)
            listed = {t.id for t in inbox}
            actionable = {
                tid for tid, role, street, org, assignee in ready if actor.may_act_on_task(role, street, org, assignee)
            }
            assert actionable == listed, (actor.username, actionable ^ listed)
            checked += len(actionable)
        assert checked >= len(ready)  # every ready task is somebody's
    finally:
        services.close()


def test_a_task_without_a_role_is_nobodys_but_its_assignees() -> None:
    clerk = Actor("clerk", grants=(Grant("街道社区自治办经办人", "street", "S-HY"),),
                  streets_by_role={"街道社区自治办经办人": frozenset({"S-HY"})})  # fmt: skip
    assert clerk.may_act_on_task("街道社区自治办经办人", "S-HY", None, None)
    assert not clerk.may_act_on_task(None, "S-HY", None, None)
    assert clerk.may_act_on_task(None, "S-HY", None, "clerk")
