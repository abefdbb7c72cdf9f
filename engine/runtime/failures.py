"""What a step does when SpiffWorkflow fails while running a process: an incident, kept work, a retry.

Whatever SpiffWorkflow raises while it runs a case — its own exceptions, or a plain ``TypeError``,
``NameError`` or ``KeyError`` from inside the library (a multi-instance input that is not a list, a
bug on one of its paths) — becomes an incident on the case instead of failing the command: the step
is saved up to the failure and the case waits in ``error`` for a process owner's retry.

An incident names the failing task. SpiffWorkflow's task exceptions carry it; for anything else it is
the innermost ``my_task`` on the traceback (every task-spec method names the task it works on so).

Retrying must redo what failed, and every failing task is remembered for that (``wf._sf_redo``, kept
in the instance header until it is redone):

* a task that failed while it *ran* is left in ERROR by SpiffWorkflow; a retry runs it again. The
  façade's ``retry`` sets ERROR tasks READY, but finds them with ``get_tasks(state=ERROR)``, and
  SpiffWorkflow's task iterator never descends below a STARTED task for that state — a failed
  iteration of a loop or multi-instance task stays in ERROR. So once the case has no open incident
  (a retry resolved it), a remembered task still in ERROR is set READY here;
* a task can also fail while it is being *readied* — a timer whose expression fails, a multi-instance
  task whose input is not a list, a preScript: it stays FUTURE or WAITING, and running it would skip
  what failed. Such a task is put in ERROR here; once retried it is readied again (data given with the
  retry wins over what it inherits) and, if it failed while its parent was completing, the parent's
  completion is finished (its other children were never readied).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.deep_merge import DeepMerge

from engine.runtime.state import REDO_ATTR

log = logging.getLogger(__name__)

_NOT_RUN = TaskState.PREDICTED_MASK | TaskState.FUTURE | TaskState.WAITING | TaskState.READY
_UNREADIED = TaskState.PREDICTED_MASK | TaskState.FUTURE
_DONE = TaskState.COMPLETED | TaskState.CANCELLED  # (FINISHED_MASK includes ERROR)


def incident_for(wf: Any, exc: Exception) -> dict[str, Any]:
    """The incident row of a failure (task, BPMN id, error type, message, line), holding the task for retry."""
    task, completing = _failing_task(exc)
    if not isinstance(exc, SpiffWorkflowException):
        log.warning("SpiffWorkflow raised %s in a case; recorded as an incident", type(exc).__name__, exc_info=exc)
    if task is not None and task.state & _NOT_RUN:
        _hold_for_retry(wf, task, completing)
    elif task is not None and task.state == TaskState.ERROR:
        _remember(wf, task, "run", None)
    line = getattr(exc, "line_number", None)
    error_type = getattr(exc, "error_type", None)
    if not error_type or error_type == "unknown":  # Spiff says "unknown" when no Python error lies beneath
        error_type = type(exc).__name__
    message = str(exc).strip() if isinstance(exc, SpiffWorkflowException) else f"{type(exc).__name__}: {exc}"
    spec = task.task_spec if task is not None else None
    return {
        "t": str(task.id) if task is not None else None,
        "b": (getattr(spec, "bpmn_id", None) or spec.name) if spec is not None else None,
        "e": error_type,
        "m": message,
        "l": line if isinstance(line, int) and line > 0 else None,
    }


def _failing_task(exc: Exception) -> tuple[Any, Any]:
    """The task that failed and, if it failed while its parent was completing, that parent."""
    task = getattr(exc, "task", None)
    tb, frames = exc.__traceback__, []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    if not isinstance(task, SpiffTask):
        task = next(
            (f.f_locals["my_task"] for f in reversed(frames) if isinstance(f.f_locals.get("my_task"), SpiffTask)),
            None,
        )
    if task is None:
        return None, None
    parent = task.parent
    completing = any(
        f.f_code.co_name == "_on_complete" and f.f_locals.get("my_task") is parent for f in frames
    )  # the parent was readying its children when this one failed
    return task, parent if completing and parent is not None else None


def _hold_for_retry(wf: Any, task: Any, completing: Any) -> None:
    """Put a task that failed before it ran in ERROR, and remember to ready it again after a retry."""
    wf.top_workflow.event_manager.remove_task(task)  # a failed catch event must not be refreshed every step
    task._set_state(TaskState.ERROR)
    _remember(wf, task, "update", completing)


def _remember(wf: Any, task: Any, kind: str, completing: Any) -> None:
    redo = [e for e in getattr(wf, REDO_ATTR, None) or [] if e["t"] != str(task.id)]
    redo.append({"t": str(task.id), "k": kind, "p": str(completing.id) if completing is not None else None})
    setattr(wf, REDO_ATTR, redo)


def redo_retried(wf: Any, incident_open: Callable[[], bool]) -> None:
    """Redo the remembered failed tasks a retry released (see the module docstring).

    ``incident_open`` tells whether the case still has an open incident (asked only when a remembered
    task is still in ERROR): while it has, nothing is redone.
    """
    pending = list(getattr(wf, REDO_ATTR, None) or [])
    if not pending:
        return
    held: list[dict[str, Any]] = []
    setattr(wf, REDO_ATTR, held)
    released: bool | None = None
    while pending:
        entry = pending.pop(0)
        task = _find(wf, entry["t"])
        if task is None or task.state & _DONE:
            continue  # gone or done meanwhile (e.g. cancelled by a boundary event)
        if task.state == TaskState.ERROR:
            released = (not incident_open()) if released is None else released
            if not released:
                held.append(entry)  # not retried yet
                continue
        try:
            if entry.get("k") == "run":
                task._set_state(TaskState.READY)  # the engine (or the caseworker) runs it again
                continue
            _ready_again(task)
            parent = _find(wf, entry["p"]) if entry["p"] else None
            if parent is not None and parent.state == TaskState.COMPLETED:
                for child in parent.children:
                    if child is not task and child.state & _UNREADIED:
                        child.task_spec._update(child)
                parent.workflow._task_completed_notify(parent)
        except Exception:
            held.extend(pending)  # the failure is remembered again by incident_for; the rest stays held
            raise


def _find(wf: Any, task_id: str) -> Any:
    uid = UUID(task_id)
    if uid in wf.tasks:
        return wf.tasks[uid]
    return next((sp.tasks[uid] for sp in wf.subprocesses.values() if uid in sp.tasks), None)


def _ready_again(task: Any) -> None:
    """Update a task as its parent's completion would, keeping data it was given since it failed."""
    parent = task.parent
    own = {k: v for k, v in task.data.items() if parent is None or k not in parent.data or parent.data[k] != v}

    def inherit() -> None:
        task.data = DeepMerge.merge(task.data, parent.data) if parent is not None else task.data
        task.data.update(own)

    task._set_state(TaskState.FUTURE)
    task._inherit_data = inherit  # this one update only: corrections given with the retry win
    try:
        task.task_spec._update(task)
    finally:
        task.__dict__.pop("_inherit_data", None)
