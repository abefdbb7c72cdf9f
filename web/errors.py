"""One place that maps engine errors to HTTP statuses, for the HTML pages and the JSON API alike.

NotFound → 404, PermissionDenied → 403 (throttled sign-in → 429), Conflict and InvalidState → 409,
Input → 422 (400 for a request that is not even well formed, raised by the web layer itself).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    ConflictError,
    EngineError,
    InputError,
    InvalidStateError,
    NotFoundError,
    PermissionDeniedError,
)
from engine.worklist.access import LoginThrottledError

STATUS: list[tuple[type[EngineError], int]] = [
    (LoginThrottledError, 429),
    (NotFoundError, 404),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (InvalidStateError, 409),
    (InputError, 422),
]


def status_of(exc: EngineError) -> int:
    """The HTTP status for an engine error (400 for any other engine error)."""
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _public(exc: EngineError) -> dict[str, Any]:
    """The error without internal details (a database message never reaches a user)."""
    body = exc.to_dict()
    body.pop("db_error", None)
    return body


def register(app: Flask) -> None:
    """Install the handlers."""

    @app.errorhandler(EngineError)
    def engine_error(exc: EngineError) -> Any:
        status = status_of(exc)
        if wants_json():
            return jsonify(_public(exc)), status
        return render_template("error.html", status=status, error=exc), status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        error = InputError("页面已过期或请求来源不可信，请刷新后重试", "The form expired or its origin is not trusted")
        return render_template("error.html", status=400, error=error), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        zh = {
            404: "页面不存在",
            405: "不支持该请求方式",
            413: "上传内容过大",
            400: "请求格式不正确",
            422: "请求参数不正确",
        }.get(status, "请求无法处理")
        error = EngineError(zh, exc.name)
        if wants_json():
            body: dict[str, Any] = {"code": exc.name.lower().replace(" ", "_"), "message": zh, "message_en": exc.name}
            data = getattr(exc, "data", None)
            if isinstance(data, dict) and "messages" in data:  # request validation by the API's schemas
                body["errors"] = data["messages"]
            return jsonify(body), status
        return render_template("error.html", status=status, error=error), status
