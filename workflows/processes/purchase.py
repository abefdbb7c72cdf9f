"""Domain rules of the purchase process (政府购买社会组织服务, domain.md §5): configuration and script functions.

Amounts travel through process data as money strings ("600000.00"); every comparison and split here is
done in integer fen (分), never in floats (domain.md §1.2). Scores are compared in hundredths of a point.
The social-organization preference is a tie-break after scoring, not a bonus (domain.md §5.1: a bonus
would discriminate, 政府采购法 第二十二条).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from workflows.calendar import default_calendar
from workflows.validators import ValidationProblem, parse_iso_date, parse_money

TIE_BREAK_REASON = "同等条件下优先向社会组织购买"
TENDER_METHODS = ("PUBLIC_TENDER", "INVITATIONAL_TENDER")
# Tie-break by price: 87号令 第六十五条 for tenders, 财库〔2014〕214号 第二十四条 for consultation.
PRICE_TIE_BREAK_REASON = {
    "tender": "得分相同的，按投标报价由低到高排序（政府采购货物和服务招标投标管理办法 第六十五条）",
    "other": "得分相同的，按报价由低到高排序（政府采购竞争性磋商采购方式管理暂行办法 第二十四条）",
}

# Every [U] value of domain.md for this process (and the statutory periods, kept here too): name → default.
DEFAULTS: dict[str, Any] = {
    # §5.1 Thresholds [U]: 采购限额标准 (below it: internal procurement outside 政府采购法, 第二条).
    "thresholdYuan": "1000000.00",
    # §5.1 Thresholds [U]: 公开招标数额标准 (at or above it: public tender unless finance approves, 条例 23).
    "publicTenderYuan": "4000000.00",
    # §5.3 GB1 / §5.4 catalogueItemCode [U]: the street's 指导性目录 (code → item).
    "catalogueItems": {
        "01": "为老服务",
        "02": "助残服务",
        "03": "妇女儿童服务",
        "04": "社区治理",
        "05": "社区服务",
        "06": "专业调处",
        "07": "志愿服务",
    },
    # §5.0 102号令 第十条 [P] negative list; the keywords that detect it in a proposal are [U].
    "negativeListKeywords": ["劳务派遣", "聘用", "招聘", "人员派遣", "工程建设", "货物采购", "行政执法", "行政审批"],
    # §5.0 财库〔2020〕10号 [P]: intention published at least 30 days before procurement starts.
    "intentionLeadDays": 30,
    # §5.1 / §5.3 B9 response periods: tender 20 calendar days [V 法35], 磋商 10 days [P], 谈判 3 working
    # days [P 74号令], single source as negotiation [U], internal (below threshold) 5 working days [U].
    "responsePeriods": {
        "PUBLIC_TENDER": {"days": 20, "unit": "calendar"},
        "INVITATIONAL_TENDER": {"days": 20, "unit": "calendar"},
        "COMPETITIVE_CONSULTATION": {"days": 10, "unit": "calendar"},
        "COMPETITIVE_NEGOTIATION": {"days": 3, "unit": "workdays"},
        "SINGLE_SOURCE": {"days": 3, "unit": "workdays"},
        "INTERNAL": {"days": 5, "unit": "workdays"},
    },
    # §5.3 B10: ≥ 3 compliant suppliers (法 36 [V]); 磋商 for purchase of services may go on with 2
    # [U: 财库〔2015〕124号]; single source 1; internal procurement compares ≥ 3 offers [U].
    "minCompliantBidders": {"default": 3, "COMPETITIVE_CONSULTATION": 2, "SINGLE_SOURCE": 1, "INTERNAL": 3},
    # §5.3 B10 [U]: retenderCount ≤ 2, then PROCUREMENT_FAILED.
    "maxRetenders": 2,
    # §5.1 [V 条例 38]: single-source publicity, working days.
    "singleSourceNoticeWorkdays": 5,
    # §5.1 post-award timers [V 条例 43]: report, confirmation, award publication (working days).
    "evaluationReportWorkdays": 2,
    "confirmWinnerWorkdays": 5,
    "awardPublishWorkdays": 2,
    # §5.1 [V 法 52, 53, 56, 57]: challenge window, answer, complaint decision (working days); maximum
    # suspension (calendar days). The 15-working-day complaint window (法 55) is checked by the finance
    # department when it accepts a complaint, so the case only receives accepted complaints.
    "challengeWindowWorkdays": 7,
    "challengeAnswerWorkdays": 7,
    "complaintDecisionWorkdays": 30,
    "maxSuspensionDays": 30,
    # §5.1 [V 法 46, 条例 50, 法 47]: contract within 30 days of the award notice; publish in 2 and file
    # in 7 working days after signature.
    "contractSignDays": 30,
    "contractPublishWorkdays": 2,
    "contractFilingWorkdays": 7,
    # §5.3 B13/GB4 [U]: days to sign a renewal contract once the next year's budget is confirmed.
    "renewalSignDays": 30,
    # §5.3 B15 [U]: monitoring reports per service year (4 = quarterly; 12 = monthly, R/P1M).
    "monitoringReportsPerYear": 4,
    # §5.3 B15a / §7 [U]: rectification period, calendar days.
    "rectificationDays": 15,
    # §5.3 B17 [P: 财政部 bands; Shanghai U]: score ≥ lower bound → grade, best first.
    "gradeBands": [[90, "优"], [80, "良"], [60, "中"], [0, "差"]],
    # §5.3 GB4 [U]: lowest grade that still allows renewal (合格/中).
    "renewalMinGrade": "中",
    # §5.3 B18 [U]: instalments, percent of the annual contract amount (sum 100).
    "paymentSchedule": [
        {"milestone": "合同签订后", "percent": 40},
        {"milestone": "中期", "percent": 30},
        {"milestone": "终期评价后", "percent": 30},
    ],
    # §5.3 B18 [U]: grades for which the final instalment is withheld per the breach clause.
    "withholdFinalOnGrades": ["差"],
    # §5.3 B17 [U]: working days after the term ends for the final performance evaluation.
    "finalEvaluationWorkdays": 20,
    # §5.1 [V 法 42]: procurement files kept at least 15 years.
    "archiveRetentionYears": 15,
    # §5.3 B11: evaluation panel minimum size by method — tenders ≥ 5 (财政部令第87号 第四十七条 [P]),
    # negotiation and consultation ≥ 3 (法 38, 40 [V]; 214号 [P]); always odd, experts ≥ 2/3.
    "minPanelMembers": {"default": 3, "PUBLIC_TENDER": 5, "INVITATIONAL_TENDER": 5},
    # §5.3 B11 [P]: supplier types that count as social organizations for the tie-break.
    "socialOrganizationTypes": ["社会团体", "社会服务机构", "基金会"],
}

GRADE_ORDER = ("差", "中", "良", "优")
ASSESSMENT_GRADES = {"5A": 5, "4A": 4, "3A": 3, "2A": 2, "1A": 1}


def purchase_money_fen(value: object) -> int:
    """Return an amount in yuan (money string or int) as integer fen."""
    return int(parse_money(value) * 100)


def purchase_fen_to_money(fen: int) -> str:
    """Return integer fen as a money string in yuan, e.g. 123456 → '1234.56'."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen < 0:
        raise ValidationProblem("金额（分）须为非负整数", "fen must be a non-negative integer")
    return f"{fen // 100}.{fen % 100:02d}"


def purchase_total_budget(annual_yuan: object, years: int) -> str:
    """Return the procurement value of a multi-year award (annual budget × years; 条例 28: no splitting)."""
    return purchase_fen_to_money(purchase_money_fen(annual_yuan) * int(years))


def purchase_percent_of(amount_yuan: object, percent: int) -> str:
    """Return percent of an amount, rounded half up to the fen, as a money string."""
    return purchase_fen_to_money((purchase_money_fen(amount_yuan) * int(percent) + 50) // 100)


def purchase_negative_list_hits(text: str, keywords: Sequence[str]) -> list[str]:
    """Return the negative-list keywords (102号令 第十条) found in a proposal's text."""
    return [k for k in keywords if k and k in str(text)]


def purchase_response_deadline(method: str, issued: object, periods: Mapping[str, Any]) -> str:
    """Return the last day of the response period of a method, counted from the documents' issue date."""
    period = periods.get(method) or periods["PUBLIC_TENDER"]
    start = parse_iso_date(issued)
    days = int(period["days"])
    if period.get("unit") == "workdays":
        return default_calendar().add_workdays(start, days).date.isoformat()
    return default_calendar().add_calendar_days(start, days).date.isoformat()


def purchase_min_bidders(method: str, minimums: Mapping[str, int]) -> int:
    """Return the minimum number of compliant suppliers for a method."""
    return int(minimums.get(method, minimums["default"]))


def purchase_compliant_bids(bids: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Return the bids that passed the qualification and compliance check."""
    return [dict(b) for b in bids if b.get("compliant") is True]


def purchase_panel_valid(size: int, experts: int, minimum: int = 3) -> bool:
    """Return True for a panel of at least ``minimum`` members, odd in number, with experts ≥ 2/3."""
    return size >= minimum and size % 2 == 1 and 0 <= experts <= size and experts * 3 >= size * 2


def purchase_panel_minimum(method: str, minimums: Mapping[str, int]) -> int:
    """Return the smallest lawful panel for a method (tenders 5, negotiation and consultation 3)."""
    return int(minimums.get(method, minimums["default"]))


def purchase_evaluation_problems(
    method: str, size: int, experts: int, scores: Sequence[Mapping[str, Any]], minimums: Mapping[str, int]
) -> list[str]:
    """Return why an evaluation cannot be used, in Chinese (empty: the panel and its scores are lawful)."""
    problems: list[str] = []
    minimum = purchase_panel_minimum(method, minimums)
    if not purchase_panel_valid(size, experts, minimum):
        if method in TENDER_METHODS:
            problems.append(
                f"公开招标、邀请招标的评标委员会成员人数应当为{minimum}人以上单数，其中评审专家不得少于成员总数的"
                "三分之二（政府采购货物和服务招标投标管理办法 第四十七条）"
            )
        else:
            problems.append(
                f"谈判小组、磋商小组应当由{minimum}人以上单数组成，其中评审专家不得少于成员总数的三分之二"
                "（政府采购法 第三十八条、第四十条）"
            )
    for row in scores:
        try:
            _hundredths(row.get("score", 0))
        except ValidationProblem as problem:
            problems.append(f"{row.get('supplierUscc')}：{problem.message_zh}")
    return problems


def _hundredths(score: object) -> int:
    """A score in hundredths of a point; more than two decimals is refused, never rounded (§5.3 B11)."""
    if isinstance(score, bool) or not isinstance(score, int | float | str):
        raise ValidationProblem("评分须为数字", "a score must be a number")
    try:
        exact = Decimal(str(score))  # str(float) is the shortest text that reads back as the same float
    except InvalidOperation:
        raise ValidationProblem("评分须为数字", "a score must be a number") from None
    if not exact.is_finite():
        raise ValidationProblem("评分须为数字", "a score must be a number")
    hundredths = exact * 100
    if hundredths != hundredths.to_integral_value():
        raise ValidationProblem(
            f"评分最多保留两位小数，{score}不予接受（不作四舍五入）", "a score has at most two decimals"
        )
    return int(hundredths)


def _rounded_hundredths(score: object) -> int:
    """A 0–100 evaluation score in hundredths, rounded half up (the grade bands are whole points)."""
    if isinstance(score, bool) or not isinstance(score, int | float | str):
        raise ValidationProblem("评分须为数字", "a score must be a number")
    try:
        exact = Decimal(str(score))
    except InvalidOperation:
        raise ValidationProblem("评分须为数字", "a score must be a number") from None
    if not exact.is_finite():
        raise ValidationProblem("评分须为数字", "a score must be a number")
    return int((exact * 100).to_integral_value(rounding=ROUND_HALF_UP))


def purchase_rank(
    bids: Sequence[Mapping[str, Any]],
    scores: Sequence[Mapping[str, Any]],
    method: str,
    social_types: Sequence[str],
) -> dict[str, Any]:
    """Rank the compliant bids and return the winner, the ranking and the tie-break applied (with its reason).

    Negotiation: lowest price among compliant bids (法 38). Otherwise highest score; equal scores are
    ranked by price, lowest first (87号令 第六十五条; 214号 第二十四条). Only equal score *and* equal price
    is "同等条件": then supplier type (social organizations first), then assessment grade, then the order
    the bids were registered in (standing for the draw of lots).
    """
    by_uscc = {str(s.get("supplierUscc")): _hundredths(s.get("score", 0)) for s in scores}
    rows = []
    for order, bid in enumerate(purchase_compliant_bids(bids)):
        score = by_uscc.get(str(bid.get("supplierUscc")), 0)
        price = purchase_money_fen(bid.get("priceYuan", "0"))
        primary = -price if method == "COMPETITIVE_NEGOTIATION" else score
        social = 1 if bid.get("supplierType") in social_types else 0
        grade = ASSESSMENT_GRADES.get(str(bid.get("assessmentGrade")), 0)
        rows.append((primary, -price, social, grade, -order, bid, score))
    if not rows:
        return {"winnerUscc": None, "winnerName": None, "ranking": [], "tieBreakApplied": False, "tieBreakReason": ""}
    rows.sort(key=lambda r: r[:5], reverse=True)
    best = rows[0]
    tied = [r for r in rows if r[0] == best[0]]
    reason = ""
    if len(tied) > 1 and any(r[1] != best[1] for r in tied):
        reason = PRICE_TIE_BREAK_REASON["tender" if method in TENDER_METHODS else "other"]
    tied = [r for r in tied if r[1] == best[1]]
    if not reason and len(tied) > 1:
        if any(r[2] != best[2] for r in tied):
            reason = TIE_BREAK_REASON
        elif any(r[3] != best[3] for r in tied):
            reason = "得分、报价均相同且均为同类供应商，按社会组织评估等级确定"
        else:
            reason = "得分、报价、供应商类型和评估等级均相同，按抽签（登记顺序）确定"
    ranking = [
        {
            "rank": i + 1,
            "supplierName": r[5].get("supplierName"),
            "supplierUscc": r[5].get("supplierUscc"),
            "supplierType": r[5].get("supplierType"),
            "score": f"{r[6] // 100}.{r[6] % 100:02d}",
            "priceYuan": r[5].get("priceYuan"),
        }
        for i, r in enumerate(rows)
    ]
    return {
        "winnerUscc": best[5].get("supplierUscc"),
        "winnerName": best[5].get("supplierName"),
        "winnerType": best[5].get("supplierType"),
        "winnerPriceYuan": best[5].get("priceYuan"),
        "ranking": ranking,
        "tieBreakApplied": bool(reason),
        "tieBreakReason": reason,
    }


def purchase_grade(score: object, bands: Sequence[Sequence[Any]]) -> str:
    """Return the grade (优/良/中/差) of a 0–100 score by the configured lower bounds."""
    value = _rounded_hundredths(score)
    if not 0 <= value <= 10000:
        raise ValidationProblem("评分须在0到100之间", "the score must be 0 to 100")
    for lower, grade in sorted(bands, key=lambda b: -int(b[0])):
        if value >= int(lower) * 100:
            return str(grade)
    return str(bands[-1][1])


def purchase_grade_at_least(grade: str, minimum: str) -> bool:
    """Return True if the grade is at least the minimum (差 < 中 < 良 < 优)."""
    return GRADE_ORDER.index(grade) >= GRADE_ORDER.index(minimum)


def purchase_settlement(
    amount_yuan: object, schedule: Sequence[Mapping[str, Any]], grade: str, withhold_grades: Sequence[str]
) -> dict[str, str]:
    """Return the year-end payment (every instalment after the first) and what is withheld for the grade."""
    percents = [int(p["percent"]) for p in schedule]
    if sum(percents) != 100:
        raise ValidationProblem("付款比例之和须为100%", "the payment percentages must sum to 100")
    total = purchase_money_fen(amount_yuan)
    first = (total * percents[0] + 50) // 100
    final = (total * percents[-1] + 50) // 100 if len(percents) > 1 else 0
    rest = total - first
    withheld = final if grade in withhold_grades else 0
    return {"payableYuan": purchase_fen_to_money(rest - withheld), "withheldYuan": purchase_fen_to_money(withheld)}


def purchase_fiscal_year_end(day: object) -> str:
    """Return 31 December of the date's year: the budget must be approved before the next fiscal year."""
    return dt.date(parse_iso_date(day).year, 12, 31).isoformat()


def purchase_days_between(a: object, b: object) -> int:
    """Return the calendar days from date a to date b (negative if b is earlier)."""
    return (parse_iso_date(b) - parse_iso_date(a)).days


def purchase_report_due(term_start: object, index: int, per_year: int) -> str:
    """Return the last day of monitoring period ``index`` (1-based) of a year split into per_year periods."""
    start = parse_iso_date(term_start)
    months = 12 * int(index) // max(int(per_year), 1)
    year, month = divmod(start.month - 1 + months, 12)
    try:
        end = dt.date(start.year + year, month + 1, start.day)
    except ValueError:
        end = dt.date(start.year + year, month + 2, 1) if month < 11 else dt.date(start.year + year + 1, 1, 1)
    return (end - dt.timedelta(days=1)).isoformat()


# Pure functions the process's BPMN scripts and conditions may call, by name.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        purchase_money_fen,
        purchase_fen_to_money,
        purchase_total_budget,
        purchase_percent_of,
        purchase_negative_list_hits,
        purchase_response_deadline,
        purchase_min_bidders,
        purchase_compliant_bids,
        purchase_panel_valid,
        purchase_panel_minimum,
        purchase_evaluation_problems,
        purchase_rank,
        purchase_grade,
        purchase_grade_at_least,
        purchase_settlement,
        purchase_fiscal_year_end,
        purchase_days_between,
        purchase_report_due,
    )
}
