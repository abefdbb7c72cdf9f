"""Read models: inbox, task detail, case list, case detail, history — scoped by the actor's grants.

Queries read only the projection tables (``human_tasks``, ``instances``, ``audit_events``,
``incidents``); none deserializes a workflow. Each returns plain dataclasses, never driver rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import timedelta, timezone
from typing import Any

import orjson

from engine.accounts.authz import Actor, instance_visibility_sql, task_visibility_sql
from engine.clock import from_db_time
from engine.errors import NotFoundError
from engine.store.db import Database

SHANGHAI = timezone(timedelta(hours=8))
TASK_COLUMNS = (
    "ht.id, ht.instance_id, ht.process_key, ht.bpmn_id, ht.name, ht.role, ht.street_code, ht.organization_id, "
    "ht.assignee, ht.form, ht.ui_form, ht.due_at, ht.due_provisional, ht.priority, ht.state, ht.created_at, "
    "ht.claimed_at, ht.completed_by, ht.completed_at, i.title, i.business_key"
)
INSTANCE_COLUMNS = (
    "i.id, i.process_key, i.process_version_id, i.business_key, i.title, i.street_code, i.organization_id, "
    "i.status, i.end_state, i.lock_version, i.next_timer_at, i.started_by, i.started_at, i.updated_at, i.ended_at, "
    "EXISTS (SELECT 1 FROM audit_events pa WHERE pa.instance_id = i.id AND pa.type = 'deadline_provisional'), "
    "(SELECT pn.name FROM process_versions pn WHERE pn.id = i.process_version_id), "
    "(SELECT sn.name FROM streets sn WHERE sn.code = i.street_code)"
)


@dataclass(frozen=True)
class TaskView:
    """A human task as the inbox shows it."""

    id: str
    instance_id: int
    process_key: str
    bpmn_id: str
    name: str
    role: str | None
    street_code: str | None
    organization_id: int | None
    assignee: str | None
    form: str | None
    ui_form: str | None
    due_at: str | None
    due_provisional: bool
    priority: int
    state: str
    created_at: str
    claimed_at: str | None
    completed_by: str | None
    completed_at: str | None
    case_title: str
    business_key: str | None

    @property
    def due_date(self) -> str | None:
        """The last day of the period in Shanghai (``due_at`` is the instant it expires, 00:00 the day after)."""
        return _last_day(self.due_at)


@dataclass(frozen=True)
class InstanceView:
    """A case as lists and the case page show it."""

    id: int
    process_key: str
    process_version_id: int
    business_key: str | None
    title: str
    street_code: str | None
    organization_id: int | None
    status: str
    end_state: str | None
    lock_version: int
    next_timer_at: str | None
    started_by: str
    started_at: str
    updated_at: str
    ended_at: str | None
    # a deadline of this case was computed without published holidays for its year (see the audit log)
    deadline_provisional: bool = False
    process_name: str = ""  # the version's name (矛盾调处), for people rather than the process key
    street_name: str = ""  # the street's name (华阳路街道), for people rather than its code


def _instance_view(row: tuple[Any, ...]) -> InstanceView:
    return replace(
        InstanceView(*row[:-3]),
        deadline_provisional=bool(row[-3]),
        process_name=row[-2] or "",
        street_name=row[-1] or "",
    )


@dataclass(frozen=True)
class AuditView:
    """One audit event."""

    seq: int
    at: str
    actor: str
    type: str
    task_id: str | None
    task_name: str | None
    data: Any


@dataclass(frozen=True)
class IncidentView:
    """One incident of a case."""

    id: int
    instance_id: int
    task_id: str | None
    bpmn_id: str | None
    error_type: str
    message: str
    line: int | None
    created_at: str
    resolved_at: str | None


def _last_day(due_at: str | None) -> str | None:
    when = from_db_time(due_at)
    if when is None:
        return None
    return (when - timedelta(microseconds=1)).astimezone(SHANGHAI).date().isoformat()


_TASK_FIELDS = [f.name for f in fields(TaskView)]
_AUDIT_FIELDS = [f.name for f in fields(AuditView)]


def _task_view(row: tuple[Any, ...]) -> TaskView:
    values = dict(zip(_TASK_FIELDS, row, strict=True))
    values["due_provisional"] = bool(values["due_provisional"])
    return TaskView(**values)


@dataclass
class TaskFilter:
    """Inbox filters; all optional."""

    state: str = "READY"
    process_key: str | None = None
    mine_only: bool = False
    overdue_at: str | None = None  # tasks due before this time
    instance_id: int | None = None
    limit: int = 50
    offset: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Queries:
    """Read-only views for one database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def tasks(self, actor: Actor, flt: TaskFilter | None = None) -> tuple[list[TaskView], int]:
        """The actor's inbox page and the total count: tasks they may act on, oldest due first."""
        flt = flt or TaskFilter()
        cond, params = task_visibility_sql(actor)
        where = [cond, "ht.state = :state"]
        params["state"] = flt.state
        if flt.mine_only:
            where.append("ht.assignee = :me")
            params["me"] = actor.username
        if flt.process_key:
            where.append("ht.process_key = :pk")
            params["pk"] = flt.process_key
        if flt.overdue_at:
            where.append("ht.due_at < :od")
            params["od"] = flt.overdue_at
        if flt.instance_id is not None:
            where.append("ht.instance_id = :iid")
            params["iid"] = flt.instance_id
        sql_where = " AND ".join(where)
        with self.db.transaction(write=False) as tx:
            total = tx.scalar(f"SELECT COUNT(*) FROM human_tasks ht WHERE {sql_where}", params)
            rows = tx.all(
                f"SELECT {TASK_COLUMNS} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
                f"WHERE {sql_where} ORDER BY ht.priority DESC, COALESCE(ht.due_at, '9999'), ht.created_at, ht.id "
                "LIMIT :lim OFFSET :off",
                {**params, "lim": flt.limit, "off": flt.offset},
            )
        return [_task_view(r) for r in rows], int(total or 0)

    def task(self, actor: Actor, task_id: str) -> TaskView:
        """One task the actor may see (any state)."""
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {TASK_COLUMNS} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
                "WHERE ht.id = :id",
                {"id": task_id},
            )
        if row is None or not (actor.may_see_place(row[6], row[7]) or actor.username in (row[8], row[17])):
            raise NotFoundError(f"任务不存在或无权查看：{task_id}", f"No such task or not visible: {task_id}")
        return _task_view(row)

    def instances(
        self,
        actor: Actor,
        *,
        status: str | None = None,
        process_key: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[InstanceView], int]:
        """Cases the actor may see, newest first, with the total count."""
        cond, params = instance_visibility_sql(actor)
        where = [cond]
        if status:
            where.append("i.status = :st")
            params["st"] = status
        if process_key:
            where.append("i.process_key = :pk")
            params["pk"] = process_key
        sql_where = " AND ".join(where)
        with self.db.transaction(write=False) as tx:
            total = tx.scalar(f"SELECT COUNT(*) FROM instances i WHERE {sql_where}", params)
            rows = tx.all(
                f"SELECT {INSTANCE_COLUMNS} FROM instances i WHERE {sql_where} "
                "ORDER BY i.id DESC LIMIT :lim OFFSET :off",
                {**params, "lim": limit, "off": offset},
            )
        return [_instance_view(r) for r in rows], int(total or 0)

    def instance(self, actor: Actor, instance_id: int) -> InstanceView:
        """One case the actor may see."""
        if not 0 < instance_id < 2**63:  # beyond any id: not found, not a driver overflow
            raise NotFoundError(f"案件不存在或无权查看：#{instance_id}", f"No such case or not visible: #{instance_id}")
        cond, params = instance_visibility_sql(actor)
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                f"SELECT {INSTANCE_COLUMNS} FROM instances i WHERE i.id = :iid AND {cond}",
                {**params, "iid": instance_id},
            )
        if row is None:
            raise NotFoundError(f"案件不存在或无权查看：#{instance_id}", f"No such case or not visible: #{instance_id}")
        return _instance_view(row)

    def history(self, actor: Actor, instance_id: int) -> list[AuditView]:
        """The audit trail of a case the actor may see."""
        self.instance(actor, instance_id)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT seq, at, actor, type, task_id, task_name, data FROM audit_events "
                "WHERE instance_id = :i ORDER BY seq",
                {"i": instance_id},
            )
        return [AuditView(**dict(zip(_AUDIT_FIELDS, (*r[:6], orjson.loads(r[6])), strict=True))) for r in rows]

    def case_tasks(self, actor: Actor, instance_id: int) -> list[TaskView]:
        """Every human task of a case the actor may see, in creation order."""
        self.instance(actor, instance_id)
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {TASK_COLUMNS} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
                "WHERE ht.instance_id = :i ORDER BY ht.created_at, ht.id",
                {"i": instance_id},
            )
        return [_task_view(r) for r in rows]

    def incidents(self, actor: Actor, instance_id: int, *, open_only: bool = True) -> list[IncidentView]:
        """Incidents of a case the actor may see."""
        self.instance(actor, instance_id)
        extra = " AND resolved_at IS NULL" if open_only else ""
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                "SELECT id, instance_id, task_id, bpmn_id, error_type, message, line, created_at, "
                f"resolved_at FROM incidents WHERE instance_id = :i{extra} ORDER BY id",
                {"i": instance_id},
            )
        return [IncidentView(*r) for r in rows]
