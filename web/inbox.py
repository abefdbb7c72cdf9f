"""The inbox: 我的待办, 可认领, 已办 and (for supervisors) 全部待办; claim, unclaim, bulk claim, reassign.

Works without JavaScript: filters are a GET form, every action a small POST form with a CSRF token,
and each action redirects back to the list it came from.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.errors import EngineError, InputError
from engine.worklist.collab import normalize_filter_query
from engine.worklist.dashboard import chart_data, dashboard
from engine.worklist.inbox import DUE_FILTERS, SORTS, InboxQuery
from engine.worklist.numbers import ascii_int
from web.auth import login_required
from web.services import clock_now, engine_services, worklist

bp = Blueprint("inbox", __name__)
MAX_BULK = 100


def _int(name: str, default: int | None) -> int | None:
    raw = request.args.get(name, "")
    if raw == "":
        return default
    value = ascii_int(raw, maximum=999_999)
    if value is None:
        raise InputError(f"参数 {name} 必须是正整数", f"Parameter {name} must be a positive integer")
    return value


def query_from_args(default_view: str) -> InboxQuery:
    """The inbox query of the request's query string (shared with the API)."""
    args = request.args
    return InboxQuery(
        view=args.get("view", default_view),
        process_key=args.get("process") or None,
        task=args.get("task") or None,
        street=args.get("street") or None,
        due=args.get("due") or None,
        min_priority=_int("priority", None),
        search=args.get("q") or None,
        sort=args.get("sort", "completed" if args.get("view") == "done" else "due"),
        descending=args.get("order") == "desc",
        page=_int("page", 1) or 1,
        per_page=_int("per_page", 20) or 20,
    )


def back_to_list() -> Any:
    """Redirect to the same-site page the form came from (the inbox by default)."""
    target = request.form.get("back", "")
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return redirect(target)
    return redirect(url_for("inbox.index"))


@bp.get("/inbox")
@login_required
def index(actor: Actor) -> Any:
    q = query_from_args("mine")
    now = clock_now()
    wl = worklist()
    page = wl.inbox.page(actor, q, now)
    counts = wl.inbox.tab_counts(actor, session.get("since"))
    if q.view == "done" and not request.args.keys() - {"view", "page", "sort", "order"}:
        counts["done"] = page.total  # unfiltered: the page's total is the tab's count
    return render_template(
        "inbox.html",
        q=q,
        page=page,
        counts=counts,
        new_count=counts["new"],
        choices=wl.inbox.filter_choices(actor),
        due_filters=DUE_FILTERS,
        sorts=list(SORTS),
        args={k: v for k, v in request.args.items() if k != "page"},
        saved=wl.collab.filters(actor),
        roles=sorted({g.role for g in actor.grants}),
    )


@bp.post("/inbox/filters")
@login_required
def save_filter(actor: Actor) -> Any:
    query = normalize_filter_query(request.form.get("query", ""))
    worklist().collab.save_filter(
        actor, request.form.get("name", ""), query, clock_now(), request.form.get("shared_role") or None
    )
    flash(_("筛选已保存"), "info")
    return redirect(url_for("inbox.index") + "?" + query)


@bp.post("/inbox/filters/<int(max=2147483647):filter_id>/delete")
@login_required
def delete_filter(actor: Actor, filter_id: int) -> Any:
    worklist().collab.delete_filter(actor, filter_id)
    flash(_("筛选已删除"), "info")
    return redirect(url_for("inbox.index"))


@bp.post("/tasks/<task_id>/claim")
@login_required
def claim(actor: Actor, task_id: str) -> Any:
    engine_services().engine.claim(task_id, actor)
    flash(_("已认领任务"), "info")
    return back_to_list()


@bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(actor: Actor, task_id: str) -> Any:
    engine_services().engine.unclaim(task_id, actor)
    flash(_("已退回任务，其他经办人可以认领"), "info")
    return back_to_list()


@bp.post("/tasks/<task_id>/assign")
@login_required
def assign(actor: Actor, task_id: str) -> Any:
    assignee = request.form.get("assignee", "").strip()
    if not assignee:
        raise InputError("请填写要分派给的用户名", "Enter the username to assign to")
    engine_services().engine.assign(task_id, actor, assignee)
    flash(_("已将任务分派给 %(user)s", user=assignee), "info")
    return back_to_list()


@bp.post("/tasks/claim")
@login_required
def bulk_claim(actor: Actor) -> Any:
    ids = request.form.getlist("task_id")[:MAX_BULK]
    if not ids:
        raise InputError("请先勾选要认领的任务", "Select the tasks to claim first")
    claimed, failed = 0, []
    for task_id in ids:  # each claim is its own transaction: one lost race does not undo the others
        try:
            engine_services().engine.claim(task_id, actor)
            claimed += 1
        except EngineError as exc:
            failed.append(exc.message_en if session.get("lang") == "en" else exc.message_zh)
    flash(_("已认领 %(n)d 项任务", n=claimed), "info")
    for message in failed[:5]:
        flash(message, "error")
    return back_to_list()


@bp.get("/dashboard")
@login_required
def dashboard_page(actor: Actor) -> Any:
    board = dashboard(engine_services().db, actor, clock_now())
    return render_template("dashboard.html", board=board, chart=chart_data(board))
