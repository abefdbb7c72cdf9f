"""Moving one live workflow onto the specs of a newer version, or saying why it cannot move.

Shared by the dry run and the migration (:mod:`engine.runtime.migration`, whose docstring gives the
policy). SpiffWorkflow's ``SpecDiff`` aligns the old task specs with the new, ``WorkflowDiff`` finds the
case's tasks whose spec changed or was removed, and ``migrate_workflow`` re-points the tasks and resets
the ready and waiting branches; this module decides what is unsafe, keeps what the reset would lose
without reason (data, unchanged timers' due times, the last task), and checks the result.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow

from engine.definitions.versions import LoadedSpec, ProcessVersion
from engine.errors import EngineError, InvalidStateError

# Spec attributes that only shaped how a step ran, not where the case went after it: once the step is done,
# a change to them (a new timer duration, an edited script or form) does not make its history wrong.
# Anything else (inputs, outputs, gateway conditions, the type, a called process) blocks the move.
HISTORY_ONLY = frozenset(
    {
        "bpmn_name",
        "documentation",
        "lane",
        "extensions",
        "description",
        "event_definition",
        "script",
        "prescript",
        "postscript",
        "manual",
        "data_input_associations",
        "data_output_associations",
        "io_specification",
    }
)
_WORKED = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR | TaskState.CANCELLED
_CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
_RESET = TaskState.READY | TaskState.WAITING


class MigrationRefused(InvalidStateError):
    """This case cannot move to the new version (the reason is the message)."""

    code = "migration_refused"


class _SpecDiff(SpecDiff):
    """SpiffWorkflow's spec diff with ``changed`` and ``removed`` computed once.

    ``WorkflowDiff`` reads both properties for every task of a case, and SpiffWorkflow rebuilds them
    on every read; the diff of two specs is fixed once built, so one diff serves every case of a run.
    """

    @cached_property
    def changed(self) -> dict[Any, list[str]]:
        return dict(SpecDiff.changed.fget(self))

    @cached_property
    def removed(self) -> list[Any]:
        return list(SpecDiff.removed.fget(self))


class SpecTarget:
    """The new version's specs and a cache of spec diffs against the old ones (computed once per run)."""

    def __init__(self, registry: Any, pv: ProcessVersion, loaded: LoadedSpec) -> None:
        self.registry = registry
        self.pv = pv
        self.loaded = loaded
        self.spec, self.subprocess_specs = loaded.spec(pv.process_key)
        self._diffs: dict[tuple[int, int], SpecDiff] = {}

    def spec_diff(self, old: Any, new: Any) -> SpecDiff:
        key = (id(old), id(new))
        hit = self._diffs.get(key)
        if hit is None:
            hit = self._diffs[key] = _SpecDiff(self.registry, old, new)
        return hit


def migrate_case(wf: Any, target: SpecTarget) -> list[str]:
    """Move a live workflow onto the target specs or raise :class:`MigrationRefused`; return reset steps."""
    top_diff = WorkflowDiff(wf, target.spec_diff(wf.spec, target.spec))
    sp_diffs: dict[Any, tuple[WorkflowDiff, Any]] = {}
    for sp_id, sp in wf.subprocesses.items():
        new_sp = target.subprocess_specs.get(sp.spec.name)
        if new_sp is None:
            raise MigrationRefused(
                f"调用的流程“{sp.spec.name}”在新版本中不存在",
                f"The called process '{sp.spec.name}' is not in the new version",
            )
        sp_diffs[sp_id] = (WorkflowDiff(sp, target.spec_diff(sp.spec, new_sp)), new_sp)
    for diff in [top_diff, *(d for d, _s in sp_diffs.values())]:
        refuse_unsafe(diff, target)
    kept = _kept_values(wf, [top_diff, *(d for d, _s in sp_diffs.values())])
    reset = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in wf.get_tasks(state=_RESET)})
    # migrate_workflow tests ``last_task not in workflow.tasks`` (a Task against UUID keys: always true) and so
    # always forgets the last task; it is put back below when that task survived the reset
    last = {w: w.last_task.id for w in [wf, *wf.subprocesses.values()] if w.last_task is not None}
    try:
        migrate_workflow(top_diff, wf, target.spec)
        for sp_id, (diff, new_sp) in sp_diffs.items():
            migrate_workflow(diff, wf.subprocesses[sp_id], new_sp)
        wf.subprocess_specs = target.subprocess_specs
    except EngineError:
        raise
    except Exception as exc:  # e.g. a new timer expression that does not evaluate on this case's data
        raise MigrationRefused(
            f"在新版本上重新安排当前步骤失败：{type(exc).__name__}：{str(exc)[:200]}",
            f"Re-arming the current steps on the new version failed: {type(exc).__name__}: {str(exc)[:200]}",
        ) from exc
    _restore_kept(wf, kept)
    for w, task_id in last.items():
        w.last_task = w.tasks.get(task_id)
    check_migrated(wf, target)
    return reset


def refuse_unsafe(diff: WorkflowDiff, target: SpecTarget) -> None:
    """Raise :class:`MigrationRefused` when the case's history or current steps do not fit the new version."""
    for task in diff.removed:
        name = task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name
        if task.state & _CURRENT:
            raise MigrationRefused(
                f"案件当前所在的步骤“{name}”在新版本中已删除",
                f"The current step '{name}' was removed in the new version",
            )
        if task.state & _WORKED:
            raise MigrationRefused(
                f"案件已办理的步骤“{name}”在新版本中已删除",
                f"The completed step '{name}' was removed in the new version",
            )
    for task in diff.changed:
        if not task.state & (TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR):
            continue
        attrs = [a for a in _changed_attrs(task, target) if a not in HISTORY_ONLY]
        if attrs:
            name = task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name
            raise MigrationRefused(
                f"案件已办理的步骤“{name}”在新版本中有改动（{'、'.join(attrs)}），其办理路径可能不再成立",
                f"The completed step '{name}' changed in the new version ({', '.join(attrs)})",
            )


def _changed_attrs(task: Any, target: SpecTarget) -> list[str]:
    for spec_diff in target._diffs.values():
        attrs = spec_diff.changed.get(task.task_spec)
        if attrs is not None:
            return list(attrs)
    return []


def _kept_values(wf: Any, diffs: list[WorkflowDiff]) -> dict[Any, tuple[dict[str, Any], dict[str, Any] | None]]:
    """Data (and, for unchanged specs, timer values) of the tasks the reset will re-predict."""
    changed = {t.id for d in diffs for t in d.changed}
    return {
        t.id: (dict(t.data), None if t.id in changed else dict(t.internal_data)) for t in wf.get_tasks(state=_RESET)
    }


def _restore_kept(wf: Any, kept: dict[Any, tuple[dict[str, Any], dict[str, Any] | None]]) -> None:
    for task in wf.get_tasks(state=_RESET):
        values = kept.get(task.id)
        if values is None:
            continue
        task.data = values[0]
        if values[1] is not None:
            task.internal_data = values[1]


def check_migrated(wf: Any, target: SpecTarget) -> None:
    """Every task of the case must now run on a spec of the new version."""
    workflows = [
        (wf, target.spec),
        *((sp, target.subprocess_specs.get(sp.spec.name)) for sp in wf.subprocesses.values()),
    ]
    for w, spec in workflows:
        for task in w.tasks.values():
            if spec is None or spec.task_specs.get(task.task_spec.name) is not task.task_spec:
                name = task.task_spec.bpmn_name or task.task_spec.name
                raise MigrationRefused(
                    f"迁移后步骤“{name}”在新版本中找不到对应的定义", f"After migration, step '{name}' has no definition"
                )


def current_steps(wf: Any) -> tuple[str, ...]:
    """Names of the steps a case is at (ready or waiting), for the report."""
    return tuple(
        sorted({t.task_spec.bpmn_name or t.task_spec.bpmn_id or t.task_spec.name for t in wf.get_tasks(state=_CURRENT)})
    )
