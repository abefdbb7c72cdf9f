"""What every page template can use: the actor, labels for states and events, date helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask, request, session
from flask_babel import lazy_gettext as _l

from engine.accounts.authz import ADMIN_ROLE
from engine.clock import from_db_time
from engine.runtime.queries import SHANGHAI
from engine.worklist.collab import ALLOWED_TYPES
from engine.worklist.inbox import is_supervisor, workdays_left
from web.auth import current_actor
from web.services import clock_now

STATUS_LABELS = {
    "running": _l("办理中"),
    "waiting": _l("等待中"),
    "completed": _l("已办结"),
    "cancelled": _l("已撤销"),
    "suspended": _l("已挂起"),
    "error": _l("故障"),
    "READY": _l("待处理"),
    "COMPLETED": _l("已完成"),
    "CANCELLED": _l("已取消"),
}
EVENT_LABELS = {
    "instance_started": _l("案件发起"),
    "task_claimed": _l("认领任务"),
    "task_unclaimed": _l("退回任务"),
    "task_assigned": _l("分派任务"),
    "task_completed": _l("完成任务"),
    "timer_fired": _l("期限到达"),
    "message_received": _l("收到消息"),
    "instance_cancelled": _l("撤销案件"),
    "instance_suspended": _l("挂起案件"),
    "instance_resumed": _l("恢复案件"),
    "incident_retried": _l("故障重试"),
    "incident_raised": _l("发生故障"),
    "deadline_provisional": _l("期限为暂定"),
    "message_sent": _l("发出消息"),
    "event_not_caught": _l("事件无人接收"),
    "case_migrated": _l("迁移到新版本"),
    "case_handed_over": _l("案件移交"),
    "case_handover_skipped": _l("案件未移交"),
    "instance_completed": _l("案件办结"),
}


def local_time(value: str | None) -> str:
    """A stored UTC instant as Shanghai wall time (YYYY-MM-DD HH:MM)."""
    when = from_db_time(value)
    return when.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if when else ""


def register(app: Flask) -> None:
    """Install the context processor and filters."""
    app.add_template_filter(local_time, "local_time")

    @app.context_processor
    def common() -> dict[str, Any]:
        actor = current_actor()
        today = clock_now().astimezone(SHANGHAI).date()
        return {
            "actor": actor,
            "supervisor": actor is not None and is_supervisor(actor),
            "process_owner": actor is not None and any(g.role == ADMIN_ROLE for g in actor.grants),
            "status_label": lambda s: STATUS_LABELS.get(s, s),
            "event_label": lambda s: EVENT_LABELS.get(s, s),
            "today": today.isoformat(),
            "workdays_left": lambda due: workdays_left(due, today),
            "english": session.get("lang") == "en",
            "allowed_types": ", ".join(sorted(ALLOWED_TYPES)),
            "current_path": request.full_path if request.query_string else request.path,
        }
