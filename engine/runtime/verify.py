"""``shequflow verify``: recompute everything a case stores and report what does not match.

Checks, in order (see :mod:`engine.runtime.integrity` for why each exists):

1. every audit chain (keyed hashes, sequence, and the head stored on the case row);
2. every case's state digest against its stored header or packed state and task rows;
3. every open case's ready human tasks, rebuilt from its restored workflow, against ``human_tasks``;
4. optionally, signed anchor files written earlier by ``shequflow audit anchor``: every anchored case
   still exists and its chain still holds the anchored head.

Verification reads; it never repairs. It restores workflows without the live cache, so what is
checked is what the database holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.clock import to_db_time
from engine.runtime import audit, integrity
from engine.runtime.instances import INSTANCE_COLUMNS, InstanceRow, InstanceStore, LiveCache
from engine.runtime.projection import task_properties
from engine.runtime.steps import task_role


@dataclass(frozen=True)
class Finding:
    """One thing that does not verify."""

    kind: str  # audit | state | projection | anchor
    instance_id: int | None
    message: str

    def __str__(self) -> str:
        where = f"案件 #{self.instance_id}：" if self.instance_id is not None else ""
        return f"[{self.kind}] {where}{self.message}"


@dataclass
class Report:
    findings: list[Finding]
    audit_rows: int
    cases: int

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_everything(runtime: Any, anchors: Iterable[Path] = ()) -> Report:
    """Run every check on the runtime's database; ``anchors`` are files from :func:`write_anchor`."""
    findings: list[Finding] = []
    checked, broken = audit.verify(runtime.db)
    if broken is not None:
        findings.append(Finding("audit", broken.instance_id, f"审计链在第 {broken.seq} 条断开：{broken.reason}"))
    store = InstanceStore(runtime.definitions, runtime.codec, LiveCache(0), runtime.script_engine)
    with runtime.db.transaction(write=False) as tx:
        rows = [InstanceRow(*r) for r in tx.all(f"SELECT {INSTANCE_COLUMNS} FROM instances ORDER BY id")]
        for row in rows:
            findings.extend(_check_case(tx, store, row))
        for path in anchors:
            findings.extend(_check_anchor(tx, path))
    return Report(findings, checked, len(rows))


def _check_case(tx: Any, store: InstanceStore, row: InstanceRow) -> list[Finding]:
    facts = tx.one("SELECT state_digest FROM instances WHERE id = :i", {"i": row.id})
    recorded = facts[0] if facts else None
    digests = {} if row.state_packed is not None else store.row_digests(tx, row.id)
    expected = integrity.state_digest(
        row.state_packed if row.state_packed is not None else row.state,
        integrity.rows_sum(digests),
        row.audit_seq,
        row.audit_head,
        row.lock_version,
        row.status,
        row.street_code,
        row.organization_id,
        integrity.case_identity(row.process_version_id, row.process_key, row.business_key, row.title, row.started_by),
    )
    if recorded != expected:
        why = "没有记录状态摘要" if recorded is None else "存储的状态、任务行或案件字段与最后一次记录的摘要不符"
        return [Finding("state", row.id, why)]
    if row.status in ("completed", "cancelled"):
        return []
    try:
        live = store.load(tx, row)
    except Exception as exc:  # a state that no longer restores is itself a finding
        return [Finding("state", row.id, f"状态无法还原：{type(exc).__name__}")]
    from SpiffWorkflow import TaskState

    want = {
        str(t.id): (task_role(t, task_properties(t)), row.street_code, row.organization_id)
        for t in live.wf.get_tasks(state=TaskState.READY, manual=True)
    }
    have = {
        r[0]: (r[1], r[2], r[3])
        for r in tx.all(
            "SELECT id, role, street_code, organization_id FROM human_tasks WHERE instance_id = :i AND state = 'READY'",
            {"i": row.id},
        )
    }
    out = []
    for tid in sorted(want.keys() | have.keys()):
        if want.get(tid) != have.get(tid):
            out.append(
                Finding(
                    "projection", row.id, f"待办任务 {tid} 与流程状态不符：应为 {want.get(tid)}，实为 {have.get(tid)}"
                )
            )
    return out


def write_anchor(db: Any, path: Path, now: Any) -> int:
    """Write every case's chain head, signed with the server key, to ``path``; return cases anchored."""
    with db.transaction(write=False) as tx:
        heads = [
            [int(i), int(s), str(h)]
            for i, s, h in tx.all("SELECT id, audit_seq, audit_head FROM instances ORDER BY id")
        ]
    body = {"created_at": to_db_time(now), "heads": heads}
    signed = {**body, "sig": integrity.mac(json.dumps(body, sort_keys=True, separators=(",", ":")))}
    path.write_text(json.dumps(signed, ensure_ascii=False), encoding="utf-8")
    return len(heads)


def _check_anchor(tx: Any, path: Path) -> list[Finding]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        body = {"created_at": doc["created_at"], "heads": doc["heads"]}
        sig = doc["sig"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Finding("anchor", None, f"锚点文件 {path} 无法读取：{exc}")]
    if integrity.mac(json.dumps(body, sort_keys=True, separators=(",", ":"))) != sig:
        return [Finding("anchor", None, f"锚点文件 {path} 的签名不符（文件被修改或密钥不同）")]
    out = []
    for iid, seq, head in body["heads"]:
        if seq == 0:
            continue
        row = tx.one("SELECT hash FROM audit_events WHERE instance_id = :i AND seq = :s", {"i": iid, "s": seq})
        exists = tx.one("SELECT 1 FROM instances WHERE id = :i", {"i": iid})
        if exists is None:
            out.append(Finding("anchor", iid, f"案件已被删除（锚点 {path.name} 记录其审计链至第 {seq} 条）"))
        elif row is None or row[0] != head:
            out.append(Finding("anchor", iid, f"审计链与锚点 {path.name} 不符：第 {seq} 条缺失或被改写"))
    return out
