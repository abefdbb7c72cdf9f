"""Workbench pages over published versions: compare two versions, migrate running cases.

Compare lists what ``ProcessEngine.compare_versions`` finds and marks it on both diagrams (removed
and changed on the old one, added and changed on the new one). Migrate lists the not-ended cases of an
older version in the owner's scope (filter by status and street, select all), runs a dry run that says
per case whether it can move and why not, then migrates the selection in batches: the page is streamed,
one progress line as each batch finishes, then every case's outcome. Each migrated case's audit log gets a
``case_migrated`` row from the engine; a refused case stays untouched on its version. These routes are
on the workbench blueprint, so the process-owner check of :mod:`web.workbench` covers them.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import Any

from flask import Response, jsonify, render_template, request, stream_with_context
from markupsafe import Markup, escape

from engine.accounts.authz import Actor
from engine.errors import EngineError, InputError, NotFoundError
from engine.runtime.migration import MigrationProgress
from engine.worklist.numbers import ascii_int
from web.auth import login_required
from web.services import engine_services
from web.workbench import _entry, bp

BPMN_SUFFIX = ".bpmn"
LIVE = Markup("<!--live-progress-->")
current_log = logging.getLogger(__name__)


def _versions(actor: Actor, process_key: str) -> list[int]:
    return [row.version.version for row in _entry(actor, process_key).versions]


def _pair(actor: Actor, process_key: str, old_arg: str, new_arg: str) -> tuple[int, int]:
    numbers = _versions(actor, process_key)
    old = request.values.get(old_arg, type=int)
    new = request.values.get(new_arg, type=int)
    if new is None:
        new = numbers[0]
    if old is None:
        old = next((n for n in numbers if n < new), new)
    return old, new


@bp.get("/<process_key>/compare")
@login_required
def compare(actor: Actor, process_key: str) -> Any:
    old, new = _pair(actor, process_key, "old", "new")
    engine = engine_services().engine
    result = engine.compare_versions(process_key, old, new, actor) if old != new else None
    return render_template(
        "workbench/compare.html",
        process_key=process_key,
        versions=_versions(actor, process_key),
        old=old,
        new=new,
        result=result,
        marks=result.to_dict() if result else None,
    )


@bp.get("/<process_key>/diagram.json")
@login_required
def version_diagram(actor: Actor, process_key: str) -> Any:
    """The BPMN of a version that holds the process (for the compare page's diagrams)."""
    version = request.args.get("version", type=int)
    process = request.args.get("process") or process_key
    row = next((r.version for r in _entry(actor, process_key).versions if r.version.version == version), None)
    if row is None:
        raise NotFoundError(f"流程版本不存在：{process_key} v{version}", f"No such version: {process_key} v{version}")
    services = engine_services()
    with services.db.transaction(write=False) as tx:
        files = services.engine.definitions.loaded(tx, row.bundle_id).bundle.files
    marker = f'id="{process}"'.encode()
    for name in sorted(files):
        if name.lower().endswith(BPMN_SUFFIX) and marker in files[name]:
            return jsonify(file=name, xml=files[name].decode("utf-8", errors="replace"))
    raise NotFoundError(f"版本中没有流程“{process}”", f"No process '{process}' in that version")


@bp.route("/<process_key>/migrate", methods=["GET", "POST"])
@login_required
def migrate(actor: Actor, process_key: str) -> Any:
    old, new = _pair(actor, process_key, "from", "to")
    engine = engine_services().engine
    status = request.values.get("status") or None
    street = request.values.get("street") or None
    cases = engine.cases_on_version(process_key, old, actor, status=status, street=street) if old != new else []
    report, steps = None, []
    if request.method == "POST":
        ids = [n for n in (ascii_int(i) for i in request.form.getlist("case_id")) if n is not None]
        if not ids:
            raise InputError("请选择要迁移的案件", "Select the cases to migrate")
        dry_run = request.form.get("action") != "migrate"
        size = max(1, min(request.form.get("batch_size", 50, type=int) or 50, 500))

        if not dry_run:
            return _stream_migration(process_key, old, new, actor, ids, size)

        def progress(p: MigrationProgress) -> None:
            steps.append(p)

        report = engine.migrate(
            process_key, old, new, actor, case_ids=ids, dry_run=dry_run, batch_size=size, progress=progress
        )
    selected = {n for n in (ascii_int(i) for i in request.form.getlist("case_id")) if n is not None}
    page = render_template(
        "workbench/migrate.html",
        process_key=process_key,
        versions=_versions(actor, process_key),
        old=old,
        new=new,
        cases=cases,
        status=status or "",
        street=street or "",
        report=report,
        steps=steps,
        selected=selected,
    )
    return page


def _stream_migration(process_key: str, old: int, new: int, actor: Actor, ids: list[int], size: int) -> Response:
    """Migrate in a worker thread and stream the page: a progress line after every batch, then the outcomes.

    Each case is its own transaction in the engine, so the page can report as batches finish; the thread
    needs no request (the engine and the actor are passed in). The worker's end (report or error) closes
    the page. The status is 200 once streaming starts; an engine error is shown in the page.
    """
    engine = engine_services().engine
    events: queue.Queue[Any] = queue.Queue()

    def work() -> None:
        try:
            events.put(
                engine.migrate(
                    process_key, old, new, actor, case_ids=ids, dry_run=False, batch_size=size, progress=events.put
                )
            )
        except EngineError as exc:
            events.put(exc)
        except Exception as exc:  # the page must end; the details stay in the log
            current_log.exception("migration failed")
            events.put(EngineError("迁移意外中止，请查看日志", f"Migration stopped: {type(exc).__name__}"))

    threading.Thread(target=work, name=f"migrate-{process_key}", daemon=True).start()
    page = render_template(
        "workbench/migrate_live.html", process_key=process_key, old=old, new=new, total=len(ids), size=size, mark=LIVE
    )
    head, middle, tail = page.split(LIVE)

    def generate() -> Iterator[str]:
        yield head
        while True:
            item = events.get()
            if isinstance(item, MigrationProgress):
                yield render_template("workbench/_migrate_step.html", p=item)
                continue
            yield middle
            if isinstance(item, EngineError):
                yield f'<p class="flash error" role="alert">{escape(item.message_zh)}</p>'
            else:
                yield render_template("workbench/_migrate_report.html", report=item, steps=[])
            break
        yield tail

    return Response(stream_with_context(generate()), mimetype="text/html")


@bp.get("/<process_key>/versions.json")
@login_required
def versions_json(actor: Actor, process_key: str) -> Any:
    """The process's versions with their running cases (JSON, for scripts and tools)."""
    rows = _entry(actor, process_key).versions
    return jsonify(
        [
            {
                "version": r.version.version,
                "status": r.version.status,
                "author": r.version.author,
                "created_at": r.version.created_at,
                "published_at": r.version.published_at,
                "running": r.running,
            }
            for r in rows
        ]
    )
