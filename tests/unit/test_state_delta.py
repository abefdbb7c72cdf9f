"""The stored rows a step writes are the whole state, for every construct, and shared specs stay unchanged.

The state codec writes only what a step changed (:meth:`StateCodec.delta`). Here every construct
scenario runs in memory, each step's delta is applied to a dictionary standing for ``instance_tasks``,
and after every step that dictionary must equal a full snapshot of the workflow — so a task created
outside the stored frontier (an event subprocess started by a signal under the long-completed root, a
boundary event, a multi-instance child) cannot be missed, as it once was (14 tasks live, 13 stored).

Specs are parsed once per version and shared by every case, in every process: what one case does must
not change how another runs. Two ways SpiffWorkflow 3.2 changes a spec while it runs are neutralised by
:func:`engine.runtime.state.prepare_specs`, and tested here with the processes simulated by parsing the
same diagram twice.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.clock import ManualClock, install_spiff_clock, using_clock
from engine.definitions.bundle import Bundle, parse_bundle
from engine.runtime.state import PersistedIndex, StateCodec, prepare_specs
from engine.sandbox.core import make_script_engine
from engine.sandbox.functions import script_functions
from tests.integration.constructs import CONSTRUCTS, SCENARIOS, Complete, Message, Scenario

SCRIPT_ENGINE = make_script_engine(script_functions())


def _parse(diagram: str) -> tuple[Any, dict[str, Any]]:
    """Parse a construct diagram afresh, as a new process would."""
    parsed = parse_bundle(Bundle.from_dir(CONSTRUCTS / diagram))
    assert parsed.ok, parsed.problems
    return parsed.specs[diagram]


def _start(spec: Any, subs: dict[str, Any], data: dict[str, Any]) -> BpmnWorkflow:
    wf = BpmnWorkflow(spec, subs, script_engine=SCRIPT_ENGINE)
    prepare_specs(wf)
    wf.get_next_task(state=TaskState.READY).set_data(**data)
    wf.do_engine_steps()
    return wf


def _apply(wf: BpmnWorkflow, step: Any, clock: ManualClock) -> None:
    prepare_specs(wf)
    if isinstance(step, Complete):
        task = next(t for t in wf.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == step.bpmn_id)
        task.set_data(**step.data)
        task.run()
    elif isinstance(step, Message):
        wf.send_event(BpmnEvent(MessageEventDefinition(step.name), dict(step.payload), dict(wf.correlations)))
    else:
        clock.advance(timedelta(days=step.days))
    wf.refresh_timers()
    wf.do_engine_steps()


class Table:
    """``instance_tasks`` and the header of one case, kept by applying deltas."""

    def __init__(self, codec: StateCodec) -> None:
        self.codec, self.index, self.rows, self.header = codec, PersistedIndex(), {}, ""

    def save(self, wf: BpmnWorkflow, mark: float) -> None:
        delta = self.codec.delta(wf, self.index, mark)
        self.index, self.header = delta.index, delta.header
        for row in delta.upserts:
            self.rows[row[0]] = row
        for task_id in delta.deletes:
            self.rows.pop(task_id, None)

    def assert_whole(self, wf: BpmnWorkflow, where: str) -> None:
        header, rows = self.codec.snapshot(wf)
        missing, extra = sorted(set(rows) - set(self.rows)), sorted(set(self.rows) - set(rows))
        assert not missing and not extra, f"{where}: {len(rows)} tasks live, {len(self.rows)} stored"
        assert self.rows == rows, f"{where}: a stored row is stale"
        assert self.header == header, f"{where}: the stored header is stale"


@pytest.mark.parametrize("scenario", [pytest.param(s, id=s.name) for s in SCENARIOS])
def test_each_steps_delta_keeps_the_stored_rows_equal_to_the_whole_state(scenario: Scenario) -> None:
    install_spiff_clock()
    codec = StateCodec()
    spec, subs = _parse(scenario.diagram)
    clock = ManualClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    with using_clock(clock):
        table = Table(codec)
        mark = time.time()
        wf = _start(spec, subs, dict(scenario.start_data))
        table.save(wf, mark)
        table.assert_whole(wf, "after start")
        for number, step in enumerate(scenario.steps, 1):
            mark = time.time()
            _apply(wf, step, clock)
            table.save(wf, mark)
            table.assert_whole(wf, f"after step {number} ({step})")
    assert wf.is_completed()


def test_a_case_ends_without_the_message_an_earlier_case_of_the_same_version_received() -> None:
    spec, subs = _parse("esp_message_noninterrupting")
    first = _start(spec, subs, {})
    first.send_event(BpmnEvent(MessageEventDefinition("complaint_received"), {"text": "噪音"}, {}))
    first.do_engine_steps()
    assert sorted(t.task_spec.bpmn_id for t in first.get_tasks(state=TaskState.READY, manual=True)) == [
        "handle_complaint",
        "work",
    ]
    second = _start(spec, subs, {})  # the same parsed spec, as every case of a version shares it
    assert second.subprocesses == {}, "the event subprocess must not start before its message"
    second.get_next_task(state=TaskState.READY, manual=True).run()
    second.do_engine_steps()
    assert second.is_completed()


def test_a_case_triggered_in_one_process_continues_on_a_spec_parsed_in_another() -> None:
    codec = StateCodec()
    spec, subs = _parse("esp_signal_noninterrupting")
    _start(spec, subs, {}).get_next_task(state=TaskState.READY, manual=True).run()  # another case triggers the ESP
    wf = _start(spec, subs, {})
    header, rows = codec.snapshot(wf)
    fresh_spec, fresh_subs = _parse("esp_signal_noninterrupting")  # the other process
    restored, _index = codec.restore(header, rows.values(), fresh_spec, fresh_subs, SCRIPT_ENGINE)
    for _ in range(3):
        for task in restored.get_tasks(state=TaskState.READY, manual=True):
            task.run()
            restored.do_engine_steps()
    assert restored.is_completed()


@pytest.mark.parametrize("diagram", ["mi_parallel_collection", "mi_sequential_cardinality", "standard_loop"])
def test_a_loop_whose_children_another_process_created_merges_them(diagram: str) -> None:
    codec = StateCodec()
    spec, subs = _parse(diagram)
    wf = _start(spec, subs, {"visits": 2, "rounds": 0})
    header, rows = codec.snapshot(wf)
    fresh_spec, fresh_subs = _parse(diagram)  # a new process: no loop of this spec has created a child here
    restored, _index = codec.restore(header, rows.values(), fresh_spec, fresh_subs, SCRIPT_ENGINE)
    for _ in range(10):
        ready = restored.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        ready[0].set_data(result="通过", accepted=True)
        ready[0].run()
        restored.do_engine_steps()
    assert restored.is_completed()


def test_a_case_stored_without_its_event_subprocess_task_is_repaired_when_restored() -> None:
    codec = StateCodec()
    spec, subs = _parse("esp_signal_noninterrupting")
    wf = _start(spec, subs, {})
    wf.get_next_task(state=TaskState.READY, manual=True).run()  # prepare: the signal starts the event subprocess
    wf.do_engine_steps()
    header, rows = codec.snapshot(wf)
    esp = next(t for t in wf.tasks.values() if t.task_spec.name == "on_withdraw")
    root = str(wf.task_tree.id)
    damaged = {tid: row for tid, row in rows.items() if tid != str(esp.id)}  # what the old delta stored
    body = orjson.loads(damaged[root][2])
    body["children"].remove(str(esp.id))
    damaged[root] = (root, None, orjson.dumps(body).decode())
    restored, index = codec.restore(header, damaged.values(), spec, subs, SCRIPT_ENGINE)
    table = Table(codec)
    table.index, table.rows, table.header = index, damaged, header
    for bpmn_id in ("handle_withdraw", "work"):
        mark = time.time()
        task = next(t for t in restored.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == bpmn_id)
        task.run()
        restored.do_engine_steps()
        table.save(restored, mark)
        table.assert_whole(restored, f"after {bpmn_id}")
    assert restored.is_completed()
