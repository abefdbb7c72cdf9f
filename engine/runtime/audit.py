"""Tamper-evident audit log: append-only events per instance, each hashing the previous one.

Every row stores ``hash = MAC(server key, prev_hash, canonical JSON of the row)`` — keyed, so an edited
row cannot be re-hashed by someone without the key (:mod:`engine.runtime.integrity`); the chain head
(last seq and hash) is kept on the instance row, written by the same optimistic-locked UPDATE as the state, so an
append costs no extra read. :func:`verify` recomputes every chain and reports the first broken link —
an edited, deleted or inserted row, or a chain whose tail was cut off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from engine.runtime.integrity import mac
from engine.store.db import Database

GENESIS = "0" * 64


def row_hash(
    prev_hash: str,
    instance_id: int,
    seq: int,
    at: str,
    actor: str,
    type_: str,
    task_id: str | None,
    task_name: str | None,
    data: str,
) -> str:
    """Hash one audit row together with its predecessor's hash (keyed with the server secret)."""
    body = orjson.dumps([instance_id, seq, at, actor, type_, task_id, task_name, data])
    return mac(prev_hash, body)


@dataclass
class AuditEvent:
    """One event to append."""

    type: str
    actor: str
    task_id: str | None = None
    task_name: str | None = None
    data: Any = None


@dataclass
class BrokenLink:
    """The first place where a chain does not verify."""

    instance_id: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"实例 {self.instance_id} 审计链在第 {self.seq} 条断开：{self.reason}"


def verify(db: Database) -> tuple[int, BrokenLink | None]:
    """Check every chain; return (rows checked, first broken link or None)."""
    checked = 0
    with db.transaction(write=False) as tx:
        heads = {r[0]: (r[1], r[2]) for r in tx.all("SELECT id, audit_seq, audit_head FROM instances")}
        cur = tx.execute(
            "SELECT instance_id, seq, at, actor, type, task_id, task_name, data, prev_hash, hash "
            "FROM audit_events ORDER BY instance_id, seq"
        )
        current, expected_seq, prev = None, 0, GENESIS
        for iid, seq, at, actor, type_, tid, tname, data, prev_hash, h in cur:
            if iid != current:
                if current is not None and (bad := _check_head(current, expected_seq, prev, heads)):
                    return checked, bad
                current, expected_seq, prev = iid, 0, GENESIS
            expected_seq += 1
            checked += 1
            if seq != expected_seq:
                return checked, BrokenLink(iid, expected_seq, f"缺少第 {expected_seq} 条（序号跳到 {seq}）")
            if prev_hash != prev:
                return checked, BrokenLink(iid, seq, "前一条的哈希不符（记录被删除或插入）")
            if row_hash(prev, iid, seq, at, actor, type_, tid, tname, data) != h:
                return checked, BrokenLink(iid, seq, "记录内容与哈希不符（记录被修改）")
            prev = h
        if current is not None and (bad := _check_head(current, expected_seq, prev, heads)):
            return checked, bad
        seen = {r[0] for r in tx.all("SELECT DISTINCT instance_id FROM audit_events")}
        for iid, (seq, _h) in sorted(heads.items()):
            if seq and iid not in seen:
                return checked, BrokenLink(iid, 1, f"全部 {seq} 条审计记录缺失")
    return checked, None


def _check_head(iid: int, seq: int, last_hash: str, heads: dict[int, tuple[int, str]]) -> BrokenLink | None:
    head = heads.get(iid)
    if head is not None and (head[0] != seq or head[1] != last_hash):
        return BrokenLink(iid, seq + 1, f"链尾缺失：实例记录的最后一条是第 {head[0]} 条")
    return None
