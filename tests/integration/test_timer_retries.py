"""One bad case never stops the other timers (Camunda's job retries are the model).

A case whose timer step fails has the attempt recorded before it is tried again after a back-off;
a worker that dies in a case's step loses its claim when the lease expires; after three attempts the
case gets an incident, its timer stops and the worker moves on — every other due timer fires exactly
once. The poison is injected into the engine's step runner (an engine defect, or a process dying in
the middle of a step), because the sandbox and the codec already turn a bad script into an incident.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.runtime.audit import verify
from engine.runtime.events import TIMER_ATTEMPTS, TIMER_BACKOFF, TIMER_LEASE
from tests.conftest import STREET, deploy

ROOT = Path(__file__).resolve().parents[2]


def _cases(world: Services, n: int) -> list[int]:
    deploy(world, "timer_wait")
    clerk = world.engine.actor("clerk")
    return [world.engine.start("timer_wait", clerk, street=STREET, business_key=f"T-{i}").instance_id for i in range(n)]


def _poison(world: Services, case: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    advance = world.engine.steps.advance

    def failing(tx: Any, live: Any, actor: Any, action: Any, **kwargs: Any) -> Any:
        if live.id == case:
            calls.append(case)
            raise RuntimeError("defect in a step")
        return advance(tx, live, actor, action, **kwargs)

    monkeypatch.setattr(world.engine.steps, "advance", failing)
    return calls


def _claim(world: Services, case: int) -> tuple[Any, ...]:
    with world.db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT status, next_timer_at, timer_attempts, timer_lease_until, timer_last_error FROM instances "
            "WHERE id = :i",
            {"i": case},
        )
    assert row is not None
    return tuple(row)


def _fired_once_each(world: Services, cases: list[int]) -> None:
    with world.db.transaction(write=False) as tx:
        per_case = dict(
            tx.all("SELECT instance_id, COUNT(*) FROM audit_events WHERE type = 'timer_fired' GROUP BY instance_id")
        )
        ready = tx.scalar("SELECT COUNT(*) FROM human_tasks WHERE bpmn_id = 'follow_up' AND state = 'READY'")
    assert {c: per_case.get(c) for c in cases} == dict.fromkeys(cases, 1)
    assert ready == len(cases)


def test_a_failing_case_is_retried_with_back_off_then_gets_an_incident_while_200_others_fire_once(
    world: Services, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    poisoned, *others = _cases(world, 201)  # the poisoned case is due first: it is picked first every time
    clock.advance(timedelta(days=2))
    calls = _poison(world, poisoned, monkeypatch)

    assert world.engine.fire_due_timers(limit=1000) == 200
    _fired_once_each(world, others)
    status, next_at, attempts, retry_at, error = _claim(world, poisoned)
    assert (status, attempts, calls) == ("waiting", 1, [poisoned]) and next_at is not None
    assert "内部错误" in error and retry_at is not None
    assert world.engine.fire_due_timers(limit=1000) == 0 and calls == [poisoned]  # backing off: not tried

    for wait in TIMER_BACKOFF:  # attempts 2 and 3, each after its back-off
        clock.advance(wait + timedelta(seconds=1))
        assert world.engine.fire_due_timers(limit=1000) == 0
    assert len(calls) == TIMER_ATTEMPTS
    status, next_at, attempts, _retry, _error = _claim(world, poisoned)
    assert (status, next_at, attempts) == ("error", None, TIMER_ATTEMPTS)
    owner = world.engine.actor("owner")
    [incident] = world.queries.incidents(owner, poisoned)
    assert "已停止重试" in incident.message and "defect in a step" not in incident.message  # no internals
    clock.advance(timedelta(days=1))
    assert world.engine.fire_due_timers(limit=1000) == 0 and len(calls) == TIMER_ATTEMPTS  # the worker moved on
    _fired_once_each(world, others)

    monkeypatch.undo()  # the defect is fixed: the process owner retries the case and its timer fires
    result = world.engine.retry(poisoned, owner)
    assert result.status == "running" and result.timers_fired == 1
    assert _claim(world, poisoned)[2:4] == (0, None)


def test_a_worker_that_dies_mid_step_loses_its_claim_and_others_go_on(world: Services, db_url: str, clock: Any) -> None:
    poisoned, *others = _cases(world, 20)
    clock.advance(timedelta(days=2))
    worker = ROOT / "tests" / "integration" / "timer_workers.py"
    died = subprocess.run(
        [sys.executable, str(worker), db_url, clock.now().isoformat(), str(poisoned)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert died.returncode == 139 and "survived" not in died.stdout, died.stderr[-2000:]
    status, _next, attempts, lease, _err = _claim(world, poisoned)
    assert (status, attempts) == ("waiting", 1) and lease is not None  # the attempt was counted before it ran

    assert world.engine.fire_due_timers(limit=1000) == len(others)  # the dead worker's claim still holds
    _fired_once_each(world, others)
    clock.advance(TIMER_LEASE + timedelta(seconds=1))  # the lease expired: another worker takes the case
    assert world.engine.fire_due_timers(limit=1000) == 1
    _fired_once_each(world, [poisoned, *others])
    assert _claim(world, poisoned)[2:4] == (0, None)


def test_a_case_whose_workers_keep_dying_gets_an_incident_without_running_again(world: Services, clock: Any) -> None:
    poisoned, healthy = _cases(world, 2)
    clock.advance(timedelta(days=2))
    with world.db.transaction() as tx:  # three workers died in this case's step, their leases expired
        tx.execute(
            "UPDATE instances SET timer_attempts = :n, timer_lease_until = :t, timer_last_error = NULL WHERE id = :i",
            {"n": TIMER_ATTEMPTS, "t": "2000-01-01T00:00:00.000000Z", "i": poisoned},
        )
    assert world.engine.fire_due_timers(limit=10) == 1
    assert _claim(world, poisoned)[:2] == ("error", None)
    [incident] = world.queries.incidents(world.engine.actor("owner"), poisoned)
    assert incident.error_type == "TimerRetriesExhausted" and "执行进程异常退出" in incident.message
    _fired_once_each(world, [healthy])
    types = [e.type for e in world.queries.history(world.engine.actor("owner"), poisoned)]
    assert types[-1] == "incident_raised"
    checked, broken = verify(world.db)  # the incident row extends the case's hash chain correctly
    assert broken is None and checked >= 4
