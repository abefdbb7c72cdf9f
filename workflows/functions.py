"""Functions that BPMN scripts, gateway conditions and timer expressions may call.

Process owners write those expressions, so every function here is pure: explicit inputs, no clock,
no I/O, and a ValidationProblem (Chinese and English message) for bad input rather than a stray
TypeError. Dates travel through process data as ISO strings (YYYY-MM-DD), so functions accept a
date or an ISO string and return ISO strings. Clock-dependent helpers such as now() are added by
the engine, which owns the clock.

Working-day periods (行政许可法 第八十二条) use add_workdays; civil periods counted in days
(民法典 第二百零一条、第二百零三条) use add_calendar_days; add_days is plain date arithmetic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from workflows.calendar import MAX_PERIOD_DAYS, deadline_end_of_day, default_calendar
from workflows.config import cfg
from workflows.validators import (
    ValidationProblem,
    check_cn_id,
    check_mobile,
    check_uscc,
    parse_iso_date,
    parse_money,
)

DateLike = str | dt.date


def add_workdays(date_or_iso: DateLike, n: int) -> str:
    """Return the Nth working day after the date (the date itself not counted), as YYYY-MM-DD."""
    return default_calendar().add_workdays(parse_iso_date(date_or_iso), _days(n)).isoformat()


def workdays_between(a: DateLike, b: DateLike) -> int:
    """Count the working days after a up to and including b (negative if b is before a)."""
    start, end = parse_iso_date(a), parse_iso_date(b)
    _days((end - start).days, allow_negative=True)
    return default_calendar().workdays_between(start, end)


def is_workday(d: DateLike) -> bool:
    """Return True if the date is a working day on the statutory calendar."""
    return default_calendar().is_workday(parse_iso_date(d))


def add_days(d: DateLike, n: int) -> str:
    """Return the date n calendar days later (n may be negative), as YYYY-MM-DD."""
    start, count = parse_iso_date(d), _days(n, allow_negative=True)
    try:
        return (start + dt.timedelta(days=count)).isoformat()
    except OverflowError:
        raise ValidationProblem("日期超出范围", "date out of range") from None


def add_calendar_days(d: DateLike, n: int) -> str:
    """Return the last day of an n-day civil period, moved past a final day off (民法典 203)."""
    return default_calendar().add_calendar_days(parse_iso_date(d), _days(n)).isoformat()


def uscc_valid(code: object) -> bool:
    """Return True if the value is a well-formed 统一社会信用代码 with a correct check character."""
    return _passes(check_uscc, code)


def cn_id_valid(s: object) -> bool:
    """Return True if the value is a valid 18-digit 公民身份号码."""
    return _passes(check_cn_id, s)


def mobile_valid(s: object) -> bool:
    """Return True if the value is an 11-digit mainland mobile number."""
    return _passes(check_mobile, s)


def money(value: object) -> str:
    """Return the amount in yuan as a normalized decimal string with 2 places, e.g. '2400.00'."""
    return str(parse_money(value))


def end_of_day(date_or_iso: DateLike) -> str:
    """The ISO time at which a period ending on that date has expired (next day 00:00, Shanghai)."""
    return deadline_end_of_day(parse_iso_date(date_or_iso)).isoformat()


SCRIPT_FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        add_workdays,
        workdays_between,
        is_workday,
        add_days,
        add_calendar_days,
        uscc_valid,
        cn_id_valid,
        mobile_valid,
        money,
        end_of_day,
        cfg,
    )
}


def _days(n: object, *, allow_negative: bool = False) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValidationProblem("天数须为整数", f"the number of days must be an integer, not {type(n).__name__}")
    low = -MAX_PERIOD_DAYS if allow_negative else 0
    if not low <= n <= MAX_PERIOD_DAYS:
        raise ValidationProblem(
            f"天数须在{low}到{MAX_PERIOD_DAYS}之间", f"the number of days must be {low} to {MAX_PERIOD_DAYS}"
        )
    return n


def _passes(check: Callable[[object], object], value: object) -> bool:
    try:
        check(value)
    except ValidationProblem:
        return False
    return True


def _with_process_functions() -> None:
    from workflows.processes import all_functions

    extra = all_functions()
    clash = set(extra) & set(SCRIPT_FUNCTIONS)
    if clash:
        raise ValueError(f"process script functions shadow shared ones: {sorted(clash)}")
    SCRIPT_FUNCTIONS.update(extra)


_with_process_functions()
