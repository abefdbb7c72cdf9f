"""Steps every process shares (Chinese Gherkin, ``# language: zh-CN``).

Roles are lane names; each acts as its demo account in the scenario's street (or organization).
Import them into a test module with ``from tests.acceptance.steps.common import *``.
"""

from __future__ import annotations

from datetime import date

from pytest_bdd import given, parsers, then, when

from tests.acceptance.steps.context import STATUS_NAMES, Scenario, table_data


@given(parsers.parse("今天是 {day}"))
def given_today(scenario: Scenario, day: str) -> None:
    scenario.set_today(date.fromisoformat(day.strip()))


@given(parsers.parse('案件在 "{street}" 办理'))
def given_street(scenario: Scenario, street: str) -> None:
    codes = {"华阳路街道": scenario.world.streets["hy"], "新华路街道": scenario.world.streets["xh"]}
    scenario.street = codes.get(street, street)


@given(parsers.parse("申请组织是演示组织 {index:d}"))
def given_organization(scenario: Scenario, index: int) -> None:
    scenario.organization_id = scenario.world.organizations[index]


@given(parsers.parse('"{role}" 发起了 "{process}" 流程：'))
@when(parsers.parse('"{role}" 发起 "{process}" 流程：'))
def start_with_data(scenario: Scenario, role: str, process: str, datatable: list[list[str]]) -> None:
    scenario.start(role, process, table_data(datatable))


@given(parsers.parse('"{role}" 发起了 "{process}" 流程'))
@when(parsers.parse('"{role}" 发起 "{process}" 流程'))
def start_plain(scenario: Scenario, role: str, process: str) -> None:
    scenario.start(role, process, {})


@given(parsers.parse('"{role}" 已办理 "{task}"：'))
@when(parsers.parse('"{role}" 办理 "{task}"：'))
def complete_with_data(scenario: Scenario, role: str, task: str, datatable: list[list[str]]) -> None:
    scenario.complete(role, task, table_data(datatable))


@given(parsers.parse('"{role}" 已办理 "{task}"'))
@when(parsers.parse('"{role}" 办理 "{task}"'))
def complete_plain(scenario: Scenario, role: str, task: str) -> None:
    scenario.complete(role, task, {})


@when(parsers.parse("过了 {n:d} 个工作日"))
def pass_workdays(scenario: Scenario, n: int) -> None:
    scenario.pass_workdays(n)


@when(parsers.parse("过了 {n:d} 天"))
def pass_days(scenario: Scenario, n: int) -> None:
    scenario.pass_days(n)


@when(parsers.parse("定时任务服务停止期间过了 {n:d} 个工作日"))
def pass_workdays_without_worker(scenario: Scenario, n: int) -> None:
    scenario.pass_workdays(n, run_timer_worker=False)


@when(parsers.parse("定时任务服务停止期间过了 {n:d} 天"))
def pass_days_without_worker(scenario: Scenario, n: int) -> None:
    scenario.pass_days(n, run_timer_worker=False)


@when(parsers.parse('收到消息 "{name}"：'))
def receive_message(scenario: Scenario, name: str, datatable: list[list[str]]) -> None:
    message = scenario.message_name(name)
    scenario.attempt(
        scenario.services.engine.send_message, message, {"instance": scenario.case_id}, table_data(datatable)
    )


@when(parsers.parse('收到消息 "{name}"'))
def receive_message_plain(scenario: Scenario, name: str) -> None:
    scenario.attempt(
        scenario.services.engine.send_message, scenario.message_name(name), {"instance": scenario.case_id}, {}
    )


@then(parsers.parse('"{role}" 的待办中有 "{task}"'))
def has_task(scenario: Scenario, role: str, task: str) -> None:
    names = [t.name for t in scenario.ready_tasks(role)] + [t.bpmn_id for t in scenario.ready_tasks(role)]
    assert task in names, f"{role} sees {names}"


@then(parsers.parse('"{role}" 的待办中没有 "{task}"'))
def has_no_task(scenario: Scenario, role: str, task: str) -> None:
    names = [t.name for t in scenario.ready_tasks(role)] + [t.bpmn_id for t in scenario.ready_tasks(role)]
    assert task not in names, f"{role} sees {names}"


@then(parsers.parse('"{role}" 的待办为空'))
def no_tasks(scenario: Scenario, role: str) -> None:
    assert scenario.ready_tasks(role) == []


@then(parsers.parse('"{task}" 的办理期限是 {day}'))
def due_date_is(scenario: Scenario, task: str, day: str) -> None:
    tasks = scenario.services.queries.case_tasks(
        scenario.services.engine.actor(scenario.world.account("流程管理员")), scenario.case_id or 0
    )
    due = [t.due_date for t in tasks if task in (t.name, t.bpmn_id) and t.state == "READY"]
    assert due == [day.strip()], due


@then(parsers.parse('办理被拒绝，提示包含 "{text}"'))
def refused_with(scenario: Scenario, text: str) -> None:
    assert scenario.error is not None, "the step was expected to be refused"
    assert text in scenario.error.message_zh, scenario.error.message_zh


@then("办理成功")
def succeeded(scenario: Scenario) -> None:
    assert scenario.error is None, scenario.error


@then(parsers.parse('案件状态为 "{status}"'))
def case_status(scenario: Scenario, status: str) -> None:
    assert scenario.case().status == STATUS_NAMES.get(status, status)


@then(parsers.parse('案件以 "{end}" 结束'))
def case_ended(scenario: Scenario, end: str) -> None:
    """``end`` is the end event's name (结束事件名称) or its end-state code."""
    case = scenario.case()
    assert case.status == "completed", case.status
    names = [e.data.get("end_name") for e in scenario.history() if e.type == "instance_completed"]
    assert (case.end_state or "").upper() == end.upper() or end in names, (case.end_state, names)


@then(parsers.parse('审计记录中有 "{event}"'))
def audit_has(scenario: Scenario, event: str) -> None:
    assert event in [e.type for e in scenario.history()]


@then(parsers.parse('审计记录中有 "{event}"，内容包含 "{text}"'))
def audit_has_text(scenario: Scenario, event: str, text: str) -> None:
    import json

    found = [json.dumps(e.data, ensure_ascii=False) for e in scenario.history() if e.type == event]
    assert any(text in f for f in found), found


@then(parsers.parse('已向外发出消息 "{name}"'))
def message_sent(scenario: Scenario, name: str) -> None:
    sent = [e.data.get("name") for e in scenario.history() if e.type == "message_sent"]
    assert scenario.message_names(name) & set(sent), sent


@then(parsers.parse('尚未向外发出消息 "{name}"'))
def message_not_sent(scenario: Scenario, name: str) -> None:
    sent = [e.data.get("name") for e in scenario.history() if e.type == "message_sent"]
    assert not scenario.message_names(name) & set(sent), sent


@then(parsers.parse('"{role}" 看不到该案件'))
def cannot_see(scenario: Scenario, role: str) -> None:
    from engine.errors import NotFoundError

    try:
        scenario.services.queries.instance(scenario.actor(role), scenario.case_id or 0)
    except NotFoundError:
        return
    raise AssertionError(f"{role} can see case {scenario.case_id}")
