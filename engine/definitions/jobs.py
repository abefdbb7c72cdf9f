"""Workbench jobs: long work (a scenario run, a migration) done outside the web request.

A web request that would outlast the server's request timeout (a scenario run of a whole process, the
migration of thousands of cases) records a job row and hands the work to a thread of the worker that
took the request; the page then shows the job and refreshes until it ends, so it reads the same from
any worker process. While the work runs, its thread writes a heartbeat (and the work's latest progress)
every few seconds; a job whose heartbeat stops — the worker was restarted or killed — is reported as
interrupted when it is next read, never as running forever. The work itself keeps its own guarantees:
a migration commits each case on its own, so an interrupted one leaves every case on one version.

Only process owners create and read jobs (:func:`~engine.definitions.drafts.require_owner`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from engine.accounts.authz import Actor
from engine.clock import Clock, to_db_time
from engine.definitions.drafts import require_owner
from engine.errors import EngineError, NotFoundError
from engine.store.db import Database

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5
STALE_SECONDS = 60  # no heartbeat for this long: the worker is gone
_COLUMNS = "id, kind, process_key, actor, status, params, progress, result, error, created_at, finished_at"

Report = Callable[[dict[str, Any]], None]
Work = Callable[[Report], dict[str, Any]]


@dataclass(frozen=True)
class Job:
    """One job as stored: its parameters, latest progress and, when it has ended, its result or error."""

    id: int
    kind: str
    process_key: str
    actor: str
    status: str  # running | done | failed
    params: dict[str, Any]
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    created_at: str
    finished_at: str | None

    @property
    def running(self) -> bool:
        return self.status == "running"

    @classmethod
    def from_row(cls, row: Any) -> Job:
        def load(text: Any) -> Any:
            return orjson.loads(text) if text else None

        return cls(
            int(row[0]), row[1], row[2], row[3], row[4], load(row[5]) or {}, load(row[6]), load(row[7]), row[8],
            row[9], row[10],
        )  # fmt: skip


class Jobs:
    """Create, run and read workbench jobs."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> str:
        now = to_db_time(self.clock.now())
        assert now is not None
        return now

    def create(self, kind: str, process_key: str, actor: Actor, params: dict[str, Any]) -> Job:
        """Record a running job (the caller then starts it with :meth:`start`)."""
        require_owner(actor)
        now = self._now()
        with self.db.transaction() as tx:
            job_id = tx.scalar(
                "INSERT INTO background_jobs (kind, process_key, actor, status, params, created_at, heartbeat_at) "
                "VALUES (:k, :p, :a, 'running', :params, :t, :t) RETURNING id",
                {"k": kind, "p": process_key, "a": actor.username, "params": orjson.dumps(params).decode(), "t": now},
            )
        return self.get(int(job_id), process_key, actor)

    def start(self, job: Job, work: Work) -> threading.Thread:
        """Run ``work(report)`` in a daemon thread, beating while it runs; its return value is the result."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(HEARTBEAT_SECONDS):
                self._write(
                    job.id, "UPDATE background_jobs SET heartbeat_at = :t WHERE id = :id AND status = 'running'"
                )

        def report(progress: dict[str, Any]) -> None:
            self._write(
                job.id,
                "UPDATE background_jobs SET heartbeat_at = :t, progress = :x WHERE id = :id AND status = 'running'",
                orjson.dumps(progress).decode(),
            )

        def run() -> None:
            threading.Thread(target=beat, name=f"job-{job.id}-heartbeat", daemon=True).start()
            try:
                result = work(report)
            except EngineError as exc:
                self._end(job.id, "failed", error=exc.message_zh)
            except Exception as exc:  # the job must end; the details stay in the log
                log.exception("job %s (%s %s) failed", job.id, job.kind, job.process_key)
                self._end(job.id, "failed", error=f"任务意外中止（{type(exc).__name__}），请查看服务器日志")
            else:
                self._end(job.id, "done", result=result)
            finally:
                done.set()

        thread = threading.Thread(target=run, name=f"job-{job.id}-{job.kind}", daemon=True)
        thread.start()
        return thread

    def _write(self, job_id: int, sql: str, extra: str | None = None) -> None:
        with self.db.transaction() as tx:
            tx.execute(sql, {"t": self._now(), "id": job_id, "x": extra})

    def _end(self, job_id: int, status: str, *, result: dict[str, Any] | None = None, error: str | None = None) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE background_jobs SET status = :s, result = :r, error = :e, finished_at = :t, heartbeat_at = :t "
                "WHERE id = :id AND status = 'running'",
                {
                    "s": status,
                    "r": orjson.dumps(result).decode() if result is not None else None,
                    "e": error,
                    "t": self._now(),
                    "id": job_id,
                },
            )

    def get(self, job_id: int, process_key: str, actor: Actor) -> Job:
        """A job of this process; a running job whose heartbeat stopped is ended as interrupted first."""
        require_owner(actor)
        stale = to_db_time(self.clock.now() - timedelta(seconds=STALE_SECONDS))
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE background_jobs SET status = 'failed', error = :e, finished_at = :t "
                "WHERE id = :id AND status = 'running' AND heartbeat_at < :stale",
                {"e": "任务中断：执行它的服务器进程已停止，请重新运行", "t": self._now(), "id": job_id, "stale": stale},
            )
            row = tx.one(
                f"SELECT {_COLUMNS} FROM background_jobs WHERE id = :id AND process_key = :k",
                {"id": job_id, "k": process_key},
            )
        if row is None:
            raise NotFoundError(f"没有这个任务：{job_id}", f"No such job: {job_id}")
        return Job.from_row(row)

    def latest(self, process_key: str, kind: str, actor: Actor) -> Job | None:
        """The newest job of a kind for a process, or None."""
        require_owner(actor)
        with self.db.transaction(write=False) as tx:
            job_id = tx.scalar(
                "SELECT MAX(id) FROM background_jobs WHERE process_key = :k AND kind = :kind",
                {"k": process_key, "kind": kind},
            )
        return None if job_id is None else self.get(int(job_id), process_key, actor)
