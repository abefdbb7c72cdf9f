"""The engine façade: every operation a user, the web or a worker performs on processes.

Each command is one transaction: load → run SpiffWorkflow → write state, projections, audit →
commit, or roll back on any exception (see :mod:`engine.runtime.core`). Grants are checked here, in
the engine, for every command and query (:mod:`engine.accounts.authz`). A script or gateway failure
*inside* the process is not a rollback: the instance is saved up to the failing task, set to ``error``
with an incident naming the task, message and line, and :meth:`ProcessEngine.retry` runs it again
after a fix — so a caseworker's completed work is never lost to a process owner's bug.

Time is honest: at every command on a case, timers already due at the command's time fire first, in
their own saved step. If that removes the task the caller acts on (a deadline passed while no timer
worker ran), the timer's step is committed and the caller gets a :class:`ConflictError` naming the
deadline; nothing of the late action is stored.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.accounts.authz import SYSTEM, Actor, load_actor
from engine.clock import Clock
from engine.definitions.compare import VersionComparison, compare_versions
from engine.definitions.forms import check_submission, validate_against_form
from engine.definitions.versions import called_only
from engine.errors import (
    ConflictError,
    DeadlinePassedError,
    InputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from engine.runtime import events, taskdata
from engine.runtime.audit import AuditEvent
from engine.runtime.core import Runtime, StartRequest, refuse_reserved, refuse_unless_comment, start_form_name
from engine.runtime.instances import InstanceRow, Live
from engine.runtime.migration import (
    CaseOnVersion,
    MigrationReport,
    Migrator,
    Progress,
    cases_on_version,
    require_owner,
)
from engine.runtime.steps import StepResult
from engine.store.db import Database, Tx

_INSTANCE_SELECT = ", ".join(f"i.{c}" for c in InstanceRow._fields)


class HumanTaskRow(NamedTuple):
    """A ``human_tasks`` row as the commands read it."""

    id: str
    instance_id: int
    state: str
    role: str | None
    street_code: str | None
    organization_id: int | None
    assignee: str | None
    form: str | None
    name: str


_TASK_SELECT = ", ".join(f"ht.{c}" for c in HumanTaskRow._fields)
_TASK_WIDTH = len(HumanTaskRow._fields)


class ProcessEngine(Runtime):
    """Start, advance, query and operate process instances."""

    def __init__(
        self, db: Database, clock: Clock | None = None, *, cache_size: int = 2000, verify_state: bool = False
    ) -> None:
        super().__init__(
            db, clock, cache_size=cache_size, verify_state=verify_state, before_commit=events.route_outgoing
        )

    # -- commands -----------------------------------------------------------------------------------
    def start(
        self,
        process_key: str,
        actor: Actor,
        *,
        street: str | None = None,
        organization_id: int | None = None,
        business_key: str | None = None,
        title: str | None = None,
        data: dict[str, Any] | None = None,
        version: int | None = None,
    ) -> StepResult:
        """Start a case on the latest published version (or ``version``) in a street or organization."""
        data = dict(data or {})
        check_submission(data)
        refuse_reserved(data)
        with self.operation() as (tx, lives):
            pv = self.definitions.startable(tx, process_key, version)
            loaded = self.definitions.loaded(tx, pv.bundle_id)
            spec = loaded.spec(pv.process_key)[0]
            if called_only(spec):
                raise InvalidStateError(
                    f"“{pv.name}”是其他流程调用的环节，不能单独发起",
                    f"'{pv.name}' is a level called by another process and cannot be started on its own",
                )
            start_form = loaded.form(start_form_name(spec))
            validate_against_form(start_form, data) if start_form is not None else refuse_unless_comment(data)
            if len(title or "") > 300 or len(business_key or "") > 100:
                raise InputError("标题不超过300字，业务编号不超过100字", "Title ≤ 300 and business key ≤ 100 chars")
            street = self.place_of(tx, street, organization_id)
            if not actor.holds(pv.start_role, street, organization_id):
                raise PermissionDeniedError(
                    f"您没有在该范围发起“{pv.name}”的权限（需要角色：{pv.start_role or '任一'}）",
                    f"You may not start '{pv.name}' here (role: {pv.start_role or 'any'})",
                )
            req = StartRequest(actor, street, organization_id, business_key, title, data)
            return self.start_version(tx, lives, pv, req)

    def _human_task(self, tx: Tx, task_id: str, actor: Actor) -> tuple[HumanTaskRow, InstanceRow]:
        """Read a human task the actor may see and its case, or raise NotFound (never reveal others' tasks)."""
        row = tx.one(
            f"SELECT {_TASK_SELECT}, {_INSTANCE_SELECT} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
            "WHERE ht.id = :id",
            {"id": task_id},
        )
        if row is not None:
            task = HumanTaskRow(*row[:_TASK_WIDTH])
            if actor.may_see_place(task.street_code, task.organization_id) or task.assignee == actor.username:
                return task, InstanceRow(*row[_TASK_WIDTH:])
        raise NotFoundError(f"任务不存在或无权查看：{task_id}", f"No such task or not visible: {task_id}")

    @staticmethod
    def _check_actionable(task: HumanTaskRow, actor: Actor) -> None:
        if task.state != "READY":
            raise ConflictError(
                "该任务已被办理或已取消", "The task has already been completed or cancelled", task_id=task.id
            )
        if not actor.may_act_on_task(task.role, task.street_code, task.organization_id, task.assignee):
            who = f"（已由 {task.assignee} 认领）" if task.assignee else ""
            raise PermissionDeniedError(f"您无权办理此任务{who}", "You may not work on this task", task_id=task.id)

    def _timers_first(self, tx: Tx, live: Live, task: HumanTaskRow) -> None:
        """Fire the timers due at this command's time before the command acts on ``task``.

        The timers' step is saved; if it leaves the task no longer ready, :class:`DeadlinePassedError`
        is raised — the operation commits the timers' step and nothing of the caller's action.
        """
        if not live.timer_due(self.now()):
            return
        result = self.steps.advance(tx, live, SYSTEM, None)
        spiff_task = live.wf.get_task_from_id(UUID(task.id))
        if spiff_task is None or spiff_task.state != TaskState.READY:
            names = "、".join(result.fired) or "办理期限"
            raise DeadlinePassedError(
                f"期限已过：“{names}”已到期并已处理，“{task.name}”不能再办理，本次操作未保存",
                f"Deadline passed: '{names}' fell due and was handled; '{task.name}' can no longer be worked on; "
                "nothing of this action was saved",
                task_id=task.id,
                deadlines=list(result.fired),
            )

    def complete(
        self,
        task_id: str,
        actor: Actor,
        data: dict[str, Any] | None = None,
        *,
        expected_lock_version: int | None = None,
    ) -> StepResult:
        """Complete a human task with form data (validated against its form)."""
        data = dict(data or {})
        check_submission(data)
        refuse_reserved(data)
        with self.operation() as (tx, lives):
            task_row, case_row = self._human_task(tx, task_id, actor)
            self._check_actionable(task_row, actor)
            live = self.load_active(
                tx, task_row.instance_id, lives, expected_lock_version=expected_lock_version, row=case_row
            )
            form = live.loaded.form(task_row.form)
            validate_against_form(form, data) if form is not None else refuse_unless_comment(data)
            self._timers_first(tx, live, task_row)
            task = live.wf.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.READY or not task.task_spec.manual:
                raise ConflictError("该任务已被办理或已取消", "The task is no longer ready", task_id=task_id)
            _refuse_read_only_changes(form, data, task.data)
            live.events.append(AuditEvent("task_completed", actor.username, task_id, task_row.name, data))

            def run(_wf: BpmnWorkflow) -> None:
                task.set_data(**data)
                task.run()

            return self.steps.advance(tx, live, actor, run)

    def claim(self, task_id: str, actor: Actor) -> StepResult:
        """Take a task as one's own so that other candidates no longer see it as open."""
        return self._set_assignee(task_id, actor, actor.username, "task_claimed")

    def unclaim(self, task_id: str, actor: Actor) -> StepResult:
        """Give a claimed task back to its candidates."""
        return self._set_assignee(task_id, actor, None, "task_unclaimed")

    def assign(self, task_id: str, actor: Actor, assignee: str) -> StepResult:
        """Assign a task to a user who holds its role (process owners and supervisors)."""
        return self._set_assignee(task_id, actor, assignee, "task_assigned")

    def _set_assignee(self, task_id: str, actor: Actor, assignee: str | None, event: str) -> StepResult:
        with self.operation() as (tx, lives):
            task, case_row = self._human_task(tx, task_id, actor)
            if task.state != "READY":
                raise ConflictError("该任务已被办理或已取消", "The task is no longer open", task_id=task_id)
            place = (task.street_code, task.organization_id)
            if event == "task_claimed":
                if task.assignee is not None and task.assignee != actor.username:
                    raise ConflictError(f"该任务已由 {task.assignee} 认领", f"Already claimed by {task.assignee}")
                self._check_actionable(task, actor)
            elif event == "task_unclaimed":
                if task.assignee != actor.username and not actor.is_admin_for(*place):
                    raise PermissionDeniedError("只能退回自己认领的任务", "You can only unclaim your own task")
            else:
                if not (actor.is_supervisor_for(*place) or actor.is_system):
                    raise PermissionDeniedError("您无权分派任务", "You may not assign tasks")
                target = load_actor(tx, str(assignee))
                if task.role is None or not target.holds(task.role, *place):
                    raise InputError(f"用户 {assignee} 不具有角色“{task.role}”", f"{assignee} lacks role {task.role}")
            live = self.load_active(tx, task.instance_id, lives, row=case_row)
            self._timers_first(tx, live, task)
            live.events.append(AuditEvent(event, actor.username, task_id, task.name, {"assignee": assignee}))
            tx.execute(
                "UPDATE human_tasks SET assignee = :a, claimed_at = :t WHERE id = :id",
                {"a": assignee, "t": self.now() if assignee else None, "id": task_id},
            )
            return self.steps.advance(tx, live, actor, None, status=live.status)

    def cancel(self, instance_id: int, actor: Actor, reason: str = "") -> StepResult:
        """Cancel a case: open tasks are cancelled, timers and subscriptions removed."""
        with self.operation() as (tx, lives):
            live = self._operable(tx, instance_id, actor, lives)
            live.events.append(AuditEvent("instance_cancelled", actor.username, data={"reason": reason}))
            return self.steps.advance(tx, live, actor, lambda wf: wf.cancel(), status="cancelled")

    def suspend(self, instance_id: int, actor: Actor, reason: str = "") -> StepResult:
        """Suspend a case: nothing may be completed and no timer fires until it is resumed."""
        with self.operation() as (tx, lives):
            live = self._operable(tx, instance_id, actor, lives)
            if live.status == "suspended":
                raise InvalidStateError("案件已处于挂起状态", "The case is already suspended")
            live.events.append(
                AuditEvent("instance_suspended", actor.username, data={"reason": reason, "previous": live.status})
            )
            return self.steps.advance(tx, live, actor, None, status="suspended")

    def resume(self, instance_id: int, actor: Actor) -> StepResult:
        """Resume a suspended case; timers that fell due meanwhile fire now (an open incident stays open)."""
        with self.operation() as (tx, lives):
            live = self.store.load(tx, self.store.row(tx, instance_id))
            lives.append(live)
            self._require_admin(live, actor)
            if live.status != "suspended":
                raise InvalidStateError("案件未挂起", "The case is not suspended")
            live.events.append(AuditEvent("instance_resumed", actor.username))
            open_incident = tx.scalar(
                "SELECT 1 FROM incidents WHERE instance_id = :i AND resolved_at IS NULL", {"i": instance_id}
            )
            live.status = "error" if open_incident else "running"
            return self.steps.advance(tx, live, actor, None)

    def retry(self, instance_id: int, actor: Actor, data: dict[str, Any] | None = None) -> StepResult:
        """Run the failed step of a case in error again, optionally with corrected data."""
        check_submission(data or {})
        refuse_reserved(data or {})
        with self.operation() as (tx, lives):
            live = self._operable(tx, instance_id, actor, lives)
            if live.status != "error":
                raise InvalidStateError("案件没有待处理的故障", "The case has no open incident")
            incident = tx.one(
                "SELECT id, task_id FROM incidents WHERE instance_id = :i AND resolved_at IS NULL "
                "ORDER BY id DESC LIMIT 1",
                {"i": instance_id},
            )
            tx.execute(
                "UPDATE incidents SET resolved_at = :t, resolved_by = :a WHERE instance_id = :i "
                "AND resolved_at IS NULL",
                {"t": self.now(), "a": actor.username, "i": instance_id},
            )
            live.status = "running"  # the open incidents are resolved above: this step decides anew
            live.events.append(
                AuditEvent(
                    "incident_retried",
                    actor.username,
                    incident[1] if incident else None,
                    data={"data": data or {}},
                )
            )

            def rerun(wf: BpmnWorkflow) -> None:
                # every task table, not get_tasks(): its iterator does not descend below a STARTED
                # parent, where a failed loop or multi-instance iteration sits
                failed = [t for w in (wf, *wf.subprocesses.values()) for t in w.tasks.values()]
                for task in [t for t in failed if t.state == TaskState.ERROR]:
                    if data:
                        task.set_data(**data)
                    task._set_state(TaskState.READY)
                if data and incident and incident[1]:
                    failed = wf.get_task_from_id(UUID(incident[1]))
                    if failed is not None and failed.state != TaskState.READY:
                        failed.set_data(**data)

            return self.steps.advance(tx, live, actor, rerun)

    def _operable(self, tx: Tx, instance_id: int, actor: Actor, lives: list[Live]) -> Live:
        live = self.store.load(tx, self.store.row(tx, instance_id))
        lives.append(live)
        self._require_admin(live, actor)
        if live.status in ("completed", "cancelled"):
            raise InvalidStateError("案件已结束", "The case has ended")
        return live

    @staticmethod
    def _require_admin(live: Live, actor: Actor) -> None:
        if not actor.may_see_place(live.street, live.organization_id):
            raise NotFoundError(f"案件不存在或无权查看：#{live.id}", f"No such case or not visible: #{live.id}")
        if not actor.is_admin_for(live.street, live.organization_id):
            raise PermissionDeniedError("只有流程管理员可以执行此操作", "Only process owners may do this")

    # -- events from outside (engine.runtime.events): messages and the timer worker ---------------------
    send_message = events.send_message
    fire_due_timers = events.fire_due_timers

    # -- process owners: compare versions, migrate running cases (engine.runtime.migration) ----------------
    def compare_versions(self, process_key: str, old: int, new: int, actor: Actor) -> VersionComparison:
        """Elements added, removed and changed between two versions of a process (process owners only)."""
        require_owner(actor)
        with self.db.transaction(write=False) as tx:
            return compare_versions(self.definitions, tx, process_key, old, new)

    def cases_on_version(
        self, process_key: str, version: int, actor: Actor, *, status: str | None = None, street: str | None = None
    ) -> list[CaseOnVersion]:
        """The not-ended cases of a version a process owner may migrate (to select from)."""
        with self.db.transaction(write=False) as tx:
            return cases_on_version(tx, actor, process_key, version, status=status, street=street)

    def migrate(
        self,
        process_key: str,
        from_version: int,
        to_version: int,
        actor: Actor,
        *,
        case_ids: list[int] | None = None,
        dry_run: bool = False,
        batch_size: int = 100,
        progress: Progress | None = None,
    ) -> MigrationReport:
        """Dry-run or migrate running cases to a newer published version, each case in its own transaction."""
        return Migrator(self).run(
            process_key,
            from_version,
            to_version,
            actor,
            case_ids=case_ids,
            dry_run=dry_run,
            batch_size=batch_size,
            progress=progress,
        )

    # -- reads of workflow data ---------------------------------------------------------------------------
    def task_values(self, task_id: str, actor: Actor, keys: list[str]) -> dict[str, Any]:
        """What the case holds at a task the actor may see, for ``keys`` (a form's fields); writes nothing."""
        with self.db.transaction(write=False) as tx:
            _task, case_row = self._human_task(tx, task_id, actor)
            return taskdata.task_values(self.store, tx, case_row, task_id, keys)


def _refuse_read_only_changes(form: dict[str, Any] | None, data: dict[str, Any], current: dict[str, Any]) -> None:
    """A form's top-level ``readOnly`` fields show the case's values: a payload may repeat them, not change them."""
    props = (form or {}).get("properties") or {}
    changed = sorted(
        k
        for k, node in props.items()
        if isinstance(node, dict) and node.get("readOnly") is True and k in data and data[k] != current.get(k)
    )
    if changed:
        raise InputError(
            f"以下字段为只读，不能修改：{'、'.join(changed)}",
            f"These fields are read-only and cannot be changed: {', '.join(changed)}",
            fields=changed,
        )
