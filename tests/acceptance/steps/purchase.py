"""Steps of the purchase process (政府购买社会组织服务) that shorten the way to the step a scenario is about.

Each ``假如 …`` step here only chains what the shared steps do one by one — the same roles complete the
same tasks and outside systems send the same messages — so that a scenario about year 2 need not
spell out the procurement of year 1. The full path is spelt out step by step in the first scenarios.

The other steps let the scenarios speak as the process owner does: list fields as rows under their
column titles (bids, scores, performance targets), messages from and to outside systems with their
fields named in words, and suppliers by name — the steps fill in the credit codes the forms ask for.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_bdd import given, parsers, then, when

from engine.worklist.taskforms import TaskForms
from tests.acceptance.steps.context import YES_NO, Scenario, by_form_titles, parse_value, table_data

OFFICER = "街道购买服务项目经办人"
LEADER = "街道领导"
FINANCE = "街道财务人员"
AGENT = "采购代理机构"
PANEL = "评审小组"
SUPPLIER = "承接社会组织"
EVALUATOR = "第三方评估机构"

# 演示组织 1 (华阳社区睦邻服务社) and two other valid codes (domain.md §1.1 test vectors).
ORG1 = ("华阳社区睦邻服务社", "52310105MJ12345020", "社会服务机构", "4A")
ORG2 = ("新华路街道邻里互助协会", "51310105MJ4Y2K7AXU", "社会团体", "3A")
COMPANY = ("上海某物业服务有限公司", "91330100716105852F", "企业", "无")

PROPOSAL: dict[str, Any] = {
    "projectName": "华阳路街道独居老人关爱服务项目",
    "serviceCategory": "养老服务",
    "catalogueItemCode": "01",
    "serviceContent": "为辖区300名独居老人提供上门探访、助餐和应急援助服务",
    "budgetYuan": "600000.00",
    "fundSource": "一般公共预算",
    "awardTermYears": 3,
    "multiYearConditionsMet": True,
    "specialCase": "无",
    "preferredMethod": "AUTO",
}


# The suppliers the scenarios name in bid and score tables (the forms ask for their credit codes).
SUPPLIER_CODES = {org[0]: org[1] for org in (ORG1, ORG2, COMPANY)}


def _form(scenario: Scenario, role: str, task: str) -> dict[str, Any]:
    """The JSON Schema of the form of the role's ready task."""
    found = scenario.find_task(role, task)
    forms = TaskForms(scenario.services.db, scenario.services.engine.definitions, scenario.services.queries)
    return forms.form(scenario.actor(role), found.id).schema


def _field_of(fields: dict[str, Any], title: str) -> str:
    """The field a column title names: its title, its title without the parenthesised note, or its name."""
    for name, node in fields.items():
        full = str(node.get("title", ""))
        if title in (name, full, full.split("（")[0]):
            return name
    if title == "供应商名称" and "supplierUscc" in fields:  # a score row may name the supplier instead
        return "supplierUscc"
    raise AssertionError(f"no field titled {title!r} among {[n.get('title') for n in fields.values()]}")


def _cell(node: dict[str, Any], text: str) -> Any:
    """A row cell as the field's type: 是/否, a number, a choice by its Chinese label, or the text itself."""
    text = text.strip()
    if node.get("type") == "boolean":
        return YES_NO.get(text, parse_value(text))
    if node.get("type") in ("number", "integer"):
        return parse_value(text)
    labels = {str(o.get("title")): o["const"] for o in node.get("oneOf") or [] if "const" in o}
    return labels.get(text, text)


def rows_as_items(schema: dict[str, Any], title: str, datatable: list[list[str]]) -> tuple[str, list[dict[str, Any]]]:
    """A table whose header names the columns by the titles of a list field's items, as that list."""
    fields = schema.get("properties") or {}
    name = _field_of(fields, title)
    item_fields = fields[name]["items"]["properties"]
    header = [_field_of(item_fields, h.strip()) for h in datatable[0]]
    items = []
    for row in datatable[1:]:
        item = {key: _cell(item_fields[key], text) for key, text in zip(header, row, strict=True) if text.strip()}
        if "supplierUscc" in item and item["supplierUscc"] in SUPPLIER_CODES:  # a score row names the supplier
            item["supplierUscc"] = SUPPLIER_CODES[item["supplierUscc"]]
        elif "supplierUscc" in item_fields and item.get("supplierName") in SUPPLIER_CODES:  # a known bidder's code
            item.setdefault("supplierUscc", SUPPLIER_CODES[item["supplierName"]])
        items.append(item)
    return name, items


@when(parsers.parse('"{role}" 填写 "{task}"：'))
def fill_in(scenario: Scenario, role: str, task: str, datatable: list[list[str]]) -> None:
    """Keep the form fields of a two-column table for the next step that completes the same task."""
    scenario.__dict__.setdefault("purchase_filled", {})[(role, task)] = table_data(datatable)


@when(parsers.parse('"{role}" 办理 "{task}"，{title}如下：'))
def complete_with_rows(scenario: Scenario, role: str, task: str, title: str, datatable: list[list[str]]) -> None:
    """Complete a task whose list field is given as rows; the other fields come from 填写 just before."""
    schema = _form(scenario, role, task)
    name, items = rows_as_items(schema, title, datatable)
    filled = scenario.__dict__.setdefault("purchase_filled", {}).pop((role, task), {})
    scenario.complete(role, task, {**by_form_titles(schema, filled), name: items})


# The fields of the messages outside systems send and receive, by the words the scenarios use for them.
PAYLOAD_FIELDS = {
    "是否批准": "approved",
    "预算批复文号": "budgetRef",
    "批准文号": "approvalRef",
    "说明": "note",
    "质疑供应商": "challenger",
    "质疑内容": "content",
    "投诉人": "complainant",
    "投诉内容": "content",
    "采购方式": "procurementMethodName",
    "响应截止日期": "responseDeadline",
    "中标（成交）供应商": "winnerName",
    "同分处理理由": "tieBreakReason",
    "支付金额": "amountYuan",
    "扣留金额": "withheldYuan",
    "结算说明": "note",
}


def _sent(scenario: Scenario, event: str) -> list[dict[str, Any]]:
    """The payloads of the messages sent so far by the event of that name (or with that message name)."""
    names = scenario.message_names(event)
    return [
        e.data.get("payload") or {}
        for e in scenario.history()
        if e.type == "message_sent" and e.data.get("name") in names
    ]


@when(parsers.parse('收到消息 "{event}"，内容如下：'))
def receive_message_in_words(scenario: Scenario, event: str, datatable: list[list[str]]) -> None:
    """An outside system's message whose fields the table names in words (是否批准 | 是)."""
    payload = {
        PAYLOAD_FIELDS.get(k, k): YES_NO.get(v, v) if isinstance(v, str) else v
        for k, v in table_data(datatable).items()
    }
    scenario.attempt(
        scenario.services.engine.send_message, scenario.message_name(event), {"instance": scenario.case_id}, payload
    )


@then(parsers.parse('发出的消息 "{event}" 中 "{title}" 为 "{value}"'))
def sent_field_is(scenario: Scenario, event: str, title: str, value: str) -> None:
    key = PAYLOAD_FIELDS[title]
    found = [str(p.get(key)) for p in _sent(scenario, event)]
    assert value in found, found


@then(parsers.parse('发出的消息 "{event}" 中含有 "{text}"'))
def sent_contains(scenario: Scenario, event: str, text: str) -> None:
    found = [json.dumps(p, ensure_ascii=False) for p in _sent(scenario, event)]
    assert any(text in f for f in found), found


@then("期限届满的定时器已触发")
def timer_fired(scenario: Scenario) -> None:
    assert "timer_fired" in [e.type for e in scenario.history()]


@then(parsers.parse('案件已交由 "{organization}" 办理'))
def handed_over(scenario: Scenario, organization: str) -> None:
    uscc = SUPPLIER_CODES[organization]
    found = [e.data for e in scenario.history() if e.type == "case_handed_over"]
    assert any(d.get("uscc") == uscc for d in found), found


def do(scenario: Scenario, role: str, task: str, data: dict[str, Any] | None = None) -> None:
    """Complete a task and fail loudly if it was refused (a set-up step must not be)."""
    scenario.complete(role, task, data or {})
    assert scenario.error is None, scenario.error


def message(scenario: Scenario, name: str, payload: dict[str, Any]) -> None:
    scenario.attempt(scenario.services.engine.send_message, name, {"instance": scenario.case_id}, payload)
    assert scenario.error is None, scenario.error


def has_task(scenario: Scenario, role: str, task: str) -> bool:
    return any(task in (t.name, t.bpmn_id) for t in scenario.ready_tasks(role))


def bid(org: tuple[str, str, str, str], price: str, compliant: bool = True) -> dict[str, Any]:
    name, uscc, kind, grade = org
    return {
        "supplierName": name,
        "supplierUscc": uscc,
        "supplierType": kind,
        "assessmentGrade": grade,
        "priceYuan": price,
        "compliant": compliant,
    }


@given(parsers.parse("购买服务项目已立项并获得预算："))
def approved_project(scenario: Scenario, datatable: list[list[str]]) -> None:
    scenario.start(OFFICER, "purchase", {})
    assert scenario.error is None, scenario.error
    do(scenario, OFFICER, "需求调研", {"needsSummary": "辖区独居老人300人，需要上门探访与助餐", "beneficiaryCount": 300,
                                       "surveyMethods": ["问卷调查", "居委会座谈"]})  # fmt: skip
    proposal = by_form_titles(_form(scenario, OFFICER, "项目立项申请"), table_data(datatable))
    do(scenario, OFFICER, "项目立项申请", {**PROPOSAL, **proposal})
    do(scenario, OFFICER, "事前绩效评估", {
        "necessity": "独居老人需求集中", "feasibility": "辖区有多家为老服务社会组织",
        "performanceTargets": [{"indicator": "上门探访人次", "kind": "产出", "target": "≥3600人次"}],
        "conclusion": "建议立项",
    })  # fmt: skip
    do(scenario, LEADER, "领导集体决策立项", {"approved": True, "meetingDate": scenario.today().isoformat()})
    do(scenario, FINANCE, "预算审核", {"budgetSubject": "2080299 其他民政管理事务支出"})
    message(scenario, "purchase_budget_decided", {"approved": True, "budgetRef": "长财预〔2025〕1号"})


@given(parsers.parse("已完成评审，演示组织 1 排名第一并经采购人确认"))
def evaluated_and_confirmed(scenario: Scenario) -> None:
    if has_task(scenario, OFFICER, "公开采购意向"):
        do(scenario, OFFICER, "公开采购意向", {"intentionPublishedDate": scenario.today().isoformat(),
                                               "intentionRef": "ZCYX-2025-001"})  # fmt: skip
        scenario.pass_days(30)
    do(scenario, AGENT, "发布采购公告", {"noticeMedia": "上海政府采购网", "platformListingId": "GXPT-2025-001"})
    for _day in range(40):
        if has_task(scenario, AGENT, "登记投标（响应）文件并资格审查"):
            break
        scenario.pass_days(1)
    do(scenario, AGENT, "登记投标（响应）文件并资格审查",
       {"bids": [bid(ORG1, "580000.00"), bid(ORG2, "590000.00"), bid(COMPANY, "560000.00")]})  # fmt: skip
    do(scenario, PANEL, "评审打分", {"panelSize": 5, "expertCount": 4, "scores": [
        {"supplierUscc": ORG1[1], "score": 92.5}, {"supplierUscc": ORG2[1], "score": 85},
        {"supplierUscc": COMPANY[1], "score": 80}]})  # fmt: skip
    do(scenario, OFFICER, "确认中标（成交）供应商", {"confirmationOpinion": "同意评审排序第一的供应商成交"})


@given(parsers.parse("已完成采购，成交供应商为演示组织 1"))
def procured(scenario: Scenario) -> None:
    evaluated_and_confirmed(scenario)
    do(scenario, AGENT, "发布中标（成交）结果公告", {"awardNoticeRef": "CJ-2025-001"})
    scenario.pass_workdays(7)
    assert has_task(scenario, SUPPLIER, "签署年度服务合同"), scenario.ready_tasks(SUPPLIER)


@given(parsers.parse("第 {year:d} 年度合同已签订、公告、备案并支付首期款"))
def contract_signed(scenario: Scenario, year: int) -> None:
    start = scenario.today()
    end = start.replace(year=start.year + 1)
    do(scenario, SUPPLIER, "签署年度服务合同", {
        "contractNo": f"HT-{start.year}-{year:02d}", "amountYuan": "580000.00",
        "termStart": start.isoformat(), "termEnd": end.isoformat(),
    })  # fmt: skip
    do(scenario, OFFICER, "公告合同", {"contractPublishRef": f"GG-{year}"})
    do(scenario, OFFICER, "合同备案", {"filingRef": f"BA-{year}"})
    do(scenario, FINANCE, "支付首期款", {"voucherNo": f"GK-{year}-1"})


@given(parsers.parse("本年度监测报告均正常"))
def monitoring_normal(scenario: Scenario) -> None:
    rounds = 0
    while has_task(scenario, SUPPLIER, "提交监测报告"):
        rounds += 1
        do(scenario, SUPPLIER, "提交监测报告", {"reportPeriod": f"第{rounds}期", "servicesDelivered": "按计划完成",
                                                "ledgerUpdated": True})  # fmt: skip
        do(scenario, OFFICER, "绩效执行监控", {"monitoringResult": "正常", "findings": "无"})
        assert rounds <= 12, "more monitoring periods than a monthly cycle"


@given(parsers.parse("本年度绩效评价为 {score:d} 分并已结算"))
def evaluated(scenario: Scenario, score: int) -> None:
    do(scenario, EVALUATOR, "年度绩效评价", {"totalScore": score, "satisfactionRate": 90,
                                             "evaluationSummary": "按合同完成服务"})  # fmt: skip
    do(scenario, FINANCE, "年度结算支付", {"voucherNo": "GK-settle"})
