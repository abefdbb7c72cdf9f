"""Flask app factory.

This first cut serves a status page and a health check over the engine; the caseworker inbox, the case
view and the workbench build on the same factory. Nothing connects to the database at import time: the
engine services are built in :func:`create_app` and kept in ``app.extensions["shequflow"]``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template_string

from engine.bootstrap import Services, build

_STATUS_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>社区治理流程平台</title></head>
<body><h1>社区治理流程平台 shequflow</h1>
<p>已部署的流程（Deployed processes）：</p>
<table border="1" cellpadding="4"><tr><th>流程</th><th>版本</th><th>状态</th><th>发布时间</th></tr>
{% for v in versions %}<tr><td>{{ v.name }}（{{ v.process_key }}）</td><td>v{{ v.version }}</td>
<td>{{ v.status }}</td><td>{{ v.published_at or '' }}</td></tr>{% else %}
<tr><td colspan="4">尚未部署流程。请运行 <code>shequflow deploy DIR --publish</code>。</td></tr>{% endfor %}
</table></body></html>"""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the web app: config → engine services → routes."""
    app = Flask(__name__)
    app.config.update(SHEQUFLOW_DATABASE_URL=None)
    if config:
        app.config.update(config)
    services: Services = app.config.get("SHEQUFLOW_SERVICES") or build(app.config["SHEQUFLOW_DATABASE_URL"])
    app.extensions["shequflow"] = services

    @app.get("/")
    def index() -> str:
        return render_template_string(_STATUS_PAGE, versions=services.engine.definitions.list_versions())

    @app.get("/healthz")
    def healthz() -> Any:
        with services.db.transaction(write=False) as tx:
            tx.scalar("SELECT 1")
        return jsonify(status="ok")

    return app
