"""The case page (key data, status, tasks, timeline from the audit log) and supervisor actions; starting a case.

Suspend, resume, cancel and retry are the engine's operations, which check the process-owner grant and
record each in the audit log; the page only offers the buttons to those who hold it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.errors import InputError
from engine.worklist.collab import MAX_ATTACHMENT_BYTES
from engine.worklist.numbers import ascii_int
from engine.worklist.starting import startable, startable_one
from web.auth import login_required
from web.formview import build_fields, field_errors, parse_object
from web.services import clock_now, engine_services, worklist

bp = Blueprint("cases", __name__)
ASSET_PACKAGES = {"bpmn-js": "dist", "chart.js": "dist"}


@bp.get("/cases/<int(max=2147483647):instance_id>")
@login_required
def show(actor: Actor, instance_id: int) -> Any:
    s = engine_services()
    case = s.queries.instance(actor, instance_id)
    return render_template(
        "case.html",
        case=case,
        tasks=s.queries.case_tasks(actor, instance_id),
        history=list(reversed(s.queries.history(actor, instance_id))),
        incidents=s.queries.incidents(actor, instance_id),
        operator=actor.is_admin_for(case.street_code, case.organization_id),
        comments=worklist().collab.comments(actor, instance_id),
        attachments=worklist().collab.attachments(actor, instance_id),
    )


@bp.get("/cases/<int(max=2147483647):instance_id>/diagram")
@login_required
def diagram(actor: Actor, instance_id: int) -> Any:
    found = worklist().diagrams.case_diagram(actor, instance_id, request.args.get("process") or None)
    return jsonify(
        process=found.process_key, xml=found.xml, completed=found.completed, active=found.active, errors=found.errors
    )


@bp.get("/assets/<package>/<path:filename>")
def asset(package: str, filename: str) -> Any:
    """Front-end packages installed from npm (``make install``), served by the app: no CDN."""
    if package not in ASSET_PACKAGES:
        abort(404)
    root = Path(current_app.config.get("SHEQUFLOW_ASSETS_DIR") or Path(__file__).resolve().parents[1] / "node_modules")
    return send_from_directory(root / package / ASSET_PACKAGES[package], filename, max_age=86400)


@bp.post("/cases/<int(max=2147483647):instance_id>/comments")
@login_required
def comment(actor: Actor, instance_id: int) -> Any:
    task_id = request.form.get("task_id") or None
    worklist().collab.add_comment(actor, instance_id, request.form.get("body", ""), clock_now(), task_id)
    return _back(instance_id, task_id, "comments")


def _back(instance_id: int, task_id: str | None, anchor: str) -> Any:
    """Back to the task page the form was on, else to the case page."""
    if task_id:
        return redirect(url_for("tasks.show", task_id=task_id, _anchor=anchor))
    return redirect(url_for("cases.show", instance_id=instance_id, _anchor=anchor))


@bp.post("/cases/<int(max=2147483647):instance_id>/attachments")
@login_required
def upload(actor: Actor, instance_id: int) -> Any:
    file = request.files.get("file")
    content = file.stream.read(MAX_ATTACHMENT_BYTES + 1) if file else b""
    filename = (file.filename or "") if file else ""
    task_id = request.form.get("task_id") or None
    worklist().collab.add_attachment(actor, instance_id, filename, content, clock_now(), task_id)  # scope first
    flash(_("附件已上传"), "info")
    return _back(instance_id, task_id, "attachments")


@bp.get("/attachments/<int(max=2147483647):attachment_id>")
@login_required
def download(actor: Actor, attachment_id: int) -> Any:
    meta, content = worklist().collab.attachment(actor, attachment_id)
    response = send_file(
        io.BytesIO(content), mimetype=meta.content_type, as_attachment=True, download_name=meta.filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/cases/<int(max=2147483647):instance_id>/<action>")
@login_required
def operate(actor: Actor, instance_id: int, action: str) -> Any:
    engine = engine_services().engine
    reason = request.form.get("reason", "").strip()[:500]
    if action == "suspend":
        engine.suspend(instance_id, actor, reason)
    elif action == "resume":
        engine.resume(instance_id, actor)
    elif action == "cancel":
        if not reason:
            raise InputError("撤销案件须填写原因", "A reason is required to cancel a case")
        engine.cancel(instance_id, actor, reason)
    elif action == "retry":
        engine.retry(instance_id, actor)
    else:
        raise InputError("未知的操作", "Unknown action")
    flash(_("操作已完成"), "info")
    return redirect(url_for("cases.show", instance_id=instance_id))


@bp.get("/start")
@login_required
def start_list(actor: Actor) -> Any:
    return _start_page(actor)


def _start_page(actor: Actor, failed: str | None = None, values: Any = None, errors: Any = None) -> Any:
    s = engine_services()
    processes = []
    for p in startable(s.db, s.engine.definitions, actor):
        mine = p.version.process_key == failed
        fields = build_fields(p.form, p.ui_form, values if mine else {}, errors if mine else {}) if p.form else []
        processes.append({"version": p.version, "streets": p.streets, "orgs": p.orgs, "fields": fields})
    return render_template("start.html", processes=processes, failed=failed), 422 if failed else 200


@bp.post("/start/<process_key>")
@login_required
def start(actor: Actor, process_key: str) -> Any:
    place = request.form.get("place", "")
    street, org = None, None
    if place.startswith("street:"):
        street = place.split(":", 1)[1]
    elif place.startswith("org:") and ascii_int(place[4:]) is not None:
        org = ascii_int(place[4:])
    else:
        raise InputError("请选择案件所属的街道或组织", "Choose the street or organization of the case")
    s = engine_services()
    offered = startable_one(s.db, s.engine.definitions, actor, process_key)
    data = parse_object(offered.form, request.form) if offered and offered.form else {}
    try:
        result = s.engine.start(
            process_key,
            actor,
            street=street,
            organization_id=org,
            business_key=request.form.get("business_key", "").strip() or None,
            title=request.form.get("title", "").strip() or None,
            data=data,
        )
    except InputError as exc:
        problems = [str(p) for p in exc.details.get("problems") or []]
        if not (offered and offered.form and problems):
            raise
        english = session.get("lang") == "en"
        by_field, general = field_errors(offered.form, data, problems, exc.details.get("field_errors"), english)
        for message in general:
            flash(message, "error")
        return _start_page(actor, process_key, data, by_field)
    flash(_("已发起案件 #%(id)d", id=result.instance_id), "info")
    for task in s.queries.case_tasks(actor, result.instance_id):  # straight to the first form if it is mine
        if task.state == "READY" and actor.may_act_on_task(
            task.role, task.street_code, task.organization_id, task.assignee
        ):
            return redirect(url_for("tasks.show", task_id=task.id))
    return redirect(url_for("cases.show", instance_id=result.instance_id))
