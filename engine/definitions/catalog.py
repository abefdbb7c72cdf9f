"""The workbench's process list: every process with its versions, running cases per version, and drafts.

Called processes are listed under the process that calls them (a process is "called" when the latest
version of another process has a call activity naming it); a process nobody calls is a top-level row.
Counting cases is one grouped query over ``instances``; the call graph is read from the latest
version's BPMN through the safe XML loader.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

import orjson

from engine.accounts.authz import Actor
from engine.definitions.drafts import require_owner
from engine.definitions.problems import BPMN_NS
from engine.definitions.versions import VERSION_COLUMNS, ProcessVersion
from engine.definitions.xmlsafe import load_xml
from engine.store.db import Database, Tx

ENDED = ("completed", "cancelled")


@dataclass(frozen=True)
class VersionRow:
    """One version with the number of its not-ended cases."""

    version: ProcessVersion
    running: int


@dataclass
class ProcessEntry:
    """One process of the list: versions newest first, whether a draft is open, and what it calls."""

    key: str
    name: str
    versions: list[VersionRow]
    draft_by: str | None = None
    draft_at: str | None = None
    calls: list[ProcessEntry] = field(default_factory=list)


def process_list(db: Database, actor: Actor) -> list[ProcessEntry]:
    """Every process for the workbench, called processes nested under their callers."""
    require_owner(actor)
    with db.transaction(write=False) as tx:
        versions = [
            ProcessVersion.from_row(r)
            for r in tx.all(f"SELECT {VERSION_COLUMNS} FROM process_versions ORDER BY process_key, version DESC")
        ]
        running = dict(
            tx.all(
                "SELECT process_version_id, COUNT(*) FROM instances WHERE status NOT IN ('completed', 'cancelled') "
                "GROUP BY process_version_id"
            )
        )
        drafts = {
            r[0]: (r[1], r[2]) for r in tx.all("SELECT process_key, updated_by, updated_at FROM workbench_drafts")
        }
        entries: dict[str, ProcessEntry] = {}
        for v in versions:
            entry = entries.get(v.process_key)
            if entry is None:
                entry = entries[v.process_key] = ProcessEntry(v.process_key, v.name, [])
                entry.draft_by, entry.draft_at = drafts.get(v.process_key, (None, None))
            entry.versions.append(VersionRow(v, int(running.get(v.id, 0))))
        graph = {key: _called(tx, e.versions[0].version) for key, e in entries.items()}
    return _nest(entries, graph)


def _nest(entries: dict[str, ProcessEntry], graph: dict[str, list[str]]) -> list[ProcessEntry]:
    """Place every process once: under its first caller, else at the top (a cycle of calls comes out at the top)."""
    called = {c for callees in graph.values() for c in callees if c in entries}
    placed: set[str] = set()
    roots: list[ProcessEntry] = []

    def attach(key: str) -> None:
        children = [c for c in graph.get(key, []) if c in entries and c not in placed]
        placed.update(children)
        entries[key].calls = [entries[c] for c in children]
        for child in children:
            attach(child)

    for key in [k for k in entries if k not in called] + list(entries):
        if key not in placed:
            placed.add(key)
            roots.append(entries[key])
            attach(key)
    return roots


def _called(tx: Tx, version: ProcessVersion) -> list[str]:
    """The processes a version's process calls, in document order."""
    row = tx.one("SELECT files FROM bundles WHERE id = :id", {"id": version.bundle_id})
    if row is None:
        return []
    found: list[str] = []
    for name, data in orjson.loads(bytes(row[0])).items():
        if not name.lower().endswith(".bpmn"):
            continue
        tree, problem = load_xml(name, base64.b64decode(data))
        if problem is not None or tree is None:
            continue
        for proc in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
            if proc.get("id") != version.process_key:
                continue
            for call in proc.iter(f"{{{BPMN_NS}}}callActivity"):
                callee = call.get("calledElement")
                if callee and callee not in found:
                    found.append(callee)
    return found
