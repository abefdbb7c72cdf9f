"""The engine façade: every operation a user, the web or a worker performs on processes.

Each command is one transaction: load → run SpiffWorkflow → write state, projections, audit →
commit, or roll back on any exception (see ``engine.runtime.instances``). Grants are checked here, in the engine,
for every command and query (``engine.accounts.authz``). A script or gateway failure *inside* the process is not
a rollback: the instance is saved up to the failing task, set to ``error`` with an incident naming the
task, message and line, and :meth:`ProcessEngine.retry` runs it again after a fix — so a caseworker's
completed work is never lost to a process owner's bug.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BpmnMessageDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.accounts.authz import Actor, load_actor
from engine.clock import Clock, SystemClock, install_spiff_clock, to_db_time, using_clock
from engine.definitions.forms import validate_form_data
from engine.definitions.versions import Definitions
from engine.errors import (
    ConflictError,
    InputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from engine.runtime import events
from engine.runtime.audit import AuditEvent
from engine.runtime.instances import INSTANCE_COLUMNS, InstanceStore, Live, LiveCache
from engine.runtime.state import PersistedIndex, StateCodec
from engine.runtime.steps import StepResult, StepRunner
from engine.sandbox.core import make_script_engine
from engine.sandbox.functions import script_functions
from engine.store.db import Database, Tx

log = logging.getLogger(__name__)


def _db_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.OperationalError, sqlite3.IntegrityError]
    with contextlib.suppress(ImportError):
        import psycopg

        errors += [
            psycopg.errors.SerializationFailure,
            psycopg.errors.UniqueViolation,
            psycopg.errors.DeadlockDetected,
            psycopg.errors.LockNotAvailable,
        ]
    return tuple(errors)


_CONFLICTS = _db_errors()


def _is_conflict(exc: BaseException) -> bool:
    """Lost races only: SQLite lock/busy and UNIQUE errors, PostgreSQL serialization/deadlock/unique/lock."""
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    if isinstance(exc, sqlite3.IntegrityError):
        return "UNIQUE" in str(exc)
    return isinstance(exc, _CONFLICTS)


def _is_data_error(exc: BaseException) -> bool:
    with contextlib.suppress(ImportError):
        import psycopg

        return isinstance(exc, psycopg.errors.DataError)
    return False


INSTANCE_ROW = ", ".join(f"i.{c.strip()}" for c in INSTANCE_COLUMNS.split(","))


class ProcessEngine:
    """Start, advance, query and operate process instances."""

    def __init__(
        self, db: Database, clock: Clock | None = None, *, cache_size: int = 2000, verify_state: bool = False
    ) -> None:
        install_spiff_clock()
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.definitions = Definitions(db, self.clock)
        self.codec = StateCodec()
        self.cache = LiveCache(cache_size)
        self.script_engine = make_script_engine(script_functions())
        self.store = InstanceStore(self.definitions, self.codec, self.cache, self.script_engine)
        self.verify_state = verify_state
        self.steps = StepRunner(self.codec, self.store, self.script_engine, self.clock)

    # -- plumbing -----------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _op(self, clock: Clock | None = None) -> Iterator[tuple[Tx, list[Live]]]:
        """One transaction with the engine clock active; cache live instances only after commit."""
        lives: list[Live] = []
        try:
            with using_clock(clock or self.clock), self.db.transaction() as tx:
                yield tx, lives
                events.route_outgoing(self, tx, lives)
                if self.verify_state:
                    for live in lives:
                        self.store.verify(tx, live)
        except BaseException as exc:
            for live in lives:  # a workflow the failed operation never ran still matches the database
                if not live.touched:
                    self.cache.put(live)
            if _is_conflict(exc):
                raise ConflictError(
                    "并发冲突：案件正被他人处理，请稍后重试",
                    "Concurrent update: the case is being changed by someone else",
                    db_error=str(exc),
                ) from exc
            if _is_data_error(exc):
                raise InputError("数据超出允许的长度或格式", "Data exceeds the allowed length or format") from exc
            raise
        for live in lives:
            live.touched = False
            self.cache.put(live)

    def actor(self, username: str) -> Actor:
        """Load a user with resolved grants."""
        with self.db.transaction(write=False) as tx:
            return load_actor(tx, username)

    def now(self) -> str:
        return to_db_time(self.clock.now()) or ""

    # -- running a step -----------------------------------------------------------------------------
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
        validate_form_data(None, data)
        with self._op() as (tx, lives):
            pv = self.definitions.startable(tx, process_key, version)
            if len(title or "") > 300 or len(business_key or "") > 100:
                raise InputError("标题不超过300字，业务编号不超过100字", "Title ≤ 300 and business key ≤ 100 chars")
            if organization_id is not None:  # an organization's case belongs to the organization's street
                org = tx.one("SELECT street_code FROM organizations WHERE id = :o", {"o": organization_id})
                if org is None:
                    raise InputError(f"组织不存在：#{organization_id}", f"No such organization: #{organization_id}")
                if street is not None and org[0] is not None and street != org[0]:
                    raise InputError("指定的街道与该组织所在街道不一致", "The street is not the organization's street")
                street = street or org[0]
            if street is None and organization_id is None:
                raise InputError("发起案件必须指定街道或组织", "A case needs a street or an organization")
            if not actor.holds(pv.start_role, street, organization_id):
                raise PermissionDeniedError(
                    f"您没有在该范围发起“{pv.name}”的权限（需要角色：{pv.start_role or '任一'}）",
                    f"You may not start '{pv.name}' here (role: {pv.start_role or 'any'})",
                )
            return self._start_version(tx, lives, pv, actor, street, organization_id, business_key, title, data)

    def _start_version(
        self,
        tx: Tx,
        lives: list[Live],
        pv: Any,
        actor: Actor,
        street: str | None,
        organization_id: int | None,
        business_key: str | None,
        title: str | None,
        data: dict[str, Any],
        start_message: tuple[str, dict[str, Any]] | None = None,
    ) -> StepResult:
        loaded = self.definitions.loaded(tx, pv.bundle_id)
        spec, subprocess_specs = loaded.spec(pv.process_key)
        now = self.now()
        title = title or (f"{pv.name} {business_key}" if business_key else pv.name)
        iid = self.store.insert(
            tx,
            version_id=pv.id,
            process_key=pv.process_key,
            business_key=business_key,
            title=title,
            street=street,
            organization_id=organization_id,
            started_by=actor.username,
            now=now,
        )
        mark = 0.0
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        live = Live(
            iid,
            pv.id,
            pv.process_key,
            business_key,
            title,
            street,
            organization_id,
            "running",
            0,
            0,
            "0" * 64,
            actor.username,
            wf,
            PersistedIndex(),
            loaded,
        )
        live.events.append(
            AuditEvent(
                "instance_started",
                actor.username,
                data={"process": pv.process_key, "version": pv.version, "data": data},
            )
        )
        start = wf.get_next_task(state=TaskState.READY)
        context = {
            **data,
            "case_id": iid,
            "business_key": business_key,
            "street": street,
            "organization_id": organization_id,
            "started_by": actor.username,
        }
        start.set_data(**context)

        action = None
        if start_message is not None:
            live.inbound[start_message[0]] = start_message[1]
            action = _start_on_message(*start_message)
        result = self.steps.advance(tx, live, actor, action, mark=mark)
        lives.append(live)
        return result

    def _human_task(self, tx: Tx, task_id: str, actor: Actor) -> tuple[Any, ...]:
        """Read a human task the actor may see, or raise NotFound (never reveal others' tasks).

        The row carries its instance's row after the task's nine columns (one query for both).
        """
        row = tx.one(
            "SELECT ht.id, ht.instance_id, ht.state, ht.role, ht.street_code, ht.organization_id, ht.assignee, "
            f"ht.form, ht.name, {INSTANCE_ROW} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
            "WHERE ht.id = :id",
            {"id": task_id},
        )
        if row is None or not (actor.may_see_place(row[4], row[5]) or row[6] == actor.username):
            raise NotFoundError(f"任务不存在或无权查看：{task_id}", f"No such task or not visible: {task_id}")
        return row

    def _check_actionable(self, row: tuple[Any, ...], actor: Actor) -> None:
        if row[2] != "READY":
            raise ConflictError(
                "该任务已被办理或已取消", "The task has already been completed or cancelled", task_id=row[0]
            )
        if not actor.may_act_on_task(row[3], row[4], row[5], row[6]):
            who = f"（已由 {row[6]} 认领）" if row[6] else ""
            raise PermissionDeniedError(f"您无权办理此任务{who}", "You may not work on this task", task_id=row[0])

    def _load_active(
        self,
        tx: Tx,
        instance_id: int,
        lives: list[Live],
        *,
        lock: bool = False,
        expected_lock_version: int | None = None,
        row: tuple[Any, ...] | None = None,
    ) -> Live:
        live = self.store.load(tx, row if row is not None else self.store.row(tx, instance_id, lock=lock))
        lives.append(live)
        if expected_lock_version is not None and expected_lock_version != live.lock_version:
            raise ConflictError("案件已被他人更新，请刷新后重试", "The case changed since you loaded it")
        if live.status == "suspended":
            raise InvalidStateError("案件已挂起，不能办理", "The case is suspended")
        if live.status in ("completed", "cancelled"):
            raise InvalidStateError("案件已结束", "The case has ended")
        return live

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
        with self._op() as (tx, lives):
            row = self._human_task(tx, task_id, actor)
            self._check_actionable(row, actor)
            live = self._load_active(tx, row[1], lives, expected_lock_version=expected_lock_version, row=row[9:])
            task = live.wf.get_task_from_id(UUID(task_id))
            if task is None or task.state != TaskState.READY or not task.task_spec.manual:
                raise ConflictError("该任务已被办理或已取消", "The task is no longer ready", task_id=task_id)
            validate_form_data(live.loaded.form(row[7]), data)
            live.events.append(AuditEvent("task_completed", actor.username, task_id, row[8], data))

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
        """Assign a task to a user who holds its role (leaders and process owners)."""
        return self._set_assignee(task_id, actor, assignee, "task_assigned")

    def _set_assignee(self, task_id: str, actor: Actor, assignee: str | None, event: str) -> StepResult:
        with self._op() as (tx, lives):
            row = self._human_task(tx, task_id, actor)
            if row[2] != "READY":
                raise ConflictError("该任务已被办理或已取消", "The task is no longer open", task_id=task_id)
            if event == "task_claimed":
                if row[6] is not None and row[6] != actor.username:
                    raise ConflictError(f"该任务已由 {row[6]} 认领", f"Already claimed by {row[6]}")
                self._check_actionable(row, actor)
            elif event == "task_unclaimed":
                if row[6] != actor.username and not actor.is_admin_for(row[4], row[5]):
                    raise PermissionDeniedError("只能退回自己认领的任务", "You can only unclaim your own task")
            else:
                if not (
                    actor.is_admin_for(row[4], row[5]) or actor.holds("街道领导", row[4], row[5]) or actor.is_system
                ):
                    raise PermissionDeniedError("您无权分派任务", "You may not assign tasks")
                target = load_actor(tx, str(assignee))
                if not target.holds(row[3], row[4], row[5]):
                    raise InputError(f"用户 {assignee} 不具有角色“{row[3]}”", f"{assignee} lacks role {row[3]}")
            live = self._load_active(tx, row[1], lives)
            live.events.append(AuditEvent(event, actor.username, task_id, row[8], {"assignee": assignee}))
            tx.execute(
                "UPDATE human_tasks SET assignee = :a, claimed_at = :t WHERE id = :id",
                {"a": assignee, "t": self.now() if assignee else None, "id": task_id},
            )
            return self.steps.advance(tx, live, actor, None, status=live.status)

    def cancel(self, instance_id: int, actor: Actor, reason: str = "") -> StepResult:
        """Cancel a case: open tasks are cancelled, timers and subscriptions removed."""
        with self._op() as (tx, lives):
            live = self._operable(tx, instance_id, actor, lives)
            live.events.append(AuditEvent("instance_cancelled", actor.username, data={"reason": reason}))
            return self.steps.advance(tx, live, actor, lambda wf: wf.cancel(), status="cancelled")

    def suspend(self, instance_id: int, actor: Actor, reason: str = "") -> StepResult:
        """Suspend a case: nothing may be completed and no timer fires until it is resumed."""
        with self._op() as (tx, lives):
            live = self._operable(tx, instance_id, actor, lives)
            if live.status == "suspended":
                raise InvalidStateError("案件已处于挂起状态", "The case is already suspended")
            live.events.append(
                AuditEvent("instance_suspended", actor.username, data={"reason": reason, "previous": live.status})
            )
            return self.steps.advance(tx, live, actor, None, status="suspended")

    def resume(self, instance_id: int, actor: Actor) -> StepResult:
        """Resume a suspended case; timers that fell due meanwhile fire now (an open incident stays open)."""
        with self._op() as (tx, lives):
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
        with self._op() as (tx, lives):
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
                for task in wf.get_tasks(state=TaskState.ERROR):
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

    # -- events from outside (engine.runtime.events): messages and the timer worker ---------------------------
    send_message = events.send_message
    fire_due_timers = events.fire_due_timers


def _start_on_message(name: str, payload: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    """Start a new workflow through its message start event ``name`` only.

    A process may have a none start event too; running the engine first would start the case through
    it. So the hidden start tasks are run by hand up to the start events, every start event other
    than this message's is cancelled, and the message is delivered.
    """

    def action(wf: BpmnWorkflow) -> None:
        for _ in range(5):
            task = wf.get_next_task(state=TaskState.READY)
            if task is None or isinstance(task.task_spec, StartEvent):
                break
            task.run()
        for task in wf.get_tasks(spec_class=StartEvent):
            definition = task.task_spec.event_definition
            if not (isinstance(definition, BpmnMessageDefinition) and definition.name == name):
                task.cancel()
        wf.send_event(BpmnEvent(MessageEventDefinition(name), payload, {}))

    return action
