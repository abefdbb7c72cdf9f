"""Every wait state of every test diagram survives the state codec unchanged.

Each diagram runs in memory; at every wait state the state is encoded as header + task rows, restored
against the same parsed spec, compared with SpiffWorkflow's own complete serialization of the original,
and the run then *continues on the restored workflow* — so every later step also proves the restore.
Timers are made due with a manual clock; messages are sent from outside.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.clock import ManualClock, install_spiff_clock, using_clock
from engine.definitions.bundle import Bundle, parse_bundle
from engine.runtime.projection import task_properties
from engine.runtime.state import StateCodec
from engine.sandbox.core import make_script_engine
from engine.sandbox.functions import script_functions

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DIAGRAMS = [
    ("engine/approval", "approval", {}),
    ("engine/loop", "loop", {"limit": 3}),
    ("engine/failing", "failing", {}),
    ("engine/nested", "nested", {}),
    ("engine/messages", "police_wait", {}),
    ("engine/timer_wait", "timer_wait", {}),
    ("bundles/valid", "neighbour_dispute", {}),
]


def sample(schema: dict[str, Any] | None) -> dict[str, Any]:
    """Fill every required field of a form schema with a plausible value."""
    if not schema:
        return {"total": 10, "count": 2, "case_no": "C-1"}
    out: dict[str, Any] = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        if "enum" in prop:
            out[name] = prop["enum"][0]
        else:
            out[name] = {"string": "测试", "integer": 5000, "number": 5000, "boolean": True}[prop["type"]]
    return out


def roundtrip(codec: StateCodec, wf: BpmnWorkflow, spec: Any, subs: dict[str, Any], engine: Any) -> BpmnWorkflow:
    header, rows = codec.snapshot(wf)
    restored, _index = codec.restore(header, rows.values(), spec, subs, engine)
    assert codec.full_dict(restored) == codec.full_dict(wf)
    assert codec.snapshot(restored) == (header, rows)
    return restored


@pytest.mark.parametrize(("folder", "key", "start"), DIAGRAMS, ids=[d[1] for d in DIAGRAMS])
def test_every_wait_state_survives_encode_and_restore(folder: str, key: str, start: dict[str, Any]) -> None:
    install_spiff_clock()
    parsed = parse_bundle(Bundle.from_dir(FIXTURES / folder))
    assert parsed.ok, parsed.problems
    spec, subs = parsed.specs[key]
    codec = StateCodec()
    engine = make_script_engine(script_functions())
    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    wait_states = 0
    with using_clock(clock):
        wf = BpmnWorkflow(spec, subs, script_engine=engine)
        wf.get_next_task(state=TaskState.READY).set_data(**start)
        wf.do_engine_steps()
        for _ in range(50):
            wf = roundtrip(codec, wf, spec, subs, engine)
            wait_states += 1
            if wf.is_completed():
                break
            ready = wf.get_tasks(state=TaskState.READY, manual=True)
            if ready:
                task = ready[0]
                form = parsed.forms.get(_form_path(parsed, task))
                task.set_data(**sample(form))
                task.run()
            elif any(e.event_type == "MessageEventDefinition" for e in wf.waiting_events()):
                name = next(e.name for e in wf.waiting_events() if e.event_type == "MessageEventDefinition")
                wf.send_event(BpmnEvent(MessageEventDefinition(name), {"case_no": "C-1"}, dict(wf.correlations)))
            else:
                clock.advance(timedelta(days=40))
                wf.refresh_timers()
            wf.do_engine_steps()
    assert wf.is_completed(), f"{key} did not finish"
    assert wait_states >= 3


def _form_path(parsed: Any, task: Any) -> str | None:
    name = task_properties(task).get("formJsonSchemaFilename")
    if not name:
        return None
    return next((p for p in parsed.forms if p == name or p.endswith("/" + name)), None)
