"""The process-owner workbench: process list, bundles in and out, the editor, scenarios, publish.

Only process owners (the configured process-owner role, any scope) reach any route here: every
request passes :func:`_owners_only` first, so a caseworker, a supervisor or an organization user gets
403 on every page and every JSON endpoint. Drafts, scenario results and publishing live in
:mod:`engine.definitions.drafts`; the scenario run itself is :mod:`web.scenario_runner`. Comparing
versions and migrating cases are in :mod:`web.workbench_versions`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.definitions.catalog import ProcessEntry, process_list
from engine.definitions.drafts import Draft, Drafts, feature_path, is_platform_admin, lint, require_owner
from engine.definitions.jobs import Jobs, Report
from engine.errors import BundleError, EngineError, InputError, NotFoundError
from web.auth import current_actor, login_required
from web.errors import status_of
from web.formview import build_fields
from web.scenario_runner import DEFAULT_TIMEOUT_SECONDS, run_scenarios, step_phrases
from web.services import engine_services
from web.workbench_files import read_loose, read_zip, to_zip

bp = Blueprint("workbench", __name__, url_prefix="/workbench")


@bp.before_request
def _owners_only() -> Any:
    actor = current_actor()
    if actor is None:
        return redirect(url_for("auth.login", next=request.path))
    require_owner(actor)  # PermissionDeniedError → 403 (web.errors)
    return None


@bp.errorhandler(EngineError)
def _engine_error(exc: EngineError) -> Any:
    """JSON for the editor's requests (a save conflict is a 409 the page reads), HTML otherwise."""
    status = status_of(exc)
    if request.is_json or request.accept_mimetypes.best == "application/json":
        body = exc.to_dict()
        body.pop("db_error", None)
        return jsonify(body), status
    return render_template("error.html", status=status, error=exc), status


def jobs() -> Jobs:
    """The workbench jobs service (scenario runs and migrations outside the request), built once per app."""
    found = current_app.extensions.get("shequflow.jobs")
    if found is None:
        services = engine_services()
        found = Jobs(services.db, services.engine.clock)
        current_app.extensions["shequflow.jobs"] = found
    return found


def drafts() -> Drafts:
    """The drafts service, built once per app."""
    found = current_app.extensions.get("shequflow.drafts")
    if found is None:
        services = engine_services()
        found = Drafts(services.db, services.engine.clock, services.engine.definitions)
        current_app.extensions["shequflow.drafts"] = found
    return found


def project_root() -> Path:
    return Path(current_app.config.get("SHEQUFLOW_PROJECT_ROOT") or Path(__file__).resolve().parents[1])


def _known_roles() -> set[str] | None:
    return engine_services().directory.known_roles() or None


def _feature(process_key: str, version: int | None = None) -> bytes | None:
    """The scenarios of a version (default: the latest): as published with it, else the server's features/."""
    if version is None:
        versions = engine_services().engine.definitions.list_versions(process_key)
        version = versions[0].version if versions else None
    stored = drafts().feature_of(process_key, version) if version is not None else None
    if stored is not None:
        return stored
    path = project_root() / "features" / f"{process_key}.feature"
    return path.read_bytes() if path.is_file() else None


def _entry(actor: Actor, process_key: str) -> ProcessEntry:
    todo = list(process_list(engine_services().db, actor))
    while todo:
        entry = todo.pop()
        if entry.key == process_key:
            return entry
        todo += entry.calls
    raise NotFoundError(f"流程不存在：{process_key}", f"No such process: {process_key}")


@bp.get("/")
@login_required
def index(actor: Actor) -> Any:
    return render_template("workbench/list.html", processes=process_list(engine_services().db, actor))


def english_part(message: str) -> str:
    """Return the English gist of a ``中文 (English)`` check message: its last balanced parenthesis."""
    if not message.endswith(")"):
        return message
    depth = 0
    for i in range(len(message) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(message[i], 0)
        if depth == 0:
            return message[i + 1 : -1] if i > 0 else message
    return message


def _localized(problems: list[Any]) -> list[Any]:
    """The problems with English messages when the page is in English (lint writes both languages)."""
    if session.get("lang") != "en":
        return problems
    return [replace(p, message=english_part(p.message)) for p in problems]


def _process_page(actor: Actor, process_key: str, problems: list[Any] | None = None, status: int = 200) -> Any:
    draft = drafts().get(process_key, actor)
    if problems is None and draft is not None:
        problems = lint(draft.files, _known_roles())
    problems = _localized(problems or [])
    page = render_template(
        "workbench/process.html",
        entry=_entry(actor, process_key),
        draft=draft,
        tables=sorted(n for n in draft.files if n.lower().endswith(".dmn")) if draft else [],
        problems=problems or [],
        errors=[p for p in problems or [] if p.severity == "error"],
        history=drafts().history(process_key),
        platform_admin=is_platform_admin(actor),
    )
    return page, status


@bp.get("/<process_key>")
@login_required
def process(actor: Actor, process_key: str) -> Any:
    return _process_page(actor, process_key)


@bp.get("/<process_key>/bundle.zip")
@login_required
def download(actor: Actor, process_key: str) -> Any:
    """The draft's files, or a version's bundle with the process's feature file."""
    version = request.args.get("version", type=int)
    if version is None:
        draft = drafts().get(process_key, actor)
        if draft is None:
            raise NotFoundError(f"流程“{process_key}”没有草稿", f"No draft of '{process_key}'")
        files, label = draft.files, "draft"
    else:
        files, label = _version_files(actor, process_key, version), f"v{version}"
    headers = {"Content-Disposition": f'attachment; filename="{process_key}-{label}.zip"'}
    return Response(to_zip(files), mimetype="application/zip", headers=headers)


def _version_files(actor: Actor, process_key: str, version: int) -> dict[str, bytes]:
    entry = _entry(actor, process_key)
    found = next((v.version for v in entry.versions if v.version.version == version), None)
    if found is None:
        raise NotFoundError(f"流程版本不存在：{process_key} v{version}", f"No such version: {process_key} v{version}")
    services = engine_services()
    with services.db.transaction(write=False) as tx:
        files = dict(services.engine.definitions.loaded(tx, found.bundle_id).bundle.files)
    feature = _feature(process_key, version)
    if feature is not None:
        files[feature_path(process_key)] = feature
    return files


@bp.post("/<process_key>/upload")
@login_required
def upload(actor: Actor, process_key: str) -> Any:
    """Validate an uploaded zip or files; only a bundle without errors replaces the draft."""
    entry = _entry(actor, process_key)
    sent = [f for f in request.files.getlist("files") if f.filename]
    if not sent:
        raise InputError("请选择要上传的文件", "Choose files to upload")
    draft = drafts().get(process_key, actor)
    if len(sent) == 1 and (sent[0].filename or "").lower().endswith(".zip"):
        got = read_zip(sent[0].read(), process_key)
    else:
        current = draft.files if draft else _version_files(actor, process_key, entry.versions[0].version.version)
        got = read_loose(sent, current, process_key)  # loose files change the draft, or the latest version
    problems = lint(got.files, _known_roles(), got.skipped)
    if any(p.severity == "error" for p in problems):
        return _process_page(actor, process_key, problems, 422)
    if draft is None:
        draft = drafts().open(process_key, actor, _feature(process_key))
    if feature_path(process_key) not in got.files and feature_path(process_key) in draft.files:
        got.files[feature_path(process_key)] = draft.files[feature_path(process_key)]
    drafts().save(process_key, got.files, request.form.get("lock_version", type=int) or draft.lock_version, actor)
    flash(_("已上传并通过检查，草稿已更新"), "info")
    return redirect(url_for("workbench.process", process_key=process_key))


@bp.get("/<process_key>/editor")
@login_required
def editor(actor: Actor, process_key: str) -> Any:
    draft = drafts().open(process_key, actor, _feature(process_key))
    return render_template(
        "workbench/editor.html",
        process_key=process_key,
        draft=draft,
        main=_main_file(draft),
        phrases=step_phrases(project_root()),
        known_roles=sorted(_known_roles() or ()),
    )


def _main_file(draft: Draft) -> str:
    wanted = f"{draft.process_key}.bpmn"
    names = sorted(n for n in draft.files if n.lower().endswith(".bpmn"))
    for name in names:
        if name.rsplit("/", 1)[-1] == wanted:
            return name
    return next((n for n in names if f'id="{draft.process_key}"'.encode() in draft.files[n]), names[0] if names else "")


def _problem_dicts(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {"file": p.file, "line": p.line, "element": p.element, "message": p.message, "severity": p.severity}
        for p in _localized(problems)
    ]


@bp.get("/<process_key>/draft.json")
@login_required
def draft_json(actor: Actor, process_key: str) -> Any:
    draft = drafts().open(process_key, actor, _feature(process_key))
    text = {n: d.decode("utf-8", errors="replace") for n, d in draft.files.items() if not n.endswith(".zip")}
    problems = lint(draft.files, _known_roles())
    return jsonify(
        lock_version=draft.lock_version, main=_main_file(draft), files=text, problems=_problem_dicts(problems)
    )


@bp.post("/<process_key>/draft")
@login_required
def save_draft(actor: Actor, process_key: str) -> Any:
    """Save edited files (JSON: lock_version, files); a stale lock_version is a 409 and saves nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("files"), dict) or "lock_version" not in body:
        raise InputError("请求格式不正确：需要 lock_version 和 files", "Expected JSON with lock_version and files")
    draft = drafts().open(process_key, actor, _feature(process_key))
    files = dict(draft.files)
    for name, text in body["files"].items():
        if not isinstance(name, str) or not isinstance(text, str):
            raise InputError("文件内容必须是文本", "File contents must be text")
        files[name] = text.encode("utf-8")
    if body.get("strict"):  # the DMN editor: an error in a sent file refuses the save
        found = lint(files, _known_roles())
        if any(p.severity == "error" and p.file in body["files"] for p in found):
            return jsonify(lock_version=draft.lock_version, problems=_problem_dicts(found), saved=False), 422
    saved = drafts().save(process_key, files, int(body["lock_version"]), actor)
    problems = lint(saved.files, _known_roles())
    return jsonify(lock_version=saved.lock_version, problems=_problem_dicts(problems))


@bp.get("/<process_key>/dmn")
@login_required
def dmn_editor(actor: Actor, process_key: str) -> Any:
    """The dmn-js editor on one ``.dmn`` file of the draft (``?file=``); saves go through :func:`save_draft`."""
    draft = drafts().open(process_key, actor, _feature(process_key))
    name = request.args.get("file", "")
    if not name.lower().endswith(".dmn") or name not in draft.files:
        raise NotFoundError(f"草稿中没有决策表文件：{name}", f"No decision table file '{name}' in the draft")
    return render_template("workbench/dmn.html", process_key=process_key, draft=draft, name=name)


@bp.get("/assets/dmn-js/<path:filename>")
def dmn_asset(filename: str) -> Any:
    """dmn-js's prebuilt bundle and styles from npm (``make install``), for process owners only: no CDN."""
    root = Path(current_app.config.get("SHEQUFLOW_ASSETS_DIR") or Path(__file__).resolve().parents[1] / "node_modules")
    return send_from_directory(root / "dmn-js" / "dist", filename, max_age=86400)


@bp.post("/<process_key>/test")
@login_required
def test_draft(actor: Actor, process_key: str) -> Any:
    """Run the process's scenarios against the draft (isolated SQLite files, subprocess, time limit)."""
    draft = drafts().get(process_key, actor)
    if draft is None:
        raise NotFoundError(f"流程“{process_key}”没有草稿", f"No draft of '{process_key}'")
    running = jobs().latest(process_key, "scenarios", actor)
    if running is not None and running.running:
        return redirect(url_for("workbench.job", process_key=process_key, job_id=running.id))
    timeout = float(current_app.config.get("SHEQUFLOW_SCENARIO_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS)
    root, store, files, tested = project_root(), drafts(), draft.files, draft.content_hash

    def work(report: Report) -> dict[str, Any]:
        run = run_scenarios(root, process_key, files, timeout)
        store.record_test(process_key, tested, run.passed, run.report())
        return {"passed": run.passed, "scenarios": len(run.scenarios)}

    job = jobs().create("scenarios", process_key, actor, {"content_hash": tested})
    jobs().start(job, work)
    return redirect(url_for("workbench.job", process_key=process_key, job_id=job.id))


@bp.post("/<process_key>/publish")
@login_required
def publish(actor: Actor, process_key: str) -> Any:
    reason = request.form.get("override_reason") or None
    try:
        result = drafts().publish(process_key, actor, override_reason=reason, known_roles=_known_roles())
    except BundleError as err:
        return _process_page(actor, process_key, list(err.problems), 422)
    history = drafts().history(process_key)
    mine = [v.version for v in result.versions if v.process_key == process_key]
    if mine and history and history[0].version == mine[0]:
        flash(_("已发布新版本 v%(v)s：新案件使用新版本，在办案件仍按原版本办理", v=mine[0]), "info")
    else:
        flash(_("草稿与已有版本内容相同，没有产生新版本"), "info")
    return redirect(url_for("workbench.process", process_key=process_key))


@bp.post("/<process_key>/discard")
@login_required
def discard(actor: Actor, process_key: str) -> Any:
    drafts().discard(process_key, actor)
    flash(_("草稿已删除"), "info")
    return redirect(url_for("workbench.process", process_key=process_key))


@bp.post("/<process_key>/form-preview")
@login_required
def form_preview(actor: Actor, process_key: str) -> Any:
    """Render a form schema being edited exactly as the task page does (the same fields and macro)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise InputError("请求格式不正确：需要 schema 文本", "Expected JSON with the schema text")
    try:
        schema = json.loads(body["schema"])
        ui = json.loads(body.get("ui") or "{}")
    except (ValueError, RecursionError) as err:
        return render_template("workbench/_form_preview.html", error=str(err)), 200
    if not isinstance(schema, dict) or not isinstance(schema.get("properties") or {}, dict) or not isinstance(ui, dict):
        return render_template("workbench/_form_preview.html", error=_("schema 必须是含 properties 的对象")), 200
    rows: dict[str, Any] = {
        k: [{}]
        for k, node in (schema.get("properties") or {}).items()
        if isinstance(node, dict) and node.get("type") == "array"
    }
    try:
        fields = build_fields(schema, ui, rows, {})
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        return render_template("workbench/_form_preview.html", error=f"{type(err).__name__}: {err}"), 200
    return render_template(
        "workbench/_form_preview.html",
        title=schema.get("title") or "",
        help=schema.get("description") or "",
        fields=fields,
        error=None,
    )
