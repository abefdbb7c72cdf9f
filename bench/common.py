"""Shared set-up for the benchmarks: a fresh SQLite file with the schema, a directory, deployed bundles."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.bootstrap import Services, build
from engine.clock import ManualClock
from engine.definitions.bundle import Bundle, parse_bundle
from engine.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
STREET = "S-BENCH"
ROLE = "街道社区自治办经办人"


def fresh_services(
    tmpdir: str | None = None, *, clock: ManualClock | None = None, roles: list[str] | None = None
) -> Services:
    """A new SQLite file (WAL, synchronous=NORMAL) with the schema and one user holding the given roles."""
    folder = Path(tmpdir or tempfile.mkdtemp(prefix="shequflow-bench-"))
    clock = clock or ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    services = build(f"sqlite:///{folder / 'bench.db'}", clock=clock)
    upgrade(services.db)
    d = services.directory
    d.add_district("D", "长宁区")
    d.add_street(STREET, "基准街道", "D")
    d.add_user("bench", "benchmark-pass", "基准")
    for role in (ROLE, "调解员", "街道领导", "流程管理员", *(roles or [])):
        d.grant("bench", role, "street", STREET)
    return services


def deploy(services: Services, folder: Path) -> None:
    services.engine.definitions.deploy(Bundle.from_dir(folder), "bench", publish=True)


def raw_spec(folder: Path, process_key: str) -> tuple[Any, dict[str, Any]]:
    """The same parsed spec the engine runs, for the raw in-memory baseline."""
    parsed = parse_bundle(Bundle.from_dir(folder))
    return parsed.specs[process_key]


def run_raw(
    spec: Any,
    subprocess_specs: dict[str, Any],
    start_data: dict[str, Any],
    answer: Callable[[Any], dict[str, Any]],
) -> None:
    """Run one instance to completion in memory, answering every ready human task."""
    wf = BpmnWorkflow(spec, subprocess_specs)
    wf.get_next_task(state=TaskState.READY).set_data(**start_data)
    wf.do_engine_steps()
    while not wf.is_completed():
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            raise RuntimeError("raw run stuck")
        task = ready[0]
        task.set_data(**answer(task))
        task.run()
        wf.do_engine_steps()


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)
