"""The diagram of a case: its process's BPMN XML from the pinned bundle, and where the case stands.

Marks come from the read models, never from deserializing the workflow: human tasks completed
(``completed``), open (``active``) and the tasks of open incidents (``errors``). A called process of the
same bundle is served as its own diagram (``process`` names it), marked with the tasks that lie in it.
A process split into levels keeps its people's tasks in the called phases, so a call activity is marked
too: active while an open task (or an incident) lies in the process it calls, or in one that process
calls in turn; completed once a task in it was completed and none is open. Which process an element
lies in is read from the bundle's BPMN (element ids are unique within a bundle's processes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

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


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True)
class BundleStructure:
    """Which process each element lies in, and the call activities of each process."""

    owner: dict[str, str]
    calls: dict[str, list[tuple[str, str]]]  # process -> (call activity id, called process)

    def subtree(self, process: str) -> set[str]:
        """The process and every process it calls, directly or through others."""
        seen, todo = set(), [process]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo += [called for _, called in self.calls.get(current, [])]
        return seen

    def marks(self, process: str, completed: Iterable[str], active: Iterable[str], errors: Iterable[str]) -> Any:
        """(completed, active, errors) element ids to mark on ``process``'s diagram."""
        sets = [set(completed), set(active), set(errors)]
        inside = [{i for i in ids if self.owner.get(i) == process} for ids in sets]
        for call, called in self.calls.get(process, []):
            tree = self.subtree(called)
            hits = [any(self.owner.get(i) in tree for i in ids) for ids in sets]
            if hits[2]:
                inside[2].add(call)
            elif hits[1]:
                inside[1].add(call)
            elif hits[0]:
                inside[0].add(call)
        return [sorted(ids) for ids in inside]


def bundle_structure(files: dict[str, bytes]) -> BundleStructure:
    """Which process each element of a bundle lies in, and every process's call activities."""
    owner: dict[str, str] = {}
    calls: dict[str, list[tuple[str, str]]] = {}
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    for name, data in files.items():
        if not name.endswith(".bpmn"):
            continue
        root = etree.fromstring(data, parser)
        for process in root.iter(f"{{{BPMN}}}process"):
            pid = process.get("id")
            for el in process.iter():
                if isinstance(el.tag, str) and el.get("id"):
                    owner.setdefault(el.get("id"), pid)
                if el.tag == f"{{{BPMN}}}callActivity" and el.get("calledElement"):
                    calls.setdefault(pid, []).append((el.get("id"), el.get("calledElement")))
    return BundleStructure(owner, calls)


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
        self._structures: dict[int, BundleStructure] = {}  # bundle id -> structure (bundles never change)

    def case_diagram(self, actor: Actor, instance_id: int, process_key: str | None = None) -> CaseDiagram:
        """The diagram of a case the actor may see (or of a process its bundle calls)."""
        case = self.queries.instance(actor, instance_id)
        key = process_key or case.process_key
        with self.db.transaction(write=False) as tx:
            bundle_id = tx.scalar(
                "SELECT bundle_id FROM process_versions WHERE id = :v", {"v": case.process_version_id}
            )
            loaded = self.definitions.loaded(tx, int(bundle_id))
        files = dict(loaded.bundle.files)
        xml = _process_xml(files, key)
        if xml is None:
            raise NotFoundError(f"流程图不存在：{key}", f"No diagram for process {key}")
        structure = self._structures.get(int(bundle_id))
        if structure is None:
            structure = self._structures[int(bundle_id)] = bundle_structure(files)
        tasks = self.queries.case_tasks(actor, instance_id)
        incidents = self.queries.incidents(actor, instance_id)
        completed, active, errors = structure.marks(
            key,
            (t.bpmn_id for t in tasks if t.state == "COMPLETED"),
            (t.bpmn_id for t in tasks if t.state == "READY"),
            (i.bpmn_id for i in incidents if i.bpmn_id),
        )
        return CaseDiagram(key, xml, completed=completed, active=active, errors=errors)
