"""Workflow state ⇄ database rows, writing only what a step changed.

A SpiffWorkflow instance keeps every task it ever ran in its task tree, so serializing the whole state
at every step makes a step's cost grow with the age of a case (≈8× over 300 loops). We store instead:

* a small **header** per instance (workflow data, correlations, last task, success flags, pending
  events, one header per subprocess) — rewritten every step, it does not grow with the tree;
* one **row per task** (``instance_tasks``), in SpiffWorkflow's own per-task format, written only when
  the task is new, changed state since the step began, or is still open (READY/WAITING/STARTED/ERROR
  tasks may change their data without changing state; their children are rewritten with them because
  a task's row stores its data as a delta against its parent).

The spec is never stored with an instance: specs come from the pinned process version and are restored
by reference (the parsed spec object is shared, never re-deserialized).

Correctness is checked, not assumed: :meth:`StateCodec.snapshot` serializes everything, and tests run
the engine with ``verify_state=True`` so that after every commit the rows in the database are compared
with a full snapshot of the live workflow.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import ModuleType
from typing import Any
from uuid import UUID

import orjson
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

TaskId = UUID
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_DONE = TaskState.COMPLETED | TaskState.CANCELLED

# Rows are (task id, workflow id or None for the top workflow, JSON body).
TaskRow = tuple[str, str | None, str]


@dataclass
class PersistedIndex:
    """What the database holds for one instance.

    ``tasks`` maps every stored task id to (workflow id, parent id); ``frontier`` holds the stored tasks
    not yet COMPLETED or CANCELLED — the only ones a step can change (plus the new tasks below them);
    ``workflows`` the ids of the stored (sub)workflows. It is updated in place by each delta.
    """

    tasks: dict[TaskId, tuple[str | None, TaskId | None]] = field(default_factory=dict)
    frontier: set[TaskId] = field(default_factory=set)
    workflows: set[str | None] = field(default_factory=set)


@dataclass
class Delta:
    """The rows one step must write."""

    header: str
    upserts: list[TaskRow]
    deletes: list[str]
    index: PersistedIndex
    moved: list[Any]  # tasks that are new or changed state during the step
    open: list[Any]  # tasks now READY, WAITING, STARTED or in ERROR


def _build_registry() -> Any:
    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]), "Decimal")
    registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]), "date")
    return registry


@dataclass
class _Step:
    """What one delta collects while examining tasks."""

    dirty: dict[TaskId, tuple[str | None, Any]] = field(default_factory=dict)
    moved: list[Any] = field(default_factory=list)
    open: list[Any] = field(default_factory=list)
    deletes: list[TaskId] = field(default_factory=list)

    def examine(self, task: Any, wf_id: str | None, tasks: dict[TaskId, Any], is_new: bool, mark: float) -> None:
        """Decide whether a task's row must be rewritten and whether it moved or is open."""
        dirty = self.dirty
        if is_new:
            dirty[task.id] = (wf_id, task)
            self.moved.append(task)
            parent = tasks.get(task._parent)
            if parent is not None:  # its list of children changed
                dirty[parent.id] = (wf_id, parent)
        elif task.last_state_change >= mark:
            dirty[task.id] = (wf_id, task)
            self.moved.append(task)
        if task._state & _OPEN:  # may change data without changing state; children store data as a delta
            self.open.append(task)
            dirty[task.id] = (wf_id, task)
            for child_id in task._children:
                child = tasks.get(child_id)
                if child is not None:
                    dirty[child_id] = (wf_id, child)


class StateCodec:
    """Encode and restore spec-less workflow state as a header plus per-task rows."""

    VERSION = "sf-1"

    def __init__(self) -> None:
        self.registry = _build_registry()
        self.serializer = BpmnWorkflowSerializer(self.registry)
        typenames = self.registry.typenames
        to_dict = self.registry.convert_to_dict

        def default(obj: Any) -> Any:
            typename = typenames.get(type(obj))
            if typename is not None:
                return to_dict[typename](obj)
            if callable(obj) or isinstance(obj, ModuleType):
                return None
            if isinstance(obj, set | frozenset | tuple):
                return list(obj)
            raise TypeError(f"cannot store {type(obj).__name__} in workflow data")

        self._default = default
        self._options = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS

    # -- encoding -----------------------------------------------------------------------------------
    def dumps(self, obj: Any) -> str:
        """Encode JSON the way SpiffWorkflow's encoder would, but with orjson."""
        return orjson.dumps(obj, default=self._default, option=self._options).decode()

    def _task_body(self, task: Any) -> str:
        """Encode one task exactly as SpiffWorkflow's ``TaskConverter`` would, without registry dispatch."""
        parent = task.parent
        if parent is None:
            data, delta = task.data, {}
        else:
            pdata, tdata = parent.data, task.data
            data = {}
            delta = {
                "updates": {k: v for k, v in tdata.items() if k not in pdata or v != pdata[k]},
                "deletions": [k for k in pdata if k not in tdata],
            }
        internal = {k: v for k, v in task.internal_data.items() if not callable(v) and not isinstance(v, ModuleType)}
        return self.dumps(
            {
                "id": str(task.id),
                "parent": str(task._parent) if parent is not None else None,
                "children": [str(c) for c in task._children],
                "last_state_change": task.last_state_change,
                "state": task._state,
                "task_spec": task.task_spec.name,
                "triggered": task.triggered,
                "internal_data": internal,
                "data": data,
                "delta": delta,
                "typename": "Task",
            }
        )

    def _workflow_header(self, wf: Any) -> dict[str, Any]:
        registry = self.registry
        return {
            "data": registry.convert(registry.clean(wf.data)),
            "correlations": wf.correlations,
            "last_task": str(wf.last_task.id) if wf.last_task is not None else None,
            "success": wf.success,
            "completed": wf.completed,
            "root": str(wf.task_tree.id),
        }

    def header(self, wf: BpmnWorkflow) -> str:
        """Encode the instance header (everything but the tasks)."""
        registry = self.registry
        registry._encoder_mode = True
        try:
            dct = self._workflow_header(wf)
            dct["subprocesses"] = {
                str(sp_id): {
                    **self._workflow_header(sp),
                    "parent_task_id": str(sp.parent_task_id),
                    "spec": sp.spec.name,
                }
                for sp_id, sp in wf.subprocesses.items()
            }
            dct["bpmn_events"] = registry.convert(wf.bpmn_events)
            return self.dumps(dct)
        finally:
            registry._encoder_mode = False

    @staticmethod
    def _workflows(wf: BpmnWorkflow) -> list[tuple[str | None, Any]]:
        return [(None, wf), *((str(k), sp) for k, sp in wf.subprocesses.items())]

    def snapshot(self, wf: BpmnWorkflow) -> tuple[str, dict[str, TaskRow]]:
        """Encode the whole state: header and every task row (for verification and tests)."""
        delta = self.delta(wf, PersistedIndex(), 0.0)
        return delta.header, {row[0]: row for row in delta.upserts}

    def delta(self, wf: BpmnWorkflow, persisted: PersistedIndex, mark: float, *, full: bool = False) -> Delta:
        """Encode only the tasks that may differ from ``persisted`` since time ``mark``.

        Only the stored frontier (unfinished tasks), the tasks new below it and new subprocesses are
        examined, so the cost follows the size of the change, not the age of the case. Completed and
        cancelled tasks never change again — except through a reset, for which callers pass
        ``full=True`` (every task examined). An empty ``persisted`` also encodes everything.
        """
        if full or not persisted.tasks:
            return self._delta_full(wf, persisted, mark)
        idx, known = persisted, persisted.tasks
        workflows = dict(self._workflows(wf))
        step = _Step()
        for wf_id in [w for w in idx.workflows if w not in workflows]:  # a subprocess was removed
            for tid in [t for t, (w, _p) in known.items() if w == wf_id]:
                del known[tid]
                idx.frontier.discard(tid)
                step.deletes.append(tid)
            idx.workflows.discard(wf_id)
        queue: deque[tuple[TaskId, str | None]] = deque()
        for wf_id, w in workflows.items():
            if wf_id not in idx.workflows:
                idx.workflows.add(wf_id)
                queue.extend((tid, wf_id) for tid in w.tasks)
        queue.extend((tid, known[tid][0]) for tid in idx.frontier)
        seen: set[TaskId] = set()
        while queue:
            tid, wf_id = queue.popleft()
            if tid in seen:
                continue
            seen.add(tid)
            tasks = workflows[wf_id].tasks
            task = tasks.get(tid)
            if task is None:  # a predicted branch was pruned
                if tid in known:
                    parent_id = known.pop(tid)[1]
                    idx.frontier.discard(tid)
                    step.deletes.append(tid)
                    parent = tasks.get(parent_id) if parent_id is not None else None
                    if parent is not None:
                        step.dirty[parent.id] = (wf_id, parent)
                continue
            step.examine(task, wf_id, tasks, tid not in known, mark)
            known[tid] = (wf_id, task._parent)
            if task._state & _DONE:
                idx.frontier.discard(tid)
            else:
                idx.frontier.add(tid)
            queue.extend((child, wf_id) for child in task._children if child not in known)
        return self._finish(wf, step, idx)

    def _delta_full(self, wf: BpmnWorkflow, persisted: PersistedIndex, mark: float) -> Delta:
        old = persisted.tasks
        idx = PersistedIndex()
        step = _Step()
        for wf_id, w in self._workflows(wf):
            idx.workflows.add(wf_id)
            tasks = w.tasks
            for tid, task in tasks.items():
                idx.tasks[tid] = (wf_id, task._parent)
                if not task._state & _DONE:
                    idx.frontier.add(tid)
                step.examine(task, wf_id, tasks, tid not in old, mark)
        for tid in [t for t in old if t not in idx.tasks]:
            step.deletes.append(tid)
            parent_id = old[tid][1]
            if parent_id is not None and parent_id in idx.tasks:
                owner_id = idx.tasks[parent_id][0]
                owner = wf if owner_id is None else wf.subprocesses.get(UUID(owner_id))
                parent = owner.tasks.get(parent_id) if owner is not None else None
                if parent is not None:
                    step.dirty[parent_id] = (owner_id, parent)
        return self._finish(wf, step, idx)

    def _finish(self, wf: BpmnWorkflow, step: _Step, idx: PersistedIndex) -> Delta:
        upserts = [(str(tid), wf_id, self._task_body(task)) for tid, (wf_id, task) in step.dirty.items()]
        deletes = [str(t) for t in step.deletes]
        return Delta(self.header(wf), upserts, deletes, idx, step.moved, step.open)

    # -- decoding -----------------------------------------------------------------------------------
    def restore(
        self,
        header: str,
        rows: Iterable[tuple[str, str | None, str]],
        spec: Any,
        subprocess_specs: dict,
        script_engine: Any = None,
    ) -> tuple[BpmnWorkflow, PersistedIndex]:
        """Rebuild a live workflow from its header and task rows against an already-parsed spec."""
        dct = orjson.loads(header)
        bodies: dict[str | None, dict[str, dict]] = {}
        for task_id, wf_id, body in rows:
            bodies.setdefault(wf_id, {})[task_id] = orjson.loads(body)
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine, deserializing=True)
        self._restore_tasks(wf, dct, bodies.get(None, {}))
        wf.bpmn_events = self.registry.restore(dct.get("bpmn_events", []))
        self._restore_subprocesses(wf, wf, dct["subprocesses"], bodies)
        index = PersistedIndex()
        for wf_id, w in self._workflows(wf):
            index.workflows.add(wf_id)
            for tid, task in w.tasks.items():
                index.tasks[tid] = (wf_id, task._parent)
                if not task._state & _DONE:
                    index.frontier.add(tid)
        return wf, index

    def _restore_tasks(self, w: Any, dct: dict[str, Any], bodies: dict[str, dict]) -> None:
        restore = self.registry.restore
        w.tasks = {}
        queue = deque([dct["root"]])
        while queue:  # parents before children: a task's data is a delta against its parent
            body = bodies[queue.popleft()]
            restore(body, workflow=w)
            queue.extend(body["children"])
        w.task_tree = w.tasks.get(UUID(dct["root"]))
        w.success = dct["success"]
        w.completed = dct.get("completed", False)
        w.correlations = dct.get("correlations", {})
        last = dct["last_task"]
        w.last_task = w.tasks.get(UUID(last)) if isinstance(last, str) else None
        w.data = self.registry.restore(dct.get("data", {}))

    def _restore_subprocesses(
        self, top: Any, parent: Any, headers: dict[str, Any], bodies: dict[str | None, dict[str, dict]]
    ) -> None:
        for task in list(parent.tasks.values()):
            sp_dct = headers.get(str(task.id))
            if sp_dct is None or not isinstance(task.task_spec, SubWorkflowTask):
                continue
            spec = top.subprocess_specs.get(task.task_spec.spec)
            sp = BpmnSubWorkflow(spec, task.id, top, deserializing=True)
            self._restore_tasks(sp, sp_dct, bodies.get(str(task.id), {}))
            top.subprocesses[task.id] = sp
            sp.completed_event.connect(task.task_spec._on_subworkflow_completed, task)
            self._restore_subprocesses(top, sp, headers, bodies)

    def full_dict(self, wf: BpmnWorkflow) -> dict[str, Any]:
        """SpiffWorkflow's own complete dict of the state without the spec (for comparisons)."""
        dct = orjson.loads(self.dumps_full(wf))
        dct.pop("spec", None)
        dct.pop("subprocess_specs", None)
        return dct

    def dumps_full(self, wf: BpmnWorkflow) -> str:
        """SpiffWorkflow's full JSON of the state (spec included)."""
        return str(self.serializer.serialize_json(wf))
