"""The supervisors' dashboard (督办): open and overdue work per street and process, deadlines due this week
and already breached, and cases opened and closed per week — all within the supervisor's scope.

Reads only ``human_tasks`` and ``instances``. The scope is the streets and organizations where the actor
holds a supervisor role (``engine.worklist.inbox.supervisor_roles``); anyone else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from engine.accounts.authz import Actor
from engine.clock import from_db_time, to_db_time
from engine.errors import PermissionDeniedError
from engine.runtime.queries import SHANGHAI, TASK_COLUMNS, TaskView
from engine.store.db import Database
from engine.worklist.inbox import is_supervisor, row_view, scope_sql
from workflows.calendar import deadline_end_of_day

WEEKS = 12
LIST_LIMIT = 50


@dataclass(frozen=True)
class Dashboard:
    per_place: list[tuple[str, str, int, int]]  # street, process, open, overdue
    due_this_week: list[TaskView]
    breached: list[TaskView]
    weeks: list[str]  # Monday of each week (Shanghai), oldest first
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)


def _week(value: str | None) -> date | None:
    when = from_db_time(value)
    if when is None:
        return None
    day = when.astimezone(SHANGHAI).date()
    return day - timedelta(days=day.weekday())


def dashboard(db: Database, actor: Actor, now: datetime) -> Dashboard:
    """The dashboard of a supervisor's scope."""
    if not is_supervisor(actor):
        raise PermissionDeniedError("只有领导和流程管理员可以查看督办看板", "Only supervisors see the dashboard")
    scope, params = scope_sql(actor)
    today = now.astimezone(SHANGHAI).date()
    monday = today - timedelta(days=today.weekday())
    params.update(
        now=to_db_time(now),
        week_end=to_db_time(deadline_end_of_day(monday + timedelta(days=6))),
        since=to_db_time(datetime.combine(monday - timedelta(weeks=WEEKS - 1), datetime.min.time(), SHANGHAI)),
    )
    inst_scope = scope.replace("ht.", "i.")
    with db.transaction(write=False) as tx:
        per_place = tx.all(
            "SELECT COALESCE(ht.street_code, ''), ht.process_key, COUNT(*), "
            "SUM(CASE WHEN ht.due_at < :now THEN 1 ELSE 0 END) FROM human_tasks ht "
            f"WHERE ht.state = 'READY' AND {scope} GROUP BY ht.street_code, ht.process_key "
            "ORDER BY 4 DESC, 3 DESC",
            params,
        )
        base = (
            f"SELECT {TASK_COLUMNS} FROM human_tasks ht JOIN instances i ON i.id = ht.instance_id "
            f"WHERE ht.state = 'READY' AND {scope}"
        )
        due = tx.all(
            f"{base} AND ht.due_at >= :now AND ht.due_at <= :week_end ORDER BY ht.due_at LIMIT {LIST_LIMIT}", params
        )
        breached = tx.all(f"{base} AND ht.due_at < :now ORDER BY ht.due_at LIMIT {LIST_LIMIT}", params)
        opened = tx.all(f"SELECT i.started_at FROM instances i WHERE i.started_at >= :since AND {inst_scope}", params)
        closed = tx.all(f"SELECT i.ended_at FROM instances i WHERE i.ended_at >= :since AND {inst_scope}", params)
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    index = {w: i for i, w in enumerate(weeks)}
    counts: dict[str, list[int]] = {"opened": [0] * WEEKS, "closed": [0] * WEEKS}
    for name, rows in (("opened", opened), ("closed", closed)):
        for (value,) in rows:
            week = _week(value)
            if week in index:
                counts[name][index[week]] += 1
    return Dashboard(
        per_place=[(str(r[0]), str(r[1]), int(r[2]), int(r[3] or 0)) for r in per_place],
        due_this_week=[row_view(r) for r in due],
        breached=[row_view(r) for r in breached],
        weeks=[w.isoformat() for w in weeks],
        opened=counts["opened"],
        closed=counts["closed"],
    )


def chart_data(board: Dashboard) -> dict[str, Any]:
    """The weekly series as the chart script reads them."""
    return {"weeks": board.weeks, "opened": board.opened, "closed": board.closed}
