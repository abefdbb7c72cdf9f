"""Domain rules of the registration process (see ../shared/domain.md §4): configuration defaults and script functions.

Process A: a community social organization is registered (成立登记) with the street office as its
supervising unit (业务主管单位), registers directly (直接登记), or — below the statutory conditions —
is filed (备案) by the street. The BPMN (``bpmn/registration/``) reads every threshold and period below
with ``cfg("registration.<name>")``; the functions are the pure rules its scripts call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

# Every [U] value of domain.md for this process: name → default (comment: the domain.md section).
# Statutory [V] periods and thresholds are here too, so that a change of law is a configuration change.
DEFAULTS: dict[str, Any] = {
    # -- 社会团体 founding conditions, 社团条例 第十条 [V] (§4.1) --
    "minIndividualMembers": 50,  # ≥ 50 individual members [V]
    "minUnitMembers": 30,  # or ≥ 30 unit members [V]
    "minMixedMembers": 50,  # or, mixed, ≥ 50 members in total [V]
    "minActivityFundsLocal": "30000.00",  # local 社团 activity funds, yuan [V]
    # -- 民非 / 基金会 funds (§4.5 activityFunds / startupFunds) --
    "minStartupFunds": "30000.00",  # 民非 开办资金 in Shanghai, yuan [U] (§4.1 not confirmed, §8 q4)
    "minFoundationFunds": {  # 基金会管理条例 第八条(二) [V]
        "NON_PUBLIC": "2000000.00",
        "LOCAL_PUBLIC": "4000000.00",
        "NATIONAL_PUBLIC": "8000000.00",
    },
    # -- direct registration since 2014 (§0.2 note 5, GA2) [P]; whether the district applies it [U] --
    "directRegistrationEnabled": True,
    "directRegistrationCategories": ["城乡社区服务类", "公益慈善类", "科技类", "行业协会商会类"],
    # -- 补正 (§3, §4.3 A5/A12) --
    "maxCorrections": 2,  # maximum 补正 rounds per stage [U] (§3)
    "correctionResponseDays": 30,  # applicant's 补正 response, calendar days; then withdrawn [U] (§3, §7)
    # -- street (supervising unit) stage (§4.3 A4–A7, §7) --
    "streetCompletenessWorkdays": 5,  # completeness check, good practice from 行政许可法 32 [U] (A4)
    "streetReviewWorkdays": 20,  # street review SLA from complete package to leadership decision [U] (§7, §8 q5)
    "partyBranchMinMembers": 3,  # ≥ 3 full party members → set up a branch [U] (A6d)
    # -- district registration authority (§4.3 A11–A16, §7) --
    "windowIntakeWorkdays": 5,  # 补正 notice or deemed accepted, 行政许可法 第三十二条(四) [V]
    "decisionDays": 60,  # decision from complete documents, 社团条例12 / 民非条例11 / 基金会条例11 [V], calendar [U]
    "deadlineWarningPercent": 80,  # non-interrupting warning at 80 % of the decision period [U] (§3)
    "promiseWorkdays": 20,  # promised (承诺) time of the bureau, working days [U] (§3, §8 q5)
    "certificateIssueWorkdays": 10,  # certificate after the decision, 行政许可法 第四十四条 [V]
    "certificateValidityYears": 5,  # validity of a Shanghai certificate [U] (§4.1, §8 q7)
    # -- remedies in every refusal (§3) --
    "administrativeReviewDays": 60,  # 行政复议法 (2023) 第二十条 [V]
    "litigationMonths": 6,  # 行政诉讼法 第四十六条 [V]
    # -- filing (备案) route (§4.4) --
    "filingMinMembers": 10,  # minimum members of a filed community group [U] (§4.5 minFilingMembers, §8 q6)
    "filingInitialReviewWorkdays": 5,  # residents' committee initial review SLA [U] (F3)
    "filingStreetReviewWorkdays": 10,  # street review and filing SLA [U] (F4)
    "maxFilingCorrections": 2,  # 补正 rounds of the filing initial review [U] (GF1)
}

ORG_TYPE_NAMES = {
    "SOCIAL_GROUP": "社会团体",
    "SOCIAL_SERVICE_ORG": "社会服务机构（民办非企业单位）",
    "FOUNDATION": "基金会",
    "COMMUNITY_GROUP_FILING": "备案团队",
}

# 社团条例 第十三条 refusal grounds (民非条例 第十一条 is parallel), by the code the decision form uses.
REFUSAL_GROUNDS = {
    "13_1": "申请登记的社会团体的宗旨、业务范围不符合《社会团体登记管理条例》第四条的规定（第十三条第（一）项）",
    "13_2": "在同一行政区域内已有业务范围相同或者相似的社会团体，没有必要成立（第十三条第（二）项）",
    "13_3": (
        "发起人、拟任负责人正在或者曾经受到剥夺政治权利的刑事处罚，或者不具有完全民事行为能力（第十三条第（三）项）"
    ),
    "13_4": "在申请登记时弄虚作假（第十三条第（四）项）",
    "13_5": "有法律、行政法规禁止的其他情形（第十三条第（五）项）",
    "INCOMPLETE": "申请材料经补正仍不齐全",
    "OTHER": "其他理由（见说明）",
}

MEMBERS_SHORT = "会员数不足"
FORBIDDEN_NAME_WORDS = ("中国", "全国", "中华")


def _amount(value: object) -> Decimal:
    """Yuan as a Decimal from a money string or an int; anything else counts as nothing."""
    if isinstance(value, bool) or value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def yuan_text(amount: Decimal) -> str:
    """An amount as a caseworker writes it: whole 万 as "3万元", others in yuan ("12345.6" → "12345.60元")."""
    if amount >= 10000 and amount % 10000 == 0:
        return f"{int(amount // 10000)}万元"
    if amount == amount.to_integral_value():
        return f"{int(amount)}元"
    return f"{amount.quantize(Decimal('0.01'))}元"


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def reg_membership_ok(
    individual: object, unit: object, min_individual: int = 50, min_unit: int = 30, min_mixed: int = 50
) -> bool:
    """社团条例 第十条: ≥ 50 individual or ≥ 30 unit members, or ≥ 50 in total when mixed."""
    ind, uni = _count(individual), _count(unit)
    return ind >= min_individual or uni >= min_unit or ind + uni >= min_mixed


def reg_eligibility_problems(
    org_type: str,
    individual: object,
    unit: object,
    funds: object,
    has_domicile: object,
    staff: object,
    foundation_type: object,
    setting: Callable[[str], Any],
) -> list[str]:
    """Every statutory registration condition the organization does not meet, in Chinese (empty: eligible).

    ``setting`` reads a configuration value by its full name (the BPMN passes ``cfg``), so the thresholds
    stay configuration while this function stays pure.
    """

    def thresholds(name: str) -> Any:
        return setting("registration." + name)

    if org_type == "COMMUNITY_GROUP_FILING":
        return ["申请人选择备案，不申请法人登记"]
    problems: list[str] = []
    if org_type == "SOCIAL_GROUP":
        if not reg_membership_ok(
            individual,
            unit,
            int(thresholds("minIndividualMembers")),
            int(thresholds("minUnitMembers")),
            int(thresholds("minMixedMembers")),
        ):
            problems.append(
                f"{MEMBERS_SHORT}：个人会员{_count(individual)}个、单位会员{_count(unit)}个；"
                f"须有{int(thresholds('minIndividualMembers'))}个以上个人会员或者{int(thresholds('minUnitMembers'))}个以上"
                f"单位会员，个人会员、单位会员混合组成的，会员总数不得少于{int(thresholds('minMixedMembers'))}个"
                "（社团条例第十条）"
            )
        minimum = _amount(thresholds("minActivityFundsLocal"))
        if _amount(funds) < minimum:
            problems.append(f"活动资金不足：地方性社会团体须有{yuan_text(minimum)}以上活动资金（社团条例第十条）")
        if _count(staff) < 1:
            problems.append("没有与其业务活动相适应的专职工作人员（社团条例第十条）")
    elif org_type == "SOCIAL_SERVICE_ORG":
        minimum = _amount(thresholds("minStartupFunds"))
        if _amount(funds) < minimum:
            problems.append(f"开办资金不足：须有{yuan_text(minimum)}以上开办资金（民非条例第八条）")
    elif org_type == "FOUNDATION":
        table = thresholds("minFoundationFunds") or {}
        minimum = _amount(table.get(str(foundation_type), table.get("NON_PUBLIC", "2000000.00")))
        if _amount(funds) < minimum:
            problems.append(f"原始基金不足：须有{yuan_text(minimum)}以上到账货币资金（基金会管理条例第八条）")
    else:
        problems.append(f"未知的组织类型：{org_type}")
    if has_domicile is not True:
        problems.append("没有固定的住所")
    return problems


def reg_direct_registration(category: object, enabled: object, categories: Iterable[str]) -> bool:
    """GA2: may the organization register directly, without a supervising unit (§0.2 note 5)?"""
    return enabled is True and category in set(categories)


def reg_name_problems(name: object) -> list[str]:
    """Problems of a proposed name: a local organization may not use 中国/全国/中华 (社团条例10, 民非条例8)."""
    text = str(name or "").strip()
    if not text:
        return ["未填写拟定名称"]
    used = [w for w in FORBIDDEN_NAME_WORDS if w in text]
    if used:
        return [f"地方性社会组织的名称不得冠以“{'”“'.join(used)}”字样"]
    return []


def reg_party_arrangement(party_members: object, branch_minimum: int = 3) -> str:
    """A6d: a branch with ≥ 3 full party members, otherwise a party-building liaison (党建三同步)."""
    if _count(party_members) >= branch_minimum:
        return "单独建立党支部"
    return "选派党建工作联络员（党员不足3名，暂不单独建立党支部）"


def reg_refusal_ground_text(code: object) -> str:
    """The wording of a refusal ground by its form code (社团条例 第十三条)."""
    return REFUSAL_GROUNDS.get(str(code), REFUSAL_GROUNDS["OTHER"])


def reg_remedies(authority: str, review_days: int = 60, litigation_months: int = 6) -> str:
    """The remedy notice every refusal carries (行政复议法 第二十条, 行政诉讼法 第四十六条)."""
    return (
        f"如不服本决定，可以自知道或者应当知道该决定之日起{review_days}日内依法申请行政复议，"
        f"或者自知道或者应当知道作出该决定之日起{litigation_months}个月内依法向人民法院提起行政诉讼。"
        f"（作出决定的机关：{authority}）"
    )


def reg_filing_return_reasons(passed: object, opinion: object, member_count: object, minimum: int) -> list[str]:
    """Every reason a filing goes back to the group after the residents' committee's initial review (GF1)."""
    reasons: list[str] = []
    if passed is not True:
        reasons.append(str(opinion or "居委会初审未通过"))
    if _count(member_count) < minimum:
        reasons.append(f"成员人数不足：备案的社区社会组织成员不少于{minimum}人")
    return reasons


FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        reg_membership_ok,
        reg_eligibility_problems,
        reg_direct_registration,
        reg_name_problems,
        reg_party_arrangement,
        reg_refusal_ground_text,
        reg_remedies,
        reg_filing_return_reasons,
    )
}
