"""Concurrency and crashes on real databases: one winner per task, timers fired once, nothing half-written."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from SpiffWorkflow import TaskState

from engine.bootstrap import Services, build
from engine.errors import ConflictError
from engine.runtime.audit import verify
from engine.runtime.instances import InstanceStore
from engine.runtime.verify import verify_everything
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
    """The racers overlap for real, and the test says how.

    PostgreSQL: both racers load the case before either saves — asserted at a rendezvous inside
    ``save`` — so the loser's optimistic-lock UPDATE finds the lock version moved and it gets that
    lock's conflict before writing anything (not a later unique-key error). SQLite: a writer holds
    the database lock from ``BEGIN IMMEDIATE``; the second racer is asserted to be waiting for it
    while the first is inside its transaction, and finds the task done when it gets in. (On SQLite
    the lock-version check is therefore not what decides; ``make mutants`` shows which tests catch
    its removal.)
    """
    deploy(world, "approval")
    task_ids = _start_approvals(world, 4)
    postgres = db_url.startswith("postgresql")
    second = build(db_url, clock=clock, verify_state=True)  # a second worker with its own cache and pool
    try:
        for task_id in task_ids:
            _race_once(world, second, task_id, postgres, monkeypatch)
            assert _completions(world, task_id) == 1
            instance_id = world.queries.task(world.engine.actor("clerk"), task_id).instance_id
            assert _leader_tasks(world, instance_id) == 1
    finally:
        second.close()
    assert verify(world.db)[1] is None


def _race_once(
    world: Services, second: Services, task_id: str, postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    original_save = InstanceStore.save
    arrivals: list[str] = []
    barrier = threading.Barrier(2)
    first_inside, second_started, second_done = threading.Event(), threading.Event(), threading.Event()
    waited: list[bool] = []

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if postgres:
            arrivals.append(threading.current_thread().name)
            barrier.wait(timeout=20)  # both loaded the case: a broken rendezvous fails the race
        elif not first_inside.is_set():
            first_inside.set()
            assert second_started.wait(timeout=20)
            time.sleep(0.3)
            waited.append(not second_done.is_set())  # the other racer is blocked on the lock
        return original_save(self, *args, **kwargs)

    monkeypatch.setattr(InstanceStore, "save", save)
    outcomes: list[Any] = []

    def race(services: Services, username: str) -> None:
        if not postgres and username == "clerk2":
            assert first_inside.wait(timeout=20)
            second_started.set()
        try:
            services.engine.complete(task_id, services.engine.actor(username), {"applicant": username, "amount": 5000})
            outcomes.append("ok")
        except ConflictError as exc:
            outcomes.append(exc)
        finally:
            if username == "clerk2":
                second_done.set()

    threads = [
        threading.Thread(target=race, args=(world, "clerk"), name="first"),
        threading.Thread(target=race, args=(second, "clerk2"), name="second"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    monkeypatch.setattr(InstanceStore, "save", original_save)
    [lost] = [o for o in outcomes if isinstance(o, ConflictError)]
    assert outcomes.count("ok") == 1 and len(outcomes) == 2
    if postgres:
        assert sorted(arrivals) == ["first", "second"]
        assert lost.message_zh.startswith("案件已被他人更新") and "db_error" not in lost.details
    else:
        assert waited == [True] and lost.message_zh.startswith("该任务已被办理")


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
    # the 26th completion stops inside its transaction, after the case row's UPDATE: the kill lands there
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.workers", db_url, "clerk", clock.now().isoformat(), "25"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    committed = []
    for line in proc.stdout:
        if line.strip() == "IN_TX":
            os.kill(proc.pid, signal.SIGKILL)
            break
        committed.append(line.strip())
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert "DONE" not in committed and len(committed) == 25
    fresh = build(db_url, clock=clock, verify_state=True)  # a restarted worker: empty cache
    try:
        clerk = fresh.engine.actor("clerk")
        for task_id in committed:
            assert fresh.queries.task(clerk, task_id).state == "COMPLETED"
            assert _completions(fresh, task_id) == 1
        assert verify_everything(fresh.engine).findings == []  # chains, state digests, task lists
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


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_timer_worker_skips_a_case_another_worker_holds(world: Services, db_url: str, clock) -> None:
    """With SKIP LOCKED a worker passes over a case another worker has locked instead of waiting for it."""
    import psycopg

    deploy(world, "timer_wait")
    clerk = world.engine.actor("clerk")
    held, *free = [
        world.engine.start("timer_wait", clerk, street=STREET, business_key=f"L-{i}").instance_id for i in range(3)
    ]
    clock.advance(timedelta(days=2))
    with psycopg.connect(db_url) as other:  # another worker, in the middle of claiming ``held``
        other.execute("SELECT id FROM instances WHERE id = %s FOR UPDATE", (held,))
        fired: list[int] = []
        worker = threading.Thread(target=lambda: fired.append(world.engine.fire_due_timers(limit=10)))
        worker.start()
        worker.join(timeout=10)
        blocked = worker.is_alive()
        other.rollback()  # let go, so that a blocked worker can finish before the test ends
        worker.join(timeout=30)
    assert not blocked and fired == [len(free)]


def test_the_database_refuses_a_second_audit_row_with_the_same_case_and_seq(world: Services) -> None:
    """The audit chain's unique key: two writers can never both append event n of a case."""
    import sqlite3

    deploy(world, "approval")
    started = world.engine.start("approval", world.engine.actor("clerk"), street=STREET)
    errors: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)
    with contextlib.suppress(ImportError):
        import psycopg

        errors += (psycopg.errors.UniqueViolation,)
    with pytest.raises(errors), world.db.transaction() as tx:
        tx.execute(
            "INSERT INTO audit_events (instance_id, seq, at, actor, type, data, prev_hash, hash) "
            "SELECT instance_id, seq, at, actor, type, data, prev_hash, hash FROM audit_events WHERE instance_id = :i",
            {"i": started.instance_id},
        )
