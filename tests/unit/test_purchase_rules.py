"""Domain rules of the purchase process: money in fen, ranking with the tie-break, grades, payments, periods."""

import pytest

from tests.unit.levels import flow_nodes
from workflows.processes import purchase as p
from workflows.validators import ValidationProblem

SOCIAL = p.DEFAULTS["socialOrganizationTypes"]


def bid(name: str, uscc: str, kind: str, grade: str = "无", price: str = "100000.00", ok: bool = True) -> dict:
    return {
        "supplierName": name,
        "supplierUscc": uscc,
        "supplierType": kind,
        "assessmentGrade": grade,
        "priceYuan": price,
        "compliant": ok,
    }


ORG = bid("睦邻服务社", "52310105MJ12345020", "社会服务机构", "4A", "580000.00")
ASSOC = bid("邻里互助协会", "51310105MJ4Y2K7AXU", "社会团体", "3A", "590000.00")
FIRM = bid("物业公司", "91330100716105852F", "企业", "无", "560000.00")


def test_money_is_compared_in_integer_fen_without_floats():
    assert p.purchase_money_fen("600000.00") == 60000000
    assert p.purchase_money_fen("0.1") == 10
    assert p.purchase_fen_to_money(123456) == "1234.56"
    with pytest.raises(ValidationProblem):
        p.purchase_money_fen(0.1)


def test_total_budget_of_a_multi_year_award_is_the_sum_of_the_years():
    assert p.purchase_total_budget("600000.00", 3) == "1800000.00"


def test_percent_of_an_amount_rounds_half_up_to_the_fen():
    assert p.purchase_percent_of("580000.00", 40) == "232000.00"
    assert p.purchase_percent_of("0.05", 50) == "0.03"


def test_labour_dispatch_is_on_the_negative_list():
    hits = p.purchase_negative_list_hits("聘用社区工作者（劳务派遣）", p.DEFAULTS["negativeListKeywords"])
    assert "劳务派遣" in hits and "聘用" in hits
    assert p.purchase_negative_list_hits("独居老人上门探访", p.DEFAULTS["negativeListKeywords"]) == []


def test_response_periods_follow_the_method():
    periods = p.DEFAULTS["responsePeriods"]
    assert p.purchase_response_deadline("COMPETITIVE_CONSULTATION", "2025-03-03", periods) == "2025-03-13"
    # 20 calendar days ending on a Saturday move to the next working day (民法典 203)
    assert p.purchase_response_deadline("PUBLIC_TENDER", "2025-02-19", periods) == "2025-03-11"
    # 3 working days, skipping the weekend
    assert p.purchase_response_deadline("COMPETITIVE_NEGOTIATION", "2025-03-12", periods) == "2025-03-17"


def test_minimum_bidders_is_three_except_consultation_and_single_source():
    minimums = p.DEFAULTS["minCompliantBidders"]
    assert p.purchase_min_bidders("PUBLIC_TENDER", minimums) == 3
    assert p.purchase_min_bidders("COMPETITIVE_CONSULTATION", minimums) == 2
    assert p.purchase_min_bidders("SINGLE_SOURCE", minimums) == 1


def test_panel_must_be_odd_at_least_three_with_two_thirds_experts():
    assert p.purchase_panel_valid(5, 4)
    assert p.purchase_panel_valid(3, 2)
    assert not p.purchase_panel_valid(4, 4)
    assert not p.purchase_panel_valid(5, 3)
    assert not p.purchase_panel_valid(1, 1)


def test_highest_score_wins_without_tie_break():
    result = p.purchase_rank(
        [ORG, ASSOC, FIRM],
        [{"supplierUscc": ORG["supplierUscc"], "score": 92.5}, {"supplierUscc": FIRM["supplierUscc"], "score": 88}],
        "COMPETITIVE_CONSULTATION",
        SOCIAL,
    )
    assert result["winnerName"] == "睦邻服务社"
    assert result["tieBreakReason"] == ""
    assert [r["rank"] for r in result["ranking"]] == [1, 2, 3]


def test_equal_scores_and_equal_prices_prefer_the_social_organization_and_record_why():
    scores = [
        {"supplierUscc": FIRM["supplierUscc"], "score": 88.5},
        {"supplierUscc": ORG["supplierUscc"], "score": "88.50"},
    ]
    firm = {**FIRM, "priceYuan": ORG["priceYuan"]}
    result = p.purchase_rank([firm, ORG], scores, "PUBLIC_TENDER", SOCIAL)
    assert result["winnerName"] == "睦邻服务社"
    assert result["tieBreakApplied"] is True
    assert result["tieBreakReason"] == "同等条件下优先向社会组织购买"


def test_equal_scores_with_different_prices_go_to_the_lower_price_before_any_preference():
    scores = [
        {"supplierUscc": FIRM["supplierUscc"], "score": 88.5},
        {"supplierUscc": ORG["supplierUscc"], "score": 88.5},
    ]
    tender = p.purchase_rank([ORG, FIRM], scores, "PUBLIC_TENDER", SOCIAL)
    assert tender["winnerName"] == "物业公司"
    assert "第六十五条" in tender["tieBreakReason"]
    consultation = p.purchase_rank([ORG, FIRM], scores, "COMPETITIVE_CONSULTATION", SOCIAL)
    assert consultation["winnerName"] == "物业公司"
    assert "第二十四条" in consultation["tieBreakReason"]


def test_equal_scores_and_prices_between_social_organizations_go_to_the_higher_grade():
    scores = [{"supplierUscc": ASSOC["supplierUscc"], "score": 80}, {"supplierUscc": ORG["supplierUscc"], "score": 80}]
    assoc = {**ASSOC, "priceYuan": ORG["priceYuan"]}
    result = p.purchase_rank([assoc, ORG], scores, "PUBLIC_TENDER", SOCIAL)
    assert result["winnerName"] == "睦邻服务社"
    assert "评估等级" in result["tieBreakReason"]


def test_a_score_with_more_than_two_decimals_is_refused_not_rounded():
    problems = p.purchase_evaluation_problems(
        "COMPETITIVE_CONSULTATION", 3, 3, [{"supplierUscc": ORG["supplierUscc"], "score": 88.504}],
        p.DEFAULTS["minPanelMembers"],
    )  # fmt: skip
    assert problems and "最多保留两位小数" in problems[0]
    ok = [{"supplierUscc": ORG["supplierUscc"], "score": s} for s in (88.5, "88.50", 86.07, 100, 0)]
    assert p.purchase_evaluation_problems("COMPETITIVE_CONSULTATION", 3, 3, ok, p.DEFAULTS["minPanelMembers"]) == []


@pytest.mark.parametrize(
    ("method", "size", "experts", "lawful"),
    [
        ("PUBLIC_TENDER", 3, 2, False),
        ("PUBLIC_TENDER", 5, 4, True),
        ("INVITATIONAL_TENDER", 5, 3, False),
        ("COMPETITIVE_CONSULTATION", 3, 2, True),
        ("COMPETITIVE_NEGOTIATION", 4, 4, False),
    ],
)
def test_tender_panels_need_five_members_and_other_panels_three(method, size, experts, lawful):
    problems = p.purchase_evaluation_problems(method, size, experts, [], p.DEFAULTS["minPanelMembers"])
    assert (problems == []) is lawful


def test_negotiation_awards_the_lowest_compliant_price():
    result = p.purchase_rank([ORG, ASSOC, bid("低价公司", "914403001922038216", "企业", price="1.00", ok=False)], [],
                             "COMPETITIVE_NEGOTIATION", SOCIAL)  # fmt: skip
    assert result["winnerName"] == "睦邻服务社"


def test_ranking_without_compliant_bids_has_no_winner():
    assert (
        p.purchase_rank([bid("x", "914403001922038216", "企业", ok=False)], [], "PUBLIC_TENDER", SOCIAL)["winnerUscc"]
        is None
    )


@pytest.mark.parametrize(
    ("score", "grade"),
    [(100, "优"), (90, "优"), (89.99, "良"), (86, "良"), (80, "良"), (79.5, "中"), (60, "中"), (55, "差"), (0, "差")],
)
def test_grade_bands(score, grade):
    assert p.purchase_grade(score, p.DEFAULTS["gradeBands"]) == grade


def test_grade_outside_zero_to_hundred_is_refused():
    with pytest.raises(ValidationProblem):
        p.purchase_grade(101, p.DEFAULTS["gradeBands"])


def test_renewal_needs_at_least_the_minimum_grade():
    assert p.purchase_grade_at_least("良", "中")
    assert p.purchase_grade_at_least("中", "中")
    assert not p.purchase_grade_at_least("差", "中")


def test_settlement_withholds_the_final_instalment_for_a_poor_grade():
    schedule = p.DEFAULTS["paymentSchedule"]
    assert p.purchase_settlement("580000.00", schedule, "良", ["差"]) == {
        "payableYuan": "348000.00",
        "withheldYuan": "0.00",
    }
    assert p.purchase_settlement("580000.00", schedule, "差", ["差"]) == {
        "payableYuan": "174000.00",
        "withheldYuan": "174000.00",
    }


def test_payment_schedule_must_sum_to_one_hundred_percent():
    with pytest.raises(ValidationProblem):
        p.purchase_settlement("100.00", [{"percent": 40}, {"percent": 40}], "良", [])


def test_budget_must_be_approved_before_the_next_fiscal_year():
    assert p.purchase_fiscal_year_end("2025-01-20") == "2025-12-31"


def test_quarterly_monitoring_periods_end_before_the_next_quarter_starts():
    assert p.purchase_report_due("2025-04-01", 1, 4) == "2025-06-30"
    assert p.purchase_report_due("2025-04-01", 4, 4) == "2026-03-31"
    assert p.purchase_report_due("2025-01-31", 1, 12) == "2025-02-28"


def test_every_setting_has_a_default_and_percentages_sum_to_one_hundred():
    assert sum(i["percent"] for i in p.DEFAULTS["paymentSchedule"]) == 100
    assert p.purchase_money_fen(p.DEFAULTS["thresholdYuan"]) < p.purchase_money_fen(p.DEFAULTS["publicTenderYuan"])
    assert set(p.FUNCTIONS) == {name for name in p.FUNCTIONS if name.startswith("purchase_")}


def test_days_between_counts_calendar_days():
    assert p.purchase_days_between("2025-04-18", "2025-05-09") == 21


# -- the procurement-method decision table (bpmn/purchase/procurement_method.dmn) -------------------
class _Task:
    """Just enough of a SpiffWorkflow task for the DMN engine: data and the sandboxed script engine."""

    def __init__(self, data: dict, script_engine: object) -> None:
        self.data = data
        self.workflow = self
        self.script_engine = script_engine


@pytest.fixture(scope="module")
def decide():
    from pathlib import Path

    from engine.definitions.bundle import Bundle, parse_bundle
    from engine.sandbox.core import make_script_engine
    from engine.sandbox.functions import script_functions

    parsed = parse_bundle(Bundle.from_dir(Path(__file__).resolve().parents[2] / "bpmn" / "purchase"))
    assert parsed.ok, parsed.problems
    spec, _subs = parsed.specs["purchase_procurement"]
    table = spec.task_specs["select_method"].dmnEngine
    engine = make_script_engine(script_functions())

    def run(total: str, special: str = "无", requested: str = "AUTO", threshold: str = "1000000.00") -> tuple:
        data = {
            "totalBudgetFen": p.purchase_money_fen(total),
            "thresholdFen": p.purchase_money_fen(threshold),
            "publicTenderFen": p.purchase_money_fen(p.DEFAULTS["publicTenderYuan"]),
            "specialCase": special,
            "requestedMethod": requested,
        }
        out = table.result(_Task(data, engine))
        return out["procurementMethod"], out["methodNeedsApproval"], out["singleSourceNotice"]

    return run


@pytest.mark.parametrize(
    ("total", "special", "requested", "expected"),
    [
        ("500000.00", "无", "AUTO", ("INTERNAL", False, False)),
        ("999999.99", "无", "PUBLIC_TENDER", ("INTERNAL", False, False)),
        ("1000000.00", "无", "AUTO", ("COMPETITIVE_CONSULTATION", False, False)),
        ("1800000.00", "无", "INVITATIONAL_TENDER", ("INVITATIONAL_TENDER", False, False)),
        ("4000000.00", "无", "AUTO", ("PUBLIC_TENDER", False, False)),
        ("4500000.00", "唯一供应商", "AUTO", ("SINGLE_SOURCE", True, True)),
        ("4500000.00", "无", "COMPETITIVE_NEGOTIATION", ("COMPETITIVE_NEGOTIATION", True, False)),
        ("4500000.00", "技术复杂或价格无法计算", "AUTO", ("COMPETITIVE_NEGOTIATION", True, False)),
    ],
)
def test_procurement_method_follows_the_configured_thresholds(decide, total, special, requested, expected):
    assert decide(total, special, requested) == expected


def test_raising_the_configured_threshold_moves_a_project_below_it(decide):
    assert decide("1800000.00", threshold="2000000.00")[0] == "INTERNAL"


def test_a_final_evaluation_score_with_three_decimals_still_gets_its_grade():
    assert p.purchase_grade(89.995, p.DEFAULTS["gradeBands"]) == "优"
    assert p.purchase_grade("79.994", p.DEFAULTS["gradeBands"]) == "中"


# -- the levels of the process (bpmn/purchase/*.bpmn) ---------------------------------------------------
def _levels():
    from pathlib import Path
    from xml.etree import ElementTree

    folder = Path(__file__).resolve().parents[2] / "bpmn" / "purchase"
    return {path.stem: ElementTree.parse(path).getroot() for path in sorted(folder.glob("*.bpmn"))}


BPMN_NS = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF_NS = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
PHASES = {
    "purchase_initiation", "purchase_procurement", "purchase_award", "purchase_contract",
    "purchase_performance", "purchase_evaluation", "purchase_closing",
}  # fmt: skip


def test_the_main_flow_calls_every_phase_and_keeps_the_nine_end_states():
    main = _levels()["purchase"].find(f"{BPMN_NS}process")
    called = {el.get("calledElement") for el in main.iter(f"{BPMN_NS}callActivity")}
    ends = {el.get("id") for el in main.iter(f"{BPMN_NS}endEvent")}

    assert called == PHASES
    assert ends == {
        "not_purchasable", "not_approved", "no_budget", "procurement_failed", "contract_not_signed",
        "completed_all_years", "ended_early_poor_performance", "ended_early_no_budget", "terminated_breach",
    }  # fmt: skip


def test_every_level_has_at_most_thirty_flow_nodes_and_the_phases_are_only_called():
    levels = _levels()
    assert set(levels) == PHASES | {"purchase"}
    for name, root in levels.items():
        process = root.find(f"{BPMN_NS}process")
        assert process.get("id") == name
        assert len(flow_nodes(process)) <= 30, name
        called_only = [
            prop.get("value") for prop in process.iter(f"{SPIFF_NS}property") if prop.get("name") == "calledOnly"
        ]
        assert called_only == (["true"] if name in PHASES else []), name


def test_no_script_sits_on_an_event_or_a_gateway_where_spiffworkflow_would_not_run_it():
    for name, root in _levels().items():
        for el in root.find(f"{BPMN_NS}process"):
            scripts = [c for c in el.iter() if c.tag in (f"{SPIFF_NS}preScript", f"{SPIFF_NS}postScript")]
            assert not (scripts and el.tag.endswith(("Event", "Gateway"))), (name, el.get("id"))
