"""Steps of the mediation feature: several form submissions a caseworker makes in a row, and what
other parties (police station, court, petitioner, higher authority) send or receive, in their words.

The form steps complete the same tasks, through the same engine commands, that the shared step
``"<角色>" 办理 "<任务>"：`` would; they only fill the forms with the usual values so that a scenario
states just what it is about. Scenario 1 of ``features/mediation.feature`` spells the forms out in full.

The message steps send or look for the messages the processes exchange with outside parties. Their
payload fields are the external contract (``court_ruling`` carries ``result`` and ``rulingDate``,
…); the steps put the process owner's words into that shape, so the feature needs no field codes.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_bdd import given, parsers, then, when

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

# What a court ruling on judicial confirmation says (民事诉讼法 第二百零六条) → the message's result code.
COURT_RULINGS = {"确认有效": "CONFIRMED", "驳回": "REJECTED"}
# What the higher authority answers to a petition review (信访工作条例 第三十五条) → the result code.
REVIEW_RESULTS = {"维持": "UPHELD", "撤销": "REVERSED", "变更": "CHANGED"}


def _registration(kind: str, today: str) -> dict[str, Any]:
    return {
        "caseNo": "华调-2025-001",
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
    """``outcome`` is a choice of the session form's 调解结果 (its Chinese label, or its code)."""
    scenario.complete(
        "人民调解员",
        "session",
        {"sessionDate": scenario.today().isoformat(), "summary": "调解会议记录", "调解结果": outcome},
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


# -- what outside parties send ---------------------------------------------------------------------
def _send(scenario: Scenario, message: str, payload: dict[str, Any]) -> None:
    scenario.attempt(scenario.services.engine.send_message, message, {"instance": scenario.case_id}, payload)


@when(parsers.parse('收到 "{station}" 的回执，回执日期 {day}'))
def police_receipt(scenario: Scenario, station: str, day: str) -> None:
    """The police station confirms it received the escalation (人民调解法 第二十五条)."""
    _send(scenario, "police_receipt", {"station": station, "receivedAt": day.strip()})


@when(parsers.parse('收到法院裁定 "{ruling}"，裁定日期 {day}'))
def court_ruling(scenario: Scenario, ruling: str, day: str) -> None:
    """The court rules on the joint application for judicial confirmation."""
    _send(scenario, "court_ruling", {"result": COURT_RULINGS.get(ruling, ruling), "rulingDate": day.strip()})


@when(parsers.parse("信访人于 {day} 请求复查"))
def review_requested(scenario: Scenario, day: str) -> None:
    """The petitioner's review request, as the higher authority passes it on with its request date."""
    _send(scenario, "petition_review_request", {"requestDate": day.strip()})


@when(parsers.parse('收到上一级机关复查意见 "{result}"'))
def review_answered(scenario: Scenario, result: str) -> None:
    _send(scenario, "petition_review_result", {"result": REVIEW_RESULTS.get(result, result)})


# -- what the case sent and received ---------------------------------------------------------------
def _audit_texts(scenario: Scenario, event: str) -> list[str]:
    return [json.dumps(e.data, ensure_ascii=False) for e in scenario.history() if e.type == event]


def _sent(scenario: Scenario, message: str) -> list[dict[str, Any]]:
    events = [e.data for e in scenario.history() if e.type == "message_sent"]
    return [d.get("payload") or {} for d in events if d.get("name") == message]


@then(parsers.parse('发出的通知中写明 "{text}"'))
def notice_says(scenario: Scenario, text: str) -> None:
    """Some message the case sent out (a notice, a report, an application) contains the text."""
    found = _audit_texts(scenario, "message_sent")
    assert any(text in f for f in found), found


@then(parsers.parse('收到的消息中写明 "{text}"'))
def received_says(scenario: Scenario, text: str) -> None:
    found = _audit_texts(scenario, "message_received")
    assert any(text in f for f in found), found


@then("向人民法院提交的申请提示法院审查身份关系内容")
def application_flagged_for_court_review(scenario: Scenario) -> None:
    applications = _sent(scenario, "judicial_confirmation_application")
    assert [a.get("courtReviewFlag") for a in applications] == [True], applications


@then(parsers.parse("书面答复载明复查请求期限至 {day}"))
def reply_names_review_deadline(scenario: Scenario, day: str) -> None:
    deadlines = [p.get("reviewDeadline") for p in _sent(scenario, "petitioner_notice") if p.get("reviewDeadline")]
    assert day.strip() in deadlines, deadlines


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


@then(parsers.parse('"受理登记" 带出原案编号 "{parent}"'))
def registration_shows_parent(scenario: Scenario, parent: str) -> None:
    """The new case's registration form is pre-filled with the original case number (and the source)."""
    task = scenario.find_task("调解受理员", "受理登记")
    values = scenario.services.engine.task_values(
        task.id, scenario.actor("调解受理员"), ["parentCaseId", "sourceChannel"]
    )
    assert values == {"parentCaseId": parent, "sourceChannel": "COMMITTEE_INITIATIVE"}, values
