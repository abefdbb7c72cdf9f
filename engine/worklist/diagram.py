"""The diagram of a case: its process's BPMN XML from the pinned bundle, and where the case stands.

Marks come from the read models, never from deserializing the workflow: human tasks completed
(``completed``), open (``active``) and the tasks of open incidents (``errors``). A called process of the
same bundle is served as its own diagram (``process`` names it); marks apply to the case's own process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from engine.accounts.authz import Actor
from engine.definitions.versions import Definitions
from engine.errors import NotFoundError
from engine.runtime.queries import Queries
from engine.store.db import Database


@dataclass(frozen=True)
class CaseDiagram:
    process_key: str
    xml: str
    completed: list[str] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _process_xml(files: dict[str, bytes], process_key: str) -> str | None:
    by_name = {name.rsplit("/", 1)[-1]: data for name, data in files.items() if name.endswith(".bpmn")}
    if f"{process_key}.bpmn" in by_name:
        return by_name[f"{process_key}.bpmn"].decode("utf-8")
    pattern = re.compile(rb"<(?:\w+:)?process\b[^>]*\bid=\"" + re.escape(process_key.encode()) + rb"\"")
    for data in by_name.values():
        if pattern.search(data):
            return data.decode("utf-8")
    return None


class Diagrams:
    """Case diagrams, scoped by the actor's grants."""

    def __init__(self, db: Database, definitions: Definitions, queries: Queries) -> None:
        self.db = db
        self.definitions = definitions
        self.queries = queries

    def case_diagram(self, actor: Actor, instance_id: int, process_key: str | None = None) -> CaseDiagram:
        """The diagram of a case the actor may see (or of a process its bundle calls)."""
        case = self.queries.instance(actor, instance_id)
        key = process_key or case.process_key
        with self.db.transaction(write=False) as tx:
            bundle_id = tx.scalar(
                "SELECT bundle_id FROM process_versions WHERE id = :v", {"v": case.process_version_id}
            )
            loaded = self.definitions.loaded(tx, int(bundle_id))
        xml = _process_xml(dict(loaded.bundle.files), key)
        if xml is None:
            raise NotFoundError(f"流程图不存在：{key}", f"No diagram for process {key}")
        if key != case.process_key:
            return CaseDiagram(key, xml)
        tasks = self.queries.case_tasks(actor, instance_id)
        incidents = self.queries.incidents(actor, instance_id)
        return CaseDiagram(
            key,
            xml,
            completed=sorted({t.bpmn_id for t in tasks if t.state == "COMPLETED"}),
            active=sorted({t.bpmn_id for t in tasks if t.state == "READY"}),
            errors=sorted({i.bpmn_id for i in incidents if i.bpmn_id}),
        )
