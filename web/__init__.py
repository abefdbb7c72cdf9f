"""Flask app factory: the caseworker inbox, task and case pages, the JSON API.

Nothing connects to the database at import time: the engine services are built in :func:`create_app`
(or passed in as ``SHEQUFLOW_SERVICES``) and kept in ``app.extensions``. Every page reads and writes
through the engine façade, its queries and ``engine.worklist`` — which scope everything by the user's
grants — and engine errors become HTTP statuses in one place (``web.errors``).

Security defaults: session cookies are HttpOnly and SameSite=Lax, and Secure when
``SHEQUFLOW_HTTPS=1`` (behind one TLS proxy, whose X-Forwarded-For/-Proto/-Host are then trusted, so
sign-in throttling counts each client's address, not the proxy's); every POST form carries a CSRF
token (Flask-WTF). The secret key comes from ``SHEQUFLOW_SECRET_KEY`` — the same on
every host — or, for the embedded single-host setup, from a file created under ``instance/``.
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, redirect, render_template, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.bootstrap import Services, build
from engine.worklist import build_worklist
from web import guards, i18n

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
csrf = CSRFProtect()


def _secret_key(app: Flask) -> str:
    configured = app.config.get("SECRET_KEY") or os.environ.get("SHEQUFLOW_SECRET_KEY")
    if configured:
        return str(configured)
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:  # O_EXCL: of several workers starting at once, one writes the key and all read it
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"empty secret key file: {path}")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: config → engine services → extensions → blueprints."""
    app = Flask(__name__, instance_path=str(Path.cwd() / "instance"))
    https = os.environ.get("SHEQUFLOW_HTTPS") == "1"
    app.config.update(
        SHEQUFLOW_DATABASE_URL=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        SESSION_COOKIE_NAME="shequflow_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if config:
        app.config.update(config)
    app.config["SECRET_KEY"] = _secret_key(app)
    if https:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    services: Services = app.config.get("SHEQUFLOW_SERVICES") or build(app.config["SHEQUFLOW_DATABASE_URL"])
    app.extensions["shequflow"] = services
    app.extensions["shequflow.worklist"] = build_worklist(services)
    guards.register(app)  # before CSRF: a NUL byte is refused before anything reads the form
    csrf.init_app(app)
    i18n.init_app(app)

    from web import admin, api, auth, cases, errors, inbox, pages, tasks, workbench, workbench_versions

    api.register(app)
    csrf.exempt(api.bp)  # bearer tokens only: no cookie, so no cross-site forgery
    errors.register(app)  # after the API, whose own HTTP error handler this replaces
    pages.register(app)
    assert workbench_versions.bp is workbench.bp  # its routes are on the workbench blueprint
    for bp in (auth.bp, inbox.bp, tasks.bp, cases.bp, admin.bp, workbench.bp):
        app.register_blueprint(bp)

    @app.get("/")
    def index() -> Any:
        if auth.current_actor() is not None:
            return redirect(url_for("inbox.index"))
        return render_template("status.html", versions=services.engine.definitions.list_versions())

    @app.get("/healthz")
    def healthz() -> Any:
        with services.db.transaction(write=False) as tx:
            tx.scalar("SELECT 1")
        return jsonify(status="ok")

    return app
