"""The pure rules of the mediation and petition processes (workflows.processes.mediation)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from tests.unit.levels import flow_nodes, process_of
from workflows.config import cfg
from workflows.functions import SCRIPT_FUNCTIONS
from workflows.processes import mediation as m
from workflows.validators import ValidationProblem


def test_case_already_in_court_is_not_acceptable() -> None:
    assert "人民法院" in m.med_acceptability("COURT", "YES", "NEIGHBOUR")


def test_respondent_refusing_mediation_makes_the_case_not_acceptable() -> None:
    assert "明确拒绝" in m.med_acceptability("NONE", "NO", "NEIGHBOUR")


def test_non_civil_matter_is_not_acceptable() -> None:
    assert "民间纠纷" in m.med_acceptability("NONE", "YES", "NOT_CIVIL")


def test_ordinary_dispute_with_pending_consent_is_acceptable() -> None:
    assert m.med_acceptability("NONE", "PENDING", "PROPERTY_MGMT") == ""


def test_one_month_period_ends_on_the_corresponding_day() -> None:
    assert m.med_add_months("2025-03-01", 1) == "2025-04-01"


def test_month_period_without_corresponding_day_ends_on_the_last_day() -> None:
    assert m.med_add_months("2025-01-31", 1) == "2025-02-28"
    assert m.med_add_months("2024-12-31", 2) == "2025-02-28"


def test_month_count_must_be_an_integer() -> None:
    with pytest.raises(ValidationProblem):
        m.med_add_months("2025-01-31", 1.5)  # type: ignore[arg-type]


def test_labour_mediation_target_is_fifteen_days() -> None:
    assert m.med_mediation_deadline("2025-09-01", "LABOUR", 1, 15) == "2025-09-16"
    assert m.med_mediation_deadline("2025-09-01", "NEIGHBOUR", 1, 15) == "2025-10-01"


def test_written_agreement_needs_every_signature_and_the_seal() -> None:
    problem = m.med_agreement_problem("WRITTEN", True, True, True, False)
    assert "人民调解委员会印章" in problem
    assert m.med_agreement_problem("WRITTEN", True, True, True, True) == ""


def test_oral_agreement_takes_effect_when_reached() -> None:
    assert m.med_agreement_problem("ORAL", False, False, False, False) == ""


def test_performance_deadline_is_the_latest_obligation() -> None:
    obligations = [{"deadline": "2025-04-04"}, {"deadline": "2025-05-04"}, {"content": "道歉"}]
    assert m.med_latest_deadline(obligations, "2025-03-20") == "2025-05-04"
    assert m.med_latest_deadline([], "2025-03-20") == "2025-03-20"


def _confirmation(**overrides: object) -> str:
    args: dict[str, object] = {
        "joint": True,
        "application_date": "2025-06-20",
        "effective_date": "2025-06-02",
        "window_days": 30,
        "status_content": False,
        "scope": "WHOLE",
        "real_rights": False,
        "today": "2025-07-10",
    }
    args.update(overrides)
    return m.med_confirmation_problem(**args)  # type: ignore[arg-type]


def test_joint_application_within_thirty_days_is_allowed() -> None:
    assert _confirmation() == ""
    assert _confirmation(application_date="2025-07-02") == ""


def test_application_by_one_party_is_refused() -> None:
    assert "须双方共同申请" in _confirmation(joint=False)


def test_application_on_day_thirty_one_is_refused() -> None:
    assert "已超过30日申请期限" in _confirmation(application_date="2025-07-03")


def test_application_window_ending_on_a_holiday_runs_to_the_next_working_day() -> None:
    # 2025-09-01 + 30 days = 2025-10-01 (National Day): the period ends on 2025-10-09 (民法典 203).
    assert _confirmation(effective_date="2025-09-01", application_date="2025-10-09", today="2025-10-09") == ""


def test_status_content_is_refused_unless_only_the_property_part_is_submitted() -> None:
    assert "身份关系不予受理" in _confirmation(status_content=True)
    assert _confirmation(status_content=True, scope="SEPARATE_PROPERTY_SUPPORT") == ""


def test_real_rights_determination_is_refused() -> None:
    assert "物权" in _confirmation(real_rights=True)


def test_application_dated_in_the_future_is_refused() -> None:
    assert "不能晚于今天" in _confirmation(today="2025-06-10")


def test_window_closed_notice_names_the_last_day() -> None:
    assert "2025-07-02" in m.med_window_closed_notice("2025-06-02", 30)


def test_limitation_notice_states_interruption_and_labour_arbitration() -> None:
    civil = m.med_limitation_notice("NEIGHBOUR", "2025-03-01", 3, 1)
    assert "诉讼时效期间为3年" in civil and "自2025-03-01申请人民调解之日起诉讼时效中断" in civil
    assert "仲裁时效" not in civil
    assert "仲裁时效期间为1年" in m.med_limitation_notice("LABOUR", "2025-09-01", 3, 1)


def test_non_performance_notice_depends_on_judicial_confirmation() -> None:
    assert "申请强制执行" in m.med_non_performance_notice(True, "2025-06-06", 2)
    assert "提起诉讼" in m.med_non_performance_notice(False, "2025-06-06", 2)


def test_follow_up_is_thirty_days_after_the_deadline_or_after_today_when_late() -> None:
    assert m.med_follow_up_date("2025-05-04", "2025-05-05", 30) == "2025-06-03"
    assert m.med_follow_up_date("2025-06-06", "2025-07-09", 30) == "2025-08-08"


def test_group_visit_needs_at_most_five_representatives() -> None:
    assert "不超过5人" in m.petition_registration_problem("VISIT", 6, 5)
    assert m.petition_registration_problem("VISIT", 5, 5) == ""
    assert m.petition_registration_problem("LETTER", 6, 5) == ""


def test_review_request_on_day_thirty_one_is_out_of_time() -> None:
    assert m.petition_review_problem("2025-06-18", "2025-07-18", 30) == ""
    assert "已超过30日期限" in m.petition_review_problem("2025-06-18", "2025-07-19", 30)
    assert m.petition_review_problem("2025-07-18", None, 30) != ""


def test_review_period_ending_on_a_sunday_rolls_over_to_monday() -> None:
    assert m.petition_review_deadline("2025-07-18", 30) == "2025-08-18"  # 08-17 is a Sunday (民法典 203)
    assert m.petition_review_problem("2025-07-18", "2025-08-18", 30) == ""
    assert "至2025-08-18" in m.petition_review_problem("2025-07-18", "2025-08-19", 30)


def test_functions_are_exposed_to_scripts_and_defaults_to_cfg() -> None:
    assert set(m.FUNCTIONS) <= set(SCRIPT_FUNCTIONS)
    assert cfg("mediation.judicialConfirmationWindowDays") == 30
    assert cfg("mediation.petitionDecisionDays") == 60


# -- the levels of the mediation and petition diagrams ------------------------------------------------------
FOLDER = Path(__file__).resolve().parents[2] / "bpmn" / "mediation"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
STARTED_ON_THEIR_OWN = {"mediation", "petition"}
END_STATES = {  # domain.md §6.6, by the end event ids the engine records
    "not_accepted_referred",
    "settled_performed",
    "settled_confirmed",
    "settled_not_performed_referred",
    "failed_referred",
    "withdrawn",
    "petition_closed",
}
PHASES = {"mediation_intake", "mediation_sessions", "mediation_agreement", "mediation_performance"}


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_level_has_at_most_30_flow_nodes_and_at_most_one_script_task(path: Path) -> None:
    nodes = flow_nodes(process_of(path))
    assert len(nodes) <= 30
    assert len([n for n in nodes if etree.QName(n).localname == "scriptTask"]) <= 1


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.bpmn")), ids=lambda p: p.name)
def test_only_mediation_and_petition_may_be_started_on_their_own(path: Path) -> None:
    process = process_of(path)
    starts = [s for s in process.iter(f"{BPMN}startEvent") if s.find(f"{BPMN}messageEventDefinition") is None]
    (start,) = starts
    called_only = [p.get("value") for p in start.iter(f"{SPIFF}property") if p.get("name") == "calledOnly"]
    assert called_only == ([] if process.get("id") in STARTED_ON_THEIR_OWN else ["true"])


def test_main_flow_is_the_four_phases_and_keeps_the_end_states() -> None:
    main = process_of(FOLDER / "mediation.bpmn")
    assert {c.get("calledElement") for c in main.iter(f"{BPMN}callActivity")} == PHASES | {"petition"}
    assert {e.get("id") for e in main.iter(f"{BPMN}endEvent")} == END_STATES
    assert [t.get("id") for t in main.iter(f"{BPMN}userTask")] == ["close_case"]
    petition = process_of(FOLDER / "petition.bpmn")
    assert [c.get("calledElement") for c in petition.iter(f"{BPMN}callActivity")] == ["petition_review"]


def test_no_case_is_closed_before_the_police_receipt() -> None:
    """Whatever phase the case went through, 结案归档 waits at a join for the police-receipt branch."""
    main = process_of(FOLDER / "mediation.bpmn")
    flows = {f.get("targetRef"): f.get("sourceRef") for f in main.iter(f"{BPMN}sequenceFlow")}
    join = flows["close_case"]
    assert main.find(f"{BPMN}parallelGateway[@id='{join}']") is not None
    into_join = [f.get("sourceRef") for f in main.iter(f"{BPMN}sequenceFlow") if f.get("targetRef") == join]
    assert "merge_police" in into_join and len(into_join) == 2


def test_the_time_limit_timers_stay_on_the_mediation_session() -> None:
    sessions = process_of(FOLDER / "mediation_sessions.bpmn")
    timers = {b.get("id"): b for b in sessions.iter(f"{BPMN}boundaryEvent")}
    assert set(timers) == {"mediation_expired", "mediation_warning"}
    assert {b.get("attachedToRef") for b in timers.values()} == {"session"}
    assert timers["mediation_expired"].get("cancelActivity") in (None, "true")
    assert timers["mediation_warning"].get("cancelActivity") == "false"


def test_no_script_on_an_event_or_gateway() -> None:
    """SpiffWorkflow runs pre/post scripts only on tasks and call activities; on events they would be lost."""
    for path in FOLDER.glob("*.bpmn"):
        for node in flow_nodes(process_of(path)):
            if etree.QName(node).localname.endswith(("Event", "Gateway")):
                assert node.find(f".//{SPIFF}preScript") is None and node.find(f".//{SPIFF}postScript") is None
