"""Which processes an actor may start, and where: the start page and the API's process list.

The start event's form (spiff-arena's ``formJsonSchemaFilename`` on a none start event) comes with it.
A process is offered when its latest published version has a plain (none) start event — processes that
start only on a message are started by that message — and the actor holds the start event's lane role
(any role when it has none) in some street or organization. The façade checks the same grant again
when the case is started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import NoneEventDefinition

from engine.accounts.authz import Actor
from engine.definitions.versions import Definitions, ProcessVersion, called_only
from engine.runtime.core import start_form_name
from engine.store.db import Database


@dataclass(frozen=True)
class Startable:
    """A process version with the places where the actor may start it, and its start form if it has one."""

    version: ProcessVersion
    streets: list[str]
    orgs: list[int]
    form: dict[str, Any] | None = None
    ui_form: dict[str, Any] = field(default_factory=dict)


def _has_plain_start(spec: object) -> bool:
    return any(
        isinstance(ts, StartEvent) and isinstance(ts.event_definition, NoneEventDefinition)
        for ts in getattr(spec, "task_specs", {}).values()
    )


def startable(db: Database, definitions: Definitions, actor: Actor) -> list[Startable]:
    """Latest published versions the actor may start, with the streets and organizations where."""
    latest: dict[str, ProcessVersion] = {}
    for pv in definitions.list_versions():
        if pv.status == "published" and pv.process_key not in latest:
            latest[pv.process_key] = pv
    found = []
    for pv in latest.values():
        role = pv.start_role
        streets = sorted(actor.streets_by_role.get(role, ())) if role else sorted(actor.all_streets)
        orgs = sorted(actor.orgs_by_role.get(role, ())) if role else sorted(actor.all_orgs)
        if not (streets or orgs):
            continue
        with db.transaction(write=False) as tx:
            loaded = definitions.loaded(tx, pv.bundle_id)
        spec, _subprocesses = loaded.spec(pv.process_key)
        if _has_plain_start(spec) and not called_only(spec):
            name = start_form_name(spec)
            form = loaded.form(name) if name else None
            ui = loaded.form(name.replace(".schema.json", ".uischema.json")) if name else None
            found.append(Startable(pv, streets, orgs, form, ui or {}))
    return found


def startable_one(db: Database, definitions: Definitions, actor: Actor, process_key: str) -> Startable | None:
    """The process if the actor may start it somewhere, else None."""
    return next((s for s in startable(db, definitions, actor) if s.version.process_key == process_key), None)
