"""One full mediation case, intake to closing (features/mediation.feature, scenario 1), as a script
that both the raw SpiffWorkflow run and the façade run follow: 9 human tasks and 2 timers."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.clock import ManualClock, using_clock
from engine.sandbox.functions import script_functions

FOLDER = Path(__file__).resolve().parent.parent / "bpmn" / "mediation"
START = datetime(2025, 3, 3, 9, 0, tzinfo=timezone(timedelta(hours=8)))
OBLIGATIONS = [
    {"obligor": "某物业服务有限公司", "content": "修复屋顶漏水", "deadline": "2025-04-04"},
    {"obligor": "王某", "content": "支付物业费", "amountYuan": "2400.00", "deadline": "2025-05-04"},
]
# (bpmn id of the task to complete, its form data) or ("+days", n): move the clock and let timers fire
ACTIONS: list[tuple[str, Any]] = [
    (
        "register_case",
        {
            "caseNo": "HY-2025-001",
            "sourceChannel": "SELF_APPLICATION",
            "applicationForm": "WRITTEN",
            "applicationDate": "2025-03-03",
            "applicantName": "某物业服务有限公司",
            "applicantUscc": "914403001922038216",
            "respondentName": "王某",
            "partyCount": 2,
            "disputeType": "PROPERTY_MGMT",
            "subType": "物业费",
            "amountInDispute": "2400.00",
            "facts": "业主王某以屋顶漏水为由拒交物业费2400元",
            "otherChannelStatus": "NONE",
            "respondentConsent": "YES",
            "riskLevel": "LOW",
            "domesticViolenceFlag": False,
            "complexity": "SIMPLE",
            "crossArea": False,
        },
    ),
    (
        "assign_mediator",
        {
            "mediators": "李调解员",
            "selectedBy": "COMMITTEE",
            "conflictChecked": True,
            "invitedParticipants": "街道房管办张某、社会组织调解员",
            "partiesConsentToInvited": True,
        },
    ),
    ("accept_assignment", {"socialOrgName": "华阳社区睦邻服务社", "mediators": "赵社工", "conflictChecked": True}),
    ("+days", 7),
    (
        "session",
        {"sessionDate": "2025-03-10", "rightsInformed": True, "summary": "第一次调解", "sessionOutcome": "PROGRESSING"},
    ),
    ("+days", 10),
    ("session", {"sessionDate": "2025-03-20", "summary": "第二次调解：达成一致", "sessionOutcome": "AGREEMENT"}),
    (
        "draft_agreement",
        {
            "agreementForm": "WRITTEN",
            "agreementText": "物业公司修复漏水；王某补交物业费2400元",
            "obligations": OBLIGATIONS,
            "applicantSigned": True,
            "respondentSigned": True,
            "mediatorSigned": True,
            "committeeSealed": True,
            "judicialConfirmationWanted": False,
        },
    ),
    ("+days", 46),
    ("check_performance", {"performanceStatus": "DONE", "notes": "已修复并付清"}),
    ("+days", 30),
    ("follow_up", {"method": "PHONE", "performanceStatus": "DONE", "satisfaction": 5, "newRisk": False}),
    ("close_case", {"archiveNo": "HY-2025-001-A", "statisticsReported": True}),
]
ROLES = [entry["role"] for entry in json.loads((FOLDER / "roles.json").read_text(encoding="utf-8"))]


def raw_engine() -> PythonScriptEngine:
    """SpiffWorkflow's own (unrestricted) script environment with the same helper functions."""
    return PythonScriptEngine(environment=TaskDataEnvironment(script_functions()))


def run_raw(spec: Any, subs: dict[str, Any], clock: ManualClock, engine: PythonScriptEngine) -> None:
    """The case in memory: the same tasks, data and clock moves, no persistence."""
    clock.set(START)
    with using_clock(clock):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.do_engine_steps()
        for what, value in ACTIONS:
            if what == "+days":
                clock.advance(timedelta(days=value))
                wf.refresh_timers()
                wf.do_engine_steps()
                continue
            task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == what)
            task.set_data(**value)
            task.run()
            wf.do_engine_steps()
    if not wf.is_completed():
        raise RuntimeError("raw mediation case did not finish")


def run_facade(services: Any, actor: Any, clock: ManualClock, street: str) -> None:
    """The case through the façade: start, complete each task from the case's task list, fire timers."""
    clock.set(START)
    engine = services.engine
    case = engine.start("mediation", actor, street=street).instance_id
    result = None
    for what, value in ACTIONS:
        if what == "+days":
            clock.advance(timedelta(days=value))
            engine.fire_due_timers()
            continue
        tasks = services.queries.tasks(actor, _filter(case))[0]
        task = next(t for t in tasks if t.bpmn_id == what)
        result = engine.complete(task.id, actor, value)
    if result is None or result.end_state != "settled_performed":
        raise RuntimeError(f"mediation case ended {result}")


def _filter(case: int) -> Any:
    from engine.runtime.queries import TaskFilter

    return TaskFilter(instance_id=case, limit=20)
