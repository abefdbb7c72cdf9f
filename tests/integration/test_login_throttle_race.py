"""The sign-in throttle holds under parallel requests: no more than the limit of passwords is ever checked."""

from __future__ import annotations

import threading
from datetime import datetime

from engine.accounts.directory import Directory, UserView
from engine.bootstrap import Services
from engine.clock import Clock, ManualClock
from engine.errors import EngineError
from engine.store.db import Database
from engine.worklist.access import MAX_FAILURES_PER_USER, Access, LoginThrottledError
from tests.conftest import FAST_HASH


class CountingDirectory(Directory):
    """The real directory, counting how many passwords reach the check."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock, FAST_HASH)
        self.checked = 0
        self.lock = threading.Lock()

    def authenticate(self, username: str, password: str) -> UserView | None:
        with self.lock:
            self.checked += 1
        return super().authenticate(username, password)


def _parallel_sign_ins(access: Access, now: datetime, password: str, count: int) -> list[object]:
    barrier = threading.Barrier(count)
    results: list[object] = []
    guard = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            outcome: object = access.sign_in("clerk", password, "10.0.0.1", now)
        except EngineError as exc:
            outcome = exc
        with guard:
            results.append(outcome)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(world: Services, clock: ManualClock) -> None:
    directory = CountingDirectory(world.db, clock)
    access = Access(world.db, directory)
    now = clock.now()
    results = _parallel_sign_ins(access, now, "wrong-password", 40)
    assert len(results) == 40
    checked = [r for r in results if r is None]
    throttled = [r for r in results if isinstance(r, LoginThrottledError)]
    assert len(checked) == MAX_FAILURES_PER_USER, results
    assert directory.checked == MAX_FAILURES_PER_USER
    assert len(throttled) == 40 - MAX_FAILURES_PER_USER
    try:
        access.sign_in("clerk", "password123", "10.0.0.2", now)
    except LoginThrottledError:
        pass
    else:
        raise AssertionError("the right password must be refused while throttled")


def test_a_right_password_signs_in_and_clears_failures(world: Services, clock: ManualClock) -> None:
    access = Access(world.db, world.directory)
    now = clock.now()
    for _ in range(MAX_FAILURES_PER_USER - 1):
        assert access.sign_in("clerk", "wrong", "10.0.0.1", now) is None
    user = access.sign_in("clerk", "password123", "10.0.0.1", now)
    assert user is not None and user.username == "clerk"
    with world.db.transaction(write=False) as tx:
        rows = tx.all("SELECT success FROM login_attempts WHERE username = 'clerk'")
    assert [bool(r[0]) for r in rows] == [True]
    for _ in range(MAX_FAILURES_PER_USER):
        assert access.sign_in("clerk", "wrong", "10.0.0.1", now) is None
