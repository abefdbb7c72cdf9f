"""Loading and saving one instance inside a transaction: the unit of work around a workflow.

Load: read the instance row; take the live workflow from the cache when its ``lock_version`` matches
(no deserialization), else restore it from the header and task rows against the pinned version's
cached spec. Save: encode the step's delta, then — optimistic lock first — ``UPDATE instances … WHERE
lock_version = :seen`` (a stale writer gets :class:`~engine.errors.ConflictError` before it writes
anything else), then the changed task rows, the human-task projection, message subscriptions, audit
rows and incidents. The caller's transaction commits all of it or none of it.

The cache holds live workflows keyed by instance id and checked against ``lock_version``; an entry is
*taken* (removed) while an operation uses it and put back only after a commit, so two threads never
share a workflow object and a rolled-back step never leaves a dirty object behind. The database stays
the only truth: a miss just costs one restore.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine.definitions.versions import Definitions, LoadedSpec
from engine.errors import ConflictError, NotFoundError
from engine.runtime import archive, integrity
from engine.runtime.audit import AuditEvent, row_hash
from engine.runtime.projection import StepProjection, Subscription
from engine.runtime.state import Delta, PersistedIndex, StateCodec
from engine.store.db import Tx


class InstanceRow(NamedTuple):
    """One ``instances`` row as the runtime reads it (the columns of :data:`INSTANCE_COLUMNS`)."""

    id: int
    process_version_id: int
    process_key: str
    business_key: str | None
    title: str
    street_code: str | None
    organization_id: int | None
    status: str
    lock_version: int
    audit_seq: int
    audit_head: str
    started_by: str
    next_timer_at: str | None
    state: str
    state_packed: bytes | None  # an ended case's header and task rows (engine.runtime.archive)


INSTANCE_COLUMNS = ", ".join(InstanceRow._fields)


@dataclass
class Live:
    """An instance loaded for one operation: row facts, the live workflow, and what the DB holds."""

    id: int
    version_id: int
    process_key: str
    business_key: str | None
    title: str
    street: str | None
    organization_id: int | None
    status: str
    lock_version: int
    audit_seq: int
    audit_head: str
    started_by: str
    wf: Any
    index: PersistedIndex
    loaded: LoadedSpec
    subscriptions: frozenset[Subscription] | None = None
    events: list[AuditEvent] = field(default_factory=list)
    # BpmnEvents thrown by the last step and not caught in the case (routed by engine.events)
    outbox: list[Any] = field(default_factory=list)
    # set while an operation runs the workflow: a failed operation must not put a touched workflow back
    touched: bool = False
    # the last caseOrganizationUscc looked up for this case (to look each one up once)
    handed_to: str | None = None
    # payloads of messages delivered in this step, by name (for the audit log)
    inbound: dict[str, Any] = field(default_factory=dict)
    # when the case's next timer falls due (as stored), None when it waits for no timer
    next_timer_at: str | None = None
    # keyed digest of every stored task row, by task id (engine.runtime.integrity)
    row_digests: dict[str, int] = field(default_factory=dict)

    def timer_due(self, now: str) -> bool:
        """Whether a timer of this case is due at ``now`` (both in the database's time format)."""
        return self.next_timer_at is not None and self.next_timer_at <= now

    @classmethod
    def from_row(cls, row: InstanceRow, *, wf: Any, index: PersistedIndex, loaded: LoadedSpec) -> Live:
        live = cls(
            row.id, row.process_version_id, row.process_key, row.business_key, row.title, row.street_code,
            row.organization_id, row.status, row.lock_version, row.audit_seq, row.audit_head, row.started_by,
            wf, index, loaded,
        )  # fmt: skip
        live.next_timer_at = row.next_timer_at
        return live

    def update_row(self, row: InstanceRow) -> None:
        """Take the row's current facts (a cached workflow is reused only when its lock_version matches)."""
        self.version_id, self.process_key = row.process_version_id, row.process_key
        self.business_key, self.title = row.business_key, row.title
        self.street, self.organization_id, self.status = row.street_code, row.organization_id, row.status
        self.lock_version, self.audit_seq, self.audit_head = row.lock_version, row.audit_seq, row.audit_head
        self.started_by, self.next_timer_at = row.started_by, row.next_timer_at


class LiveCache:
    """Bounded LRU of live workflows, taken while in use."""

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, Live] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: int, lock_version: int) -> Live | None:
        with self._lock:
            live = self._items.pop(instance_id, None)
            if live is not None and live.lock_version == lock_version:
                self.hits += 1
                return live
            self.misses += 1
            return None

    def put(self, live: Live) -> None:
        if self.capacity <= 0:
            return
        with self._lock:
            self._items[live.id] = live
            self._items.move_to_end(live.id)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class InstanceStore:
    """Reads and writes instances within a caller's transaction."""

    def __init__(self, definitions: Definitions, codec: StateCodec, cache: LiveCache, script_engine: Any) -> None:
        self.definitions = definitions
        self.codec = codec
        self.cache = cache
        self.script_engine = script_engine

    def row(self, tx: Tx, instance_id: int, *, lock: bool = False) -> InstanceRow:
        """Read the instance row (with a row lock when asked, on PostgreSQL)."""
        suffix = " FOR UPDATE" if lock and tx.dialect == "postgresql" else ""
        row = tx.one(f"SELECT {INSTANCE_COLUMNS} FROM instances WHERE id = :id{suffix}", {"id": instance_id})
        if row is None:
            raise NotFoundError(f"案件不存在或无权查看：#{instance_id}", f"No such case or not visible: #{instance_id}")
        return InstanceRow(*row)

    def load(self, tx: Tx, row: InstanceRow) -> Live:
        """Return the live instance for a row: from the cache, or restored from its rows."""
        instance_id = row.id
        live = self.cache.take(instance_id, row.lock_version)
        if live is not None:
            live.update_row(row)
            live.events, live.outbox, live.inbound, live.touched = [], [], {}, False
            return live
        version = self.definitions.version(tx, row.process_version_id)
        loaded = self.definitions.loaded(tx, version.bundle_id)
        spec, subprocess_specs = loaded.spec(row.process_key)
        if row.state_packed is not None:  # an ended case: header and task rows in one compressed value
            header, task_rows = archive.unpack(row.state_packed)
        else:
            header = row.state
            task_rows = tx.all(
                "SELECT task_id, workflow_id, body FROM instance_tasks WHERE instance_id = :id",
                {"id": instance_id},
            )
        wf, index = self.codec.restore(header, task_rows, spec, subprocess_specs, self.script_engine)
        live = Live.from_row(row, wf=wf, index=index, loaded=loaded)
        if row.state_packed is None:
            live.row_digests = {t: integrity.row_digest(t, w, b) for t, w, b in task_rows}
        return live

    def insert(
        self,
        tx: Tx,
        *,
        version_id: int,
        process_key: str,
        business_key: str | None,
        title: str,
        street: str | None,
        organization_id: int | None,
        started_by: str,
        now: str,
    ) -> int:
        """Create the instance row (state is written by the first save)."""
        return int(
            tx.scalar(
                "INSERT INTO instances (process_version_id, process_key, business_key, title, street_code, "
                "organization_id, status, state, serializer_version, lock_version, audit_seq, audit_head, "
                "started_by, started_at, updated_at) VALUES (:v, :k, :b, :t, :s, :o, 'running', '{}', :sv, 0, 0, "
                ":h, :by, :now, :now) RETURNING id",
                {
                    "v": version_id,
                    "k": process_key,
                    "b": business_key,
                    "t": title,
                    "s": street,
                    "o": organization_id,
                    "sv": StateCodec.VERSION,
                    "h": "0" * 64,
                    "by": started_by,
                    "now": now,
                },
            )
        )

    def save(
        self,
        tx: Tx,
        live: Live,
        delta: Delta,
        proj: StepProjection,
        *,
        status: str,
        now: str,
        actor: str,
        human_rows: list[dict[str, Any]],
        end_state: str | None,
        incident: dict[str, Any] | None,
    ) -> None:
        """Write one step: lock check first, then state rows, projections, audit and incident."""
        iid = live.id
        seq, head = live.audit_seq, live.audit_head
        audit_rows = []
        for ev in live.events:
            seq += 1
            data = self.codec.dumps(ev.data if ev.data is not None else {})
            h = row_hash(head, iid, seq, now, ev.actor, ev.type, ev.task_id, ev.task_name, data)
            audit_rows.append(
                {
                    "i": iid,
                    "seq": seq,
                    "at": now,
                    "actor": ev.actor,
                    "type": ev.type,
                    "tid": ev.task_id,
                    "tn": ev.task_name,
                    "data": data,
                    "prev": head,
                    "h": h,
                }
            )
            head = h
        ended = status in ("completed", "cancelled")
        state, packed = delta.header, None
        digests = live.row_digests
        if ended:  # the case will not step again: keep its whole state as one packed value
            header, rows = self.codec.snapshot(live.wf)
            state, packed = "", archive.pack(header, rows.values())
            digests = {}
        else:
            for t, w, b in delta.upserts:
                digests[t] = integrity.row_digest(t, w, b)
            for t in delta.deletes:
                digests.pop(t, None)
        sealed = integrity.state_digest(
            packed if packed is not None else state,
            integrity.rows_sum(digests),
            seq,
            head,
            live.lock_version + 1,
            status,
            live.street,
            live.organization_id,
            integrity.case_identity(live.version_id, live.process_key, live.business_key, live.title, live.started_by),
        )
        tx.execute(
            "UPDATE instances SET state = :st, state_packed = :sp, state_digest = :sd, lock_version = :nlv, "
            "process_version_id = :ver, "
            "status = :status, "
            "end_state = COALESCE(:end, end_state), next_timer_at = :nt, updated_at = :now, "
            "ended_at = CASE WHEN :ended = 1 THEN COALESCE(ended_at, :now) ELSE NULL END, "
            "audit_seq = :seq, audit_head = :head, organization_id = :org, "
            "timer_attempts = 0, timer_lease_until = NULL, timer_last_error = NULL "
            "WHERE id = :id AND lock_version = :lv",
            {
                "st": state,
                "sp": packed,
                "sd": sealed,
                "ver": live.version_id,
                "org": live.organization_id,
                "nlv": live.lock_version + 1,
                "status": status,
                "end": end_state,
                "nt": None if ended or status == "suspended" else proj.next_timer_at,
                "now": now,
                "ended": 1 if ended else 0,
                "seq": seq,
                "head": head,
                "id": iid,
                "lv": live.lock_version,
            },
        )
        if tx.rowcount != 1:
            raise ConflictError(
                "案件已被他人更新，请刷新后重试",
                "The case was changed by someone else; reload and retry",
                instance_id=iid,
            )
        if ended:
            tx.execute("DELETE FROM instance_tasks WHERE instance_id = :i", {"i": iid})
        else:
            tx.executemany(
                "INSERT INTO instance_tasks (instance_id, task_id, workflow_id, body) VALUES (:i, :t, :w, :b) "
                "ON CONFLICT (instance_id, task_id) DO UPDATE SET body = excluded.body, "
                "workflow_id = excluded.workflow_id",
                [{"i": iid, "t": t, "w": w, "b": b} for t, w, b in delta.upserts],
            )
        if delta.deletes and not ended:
            tx.executemany(
                "DELETE FROM instance_tasks WHERE instance_id = :i AND task_id = :t",
                [{"i": iid, "t": t} for t in delta.deletes],
            )
            tx.executemany(
                "UPDATE human_tasks SET state = 'CANCELLED', completed_at = :now WHERE id = :t AND state = 'READY'",
                [{"t": t, "now": now} for t in delta.deletes],
            )
        closes = [
            {"id": tid, "s": st, "by": actor if st == "COMPLETED" else None, "now": now}
            for tid, st in proj.closed_human
        ]
        if status == "cancelled":
            tx.execute(
                "UPDATE human_tasks SET state = 'CANCELLED', completed_at = :now "
                "WHERE instance_id = :i AND state = 'READY'",
                {"i": iid, "now": now},
            )
        tx.executemany(
            "UPDATE human_tasks SET state = :s, completed_by = :by, completed_at = :now "
            "WHERE id = :id AND state = 'READY'",
            closes,
        )
        tx.executemany(
            "INSERT INTO human_tasks (id, instance_id, process_key, bpmn_id, name, role, street_code, "
            "organization_id, assignee, form, ui_form, due_at, due_provisional, priority, state, created_at) "
            "VALUES (:id, :i, :k, :b, :n, :r, :s, :o, NULL, :f, :uf, :due, :prov, :p, 'READY', :now) "
            "ON CONFLICT (id) DO UPDATE SET state = 'READY', assignee = NULL, claimed_at = NULL, "
            "completed_by = NULL, completed_at = NULL, due_at = excluded.due_at, created_at = excluded.created_at",
            human_rows,
        )
        if proj.subscriptions != live.subscriptions:
            tx.execute("DELETE FROM message_subscriptions WHERE instance_id = :i", {"i": iid})
            tx.executemany(
                "INSERT INTO message_subscriptions (instance_id, task_id, message_name, correlation) "
                "VALUES (:i, :t, :n, :c)",
                [{"i": iid, "t": t, "n": n, "c": c} for t, n, c in sorted(proj.subscriptions)],
            )
        if audit_rows:
            tx.executemany(
                "INSERT INTO audit_events (instance_id, seq, at, actor, type, task_id, task_name, data, "
                "prev_hash, hash) VALUES (:i, :seq, :at, :actor, :type, :tid, :tn, :data, :prev, :h)",
                audit_rows,
            )
        if incident is not None:
            tx.execute(
                "INSERT INTO incidents (instance_id, task_id, bpmn_id, error_type, message, line, created_at) "
                "VALUES (:i, :t, :b, :e, :m, :l, :now)",
                {"i": iid, "now": now, **incident},
            )
        live.lock_version += 1
        live.status = status
        live.audit_seq, live.audit_head = seq, head
        live.index = delta.index
        live.subscriptions = proj.subscriptions
        live.next_timer_at = None if ended or status == "suspended" else proj.next_timer_at
        live.row_digests = digests
        live.events = []

    def raise_incident(self, tx: Tx, instance_id: int, error_type: str, message: str, now: str) -> None:
        """Put a case in ``error`` with an incident without running it (its runs keep failing).

        Used when a case's timer step cannot complete: its timer stops (``next_timer_at`` cleared)
        until a process owner retries the case. The audit chain gets an ``incident_raised`` row.
        """
        row = self.row(tx, instance_id)
        seq = row.audit_seq + 1
        data = self.codec.dumps({"error_type": error_type, "message": message, "line": None})
        h = row_hash(row.audit_head, instance_id, seq, now, "system", "incident_raised", None, None, data)
        sealed = integrity.state_digest(
            row.state_packed if row.state_packed is not None else row.state,
            integrity.rows_sum(self.row_digests(tx, instance_id)),
            seq,
            h,
            row.lock_version + 1,
            "error",
            row.street_code,
            row.organization_id,
            integrity.case_identity(
                row.process_version_id, row.process_key, row.business_key, row.title, row.started_by
            ),
        )
        tx.execute(
            "UPDATE instances SET status = 'error', next_timer_at = NULL, lock_version = lock_version + 1, "
            "audit_seq = :seq, audit_head = :h, timer_lease_until = NULL, updated_at = :now, state_digest = :sd "
            "WHERE id = :id AND lock_version = :lv",
            {"seq": seq, "h": h, "now": now, "id": instance_id, "lv": row.lock_version, "sd": sealed},
        )
        if tx.rowcount != 1:
            raise ConflictError("案件已被他人更新，请刷新后重试", "The case was changed by someone else")
        tx.execute(
            "INSERT INTO audit_events (instance_id, seq, at, actor, type, task_id, task_name, data, prev_hash, hash) "
            "VALUES (:i, :seq, :at, 'system', 'incident_raised', NULL, NULL, :data, :prev, :h)",
            {"i": instance_id, "seq": seq, "at": now, "data": data, "prev": row.audit_head, "h": h},
        )
        tx.execute(
            "INSERT INTO incidents (instance_id, task_id, bpmn_id, error_type, message, line, created_at) "
            "VALUES (:i, NULL, NULL, :e, :m, NULL, :now)",
            {"i": instance_id, "e": error_type[:100], "m": message, "now": now},
        )

    @staticmethod
    def row_digests(tx: Tx, instance_id: int) -> dict[str, int]:
        """Keyed digests of a case's stored task rows, recomputed from the database."""
        rows = tx.all(
            "SELECT task_id, workflow_id, body FROM instance_tasks WHERE instance_id = :i", {"i": instance_id}
        )
        return {t: integrity.row_digest(t, w, b) for t, w, b in rows}

    def verify(self, tx: Tx, live: Live) -> None:
        """Check the stored rows equal a full snapshot of the live workflow (test/debug aid)."""
        header, rows = self.codec.snapshot(live.wf)
        stored_header, stored_packed = tx.one(
            "SELECT state, state_packed FROM instances WHERE id = :id", {"id": live.id}
        ) or ("", None)
        stored = {
            r[0]: tuple(r)
            for r in tx.all(
                "SELECT task_id, workflow_id, body FROM instance_tasks WHERE instance_id = :id",
                {"id": live.id},
            )
        }
        if stored_packed is not None:
            if stored or stored_header:
                raise AssertionError(f"instance {live.id}: an ended case keeps state beside its packed state")
            stored_header, packed_rows = archive.unpack(stored_packed)
            stored = {r[0]: tuple(r) for r in packed_rows}
        if stored_header != header:
            raise AssertionError(f"instance {live.id}: stored header differs from the live workflow")
        if set(stored) != set(rows):
            raise AssertionError(f"instance {live.id}: stored task ids differ: {sorted(set(stored) ^ set(rows))[:5]}")
        for tid, row in rows.items():
            if stored[tid] != row:
                raise AssertionError(f"instance {live.id}: task {tid} row is stale:\n{stored[tid][2]}\n!=\n{row[2]}")
