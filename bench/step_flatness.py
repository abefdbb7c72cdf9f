"""Step flatness: does our persistence cost per step grow with the age of a case?

One instance loops through a user task 300 times (``tests/fixtures/engine/loop``: user task → script →
gateway back), through the façade on an SQLite file and, in the same run, on raw SpiffWorkflow in memory.
Both instances advance in lockstep (raw step i, then façade step i) so they see the same machine
conditions; the cyclic garbage collector runs between steps and is paused while timing. Per step index
we keep the median over several repetitions, then print:

* ``raw_step_growth`` — raw cost per step at steps 280–299 ÷ steps 10–30 (the library walks a growing
  task tree; context only);
* ``step_flatness_ratio`` — our persistence cost per step (façade minus raw) at steps 280–299 ÷ the same
  at steps 10–30. Goal ≤ 1.5. The 300th step ends the case and packs its state once; its cost is
  printed as ``closing_step_persistence_ms`` and kept out of the window.

Usage: ``python -m bench.step_flatness [steps] [repetitions]``.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task

from bench.common import ROOT, STREET, deploy, fresh_services, raw_spec

LOOP = ROOT / "tests" / "fixtures" / "engine" / "loop"


class EngineTimer:
    """Time SpiffWorkflow's own work inside façade steps: the user task's run and the engine steps."""

    def __init__(self) -> None:
        self.total = 0.0
        self.depth = 0
        self._run, self._steps = Task.run, BpmnWorkflow.do_engine_steps

    def _timed(self, fn):  # type: ignore[no-untyped-def]
        timer = self

        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            if timer.depth:
                return fn(*args, **kwargs)
            timer.depth += 1
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timer.total += time.perf_counter() - start
                timer.depth -= 1

        return wrapper

    def __enter__(self) -> EngineTimer:
        Task.run = self._timed(self._run)  # type: ignore[method-assign]
        BpmnWorkflow.do_engine_steps = self._timed(self._steps)  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        Task.run = self._run  # type: ignore[method-assign]
        BpmnWorkflow.do_engine_steps = self._steps  # type: ignore[method-assign]


def lockstep(spec, subs, services, actor, steps: int) -> tuple[list[float], list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Advance a raw in-memory instance and a façade instance side by side, timing each step of each."""
    wf = BpmnWorkflow(spec, subs)
    wf.get_next_task(state=TaskState.READY).set_data(limit=steps)
    wf.do_engine_steps()
    engine = services.engine
    result = engine.start("loop", actor, street=STREET, data={"limit": steps})
    raw, facade, inside = [], [], []
    timer = EngineTimer()
    for i in range(steps):
        task = wf.get_tasks(state=TaskState.READY, manual=True)[0]  # lookup outside the timed engine work
        gc.collect()  # collect between steps, never inside a timed one
        start = time.perf_counter()
        task.set_data(note=f"第{i}次")
        task.run()
        wf.do_engine_steps()
        raw.append(time.perf_counter() - start)
        (task_id,) = result.new_tasks
        gc.collect()
        timer.total = 0.0
        with timer:
            start = time.perf_counter()
            result = engine.complete(task_id, actor, {"note": f"第{i}次"})
            facade.append(time.perf_counter() - start)
        inside.append(timer.total)
    assert wf.is_completed() and result.status == "completed"
    return raw, facade, inside


def window(values: list[float], lo: int, hi: int) -> float:
    return statistics.mean(values[lo:hi])


def main(argv: list[str]) -> None:
    steps = int(argv[0]) if argv else 300
    reps = int(argv[1]) if len(argv) > 1 else 5
    services = fresh_services()
    deploy(services, LOOP)
    actor = services.engine.actor("bench")
    spec, subs = raw_spec(LOOP, "loop")
    raw_runs, facade_runs, inside_runs = [], [], []
    for _ in range(reps):
        gc.disable()  # the cyclic collector runs between steps only: its pauses are larger than what we measure
        try:
            raw_run, facade_run, inside_run = lockstep(spec, subs, services, actor, steps)
        finally:
            gc.enable()
        raw_runs.append(raw_run)
        facade_runs.append(facade_run)
        inside_runs.append(inside_run)

    def per_step(runs: list[list[float]]) -> list[float]:
        return [statistics.median(r[i] for r in runs) for i in range(steps)]

    raw, fac, inside = per_step(raw_runs), per_step(facade_runs), per_step(inside_runs)
    # façade minus raw, measured on the same workflow in the same step: the façade's step time minus the
    # SpiffWorkflow work (task run + engine steps) timed inside it. The separate raw instance gives the
    # library's own growth; its late steps vary by ±40 % between runs, too much to subtract across instances.
    ours = per_step(
        [[f - e for f, e in zip(fr, er, strict=True)] for fr, er in zip(facade_runs, inside_runs, strict=True)]
    )
    across = [f - r for f, r in zip(fac, raw, strict=True)]
    # the last step ends the case and packs its whole state once (engine.runtime.archive): a one-off cost,
    # printed on its own, not a per-step cost that grows with the case's age
    early, late = (10, 30), (steps - 21, steps - 1)
    print(f"raw_ms_per_step_early {window(raw, *early) * 1000:.3f}")
    print(f"raw_ms_per_step_late {window(raw, *late) * 1000:.3f}")
    print(f"facade_ms_per_step_early {window(fac, *early) * 1000:.3f}")
    print(f"facade_ms_per_step_late {window(fac, *late) * 1000:.3f}")
    print(f"engine_ms_inside_facade_early {window(inside, *early) * 1000:.3f}")
    print(f"engine_ms_inside_facade_late {window(inside, *late) * 1000:.3f}")
    print(f"across_instances_difference_ms_early {window(across, *early) * 1000:.3f}")
    print(f"across_instances_difference_ms_late {window(across, *late) * 1000:.3f}")
    print(f"persistence_ms_per_step_early {window(ours, *early) * 1000:.3f}")
    print(f"persistence_ms_per_step_late {window(ours, *late) * 1000:.3f}")
    print(f"closing_step_persistence_ms {ours[-1] * 1000:.3f}")
    print(f"raw_step_growth {window(raw, *late) / window(raw, *early):.2f}")
    print(f"step_flatness_ratio {window(ours, *late) / window(ours, *early):.2f}")
    services.close()


if __name__ == "__main__":
    main(sys.argv[1:])
