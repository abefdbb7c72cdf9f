"""Payloads may not set what the engine maintains, and start data is checked against the start form.

A caller that could put ``caseOrganizationUscc`` into start or form data would hand a case to any
registered organization; ``street`` or ``case_id`` would contradict the case's own facts; a key named
like a script helper (``now``, ``add_workdays``) would shadow that function in every later script.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.demo import DemoWorld, deploy_processes, seed_directory
from engine.errors import InputError
from tests.conftest import STREET, deploy

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def _count(services: Services) -> int:
    with services.db.transaction(write=False) as tx:
        return int(tx.scalar("SELECT COUNT(*) FROM instances") or 0)


@pytest.mark.parametrize(
    "key, value",
    [("caseOrganizationUscc", "51310105MJ4Y2K7AXU"), ("street", "S-XJH"), ("case_id", 7), ("now", "2020-01-01")],
)
def test_start_data_may_not_set_engine_keys(world: Services, key: str, value: object) -> None:
    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    with pytest.raises(InputError, match="由系统维护") as err:
        world.engine.start("approval", clerk, street=STREET, data={key: value})
    assert err.value.details["fields"] == [key]
    assert _count(world) == 0


def test_completed_form_data_may_not_set_engine_keys(world: Services) -> None:
    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    started = world.engine.start("approval", clerk, street=STREET)
    [task], _ = world.queries.tasks(clerk)
    with pytest.raises(InputError, match="caseOrganizationUscc"):
        world.engine.complete(task.id, clerk, {"applicant": "王某", "amount": 5, "caseOrganizationUscc": "x"})
    assert world.queries.instance(clerk, started.instance_id).lock_version == started.lock_version
    assert [t.id for t in world.queries.tasks(clerk)[0]] == [task.id]


@pytest.fixture
def demo(services: Services) -> DemoWorld:
    world = seed_directory(services, BPMN)
    deploy_processes(services, BPMN)
    return world


def test_start_data_is_checked_against_the_start_form(services: Services, demo: DemoWorld) -> None:
    street = demo.streets["hy"]
    intake = services.engine.actor(demo.account("调解受理员", street=street))
    with pytest.raises(InputError, match="来源"):
        services.engine.start("mediation", intake, street=street, data={"sourceChannel": "RUMOUR"})
    with pytest.raises(InputError):
        services.engine.start("mediation", intake, street=street, data={"unknownField": 1})
    assert _count(services) == 0
    started = services.engine.start("mediation", intake, street=street, data={"sourceChannel": "GRID"})
    assert started.status == "running"


def _deep(n: int) -> dict:
    value: dict = {"x": 1}
    for _ in range(n):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    "payload, says",
    [
        ({"applicant": "王某", "amount": float("nan")}, "有限数"),
        ({"applicant": "王某", "amount": float("inf")}, "有限数"),
        ({"applicant": "王某", "amount": 2**64}, "整数超出"),
        ({"applicant": "\ud800王某", "amount": 5}, "代理字符"),
        ({"applicant": "王某", "amount": 5, "nested": _deep(300)}, "嵌套层次过深"),
        ({"applicant": "王某" * 60_000, "amount": 5}, "文字过长"),
        ({"applicant": "王某", "amount": 5, "rows": ["x" * 90_000] * 20}, "数据过大"),
        ({"applicant": "王某", "amount": 5, "callable": print}, "不是 JSON 数据"),
        ({"applicant": "王某", "amount": 5, "raw": b"bytes"}, "不是 JSON 数据"),
    ],
)
def test_unsafe_payloads_are_refused_before_anything_runs(world: Services, payload: dict, says: str) -> None:
    import time

    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    started = world.engine.start("approval", clerk, street=STREET)
    [task], _ = world.queries.tasks(clerk)
    began = time.perf_counter()
    with pytest.raises(InputError, match=says):
        world.engine.complete(task.id, clerk, payload)
    assert time.perf_counter() - began < 2.0
    assert world.queries.instance(clerk, started.instance_id).lock_version == started.lock_version
    with pytest.raises(InputError, match=says):
        world.engine.start("approval", clerk, street=STREET, data=payload)
    assert _count(world) == 1


def test_a_message_start_applies_the_same_place_rule_as_start(world: Services) -> None:
    from tests.conftest import OTHER_STREET

    deploy(world, "linked")
    other_org = world.directory.add_organization("新泾镇某社会组织", OTHER_STREET)
    mediator = world.engine.actor("mediator")
    with pytest.raises(InputError, match="指定的街道与该组织所在街道不一致"):
        world.engine.send_message(
            "confirmation_requested", {}, {"ref": "R-1"}, actor=mediator, street=STREET, organization_id=other_org
        )
    assert _count(world) == 0


def test_a_missing_case_and_someone_elses_case_read_the_same(world: Services) -> None:
    from engine.errors import NotFoundError

    deploy(world, "approval")
    started = world.engine.start("approval", world.engine.actor("clerk"), street=STREET)
    outsider = world.engine.actor("other_clerk")
    answers = []
    for case in (started.instance_id, 999_999):
        for command in (world.engine.cancel, world.engine.suspend, world.engine.retry):
            with pytest.raises(NotFoundError) as err:
                command(case, outsider)
            answers.append(str(err.value).replace(f"#{case}", "#N"))
        with pytest.raises(NotFoundError) as err:
            world.queries.instance(outsider, case)
        answers.append(str(err.value).replace(f"#{case}", "#N"))
    assert answers[:4] == answers[4:]


def test_form_errors_carry_each_fields_path(world: Services) -> None:
    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    world.engine.start("approval", clerk, street=STREET)
    [task], _ = world.queries.tasks(clerk)
    with pytest.raises(InputError) as err:
        world.engine.complete(task.id, clerk, {"amount": "很多"})
    paths = {e["path"] for e in err.value.details["field_errors"]}
    assert paths == {"applicant", "amount"}
    assert all("：" in e["message"] for e in err.value.details["field_errors"])


def test_a_case_number_beyond_any_id_is_simply_not_found(world: Services) -> None:
    from engine.errors import NotFoundError

    with pytest.raises(NotFoundError):
        world.queries.instance(world.engine.actor("clerk"), 2**80)


# -- every task has a schema: without a form, a payload may carry only a comment ---------------------


def _formless_task(world: Services) -> tuple[Any, Any, int]:
    """Start a due_date case and return (clerk, its task 书面答复 — a user task without a form, lock version)."""
    deploy(world, "due_date")
    clerk = world.engine.actor("clerk")
    started = world.engine.start("due_date", clerk, street=STREET)
    [task], _ = world.queries.tasks(clerk)
    assert task.form is None
    return clerk, task, started.lock_version


def test_a_user_task_without_a_form_refuses_any_field_and_changes_nothing(world: Services) -> None:
    clerk, task, lock_version = _formless_task(world)
    with pytest.raises(InputError, match="此环节没有表单") as err:
        world.engine.complete(task.id, clerk, {"x": 1})
    assert err.value.details["fields"] == ["x"]
    with pytest.raises(InputError, match="备注"):
        world.engine.complete(task.id, clerk, {"comment": 1})
    assert world.queries.instance(clerk, task.instance_id).lock_version == lock_version
    assert [t.id for t in world.queries.tasks(clerk)[0]] == [task.id]


@pytest.mark.parametrize("data", [{}, {"comment": "已核实"}], ids=["nothing", "a comment"])
def test_a_user_task_without_a_form_completes_with_nothing_or_a_comment(world: Services, data: dict[str, Any]) -> None:
    clerk, task, _ = _formless_task(world)
    result = world.engine.complete(task.id, clerk, data)
    assert (result.status, result.end_state) == ("completed", "end")
    assert world.queries.tasks(clerk)[0] == []


def test_a_start_without_a_start_form_takes_only_a_comment(world: Services) -> None:
    deploy(world, "approval")  # its none start event has no form
    clerk = world.engine.actor("clerk")
    with pytest.raises(InputError, match="此环节没有表单") as err:
        world.engine.start("approval", clerk, street=STREET, data={"applicant": "王某", "comment": "电话受理"})
    assert err.value.details["fields"] == ["applicant"]
    with pytest.raises(InputError, match="备注"):
        world.engine.start("approval", clerk, street=STREET, data={"comment": "长" * 2001})
    assert _count(world) == 0
    started = world.engine.start("approval", clerk, street=STREET, data={"comment": "电话受理"})
    assert started.status == "running" and _count(world) == 1


def test_a_start_form_not_the_comment_rule_decides_what_a_start_with_a_form_takes(world: Services) -> None:
    deploy(world, "loop")  # its start event has the form start_loop.schema.json: limit, required
    clerk = world.engine.actor("clerk")
    with pytest.raises(InputError, match="必填项未填写"):
        world.engine.start("loop", clerk, street=STREET, data={})
    assert _count(world) == 0
    started = world.engine.start("loop", clerk, street=STREET, data={"limit": 1})
    [task], _ = world.queries.tasks(clerk)
    assert task.name == "月度监测" and task.instance_id == started.instance_id
    assert world.engine.complete(task.id, clerk, {"note": "水位正常"}).status == "completed"
