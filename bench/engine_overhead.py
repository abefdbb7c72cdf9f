"""Engine overhead: the same diagram and inputs, raw SpiffWorkflow in memory vs. the façade on SQLite.

(a) raw: ``BpmnWorkflow`` in memory, every ready human task answered, ``do_engine_steps`` after each;
(b) façade: ``start`` + ``complete`` for every task through ``ProcessEngine`` on an SQLite file, each
    step one committed transaction (state delta, projection, audit chain, lock check).
Cases: ``linear10`` (10 user tasks, 5 scripts) and ``mediation`` (a full 矛盾调处 case from intake to
closing: 9 human tasks, DMN routing, parallel risk branch, 2 timers; the façade run also reads the
case's task list before each task, as a caseworker would).
Rounds interleave (a) and (b) so both see the same machine conditions; the ratio is the median of
per-round ratios. Usage: ``python -m bench.engine_overhead [instances_per_round] [rounds]``.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import mediation_case
from bench.common import ROOT, STREET, deploy, fresh_services, median, raw_spec, run_raw, timed
from engine.clock import ManualClock

LINEAR = ROOT / "bench" / "bpmn" / "linear10"


def linear_answer(task: Any) -> dict[str, Any]:
    n = task.task_spec.bpmn_id.removeprefix("ut")
    return {f"field_{n}": int(n)}


CASES: list[dict[str, Any]] = [
    {"name": "linear10", "folder": LINEAR, "key": "linear10", "start": {}, "answer": linear_answer},
    {"name": "mediation"},  # a full 矛盾调处 case, intake to closing (bench.mediation_case)
]


def run_facade(services: Any, actor: Any, case: dict[str, Any]) -> None:
    engine = services.engine
    result = engine.start(case["key"], actor, street=STREET, data=case["start"])
    pending = list(result.new_tasks)
    while pending:
        task_id = pending.pop(0)
        task = engine.cache._items[result.instance_id].wf.get_task_from_id(__import__("uuid").UUID(task_id))
        result = engine.complete(task_id, actor, case["answer"](task))
        pending.extend(result.new_tasks)
    if result.status != "completed":
        raise RuntimeError(f"{case['name']} ended {result.status}")


def runners(case: dict[str, Any]) -> tuple[Callable[[], None], Callable[[], None], Any]:
    """The raw and façade runs of one case, with the services they use."""
    if case["name"] == "mediation":
        clock = ManualClock(mediation_case.START)
        services = fresh_services(clock=clock, roles=mediation_case.ROLES)
        deploy(services, mediation_case.FOLDER)
        actor = services.engine.actor("bench")
        spec, subs = raw_spec(mediation_case.FOLDER, "mediation")
        engine = mediation_case.raw_engine()
        return (
            lambda: mediation_case.run_raw(spec, subs, clock, engine),
            lambda: mediation_case.run_facade(services, actor, clock, STREET),
            services,
        )
    services = fresh_services()
    deploy(services, case["folder"])
    actor = services.engine.actor("bench")
    spec, subs = raw_spec(Path(case["folder"]), case["key"])
    return (
        lambda: run_raw(spec, subs, case["start"], case["answer"]),
        lambda: run_facade(services, actor, case),
        services,
    )


def measure(case: dict[str, Any], per_round: int, rounds: int) -> tuple[float, float, float]:
    raw, facade, services = runners(case)
    for _ in range(3):  # warm caches and the spec
        raw()
        facade()
    ratios, raw_times, facade_times, cpu_ratios = [], [], [], []
    for _ in range(rounds):
        gc.collect()
        cpu = time.process_time()
        a = timed(lambda: [raw() for _ in range(per_round)])
        cpu_a, cpu = time.process_time() - cpu, time.process_time()
        b = timed(lambda: [facade() for _ in range(per_round)])
        cpu_b = time.process_time() - cpu
        raw_times.append(a)
        facade_times.append(b)
        ratios.append(b / a)
        cpu_ratios.append(cpu_b / cpu_a)
    services.close()
    CPU_RATIOS.append(median(cpu_ratios))
    return median(raw_times) / per_round, median(facade_times) / per_round, median(ratios)


# the same ratio in CPU time of this process (SQLite runs in-process; WAL commits do not fsync): on a
# machine shared with other work, waiting for a core inflates wall time unevenly; CPU time does not
CPU_RATIOS: list[float] = []


def main(argv: list[str]) -> None:
    per_round = int(argv[0]) if argv else 100
    rounds = int(argv[1]) if len(argv) > 1 else 5
    results = {}
    for case in CASES:
        n = per_round if case["name"] == "linear10" else max(1, per_round // 5)
        raw, facade, ratio = measure(case, n, rounds)
        results[case["name"]] = ratio
        print(f"{case['name']}_raw_ms_per_instance {raw * 1000:.2f}")
        print(f"{case['name']}_facade_ms_per_instance {facade * 1000:.2f}")
        print(f"{case['name']}_overhead_ratio {ratio:.2f}")
    print(f"linear10_overhead_ratio_cpu {CPU_RATIOS[0]:.2f}")
    print(f"mediation_overhead_ratio_cpu {CPU_RATIOS[1]:.2f}")
    print(f"engine_overhead_ratio {results['linear10']:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
