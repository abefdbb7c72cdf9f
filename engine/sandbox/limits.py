"""Run-time limits of the script sandbox: the per-run budget and deadline, and the size checks.

Every script run gets a budget of loop items and calls of script-defined functions plus a wall-clock
deadline, held in a context variable so that the guard hooks (``_getiter_``, ``_tick_``) find the run
they belong to. The size checks refuse, before the result is built, operations whose result would pass
:data:`MAX_SIZE` items, :data:`MAX_INT_BITS` bits or :data:`MAX_FORMAT_WIDTH`. A guard's error is
remembered on the run, so a script that catches it still fails (:func:`run_code` re-raises it).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from types import CodeType
from typing import Any, NoReturn

from engine.errors import SandboxError

MAX_ITERATIONS = 1_000_000  # loop items plus calls of script-defined functions, per run
TIME_LIMIT_SECONDS = 5.0  # wall clock per run, checked at every loop item and function call
MAX_SIZE = 1_000_000  # characters or items of a str/bytes/list/tuple built by one guarded operation
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_FORMAT_WIDTH = 10_000  # width or precision in a format spec; magnitude of a Decimal to format
MAX_DATA_UNITS = 5_000_000  # per task-data variable a script leaves: containers + items + characters
MAX_DATA_DEPTH = 100  # nesting of a task-data variable a script leaves


class _Run:
    """Budget and deadline of one script run; also remembers the first guard violation."""

    __slots__ = ("deadline", "limit", "time_limit", "used", "violation")

    def __init__(self, limit: int, time_limit: float) -> None:
        self.limit, self.used, self.time_limit = limit, 0, time_limit
        self.deadline = time.monotonic() + time_limit
        self.violation: SandboxError | None = None

    def charge(self) -> None:
        self.used += 1
        if self.used > self.limit or time.monotonic() > self.deadline:
            self.exceeded()

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        monotonic = time.monotonic
        for item in iterable:
            self.used += 1  # charge() inlined: this is the hot path of every loop
            if self.used > self.limit or monotonic() > self.deadline:
                self.exceeded()
            yield item

    def exceeded(self) -> NoReturn:
        if self.used > self.limit:
            deny(
                f"脚本循环次数超过限制（每次运行最多 {self.limit:,} 次循环或函数调用）",
                f"script exceeded its budget of {self.limit:,} loop items or function calls per run",
            )
        deny(
            f"脚本执行超时（每次运行最多 {self.time_limit:g} 秒）",
            f"script exceeded its time limit of {self.time_limit:g} s per run",
        )


_RUN: ContextVar[_Run | None] = ContextVar("sandbox_run", default=None)


def deny(zh: str, en: str, **details: Any) -> NoReturn:
    err = SandboxError(zh, en, **details)
    run = _RUN.get()
    if run is not None and run.violation is None:
        run.violation = err
    raise err


def guarded_iter(iterable: Iterable[Any]) -> Iterable[Any]:
    run = _RUN.get()
    return iterable if run is None else run.iterate(iterable)


def tick() -> None:
    run = _RUN.get()
    if run is not None:
        run.charge()


def check_size(size: int) -> None:
    if size > MAX_SIZE:
        deny(
            f"结果过大（单个字符串或列表最多 {MAX_SIZE:,} 个字符或元素）",
            f"result too large (at most {MAX_SIZE:,} characters or items per string or list)",
        )


def check_int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        deny(
            f"整数过大（最多 {MAX_INT_BITS:,} 位二进制）",
            f"integer too large (at most {MAX_INT_BITS:,} bits)",
        )


def check_decimal(value: Any) -> None:
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_FORMAT_WIDTH:
        deny(
            "Decimal 数量级过大，无法转换为整数或按定点格式输出",
            "Decimal magnitude too large to convert to int or to format in fixed point",
        )


def check_width(digits: str) -> None:
    if digits == "*":
        deny("格式串不允许用 * 指定宽度或精度", "'*' widths and precisions are not allowed in format strings")
    if digits and (len(digits) > len(str(MAX_FORMAT_WIDTH)) or int(digits) > MAX_FORMAT_WIDTH):
        deny(
            f"格式宽度或精度过大（最多 {MAX_FORMAT_WIDTH:,}）",
            f"format width or precision too large (at most {MAX_FORMAT_WIDTH:,})",
        )


_SEQUENCES = (str, bytes, list, tuple)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def check_add(a: Any, b: Any) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        check_size(len(a) + len(b))


def check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        check_int_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        check_size(len(a) * b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        check_size(len(b) * a)


def check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        check_int_bits(b * math.log2(abs(a)))


def check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        check_int_bits(a.bit_length() + b)


def check_mod(a: Any, b: Any) -> None:
    if isinstance(a, (str, bytes)):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for width, precision in _PERCENT_FIELD.findall(text):
            check_width(width)
            check_width(precision)
        values = b.values() if isinstance(b, Mapping) else b if isinstance(b, tuple) else (b,)
        for value in values:
            check_decimal(value)


def run_code(code: CodeType, namespace: dict[str, Any], limit: int, time_limit: float) -> Any:
    """Evaluate sandbox-compiled code under a fresh budget; re-raise a guard error the script caught."""
    run = _Run(limit, time_limit)
    token = _RUN.set(run)
    try:
        result = eval(code, namespace)  # runs exec-mode code too (returns None); already restricted
    finally:
        _RUN.reset(token)
    if run.violation is not None:  # the script caught a guard's error: the run still fails
        raise run.violation
    return result
