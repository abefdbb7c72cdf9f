"""Workbench jobs: long work runs in a thread outside the request, its state in the database.

A job reports its progress and ends done (with its result) or failed (with a Chinese message, never a
stack trace); a job whose worker died is reported interrupted once its heartbeat is older than the
limit, so no page waits forever; only process owners read jobs, and only through their process.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.definitions.jobs import STALE_SECONDS, Jobs
from engine.errors import InputError, NotFoundError, PermissionDeniedError


def _wait(jobs: Jobs, job_id: int, actor: Any) -> Any:
    for _ in range(200):
        found = jobs.get(job_id, "approval", actor)
        if not found.running:
            return found
        threading.Event().wait(0.05)
    raise AssertionError("job did not end")


def test_a_job_reports_progress_and_ends_with_its_result(world: Services, clock: ManualClock) -> None:
    jobs, owner = Jobs(world.db, clock), world.engine.actor("owner")
    release = threading.Event()
    job = jobs.create("migration", "approval", owner, {"cases": 2})

    def work(report: Any) -> dict[str, Any]:
        report({"done": 1, "total": 2})
        release.wait(5)
        return {"moved": 2}

    jobs.start(job, work)
    for _ in range(100):
        if jobs.get(job.id, "approval", owner).progress:
            break
        threading.Event().wait(0.05)
    midway = jobs.get(job.id, "approval", owner)
    assert midway.running and midway.progress == {"done": 1, "total": 2} and midway.params == {"cases": 2}
    release.set()
    done = _wait(jobs, job.id, owner)
    assert (done.status, done.result, done.error) == ("done", {"moved": 2}, None) and done.finished_at


def test_a_job_that_raises_ends_failed_with_a_message_for_the_owner(world: Services, clock: ManualClock) -> None:
    jobs, owner = Jobs(world.db, clock), world.engine.actor("owner")
    refused = jobs.create("migration", "approval", owner, {})
    jobs.start(refused, lambda report: (_ for _ in ()).throw(InputError("目标版本尚未发布", "not published")))
    assert _wait(jobs, refused.id, owner).error == "目标版本尚未发布"
    crashed = jobs.create("migration", "approval", owner, {})
    jobs.start(crashed, lambda report: {}["missing"])
    found = _wait(jobs, crashed.id, owner)
    assert found.status == "failed" and "KeyError" in (found.error or "") and "Traceback" not in (found.error or "")


def test_a_job_whose_worker_died_is_reported_interrupted_not_running_forever(
    world: Services, clock: ManualClock
) -> None:
    jobs, owner = Jobs(world.db, clock), world.engine.actor("owner")
    job = jobs.create("scenarios", "approval", owner, {})  # never started: as if its worker was killed
    assert jobs.get(job.id, "approval", owner).running
    clock.advance(timedelta(seconds=STALE_SECONDS - 1))
    assert jobs.get(job.id, "approval", owner).running
    clock.advance(timedelta(seconds=2))
    found = jobs.get(job.id, "approval", owner)
    assert found.status == "failed" and "中断" in (found.error or "")
    assert jobs.latest("approval", "scenarios", owner) == found


def test_only_process_owners_read_jobs_and_only_through_their_process(world: Services, clock: ManualClock) -> None:
    jobs, owner = Jobs(world.db, clock), world.engine.actor("owner")
    job = jobs.create("scenarios", "approval", owner, {})
    with pytest.raises(NotFoundError):
        jobs.get(job.id, "mediation", owner)
    for outsider in ("clerk", "leader", "org_user"):
        with pytest.raises(PermissionDeniedError):
            jobs.get(job.id, "approval", world.engine.actor(outsider))
        with pytest.raises(PermissionDeniedError):
            jobs.create("scenarios", "approval", world.engine.actor(outsider), {})
