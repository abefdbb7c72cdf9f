"""Running one step of one instance: the engine up to its next wait state, then the save.

A step runs the caller's action (complete a task, deliver a message, …) and SpiffWorkflow up to the
next wait state — firing timers that are due by the engine clock first — then encodes the state delta,
projects the read models (human tasks with due dates, timers, message subscriptions), appends audit
events and saves it all through :class:`~engine.runtime.instances.InstanceStore`. Messages thrown by the
process that no task of the case catches leave through the audit log as ``message_sent`` events (the
outbox for outside systems such as a police station); signals, errors and escalations nobody in the case
caught are recorded as ``event_not_caught`` (they never leave the case). Whatever SpiffWorkflow raises
while it runs the process — a script or gateway error, or a plain ``TypeError`` from inside the library —
does not abort the step: the state is saved up to the failing task, the case goes to ``error`` and an
incident records the task, message and line (:mod:`engine.runtime.failures`, which also makes such a
failure retryable).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import EndEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException

from engine.accounts.authz import Actor
from engine.clock import Clock, current_now, to_db_time
from engine.errors import EngineError
from engine.runtime.audit import AuditEvent
from engine.runtime.failures import incident_for, redo_retried
from engine.runtime.instances import InstanceStore, Live
from engine.runtime.projection import project, task_properties
from engine.runtime.state import StateCodec, prepare_specs
from engine.sandbox.functions import SHANGHAI, calendar_deadline, collect_provisional, workday_deadline
from engine.store.db import Tx
from workflows.calendar import deadline_end_of_day, default_calendar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepResult:
    """What a command did to one instance."""

    instance_id: int
    status: str
    lock_version: int
    end_state: str | None = None
    incident: str | None = None
    timers_fired: int = 0
    new_tasks: tuple[str, ...] = ()  # human tasks that became ready in this step
    fired: tuple[str, ...] = ()  # names of the timers that fired in this step


class StepRunner:
    """Advance instances and save each step."""

    def __init__(self, codec: StateCodec, store: InstanceStore, script_engine: Any, clock: Clock) -> None:
        self.codec = codec
        self.store = store
        self.script_engine = script_engine
        self.clock = clock

    def now(self) -> str:
        """The operation's time: the clock it runs under (the engine clock, or a worker's explicit time)."""
        return to_db_time(current_now()) or ""

    def _evaluate(self, expression: str, data: dict[str, Any]) -> Any:
        return self.script_engine.environment.evaluate(expression, dict(data))

    def advance(
        self,
        tx: Tx,
        live: Live,
        actor: Actor,
        action: Callable[[BpmnWorkflow], None] | None,
        *,
        status: str | None = None,
        mark: float | None = None,
    ) -> StepResult:
        """Run ``action`` and the engine up to the next wait state, then save the step."""
        wf = live.wf
        live.touched = True
        now = self.now()  # one reading of the operation's clock for every row this step writes
        mark = time.time() if mark is None else mark
        incident = None
        prepare_specs(wf)
        with collect_provisional() as provisional:
            try:
                if action is not None:
                    action(wf)
                if status is None:  # claim/suspend/cancel… only record; everything else runs the engine
                    redo_retried(wf, lambda: self._incident_open(tx, live.id))  # failed tasks a retry released
                    wf.refresh_timers()  # timers due by now fire in this step, not one step later
                    wf.do_engine_steps()
            except EngineError:
                raise  # the caller's error (raised by the action), not the process's
            except Exception as exc:  # anything SpiffWorkflow raised while running the process
                incident = incident_for(wf, exc)
            outgoing = wf.get_events()  # events no task of this case caught: messages are the outbox
            delta = self.codec.delta(wf, live.index, mark)
            proj = project(wf, delta.moved, delta.open, live.id, live.business_key, now, self._evaluate)
            self._hand_over(tx, live, proj.new_human)
            human_rows = [self._human_row(live, t, now) for t in proj.new_human]
        provisional.extend(int(r["due"][:4]) for r in human_rows if r["prov"] and r["due"])
        if proj.next_timer_at and proj.next_timer_at != live.next_timer_at:  # a newly scheduled timer
            year = int(proj.next_timer_at[:4])
            if not default_calendar().is_covered(year):
                provisional.append(year)
        self._audit_step(live, proj, incident, provisional)
        live.inbound = {}
        self._record_outgoing(live, outgoing)
        end_state = None
        if status is None:
            if incident is not None or proj.errored or live.status == "error":  # open incident: until retry
                status = "error"
            elif not delta.open and wf.is_completed():  # (open tasks: not completed; skip the tree walk)
                status = "completed" if wf.success else "cancelled"
            else:
                status = "running" if proj.ready_human else "waiting"
        last_end = _last_end_event(wf, proj.end_events) if status == "completed" else None
        if last_end is not None:
            end_state = last_end.task_spec.bpmn_id
            live.events.append(
                AuditEvent(
                    "instance_completed",
                    "system",
                    data={"end_state": end_state, "end_name": last_end.task_spec.bpmn_name},
                )
            )
        self.store.save(
            tx,
            live,
            delta,
            proj,
            status=status,
            now=now,
            actor=actor.username,
            human_rows=human_rows,
            end_state=end_state,
            incident=incident,
        )
        return StepResult(
            live.id,
            status,
            live.lock_version,
            end_state,
            incident["m"] if incident else None,
            len(proj.fired_timers),
            tuple(str(t.id) for t in proj.new_human),
            tuple(t.task_spec.bpmn_name or t.task_spec.bpmn_id for t in proj.fired_timers),
        )

    def _hand_over(self, tx: Tx, live: Live, new_human: list[Any]) -> None:
        """Re-scope the case to another organization when the process names one.

        A process hands a case over (e.g. to the supplier awarded a contract) by setting
        ``caseOrganizationUscc`` in its data; tasks that become ready from then on belong to that
        organization, and its people see the case. An organization unknown to the directory cannot
        be given the case: the step goes on unchanged and the audit log says why.
        """
        wanted = next((t.data["caseOrganizationUscc"] for t in new_human if t.data.get("caseOrganizationUscc")), None)
        if not wanted or wanted == live.handed_to:
            return
        live.handed_to = str(wanted)
        org = tx.scalar("SELECT id FROM organizations WHERE uscc = :u", {"u": str(wanted)})
        if org is None:
            live.events.append(
                AuditEvent(
                    "case_handover_skipped",
                    "system",
                    data={"uscc": wanted, "reason": "该组织未在系统登记，案件仍由原组织办理"},
                )
            )
        elif int(org) != live.organization_id:
            live.events.append(
                AuditEvent(
                    "case_handed_over", "system", data={"from": live.organization_id, "to": int(org), "uscc": wanted}
                )
            )
            live.organization_id = int(org)

    @staticmethod
    def _incident_open(tx: Tx, instance_id: int) -> bool:
        row = tx.one(
            "SELECT 1 FROM incidents WHERE instance_id = :i AND resolved_at IS NULL LIMIT 1", {"i": instance_id}
        )
        return row is not None

    @staticmethod
    def _record_outgoing(live: Live, outgoing: list[Any]) -> None:
        """Messages nobody in the case caught go to the outbox; other events stay in the case's log."""
        for event in outgoing:
            definition = event.event_definition
            if isinstance(definition, MessageEventDefinition):
                live.outbox.append(event)
                data = {"name": definition.name, "payload": event.payload, "correlations": event.correlations}
                live.events.append(AuditEvent("message_sent", "system", data=data))
            else:  # a signal, error or escalation with no catcher in the case: BPMN drops it, we note it
                data = {"kind": type(definition).__name__, "name": definition.name}
                if getattr(definition, "code", None) is not None:
                    data["code"] = definition.code
                live.events.append(AuditEvent("event_not_caught", "system", data=data))

    def _audit_step(self, live: Live, proj: Any, incident: dict[str, Any] | None, provisional: list[int]) -> None:
        for t in proj.fired_timers:
            live.events.append(
                AuditEvent("timer_fired", "system", str(t.id), t.task_spec.bpmn_name or t.task_spec.bpmn_id)
            )
        for t in proj.caught_messages:
            name = t.task_spec.event_definition.name
            live.events.append(
                AuditEvent(
                    "message_received",
                    "system",
                    str(t.id),
                    t.task_spec.bpmn_name or t.task_spec.bpmn_id,
                    {"name": name, "payload": live.inbound.get(name, t.internal_data.get(name))},
                )
            )
        if incident is not None:
            live.events.append(
                AuditEvent(
                    "incident_raised",
                    "system",
                    incident["t"],
                    incident["b"],
                    {"error_type": incident["e"], "message": incident["m"], "line": incident["l"]},
                )
            )
        if provisional:
            years = sorted(set(provisional))
            log.warning("provisional deadline in case %s: years %s not covered by the calendar", live.id, years)
            live.events.append(AuditEvent("deadline_provisional", "system", data={"years": years}))

    def _human_row(self, live: Live, task: Any, now: str) -> dict[str, Any]:
        props = task_properties(task)
        due, provisional = self._due(task, props)
        priority = props.get("priority", "50")
        return {
            "id": str(task.id),
            "i": live.id,
            "k": live.process_key,
            "b": task.task_spec.bpmn_id,
            "n": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            "r": task_role(task, props),
            "s": live.street,
            "o": live.organization_id,
            "f": props.get("formJsonSchemaFilename"),
            "uf": props.get("formUiSchemaFilename"),
            "due": due,
            "prov": provisional,
            "p": int(priority)
            if str(priority).isascii() and str(priority).isdigit() and len(str(priority)) < 10
            else 50,
            "now": now,
        }

    def _due(self, task: Any, props: dict[str, str]) -> tuple[str | None, bool]:
        """A task's due date from ``dueInWorkdays`` / ``dueInDays`` / ``dueDate`` properties."""
        try:
            for key, fn in (("dueInWorkdays", workday_deadline), ("dueInDays", calendar_deadline)):
                if props.get(key):
                    n = self.script_engine.evaluate(task, props[key])
                    when, provisional = fn(int(n))
                    return to_db_time(when), provisional or _uncovered(when)
            if props.get("dueDate"):
                value = self.script_engine.evaluate(task, props["dueDate"])
                if isinstance(value, str):  # a date means "by the end of that day"; times without zone: Shanghai
                    value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
                if isinstance(value, datetime) and value.tzinfo is None:
                    value = value.replace(tzinfo=SHANGHAI)
                if isinstance(value, date) and not isinstance(value, datetime):
                    value = deadline_end_of_day(value)
                return to_db_time(value), _uncovered(value)
        except (WorkflowException, ValueError, TypeError) as exc:
            log.warning("due date of task %s not computed: %s", task.task_spec.bpmn_id, exc)
        return None, False


def task_role(task: Any, props: dict[str, str]) -> str | None:
    """The role that works on a human task: its ``role`` property, else its lane (None: nobody's task)."""
    return props.get("role") or task.task_spec.lane or None


def _uncovered(when: date | datetime | None) -> bool:
    """Whether a deadline lies in a year the working-day calendar has no published holidays for."""
    if when is None:
        return False
    day = when.astimezone(SHANGHAI).date() if isinstance(when, datetime) and when.tzinfo else when
    return not default_calendar().is_covered(day.year)


def _last_end_event(wf: BpmnWorkflow, reached: list[Any]) -> Any:
    """The end event a completed case ended at: the last one reached in this step, else in an earlier one.

    A case can complete in a later step than its main flow's end event (an event subprocess or a
    parallel branch still ran), so when this step reached none, the top workflow's completed end events
    are looked up — once, when the case ends.
    """
    if reached:
        return reached[-1]
    ended = [t for t in wf.tasks.values() if isinstance(t.task_spec, EndEvent) and t.state == TaskState.COMPLETED]
    return max(ended, key=lambda t: t.last_state_change, default=None)
