"""The construct matrix: one small diagram per BPMN construct SpiffWorkflow 3.2 runs, and a script for each.

A :class:`Scenario` drives one case of one diagram (``tests/fixtures/constructs/<diagram>/``) to its end
through the façade only — complete the ready human task with a BPMN id, deliver a message, or move the
clock and run the timer worker — and :class:`CaseDriver` records what the case looks like after every
command (status and the BPMN ids of its ready human tasks) and at the end (status, end state, the
human-task projection and the workflow data). Running the same scenario with the live-workflow cache
and with a reload from the database before every command must give the same record.

Run as a module, this is the restart worker: a separate OS process, with nothing cached, that reads
one JSON request per line from stdin (``{"url", "scenario", "instance", "from", "now"}``), continues
that case from step ``from`` to its end and writes the record as one JSON line to stdout.

Where SpiffWorkflow 3.2 departs from BPMN, the scenario says so (``note``); those are library behaviour,
observed and pinned here so that a library upgrade that changes them is noticed.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from engine.bootstrap import Services, build
from engine.clock import ManualClock
from engine.definitions.bundle import Bundle

CONSTRUCTS = Path(__file__).resolve().parent.parent / "fixtures" / "constructs"
STREET = "S-HY"
ACTOR = "clerk"  # holds 街道社区自治办经办人, the lane of every construct diagram
CASE_KEYS = ("case_id", "business_key")  # differ between two runs of one scenario


@dataclass(frozen=True)
class Complete:
    """Complete the (first) ready human task with this BPMN id."""

    bpmn_id: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """Send a message to the case (correlated by its business key)."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Move the clock forward and run the timer worker."""

    days: float


Step = Complete | Message | Wait


@dataclass(frozen=True)
class Scenario:
    """A diagram, the commands that take one case to its end, and how it ends."""

    name: str
    diagram: str
    steps: tuple[Step, ...]
    end_state: str | None
    status: str = "completed"
    start_data: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def process(self) -> str:
        return self.diagram


ESP_NOT_INTERRUPTING = (
    "SpiffWorkflow 3.2 ignores isInterrupting on an event subprocess start event (the parser never reads "
    "it): an 'interrupting' event subprocess runs beside the main flow, which goes on"
)
CODE_START_IS_NONE_START = (
    "SpiffWorkflow 3.2's StartEventParser reads only message, signal, timer and conditional definitions "
    "(its docstring: 'Support Message, Signal, and Timer events.'); an error or escalation start event "
    "becomes a none start event, so its event subprocess starts with the case, not on the error"
)
TIMER_ESP_HOLDS_CASE = (
    "SpiffWorkflow 3.2 connects a timer-started event subprocess to the process end, so a case whose main "
    "flow has ended stays open until the timer fires and the event subprocess ends"
)

SCENARIOS: list[Scenario] = [
    # -- event subprocesses ---------------------------------------------------------------------------
    *[
        Scenario(
            f"esp_signal_{mode}",
            f"esp_signal_{mode}",
            (Complete("prepare"), Complete("work"), Complete("handle_withdraw")),
            "end",
            note=ESP_NOT_INTERRUPTING if mode == "interrupting" else "",
        )
        for mode in ("interrupting", "noninterrupting")
    ],
    *[
        Scenario(
            f"esp_message_{mode}",
            f"esp_message_{mode}",
            (
                Message("complaint_received", {"text": "夜间施工噪音"}),
                Complete("handle_complaint", {"reply": "已协调"}),
                Complete("work"),
            ),
            "end",
            note=ESP_NOT_INTERRUPTING if mode == "interrupting" else "",
        )
        for mode in ("interrupting", "noninterrupting")
    ],
    Scenario(
        "esp_message_not_triggered",
        "esp_message_noninterrupting",
        (Complete("work"),),
        "end",
    ),
    *[
        Scenario(
            f"esp_timer_{mode}",
            f"esp_timer_{mode}",
            (Wait(3), Complete("supervise"), Complete("work")),
            "end",
            note=ESP_NOT_INTERRUPTING if mode == "interrupting" else "",
        )
        for mode in ("interrupting", "noninterrupting")
    ],
    Scenario(
        "esp_timer_after_main_flow",
        "esp_timer_noninterrupting",
        (Complete("work"), Wait(3), Complete("supervise")),
        "end",
        note=TIMER_ESP_HOLDS_CASE,
    ),
    Scenario(
        "esp_error",
        "esp_error",
        (Complete("check", {"invalid": True}), Complete("notify_applicant")),
        "end_invalid",
        note=CODE_START_IS_NONE_START,
    ),
    Scenario(
        "esp_error_not_thrown",
        "esp_error",
        (Complete("check", {"invalid": False}), Complete("archive"), Complete("notify_applicant")),
        "end",
        note=CODE_START_IS_NONE_START,
    ),
    *[
        Scenario(
            f"esp_escalation_{mode}",
            f"esp_escalation_{mode}",
            (Complete("assess"), Complete("instruct", {"instruction": "加强调解"}), Complete("follow_up")),
            "end",
            note=CODE_START_IS_NONE_START,
        )
        for mode in ("interrupting", "noninterrupting")
    ],
    # -- boundary events ----------------------------------------------------------------------------------
    Scenario(
        "boundary_timer_interrupting",
        "boundary_timer_interrupting",
        (Wait(4), Complete("after_deadline")),
        "end_deadline",
    ),
    Scenario(
        "boundary_timer_interrupting_in_time",
        "boundary_timer_interrupting",
        (Wait(1), Complete("review")),
        "end_done",
    ),
    Scenario(
        "boundary_timer_noninterrupting",
        "boundary_timer_noninterrupting",
        (Wait(2), Complete("after_deadline"), Complete("review")),
        "end_done",
    ),
    Scenario(
        "boundary_timer_cycle",
        "boundary_timer_cycle",
        (Wait(1.5), Wait(1), Complete("after_deadline"), Complete("after_deadline"), Complete("review")),
        "end_done",
    ),
    Scenario(
        "boundary_message_interrupting",
        "boundary_message_interrupting",
        (Message("applicant_update", {"note": "补交身份证复印件"}), Complete("record_update")),
        "end_update",
    ),
    Scenario(
        "boundary_message_noninterrupting",
        "boundary_message_noninterrupting",
        (
            Message("applicant_update", {"note": "补交身份证复印件"}),
            Complete("record_update"),
            Complete("review"),
        ),
        "end_done",
    ),
    Scenario(
        "boundary_signal_interrupting",
        "boundary_signal_interrupting",
        (Complete("decide"), Complete("after_halt")),
        "end_halt",
    ),
    Scenario(
        "boundary_signal_noninterrupting",
        "boundary_signal_noninterrupting",
        (Complete("decide"), Complete("after_halt"), Complete("review")),
        "end_review",
    ),
    Scenario(
        "boundary_error",
        "boundary_error",
        (Complete("inspect", {"rejected": True}), Complete("handle_reject")),
        "end_rejected",
    ),
    Scenario(
        "boundary_error_not_thrown",
        "boundary_error",
        (Complete("inspect", {"rejected": False}), Complete("archive")),
        "end_ok",
    ),
    Scenario(
        "boundary_escalation_interrupting",
        "boundary_escalation_interrupting",
        (Complete("first_talk"), Complete("leader_note")),
        "end_escalated",
    ),
    Scenario(
        "boundary_escalation_noninterrupting",
        "boundary_escalation_noninterrupting",
        (Complete("first_talk"), Complete("leader_note"), Complete("second_talk"), Complete("close")),
        "end_ok",
    ),
    # -- multi-instance and loops -------------------------------------------------------------------------
    *[
        Scenario(
            f"mi_{mode}_collection",
            f"mi_{mode}_collection",
            (*[Complete("review_item", {"result": "通过"})] * 3, Complete("summarize")),
            "end",
        )
        for mode in ("parallel", "sequential")
    ],
    Scenario(
        "mi_parallel_cardinality",
        "mi_parallel_cardinality",
        tuple([Complete("countersign", {"opinion": "同意"})] * 3),
        "end",
    ),
    Scenario(
        "mi_sequential_cardinality",
        "mi_sequential_cardinality",
        tuple([Complete("visit", {"satisfied": True})] * 2),
        "end",
        start_data={"visits": 2},
    ),
    Scenario(
        "mi_subprocess",
        "mi_subprocess",
        tuple([Complete("check_site", {"finding": "合格"})] * 2),
        "end",
    ),
    Scenario(
        "standard_loop",
        "standard_loop",
        (Complete("revise", {"accepted": False}), Complete("revise", {"accepted": True})),
        "end",
        start_data={"rounds": 0},
    ),
    # -- call activities, gateways, terminate, signals, data objects, manual tasks ----------------------
    Scenario(
        "call_three_levels",
        "call_three_levels",
        (Complete("l1_task"), Complete("l2_task"), Complete("l3_task", {"level3": "已审"}), Complete("conclude")),
        "end",
    ),
    Scenario(
        "inclusive_gateway",
        "inclusive_gateway",
        (
            Complete("choose", {"need_venue": True, "need_budget": True}),
            Complete("check_venue"),
            Complete("check_budget"),
        ),
        "end",
    ),
    Scenario(
        "inclusive_gateway_default",
        "inclusive_gateway",
        (Complete("choose", {"need_venue": False, "need_budget": False}), Complete("check_staff")),
        "end",
    ),
    Scenario(
        "event_based_gateway_message",
        "event_based_gateway",
        (Complete("submit"), Message("reply_received", {"answer": "同意"}), Complete("handle_reply")),
        "end_reply",
    ),
    Scenario(
        "event_based_gateway_timer",
        "event_based_gateway",
        (Complete("submit"), Wait(6), Complete("chase")),
        "end_timeout",
    ),
    Scenario(
        "terminate_in_subprocess",
        "terminate_in_subprocess",
        (Complete("ask_residents"), Complete("after")),
        "end",
    ),
    Scenario(
        "terminate_in_subprocess_last",
        "terminate_in_subprocess",
        (Complete("ask_committee"), Complete("ask_residents"), Complete("after")),
        "end",
    ),
    Scenario(
        "signals_within_case",
        "signals_within_case",
        (Complete("collect"), Complete("check"), Complete("publish")),
        "end",
    ),
    Scenario(
        "data_objects_major",
        "data_objects",
        (Complete("register", {"people": 12}), Complete("leader_review")),
        "end_major",
    ),
    Scenario(
        "data_objects_minor",
        "data_objects",
        (Complete("register", {"people": 3}), Complete("quick_close")),
        "end_minor",
    ),
    Scenario(
        "manual_tasks",
        "manual_tasks",
        (Complete("post_notice"), Complete("file_paper"), Complete("confirm")),
        "end",
    ),
]
BY_NAME = {s.name: s for s in SCENARIOS}
DIAGRAMS = sorted({s.diagram for s in SCENARIOS})


def deploy(services: Services, diagram: str) -> None:
    """Deploy and publish one construct diagram (its folder is one bundle)."""
    services.engine.definitions.deploy(Bundle.from_dir(CONSTRUCTS / diagram), "tester", publish=True)


def _ready(services: Services, instance_id: int) -> list[Any]:
    owner = services.engine.actor(ACTOR)
    return [t for t in services.queries.case_tasks(owner, instance_id) if t.state == "READY"]


class CaseDriver:
    """Runs the commands of a scenario on one case and records what the case looks like."""

    def __init__(self, services: Services, clock: ManualClock, scenario: Scenario) -> None:
        self.services = services
        self.clock = clock
        self.scenario = scenario
        self.instance_id = 0
        self.business_key = ""
        self.trace: list[tuple[str, tuple[str, ...]]] = []

    def start(self, business_key: str) -> int:
        """Start a case of the scenario's process."""
        engine = self.services.engine
        self.business_key = business_key
        result = engine.start(
            self.scenario.process,
            engine.actor(ACTOR),
            street=STREET,
            business_key=business_key,
            data=dict(self.scenario.start_data),
        )
        self.instance_id = result.instance_id
        self._record()
        return self.instance_id

    def attach(self, instance_id: int, business_key: str) -> None:
        """Drive an existing case (started elsewhere)."""
        self.instance_id, self.business_key = instance_id, business_key

    def run(self, steps: tuple[Step, ...] | list[Step], *, reload: bool = False) -> None:
        """Apply steps in order; with ``reload`` the live cache is emptied before each command."""
        for step in steps:
            if reload:
                self.services.engine.cache.clear()
            self.apply(step)

    def apply(self, step: Step) -> None:
        """Apply one command and record the case afterwards."""
        engine = self.services.engine
        if isinstance(step, Complete):
            ready = [t for t in _ready(self.services, self.instance_id) if t.bpmn_id == step.bpmn_id]
            if not ready:
                raise AssertionError(f"{self.scenario.name}: no ready task {step.bpmn_id!r}; trace {self.trace}")
            engine.complete(ready[0].id, engine.actor(ACTOR), dict(step.data))
        elif isinstance(step, Message):
            engine.send_message(step.name, {"business_key": self.business_key}, dict(step.payload))
        else:
            self.clock.advance(timedelta(days=step.days))
            engine.fire_due_timers()
        self._record()

    def _record(self) -> None:
        with self.services.db.transaction(write=False) as tx:
            status = str(tx.scalar("SELECT status FROM instances WHERE id = :i", {"i": self.instance_id}))
        ready = tuple(sorted(t.bpmn_id for t in _ready(self.services, self.instance_id)))
        self.trace.append((status, ready))

    def outcome(self) -> dict[str, Any]:
        """Status, end state, human tasks, workflow data and the trace — comparable across runs."""
        engine = self.services.engine
        with engine.operation() as (tx, lives):  # loaded as any command would: from the cache or the database
            live = engine.store.load(tx, engine.store.row(tx, self.instance_id))
            lives.append(live)
            data = json.loads(engine.codec.dumps(live.wf.data))
            row = tx.one("SELECT status, end_state FROM instances WHERE id = :i", {"i": self.instance_id})
            tasks = tx.all(
                "SELECT bpmn_id, name, role, state, completed_by FROM human_tasks WHERE instance_id = :i",
                {"i": self.instance_id},
            )
            incidents = tx.scalar("SELECT COUNT(*) FROM incidents WHERE instance_id = :i", {"i": self.instance_id})
        assert row is not None
        return {
            "status": row[0],
            "end_state": row[1],
            "human_tasks": sorted([list(t) for t in tasks], key=lambda t: [str(v) for v in t]),
            "data": {k: v for k, v in data.items() if k not in CASE_KEYS},
            "incidents": int(incidents or 0),
            "trace": [[status, list(ready)] for status, ready in self.trace],
        }


def continue_case(url: str, scenario: Scenario, instance_id: int, business_key: str, first: int, now: str) -> dict:
    """Continue a case from step ``first`` in this process with fresh services; return its outcome."""
    clock = ManualClock(datetime.fromisoformat(now))
    services = build(url, clock=clock, verify_state=True, password_method="pbkdf2:sha256:1000")
    try:
        driver = CaseDriver(services, clock, scenario)
        driver.attach(instance_id, business_key)
        driver.run(scenario.steps[first:])
        return driver.outcome()
    finally:
        services.close()


def serve() -> None:
    """The restart worker: one request per stdin line, one JSON answer per stdout line."""
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            out = {
                "outcome": continue_case(
                    req["url"], BY_NAME[req["scenario"]], req["instance"], req["business_key"], req["from"], req["now"]
                )
            }
        except Exception as exc:  # reported to the test, which fails with it
            out = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
