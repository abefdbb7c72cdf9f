"""The run-time half of the cycle-timer limits: computed cycles get the same bounds as literal ones.

Lint refuses a literal ``timeCycle`` with a zero period or more repetitions than
``SHEQUFLOW_MAX_TIMER_CYCLES`` (:mod:`engine.definitions.timers`); a cycle computed by an expression
(``"R" + str(n) + "/PT0S"``) can only be checked when SpiffWorkflow evaluates it. So the engine wraps
SpiffWorkflow's ``CycleTimerEventDefinition.cycle_complete``: the first time a cycle timer of a task is
evaluated, a cycle without a count, above the limit, or with a period that is not positive raises a
``WorkflowTaskException`` naming the timer, and the step turns it into an incident on the case —
instead of a worker firing thousands of branches at full CPU while it holds the database's write
lock. SpiffWorkflow's parser itself is left alone (lint parses literal cycles with it).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition, TimerEventDefinition

from engine.definitions.timers import max_timer_cycles

_installed = False


def check_cycle(expression: Any) -> str | None:
    """Why a cycle expression's value is outside the limits, or None when it is within them."""
    cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
    limit = max_timer_cycles()
    if cycles < 0 or cycles > limit:
        return (
            f"循环定时器“{expression}”的重复次数必须在 1–{limit} 之间 "
            f"(a cycle timer needs a repetition count between 1 and {limit})"
        )
    if duration.total_seconds() <= 0:
        return f"循环定时器“{expression}”的间隔必须大于零 (a cycle timer needs a positive period)"
    return None


def install_timer_guard() -> None:
    """Wrap SpiffWorkflow's cycle evaluation once per process."""
    global _installed
    if _installed:
        return
    cycle_complete = CycleTimerEventDefinition.cycle_complete

    def guarded(self: Any, my_task: Any) -> Any:
        if my_task._get_internal_data("event_value") is None:  # first evaluation of this timer
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            try:
                problem = check_cycle(expression)
            except (ValueError, TypeError, AttributeError, IndexError) as exc:
                problem = f"循环定时器的值不是有效的重复间隔：{expression!r} ({exc})"
            if problem is not None:
                raise WorkflowTaskException(problem, task=my_task)
        return cycle_complete(self, my_task)

    CycleTimerEventDefinition.cycle_complete = guarded
    _installed = True
