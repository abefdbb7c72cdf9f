"""The task page: the task's form rendered on the server, save draft, complete.

Completing posts the form; the engine validates it. Its InputError becomes messages at the fields
(422, nothing changed); a Conflict (someone else completed or claimed it first) becomes the 409 page;
success goes back to the inbox with a note of what happens next. The form opens with what the case
holds for its fields (the engine reads it from the workflow, writing nothing); a saved draft wins,
except for read-only fields. Field errors are shown in the UI's language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.errors import InputError
from engine.worklist.taskforms import TaskForm, opening_values, read_only_keys, with_case_values
from web.auth import login_required
from web.formview import build_fields, edit_rows, field_errors, parse_object
from web.services import clock_now, engine_services, worklist

bp = Blueprint("tasks", __name__)


def _render(
    actor: Actor,
    tf: TaskForm,
    values: dict[str, Any],
    errors: dict[str, list[str]] | None = None,
    general: list[str] | None = None,
    status: int = 200,
    draft_saved_at: str | None = None,
) -> Any:
    task = tf.task
    actionable = task.state == "READY" and actor.may_act_on_task(
        task.role, task.street_code, task.organization_id, task.assignee
    )
    case = engine_services().queries.instance(actor, task.instance_id)
    fields = build_fields(tf.schema, tf.ui_schema, values, errors or {})
    return (
        render_template(
            "task.html",
            task=task,
            case=case,
            form_title=tf.schema.get("title") or task.name,
            form_help=tf.schema.get("description") or "",
            documentation=tf.documentation,
            fields=fields,
            actionable=actionable,
            general_errors=general or [],
            draft_saved_at=draft_saved_at,
            comments=worklist().collab.comments(actor, task.instance_id),
            attachments=worklist().collab.attachments(actor, task.instance_id),
        ),
        status,
    )


def _case_values(actor: Actor, tf: TaskForm, keys: list[str]) -> dict[str, Any]:
    """What the case holds for the form's fields ``keys`` (nothing is read when there are none)."""
    return engine_services().engine.task_values(tf.task.id, actor, keys) if keys else {}


@bp.get("/tasks/<task_id>")
@login_required
def show(actor: Actor, task_id: str) -> Any:
    forms = worklist().forms
    tf = forms.form(actor, task_id)
    draft = forms.draft(actor, task_id)
    case = _case_values(actor, tf, list(tf.schema.get("properties") or {}))
    values = opening_values(tf.schema, case, draft[0] if draft else None)
    return _render(actor, tf, values, draft_saved_at=draft[1] if draft else None)


@bp.post("/tasks/<task_id>")
@login_required
def submit(actor: Actor, task_id: str) -> Any:
    forms = worklist().forms
    tf = forms.form(actor, task_id)
    data = parse_object(tf.schema, request.form)
    if read_only := read_only_keys(tf.schema):  # read-only fields submit the case's value, not the post's
        data = with_case_values(tf.schema, data, _case_values(actor, tf, read_only))
    action = request.form.get("action", "complete")
    if action == "stay" or edit_rows(tf.schema, data, action):
        return _render(actor, tf, data)
    if action == "save":
        forms.save_draft(actor, task_id, data, clock_now())
        flash(_("草稿已保存"), "info")
        return redirect(url_for("tasks.show", task_id=task_id))
    if action != "complete":
        raise InputError("未知的操作", "Unknown action")
    try:
        result = engine_services().engine.complete(task_id, actor, data)
    except InputError as exc:
        problems = [str(p) for p in exc.details.get("problems") or []]
        english = session.get("lang") == "en"
        structured = [e for e in exc.details.get("field_errors") or [] if isinstance(e, dict)]
        by_field, general = field_errors(tf.schema, data, problems, structured, english)
        if not problems:
            general = [exc.message_en if english else exc.message_zh]
        return _render(actor, tf, data, by_field, general, status=422)
    forms.discard_draft(actor, task_id)
    if result.end_state or result.status == "completed":
        flash(_("已完成“%(name)s”，案件已办结", name=tf.task.name), "info")
    elif result.new_tasks:
        flash(_("已完成“%(name)s”，案件已流转到下一环节", name=tf.task.name), "info")
    else:
        flash(_("已完成“%(name)s”", name=tf.task.name), "info")
    return redirect(url_for("inbox.index"))


@bp.get("/processes/<process_key>/forms/<form_name>")
@login_required
def preview(actor: Actor, process_key: str, form_name: str) -> Any:
    """A form as caseworkers will see it, for process owners (nothing can be submitted)."""
    schema, ui = worklist().forms.preview(actor, process_key, form_name)
    rows: dict[str, Any] = {
        k: [{}] for k, node in (schema.get("properties") or {}).items() if node.get("type") == "array"
    }
    return render_template(
        "form_preview.html",
        process_key=process_key,
        form_title=schema.get("title") or form_name,
        form_help=schema.get("description") or "",
        fields=build_fields(schema, ui, rows, {}),
    )
