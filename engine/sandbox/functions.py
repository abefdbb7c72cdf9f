"""Functions exposed to BPMN scripts, conditions, timer expressions and due-date expressions.

The pure helpers come from ``workflows.functions``; the engine adds the clock-dependent ones, which
read the clock active for the current operation (``engine.clock.current_now``), so scenarios that
move time see consistent deadlines:

* ``now()`` — the current time (aware, UTC) as ISO text; ``today()`` — today's date in Shanghai;
* ``due_in_workdays(n)`` — ISO datetime at which a period of *n* 工作日 starting today expires
  (end of the nth working day, Shanghai time) — usable directly as a ``timeDate`` timer;
* ``due_in_days(n)`` — the same for a civil period of *n* calendar days (民法典 第二百零三条).

When a deadline falls in a year that neither the official data nor the operator's calendar file
covers, the result is provisional: it is recorded for the running operation (see
:func:`collect_provisional`) so the engine can flag the task's due date and write an audit entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any

from engine.clock import current_now
from workflows.calendar import DueDate, deadline_end_of_day, default_calendar
from workflows.functions import SCRIPT_FUNCTIONS

SHANGHAI = timezone(timedelta(hours=8))

_provisional: ContextVar[list[int] | None] = ContextVar("shequflow_provisional", default=None)


@contextlib.contextmanager
def collect_provisional() -> Iterator[list[int]]:
    """Collect the uncovered years of every deadline computed within the block."""
    years: list[int] = []
    token = _provisional.set(years)
    try:
        yield years
    finally:
        _provisional.reset(token)


def _note(due: DueDate) -> DueDate:
    sink = _provisional.get()
    if due.provisional and sink is not None:
        sink.extend(due.years_uncovered)
    return due


def today_shanghai() -> Any:
    """Today's date in Shanghai by the active clock."""
    return current_now().astimezone(SHANGHAI).date()


def workday_deadline(n: int) -> tuple[datetime, bool]:
    """When a period of n working days from today expires, and whether that is provisional."""
    due = _note(default_calendar().add_workdays(today_shanghai(), int(n)))
    return deadline_end_of_day(due.date), due.provisional


def calendar_deadline(n: int) -> tuple[datetime, bool]:
    """When a civil period of n calendar days from today expires, and whether that is provisional."""
    due = _note(default_calendar().add_calendar_days(today_shanghai(), int(n)))
    return deadline_end_of_day(due.date), due.provisional


def _noting(helper: Callable[..., str]) -> Callable[..., str]:
    """Wrap a pure date helper so a result in a year without published holidays is noted as provisional."""

    def noted(*args: Any) -> str:
        result = helper(*args)
        sink = _provisional.get()
        if sink is not None and isinstance(result, str) and not default_calendar().is_covered(int(result[:4])):
            sink.append(int(result[:4]))
        return result

    noted.__name__ = helper.__name__
    noted.__doc__ = helper.__doc__
    return noted


def script_functions() -> dict[str, Callable[..., Any]]:
    """Every function a process script may call, by name."""
    funcs: dict[str, Callable[..., Any]] = dict(SCRIPT_FUNCTIONS)
    for name in ("add_workdays", "add_calendar_days"):  # the helpers whose result rests on holiday data
        if name in funcs:
            funcs[name] = _noting(funcs[name])
    funcs.update(
        now=lambda: current_now().isoformat(),
        today=lambda: today_shanghai().isoformat(),
        due_in_workdays=lambda n: workday_deadline(n)[0].isoformat(),
        due_in_days=lambda n: calendar_deadline(n)[0].isoformat(),
    )
    return funcs
