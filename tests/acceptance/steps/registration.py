"""Steps of the registration feature: shortcuts to a stage of the case, and checks on sent messages.

The shortcuts ("假如 街道已同意成立 …") drive the same tasks, as the same demo accounts, with the data a
complete and lawful application carries, so that a scenario can state only the step it is about. The
happy-path scenario walks every step explicitly.

Messages are named as the process owner sees them — by the event or send task that sends them
("送达受理通知书") — and their payload fields by Chinese words (``PAYLOAD_FIELDS``); technical names
keep working.
"""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from tests.acceptance.steps.context import Scenario, parse_value, table_data

FOUNDER = "社会组织发起人"
ALL_MATERIALS = [
    "登记申请书",
    "业务主管单位批准文件",
    "验资报告或资信证明",
    "住所使用权证明",
    "发起人和拟任负责人基本情况及身份证明",
    "章程草案",
    "会员名册",
]


def _consultation(name: str) -> dict[str, Any]:
    return {
        "orgType": "SOCIAL_GROUP",
        "category": "其他",
        "proposedName": name,
        "memberCountIndividual": 62,
        "memberCountUnit": 0,
        "funds": "50000.00",
        "hasFixedDomicile": True,
        "fullTimeStaffCount": 2,
    }


def _application(name: str) -> dict[str, Any]:
    return {
        "orgType": "SOCIAL_GROUP",
        "proposedName": name,
        "purpose": "弘扬邻里互助精神，服务社区居民",
        "businessScope": "邻里互助、为老服务、社区志愿服务",
        "activityArea": "华阳路街道",
        "domicileAddress": "上海市长宁区华阳路街道某路100号",
        "premisesProofType": "租赁合同",
        "activityFunds": "50000.00",
        "fundsSource": "个人出资",
        "capitalVerificationRef": "YZ-2025-001",
        "memberCountIndividual": 62,
        "memberCountUnit": 0,
        "fullTimeStaffCount": 2,
        "legalRepName": "张某",
        "legalRepIdNumber": "11010519491231002X",
        "legalRepPhone": "13800138000",
        "isLegalRepOfOtherSocialGroup": False,
        "legalRepPoliticalRightsDeprived": False,
        "legalRepFullCivilCapacity": True,
        "partyMembersCount": 4,
        "materials": [m for m in ALL_MATERIALS if m != "业务主管单位批准文件"],
    }


STREET_STAGE = [
    ("街道社区自治办经办人", "材料完整性审查", {"complete": True}),
    (
        "街道社区自治办经办人",
        "名称、宗旨和业务范围审查",
        {"nameCompliant": True, "purposeCompliant": True, "opinion": "名称规范，宗旨和业务范围适合社区服务"},
    ),
    ("街道社区自治办经办人", "发起人和拟任负责人背景审查", {"backgroundClear": True, "opinion": "无不良记录"}),
    ("居民委员会", "社区需求与重复性审查", {"residentNeed": True, "duplicateExists": False, "opinion": "居民需要"}),
    ("党建指导员", "党建工作评估", {"partyMembersCount": 4, "opinion": "建立党支部"}),
    ("街道领导", "街道党工委（主任办公会）审议", {"consent": True, "approvalDocNo": "华阳街道〔2025〕12号"}),
]
SUBMIT = [(FOUNDER, "网上提交登记申请", {"materials": ALL_MATERIALS, "declaration": True})]
ACCEPT = [("区民政局社会组织登记窗口", "网上预审与窗口受理", {"outcome": "ACCEPT"})]
GRANT = [
    ("区民政局社会组织管理科", "实质审查", {"recommendation": "GRANT", "opinion": "符合登记条件"}),
    ("区民政局分管局领导", "登记决定", {"decision": "GRANTED"}),
]
STAGES = ["consulted", "applied", "street_reviewed", "street_approved", "submitted", "accepted", "granted"]


def _run(scenario: Scenario, steps: list[tuple[str, str, dict[str, Any]]]) -> None:
    for role, task, data in steps:
        scenario.complete(role, task, data)
        assert scenario.error is None, f"{task}: {scenario.error}"


def _reach(scenario: Scenario, name: str, stage: str) -> None:
    """Start a 社会团体 application for ``name`` and complete every task up to ``stage``."""
    scenario.start(FOUNDER, "社区社会组织成立登记", {})
    assert scenario.error is None, scenario.error
    plan = {
        "consulted": [("社区社会组织服务中心", "前期咨询", _consultation(name))],
        "applied": [(FOUNDER, "准备申请材料", _application(name))],
        "street_reviewed": STREET_STAGE[:-1],
        "street_approved": STREET_STAGE[-1:],
        "submitted": SUBMIT,
        "accepted": ACCEPT,
        "granted": GRANT,
    }
    for step in STAGES[: STAGES.index(stage) + 1]:
        _run(scenario, plan[step])


@given(parsers.parse('服务中心已就 "{name}" 完成前期咨询'))
def given_consulted(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "consulted")


@when(parsers.parse('发起人提交 "{name}" 的申请材料，其中：'))
def submit_application_with(scenario: Scenario, name: str, datatable: list[list[str]]) -> None:
    scenario.complete(FOUNDER, "准备申请材料", {**_application(name), **table_data(datatable)})


@given(parsers.parse('发起人已就 "{name}" 提交申请材料'))
def given_applied(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "applied")


@given(parsers.parse('街道已完成对 "{name}" 的并行审查'))
def given_street_reviewed(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "street_reviewed")


@given(parsers.parse('街道已同意成立 "{name}"'))
def given_street_approved(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "street_approved")


@given(parsers.parse('"{name}" 已向区民政局提交登记申请'))
def given_submitted(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "submitted")


@given(parsers.parse('区民政局已受理 "{name}" 的登记申请'))
def given_accepted(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "accepted")


@given(parsers.parse('区民政局已准予 "{name}" 登记'))
def given_granted(scenario: Scenario, name: str) -> None:
    _reach(scenario, name, "granted")


# Payload fields of the messages the process sends and receives, as the notices name them (the payload
# keys are the external contract and stay as they are).
PAYLOAD_FIELDS = {
    "符合登记条件": "meetsConditions",
    "不符合的条件": "problems",
    "可直接登记": "directRegistration",
    "批复文号": "approvalDocNo",
    "收到全部有效文件日期": "completeDocsReceivedDate",
    "决定期限": "decisionDeadline",
    "视为受理": "deemedAccepted",
    "业务主管单位": "supervisingUnit",
    "统一社会信用代码": "uscc",
    "具有法人资格": "legalPerson",
    "说明": "note",
    "需补正的材料": "missingItems",
    "受理日期": "acceptedAsOf",
    "案件标记": "flag",
    "不予登记理由": "ground",
    "救济途径": "remedies",
    "退回理由": "reasons",
    "理由": "reason",
    "印章编码": "sealNo",
    "银行账号": "bankAccountNo",
}
# Chinese words for the coded values a payload carries.
PAYLOAD_VALUES = {"是": True, "否": False, "无": None, "超过法定期限": "STATUTORY_DEADLINE_BREACHED"}


def _field(name: str) -> str:
    return PAYLOAD_FIELDS.get(name, name)


def _expected(text: str) -> Any:
    value = parse_value(text)
    return PAYLOAD_VALUES.get(value, value) if isinstance(value, str) else value


def _sent(scenario: Scenario, name: str) -> list[dict[str, Any]]:
    """Payloads of the messages sent so far that ``name`` means (the sending event's name or the message's)."""
    codes = scenario.message_names(name)
    return [
        e.data.get("payload") or {}
        for e in scenario.history()
        if e.type == "message_sent" and e.data.get("name") in codes
    ]


@when(parsers.parse('收到回执 "{name}"：'))
def receive_receipt(scenario: Scenario, name: str, datatable: list[list[str]]) -> None:
    """An outside party's receipt, its fields named as the notice names them (印章编码, 银行账号)."""
    payload = {_field(k): v for k, v in table_data(datatable).items()}
    scenario.attempt(
        scenario.services.engine.send_message, scenario.message_name(name), {"instance": scenario.case_id}, payload
    )


@then(parsers.parse('未向外发出消息 "{name}"'))
def message_not_sent(scenario: Scenario, name: str) -> None:
    assert _sent(scenario, name) == [], _sent(scenario, name)


@then(parsers.parse('发出的消息 "{name}" 中 "{field}" 为 {value}'))
def message_field_is(scenario: Scenario, name: str, field: str, value: str) -> None:
    payloads = _sent(scenario, name)
    assert payloads, f"no message {name} was sent"
    assert payloads[-1].get(_field(field)) == _expected(value), payloads[-1]


@then(parsers.parse('发出的消息 "{name}" 中 "{field}" 包含 "{text}"'))
def message_field_contains(scenario: Scenario, name: str, field: str, text: str) -> None:
    payloads = _sent(scenario, name)
    assert payloads, f"no message {name} was sent"
    value = payloads[-1].get(_field(field))
    shown = "；".join(map(str, value)) if isinstance(value, list) else str(value)
    assert text in shown, payloads[-1]


@then(parsers.parse('定时器 "{name}" 已触发'))
def timer_fired(scenario: Scenario, name: str) -> None:
    fired = [e.task_name for e in scenario.history() if e.type == "timer_fired"]
    assert name in fired, fired
