"""The admin page: process owners manage users and grants within their scope (``engine.worklist.admin``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.accounts.authz import SCOPE_TYPES, Actor
from web.auth import login_required
from web.services import worklist

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@login_required
def users(actor: Actor) -> Any:
    return render_template("admin_users.html", users=worklist().admin.users(actor), scope_types=SCOPE_TYPES)


@bp.post("/users")
@login_required
def create_user(actor: Actor) -> Any:
    form = request.form
    worklist().admin.create_user(actor, form.get("username", ""), form.get("password", ""), form.get("display_name"))
    flash(_("用户已创建"), "info")
    return redirect(url_for("admin.users"))


@bp.post("/grants")
@login_required
def grant(actor: Actor) -> Any:
    form = request.form
    worklist().admin.grant(
        actor, form.get("username", ""), form.get("role", ""), form.get("scope_type", ""), form.get("scope_id", "")
    )
    flash(_("已授权"), "info")
    return redirect(url_for("admin.users"))


@bp.post("/grants/<int(max=2147483647):grant_id>/revoke")
@login_required
def revoke(actor: Actor, grant_id: int) -> Any:
    worklist().admin.revoke(actor, grant_id)
    flash(_("已收回授权"), "info")
    return redirect(url_for("admin.users"))
