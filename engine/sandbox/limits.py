"""Run-time limits of the script sandbox: budget and deadline, size and shape checks, output, memory cap.

Every script run gets a budget of loop items and calls of script-defined functions plus a wall-clock
deadline, held in a context variable so that the guard hooks (``_getiter_``, ``_tick_``...) find the run
they belong to. A guard's error is remembered on the run, so a script that catches it still fails
(:func:`run_code` re-raises it).

The deadline is checked between Python-level steps; a single call into C code cannot be interrupted in
process. So every such call a script can reach is bounded *before* it starts, by the size of what it
works on:

* **sizes** -- an operation whose result would pass :data:`MAX_SIZE` items or characters,
  :data:`MAX_INT_BITS` bits or :data:`MAX_FORMAT_WIDTH` is refused. Repetition (``seq * n``) is weighed
  by what it repeats (``[s] * n`` counts ``n`` times the characters of ``s``, at most
  :data:`MAX_DATA_UNITS`). Integers never pass :data:`MAX_INT_BITS` (``+ - * ** << pow int()
  int.from_bytes`` are checked), so ``%`` and ``//`` stay cheap.
* **work over data** -- comparisons, ``in`` over a list or tuple, ``sorted/min/max``, ``str/repr``,
  f-strings, ``%`` and the list methods that compare (``index count remove sort``) first measure their
  operands (:func:`check_units`: containers + items + characters, every shared part counted each time
  it occurs, like :data:`MAX_DATA_UNITS` for task data). ``t in [s] * 999999`` or comparing two
  exponentially shared lists (``a = [a, a]`` sixty times) is refused in microseconds instead of running
  for minutes.
* **C recursion** -- CPython 3.11 recurses in C without a depth check in ``hash()`` of nested tuples and
  in ``next()`` of nested ``map/filter/zip/enumerate`` and generators; a few hundred thousand levels
  overflow the C stack (SIGSEGV, exit 139). Tuples are checked when built (tuple displays, ``tuple()``,
  ``zip``, ``enumerate``, ``dict.items()``, ``*args``, exception ``args``, results of trusted functions):
  nesting above :data:`MAX_TUPLE_DEPTH` or more than :data:`MAX_DATA_UNITS` units is refused, and a
  tuple's shape is remembered for the run, so the check is paid once per tuple. Lazy iterators
  (:class:`LazyIter`) count how deeply they are nested and stop at :data:`MAX_ITER_NESTING`. A
  ``RecursionError`` or ``MemoryError`` in a script becomes a :class:`SandboxError`.
* **Decimal** -- scripts run in a decimal context with exponents within ±:data:`MAX_DECIMAL_EXPONENT`;
  ``Decimal(...)`` refuses values beyond it or longer than :data:`MAX_DECIMAL_DIGITS` digits (exact
  operations such as ``as_integer_ratio()`` do not round, so the bound must hold for every value).
* **memory** -- :func:`apply_process_memory_cap` caps the address space of the worker process
  (``SHEQUFLOW_MEMORY_LIMIT_MB``, default :data:`DEFAULT_MEMORY_LIMIT_MB`, 0 = off): growth through many
  small steps (``x.extend(x)`` in a loop, ``[*x, *x]``) ends in a ``MemoryError``, which the run
  reports as a sandbox error instead of the kernel killing the worker.

Why in process, and what is left
--------------------------------
An out-of-process evaluator (a supervised pool that kills a script at its deadline) would bound every
call, including ones nobody has thought of yet. It was not chosen: every condition, timer expression
and DMN cell would pay a round trip and a copy of the task data (measured here: ~22 µs for a pipe
round trip to a warm child with a 50-field case pickled both ways, against ~6 µs for evaluating a whole
sandboxed condition in process; a case step evaluates dozens), scripts mutate task data in place and
call trusted functions that read the engine clock, calendar and configuration of the calling thread,
and a killed child costs a respawn (~0.3 s of imports) during which the step waits. The engine-overhead
benchmark budget (≤ 5 %) leaves no room for that. So the bounds stay in process: the hot path pays a
type test per operand, and walks data only for containers (long flat lists in one C pass).

What can still take long in one call is bounded by the limits above; measured on the 2-core machine
(with other jobs running): ``sorted()`` of a million numbers ~0.8 s, ``str()`` of a structure of
:data:`MAX_DATA_UNITS` units ~0.3 s, ``max()`` or ``in`` over a million items ~0.5 s (most of it the
measuring), integer ``%`` at :data:`MAX_INT_BITS` bits ~2 ms, ``str.count``/``find`` over
:data:`MAX_SIZE` characters a few ms. Python-level loops are stopped by the budget and the deadline.
"""

from __future__ import annotations

import decimal
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
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
MAX_DATA_UNITS = 5_000_000  # per task-data variable a script leaves, per operand a comparison walks
MAX_DATA_DEPTH = 100  # nesting of a task-data variable a script leaves
MAX_TUPLE_DEPTH = MAX_DATA_DEPTH  # tuples inside tuples (hash() recurses through them in C)
MAX_ITER_NESTING = 32  # map/filter/zip/enumerate/generator expressions wrapped around each other
MAX_DECIMAL_EXPONENT = 10_000  # |exponent| of any Decimal; Emax/Emin of the scripts' decimal context
MAX_DECIMAL_DIGITS = 1_000  # significant digits of a Decimal built by a script
DECIMAL_PRECISION = 28  # the default context's precision, kept
MAX_OUTPUT_CHARS = 4_096  # print() output kept per run (server log and incident)
TRUNCATION_MARKER = (
    f"\n…[输出已截断，每次运行最多保留 {MAX_OUTPUT_CHARS:,} 个字符 / "
    f"output truncated at {MAX_OUTPUT_CHARS:,} characters]"
)
MEMORY_LIMIT_ENV = "SHEQUFLOW_MEMORY_LIMIT_MB"
DEFAULT_MEMORY_LIMIT_MB = 2048

_SCRIPT_DECIMAL_CONTEXT = decimal.Context(
    prec=DECIMAL_PRECISION,
    Emax=MAX_DECIMAL_EXPONENT,
    Emin=-MAX_DECIMAL_EXPONENT,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


class Output:
    """What ``print()`` wrote during one run: at most :data:`MAX_OUTPUT_CHARS` characters, then a marker."""

    __slots__ = ("parts", "size", "truncated")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    @property
    def room(self) -> int:
        return MAX_OUTPUT_CHARS - self.size

    def write(self, text: str) -> None:
        room = self.room
        if len(text) > room:
            text, self.truncated = text[: max(room, 0)], True
        if text:
            self.parts.append(text)
            self.size += len(text)

    def text(self) -> str:
        text = "".join(self.parts)
        if self.truncated:
            text += TRUNCATION_MARKER
        return text


class _Run:
    """Budget and deadline of one script run; its output, the shapes of its tuples, its first violation."""

    __slots__ = ("deadline", "limit", "nesting", "output", "time_limit", "tuples", "used", "violation")

    def __init__(self, limit: int, time_limit: float, output: Output | None) -> None:
        self.limit, self.used, self.time_limit = limit, 0, time_limit
        self.deadline = time.monotonic() + time_limit
        self.violation: SandboxError | None = None
        self.output = output
        self.tuples: dict[int, tuple[tuple[Any, ...], int, int]] = {}  # id -> (the tuple, depth, units)
        self.nesting = 0  # nesting of the iterator last passed to _getiter_ (see guarded_genexp)

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


def current_run() -> _Run | None:
    return _RUN.get()


def deny(zh: str, en: str, **details: Any) -> NoReturn:
    err = SandboxError(zh, en, **details)
    run = _RUN.get()
    if run is not None and run.violation is None:
        run.violation = err
    raise err


def tick(*packed: tuple[Any, ...]) -> None:
    """Charge one call of a script-defined function; check its ``*args`` tuple, if it has one."""
    run = _RUN.get()
    if run is not None:
        run.charge()
        for args in packed:
            check_tuple(args)


# -- lazy iterators ---------------------------------------------------------------------------------


class LazyIter:
    """A lazy iterator a script built (generator expression), with its nesting depth."""

    __slots__ = ("_it", "depth")

    def __init__(self, it: Iterator[Any], depth: int) -> None:
        self._it, self.depth = it, depth

    def __iter__(self) -> LazyIter:
        return self

    def __next__(self) -> Any:
        return next(self._it)

    def __repr__(self) -> str:
        return "<iterator>"


class ChargedIter(LazyIter):
    """``map``/``filter``/``zip``/``enumerate``: every item costs one unit; produced tuples are checked."""

    __slots__ = ("_run", "_tuples")

    def __init__(self, it: Iterator[Any], depth: int, run: _Run, tuples: bool) -> None:
        super().__init__(it, depth)
        self._run, self._tuples = run, tuples

    def __next__(self) -> Any:
        run = self._run
        run.used += 1
        if run.used > run.limit or time.monotonic() > run.deadline:
            run.exceeded()
        item = next(self._it)
        if self._tuples:
            check_tuple(item)
        return item


def _nesting_refused(depth: int) -> NoReturn:
    deny(
        f"迭代器嵌套过深（map/filter/zip/enumerate/生成器表达式最多嵌套 {MAX_ITER_NESTING} 层，实际 {depth} 层）",
        f"iterators nested too deeply (map/filter/zip/enumerate/generator expressions: at most "
        f"{MAX_ITER_NESTING} levels, got {depth})",
    )


def lazy_builtin(factory: Callable[..., Iterator[Any]], *, tuples: bool) -> Callable[..., Any]:
    """Wrap a builtin that returns a lazy iterator over other iterables, counting the nesting."""

    def make(*args: Any, **kwargs: Any) -> Any:
        run = _RUN.get()
        if run is None:
            return factory(*args, **kwargs)
        depth = 1
        for arg in args:
            if isinstance(arg, LazyIter) and arg.depth >= depth:
                depth = arg.depth + 1
        if depth > MAX_ITER_NESTING:
            _nesting_refused(depth)
        return ChargedIter(factory(*args, **kwargs), depth, run, tuples)

    make.__name__ = make.__qualname__ = factory.__name__
    return make


def guarded_iter(iterable: Iterable[Any]) -> Iterable[Any]:
    """``_getiter_``: every loop and comprehension item costs one unit of the budget."""
    run = _RUN.get()
    if run is None:
        return iterable
    run.nesting = iterable.depth if isinstance(iterable, LazyIter) else 0
    return run.iterate(iterable)


def guarded_iter_unpack(it: Iterable[Any], spec: dict[str, Any], _getiter_: Any = None) -> Iterator[Any]:
    """``_iter_unpack_sequence_`` (``for a, b in x``): like RestrictedPython's, but takes the iterator now."""
    from RestrictedPython.Guards import guarded_unpack_sequence

    source = guarded_iter(it)
    return (guarded_unpack_sequence(item, spec, guarded_iter) for item in source)


def guarded_genexp(generator: Iterator[Any]) -> Any:
    """Wrap a generator expression: it nests one level deeper than the iterator it was built on."""
    run = _RUN.get()
    if run is None:
        return generator
    depth = run.nesting + 1
    if depth > MAX_ITER_NESTING:
        _nesting_refused(depth)
    return LazyIter(generator, depth)


# -- shapes of data ---------------------------------------------------------------------------------


def _children(item: Any) -> Iterable[Any] | None:
    """Return the parts of a container, or None for a leaf (fast paths for JSON types)."""
    kind = type(item)
    if kind is list or kind is tuple:
        return item
    if kind is dict:
        return (*item.keys(), *item.values())
    if isinstance(item, (str, bytes)):
        return None
    if isinstance(item, Mapping):
        return (*item.keys(), *item.values())
    return item if isinstance(item, (list, tuple, set, frozenset)) else None


_FLAT = frozenset({int, float, bool, type(None), Decimal})
_TEXT = frozenset({str})


def measure_units(value: Any, limit: int = MAX_DATA_UNITS) -> int:
    """Containers + leaves + characters of a value, each shared part counted as often as it occurs.

    Each distinct container is walked once (memoized by id), so an exponentially shared structure is
    measured in time linear in its distinct parts; the walk stops once the total passes ``limit``. A
    cycle or nesting deeper than :data:`MAX_DATA_DEPTH` counts as ``limit + 1``.
    """
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def measure(item: Any, depth: int) -> int:
        children = _children(item)
        if children is None:
            return 1 + (len(item) if isinstance(item, (str, bytes)) else 0)
        if type(item) in (list, tuple) and len(item) > 64:  # long list or tuple: one pass in C if items are flat
            kinds = set(map(type, item))
            if kinds <= _FLAT:
                return 1 + len(item)
            if kinds == _TEXT:
                return 1 + len(item) + sum(map(len, item))
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in open_ids or depth >= MAX_DATA_DEPTH:
            return limit + 1
        open_ids.add(key)
        total = 1
        for child in children:
            kind = type(child)
            if kind is str:
                total += 1 + len(child)
            elif kind is int or kind is float or kind is bool or child is None:
                total += 1
            else:
                total += measure(child, depth + 1)
            if total > limit:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    return measure(value, 0)


_WALKED = (list, tuple, dict, set, frozenset)


def check_units(value: Any) -> Any:
    """Refuse a container too large to compare, sort, search or print in one call; return it."""
    if isinstance(value, _WALKED) and len(value) and measure_units(value) > MAX_DATA_UNITS:
        deny(
            f"数据过大（超过 {MAX_DATA_UNITS:,} 个单位或嵌套过深），不能在一次操作中比较、查找、排序或转换为文本",
            f"data too large (over {MAX_DATA_UNITS:,} units, or nested too deeply) to compare, search, sort "
            f"or convert to text in one operation",
        )
    return value


def _tuple_refused(depth: int) -> NoReturn:
    deny(
        f"元组嵌套过深或过大（最多嵌套 {MAX_TUPLE_DEPTH} 层、{MAX_DATA_UNITS:,} 个单位）",
        f"tuple nested too deeply or too large (at most {MAX_TUPLE_DEPTH} levels and {MAX_DATA_UNITS:,} units; "
        f"got depth {depth}+)",
    )


def _shape(items: Iterable[Any], size: int, run: _Run, level: int) -> tuple[int, int]:
    """Depth and units of a tuple with these items (tuples inside tuples only: what hash() recurses into)."""
    depth, units = 1, size + 1
    memo = run.tuples
    for item in items:
        if isinstance(item, tuple):
            entry = memo.get(id(item))
            if entry is not None and entry[0] is item:
                child_depth, child_units = entry[1], entry[2]
            else:
                if level >= MAX_TUPLE_DEPTH:
                    _tuple_refused(level)
                child_depth, child_units = _shape(item, len(item), run, level + 1)
                if child_depth > 1:
                    memo[id(item)] = (item, child_depth, child_units)
            if child_depth >= depth:
                depth = child_depth + 1
            units += child_units
    if depth > MAX_TUPLE_DEPTH or units > MAX_DATA_UNITS:
        _tuple_refused(depth)
    return depth, units


def check_tuple(value: Any) -> Any:
    """``_tuple_``: refuse a tuple nested too deeply or too large for hash() and comparisons; return it."""
    if not isinstance(value, tuple):
        return value
    run = _RUN.get()
    if run is None:
        return value
    for item in value:
        if isinstance(item, tuple):
            break
    else:
        return value  # the common case: no tuple inside
    depth, units = _shape(value, len(value), run, 1)
    if depth > 1:
        run.tuples[id(value)] = (value, depth, units)
    return value


def check_pairs(pairs: Iterable[tuple[Any, Any]]) -> None:
    """Check the tuples ``dict.items()`` or ``popitem()`` would build, without building them."""
    run = _RUN.get()
    if run is None:
        return
    for key, value in pairs:
        if isinstance(key, tuple) or isinstance(value, tuple):
            _shape((key, value), 2, run, 1)


def check_nested_tuples(value: Any) -> Any:
    """Check every tuple in the result of a trusted function (lists, dicts and tuples are searched)."""
    if isinstance(value, tuple):
        return check_tuple(value)
    if type(value) is list or type(value) is dict:
        stack, seen = [value], 0
        while stack and seen <= MAX_SIZE:
            item = stack.pop()
            seen += 1
            for child in item.values() if type(item) is dict else item:
                if isinstance(child, tuple):
                    check_tuple(child)
                elif type(child) is list or type(child) is dict:
                    stack.append(child)
    return value


# -- size checks ------------------------------------------------------------------------------------


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


def check_int(value: Any) -> Any:
    if type(value) is int and value.bit_length() > MAX_INT_BITS:
        check_int_bits(value.bit_length())
    return value


def check_decimal(value: Any) -> None:
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_FORMAT_WIDTH:
        deny(
            "Decimal 数量级过大，无法转换为整数或按定点格式输出",
            "Decimal magnitude too large to convert to int or to format in fixed point",
        )


def decimal_out_of_bounds(value: Decimal) -> bool:
    """Whether a finite Decimal has more digits or a larger exponent than scripts may use."""
    if not value.is_finite():
        return False
    _sign, digits, exponent = value.as_tuple()
    return len(digits) > MAX_DECIMAL_DIGITS or abs(int(exponent)) > MAX_DECIMAL_EXPONENT


def check_decimal_bounds(value: Decimal) -> Decimal:
    if decimal_out_of_bounds(value):
        deny(
            f"Decimal 超出范围（指数绝对值最多 {MAX_DECIMAL_EXPONENT:,}，有效数字最多 {MAX_DECIMAL_DIGITS:,} 位）",
            f"Decimal out of range (|exponent| at most {MAX_DECIMAL_EXPONENT:,}, at most "
            f"{MAX_DECIMAL_DIGITS:,} significant digits)",
        )
    return value


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
    if type(a) is int and type(b) is int:
        check_int_bits(max(a.bit_length(), b.bit_length()))
    elif isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        check_size(len(a) + len(b))


check_sub = check_add  # integers only: a - b grows at most one bit, like a + b


def _repeat(seq: Any, times: int) -> None:
    check_size(len(seq) * times)
    if times > 1 and isinstance(seq, (list, tuple)) and seq:
        per_copy = measure_units(seq, MAX_DATA_UNITS) - 1  # what each copy repeats (the container once)
        if per_copy * times > MAX_DATA_UNITS:
            deny(
                f"重复后的数据过大（{times:,} 份，每份 {per_copy:,} 个单位，最多共 {MAX_DATA_UNITS:,} 个）",
                f"repeated data too large ({times:,} copies of {per_copy:,} units; at most {MAX_DATA_UNITS:,} in all)",
            )


def check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        check_int_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _repeat(a, b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _repeat(b, a)


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
            check_units(value)
    elif type(a) is int and type(b) is int:
        check_int_bits(max(a.bit_length(), b.bit_length()))


# -- running ----------------------------------------------------------------------------------------


def _converted(err: BaseException) -> SandboxError | None:
    """The sandbox error a RecursionError or MemoryError inside a script stands for (None for others)."""
    if isinstance(err, RecursionError):
        return SandboxError(
            "脚本中的数据或函数调用嵌套过深（递归超过解释器限制）",
            "data or function calls nested too deeply in the script (recursion limit reached)",
        )
    if isinstance(err, MemoryError):
        return SandboxError(
            "脚本使用的内存超过了工作进程的上限",
            "the script needed more memory than the worker process may use",
        )
    return None


def run_code(
    code: CodeType, namespace: dict[str, Any], limit: int, time_limit: float, output: Output | None = None
) -> Any:
    """Evaluate sandbox-compiled code under a fresh budget; re-raise a guard error the script caught.

    ``print()`` writes to ``output``. A RecursionError or MemoryError becomes a SandboxError that keeps
    the script's traceback (so the failing line is still found).
    """
    run = _Run(limit, time_limit, output)
    token = _RUN.set(run)
    try:
        with decimal.localcontext(_SCRIPT_DECIMAL_CONTEXT):
            result = eval(code, namespace)  # runs exec-mode code too (returns None); already restricted
    except (RecursionError, MemoryError) as err:
        converted = _converted(err)
        assert converted is not None
        raise converted.with_traceback(err.__traceback__) from None
    finally:
        run.tuples.clear()
        _RUN.reset(token)
    if run.violation is not None:  # the script caught a guard's error: the run still fails
        raise run.violation
    return result


# -- the worker's memory ----------------------------------------------------------------------------


def memory_limit_bytes(environ: Mapping[str, str] | None = None) -> int | None:
    """The address-space cap a worker sets itself (None = off), from ``SHEQUFLOW_MEMORY_LIMIT_MB``."""
    raw = (environ if environ is not None else os.environ).get(MEMORY_LIMIT_ENV, "").strip()
    try:
        megabytes = int(raw) if raw else DEFAULT_MEMORY_LIMIT_MB
    except ValueError:
        raise ValueError(f"{MEMORY_LIMIT_ENV} must be a whole number of megabytes (0 = off), not {raw!r}") from None
    if megabytes < 0:
        raise ValueError(f"{MEMORY_LIMIT_ENV} must not be negative")
    return megabytes * 1024 * 1024 if megabytes else None


def apply_process_memory_cap(environ: Mapping[str, str] | None = None) -> int | None:
    """Cap this process's address space (RLIMIT_AS) so that a runaway script fails with MemoryError.

    Call it once at the start of every worker (``shequflow serve``, ``shequflow timers run``, the case
    commands). The cap only ever lowers the current soft limit (a stricter limit set by the operator or
    the container stays); it never exceeds the hard limit. Returns the soft limit in force afterwards
    (None = unlimited). Child processes inherit it.
    """
    import resource

    wanted = memory_limit_bytes(environ)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if wanted is not None:
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        if soft == resource.RLIM_INFINITY or wanted < soft:
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
            soft = wanted
    return None if soft == resource.RLIM_INFINITY else soft
