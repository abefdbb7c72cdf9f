"""Read-model projection of one step: human tasks, timers, message subscriptions, status, end state.

Computed from the tasks the step moved and the tasks still open (both gathered by the state codec's
single pass over the task tree), so a step never walks the tree again and the inbox, the timer worker
and message correlation each find their rows with one indexed query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from engine.clock import to_db_time

Subscription = tuple[str, str, str]  # (task id, message name, canonical correlation JSON)


def canonical(correlation: dict[str, Any]) -> str:
    """The one text form of a correlation dict used for storage and lookup."""
    return orjson.dumps(correlation, option=orjson.OPT_SORT_KEYS).decode()


def task_properties(task: Any) -> dict[str, str]:
    """The spiffworkflow:properties of a task spec."""
    ext = getattr(task.task_spec, "extensions", None) or {}
    props: dict[str, str] = ext.get("properties") or {}
    return props


def _event_definitions(spec: Any) -> list[Any]:
    ed = getattr(spec, "event_definition", None)
    if ed is None:
        return []
    return list(getattr(ed, "event_definitions", None) or [ed])


@dataclass
class StepProjection:
    """Everything the read models need to know about one step."""

    new_human: list[Any] = field(default_factory=list)
    closed_human: list[tuple[str, str]] = field(default_factory=list)  # (task id, COMPLETED|CANCELLED)
    fired_timers: list[Any] = field(default_factory=list)
    caught_messages: list[Any] = field(default_factory=list)
    end_events: list[Any] = field(default_factory=list)
    next_timer_at: str | None = None
    subscriptions: frozenset[Subscription] = frozenset()
    ready_human: int = 0
    errored: list[Any] = field(default_factory=list)


def project(
    wf: Any,
    moved: list[Any],
    open_tasks: list[Any],
    instance_id: int,
    business_key: str | None,
    now: str,
    evaluate: Callable[[str, dict[str, Any]], Any] | None = None,
) -> StepProjection:
    """Derive the read-model changes of a step from its moved and open tasks."""
    out = StepProjection()
    for task in moved:
        _project_moved(wf, task, out)
    flat: dict[str, Any] = {}
    for props in wf.correlations.values():
        flat.update(props)
    keys = [canonical({"instance": instance_id})]
    if business_key:
        keys.append(canonical({"business_key": business_key}))
    if flat:
        keys.append(canonical(flat))
    due: list[str] = []
    subs: set[Subscription] = set()
    for task in open_tasks:
        state = task.state
        if state == TaskState.READY:
            if task.task_spec.manual:
                out.ready_human += 1
            else:
                due.append(now)  # an engine task readied at the very end of the step: run at the next tick
        elif state == TaskState.ERROR:
            out.errored.append(task)
        elif state == TaskState.WAITING:
            _project_waiting(task, keys if flat else [*keys, *_expected(task, evaluate)], due, subs)
    if open_tasks:  # a case with open tasks has not ended: its message-started event subprocesses listen
        _subscribe_event_subprocesses(wf, keys, subs)
    out.next_timer_at = min(due) if due else None
    out.subscriptions = frozenset(subs)
    return out


def _subscribe_event_subprocesses(wf: Any, keys: list[str], subs: set[Subscription]) -> None:
    """Subscribe a case to the messages that start its event subprocesses.

    SpiffWorkflow creates an event subprocess started by a message only when the message arrives
    (its start event is no waiting task before that), and only at the top level of the process, so
    the subscription cannot come from the waiting tasks: it comes from the process spec, under the
    root task's id. (A small list per process; not a walk of the case.)
    """
    for name in getattr(wf.spec.start, "trigger_specs", None) or ():
        sp_spec = wf.subprocess_specs.get(name)
        for start in getattr(sp_spec, "bpmn_start_events", None) or ():
            for ed in _event_definitions(start):
                if isinstance(ed, MessageEventDefinition):
                    subs.update((str(wf.task_tree.id), ed.name, key) for key in keys)


def _project_moved(wf: Any, task: Any, out: StepProjection) -> None:
    spec, state = task.task_spec, task.state
    if spec.manual:
        if state == TaskState.READY:
            out.new_human.append(task)
        elif state in (TaskState.COMPLETED, TaskState.CANCELLED):
            out.closed_human.append((str(task.id), TaskState.get_name(state)))
    elif state == TaskState.COMPLETED and isinstance(spec, CatchingEvent):
        for ed in _event_definitions(spec):
            # a catch event only completes when its event arrived (otherwise it is cancelled)
            if isinstance(ed, TimerEventDefinition):
                out.fired_timers.append(task)
            elif isinstance(ed, MessageEventDefinition):
                out.caught_messages.append(task)
    if state == TaskState.COMPLETED and isinstance(spec, EndEvent) and task.workflow is wf:
        out.end_events.append(task)


def _expected(task: Any, evaluate: Callable[[str, dict[str, Any]], Any] | None) -> list[str]:
    """Correlation a still-uncorrelated case expects: the message's properties evaluated on the task's data.

    (SpiffWorkflow lets the first message correlate any case; to route a message to the *right* waiting
    case, we compute what its correlation properties will be from the case's own data.)
    """
    if evaluate is None:
        return []
    keys: list[str] = []
    for ed in _event_definitions(task.task_spec):
        if isinstance(ed, MessageEventDefinition) and ed.correlation_properties:
            values = {}
            for prop in ed.correlation_properties:
                try:
                    values[prop.name] = evaluate(prop.retrieval_expression, task.data)
                except Exception:
                    return keys
            keys.append(canonical(values))
    return keys


def _project_waiting(task: Any, keys: list[str], due: list[str], subs: set[Subscription]) -> None:
    for ed in _event_definitions(task.task_spec):
        if isinstance(ed, TimerEventDefinition):
            value = task.internal_data.get("event_value")
            if value is not None:
                when = TimerEventDefinition.get_datetime(value["next"] if isinstance(value, dict) else value)
                due.append(to_db_time(when) or "")
        elif isinstance(ed, MessageEventDefinition):
            subs.update((str(task.id), ed.name, key) for key in keys)
