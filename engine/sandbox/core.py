"""Run process scripts and expressions under RestrictedPython, for every place SpiffWorkflow evaluates code.

Threat model
------------
Process owners write Python in BPMN and DMN files: script tasks, pre/post scripts, gateway conditions,
timer expressions, DMN cells, message payloads and correlation expressions. A bundle may come from a
careless or compromised account, and the data those scripts read (form fields filled in by residents)
is never trusted. SpiffWorkflow's default ``TaskDataEnvironment`` is plain ``exec``/``eval``, so without
the sandbox any of those texts could read files, environment secrets or the database session of the
worker, or hang the worker. We protect:

* the worker process and its host: no imports, no I/O, no reflection into interpreter internals;
* availability: no unbounded loops or recursion, no one-shot CPU or memory bombs;
* the instance's own data: only task data (dicts and lists) may be modified.

Functions passed in ``functions`` are trusted code; scripts can call them freely.

Where each part lives
---------------------
* :mod:`engine.sandbox.policy` -- compile time. ``check_source`` and execution share one compile path:
  a policy check refuses, with a Chinese message naming the construct, ``while`` (could loop forever),
  ``import``, ``class``, ``yield``, ``async``, ``match``, names and attributes starting with ``_`` (the
  route to ``__subclasses__``, ``__globals__``, ``__builtins__``), interpreter attributes (``gi_frame``,
  ``f_back``, ``mro``...), ``str.format``/``format_map`` (format fields such as ``{0.__class__}`` do
  attribute access that no guard sees), ``print``, and calls of ``exec``, ``eval``, ``compile``,
  ``open``, ``type``, ``globals``... ``getattr`` with a constant name (also ``'__glob' + 'als__'``) is
  checked like an attribute. Then RestrictedPython's own transformer runs as a backstop; ours rewrites
  ``+ * ** << %``, f-string fields, ``x[k] += v`` and every function body so that the guards see them.
* :mod:`engine.sandbox.guards` -- run time. ``_getattr_`` (attribute syntax and ``getattr()``) applies
  the same name rules to names only known then; ``_write_`` lets only plain ``dict`` and ``list``
  objects be assigned into; operator and builtin guards (``+ * ** << %``, f-string format specs,
  ``str.ljust/rjust/center/zfill/expandtabs/replace/join``, ``sum`` of sequences, ``pow``, ``range``,
  ``int``/``round`` of huge Decimals) refuse oversized results. Builtins: RestrictedPython's
  ``safe_builtins`` without ``id``, ``setattr``, ``delattr``, class building and the exceptions that are
  not ``Exception`` subclasses (``SystemExit`` would bypass SpiffWorkflow's error handling and stop the
  worker); plus ``sum min max sorted any all enumerate zip map filter reversed dict list set frozenset
  tuple`` and ``datetime date timedelta timezone Decimal``. ``string`` (``Formatter``), ``math``
  (``factorial`` CPU bombs) and ``random`` (non-repeatable runs) from ``utility_builtins`` are left out.
  Builtins live in ``__builtins__``, so a task-data field called ``type`` or ``date`` simply shadows
  them. Forbidden builtins are placeholders that raise when called.
* :mod:`engine.sandbox.limits` -- the limits. ``_getiter_`` and ``_tick_``: every loop item,
  comprehension item and call of a script-defined function costs one unit of a per-run budget
  (``max_iterations``), and a wall-clock ``time_limit`` is checked at the same points. A script that
  catches the error still fails: the run re-raises it at the end. Results above :data:`MAX_SIZE` items,
  :data:`MAX_INT_BITS` bits or :data:`MAX_FORMAT_WIDTH` are refused.
* This module -- the environment SpiffWorkflow calls, the script engine, and the size check of the task
  data a script leaves behind (:data:`MAX_DATA_UNITS`, :data:`MAX_DATA_DEPTH`).

Not closed here: memory that grows through many small steps (``x.extend(x)`` or ``[*x, *x]`` in a loop)
and long single calls of trusted C code. Cap the worker's memory at the process level (RLIMIT_AS or a
cgroup) so that such a script fails with MemoryError, which SpiffWorkflow reports as a task error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import CodeType
from typing import Any, NoReturn

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
    MAX_SIZE,
    TIME_LIMIT_SECONDS,
    run_code,
)
from engine.sandbox.policy import SandboxSyntaxError, cached_code, check_source

__all__ = [
    "MAX_DATA_DEPTH",
    "MAX_DATA_UNITS",
    "MAX_FORMAT_WIDTH",
    "MAX_INT_BITS",
    "MAX_ITERATIONS",
    "MAX_SIZE",
    "TIME_LIMIT_SECONDS",
    "RestrictedEnvironment",
    "SandboxScriptEngine",
    "SandboxSyntaxError",
    "check_source",
    "make_script_engine",
]


_SCALARS = frozenset({int, float, bool, type(None), Decimal, date, datetime, timedelta})


def _children(item: Any) -> Iterable[Any] | None:
    """Return the parts of a container as serialized, or None for a leaf (fast paths for JSON types)."""
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


_CONTAINERS = (list, dict, set, tuple, frozenset)


def _data_units(value: Any) -> int:
    """Size a task-data value as serialized: containers + leaves + characters; above the limit, stop.

    Shared parts count each time they occur, as in JSON, but each distinct container is measured once
    (memoized by id), so ``a = [a, a]`` in a loop is caught at once. A cycle or nesting deeper than
    MAX_DATA_DEPTH (JSON serializers fail on both) counts as too large.
    """
    limit = MAX_DATA_UNITS
    sizes: dict[int, int] = {}
    open_ids: set[int] = set()

    def measure(item: Any, depth: int) -> int:
        children = _children(item)
        if children is None:
            return 1 + (len(item) if isinstance(item, (str, bytes)) else 0)
        key = id(item)
        if key in sizes:
            return sizes[key]
        if key in open_ids or depth >= MAX_DATA_DEPTH:
            return limit + 1
        open_ids.add(key)
        total = 1
        for child in children:
            kind = type(child)
            total += 1 + len(child) if kind is str else 1 if kind in _SCALARS else measure(child, depth + 1)
            if total > limit:
                break
        open_ids.discard(key)
        sizes[key] = total
        return total

    return measure(value, 0)


def _refuse_oversized(names: list[str]) -> NoReturn:
    raise SandboxError(
        f"脚本产生的数据过大或含循环引用：{', '.join(names)}（已丢弃）",
        f"script produced data too large to store, or cyclic: {names} (discarded)",
        names=names,
    )


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluate and execute every SpiffWorkflow script and expression under RestrictedPython.

    ``functions`` become globals of every script, exactly as with ``TaskDataEnvironment``: they are
    removed from task data after a script, and task data using one of their names is an error.
    ``datetime``, ``date``, ``timedelta``, ``timezone`` and ``Decimal`` are builtins (task data may
    shadow them). Decimal values must be converted (``str()``) before they stay in task data, because
    SpiffWorkflow's serializer does not store them.
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
        super().__init__(names)
        self.max_iterations = max_iterations
        self.time_limit = time_limit

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None
    ) -> Any:
        """Return the value of an expression over task data (gateway, timer, DMN cell, payload)."""
        code = cached_code(expression, "eval")
        namespace = {**self.globals, **(external_context or {}), **context, **GUARDS}
        result = self._run(code, namespace)
        if _data_units(result) > MAX_DATA_UNITS:  # payload expressions put their result into task data
            _refuse_oversized(["<result>"])
        return result

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script with task data as its globals; strip functions and globals afterwards."""
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code = cached_code(script, "exec")
        before = {key: id(value) for key, value in context.items()}
        context.update(self.globals)
        context.update(external)
        context.update(GUARDS)
        try:
            self._run(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external)
            # measure what the script may have grown: new or rebound values, and every container (a list
            # kept under the same name can still have been extended in place); untouched scalars are skipped
            oversized = [
                key
                for key, value in context.items()
                if (before.get(key) != id(value) or type(value) in _CONTAINERS) and _data_units(value) > MAX_DATA_UNITS
            ]
            for key in oversized:  # drop them, or saving the instance would hang or fail
                del context[key]
        if oversized:
            _refuse_oversized(oversized)
        return True

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

    def _run(self, code: CodeType, namespace: dict[str, Any]) -> Any:
        return run_code(code, namespace, self.max_iterations, self.time_limit)


class SandboxScriptEngine(PythonScriptEngine):
    """PythonScriptEngine that keeps a sandbox error's Chinese message at the front of the task error."""

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as err:
            cause = err.__context__
            if not isinstance(cause, SandboxError):
                raise
            raise WorkflowTaskException(
                f"{cause}；表达式 (expression)：{expression}", task=task, exception=cause
            ) from cause

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        if not isinstance(err, SandboxError):
            return super().create_task_exec_exception(task, script, err)
        line_number, error_line = self.get_error_line_number_and_content(script, err)
        return WorkflowTaskException(str(err), task=task, exception=err, line_number=line_number, error_line=error_line)

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
