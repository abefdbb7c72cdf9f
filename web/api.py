"""JSON API ``/api/v1``: tasks (list, get, claim, unclaim, complete), cases (start, get, history), processes.

Marshmallow schemas declare every request and response; flask-smorest builds the OpenAPI document from
them (``/api/v1/openapi.json``, read by ``/api/v1/docs`` without any CDN). Clients authenticate with
``Authorization: Bearer <token>`` (tokens from the account page or ``shequflow tokens create``); a
session cookie is not accepted here, so the API needs no CSRF token. Engine errors map to the same
statuses as the HTML pages (``web.errors``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, jsonify, render_template, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import INCLUDE, Schema, fields, validate

from engine.accounts.authz import Actor
from engine.worklist.inbox import DUE_FILTERS, MAX_PAGE_SIZE, SORTS, VIEWS, InboxQuery
from engine.worklist.starting import startable
from web.services import clock_now, engine_services, worklist

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="社区治理流程平台 API")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


def api_actor() -> Actor:
    """The actor of the request's bearer token, or a 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    username = worklist().access.token_user(secret.strip(), clock_now()) if scheme.lower() == "bearer" else None
    if username is None:
        response = jsonify(
            code="unauthorized", message="需要有效的 API 令牌", message_en="A valid API token is required"
        )
        response.status_code = 401
        response.headers["WWW-Authenticate"] = "Bearer"
        abort(response)
    return worklist().actors.get(username)


class ErrorSchema(Schema):
    """Every error answer: a stable code, the Chinese and English messages, and details."""

    class Meta:
        unknown = INCLUDE

    code = fields.String(required=True)
    message = fields.String(required=True)
    message_en = fields.String()
    problems = fields.List(fields.String(), metadata={"description": "form problems (422)"})
    errors = fields.Dict(metadata={"description": "request validation errors (422)"})


class ShequflowApi(Api):
    ERROR_SCHEMA = ErrorSchema


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(allow_none=True)
    street_code = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    assignee = fields.String(allow_none=True)
    due_at = fields.String(allow_none=True)
    due_date = fields.String(allow_none=True)
    due_provisional = fields.Boolean()
    priority = fields.Integer()
    state = fields.String()
    created_at = fields.String()
    completed_by = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    case_title = fields.String()
    business_key = fields.String(allow_none=True)


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(metadata={"description": "JSON Schema of the task's form"})
    ui_form = fields.Dict(metadata={"description": "UI schema of the form"})


class InboxArgsSchema(Schema):
    view = fields.String(load_default="mine", validate=validate.OneOf(VIEWS))
    process = fields.String(load_default=None, validate=validate.Length(max=100))
    task = fields.String(load_default=None, validate=validate.Length(max=100))
    street = fields.String(load_default=None, validate=validate.Length(max=32))
    due = fields.String(load_default=None, validate=validate.OneOf(DUE_FILTERS))
    priority = fields.Integer(load_default=None, validate=validate.Range(0, 1000))
    q = fields.String(load_default=None, validate=validate.Length(max=100))
    sort = fields.String(load_default="due", validate=validate.OneOf(list(SORTS)))
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE_SIZE))


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "form data"})


class StepResultSchema(Schema):
    instance_id = fields.Integer(required=True)
    status = fields.String(required=True)
    end_state = fields.String(allow_none=True)
    new_tasks = fields.List(fields.String())


class StartSchema(Schema):
    process_key = fields.String(required=True, validate=validate.Length(1, 100))
    street = fields.String(load_default=None, validate=validate.Length(max=32))
    organization_id = fields.Integer(load_default=None, validate=validate.Range(1, 2**31 - 1))
    business_key = fields.String(load_default=None, validate=validate.Length(max=100))
    title = fields.String(load_default=None, validate=validate.Length(max=300))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class CaseSchema(Schema):
    id = fields.Integer(required=True)
    process_key = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    title = fields.String(required=True)
    street_code = fields.String(allow_none=True)
    organization_id = fields.Integer(allow_none=True)
    status = fields.String(required=True)
    end_state = fields.String(allow_none=True)
    started_by = fields.String()
    started_at = fields.String()
    ended_at = fields.String(allow_none=True)


class EventSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    actor = fields.String(required=True)
    type = fields.String(required=True)
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True)
    data = fields.Raw(allow_none=True)


class ProcessSchema(Schema):
    process_key = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    start_role = fields.String(allow_none=True)


TASK_ID = {"task_id": {"description": "task id", "schema": {"type": "string", "maxLength": 36}}}


@bp.route("/tasks")
class Tasks(MethodView):
    @bp.arguments(InboxArgsSchema, location="query")
    @bp.response(200, TaskPageSchema)
    @bp.doc(security=BEARER)
    def get(self, args: dict[str, Any]) -> Any:
        """List tasks of an inbox view, filtered, sorted and paged."""
        q = InboxQuery(
            view=args["view"],
            process_key=args["process"],
            task=args["task"],
            street=args["street"],
            due=args["due"],
            min_priority=args["priority"],
            search=args["q"],
            sort=args["sort"],
            descending=args["order"] == "desc",
            page=args["page"],
            per_page=args["per_page"],
        )
        page = worklist().inbox.page(api_actor(), q, clock_now())
        return {"items": page.items, "total": page.total, "page": page.page, "per_page": page.per_page}


@bp.route("/tasks/<task_id>")
class TaskItem(MethodView):
    @bp.response(200, TaskDetailSchema)
    @bp.doc(security=BEARER)
    def get(self, task_id: str) -> Any:
        """One task with its form."""
        tf = worklist().forms.form(api_actor(), task_id)
        return {**{k: getattr(tf.task, k) for k in TaskSchema().fields}, "form": tf.schema, "ui_form": tf.ui_schema}


@bp.route("/tasks/<task_id>/claim", methods=["POST"])
@bp.response(200, StepResultSchema)
@bp.doc(security=BEARER)
def claim(task_id: str) -> Any:
    """Claim a task."""
    return engine_services().engine.claim(task_id, api_actor())


@bp.route("/tasks/<task_id>/unclaim", methods=["POST"])
@bp.response(200, StepResultSchema)
@bp.doc(security=BEARER)
def unclaim(task_id: str) -> Any:
    """Give a claimed task back."""
    return engine_services().engine.unclaim(task_id, api_actor())


@bp.route("/tasks/<task_id>/complete", methods=["POST"])
@bp.arguments(CompleteSchema)
@bp.response(200, StepResultSchema)
@bp.doc(security=BEARER)
def complete(body: dict[str, Any], task_id: str) -> Any:
    """Complete a task with its form data (validated by the engine: 422 with the problems)."""
    return engine_services().engine.complete(task_id, api_actor(), body["data"])


@bp.route("/cases", methods=["POST"])
@bp.arguments(StartSchema)
@bp.response(201, StepResultSchema)
@bp.doc(security=BEARER)
def start_case(body: dict[str, Any]) -> Any:
    """Start a case of a published process in a street or organization."""
    return engine_services().engine.start(
        body["process_key"],
        api_actor(),
        street=body["street"],
        organization_id=body["organization_id"],
        business_key=body["business_key"],
        title=body["title"],
        data=body["data"],
    )


@bp.route("/cases/<int(max=2147483647):instance_id>")
@bp.response(200, CaseSchema)
@bp.doc(security=BEARER)
def get_case(instance_id: int) -> Any:
    """One case."""
    return engine_services().queries.instance(api_actor(), instance_id)


@bp.route("/cases/<int(max=2147483647):instance_id>/history")
@bp.response(200, EventSchema(many=True))
@bp.doc(security=BEARER)
def case_history(instance_id: int) -> Any:
    """The audit trail of a case."""
    return engine_services().queries.history(api_actor(), instance_id)


@bp.route("/processes")
@bp.response(200, ProcessSchema(many=True))
@bp.doc(security=BEARER)
def processes() -> Any:
    """Published processes the token's user may start somewhere."""
    s = engine_services()
    return [found.version for found in startable(s.db, s.engine.definitions, api_actor())]


def register(app: Flask) -> Api:
    """Attach the API and its OpenAPI document to the app."""
    app.config.update(
        API_TITLE="shequflow 社区治理流程平台",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    api = ShequflowApi(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(bp)

    @app.get("/api/v1/docs")
    def api_docs() -> Any:
        return render_template("api_docs.html", spec=api.spec.to_dict())

    return api
