"""The run-time half of the cycle-timer limits: computed cycles get the same bounds as literal ones.

Lint refuses a literal ``timeCycle`` with a zero period or more repetitions than
``SHEQUFLOW_MAX_TIMER_CYCLES`` (:mod:`engine.definitions.timers`); a cycle computed by an expression
(``"R" + str(n) + "/PT0S"``) can only be checked when SpiffWorkflow evaluates it. So the engine wraps
SpiffWorkflow's parser of repeating intervals: a cycle without a count, above the limit, or with a
period that is not positive raises a ``WorkflowException``, and the step turns it into an incident on
the case naming the timer — instead of a worker firing thousands of branches at full CPU while it holds
the database's write lock.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition
from SpiffWorkflow.exceptions import WorkflowException

from engine.definitions.timers import max_timer_cycles

_installed = False


def install_timer_guard() -> None:
    """Wrap SpiffWorkflow's cycle parser once per process."""
    global _installed
    if _installed:
        return
    original = TimerEventDefinition.parse_iso_recurring_interval

    def guarded(expression: Any) -> Any:
        cycles, start, duration = original(expression)
        limit = max_timer_cycles()
        if cycles < 0 or cycles > limit:
            raise WorkflowException(
                f"循环定时器“{expression}”的重复次数必须在 1–{limit} 之间 "
                f"(a cycle timer needs a repetition count between 1 and {limit})"
            )
        if duration.total_seconds() <= 0:
            raise WorkflowException(f"循环定时器“{expression}”的间隔必须大于零 (a cycle timer needs a positive period)")
        return cycles, start, duration

    TimerEventDefinition.parse_iso_recurring_interval = staticmethod(guarded)  # type: ignore[method-assign]
    cycle_complete = CycleTimerEventDefinition.cycle_complete

    def with_task(self: Any, my_task: Any) -> Any:  # name the timer in the incident
        try:
            return cycle_complete(self, my_task)
        except WorkflowTaskException:
            raise
        except WorkflowException as exc:
            raise WorkflowTaskException(str(exc), task=my_task) from exc

    CycleTimerEventDefinition.cycle_complete = with_task  # type: ignore[method-assign]
    _installed = True
