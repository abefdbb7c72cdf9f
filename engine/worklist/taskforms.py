"""The form of a task (JSON Schema + UI schema from the case's pinned bundle) and the user's draft of it.

A form is read for a task the actor may see; a draft is saved only by someone who may work on the task
right now, and read back only by its author while the task is open. Drafts are stored as typed, not
validated: validation is the engine's job when the task is completed.

A form opens with what the case already holds for its fields (:func:`opening_values`): a correction
form shows what was submitted before, a reviewer sees the application. A saved draft wins over the
case, except for fields the schema marks ``readOnly``: those always show, and submit, the case's value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from engine.accounts.authz import ADMIN_ROLE, Actor
from engine.clock import to_db_time
from engine.definitions.versions import Definitions
from engine.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from engine.runtime.queries import Queries, TaskView
from engine.store.db import Database

MAX_DRAFT_BYTES = 256 * 1024


@dataclass(frozen=True)
class TaskForm:
    """A task with the schemas its page renders."""

    task: TaskView
    schema: dict[str, Any]
    ui_schema: dict[str, Any]
    documentation: str = ""  # the task's instructions from the BPMN (legal basis, what to check)


def _documentation(loaded: Any, task: TaskView) -> str:
    """The documentation of the task's BPMN element, looked up in its process and the processes it calls."""
    try:
        spec, subprocess_specs = loaded.spec(task.process_key)
    except KeyError:
        return ""
    for candidate in (spec, *subprocess_specs.values()):
        for task_spec in candidate.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == task.bpmn_id:
                return str(getattr(task_spec, "documentation", None) or "")
    return ""


def read_only_keys(schema: dict[str, Any]) -> list[str]:
    """The top-level fields the schema marks ``readOnly: true``."""
    props = schema.get("properties") or {}
    return [k for k, node in props.items() if isinstance(node, dict) and node.get("readOnly") is True]


def with_case_values(schema: dict[str, Any], values: dict[str, Any], case: dict[str, Any]) -> dict[str, Any]:
    """``values`` with every read-only field replaced by the case's value (or dropped when it has none)."""
    merged = dict(values)
    for key in read_only_keys(schema):
        merged.pop(key, None)
        if key in case:
            merged[key] = case[key]
    return merged


def opening_values(schema: dict[str, Any], case: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    """What a task form opens with: the actor's draft if saved, else the case's values; read-only from the case."""
    return with_case_values(schema, draft if draft is not None else case, case)


class TaskForms:
    """Forms and drafts for tasks, scoped by the actor's grants."""

    def __init__(self, db: Database, definitions: Definitions, queries: Queries) -> None:
        self.db = db
        self.definitions = definitions
        self.queries = queries

    def form(self, actor: Actor, task_id: str) -> TaskForm:
        """The task (NotFound when the actor may not see it) with its form and UI schema."""
        task = self.queries.task(actor, task_id)
        with self.db.transaction(write=False) as tx:
            bundle_id = tx.scalar(
                "SELECT pv.bundle_id FROM instances i JOIN process_versions pv ON pv.id = i.process_version_id "
                "WHERE i.id = :i",
                {"i": task.instance_id},
            )
            loaded = self.definitions.loaded(tx, int(bundle_id))
        schema = loaded.form(task.form) or {"type": "object", "properties": {}}
        ui_name = task.ui_form or (task.form.replace(".schema.json", ".uischema.json") if task.form else None)
        return TaskForm(task, schema, loaded.form(ui_name) or {}, _documentation(loaded, task))

    def preview(self, actor: Actor, process_key: str, form_name: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A form of the latest published version with its UI schema, for process owners."""
        if not any(g.role == ADMIN_ROLE for g in actor.grants):
            raise PermissionDeniedError("只有流程管理员可以预览表单", "Only process owners may preview forms")
        with self.db.transaction(write=False) as tx:
            loaded = self.definitions.loaded(tx, self.definitions.startable(tx, process_key).bundle_id)
        schema = loaded.form(form_name) if form_name.endswith(".schema.json") else None
        if schema is None:
            raise NotFoundError(f"表单不存在：{form_name}", f"No such form: {form_name}")
        return schema, loaded.form(form_name.replace(".schema.json", ".uischema.json")) or {}

    def save_draft(self, actor: Actor, task_id: str, data: dict[str, Any], now: datetime) -> None:
        """Keep what the actor typed so far (only while they may work on the open task)."""
        task = self.queries.task(actor, task_id)
        if task.state != "READY":
            raise ConflictError("该任务已被办理或已取消", "The task is no longer open", task_id=task_id)
        if not actor.may_act_on_task(task.role, task.street_code, task.organization_id, task.assignee):
            raise PermissionDeniedError("您无权办理此任务", "You may not work on this task", task_id=task_id)
        body = orjson.dumps(data)
        if len(body) > MAX_DRAFT_BYTES:
            raise InputError("草稿过大", "Draft too large")
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM task_drafts WHERE task_id = :t AND username = :u", {"t": task_id, "u": actor.username}
            )
            tx.execute(
                "INSERT INTO task_drafts (task_id, username, data, saved_at) VALUES (:t, :u, :d, :s)",
                {"t": task_id, "u": actor.username, "d": body.decode(), "s": to_db_time(now)},
            )

    def draft(self, actor: Actor, task_id: str) -> tuple[dict[str, Any], str] | None:
        """The actor's own draft of an open task and when it was saved, or None."""
        task = self.queries.task(actor, task_id)
        if task.state != "READY":
            return None
        with self.db.transaction(write=False) as tx:
            row = tx.one(
                "SELECT data, saved_at FROM task_drafts WHERE task_id = :t AND username = :u",
                {"t": task_id, "u": actor.username},
            )
        return (orjson.loads(row[0]), str(row[1])) if row else None

    def discard_draft(self, actor: Actor, task_id: str) -> None:
        """Forget the actor's draft of a task (after completing it)."""
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM task_drafts WHERE task_id = :t AND username = :u", {"t": task_id, "u": actor.username}
            )
