"""Concurrency and crashes on real databases: one winner per task, timers fired once, nothing half-written."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest
from SpiffWorkflow import TaskState

from engine.bootstrap import Services, build
from engine.errors import ConflictError
from engine.runtime.audit import verify
from engine.runtime.instances import InstanceStore
from tests.conftest import STREET, deploy

ROOT = Path(__file__).resolve().parents[2]


def _start_approvals(services: Services, n: int) -> list[str]:
    clerk = services.engine.actor("clerk")
    for i in range(n):
        services.engine.start("approval", clerk, street=STREET, business_key=f"C-{i}")
    tasks, _ = services.queries.tasks(clerk)
    return [t.id for t in tasks]


def _completions(services: Services, task_id: str) -> int:
    with services.db.transaction(write=False) as tx:
        return int(
            tx.scalar(
                "SELECT COUNT(*) FROM audit_events WHERE type = 'task_completed' AND task_id = :t",
                {"t": task_id},
            )
        )


def _leader_tasks(services: Services, instance_id: int) -> int:
    with services.db.transaction(write=False) as tx:
        return int(
            tx.scalar(
                "SELECT COUNT(*) FROM human_tasks WHERE instance_id = :i AND bpmn_id = 'approve'",
                {"i": instance_id},
            )
        )


def test_two_threads_completing_the_same_task_one_wins_one_gets_conflict(
    world: Services, db_url: str, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(world, "approval")
    task_ids = _start_approvals(world, 4)
    # Hold each writer just before its optimistic-lock UPDATE until the other has loaded and run too
    # (on SQLite the second writer waits for the lock instead, so the rendezvous times out harmlessly).
    barrier = threading.Barrier(2)
    original_save = InstanceStore.save

    def save_after_rendezvous(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=1)
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(InstanceStore, "save", save_after_rendezvous)
    second = build(db_url, clock=clock, verify_state=True)  # a second worker with its own cache and pool
    try:
        for task_id in task_ids:
            barrier.reset()
            outcomes: list[str] = []

            def race(services: Services, username: str, tid: str = task_id, outcomes: list[str] = outcomes) -> None:
                try:
                    services.engine.complete(
                        tid, services.engine.actor(username), {"applicant": username, "amount": 5000}
                    )
                    outcomes.append("ok")
                except ConflictError:
                    outcomes.append("conflict")

            threads = [
                threading.Thread(target=race, args=(world, "clerk")),
                threading.Thread(target=race, args=(second, "clerk2")),
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            assert sorted(outcomes) == ["conflict", "ok"]
            assert _completions(world, task_id) == 1
            instance_id = world.queries.task(world.engine.actor("clerk"), task_id).instance_id
            assert _leader_tasks(world, instance_id) == 1
    finally:
        second.close()
    assert verify(world.db)[1] is None


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_processes_completing_the_same_task_on_postgres_one_wins(world: Services, db_url: str, clock) -> None:
    deploy(world, "approval")
    task_ids = _start_approvals(world, 3)
    ctx = multiprocessing.get_context("spawn")
    from tests.integration import workers

    for task_id in task_ids:
        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(
                target=workers.complete_once,
                args=(
                    db_url,
                    task_id,
                    user,
                    {"applicant": user, "amount": 5000},
                    clock.now().isoformat(),
                    barrier,
                    results,
                ),
            )
            for user in ("clerk", "clerk2")
        ]
        for p in procs:
            p.start()
        outcomes = sorted(results.get(timeout=60) for _ in procs)
        for p in procs:
            p.join(timeout=60)
        assert outcomes == ["conflict", "ok"]
        assert _completions(world, task_id) == 1
        instance_id = world.queries.task(world.engine.actor("clerk"), task_id).instance_id
        assert _leader_tasks(world, instance_id) == 1


def test_two_workers_racing_on_200_due_timers_fire_each_exactly_once(world: Services, db_url: str, clock) -> None:
    deploy(world, "timer_wait")
    clerk = world.engine.actor("clerk")
    for i in range(200):
        world.engine.start("timer_wait", clerk, street=STREET, business_key=f"T-{i}")
    clock.advance(timedelta(days=2))
    now = clock.now().isoformat()
    if db_url.startswith("postgresql"):
        ctx = multiprocessing.get_context("spawn")
        from tests.integration import workers

        barrier, results = ctx.Barrier(2), ctx.Queue()
        procs = [ctx.Process(target=workers.fire_timers, args=(db_url, now, barrier, results)) for _ in range(2)]
        for p in procs:
            p.start()
        counts = [results.get(timeout=240) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    else:
        counts = []
        second = build(db_url, clock=clock)
        barrier = threading.Barrier(2)

        def work(services: Services) -> None:
            barrier.wait(timeout=30)
            total = 0
            while (n := services.engine.fire_due_timers(limit=25)) > 0:
                total += n
            counts.append(total)

        threads = [threading.Thread(target=work, args=(s,)) for s in (world, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=240)
        second.close()
    assert sum(counts) == 200
    with world.db.transaction(write=False) as tx:
        per_instance = tx.all(
            "SELECT instance_id, COUNT(*) FROM audit_events WHERE type = 'timer_fired' GROUP BY instance_id"
        )
        ready = tx.scalar("SELECT COUNT(*) FROM human_tasks WHERE bpmn_id = 'follow_up' AND state = 'READY'")
        pending = tx.scalar("SELECT COUNT(*) FROM instances WHERE next_timer_at IS NOT NULL")
    assert len(per_instance) == 200 and all(n == 1 for _i, n in per_instance)
    assert ready == 200 and pending == 0


def test_worker_killed_mid_batch_loses_no_commit_and_leaves_nothing_half_written(
    world: Services, db_url: str, clock
) -> None:
    deploy(world, "approval")
    _start_approvals(world, 60)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.workers", db_url, "clerk", clock.now().isoformat()],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = []
    for line in proc.stdout:
        committed.append(line.strip())
        if len(committed) == 25:
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=30)
    committed += [line.strip() for line in proc.stdout.readlines()]  # anything printed before the kill
    assert "DONE" not in committed and len(committed) >= 25
    fresh = build(db_url, clock=clock, verify_state=True)  # a restarted worker: empty cache
    try:
        clerk = fresh.engine.actor("clerk")
        for task_id in committed:
            assert fresh.queries.task(clerk, task_id).state == "COMPLETED"
            assert _completions(fresh, task_id) == 1
        _assert_projection_matches_state(fresh)
        assert verify(fresh.db)[1] is None
        remaining, _ = fresh.queries.tasks(clerk)
        assert len(remaining) == 60 - len(committed)
        for task in remaining:  # every instance still works after the crash
            fresh.engine.complete(task.id, clerk, {"applicant": "重启后", "amount": 5000})
        assert fresh.queries.tasks(clerk)[1] == 0
        _assert_projection_matches_state(fresh)
    finally:
        fresh.close()


def _assert_projection_matches_state(services: Services) -> None:
    """Every instance restores from its rows, and its READY human tasks equal the projection."""
    engine = services.engine
    engine.cache.clear()
    with services.db.transaction(write=False) as tx:
        for (instance_id,) in tx.all("SELECT id FROM instances ORDER BY id"):
            live = engine.store.load(tx, engine.store.row(tx, instance_id))
            engine.store.verify(tx, live)
            ready = {str(t.id) for t in live.wf.get_tasks(state=TaskState.READY, manual=True)}
            projected = {
                r[0]
                for r in tx.all(
                    "SELECT id FROM human_tasks WHERE instance_id = :i AND state = 'READY'",
                    {"i": instance_id},
                )
            }
            assert ready == projected, instance_id
            for task_id in projected:
                assert live.wf.get_task_from_id(UUID(task_id)).state == TaskState.READY
