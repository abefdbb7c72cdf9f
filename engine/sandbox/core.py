"""Run process scripts and expressions under RestrictedPython, for every place SpiffWorkflow evaluates code.

Threat model
------------
Process owners write Python in BPMN and DMN files: script tasks, pre/post scripts, gateway conditions,
timer expressions, DMN cells, message payloads and correlation expressions. A bundle may come from a
careless or compromised account, and the data those scripts read (form fields filled in by residents)
is never trusted. SpiffWorkflow's default ``TaskDataEnvironment`` is plain ``exec``/``eval``, so without
the sandbox any of those texts could read files, environment secrets or the database session of the
worker, or hang or crash the worker. We protect:

* the worker process and its host: no imports, no I/O, no reflection into interpreter internals, no
  crash (C-stack overflow) and no single call that runs far past the time limit;
* availability: no unbounded loops or recursion, no one-shot CPU or memory bombs;
* the instance's own data: only task data (dicts and lists) may be modified, the process configuration
  handed to scripts is read-only, and what a script leaves in task data must be storable data.

Functions passed in ``functions`` are trusted code; scripts can call them freely (their arguments are
measured and the tuples they return checked, like a script's own).

Where each part lives
---------------------
* :mod:`engine.sandbox.policy` -- compile time. ``check_source`` and execution share one compile path:
  a policy check refuses, with a Chinese message naming the construct, ``while`` (could loop forever),
  ``import``, ``class``, ``yield``, ``async``, ``match``, names and attributes starting with ``_`` (the
  route to ``__subclasses__``, ``__globals__``, ``__builtins__``), interpreter attributes (``gi_frame``,
  ``f_back``, ``mro``...), ``str.format``/``format_map`` (format fields such as ``{0.__class__}`` do
  attribute access that no guard sees), binding the name ``print``, and calls of ``exec``, ``eval``,
  ``compile``, ``open``, ``type``, ``globals``... ``getattr`` with a constant name (also
  ``'__glob' + 'als__'``) is checked like an attribute. Then RestrictedPython's own transformer runs as
  a backstop; ours routes operators, comparisons, tuple displays, generator expressions, f-string
  fields and function bodies through the guards.
* :mod:`engine.sandbox.guards` -- run time. ``_getattr_`` (attribute syntax and ``getattr()``) applies
  the same name rules to names only known then; ``_write_`` lets only plain ``dict`` and ``list``
  objects be assigned into; the other hooks check sizes and shapes first. Builtins are a minimal
  allow-list (listed there), including ``print``.
* :mod:`engine.sandbox.limits` -- the limits and why they are enforced in process: per-run budget of
  loop items and calls (``max_iterations``) and wall-clock ``time_limit``; sizes (:data:`MAX_SIZE`
  items, :data:`MAX_INT_BITS` bits, :data:`MAX_FORMAT_WIDTH`); shapes (nested tuples and lazy
  iterators, which CPython walks recursively in C); Decimal exponents; the worker's memory cap
  (:func:`~engine.sandbox.limits.apply_process_memory_cap`). A script that catches a guard's error
  still fails: the run re-raises it at the end. RecursionError and MemoryError become SandboxErrors.
* This module -- the environment SpiffWorkflow calls, the script engine, the output of ``print`` and
  the check of the task data a script leaves behind.

Output of ``print``
-------------------
Each run keeps at most :data:`MAX_OUTPUT_CHARS` characters of printed text (then a truncation marker).
It is logged (logger ``engine.sandbox.core``, INFO; WARNING when the run failed) with the case id (task
data ``case_id``) and the task's BPMN id. When the run fails, the text is attached to the exception as
``script_output``, and the ``WorkflowTaskException`` SpiffWorkflow reports (which becomes the case's
incident) carries it as ``script_output`` too and ends its message with it.

What a script may leave in task data
------------------------------------
After every script (script task, pre- and post-script) each variable the script created or rebound,
and every container (it may have been changed in place), must be JSON data as the engine stores it:
``None``, ``bool``, ``int`` within ±(2**53-1) (what JSON numbers keep exactly; store larger numbers as
strings), finite ``float``, ``str``, finite ``Decimal`` within the sandbox's bounds, ``date``,
``datetime``, ``timedelta``, and ``list``/``tuple``/``dict`` of those, dict keys being strings, at most
:data:`MAX_DATA_UNITS` units and :data:`MAX_DATA_DEPTH` levels. Refused, with the variable and the path
to the bad value named: larger ints, NaN and infinities, ``bytes``, ``set``/``frozenset`` (they would
come back as lists after a reload, so a script would see another type depending on the cache), ranges,
iterators and generators, read-only configuration views (copy them with ``dict(...)``/``list(...)``),
functions inside containers, and any other object. Top-level functions a script defines (``def``,
``lambda``) are helpers, not data: they are dropped silently, as before. Values that fail are removed
from the task data, so the step saves and the case gets an incident instead of failing to serialize.
The check walks only what the script may have grown (rebound values and containers), in the same walk
that measures sizes. Expression results (conditions, timers, DMN cells) are sized, not type-checked:
SpiffWorkflow consumes them itself.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import wraps
from types import CodeType, MappingProxyType
from typing import Any, NoReturn
from uuid import UUID

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from engine.errors import SandboxError
from engine.sandbox.guards import GUARDS
from engine.sandbox.limits import (
    MAX_DATA_DEPTH,
    MAX_DATA_UNITS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_ITERATIONS,
    MAX_OUTPUT_CHARS,
    MAX_SIZE,
    TIME_LIMIT_SECONDS,
    Output,
    apply_process_memory_cap,
    check_nested_tuples,
    check_units,
    decimal_out_of_bounds,
    measure_units,
    run_code,
)
from engine.sandbox.policy import SandboxSyntaxError, cached_code, check_source

__all__ = [
    "MAX_DATA_DEPTH",
    "MAX_DATA_UNITS",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_ITERATIONS",
    "MAX_OUTPUT_CHARS",
    "MAX_SAFE_INTEGER",
    "MAX_SIZE",
    "TIME_LIMIT_SECONDS",
    "RestrictedEnvironment",
    "SandboxScriptEngine",
    "SandboxSyntaxError",
    "apply_process_memory_cap",
    "check_source",
    "make_script_engine",
]

log = logging.getLogger(__name__)

MAX_SAFE_INTEGER = 2**53 - 1  # JSON numbers beyond it are not kept exactly by other readers

# The BPMN id of the task whose script or expression runs now (set by SandboxScriptEngine), for the log.
_TASK: ContextVar[str | None] = ContextVar("sandbox_task", default=None)

_LEAVES = frozenset({bool, type(None), date, datetime, timedelta, UUID})  # storable as they are
_CONTAINERS = (list, dict, set, tuple, frozenset)


class _NotData(Exception):
    """Raised inside the data walk at the first value that is not storable data."""


_UNSTORABLE: dict[type, tuple[str, str]] = {
    set: (
        "集合（set）不能保存（重新读取后会变成列表），请用 sorted(...) 存为列表",
        "sets cannot be stored (they would come back as lists); store sorted(...) instead",
    ),
    MappingProxyType: (
        "只读的配置值不能直接保存，请用 dict(...) 复制后保存",
        "a read-only configuration value cannot be stored; store a copy made with dict(...)",
    ),
    bytes: ("bytes 不能保存，请用 .decode() 转为字符串", "bytes cannot be stored; decode them to a string"),
    range: ("range 不能保存，请用 list(range(...))", "a range cannot be stored; store list(range(...))"),
}
_UNSTORABLE[frozenset] = _UNSTORABLE[set]
_UNSTORABLE[bytearray] = _UNSTORABLE[bytes]


def _leaf_problem(item: Any) -> tuple[str, str] | None:
    """Why a leaf value is not storable data (Chinese, English), or None if it is."""
    kind = type(item)
    if kind is int:
        if -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
            return None
        return (
            "整数超出 ±(2⁵³−1)，JSON 无法精确保存，请存为字符串",
            "integer beyond ±(2**53-1), which JSON does not keep exactly; store it as a string",
        )
    if kind is float:
        return None if math.isfinite(item) else ("NaN 或无穷大不能保存", "NaN or infinity cannot be stored")
    if kind is str or kind in _LEAVES:
        return None
    if kind is Decimal:
        if item.is_finite() and not decimal_out_of_bounds(item):
            return None
        return ("Decimal 为 NaN、无穷大或超出范围，不能保存", "Decimal NaN, infinity or out of range cannot be stored")
    return _UNSTORABLE.get(kind) or _other_problem(item)


def _other_problem(item: Any) -> tuple[str, str]:
    if isinstance(item, Iterator):
        return (
            "迭代器或生成器不能保存，请用 list(...) 存为列表",
            "an iterator or generator cannot be stored; store list(...) instead",
        )
    if callable(item):
        return ("函数不能作为数据保存", "a function cannot be stored as data")
    name = type(item).__name__
    return (
        f"{name} 不是可保存的数据（只能保存字符串、数字、布尔值、None、日期、Decimal 及其列表和字典）",
        f"{name} is not storable data (only strings, numbers, booleans, None, dates, Decimals and lists "
        f"and dicts of them)",
    )


def _data_units(value: Any) -> int:
    """Size a value as serialized: containers + leaves + characters; above the limit, stop.

    Shared parts count each time they occur, as in JSON, but each distinct container is measured once
    (memoized by id), so ``a = [a, a]`` in a loop is caught at once. A cycle or nesting deeper than
    MAX_DATA_DEPTH (JSON serializers fail on both) counts as too large.
    """
    return measure_units(value, MAX_DATA_UNITS)


def _leaf_units(item: Any) -> int:
    """Units of a value that is not a list, tuple or dict; :class:`_NotData` if it is not storable."""
    if type(item) is str:
        return 1 + len(item)
    if _leaf_problem(item) is not None:
        raise _NotData
    return 1


def _key_units(mapping: dict[Any, Any]) -> int:
    total = 0
    for key in mapping:
        if type(key) is not str:
            raise _NotData
        total += 1 + len(key)
    return total


def _storable_units(value: Any) -> int:
    """Like :func:`_data_units`, and raise :class:`_NotData` at the first value that is not storable data."""
    limit = MAX_DATA_UNITS
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def measure(item: Any, depth: int) -> int:
        kind = type(item)
        if kind is not list and kind is not tuple and kind is not dict:
            return _leaf_units(item)
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in open_ids or depth >= MAX_DATA_DEPTH:
            return limit + 1
        open_ids.add(key)
        total = 1
        if kind is dict:
            total += _key_units(item)
            item = item.values()
        for child in item:
            child_kind = type(child)
            if child_kind is str:
                total += 1 + len(child)
            elif (child_kind is int and -MAX_SAFE_INTEGER <= child <= MAX_SAFE_INTEGER) or child_kind is bool:
                total += 1
            else:
                total += measure(child, depth + 1)
            if total > limit:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    return measure(value, 0)


def _path_to_problem(value: Any, path: str) -> tuple[str, str, str]:
    """Find the first value that is not storable data: its path and the reason (only after a failure)."""
    seen: set[int] = set()

    def search(item: Any, where: str, depth: int) -> tuple[str, str, str] | None:
        kind = type(item)
        if kind is list or kind is tuple:
            if id(item) in seen or depth >= MAX_DATA_DEPTH:
                return None
            seen.add(id(item))
            for index, child in enumerate(item):
                found = search(child, f"{where}[{index}]", depth + 1)
                if found:
                    return found
            return None
        if kind is dict:
            if id(item) in seen or depth >= MAX_DATA_DEPTH:
                return None
            seen.add(id(item))
            for key, child in item.items():
                if type(key) is not str:
                    return (
                        f"{where}[{key!r}]"[:200],
                        "字典的键必须是字符串（JSON 对象的键）",
                        "dict keys must be strings (JSON object keys)",
                    )
                found = search(child, f"{where}[{key!r}]", depth + 1)
                if found:
                    return found
            return None
        problem = _leaf_problem(item)
        return (where[:200], *problem) if problem else None

    return search(value, path, 0) or (path, "不是可保存的数据", "not storable data")


def _refuse_oversized(names: list[str]) -> NoReturn:
    raise SandboxError(
        f"脚本产生的数据过大或含循环引用：{', '.join(names)}（已丢弃）",
        f"script produced data too large to store, or cyclic: {names} (discarded)",
        names=names,
    )


def _refuse_not_data(problems: dict[str, tuple[str, str, str]]) -> NoReturn:
    names = list(problems)
    zh = "；".join(f"{where}：{reason}" for where, reason, _ in problems.values())
    en = "; ".join(f"{where}: {reason}" for where, _, reason in problems.values())
    raise SandboxError(
        f"脚本结果不是可保存的数据（已丢弃）：{zh}",
        f"script result is not storable data (discarded): {en}",
        names=names,
    )


def _attach_output(err: BaseException, text: str) -> None:
    with contextlib.suppress(AttributeError, TypeError):  # an exception type without a __dict__
        err.script_output = text  # type: ignore[attr-defined]


def _trusted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a trusted function: measure container arguments, check the tuples it returns."""

    @wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            if isinstance(arg, _CONTAINERS):
                check_units(arg)
        for arg in kwargs.values():
            if isinstance(arg, _CONTAINERS):
                check_units(arg)
        return check_nested_tuples(function(*args, **kwargs))

    return call


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate and execute every SpiffWorkflow script and expression under RestrictedPython.

    ``functions`` become globals of every script, exactly as with ``TaskDataEnvironment``: they are
    removed from task data after a script, and task data using one of their names is an error.
    ``datetime``, ``date``, ``timedelta``, ``timezone`` and ``Decimal`` are builtins (task data may
    shadow them).
    """

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        *,
        max_iterations: int = MAX_ITERATIONS,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        names = dict(functions or {})
        bad = sorted(name for name in names if not name.isidentifier() or name.startswith("_"))
        if bad:
            raise ValueError(f"script function names must be identifiers not starting with '_': {bad}")
        super().__init__({name: _trusted(name, function) for name, function in names.items()})
        self.max_iterations = max_iterations
        self.time_limit = time_limit

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """Return the value of an expression over task data (gateway, timer, DMN cell, payload)."""
        code = cached_code(expression, "eval")
        namespace = {**self.globals, **(external_context or {}), **context, **GUARDS}
        output = Output()
        try:
            result = self._run(code, namespace, output)
        except Exception as err:
            self._report(output, context, err)
            raise
        if output.parts or output.truncated:
            self._report(output, context, None)
        if _data_units(result) > MAX_DATA_UNITS:  # payload expressions put their result into task data
            _refuse_oversized(["<result>"])
        return result

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script with task data as its globals; strip functions and globals; check what it left."""
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code = cached_code(script, "exec")
        before = {key: id(value) for key, value in context.items()}
        context.update(self.globals)
        context.update(external)
        context.update(GUARDS)
        output = Output()
        try:
            self._run(code, context, output)
        except Exception as err:
            self._finish(context, external, before)
            self._report(output, context, err)
            raise
        oversized, not_data = self._finish(context, external, before)
        try:
            if not_data:
                _refuse_not_data(not_data)
            if oversized:
                _refuse_oversized(oversized)
        except SandboxError as err:
            self._report(output, context, err)
            raise
        if output.parts or output.truncated:
            self._report(output, context, None)
        return True

    def _finish(
        self, context: dict[str, Any], external: Mapping[str, Any], before: dict[str, int]
    ) -> tuple[list[str], dict[str, tuple[str, str, str]]]:
        """Strip globals, then check (and drop) what the script grew: too large, or not storable data."""
        self._remove_globals_and_functions_from_context(context, external)
        # measure what the script may have grown: new or rebound values, and every container (a list
        # kept under the same name can still have been extended in place); untouched scalars are skipped
        oversized: list[str] = []
        not_data: dict[str, tuple[str, str, str]] = {}
        for key, value in context.items():
            if before.get(key) == id(value) and type(value) not in _CONTAINERS:
                continue
            try:
                if _storable_units(value) > MAX_DATA_UNITS:
                    oversized.append(key)
            except _NotData:
                not_data[key] = _path_to_problem(value, key)
        for key in (*oversized, *not_data):  # drop them, or saving the instance would hang or fail
            del context[key]
        return oversized, not_data

    def _report(self, output: Output, context: Mapping[str, Any], failure: BaseException | None) -> None:
        """Log what the run printed, with the case and task; attach it to the run's error, if any."""
        if not output.parts and not output.truncated:
            return
        text = output.text()
        case, task = context.get("case_id"), _TASK.get()
        if failure is None:
            log.info("script output (case %s, task %s):\n%s", case, task, text)
            return
        failed = type(failure).__name__
        log.warning("script output (case %s, task %s), run failed with %s:\n%s", case, task, failed, text)
        _attach_output(failure, text)

    def check_for_overwrite(self, context: Mapping[str, Any], external_context: Mapping[str, Any]) -> None:
        """Refuse task data that would hide a predefined function (and be deleted after the run)."""
        clashes = sorted((set(self.globals) | set(external_context) | set(GUARDS)) & set(context))
        if clashes:
            raise SandboxError(
                f"任务数据中的变量名与预定义函数重名：{', '.join(clashes)}，请为这些变量或表单字段改名",
                f"task data overwrites predefined function(s) {clashes}; rename these variables or form fields",
                names=clashes,
            )

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> None:
        external = external_context or {}
        for key in list(context):
            if key in GUARDS or key in self.globals or key in external or callable(context[key]):
                del context[key]

    def _run(self, code: CodeType, namespace: dict[str, Any], output: Output | None = None) -> Any:
        return run_code(code, namespace, self.max_iterations, self.time_limit, output)


def _with_output(err: Exception, cause: BaseException | None) -> Exception:
    """Carry a failed run's printed output onto the exception SpiffWorkflow reports (its incident)."""
    text = getattr(cause, "script_output", None)
    if text and getattr(err, "script_output", None) is None:
        _attach_output(err, text)
        if isinstance(err, WorkflowTaskException):
            err.add_note(f"脚本输出 (script output):\n{text}")
    return err


def _bpmn_id(task: Any) -> str | None:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine that keeps a sandbox error's Chinese message at the front of the task error.

    A failed run's printed output is on the reported exception as ``script_output`` and ends its message.
    """

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        token = _TASK.set(_bpmn_id(task))
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as err:
            cause = err.__context__
            if not isinstance(cause, SandboxError):
                _with_output(err, cause)
                raise
            wrapped = WorkflowTaskException(f"{cause}；表达式 (expression)：{expression}", task=task, exception=cause)
            raise _with_output(wrapped, cause) from cause
        finally:
            _TASK.reset(token)

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> Any:
        token = _TASK.set(_bpmn_id(task))
        try:
            return super().execute(task, script, external_context)
        finally:
            _TASK.reset(token)

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        if not isinstance(err, SandboxError):
            if err.args and not isinstance(err.args[0], str):  # SpiffWorkflow would fail on "Name:" + 5
                err.args = (str(err.args[0]), *err.args[1:])
            return _with_output(super().create_task_exec_exception(task, script, err), err)
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        wrapped = WorkflowTaskException(
            str(err), task=task, exception=err, line_number=line_number, error_line=error_line
        )
        return _with_output(wrapped, err)

    def call_service(
        self, task: Any, operation_name: str = "", operation_params: Mapping[str, Any] | None = None, **_: Any
    ) -> str:
        """Run a service task's registered connector (engine.connectors); return its result as JSON text.

        SpiffWorkflow 3.2 calls ``call_service(task, operation_name=..., operation_params=...)`` and its own
        error path raises NameError; an unknown connector or a failing one is a task error here instead.
        """
        from engine.connectors import call_connector_json  # lazy: connectors are operator configuration

        try:
            return call_connector_json(operation_name, operation_params or {})
        except Exception as err:
            raise WorkflowTaskException(f"服务任务失败：{err}", task=task, exception=err) from err


def make_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """Return a script engine whose every script and expression runs in a RestrictedEnvironment."""
    return SandboxScriptEngine(environment=RestrictedEnvironment(functions))
