"""Checks of timer cycles written as literals: a positive period and a bounded number of repetitions.

A cycle timer (``timeCycle``, an ISO 8601 repeating interval such as ``"R3/PT1H"``) fires once per
period. With a zero period (``"R5/PT0S"``) it fires as fast as the timer worker runs, each firing a
new branch; unbounded (``"R/P1D"``) or with a huge count, it never stops adding work to the case. A
literal cycle is parsed here with SpiffWorkflow's own parser and refused when its period is zero, its
count is missing or above :func:`max_timer_cycles` (``SHEQUFLOW_MAX_TIMER_CYCLES``, default 1000), or it
is not a repeating interval at all. A computed cycle (any expression other than a string literal) can
only be checked when it is evaluated, at run time.
"""

from __future__ import annotations

import ast
import os
from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.definitions.problems import Problem

DEFAULT_MAX_TIMER_CYCLES = 1000
MAX_CYCLES_ENV = "SHEQUFLOW_MAX_TIMER_CYCLES"


def max_timer_cycles() -> int:
    """The configured upper bound on a cycle timer's repetitions (``SHEQUFLOW_MAX_TIMER_CYCLES``)."""
    value = os.environ.get(MAX_CYCLES_ENV, "").strip()
    try:
        return max(1, int(value)) if value else DEFAULT_MAX_TIMER_CYCLES
    except ValueError:
        return DEFAULT_MAX_TIMER_CYCLES


def literal_cycle(source: str) -> str | None:
    """The text of a cycle expression that is a string literal (``"R3/PT1H"``), else None."""
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return node.value.strip() if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def check_cycle(file: str, line: int | None, element: str | None, source: str, max_cycles: int) -> Problem | None:
    """Refuse a literal timer cycle with a zero period or an unbounded or too large repetition count."""
    cycle = literal_cycle(source)
    if cycle is None:
        return None

    def problem(zh: str, en: str) -> Problem:
        return Problem(file, line, element, f"{zh} ({en})")

    count = cycle.upper().replace("--", "/").split("/", 1)[0]
    if not count.startswith("R") or "/" not in cycle.replace("--", "/"):
        return problem(
            f'定时器周期“{cycle}”不是 ISO 8601 重复间隔（如 "R3/PT1H"）',
            "timer cycle is not an ISO 8601 repeating interval",
        )
    try:
        _cycles, _start, period = TimerEventDefinition.parse_iso_recurring_interval(cycle)
    except Exception:  # Spiff raises bare Exception, ValueError, AttributeError... on a bad value
        return problem(
            f'定时器周期“{cycle}”无法解析（应如 "R3/PT1H" 或 "R3/2026-01-01T09:00:00+08:00/P1D"）',
            "timer cycle cannot be parsed",
        )
    if count == "R":
        return problem(
            f"定时器周期“{cycle}”无限重复，须写明次数（上限 {max_cycles} 次）",
            f"unbounded timer cycle: state a repetition count (at most {max_cycles})",
        )
    if not (count[1:].isascii() and count[1:].isdigit()) or len(count) > 12:
        return problem(f"定时器周期“{cycle}”的重复次数无效", "invalid repetition count")
    if int(count[1:]) > max_cycles:
        return problem(
            f"定时器周期“{cycle}”重复 {int(count[1:])} 次，超过上限 {max_cycles} 次",
            f"timer cycle repeats more than {max_cycles} times",
        )
    if period <= timedelta(0):
        return problem(
            f"定时器周期“{cycle}”的间隔为零，会不停触发；间隔须大于零",
            "timer cycle period must be positive",
        )
    return None
