"""Events from outside the process: messages and timers.

Both find their instances through one indexed query on a projection (``message_subscriptions``,
``instances.next_timer_at``) — never by scanning workflow states — and each delivery is its own step.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition

from engine.accounts.authz import SYSTEM, Actor
from engine.clock import Clock, ManualClock, to_db_time
from engine.errors import ConflictError, EngineError, InputError, MessageNotDeliverableError, PermissionDeniedError
from engine.runtime.core import Runtime, StartRequest
from engine.runtime.projection import canonical
from engine.runtime.steps import StepResult
from engine.store.db import lock_clause

log = logging.getLogger(__name__)


def send_message(
    engine: Runtime,
    name: str,
    correlation: dict[str, Any],
    payload: dict[str, Any] | None = None,
    *,
    actor: Actor = SYSTEM,
    street: str | None = None,
    organization_id: int | None = None,
    all_matches: bool = False,
) -> list[StepResult]:
    """Deliver a message to the instances waiting for it, or start the processes it starts.

    ``correlation`` is ``{"instance": id}``, ``{"business_key": key}`` or the process's correlation
    properties. A message nobody waits for raises :class:`MessageNotDeliverableError`.
    """
    payload = dict(payload or {})
    key = canonical(correlation)
    with engine.operation() as (tx, lives):
        ids = [
            r[0]
            for r in tx.all(
                "SELECT DISTINCT instance_id FROM message_subscriptions "
                "WHERE message_name = :n AND correlation = :c ORDER BY instance_id",
                {"n": name, "c": key},
            )
        ]
        if ids and not actor.is_system:  # cases the sender may not see do not exist for it
            places = {
                r[0]: (r[1], r[2])
                for r in tx.all(
                    f"SELECT id, street_code, organization_id FROM instances WHERE id IN ({', '.join(map(str, ids))})"
                )
            }
            ids = [i for i in ids if actor.may_see_place(*places[i])]
        if len(ids) > 1 and not all_matches:
            raise InputError(
                f"消息“{name}”匹配到 {len(ids)} 个案件，请提供更精确的关联信息",
                f"Message '{name}' matches {len(ids)} cases; correlate more precisely",
            )
        results = []
        for iid in ids:
            live = engine.load_active(tx, iid, lives, lock=True)
            event = BpmnEvent(MessageEventDefinition(name), payload, dict(live.wf.correlations))
            live.inbound[name] = payload
            results.append(engine.steps.advance(tx, live, actor, _deliver(event)))
        if results:
            return results
        for pv in engine.definitions.message_starts(tx, name):
            if street is None and organization_id is None:
                raise InputError("由消息发起案件时必须指定街道或组织", "A message start needs a street")
            street = engine.place_of(tx, street, organization_id)  # the same place rule as start()
            if not actor.holds(pv.start_role, street, organization_id):
                raise PermissionDeniedError(
                    f"您无权在该范围发起“{pv.name}”", f"You may not start '{pv.name}' here", process=pv.process_key
                )
            req = StartRequest(
                actor, street, organization_id, correlation.get("business_key"), None, {}, (name, payload)
            )
            results.append(engine.start_version(tx, lives, pv, req))
        if not results:
            raise MessageNotDeliverableError(
                f"没有案件在等待消息“{name}”（关联：{key}），也没有流程由它发起",
                f"No case waits for message '{name}' with correlation {key}, and no process starts on it",
            )
        return results


MAX_ROUTING_ROUNDS = 10


def route_outgoing(engine: Runtime, tx: Any, lives: list[Any]) -> None:
    """Deliver messages thrown by this operation's cases to other cases of this database, in the same transaction.

    A thrown message goes to the cases of the sender's street or organization waiting for it whose
    correlation equals the message's
    correlation properties, else it starts the processes that begin with it (in the sender's street and
    organization). Either way it was already recorded as ``message_sent``; a message nobody here
    receives is for an outside system and stays in the audit log only. Deliveries may throw again;
    rounds are bounded so two processes cannot ping-pong forever.
    """
    for _round in range(MAX_ROUTING_ROUNDS):
        pending = [(live, event) for live in list(lives) for event in live.outbox]
        for live in lives:
            live.outbox = []
        if not pending:
            return
        for sender, event in pending:
            _route(engine, tx, lives, sender, event)
    log.warning("message routing stopped after %d rounds", MAX_ROUTING_ROUNDS)
    for live in lives:  # what is still queued stays in the audit log only, never leaks into a later operation
        live.outbox = []


def _route(engine: Runtime, tx: Any, lives: list[Any], sender: Any, event: Any) -> None:
    name = event.event_definition.name
    flat: dict[str, Any] = {}
    for props in (event.correlations or {}).values():
        flat.update(props)
    ids: list[int] = []
    if flat:
        ids = [
            int(r[0])
            for r in tx.all(
                "SELECT DISTINCT s.instance_id FROM message_subscriptions s JOIN instances i ON i.id = s.instance_id "
                "WHERE s.message_name = :n AND s.correlation = :c AND s.instance_id <> :me "
                "AND (i.street_code = :street OR i.organization_id = :org) ORDER BY s.instance_id",
                {
                    "n": name,
                    "c": canonical(flat),
                    "me": sender.id,
                    "street": sender.street,
                    "org": sender.organization_id,
                },
            )
        ]
    for iid in ids:
        live = next((x for x in lives if x.id == iid), None)
        if live is None:
            live = engine.store.load(tx, engine.store.row(tx, iid, lock=True))
            lives.append(live)
        if live.status not in ("running", "waiting"):
            continue
        delivery = BpmnEvent(MessageEventDefinition(name), event.payload, dict(live.wf.correlations))
        live.inbound[name] = event.payload
        engine.steps.advance(tx, live, SYSTEM, _deliver(delivery))
    if ids:
        return
    for pv in engine.definitions.message_starts(tx, name):
        payload = dict(event.payload or {})
        req = StartRequest(SYSTEM, sender.street, sender.organization_id, None, None, {}, (name, payload))
        engine.start_version(tx, lives, pv, req)


TIMER_ATTEMPTS = 3  # failed attempts before a case's timer becomes an incident (Camunda's job retries)
TIMER_LEASE = timedelta(minutes=5)  # a worker that died mid-step loses its claim after this long
TIMER_BACKOFF = (timedelta(seconds=30), timedelta(minutes=5))  # wait after the 1st, 2nd failed attempt


def fire_due_timers(engine: Runtime, now: datetime | None = None, limit: int = 100) -> int:
    """Fire timers due at ``now`` (default: the clock) in at most ``limit`` cases; return timers fired.

    Each case is claimed in a short transaction of its own — the attempt is counted and a lease taken
    *before* the case runs — and then stepped in another. On PostgreSQL the claim reads the due row
    ``FOR UPDATE SKIP LOCKED``, so any number of workers share the work and none waits on another;
    the lease keeps a case claimed while its step runs. One bad case never stops the others: a step
    that fails (an engine defect, a crash of the process, a timeout) leaves its attempt recorded; the
    case is tried again after a back-off, or when a crashed worker's lease expires; after
    :data:`TIMER_ATTEMPTS` attempts it gets an incident and its timer stops, and the worker moves on.
    """
    clock: Clock = engine.clock if now is None else ManualClock(now)
    fired = 0
    seen: list[int] = []
    while len(seen) < limit:
        claimed = _claim_due_case(engine, clock, seen)
        if claimed is None:
            break
        seen.append(claimed)
        try:
            with engine.operation(clock) as (tx, lives):
                row = engine.store.row(tx, claimed)
                if row.status not in ("running", "waiting"):
                    continue
                live = engine.store.load(tx, row)
                lives.append(live)
                fired += engine.steps.advance(tx, live, SYSTEM, None).timers_fired  # the save clears the claim
        except ConflictError:
            log.info("timer of case %s was handled by another worker or command", claimed)
            _release(engine, clock, claimed)
        except EngineError as exc:
            log.warning("timer of case %s failed: %s", claimed, exc)
            _record_failure(engine, clock, claimed, exc)
    return fired


def _claim_due_case(engine: Runtime, clock: Clock, seen: list[int]) -> int | None:
    """Claim the next due case not claimed by a live worker: count the attempt, take the lease, commit.

    A case whose attempts are used up (its workers kept dying on it) gets its incident here instead.
    """
    now = clock.now()
    at = to_db_time(now)
    while True:
        with engine.operation(clock) as (tx, _lives):
            not_in = f" AND id NOT IN ({', '.join(str(i) for i in seen)})" if seen else ""
            row = tx.one(
                "SELECT id, timer_attempts, timer_last_error FROM instances WHERE next_timer_at <= :now "
                "AND status IN ('running', 'waiting') AND (timer_lease_until IS NULL OR timer_lease_until <= :now)"
                f"{not_in} ORDER BY next_timer_at, id LIMIT 1{lock_clause(tx.dialect)}",
                {"now": at},
            )
            if row is None:
                return None
            case, attempts, last_error = int(row[0]), int(row[1]), row[2]
            if attempts >= TIMER_ATTEMPTS:  # earlier attempts died without recording a failure
                engine.store.raise_incident(
                    tx,
                    case,
                    "TimerRetriesExhausted",
                    f"定时事件已尝试 {attempts} 次均未完成，已停止重试：{last_error or '执行进程异常退出'}"
                    f"（Timer attempted {attempts} times without completing; retries stopped）",
                    at or "",
                )
                seen.append(case)
                continue
            tx.execute(
                "UPDATE instances SET timer_attempts = timer_attempts + 1, timer_lease_until = :lease WHERE id = :id",
                {"id": case, "lease": to_db_time(now + TIMER_LEASE)},
            )
            return case


def _release(engine: Runtime, clock: Clock, case: int) -> None:
    """Give a claim back without counting it as a failure (another writer got there first)."""
    with engine.operation(clock) as (tx, _lives):
        tx.execute(
            "UPDATE instances SET timer_attempts = CASE WHEN timer_attempts > 0 THEN timer_attempts - 1 ELSE 0 END, "
            "timer_lease_until = NULL WHERE id = :id",
            {"id": case},
        )


def _record_failure(engine: Runtime, clock: Clock, case: int, exc: EngineError) -> None:
    """Record a failed attempt; after the last one, the case gets an incident and its timer stops."""
    now = clock.now()
    message = str(exc)[:2000]
    with engine.operation(clock) as (tx, _lives):
        attempts = int(tx.scalar("SELECT timer_attempts FROM instances WHERE id = :id", {"id": case}) or 0)
        if attempts >= TIMER_ATTEMPTS:
            engine.store.raise_incident(
                tx,
                case,
                type(exc).__name__,
                f"定时事件执行失败 {attempts} 次，已停止重试：{message}",
                to_db_time(now) or "",
            )
            return
        wait = TIMER_BACKOFF[min(attempts, len(TIMER_BACKOFF)) - 1]
        tx.execute(
            "UPDATE instances SET timer_lease_until = :retry, timer_last_error = :err WHERE id = :id",
            {"id": case, "retry": to_db_time(now + wait), "err": message},
        )


def _deliver(event: BpmnEvent) -> Callable[[BpmnWorkflow], None]:
    """An action that hands an outside event to a workflow (raises if nothing there catches it)."""

    def action(wf: BpmnWorkflow) -> None:
        wf.send_event(event)

    return action
