"""Inbox latency as open work grows: 1,000 and then 100,000 open tasks across 20 streets.

The first inbox page of one street's caseworker is requested through the JSON API (bearer token) and
through the HTML inbox (signed-in session), in-process through Flask's test client so the figure is the
app's own time (no network). Open tasks are written straight into the read-model tables the inbox reads
(``instances``, ``human_tasks``) — creating 100,000 real cases would measure the engine, not the inbox.
Runs on SQLite and, when one answers, on PostgreSQL (``SHEQUFLOW_BENCH_POSTGRES_URL`` or the test URL).

``--covering-index`` adds, to the benchmark's database only, the index proposed for ``human_tasks``
(state, role, street, assignee, due, created, priority, id) to show what it changes.

Last lines: ``inbox_p95_ms_100k`` (worst p95 at 100k over backends and API/HTML) and
``inbox_scale_ratio`` (that p95 over the same worst p95 at 1k). Goals: ≤ 50 ms and ≤ 2.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.common import ROOT
from engine.bootstrap import Services, build
from engine.clock import ManualClock, to_db_time
from engine.definitions.bundle import Bundle
from engine.store.migrate import upgrade
from engine.worklist import build_worklist

STREETS = [f"S-{i:02d}" for i in range(20)]
ROLES = ["街道社区自治办经办人", "街道领导", "调解员"]
ROUNDS = 60
SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def _postgres_url() -> str | None:
    url = os.environ.get("SHEQUFLOW_BENCH_POSTGRES_URL") or os.environ.get(
        "SHEQUFLOW_TEST_POSTGRES_URL", "postgresql://postgres:postgres@127.0.0.1:5432/postgres"
    )
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            name = f"shequflow_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
        return url.rsplit("/", 1)[0] + "/" + name
    except Exception:
        return None


def _drop_postgres(url: str) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _world(url: str) -> tuple[Services, int]:
    services = build(url, clock=ManualClock(NOW), password_method="pbkdf2:sha256:1000")
    upgrade(services.db)
    d = services.directory
    d.add_district("D", "基准区")
    for code in STREETS:
        d.add_street(code, f"街道{code}", "D")
    for i, code in enumerate(STREETS):
        d.add_user(f"clerk{i}", "benchmark-pass", f"经办人{i}")
        d.grant(f"clerk{i}", ROLES[0], "street", code)
    services.engine.definitions.deploy(Bundle.from_dir(ROOT / "tests/fixtures/engine/approval"), "bench", publish=True)
    version_id = services.engine.definitions.list_versions("approval")[0].id
    return services, version_id


def _add_tasks(services: Services, version_id: int, start: int, count: int) -> None:
    rng = random.Random(start)
    instances, tasks = [], []
    for n in range(start, start + count):
        street = STREETS[n % len(STREETS)]
        created = NOW - timedelta(minutes=n % 50_000)
        due = NOW + timedelta(days=rng.randint(-10, 30)) if n % 7 else None
        iid = n + 1
        instances.append(
            {
                "id": iid,
                "v": version_id,
                "b": f"BK-{n:07d}",
                "t": f"案件 {n}",
                "s": street,
                "h": "0" * 64,
                "now": to_db_time(created),
            }
        )
        tasks.append(
            {
                "id": str(uuid.UUID(int=n + 1)),
                "i": iid,
                "name": "登记申请",
                "role": ROLES[n % len(ROLES)],
                "s": street,
                "a": f"clerk{n % len(STREETS)}" if n % 11 == 0 else None,
                "due": to_db_time(due),
                "p": 50 + (n % 3) * 10,
                "c": to_db_time(created),
            }
        )
    with services.db.transaction() as tx:
        tx.executemany(
            "INSERT INTO instances (id, process_version_id, process_key, business_key, title, street_code, status, "
            "state, serializer_version, lock_version, audit_seq, audit_head, started_by, started_at, updated_at) "
            "VALUES (:id, :v, 'approval', :b, :t, :s, 'running', '{}', '1', 0, 0, :h, 'bench', :now, :now)",
            instances,
        )
        tx.executemany(
            "INSERT INTO human_tasks (id, instance_id, process_key, bpmn_id, name, role, street_code, assignee, "
            "due_at, due_provisional, priority, state, created_at) VALUES (:id, :i, 'approval', 'register_case', "
            ":name, :role, :s, :a, :due, FALSE, :p, 'READY', :c)",
            tasks,
        )
    if services.db.dialect == "postgresql":
        with services.db.transaction() as tx:
            tx.execute("SELECT setval('instances_id_seq', (SELECT MAX(id) FROM instances))")
            tx.execute("ANALYZE")
    else:
        with services.db.transaction() as tx:
            tx.execute("ANALYZE")


def _p95(fn: Any) -> float:
    for _ in range(5):
        fn()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.quantiles(samples, n=20)[18]


def _measure(services: Services) -> dict[str, float]:
    from web import create_app

    app = create_app({"SHEQUFLOW_SERVICES": services, "SECRET_KEY": "bench"})
    token = build_worklist(services).access.create_token("clerk3", "bench", NOW)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    html = app.test_client()
    with html.session_transaction() as session:
        session["user"] = "clerk3"

    def api_page() -> None:
        response = api.get("/api/v1/tasks?view=claimable", headers=headers)
        assert response.status_code == 200 and response.get_json()["items"], response.status_code

    def html_page() -> None:
        response = html.get("/inbox?view=claimable")
        assert response.status_code == 200 and b'class="name"' in response.data, response.status_code

    return {"api": _p95(api_page), "html": _p95(html_page)}


COVERING = (
    "CREATE INDEX ix_bench_human_tasks_queue ON human_tasks "
    "(state, role, street_code, assignee, due_at, created_at, priority, id)"
)


def run_backend(label: str, url: str, covering: bool = False) -> dict[str, dict[str, float]]:
    services, version_id = _world(url)
    if covering:  # an experiment, not the schema: what the index proposed for human_tasks would change
        with services.db.transaction() as tx:
            tx.execute(COVERING)
    results: dict[str, dict[str, float]] = {}
    try:
        _add_tasks(services, version_id, 0, 1_000)
        results["1k"] = _measure(services)
        for start in range(1_000, 100_000, 33_000):
            _add_tasks(services, version_id, start, min(33_000, 100_000 - start))
        results["100k"] = _measure(services)
    finally:
        services.close()
    for size, figures in results.items():
        for kind, value in figures.items():
            print(f"inbox_p95_ms_{size}_{label}_{kind} {value:.2f}", flush=True)
    return results


def main(argv: list[str]) -> None:
    backends: dict[str, dict[str, dict[str, float]]] = {}
    covering = "--covering-index" in argv
    with tempfile.TemporaryDirectory(prefix="shequflow-inbox-") as folder:
        backends["sqlite"] = run_backend("sqlite", f"sqlite:///{Path(folder) / 'inbox.db'}", covering)
    pg = None if "--sqlite-only" in argv else _postgres_url()
    if pg is not None:
        try:
            backends["postgres"] = run_backend("postgres", pg, covering)
        finally:
            _drop_postgres(pg)
    small = max(v for b in backends.values() for v in b["1k"].values())
    large = max(v for b in backends.values() for v in b["100k"].values())
    print(f"inbox_p95_ms_1k {small:.2f}")
    print(f"inbox_p95_ms_100k {large:.2f}")
    print(f"inbox_scale_ratio {large / small:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
