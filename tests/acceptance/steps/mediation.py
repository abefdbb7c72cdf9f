"""Steps of the mediation feature that stand for several form submissions a caseworker makes in a row.

Each step completes the same tasks, through the same engine commands, that the shared step
``"<角色>" 办理 "<任务>"：`` would; they only fill the forms with the usual values so that a scenario
states just what it is about. Scenario 1 of ``features/mediation.feature`` spells the forms out in full.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, when

from tests.acceptance.steps.context import Scenario, table_data

DISPUTE_TYPES = {
    "物业": "PROPERTY_MGMT",
    "婚姻家庭": "FAMILY_MARRIAGE",
    "继承赡养": "INHERITANCE_SUPPORT",
    "邻里": "NEIGHBOUR",
    "房屋": "HOUSING",
    "损害赔偿": "DAMAGES",
    "劳动": "LABOUR",
    "合同债务": "CONTRACT_DEBT",
    "信访矛盾": "PETITION_RELATED",
    "其他": "OTHER",
}


def _registration(kind: str, today: str) -> dict[str, Any]:
    return {
        "caseNo": "HY-2025-001",
        "sourceChannel": "SELF_APPLICATION",
        "applicationForm": "WRITTEN",
        "applicationDate": today,
        "applicantName": "李某",
        "respondentName": "张某",
        "partyCount": 2,
        "disputeType": DISPUTE_TYPES.get(kind, kind),
        "facts": "双方因日常生活琐事发生纠纷",
        "otherChannelStatus": "NONE",
        "respondentConsent": "YES",
        "riskLevel": "LOW",
        "domesticViolenceFlag": False,
        "complexity": "SIMPLE",
        "crossArea": False,
    }


@given(parsers.parse('"调解受理员" 登记了一件 "{kind}" 纠纷：'))
@when(parsers.parse('"调解受理员" 登记一件 "{kind}" 纠纷：'))
def register_dispute(scenario: Scenario, kind: str, datatable: list[list[str]]) -> None:
    scenario.start("调解受理员", "矛盾调处", {})
    assert scenario.error is None, scenario.error
    data = {**_registration(kind, scenario.today().isoformat()), **table_data(datatable)}
    scenario.complete("调解受理员", "受理登记", data)
    assert scenario.error is None, scenario.error


@given(parsers.parse('"调解受理员" 登记了一件 "{kind}" 纠纷'))
@when(parsers.parse('"调解受理员" 登记一件 "{kind}" 纠纷'))
def register_dispute_plain(scenario: Scenario, kind: str) -> None:
    register_dispute(scenario, kind, [])


@given("调委会已指派调解员")
@when("调委会指派调解员")
def assign_mediator(scenario: Scenario) -> None:
    assignment = {"mediators": "李调解员", "selectedBy": "COMMITTEE", "conflictChecked": True}
    if any(t.bpmn_id == "assign_rc" for t in scenario.ready_tasks("居委会调解员")):
        scenario.complete("居委会调解员", "assign_rc", assignment)
    else:
        scenario.complete("街道调委会主任", "assign_mediator", assignment)
        assert scenario.error is None, scenario.error
        if any(t.bpmn_id == "accept_assignment" for t in scenario.ready_tasks("社会组织调解员")):
            scenario.complete(
                "社会组织调解员",
                "accept_assignment",
                {"socialOrgName": "华阳社区睦邻服务社", "mediators": "赵社工", "conflictChecked": True},
            )
    assert scenario.error is None, scenario.error


@given(parsers.parse('调解会议结果为 "{outcome}"'))
@when(parsers.parse('调解会议结果为 "{outcome}"'))
def session_outcome(scenario: Scenario, outcome: str) -> None:
    scenario.complete(
        "人民调解员",
        "session",
        {"sessionDate": scenario.today().isoformat(), "summary": "调解会议记录", "sessionOutcome": outcome},
    )
    assert scenario.error is None, scenario.error


@given(parsers.parse("双方达成调解协议并签章生效，履行期限为 {day}："))
@when(parsers.parse("双方达成调解协议并签章生效，履行期限为 {day}："))
def agreement_effective(scenario: Scenario, day: str, datatable: list[list[str]]) -> None:
    session_outcome(scenario, "AGREEMENT")
    data = {
        "agreementForm": "WRITTEN",
        "agreementText": "双方自愿达成如下协议",
        "obligations": [{"obligor": "张某", "content": "按协议履行", "deadline": day.strip()}],
        "applicantSigned": True,
        "respondentSigned": True,
        "mediatorSigned": True,
        "committeeSealed": True,
        "judicialConfirmationWanted": False,
        **table_data(datatable),
    }
    scenario.complete("人民调解员", "draft_agreement", data)
    assert scenario.error is None, scenario.error


@given(parsers.parse("双方达成调解协议并签章生效，履行期限为 {day}"))
@when(parsers.parse("双方达成调解协议并签章生效，履行期限为 {day}"))
def agreement_effective_plain(scenario: Scenario, day: str) -> None:
    agreement_effective(scenario, day, [])


@when(parsers.parse('查看原案编号为 "{parent}" 的关联新案件'))
def open_linked_case(scenario: Scenario, parent: str) -> None:
    """Switch the scenario to the case the engine opened from the original case's new_dispute_case message."""
    owner = scenario.services.engine.actor(scenario.world.account("流程管理员"))
    cases, _total = scenario.services.queries.instances(owner, process_key="mediation")
    linked = [
        c.id
        for c in cases
        if c.id != scenario.case_id
        and any(
            e.type == "message_received" and (e.data.get("payload") or {}).get("parentCaseId") == parent
            for e in scenario.services.queries.history(owner, c.id)
        )
    ]
    assert len(linked) == 1, linked
    scenario.case_id = linked[0]
