"""The registration process's domain rules (domain.md §4): membership, funds, direct registration, names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.unit.levels import flow_nodes, process_of
from workflows.functions import SCRIPT_FUNCTIONS
from workflows.processes.registration import (
    DEFAULTS,
    FUNCTIONS,
    reg_direct_registration,
    reg_eligibility_problems,
    reg_filing_return_reasons,
    reg_membership_ok,
    reg_name_problems,
    reg_party_arrangement,
    reg_refusal_ground_text,
    reg_remedies,
)


def setting(name: str) -> Any:
    process, _, key = name.partition(".")
    assert process == "registration"
    return DEFAULTS[key]


def eligible_social_group(**overrides: Any) -> list[str]:
    values: dict[str, Any] = {
        "org_type": "SOCIAL_GROUP",
        "individual": 62,
        "unit": 0,
        "funds": "50000.00",
        "has_domicile": True,
        "staff": 2,
        "foundation_type": None,
    }
    values.update(overrides)
    return reg_eligibility_problems(**values, setting=setting)


@pytest.mark.parametrize(
    ("individual", "unit", "ok"),
    [
        (50, 0, True),
        (49, 0, False),
        (0, 30, True),
        (0, 29, False),
        (40, 12, True),  # domain.md 4.7 scenario 3: mixed, total 52
        (30, 15, False),  # total 45, neither count reaches its own threshold
        (25, 25, True),  # mixed total exactly 50
        (0, 0, False),
    ],
)
def test_membership_rule_of_article_10(individual: int, unit: int, ok: bool) -> None:
    assert reg_membership_ok(individual, unit) is ok


def test_membership_rule_ignores_negative_and_non_integer_counts() -> None:
    assert reg_membership_ok(-100, 80) is True
    assert reg_membership_ok("60", None) is False
    assert reg_membership_ok(True, 29) is False


def test_lawful_social_group_has_no_problems() -> None:
    assert eligible_social_group() == []


def test_too_few_members_is_reported_as_members_short() -> None:
    problems = eligible_social_group(individual=30, unit=15)
    assert len(problems) == 1
    assert problems[0].startswith("会员数不足")
    assert "个人会员30个、单位会员15个" in problems[0]


def test_social_group_needs_30000_yuan_staff_and_domicile() -> None:
    problems = eligible_social_group(funds="29999.99", staff=0, has_domicile=False)
    assert [p.split("：")[0][:6] for p in problems] == ["活动资金不足", "没有与其业务", "没有固定的住"]
    assert eligible_social_group(funds="30000.00") == []
    assert eligible_social_group(funds=30000) == []


def test_unparseable_funds_count_as_none() -> None:
    assert any(p.startswith("活动资金不足") for p in eligible_social_group(funds="三万元"))


def test_social_service_org_uses_configured_startup_funds_and_ignores_members() -> None:
    assert eligible_social_group(org_type="SOCIAL_SERVICE_ORG", individual=0, staff=0) == []
    problems = eligible_social_group(org_type="SOCIAL_SERVICE_ORG", funds="1000.00")
    assert problems == ["开办资金不足：须有3万元以上开办资金（民非条例第八条）"]


@pytest.mark.parametrize(
    ("kind", "enough", "short"),
    [
        ("NON_PUBLIC", "2000000.00", "1999999.99"),
        ("LOCAL_PUBLIC", "4000000.00", "3999999.99"),
        ("NATIONAL_PUBLIC", "8000000.00", "7999999.99"),
    ],
)
def test_foundation_original_fund_by_type(kind: str, enough: str, short: str) -> None:
    assert eligible_social_group(org_type="FOUNDATION", foundation_type=kind, funds=enough) == []
    assert eligible_social_group(org_type="FOUNDATION", foundation_type=kind, funds=short)[0].startswith("原始基金不足")


def test_filing_choice_and_unknown_type_are_not_eligible() -> None:
    assert eligible_social_group(org_type="COMMUNITY_GROUP_FILING") == ["申请人选择备案，不申请法人登记"]
    assert eligible_social_group(org_type="CLUB") == ["未知的组织类型：CLUB"]


def test_thresholds_come_from_configuration() -> None:
    lowered = {**DEFAULTS, "minIndividualMembers": 20, "minMixedMembers": 20}
    problems = reg_eligibility_problems(
        "SOCIAL_GROUP", 20, 0, "50000.00", True, 1, None, lambda name: lowered[name.split(".", 1)[1]]
    )
    assert problems == []


def test_direct_registration_only_for_listed_categories_when_enabled() -> None:
    categories = DEFAULTS["directRegistrationCategories"]
    assert reg_direct_registration("城乡社区服务类", True, categories) is True
    assert reg_direct_registration("文体类", True, categories) is False
    assert reg_direct_registration("城乡社区服务类", False, categories) is False


@pytest.mark.parametrize(
    ("name", "problems"),
    [
        ("上海市华阳路街道睦邻互助协会", []),
        ("中国华阳睦邻互助协会", ["地方性社会组织的名称不得冠以“中国”字样"]),
        ("中华全国邻里会", ["地方性社会组织的名称不得冠以“全国”“中华”字样"]),
        ("", ["未填写拟定名称"]),
    ],
)
def test_name_may_not_use_china_nationwide_chinese_nation(name: str, problems: list[str]) -> None:
    assert reg_name_problems(name) == problems


def test_party_branch_from_three_full_members() -> None:
    assert reg_party_arrangement(3) == "单独建立党支部"
    assert reg_party_arrangement(2).startswith("选派党建工作联络员")
    assert reg_party_arrangement(None).startswith("选派党建工作联络员")


def test_refusal_ground_and_remedies_texts() -> None:
    assert "业务范围相同或者相似" in reg_refusal_ground_text("13_2")
    assert reg_refusal_ground_text("nonsense") == reg_refusal_ground_text("OTHER")
    text = reg_remedies("区民政局", 60, 6)
    assert "60日内依法申请行政复议" in text
    assert "6个月内依法向人民法院提起行政诉讼" in text


def test_filing_return_reasons_list_everything_at_once() -> None:
    assert reg_filing_return_reasons(True, "同意", 12, 10) == []
    assert reg_filing_return_reasons(False, "缺章程", 6, 10) == [
        "缺章程",
        "成员人数不足：备案的社区社会组织成员不少于10人",
    ]


def test_every_function_is_exposed_to_scripts_with_a_process_prefix() -> None:
    assert all(name.startswith("reg_") for name in FUNCTIONS)
    assert all(SCRIPT_FUNCTIONS[name] is fn for name, fn in FUNCTIONS.items())


def test_money_defaults_are_decimal_strings() -> None:
    assert DEFAULTS["minActivityFundsLocal"] == "30000.00"
    assert all(isinstance(v, str) for v in DEFAULTS["minFoundationFunds"].values())


# -- the levels of the registration diagram ---------------------------------------------------------------
FOLDER = Path(__file__).resolve().parents[2] / "bpmn" / "registration"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
STARTED_ON_THEIR_OWN = {"registration", "community_filing"}
END_STATES = {  # domain.md §4.6, by the end event ids the engine records
    "registered",
    "refused_by_supervisor",
    "not_accepted",
    "withdrawn",
    "refused_by_registrar",
    "filed",
    "filing_refused",
}


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_level_has_at_most_30_flow_nodes_and_no_script_tasks(path: Path) -> None:
    nodes = flow_nodes(process_of(path))
    assert len(nodes) <= 30
    assert [n.get("id") for n in nodes if etree.QName(n).localname == "scriptTask"] == []


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.bpmn")), ids=lambda p: p.name)
def test_only_the_main_flow_and_the_filing_may_be_started_on_their_own(path: Path) -> None:
    process = process_of(path)
    (start,) = [s for s in process.iter(f"{BPMN}startEvent")]
    called_only = [p.get("value") for p in start.iter(f"{SPIFF}property") if p.get("name") == "calledOnly"]
    assert called_only == ([] if process.get("id") in STARTED_ON_THEIR_OWN else ["true"])


def test_main_flow_calls_every_phase_and_keeps_the_end_states() -> None:
    main = process_of(FOLDER / "registration.bpmn")
    called = {c.get("calledElement") for c in main.iter(f"{BPMN}callActivity")}
    phases = {process_of(p).get("id") for p in FOLDER.glob("*.bpmn")} - {"registration"}
    assert called == phases
    ends = {e.get("id") for e in main.iter(f"{BPMN}endEvent")}
    assert ends >= END_STATES
