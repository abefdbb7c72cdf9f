"""Worker bodies run in separate OS processes by the concurrency and crash tests.

Each builds its own engine services on the same database URL, exactly as a second gunicorn worker or
timer worker on another host would; they coordinate only through the database.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from engine.bootstrap import build
from engine.clock import ManualClock
from engine.errors import ConflictError


def complete_once(
    url: str, task_id: str, username: str, data: dict[str, Any], now: str, barrier: Any, results: Any
) -> None:
    """Complete one task after every racer is ready; report 'ok' or 'conflict'."""
    services = build(url, clock=ManualClock(datetime.fromisoformat(now)))
    actor = services.engine.actor(username)
    barrier.wait(timeout=30)
    try:
        services.engine.complete(task_id, actor, data)
        results.put("ok")
    except ConflictError:
        results.put("conflict")
    finally:
        services.close()


def fire_timers(url: str, now: str, barrier: Any, results: Any) -> None:
    """Fire every due timer after every worker is ready; report how many this worker fired."""
    services = build(url, clock=ManualClock(datetime.fromisoformat(now)))
    barrier.wait(timeout=30)
    fired = 0
    while True:
        n = services.engine.fire_due_timers(limit=25)
        fired += n
        if n == 0:
            break
    results.put(fired)
    services.close()


def complete_batch_forever(url: str, username: str, now: str, pause_after: int = 0) -> None:
    """Complete every ready task, printing each task id right after its commit (killed by the test).

    With ``pause_after`` n > 0, the (n+1)th completion stops in the middle of its writes — after the
    case row's UPDATE, before its task rows, projection and audit rows — prints ``IN_TX`` and sleeps,
    so that the test's SIGKILL lands inside the transaction every time.
    """
    services = build(url, clock=ManualClock(datetime.fromisoformat(now)))
    actor = services.engine.actor(username)
    if pause_after:
        _pause_inside_the_transaction(pause_after)
    while True:
        tasks, _ = services.queries.tasks(actor)
        if not tasks:
            print("DONE", flush=True)
            return
        for task in tasks:
            services.engine.complete(task.id, actor, {"applicant": "压力测试", "amount": 5000})
            print(task.id, flush=True)


def _pause_inside_the_transaction(after: int) -> None:
    import time

    from engine.store.db import Tx

    seen = {"updates": 0}
    execute = Tx.execute

    def paused(self: Tx, sql: str, params: Any = None) -> Any:
        result = execute(self, sql, params)
        if sql.startswith("UPDATE instances SET state = "):
            seen["updates"] += 1
            if seen["updates"] > after:
                print("IN_TX", flush=True)
                time.sleep(60)
        return result

    Tx.execute = paused  # type: ignore[method-assign]


if __name__ == "__main__":
    complete_batch_forever(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 0)
