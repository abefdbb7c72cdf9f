"""Signing in and out with the directory's accounts; the signed-in actor of each request.

The session cookie holds only the username and the time of the previous visit; grants are loaded from
the database (reused for two seconds per process, ``engine.worklist.access.ActorCache``), so a revoked
grant takes effect on every host within two seconds. Login attempts are throttled
by ``engine.worklist.access`` (shared by all web hosts through the database).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.errors import NotFoundError
from web.services import clock_now, worklist

bp = Blueprint("auth", __name__)


def current_actor() -> Actor | None:
    """The signed-in actor (loaded once per request), or None."""
    if "actor" not in g:
        username = session.get("user")
        actor = None
        if username:
            try:
                actor = worklist().actors.get(username)
            except NotFoundError:  # deactivated or deleted since signing in
                session.clear()
        g.actor = actor
    found: Actor | None = g.actor
    return found


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send anonymous visitors to the sign-in page; pass the actor to the view."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None:
            return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        return view(actor, *args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("inbox.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    now = clock_now()
    user = worklist().access.sign_in(username, password, request.remote_addr or "-", now)
    if user is None:
        flash(_("用户名或密码错误"), "error")
        return render_template("login.html", next=request.form.get("next", ""), username=username), 401
    session.clear()
    session.permanent = True
    session["user"] = user.username
    session["since"] = worklist().access.begin_visit(user.username, now)
    current_app.logger.info("sign-in %s", user.username)
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Any:
    session.clear()
    flash(_("您已退出登录"), "info")
    return redirect(url_for("auth.login"))


@bp.post("/lang/<code>")
def set_language(code: str) -> Any:
    if code in ("zh_CN", "en"):
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))


@bp.get("/account/tokens")
@login_required
def tokens(actor: Actor) -> Any:
    return render_template("tokens.html", tokens=worklist().access.tokens(actor.username), secret=None)


@bp.post("/account/tokens")
@login_required
def create_token(actor: Actor) -> Any:
    secret = worklist().access.create_token(actor.username, request.form.get("name", ""), clock_now())
    return render_template("tokens.html", tokens=worklist().access.tokens(actor.username), secret=secret)


@bp.post("/account/tokens/<int(max=2147483647):token_id>/revoke")
@login_required
def revoke_token(actor: Actor, token_id: int) -> Any:
    worklist().access.revoke_token(actor.username, token_id, clock_now())
    flash(_("令牌已吊销"), "info")
    return redirect(url_for("auth.tokens"))
