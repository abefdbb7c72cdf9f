"""The runtime core: one operation = one transaction around live instances.

:class:`Runtime` owns what every command and every outside event shares — the database, the clock,
the definitions, the state codec, the live-workflow cache, the sandboxed script engine, the instance
store and the step runner — and three primitives built on them:

* :meth:`Runtime.operation` — a transaction with the engine clock active; live instances are put
  back in the cache only after a commit, and database races become :class:`ConflictError`;
* :meth:`Runtime.start_version` — create a case on a process version and run it to its first wait;
* :meth:`Runtime.load_active` — load a case that may still be worked on.

The façade (:mod:`engine.facade`) adds the user commands; :mod:`engine.runtime.events` adds messages
and timers. Both depend on this module, never on each other: the façade hands the message router to
the runtime as its ``before_commit`` hook, so routing thrown messages needs no import of the façade.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.accounts.authz import Actor, load_actor
from engine.clock import Clock, SystemClock, install_spiff_clock, to_db_time, using_clock
from engine.definitions.versions import Definitions
from engine.errors import (
    ConflictError,
    DeadlinePassedError,
    EngineError,
    InputError,
    InternalError,
    InvalidStateError,
)
from engine.runtime.audit import AuditEvent
from engine.runtime.instances import InstanceRow, InstanceStore, Live, LiveCache
from engine.runtime.state import PersistedIndex, StateCodec
from engine.runtime.steps import StepResult, StepRunner
from engine.runtime.timer_guard import install_timer_guard
from engine.sandbox.core import make_script_engine
from engine.sandbox.functions import script_functions
from engine.store.db import Database, Tx

log = logging.getLogger(__name__)

BeforeCommit = Callable[["Runtime", Tx, list[Live]], None]


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


def _translate(exc: BaseException) -> EngineError | None:
    """The engine error a failed operation reports, or None to re-raise ``exc`` unchanged."""
    if isinstance(exc, EngineError | AssertionError) or not isinstance(exc, Exception):
        return None  # engine errors as they are; verify_state's AssertionError and interrupts untouched
    if _is_conflict(exc):
        return ConflictError(
            "并发冲突：案件正被他人处理，请稍后重试",
            "Concurrent update: the case is being changed by someone else",
            db_error=str(exc),
        )
    if _is_data_error(exc):
        return InputError("数据超出允许的长度或格式", "Data exceeds the allowed length or format")
    log.error("operation failed and was rolled back", exc_info=exc)
    return InternalError(
        f"内部错误，操作已撤销，未保存任何更改（{type(exc).__name__}）",
        f"Internal error; the operation was rolled back and nothing was saved ({type(exc).__name__})",
        error_type=type(exc).__name__,
    )


# Keys the engine itself puts into case data: a payload (start data, a completed form, retry data) may not
# set them, else a caller could re-scope a case (caseOrganizationUscc), impersonate a starter or forge a
# link to another case. Names of script helpers are reserved too: a data key would shadow the function.
ENGINE_KEYS = frozenset(
    {"case_id", "business_key", "street", "organization_id", "started_by", "caseOrganizationUscc", "parentCaseId"}
)


@functools.cache
def _helper_names() -> frozenset[str]:
    return frozenset(script_functions())


def reserved_keys(data: dict[str, Any]) -> list[str]:
    """The keys of ``data`` that callers may not set."""
    helpers = _helper_names()
    return sorted(k for k in data if k in ENGINE_KEYS or k in helpers)


def refuse_reserved(data: dict[str, Any]) -> None:
    """Raise :class:`InputError` when a payload sets a key the engine reserves."""
    bad = reserved_keys(data)
    if bad:
        raise InputError(
            f"以下字段由系统维护，不能提交：{'、'.join(bad)}",
            f"These fields are maintained by the system and cannot be submitted: {', '.join(bad)}",
            fields=bad,
        )


MAX_COMMENT = 2000


def refuse_unless_comment(data: dict[str, Any]) -> None:
    """Without a form, a payload may carry only a comment: every task and start has a schema, if only this one."""
    extra = sorted(k for k in data if k != "comment")
    if extra:
        raise InputError(
            f"此环节没有表单，只能提交备注（comment）；多余的字段：{'、'.join(extra)}",
            f"This step has no form and accepts only a comment; unexpected fields: {', '.join(extra)}",
            fields=extra,
        )
    comment = data.get("comment", "")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise InputError(
            f"备注必须是不超过 {MAX_COMMENT} 字的文字", f"The comment must be text of at most {MAX_COMMENT} characters"
        )


def start_form_name(spec: Any) -> str | None:
    """The form of a process's none start event (spiff-arena's formJsonSchemaFilename property), if any."""
    from SpiffWorkflow.bpmn.specs.defaults import StartEvent

    for task_spec in spec.task_specs.values():
        if not isinstance(task_spec, StartEvent):
            continue
        definition = getattr(task_spec, "event_definition", None)
        if definition is None or type(definition).__name__ == "NoneEventDefinition":
            props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            if props.get("formJsonSchemaFilename"):
                return str(props["formJsonSchemaFilename"])
    return None


class StartRequest(NamedTuple):
    """Where and by whom a case starts (the version is chosen by the caller)."""

    actor: Actor
    street: str | None
    organization_id: int | None
    business_key: str | None = None
    title: str | None = None
    data: dict[str, Any] | None = None
    start_message: tuple[str, dict[str, Any]] | None = None


class Runtime:
    """Transactions, loading and starting — shared by the façade's commands and the outside events."""

    def __init__(
        self,
        db: Database,
        clock: Clock | None = None,
        *,
        cache_size: int = 2000,
        verify_state: bool = False,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        install_spiff_clock()
        install_timer_guard()
        self.db = db
        self.clock: Clock = clock or SystemClock()
        self.definitions = Definitions(db, self.clock)
        self.codec = StateCodec()
        self.cache = LiveCache(cache_size)
        self.script_engine = make_script_engine(script_functions())
        self.store = InstanceStore(self.definitions, self.codec, self.cache, self.script_engine)
        self.verify_state = verify_state
        self.steps = StepRunner(self.codec, self.store, self.script_engine, self.clock)
        self.before_commit = before_commit

    @contextlib.contextmanager
    def operation(self, clock: Clock | None = None) -> Iterator[tuple[Tx, list[Live]]]:
        """One transaction with the engine clock active; cache live instances only after commit.

        Whatever escapes is an :class:`EngineError`: database races become :class:`ConflictError`,
        values the database refuses become :class:`InputError`, and anything else — a defect, never
        the caller's fault — is logged with its traceback and reported as an internal error, after the
        rollback, so no caller ever sees a raw Python exception.
        """
        lives: list[Live] = []
        deferred: DeadlinePassedError | None = None
        try:
            with using_clock(clock or self.clock), self.db.transaction() as tx:
                try:
                    yield tx, lives
                except DeadlinePassedError as late:  # commit the timers' step, refuse the late action
                    deferred = late
                    for live in lives:
                        live.events = []
                if self.before_commit is not None:
                    self.before_commit(self, tx, lives)
                if self.verify_state:
                    for live in lives:
                        self.store.verify(tx, live)
        except BaseException as exc:
            for live in lives:  # a workflow the failed operation never ran still matches the database
                if not live.touched:
                    self.cache.put(live)
            translated = _translate(exc)
            if translated is None:
                raise
            raise translated from exc
        for live in lives:
            live.touched = False
            self.cache.put(live)
        if deferred is not None:
            raise deferred

    def actor(self, username: str) -> Actor:
        """Load a user with resolved grants."""
        with self.db.transaction(write=False) as tx:
            return load_actor(tx, username)

    def now(self) -> str:
        return to_db_time(self.clock.now()) or ""

    @staticmethod
    def place_of(tx: Tx, street: str | None, organization_id: int | None) -> str | None:
        """The street of a new case: an organization's case belongs to the organization's street."""
        if organization_id is not None:
            org = tx.one("SELECT street_code FROM organizations WHERE id = :o", {"o": organization_id})
            if org is None:
                raise InputError(f"组织不存在：#{organization_id}", f"No such organization: #{organization_id}")
            if street is not None and org[0] is not None and street != org[0]:
                raise InputError("指定的街道与该组织所在街道不一致", "The street is not the organization's street")
            street = street or org[0]
        if street is None and organization_id is None:
            raise InputError("发起案件必须指定街道或组织", "A case needs a street or an organization")
        return street

    def start_version(self, tx: Tx, lives: list[Live], pv: Any, req: StartRequest) -> StepResult:
        """Create a case on version ``pv`` and run it to its first wait state."""
        loaded = self.definitions.loaded(tx, pv.bundle_id)
        spec, subprocess_specs = loaded.spec(pv.process_key)
        now = self.now()
        data = dict(req.data or {})
        business_key = req.business_key
        title = req.title or (f"{pv.name} {business_key}" if business_key else pv.name)
        actor = req.actor
        iid = self.store.insert(
            tx,
            version_id=pv.id,
            process_key=pv.process_key,
            business_key=business_key,
            title=title,
            street=req.street,
            organization_id=req.organization_id,
            started_by=actor.username,
            now=now,
        )
        wf = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
        row = InstanceRow(
            iid,
            pv.id,
            pv.process_key,
            business_key,
            title,
            req.street,
            req.organization_id,
            "running",
            0,
            0,
            "0" * 64,
            actor.username,
            None,
            "",
            None,
        )
        live = Live.from_row(row, wf=wf, index=PersistedIndex(), loaded=loaded)
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
            "street": req.street,
            "organization_id": req.organization_id,
            "started_by": actor.username,
        }
        start.set_data(**context)
        action = None
        if req.start_message is not None:
            live.inbound[req.start_message[0]] = req.start_message[1]
            action = start_on_message(*req.start_message)
        result = self.steps.advance(tx, live, actor, action, mark=0.0)
        lives.append(live)
        return result

    def load_active(
        self,
        tx: Tx,
        instance_id: int,
        lives: list[Live],
        *,
        lock: bool = False,
        expected_lock_version: int | None = None,
        row: InstanceRow | None = None,
    ) -> Live:
        """Load a case that may be worked on (not suspended, not ended)."""
        live = self.store.load(tx, row if row is not None else self.store.row(tx, instance_id, lock=lock))
        lives.append(live)
        if expected_lock_version is not None and expected_lock_version != live.lock_version:
            raise ConflictError("案件已被他人更新，请刷新后重试", "The case changed since you loaded it")
        if live.status == "suspended":
            raise InvalidStateError("案件已挂起，不能办理", "The case is suspended")
        if live.status in ("completed", "cancelled"):
            raise InvalidStateError("案件已结束", "The case has ended")
        return live


def start_on_message(name: str, payload: dict[str, Any]) -> Callable[[BpmnWorkflow], None]:
    """Start a new workflow through its message start event ``name`` only.

    A process may have a none start event too; running the engine first would start the case through
    it. So the hidden start tasks are run by hand up to the start events, every start event other
    than this message's is cancelled, and the message is delivered.
    """
    from SpiffWorkflow.bpmn import BpmnEvent
    from SpiffWorkflow.bpmn.specs.defaults import StartEvent
    from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition as BpmnMessageDefinition
    from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

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
