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

import copy
import threading
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
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task as SpiffTask

TaskId = UUID
_OPEN = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_DONE = TaskState.COMPLETED | TaskState.CANCELLED

# Rows are (task id, workflow id or None for the top workflow, JSON body).
TaskRow = tuple[str, str | None, str]
# Tasks held in ERROR until a retry readies them again (engine.runtime.failures), kept in the header.
REDO_ATTR = "_sf_redo"


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


class TaskTable(dict[TaskId, Any]):
    """A workflow's ``tasks`` dict that remembers which task ids were added and removed.

    SpiffWorkflow registers every task it creates with ``workflow.tasks[id] = task`` and unregisters
    it with ``workflow.tasks.pop(id)``, wherever in the tree that happens — an event subprocess started
    by a signal hangs off the long-completed root task, a reset drops completed tasks. The codec
    installs this table on every workflow it encodes or restores, so a delta finds such tasks without
    walking the tree; reading is plain ``dict`` speed.
    """

    __slots__ = ("added", "removed")

    def __init__(self, tasks: dict[TaskId, Any] | None = None) -> None:
        super().__init__(tasks or {})
        self.added: set[TaskId] = set()
        self.removed: set[TaskId] = set()

    def __setitem__(self, key: TaskId, value: Any) -> None:
        if key not in self:
            self.added.add(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: TaskId) -> None:
        self.removed.add(key)
        super().__delitem__(key)

    def pop(self, key: TaskId, *default: Any) -> Any:
        self.removed.add(key)
        return super().pop(key, *default)


_PREPARE_LOCK = threading.Lock()


def prepare_specs(wf: BpmnWorkflow) -> None:
    """Make the parsed specs a workflow runs on safe to share between workflows and processes.

    Specs are parsed once per version and shared by every case (and restored by reference), but
    SpiffWorkflow 3.2 wires two things into a spec while a workflow *runs*, so a case would behave
    differently depending on what other cases did in the same OS process:

    * a loop or multi-instance task connects ``merge_child`` to its child spec's ``completed_event``
      only when it creates a child — after a restart, an instance whose children were created by
      another process never merges them and waits forever. Spiff's own spec deserializer wires them
      up front; specs from the BPMN parser are wired here.
    * ``BpmnStartTask.trigger_wf`` *connects* an event subprocess started by a message or signal to
      the process start and end the first time one is triggered; every case started afterwards in
      that process predicts the event subprocess at its start and cannot end until the event comes.
      Here the event subprocess gets the start as an input only (readying a task checks it has one)
      and each start task triggers without connecting (undoing a connection an earlier run made).

    Idempotent and cheap after the first call for a spec (a flag on the spec object).
    """
    specs = [wf.spec, *wf.subprocess_specs.values()]
    if all(spec.__dict__.get("_sf_prepared") for spec in specs):
        return
    with _PREPARE_LOCK:
        for spec in specs:
            if spec.__dict__.get("_sf_prepared"):
                continue
            for task_spec in list(spec.task_specs.values()):
                if isinstance(task_spec, LoopTask):
                    child_spec = spec.task_specs.get(task_spec.task_spec)
                    if child_spec is not None and not child_spec.completed_event.is_connected(task_spec.merge_child):
                        child_spec.completed_event.connect(task_spec.merge_child)
            start = spec.start
            if getattr(start, "trigger_specs", None):
                _detach_triggers(spec)
                start.trigger_wf = _trigger_without_connecting(spec)
            spec._sf_prepared = True


def _detach_triggers(spec: Any) -> None:
    """Link each triggered event subprocess to the start one way: an input (readying checks it), no output."""
    start, end = spec.start, spec.end
    for name in start.trigger_specs:
        task_spec = spec.task_specs.get(name)
        if task_spec is None:
            continue
        if name in start._outputs:  # connected by an earlier trigger_wf in this process
            start._outputs.remove(name)
        if end.name in task_spec._outputs:
            task_spec._outputs.remove(end.name)
            if name in end._inputs:
                end._inputs.remove(name)
        if start.name not in task_spec._inputs:
            task_spec._inputs.append(start.name)


def _trigger_without_connecting(spec: Any) -> Any:
    def trigger_wf(my_task: Any, spec_name: str) -> Any:
        """Start an event subprocess under ``my_task`` (what ``BpmnStartTask.trigger_wf`` does, minus connecting)."""
        child = my_task._add_child(spec.task_specs.get(spec_name), TaskState.FUTURE)
        child.triggered = True
        child.task_spec._update(child)
        return child.id

    return trigger_wf


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

    def examine(
        self, task: Any, wf_id: str | None, tasks: dict[TaskId, Any], is_new: bool, mark: float, was_open: bool = False
    ) -> None:
        """Decide whether a task's row must be rewritten and whether it moved or is open.

        ``was_open``: the task was unfinished when the step began (in the stored frontier). If it also
        moved in this step, its data may have changed even if it finished in it (a loop merges its last
        iteration, then completes), so its children's rows — data stored as a delta against it — are
        rewritten too. A predicted task that did not move keeps its children's rows: rewriting them at
        every step doubled the rows a step writes.
        """
        dirty = self.dirty
        moved = is_new or task.last_state_change >= mark
        if is_new:
            dirty[task.id] = (wf_id, task)
            self.moved.append(task)
            parent = tasks.get(task._parent)
            if parent is not None:  # its list of children changed
                dirty[parent.id] = (wf_id, parent)
        elif moved:
            dirty[task.id] = (wf_id, task)
            self.moved.append(task)
        is_open = bool(task._state & _OPEN)
        if is_open:  # may change data without changing state
            self.open.append(task)
            dirty[task.id] = (wf_id, task)
        if is_open or (was_open and moved):  # children store their data as a delta against this task's
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
            # keys sorted: a restored task's data has its parent's keys first, so the same data may come in
            # another order after a reload, and a row must not change when the task did not
            changed = [k for k, v in tdata.items() if k not in pdata or v != pdata[k]]
            deleted = [k for k in pdata if k not in tdata]
            if len(changed) > 1:
                changed.sort(key=str)
            if len(deleted) > 1:
                deleted.sort(key=str)
            delta = {"updates": {k: tdata[k] for k in changed}, "deletions": deleted}
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
            redo = getattr(wf, REDO_ATTR, None)
            if redo:
                dct["redo"] = redo
            return self.dumps(dct)
        finally:
            registry._encoder_mode = False

    @staticmethod
    def _workflows(wf: BpmnWorkflow) -> list[tuple[str | None, Any]]:
        return [(None, wf), *((str(k), sp) for k, sp in wf.subprocesses.items())]

    def snapshot(self, wf: BpmnWorkflow) -> tuple[str, dict[str, TaskRow]]:
        """Encode the whole state: header and every task row (for verification and tests)."""
        delta = self._delta_full(wf, PersistedIndex(), 0.0, track=False)
        return delta.header, {row[0]: row for row in delta.upserts}

    def delta(self, wf: BpmnWorkflow, persisted: PersistedIndex, mark: float, *, full: bool = False) -> Delta:
        """Encode only the tasks that may differ from ``persisted`` since time ``mark``.

        Examined are the stored frontier (unfinished tasks) and the tasks below it, every task the
        workflows' task tables saw added or removed since the last delta (:class:`TaskTable` — a
        signal can start an event subprocess under the long-completed root, a reset drops completed
        tasks) together with their parents, and the tasks of new subprocesses. So the cost follows the
        size of the change, not the age of the case. ``full=True`` examines every task; an empty
        ``persisted`` also encodes everything.
        """
        if full or not persisted.tasks:
            return self._delta_full(wf, persisted, mark)
        idx, known = persisted, persisted.tasks
        workflows = dict(self._workflows(wf))
        step = _Step()
        for wf_id in [w for w in idx.workflows if w not in workflows]:  # a subprocess was removed
            self._forget_workflow(idx, wf_id, step)
        queue: deque[tuple[TaskId, str | None]] = deque()
        for wf_id, w in workflows.items():
            table = w.tasks
            if wf_id in idx.workflows and type(table) is TaskTable:
                self._collect_changes(table, wf_id, idx, step, queue)
                continue
            if wf_id in idx.workflows:  # the same subprocess id on a new workflow object: replaced
                self._forget_workflow(idx, wf_id, step)
            idx.workflows.add(wf_id)
            queue.extend((tid, wf_id) for tid in table)
            w.tasks = TaskTable(table)
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
                    self._forget_task(idx, tid, tasks, wf_id, step, queue)
                continue
            step.examine(task, wf_id, tasks, tid not in known, mark, tid in idx.frontier)
            known[tid] = (wf_id, task._parent)
            if task._state & _DONE:
                idx.frontier.discard(tid)
            else:
                idx.frontier.add(tid)
            queue.extend((child, wf_id) for child in task._children if child not in known)
        return self._finish(wf, step, idx)

    @staticmethod
    def _collect_changes(
        table: TaskTable, wf_id: str | None, idx: PersistedIndex, step: _Step, queue: deque[tuple[TaskId, str | None]]
    ) -> None:
        """Queue the tasks a table saw added and removed since the last delta, and their parents."""
        for tid in table.removed:
            if tid in idx.tasks and tid not in table:
                StateCodec._forget_task(idx, tid, table, wf_id, step, queue)
        for tid in table.added:
            task = table.get(tid)
            if task is not None:
                queue.append((tid, wf_id))
                if task._parent is not None:  # its list of children changed (examined: it may have moved)
                    queue.append((task._parent, wf_id))
        table.added.clear()
        table.removed.clear()

    @staticmethod
    def _forget_task(
        idx: PersistedIndex,
        tid: TaskId,
        tasks: dict[TaskId, Any],
        wf_id: str | None,
        step: _Step,
        queue: deque[tuple[TaskId, str | None]],
    ) -> None:
        """Delete a stored task that left the tree; its parent's row (children list) is rewritten."""
        parent_id = idx.tasks.pop(tid)[1]
        idx.frontier.discard(tid)
        step.deletes.append(tid)
        parent = tasks.get(parent_id) if parent_id is not None else None
        if parent is not None:
            step.dirty[parent.id] = (wf_id, parent)
            queue.append((parent.id, wf_id))

    @staticmethod
    def _forget_workflow(idx: PersistedIndex, wf_id: str | None, step: _Step) -> None:
        """Delete every stored task of a (sub)workflow that is gone or was replaced."""
        for tid in [t for t, (w, _p) in idx.tasks.items() if w == wf_id]:
            del idx.tasks[tid]
            idx.frontier.discard(tid)
            step.deletes.append(tid)
        idx.workflows.discard(wf_id)

    def _delta_full(self, wf: BpmnWorkflow, persisted: PersistedIndex, mark: float, *, track: bool = True) -> Delta:
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
                step.examine(task, wf_id, tasks, tid not in old, mark, tid in persisted.frontier)
            if track:  # from now on, the table reports what is added and removed
                w.tasks = TaskTable(tasks)
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
        if dct.get("redo"):
            setattr(wf, REDO_ATTR, dct["redo"])
        repaired = self._reattach_event_subprocesses(wf, dct["subprocesses"])
        self._restore_subprocesses(wf, wf, dct["subprocesses"], bodies)
        prepare_specs(wf)
        index = PersistedIndex()
        for wf_id, w in self._workflows(wf):
            index.workflows.add(wf_id)
            for tid, task in w.tasks.items():
                if tid in repaired:
                    continue  # not stored yet: the next step writes it (and its parent's children list)
                index.tasks[tid] = (wf_id, task._parent)
                if not task._state & _DONE:
                    index.frontier.add(tid)
        return wf, index

    @staticmethod
    def _reattach_event_subprocesses(wf: BpmnWorkflow, headers: dict[str, Any]) -> set[TaskId]:
        """Re-create the event-subprocess tasks that cases saved before the TaskTable fix never stored.

        A signal or message that started an event subprocess created its task under the root task, and
        the step did not store that task (nor the root's new child): the subprocess's header and rows
        were stored, so it would be dropped on restore and its tasks could never be completed. Such a
        header names its parent task and spec; the task is put back under the root — STARTED, or
        COMPLETED when its subprocess is — and the next step stores it.
        """
        triggers = set(getattr(wf.spec.start, "trigger_specs", None) or ())
        repaired: set[TaskId] = set()
        for sp_id, sp_dct in headers.items():
            task_id = UUID(sp_id)
            if task_id in wf.tasks or sp_dct.get("spec") not in triggers:
                continue
            state = TaskState.COMPLETED if sp_dct.get("completed") else TaskState.STARTED
            task = SpiffTask(wf, wf.spec.task_specs[sp_dct["spec"]], parent=wf.task_tree, state=state, id=task_id)
            task.triggered = True
            task.data = copy.deepcopy(wf.task_tree.data)
            repaired.add(task_id)
        return repaired

    def _restore_tasks(self, w: Any, dct: dict[str, Any], bodies: dict[str, dict]) -> None:
        restore = self.registry.restore
        w.tasks = {}
        queue = deque([dct["root"]])
        while queue:  # parents before children: a task's data is a delta against its parent
            body = bodies[queue.popleft()]
            restore(body, workflow=w)
            queue.extend(body["children"])
        w.tasks = TaskTable(w.tasks)  # from now on, the table reports what is added and removed
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
        for tasks in [dct["tasks"], *(sp["tasks"] for sp in dct.get("subprocesses", {}).values())]:
            for (
                task
            ) in tasks.values():  # deletions are a set: their order follows dict order, which a restore may change
                deletions = (task.get("delta") or {}).get("deletions")
                if deletions:
                    deletions.sort(key=str)
        return dct

    def dumps_full(self, wf: BpmnWorkflow) -> str:
        """SpiffWorkflow's full JSON of the state (spec included)."""
        return str(self.serializer.serialize_json(wf))
