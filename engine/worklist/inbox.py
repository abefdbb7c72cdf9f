"""The inbox views of the caseworker app: 我的待办, 可认领, 已办 and a supervisor's 全部待办.

Reads only ``human_tasks`` joined to ``instances`` (indexed), like every read model. Visibility:

* ``mine`` — open tasks assigned to the actor;
* ``claimable`` — open unassigned tasks of the actor's roles in a scope the grant covers;
* ``done`` — tasks the actor completed;
* ``scope`` — every open task in the streets/organizations where the actor holds a supervisor role
  (:func:`supervisor_roles`: the configured ones of ``engine.accounts.roles`` and the process owner);
  anyone else asking for it gets PermissionDenied.

Filters narrow a view, never widen it. Due dates are instants (00:00 Shanghai after the last day), so
"today" is ``due_at`` up to the end of today and "this week" up to the end of Sunday.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.accounts.authz import Actor, task_visibility_sql
from engine.accounts.roles import role_settings
from engine.clock import to_db_time
from engine.errors import InputError, PermissionDeniedError
from engine.runtime.queries import SHANGHAI, TASK_COLUMNS, TaskView
from engine.store.db import Database
from engine.worklist.numbers import ascii_int
from workflows.calendar import deadline_end_of_day


def supervisor_roles() -> frozenset[str]:
    """The roles that see all open work of their scope: the configured supervisors and the process owner."""
    settings = role_settings()
    return frozenset((settings.process_owner, *settings.supervisors))


VIEWS = ("mine", "claimable", "done", "scope")
DUE_FILTERS = ("overdue", "today", "week")
SORTS = {
    "due": "COALESCE(ht.due_at, '9999') {d}, ht.created_at, ht.id",
    "created": "ht.created_at {d}, ht.id",
    "priority": "ht.priority {d}, COALESCE(ht.due_at, '9999'), ht.id",
    "completed": "ht.completed_at {d}, ht.id",
}
MAX_PAGE_SIZE = 100
CHOICES_TTL = 60.0


@dataclass(frozen=True)
class InboxQuery:
    """One inbox request: a view, optional filters, a sort and a page."""

    view: str = "mine"
    process_key: str | None = None
    task: str | None = None  # BPMN id of the task
    street: str | None = None
    due: str | None = None
    min_priority: int | None = None
    search: str | None = None
    sort: str = "due"
    descending: bool = False
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class InboxPage:
    """A page of tasks with the total across pages."""

    items: list[TaskView]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def is_supervisor(actor: Actor) -> bool:
    """Whether the actor holds a supervisor role anywhere."""
    return actor.is_system or any(g.role in supervisor_roles() for g in actor.grants)


def scope_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """SQL condition: tasks in the streets and organizations where the actor holds a supervisor role."""
    roles = supervisor_roles()
    streets = sorted({s for r, ss in actor.streets_by_role.items() if r in roles for s in ss})
    orgs = sorted({o for r, os_ in actor.orgs_by_role.items() if r in roles for o in os_})
    parts: list[str] = []
    params: dict[str, Any] = {}
    if streets:
        parts.append(f"ht.street_code IN ({', '.join(f':ss{i}' for i in range(len(streets)))})")
        params.update({f"ss{i}": s for i, s in enumerate(streets)})
    if orgs:
        parts.append(f"ht.organization_id IN ({', '.join(f':so{i}' for i in range(len(orgs)))})")
        params.update({f"so{i}": o for i, o in enumerate(orgs)})
    return ("(" + " OR ".join(parts) + ")" if parts else "1=0"), params


def candidate_sql(actor: Actor) -> tuple[str, dict[str, Any]]:
    """Open tasks of the actor's roles in the streets and organizations their grants cover.

    The candidate part of ``engine.accounts.authz.task_visibility_sql`` (a test checks they agree); with
    ``assignee IS NULL`` it is what the actor may claim. Leaving out the "assigned to me" branch lets
    each role's branch use the inbox index on its own.
    """
    if actor.is_system:
        return "1=1", {}
    parts: list[str] = []
    params: dict[str, Any] = {}
    places: list[tuple[str, str, list[Any]]] = [
        ("street_code", r, sorted(v)) for r, v in sorted(actor.streets_by_role.items())
    ]
    places += [("organization_id", r, sorted(v)) for r, v in sorted(actor.orgs_by_role.items())]
    for i, (column, role, values) in enumerate(places):
        names = ", ".join(f":c{i}_{j}" for j in range(len(values)))
        parts.append(f"(ht.role = :cr{i} AND ht.{column} IN ({names}))")
        params[f"cr{i}"] = role
        params.update({f"c{i}_{j}": value for j, value in enumerate(values)})
    return ("(" + " OR ".join(parts) + ")" if parts else "1=0"), params


def _view_sql(actor: Actor, view: str) -> tuple[list[str], dict[str, Any]]:
    if view == "mine":
        return ["ht.state = 'READY'", "ht.assignee = :me"], {"me": actor.username}
    if view == "claimable":
        cond, params = candidate_sql(actor)
        return ["ht.state = 'READY'", "ht.assignee IS NULL", cond], params
    if view == "done":
        return ["ht.state = 'COMPLETED'", "ht.completed_by = :me"], {"me": actor.username}
    if view == "scope":
        if not is_supervisor(actor):
            raise PermissionDeniedError("只有领导和流程管理员可以查看全部待办", "Only supervisors see all open tasks")
        cond, params = scope_sql(actor)
        return ["ht.state = 'READY'", cond], params
    raise InputError(f"未知的列表：{view}", f"Unknown inbox view: {view}")


def _due_bound(due: str, now: datetime) -> tuple[str, str]:
    today = now.astimezone(SHANGHAI).date()
    if due == "overdue":
        return "ht.due_at < :due", to_db_time(now) or ""
    if due == "today":
        return "ht.due_at <= :due", to_db_time(deadline_end_of_day(today)) or ""
    if due == "week":
        sunday = today + timedelta(days=6 - today.weekday())
        return "ht.due_at <= :due", to_db_time(deadline_end_of_day(sunday)) or ""
    raise InputError(f"未知的到期筛选：{due}", f"Unknown due filter: {due}")


def _filters(q: InboxQuery, now: datetime) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    for column, value in (("process_key", q.process_key), ("bpmn_id", q.task), ("street_code", q.street)):
        if value:
            where.append(f"ht.{column} = :f_{column}")
            params[f"f_{column}"] = value
    if q.due:
        cond, params["due"] = _due_bound(q.due, now)
        where.append(cond)
    if q.min_priority is not None:
        where.append("ht.priority >= :minp")
        params["minp"] = q.min_priority
    if q.search:
        text = q.search.strip()[:100]
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cond = "(i.business_key = :q OR i.title LIKE :ql ESCAPE '\\' OR ht.name LIKE :ql ESCAPE '\\'"
        params.update(q=text, ql=like)
        number = ascii_int(text.lstrip("#"))
        if number is not None:
            cond += " OR ht.instance_id = :qid"
            params["qid"] = number
        where.append(cond + ")")
    return where, params


def _check(q: InboxQuery) -> None:
    if q.view not in VIEWS:
        raise InputError(f"未知的列表：{q.view}", f"Unknown inbox view: {q.view}")
    if q.sort not in SORTS:
        raise InputError(f"未知的排序：{q.sort}", f"Unknown sort: {q.sort}")
    if q.page < 1 or not 1 <= q.per_page <= MAX_PAGE_SIZE:
        raise InputError(f"页码从 1 开始，每页 1–{MAX_PAGE_SIZE} 项", f"Page from 1, 1–{MAX_PAGE_SIZE} per page")


def row_view(row: tuple[Any, ...]) -> TaskView:
    values = list(row)
    values[12] = bool(values[12])
    return TaskView(*values)


class Inbox:
    """Inbox pages and counts for one database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._choices: dict[Any, tuple[float, dict[str, list[tuple[str, str]]]]] = {}

    def page(self, actor: Actor, q: InboxQuery, now: datetime) -> InboxPage:
        """One page of a view with its total.

        One scan: the inner query picks the page's task rows with the total as a window count, and
        only those rows are joined to their cases (unless the search needs the case title).
        """
        _check(q)
        where, params = _view_sql(actor, q.view)
        more, more_params = _filters(q, now)
        sql_where = " AND ".join(where + more)
        params.update(more_params, lim=q.per_page, off=(q.page - 1) * q.per_page)
        order = SORTS[q.sort].format(d="DESC" if q.descending else "ASC")
        join = " JOIN instances i ON i.id = ht.instance_id" if q.search else ""
        inner = (
            f"SELECT ht.*, COUNT(*) OVER () AS total_count FROM human_tasks ht{join} WHERE {sql_where} "
            f"ORDER BY {order} LIMIT :lim OFFSET :off"
        )
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT {TASK_COLUMNS}, ht.total_count FROM ({inner}) ht "
                f"JOIN instances i ON i.id = ht.instance_id ORDER BY {order}",
                params,
            )
            if rows:
                total = int(rows[0][-1])
            else:  # past the last page: count on its own
                total = int(tx.scalar(f"SELECT COUNT(*) FROM human_tasks ht{join} WHERE {sql_where}", params) or 0)
        return InboxPage([row_view(r[:-1]) for r in rows], total, q.page, q.per_page)

    def tab_counts(self, actor: Actor, since: str | None) -> dict[str, int]:
        """Tasks in 我的待办 and 可认领, how many appeared after ``since``, and the supervisor's total.

        One pass over the actor's open tasks; 已办 is counted only when its tab is opened.
        """
        cond, params = task_visibility_sql(actor)
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT COALESCE(SUM(CASE WHEN ht.assignee = :me THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN ht.assignee IS NULL THEN 1 ELSE 0 END), 0), "
                "COALESCE(SUM(CASE WHEN ht.created_at > :since THEN 1 ELSE 0 END), 0) "
                f"FROM human_tasks ht WHERE ht.state = 'READY' AND {cond}",
                {**params, "since": since or ""},
            )
            counts = {"mine": int(row[0]), "claimable": int(row[1]), "new": int(row[2])} if row else {}
            if is_supervisor(actor):
                scope, scope_params = scope_sql(actor)
                counts["scope"] = int(
                    tx.scalar(f"SELECT COUNT(*) FROM human_tasks ht WHERE ht.state = 'READY' AND {scope}", scope_params)
                    or 0
                )
        return counts

    def filter_choices(self, actor: Actor) -> dict[str, list[tuple[str, str]]]:
        """Processes, tasks and streets the actor's open or done work spans (for filter menus).

        Kept per user for :data:`CHOICES_TTL` seconds: menus a minute stale are harmless and this is the
        one query of the inbox that reads all of the actor's work.
        """
        key = (actor.username, actor.grants)
        hit = self._choices.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        cond, params = task_visibility_sql(actor)
        scope, scope_params = scope_sql(actor) if is_supervisor(actor) else ("1=0", {})
        visible = f"(({cond}) OR ht.completed_by = :me2 OR ({scope}))"
        with self.db.transaction(write=False) as tx:
            rows = tx.all(
                f"SELECT DISTINCT ht.process_key, ht.bpmn_id, ht.name, ht.street_code FROM human_tasks ht "
                f"WHERE {visible}",
                {**params, **scope_params, "me2": actor.username},
            )
            names = dict(tx.all("SELECT code, name FROM streets"))
        processes = sorted({(r[0], r[0]) for r in rows})
        tasks = sorted({(r[1], r[2]) for r in rows}, key=lambda t: t[1])
        streets = sorted({(r[3], names.get(r[3], r[3])) for r in rows if r[3]})
        choices = {"processes": processes, "tasks": tasks, "streets": streets}
        if len(self._choices) > 5000:
            self._choices.clear()
        self._choices[key] = (time.monotonic() + CHOICES_TTL, choices)
        return choices


def workdays_left(due_date: str | None, today: date) -> int | None:
    """Working days from today to the last day of a period (0: due today; negative: overdue)."""
    if not due_date:
        return None
    from workflows.calendar import default_calendar

    return default_calendar().workdays_between(today, date.fromisoformat(due_date))
