"""HTTP load: caseworkers claim and complete tasks over real HTTP against gunicorn on PostgreSQL.

Starts ``shequflow serve --workers 4`` (the command the README gives for production) on a loopback port
over a fresh PostgreSQL database, preloads open cases, then simulated caseworkers (threads, each with
its own API token) list their claimable tasks, claim one and complete it, for ``--seconds`` (60).
Lost races (409) are normal and retried with another task. Afterwards the database must show exactly
the completions the clients saw succeed: none lost, none doubled.

Last lines: ``http_completions_per_s`` and ``http_p95_ms`` (all requests). Goal on 2 cores: ≥ 100/s, ≤ 300 ms.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from bench.common import ROOT
from engine.bootstrap import build
from engine.definitions.bundle import Bundle
from engine.store.migrate import upgrade
from engine.worklist import build_worklist

STREET = "S-LOAD"
ROLE = "街道社区自治办经办人"
USERS = 12
DATA = {"applicant": "负载测试", "amount": 1}


def _args(argv: list[str]) -> dict[str, int]:
    opts = {"seconds": 60, "cases": 9000, "clients": 24, "workers": 4}
    for arg in argv:
        key, _, value = arg.lstrip("-").partition("=")
        if key in opts and value.isdigit():
            opts[key] = int(value)
    return opts


def _database() -> tuple[str, str]:
    import psycopg

    admin = os.environ.get("SHEQUFLOW_BENCH_POSTGRES_URL") or os.environ.get(
        "SHEQUFLOW_TEST_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
    )
    name = f"shequflow_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, connect_timeout=3, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, admin.rsplit("/", 1)[0] + "/" + name


def _prepare(url: str, cases: int) -> list[str]:
    services = build(url, password_method="pbkdf2:sha256:1000")
    upgrade(services.db)
    d = services.directory
    d.add_district("D", "负载区")
    d.add_street(STREET, "负载街道", "D")
    tokens = []
    for i in range(USERS):
        d.add_user(f"load{i}", "load-test-pass", f"经办人{i}")
        d.grant(f"load{i}", ROLE, "street", STREET)
        tokens.append(build_worklist(services).access.create_token(f"load{i}", "load", services.engine.clock.now()))
    services.engine.definitions.deploy(Bundle.from_dir(ROOT / "tests/fixtures/engine/approval"), "bench", publish=True)
    starter = services.engine.actor("load0")
    began = time.perf_counter()
    for n in range(cases):
        services.engine.start("approval", starter, street=STREET, title=f"负载 {n}")
    print(f"preloaded {cases} cases in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    services.close()
    return tokens


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHEQUFLOW_DATABASE_URL": url, "SHEQUFLOW_SECRET_KEY": uuid.uuid4().hex}
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("shequflow")), "serve", "--workers", str(workers), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


class Client(threading.Thread):
    """One caseworker: list claimable, claim one, complete it; record every request's latency."""

    def __init__(self, base: str, token: str, deadline: float, seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.token, self.deadline = base, token, deadline
        self.rng = random.Random(seed)
        self.latencies: list[float] = []
        self.completed: list[str] = []
        self.errors: dict[int, int] = {}

    def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload = response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            status, payload = exc.code, None
            exc.read()
        self.latencies.append((time.perf_counter() - start) * 1000)
        if status >= 400:
            self.errors[status] = self.errors.get(status, 0) + 1
        return status, payload

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            status, page = self._call("GET", "/api/v1/tasks?view=claimable&per_page=20")
            if status != 200 or not page["items"]:
                continue
            task = self.rng.choice(page["items"])["id"]
            if self._call("POST", f"/api/v1/tasks/{task}/claim")[0] != 200:
                continue  # someone else claimed it first
            if self._call("POST", f"/api/v1/tasks/{task}/complete", {"data": DATA})[0] == 200:
                self.completed.append(task)


def _verify(url: str, completed: list[str]) -> tuple[int, int]:
    services = build(url)
    with services.db.transaction(write=False) as tx:
        in_db = {
            r[0] for r in tx.all("SELECT id FROM human_tasks WHERE state = 'COMPLETED' AND completed_by LIKE 'load%'")
        }
        doubled = tx.scalar(
            "SELECT COUNT(*) FROM (SELECT task_id FROM audit_events WHERE type = 'task_completed' "
            "GROUP BY task_id HAVING COUNT(*) > 1) d"
        )
    services.close()
    lost = len(set(completed) ^ in_db)
    return lost, int(doubled or 0)


def main(argv: list[str]) -> None:
    opts = _args(argv)
    try:
        admin, url = _database()
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}); http_load needs it", file=sys.stderr)
        sys.exit(2)
    proc = None
    try:
        tokens = _prepare(url, opts["cases"])
        port = _free_port()
        proc = _serve(url, port, opts["workers"])
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + opts["seconds"]
        clients = [Client(base, tokens[i % USERS], deadline, i) for i in range(opts["clients"])]
        began = time.monotonic()
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        elapsed = time.monotonic() - began
        completed = [t for c in clients for t in c.completed]
        latencies = [ms for c in clients for ms in c.latencies]
        errors: dict[int, int] = {}
        for c in clients:
            for status, n in c.errors.items():
                errors[status] = errors.get(status, 0) + n
        lost, doubled = _verify(url, completed)
        print(f"http_requests {len(latencies)}")
        print(f"http_error_statuses {json.dumps(errors)}")
        print(f"http_p50_ms {statistics.median(latencies):.1f}")
        print(f"http_completions_lost_or_unexpected {lost}")
        print(f"http_completions_doubled {doubled}")
        if lost or doubled:
            print("database check FAILED", file=sys.stderr)
        print(f"http_completions_per_s {len(completed) / elapsed:.1f}")
        print(f"http_p95_ms {statistics.quantiles(latencies, n=20)[18]:.1f}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    if lost or doubled:
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv[1:])
