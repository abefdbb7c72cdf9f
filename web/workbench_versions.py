"""Workbench pages over published versions: compare two versions, migrate running cases.

Compare lists what ``ProcessEngine.compare_versions`` finds and marks it on both diagrams (removed
and changed on the old one, added and changed on the new one). Migrate lists the not-ended cases of an
older version in the owner's scope (filter by status and street, select all), runs a dry run that says
per case whether it can move and why not, then migrates the selection in batches. Both run as jobs
(:mod:`engine.definitions.jobs`) outside the request, so ten thousand cases are not cut off by the
server's request timeout: the job page refreshes with the progress after every batch, then lists every
case's outcome. Each migrated case's audit log gets a
``case_migrated`` row from the engine; a refused case stays untouched on its version. These routes are
on the workbench blueprint, so the process-owner check of :mod:`web.workbench` covers them.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.accounts.authz import Actor
from engine.definitions.jobs import Report
from engine.errors import InputError, NotFoundError
from engine.runtime.migration import CaseOutcome, MigrationProgress, MigrationReport
from engine.worklist.diagram import bundle_structure
from engine.worklist.numbers import ascii_int
from web.auth import login_required
from web.services import engine_services
from web.workbench import _entry, _version_files, bp, jobs

BPMN_SUFFIX = ".bpmn"
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
    marks = [asdict(e) for e in result.elements] if result else []
    if result is not None:  # a call activity whose called process (or one below it) changed is changed too
        inside = {e.process_id for e in result.elements}
        for version in (old, new):
            structure = bundle_structure(_version_files(actor, process_key, version))
            for process, calls in structure.calls.items():
                for call, called in calls:
                    if structure.subtree(called) & inside:
                        marks.append({"element_id": call, "kind": "changed", "process_id": process, "inside": True})
    return render_template(
        "workbench/compare.html",
        process_key=process_key,
        versions=_versions(actor, process_key),
        old=old,
        new=new,
        result=result,
        marks=marks,
    )


@bp.get("/<process_key>/diagram.json")
@login_required
def version_diagram(actor: Actor, process_key: str) -> Any:
    """The BPMN of a version that holds the process (for the compare page's diagrams)."""
    version = request.args.get("version", type=int)
    process = request.args.get("process") or process_key
    files = _version_files(actor, process_key, version or 0)
    marker = f'id="{process}"'.encode()
    for name in sorted(files):
        if name.lower().endswith(BPMN_SUFFIX) and marker in files[name]:
            return jsonify(file=name, xml=files[name].decode("utf-8", errors="replace"))
    raise NotFoundError(f"版本中没有流程“{process}”", f"No process '{process}' in that version")


@bp.route("/<process_key>/migrate", methods=["GET", "POST"])
@login_required
def migrate(actor: Actor, process_key: str) -> Any:
    """The cases of an older version; a POST starts a dry run or a migration of the selection as a job."""
    old, new = _pair(actor, process_key, "from", "to")
    engine = engine_services().engine
    status = request.values.get("status") or None
    street = request.values.get("street") or None
    if request.method == "POST":
        ids = [n for n in (ascii_int(i) for i in request.form.getlist("case_id")) if n is not None]
        if not ids:
            raise InputError("请选择要迁移的案件", "Select the cases to migrate")
        dry_run = request.form.get("action") != "migrate"
        size = max(1, min(request.form.get("batch_size", 50, type=int) or 50, 500))
        params = {"from": old, "to": new, "dry_run": dry_run, "cases": len(ids), "batch_size": size}
        job = jobs().create("migration", process_key, actor, params)

        def work(report: Report) -> dict[str, Any]:
            done = engine.migrate(
                process_key,
                old,
                new,
                actor,
                case_ids=ids,
                dry_run=dry_run,
                batch_size=size,
                progress=lambda p: report(asdict(p)),
            )
            return asdict(done)

        jobs().start(job, work)
        return redirect(url_for("workbench.job", process_key=process_key, job_id=job.id))
    cases = engine.cases_on_version(process_key, old, actor, status=status, street=street) if old != new else []
    return render_template(
        "workbench/migrate.html",
        process_key=process_key,
        versions=_versions(actor, process_key),
        old=old,
        new=new,
        cases=cases,
        status=status or "",
        street=street or "",
        selected={n for n in (ascii_int(i) for i in request.args.getlist("case_id")) if n is not None},
    )


@bp.get("/<process_key>/jobs/<int(max=2147483647):job_id>")
@login_required
def job(actor: Actor, process_key: str, job_id: int) -> Any:
    """A job's page (JSON with ``Accept: application/json``): it refreshes while the job runs.

    A finished scenario run goes back to the process page, where its results are listed; a finished
    dry run or migration shows every case's outcome (after a dry run, with the button to migrate the
    cases that can move).
    """
    _entry(actor, process_key)  # the process must be the owner's
    found = jobs().get(job_id, process_key, actor)
    if request.accept_mimetypes.best == "application/json":
        return jsonify(
            id=found.id,
            kind=found.kind,
            status=found.status,
            params=found.params,
            progress=found.progress,
            result=found.result,
            error=found.error,
        )
    if found.kind == "scenarios" and found.status == "done":
        passed = bool((found.result or {}).get("passed"))
        flash(_("场景全部通过") if passed else _("有场景未通过"), "info" if passed else "error")
        return redirect(url_for("workbench.process", process_key=process_key, _anchor="scenarios"))
    report = _report(found.result) if found.kind == "migration" and found.status == "done" else None
    progress = MigrationProgress(**found.progress) if found.kind == "migration" and found.progress else None
    return render_template("workbench/job.html", process_key=process_key, job=found, report=report, p=progress)


def _report(result: dict[str, Any] | None) -> MigrationReport | None:
    if not result:
        return None
    outcomes = [CaseOutcome(**{**o, "current": tuple(o.get("current") or ())}) for o in result.get("outcomes") or []]
    return MigrationReport(**{**result, "outcomes": outcomes})


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
