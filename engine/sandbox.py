"""Run process scripts and expressions under RestrictedPython, for every place SpiffWorkflow evaluates code.

Threat model
------------
Process owners write Python in BPMN and DMN files: script tasks, pre/post scripts, gateway conditions,
timer expressions, DMN cells, message payloads and correlation expressions. A bundle may come from a
careless or compromised account, and the data those scripts read (form fields filled in by residents)
is never trusted. SpiffWorkflow's default ``TaskDataEnvironment`` is plain ``exec``/``eval``, so without
this module any of those texts could read files, environment secrets or the database session of the
worker, or hang the worker. We protect:

* the worker process and its host: no imports, no I/O, no reflection into interpreter internals;
* availability: no unbounded loops or recursion, no one-shot CPU or memory bombs;
* the instance's own data: only task data (dicts and lists) may be modified.

Functions passed in ``functions`` are trusted code; scripts can call them freely.

Guards and why each exists
--------------------------
* Compile time (``check_source`` and execution share :func:`_compile`): a policy check refuses, with a
  Chinese message naming the construct, ``while`` (could loop forever), ``import``, ``class``, ``yield``,
  ``async``, ``match``, names and attributes starting with ``_`` (the route to ``__subclasses__``,
  ``__globals__``, ``__builtins__``), interpreter attributes (``gi_frame``, ``f_back``, ``mro``...),
  ``str.format``/``format_map`` (format fields such as ``{0.__class__}`` do attribute access that no guard
  sees), ``print``, and calls of ``exec``, ``eval``, ``compile``, ``open``, ``type``, ``globals``...
  ``getattr`` with a constant name (also ``'__glob' + 'als__'``) is checked like an attribute. Then
  RestrictedPython's own transformer runs as a backstop; ours rewrites ``+ * ** << %``, f-string fields,
  ``x[k] += v`` and every function body so that the guards below see them.
* ``_getattr_`` (attribute syntax and ``getattr()``): the same name rules at run time, for names that are
  only known then.
* ``_write_``: only plain ``dict`` and ``list`` objects may be assigned into.
* ``_getiter_`` and ``_tick_``: every loop item, comprehension item and call of a script-defined function
  costs one unit of a per-run budget (``max_iterations``), and a wall-clock ``time_limit`` is checked at
  the same points. A script that catches the error still fails: the run re-raises it at the end.
* Operator and builtin guards: ``+ * ** << %``, f-string format specs, ``str.ljust/rjust/center/zfill/
  expandtabs/replace/join``, ``sum`` of sequences, ``pow``, ``range``, ``int``/``round`` of huge Decimals
  refuse results above :data:`MAX_SIZE` items, :data:`MAX_INT_BITS` bits or :data:`MAX_FORMAT_WIDTH`.
* Builtins: RestrictedPython's ``safe_builtins`` without ``id``, ``setattr``, ``delattr``, class
  building and the exceptions that are not ``Exception`` subclasses (``SystemExit`` would bypass
  SpiffWorkflow's error handling and stop the worker); plus ``sum min max sorted any all enumerate zip map
  filter reversed dict list set frozenset tuple`` and ``datetime date timedelta timezone Decimal``.
  ``string`` (``Formatter``), ``math`` (``factorial`` CPU bombs) and ``random`` (non-repeatable runs)
  from ``utility_builtins`` are left out. Builtins live in ``__builtins__``, so a task-data field called
  ``type`` or ``date`` simply shadows them. Forbidden builtins are placeholders that raise when called.

Not closed here: memory that grows through many small steps (``x.extend(x)`` or ``[*x, *x]`` in a loop)
and long single calls of trusted C code. Cap the worker's memory at the process level (RLIMIT_AS or a
cgroup) so that such a script fails with MemoryError, which SpiffWorkflow reports as a task error.
"""

from __future__ import annotations

import ast
import math
import operator
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from functools import lru_cache
from types import CodeType, FrameType, TracebackType
from typing import Any, Literal, NoReturn, cast

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    IOPERATOR_TO_STR,
    RestrictingNodeTransformer,
    copy_locations,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from engine.errors import SandboxError

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

Mode = Literal["exec", "eval"]

MAX_ITERATIONS = 1_000_000  # loop items plus calls of script-defined functions, per run
TIME_LIMIT_SECONDS = 5.0  # wall clock per run, checked at every loop item and function call
MAX_SIZE = 1_000_000  # characters or items of a str/bytes/list/tuple built by one guarded operation
MAX_INT_BITS = 100_000  # about 30,000 decimal digits
MAX_FORMAT_WIDTH = 10_000  # width or precision in a format spec; magnitude of a Decimal to format
MAX_DATA_UNITS = 5_000_000  # per task-data variable a script leaves: containers + items + characters
MAX_DATA_DEPTH = 100  # nesting of a task-data variable a script leaves
COMPILE_CACHE_SIZE = 2048
RUNTIME_FILENAME = "<string>"  # SpiffWorkflow finds the failing script line by this frame name

_FORBIDDEN_CALLS = frozenset(
    {
        "exec",
        "eval",
        "compile",
        "open",
        "input",
        "breakpoint",
        "help",
        "exit",
        "quit",
        "globals",
        "locals",
        "vars",
        "dir",
        "type",
        "object",
        "super",
        "memoryview",
        "setattr",
        "delattr",
    }
)
_FORBIDDEN_NAMES = frozenset({"print", "printed"})
_INTERNAL_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro"}


class SandboxSyntaxError(SandboxError, SyntaxError):
    """A script or expression the sandbox refuses to compile; ``lineno`` is always a line of the source."""


# -- compile time ------------------------------------------------------------------------------------


def _attribute_refusal(name: str) -> tuple[str, str] | None:
    """Return the Chinese and English reason why an attribute name is refused, or None if allowed."""
    if name.startswith("_"):
        return (
            f"不允许访问以下划线开头的属性“{name}”",
            f'attribute "{name}" starts with "_" and is not accessible',
        )
    if name in ("format", "format_map"):
        return (
            f"不允许使用字符串的 {name}() 方法（格式串能读取对象内部属性），请改用 f-string",
            f"str.{name}() is not allowed (format fields can reach object internals); use an f-string",
        )
    if name in _INTERNAL_ATTRIBUTES:
        return (f"不允许访问解释器内部属性“{name}”", f'attribute "{name}" exposes interpreter internals')
    return None


def _constant_string(node: ast.AST) -> str | None:
    """Fold a string built only from literals ('__glob' + 'als__', f'__{"x"}'); None if not constant."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_string(node.left), _constant_string(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [_constant_string(v.value if isinstance(v, ast.FormattedValue) else v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(p for p in parts if p is not None)
    return None


class _PolicyChecker(ast.NodeVisitor):
    """Collect every construct the sandbox refuses, with a Chinese and an English reason."""

    def __init__(self) -> None:
        self.problems: list[tuple[int, str, str, str]] = []  # lineno, zh, en, construct

    def refuse(self, node: ast.AST, construct: str, zh: str, en: str) -> None:
        self.problems.append((getattr(node, "lineno", 1) or 1, zh, en, construct))

    def refuse_statement(self, node: ast.AST, construct: str, zh: str, en: str) -> None:
        self.refuse(node, construct, zh, en)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.refuse_statement(
            node,
            "while",
            "不允许使用 while 循环（可能陷入死循环），请改用 for ... in range(...)",
            "while loops are not allowed (they could run forever); use for ... in range(...)",
        )

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        module = getattr(node, "module", None) or ", ".join(alias.name for alias in node.names)
        self.refuse(node, "import", f"不允许导入模块（import {module}）", f"imports are not allowed (import {module})")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.refuse_statement(node, "class", "不允许在脚本中定义类", "class definitions are not allowed")

    def visit_Yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        self.refuse_statement(
            node, "yield", "不允许使用 yield（生成器函数）", "yield (generator functions) is not allowed"
        )

    visit_YieldFrom = visit_Yield

    def visit_async(self, node: ast.AST) -> None:
        self.refuse_statement(node, "async", "不允许使用 async/await", "async and await are not allowed")

    visit_AsyncFunctionDef = visit_Await = visit_AsyncFor = visit_AsyncWith = visit_async

    def visit_Match(self, node: ast.Match) -> None:
        self.refuse_statement(node, "match", "不允许使用 match 语句", "match statements are not allowed")

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.refuse(node, "nonlocal", "不允许使用 nonlocal", "nonlocal is not allowed")

    def visit_TryStar(self, node: ast.AST) -> None:
        self.refuse_statement(node, "except*", "不允许使用 except*", "except* is not allowed")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.check_attribute(node, node.attr)
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.check_name(node, node.id)

    def visit_arg(self, node: ast.arg) -> None:
        self.check_name(node, node.arg)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.check_name(node, node.name)
        self.generic_visit(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        self.check_name(node, node.name)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            self.check_name(node, name)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
            self.refuse(node, func.id, f"不允许调用 {func.id}()", f"calling {func.id}() is not allowed")
        elif isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
            name = _constant_string(node.args[1])
            if name is not None:
                self.check_attribute(node, name)
        self.generic_visit(node)

    def check_attribute(self, node: ast.AST, name: str) -> None:
        refusal = _attribute_refusal(name)
        if refusal:
            self.refuse(node, name, *refusal)

    def check_name(self, node: ast.AST, name: str | None) -> None:
        if name and name.startswith("_") and name != "_":
            self.refuse(
                node,
                name,
                f"不允许使用以下划线开头的名称“{name}”",
                f'names starting with "_" are not allowed: {name}',
            )
        elif name in _FORBIDDEN_NAMES:
            self.refuse(
                node,
                name,
                f"不允许使用 {name}（脚本没有输出），请把结果赋给变量",
                f"{name} is not allowed (scripts have no output); assign the result to a variable",
            )


_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _call(name: str, args: list[ast.expr], like: ast.expr | ast.stmt) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(call, like)
    return call


class _SandboxTransformer(RestrictingNodeTransformer):
    """RestrictedPython's transformer, plus the rewrites that route operations through our guards."""

    def visit_While(self, node: ast.While) -> None:
        self.not_allowed(node)  # backstop: _PolicyChecker refuses it first, with a Chinese message

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.not_allowed(node)

    def visit_Module(self, node: ast.Module) -> Any:
        return ast.fix_missing_locations(cast(ast.Module, super().visit_Module(node)))

    def visit_Expression(self, node: ast.Expression) -> Any:
        return ast.fix_missing_locations(self.node_contents_visit(node))

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _BINOP_GUARDS.get(type(node.op))
        return node if guard is None else _call(guard, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        target = node.target
        if not isinstance(target, ast.Subscript) or isinstance(target.slice, ast.Slice):
            return super().visit_AugAssign(node)  # names -> _inplacevar_; attributes and slices refused
        op = ast.Constant(IOPERATOR_TO_STR[type(node.op)])
        args = [self.visit(target.value), self.visit(target.slice), op, self.visit(node.value)]
        statement = ast.Expr(_call("_augitem_", args, node))
        copy_locations(statement, node)
        return statement

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = cast(ast.FunctionDef, super().visit_FunctionDef(node))
        tick = ast.Expr(_call("_tick_", [], node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        node.body = ast.BoolOp(op=ast.Or(), values=[_call("_tick_", [], node.body), node.body])
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant("")
        node.value = _call("_format_", [node.value, spec, ast.Constant(node.conversion)], node.value)
        node.conversion, node.format_spec = -1, None
        return node


def _clamp_lineno(source: str, lineno: int | None) -> int:
    """Return a 1-based line that exists in the source (SpiffWorkflow indexes the script with it)."""
    return min(max(lineno or 1, 1), max(len(source.splitlines()), 1))


def _refused(source: str, filename: str, problems: list[tuple[int, str, str, str]]) -> SandboxSyntaxError:
    problems = sorted(problems, key=lambda p: p[0])
    lineno, zh, en, construct = problems[0]
    if len(problems) > 1:
        zh, en = f"{zh}（另有 {len(problems) - 1} 处问题）", f"{en} (and {len(problems) - 1} more problem(s))"
    listed = [{"lineno": p[0], "message": p[1], "message_en": p[2]} for p in problems]
    return SandboxSyntaxError(
        zh, en, lineno=_clamp_lineno(source, lineno), construct=construct, filename=filename, problems=listed
    )


def _restricted_python_problem(error: str) -> tuple[int, str, str, str]:
    """Turn RestrictedPython's 'Line N: message' into a problem tuple (only reached as a backstop)."""
    match = re.match(r"Line (\d+): (.*)", error, re.DOTALL)
    lineno, message = (int(match.group(1)), match.group(2)) if match else (1, error)
    zh, en = f"脚本包含沙箱不允许的写法：{message}", f"the sandbox refuses this construct: {message}"
    return lineno, zh, en, "restricted"


def _compile(source: str, mode: Mode, filename: str) -> CodeType:
    """Parse, check and compile a script or expression; raise SandboxSyntaxError if it is refused."""
    try:
        tree = cast(ast.Module | ast.Expression, ast.parse(source, filename, mode))
        checker = _PolicyChecker()
        checker.visit(tree)
        if checker.problems:
            raise _refused(source, filename, checker.problems)
        compile_restricted = compile_restricted_exec if mode == "exec" else compile_restricted_eval
        result = compile_restricted(tree, filename, policy=_SandboxTransformer)
    except SyntaxError as err:
        if isinstance(err, SandboxSyntaxError):
            raise
        problem = (err.lineno or 1, f"语法错误：{err.msg}", f"syntax error: {err.msg}", "syntax")
        raise _refused(source, filename, [problem]) from None
    except (ValueError, RecursionError, MemoryError) as err:  # NUL bytes, absurd nesting
        problem = (1, f"无法编译：{err}", f"cannot compile: {err}", "syntax")
        raise _refused(source, filename, [problem]) from None
    if result.errors or result.code is None:
        raise _refused(source, filename, [_restricted_python_problem(e) for e in result.errors])
    return result.code


@lru_cache(maxsize=COMPILE_CACHE_SIZE)
def _cached_code(source: str, mode: Mode) -> CodeType:
    """Compile once per distinct source text; code objects are immutable, so threads may share them."""
    return _compile(source, mode, RUNTIME_FILENAME)


def check_source(source: str, mode: Mode, *, filename: str = "<script>") -> None:
    """Compile a script ('exec') or expression ('eval') as a run would; raise SandboxError if refused."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    _compile(source, mode, filename)


# -- run time ----------------------------------------------------------------------------------------


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
            _deny(
                f"脚本循环次数超过限制（每次运行最多 {self.limit:,} 次循环或函数调用）",
                f"script exceeded its budget of {self.limit:,} loop items or function calls per run",
            )
        _deny(
            f"脚本执行超时（每次运行最多 {self.time_limit:g} 秒）",
            f"script exceeded its time limit of {self.time_limit:g} s per run",
        )


_RUN: ContextVar[_Run | None] = ContextVar("sandbox_run", default=None)


def _deny(zh: str, en: str, **details: Any) -> NoReturn:
    err = SandboxError(zh, en, **details)
    run = _RUN.get()
    if run is not None and run.violation is None:
        run.violation = err
    raise err


def _guarded_iter(iterable: Iterable[Any]) -> Iterable[Any]:
    run = _RUN.get()
    return iterable if run is None else run.iterate(iterable)


def _tick() -> None:
    run = _RUN.get()
    if run is not None:
        run.charge()


def _check_size(size: int) -> None:
    if size > MAX_SIZE:
        _deny(
            f"结果过大（单个字符串或列表最多 {MAX_SIZE:,} 个字符或元素）",
            f"result too large (at most {MAX_SIZE:,} characters or items per string or list)",
        )


def _check_int_bits(bits: float) -> None:
    if bits > MAX_INT_BITS:
        _deny(
            f"整数过大（最多 {MAX_INT_BITS:,} 位二进制）",
            f"integer too large (at most {MAX_INT_BITS:,} bits)",
        )


def _check_decimal(value: Any) -> None:
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_FORMAT_WIDTH:
        _deny(
            "Decimal 数量级过大，无法转换为整数或按定点格式输出",
            "Decimal magnitude too large to convert to int or to format in fixed point",
        )


def _check_width(digits: str) -> None:
    if digits == "*":
        _deny("格式串不允许用 * 指定宽度或精度", "'*' widths and precisions are not allowed in format strings")
    if digits and (len(digits) > len(str(MAX_FORMAT_WIDTH)) or int(digits) > MAX_FORMAT_WIDTH):
        _deny(
            f"格式宽度或精度过大（最多 {MAX_FORMAT_WIDTH:,}）",
            f"format width or precision too large (at most {MAX_FORMAT_WIDTH:,})",
        )


_SEQUENCES = (str, bytes, list, tuple)
_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _check_add(a: Any, b: Any) -> None:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_size(len(a) + len(b))


def _check_mul(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        _check_int_bits(a.bit_length() + b.bit_length())
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        _check_size(len(a) * b)
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        _check_size(len(b) * a)


def _check_pow(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1:
        _check_int_bits(b * math.log2(abs(a)))


def _check_lshift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0:
        _check_int_bits(a.bit_length() + b)


def _check_mod(a: Any, b: Any) -> None:
    if isinstance(a, (str, bytes)):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for width, precision in _PERCENT_FIELD.findall(text):
            _check_width(width)
            _check_width(precision)
        values = b.values() if isinstance(b, Mapping) else b if isinstance(b, tuple) else (b,)
        for value in values:
            _check_decimal(value)


_Check = Callable[[Any, Any], None]


def _guarded_binop(op: Callable[[Any, Any], Any], check: _Check) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        check(a, b)
        return op(a, b)

    return run


_INPLACE: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], None] | None]] = {
    "+=": (operator.iadd, _check_add),
    "-=": (operator.isub, None),
    "*=": (operator.imul, _check_mul),
    "/=": (operator.itruediv, None),
    "//=": (operator.ifloordiv, None),
    "%=": (operator.imod, _check_mod),
    "**=": (operator.ipow, _check_pow),
    "<<=": (operator.ilshift, _check_lshift),
    ">>=": (operator.irshift, None),
    "&=": (operator.iand, None),
    "|=": (operator.ior, None),
    "^=": (operator.ixor, None),
    "@=": (operator.imatmul, None),
}


def _guarded_inplace(op: str, target: Any, value: Any) -> Any:
    apply, check = _INPLACE[op]
    if check is not None:
        check(target, value)
    return apply(target, value)


def _guarded_write(obj: Any) -> Any:
    if type(obj) in (dict, list):
        return obj
    _deny(
        f"只允许修改 dict 和 list（如任务数据），不能修改 {type(obj).__name__}",
        f"only dicts and lists (such as task data) may be modified, not {type(obj).__name__}",
    )


def _augitem(container: Any, key: Any, op: str, value: Any) -> None:
    target = _guarded_write(container)
    target[key] = _guarded_inplace(op, target[key], value)


_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _guarded_format(value: Any, spec: str, conversion: int) -> str:
    if conversion != -1:
        value = _CONVERSIONS[conversion](value)
    if spec:
        if not isinstance(value, (date, time_of_day)):  # date specs are strftime patterns, not widths
            for digits in re.findall(r"\d+", spec):
                _check_width(digits)
        _check_decimal(value)
    return format(value, spec)


_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_SIZED_STR_METHODS = _PADDING_METHODS | {"expandtabs", "replace", "join", "translate"}


def _sized_str_method(text: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a str/bytes method whose result size can be computed (and refused) before it is built."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if name == "join":
            items = list(args[0]) if args else []
            lengths = sum(len(item) for item in items if isinstance(item, (str, bytes)))
            _check_size(lengths + len(text) * max(len(items) - 1, 0))
            return method(items)
        if name in _PADDING_METHODS and args and isinstance(args[0], int):
            _check_size(args[0])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
            _check_size(len(text) * longest)
        elif name == "expandtabs":
            tabsize = args[0] if args else kwargs.get("tabsize", 8)
            _check_size(len(text) * max(tabsize, 1) if isinstance(tabsize, int) else 0)
        elif name == "replace" and len(args) >= 2 and len(args[1]) > len(args[0]):
            found = text.count(args[0]) if args[0] else len(text) + 1
            count = args[2] if len(args) > 2 and args[2] >= 0 else found
            _check_size(len(text) + min(found, count) * (len(args[1]) - len(args[0])))
        return method(*args, **kwargs)

    return call


_OPAQUE_TYPES = (FrameType, CodeType, TracebackType)


def _guarded_getattr(obj: Any, name: str) -> Any:
    """The ``_getattr_`` hook behind ``obj.name``: refuse internals, bound size-producing str methods."""
    if not isinstance(name, str):
        _deny("属性名必须是字符串", "attribute names must be strings")
    refusal = _attribute_refusal(name)
    if refusal:
        _deny(*refusal, attribute=str(name))
    if isinstance(obj, _OPAQUE_TYPES):
        _deny("不允许访问解释器内部对象", "interpreter internals are not accessible")
    value = getattr(obj, name)
    if name in _SIZED_STR_METHODS and isinstance(obj, (str, bytes)):
        return _sized_str_method(obj, name, value)
    if name in _SIZED_STR_METHODS and (obj is str or obj is bytes):  # unbound: str.join(sep, items)
        return lambda text, *args, **kwargs: _guarded_getattr(text, name)(*args, **kwargs)
    return value


def _builtin_getattr(obj: Any, name: str, *default: Any) -> Any:
    """``getattr(obj, name[, default])`` with the same rules as attribute syntax."""
    if len(default) > 1:
        raise TypeError(f"getattr expected at most 3 arguments, got {2 + len(default)}")
    try:
        return _guarded_getattr(obj, name)
    except AttributeError:
        if default:
            return default[0]
        raise


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def _bounded_range(*args: int) -> range:
    bounds = range(*args)
    try:
        size = len(bounds)
    except OverflowError:
        size = MAX_ITERATIONS + 1
    if size > MAX_ITERATIONS:
        _deny(
            f"range() 过大（最多 {MAX_ITERATIONS:,} 个数）",
            f"range() too large (at most {MAX_ITERATIONS:,} items)",
        )
    return bounds


def _guarded_int(*args: Any, **kwargs: Any) -> int:
    if args:
        _check_decimal(args[0])
    return int(*args, **kwargs)


def _guarded_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        _check_decimal(number)
        return round(number)
    return round(number, ndigits)


def _guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        _check_pow(base, exp)
        return pow(base, exp)
    if isinstance(exp, int) and isinstance(mod, int):
        _check_int_bits(exp.bit_length() * max(mod.bit_length(), 1) / 64)
    return pow(base, exp, mod)


def _guarded_sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    """``sum()``; concatenating lists or tuples is size-checked and linear (builtin sum is quadratic)."""
    if not isinstance(start, (list, tuple)):
        return sum(iterable, start)  # numbers; sum() itself refuses str and bytes starts
    kind, items = type(start), list(iterable)
    for item in items:
        if type(item) is not kind:
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}')
    _check_size(len(start) + sum(len(item) for item in items))
    result = list(start)
    for item in items:
        result.extend(item)
    return result if kind is list else tuple(result)


class _GuardedType:
    """Stand-in for a builtin type: calls go through a guard, isinstance() and class attributes still work."""

    __slots__ = ("_factory", "_type")

    def __init__(self, type_: type, factory: Callable[..., Any]) -> None:
        self._type, self._factory = type_, factory

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._factory(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self._type)

    def __subclasscheck__(self, cls: type) -> bool:
        return issubclass(cls, self._type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._type, name)

    def __repr__(self) -> str:
        return repr(self._type)


class _ForbiddenBuiltin:
    """Placeholder for a builtin scripts may not use; raises a clear error when called."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        _deny(f"不允许调用 {self.name}()", f"calling {self.name}() is not allowed", builtin=self.name)


# Not Exception subclasses: raising them would bypass SpiffWorkflow's error handling and stop the worker.
_DROPPED_BUILTINS = frozenset(
    {"id", "setattr", "delattr", "BaseException", "GeneratorExit", "KeyboardInterrupt", "SystemExit"}
)
_BUILTINS: dict[str, Any] = {
    name: value for name, value in safe_builtins.items() if not name.startswith("_") and name not in _DROPPED_BUILTINS
}
_BUILTINS.update(
    sum=_guarded_sum,
    min=min,
    max=max,
    sorted=sorted,
    any=any,
    all=all,
    enumerate=enumerate,
    zip=zip,
    map=map,
    filter=filter,
    reversed=reversed,
    dict=dict,
    list=list,
    set=set,
    frozenset=frozenset,
    tuple=tuple,
    int=_GuardedType(int, _guarded_int),
    range=_GuardedType(range, _bounded_range),
    round=_guarded_round,
    pow=_guarded_pow,
    getattr=_builtin_getattr,
    datetime=datetime,
    date=date,
    timedelta=timedelta,
    timezone=timezone,
    Decimal=Decimal,
)
_BUILTINS.update({name: _ForbiddenBuiltin(name) for name in _FORBIDDEN_CALLS})

# Names every compiled script looks up; they override task data and are removed from it after a run.
_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": _guarded_write,
    "_getiter_": _guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _guarded_inplace,
    "_apply_": _apply,
    "_augitem_": _augitem,
    "_tick_": _tick,
    "_format_": _guarded_format,
    "_add_": _guarded_binop(operator.add, _check_add),
    "_mul_": _guarded_binop(operator.mul, _check_mul),
    "_pow_": _guarded_binop(operator.pow, _check_pow),
    "_lshift_": _guarded_binop(operator.lshift, _check_lshift),
    "_mod_": _guarded_binop(operator.mod, _check_mod),
}


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
        code = _cached_code(expression, "eval")
        namespace = {**self.globals, **(external_context or {}), **context, **_GUARDS}
        result = self._run(code, namespace)
        if _data_units(result) > MAX_DATA_UNITS:  # payload expressions put their result into task data
            _refuse_oversized(["<result>"])
        return result

    def execute(self, script: str, context: dict[str, Any], external_context: Mapping[str, Any] | None = None) -> bool:
        """Run a script with task data as its globals; strip functions and globals afterwards."""
        external = external_context or {}
        self.check_for_overwrite(context, external)
        code = _cached_code(script, "exec")
        context.update(self.globals)
        context.update(external)
        context.update(_GUARDS)
        try:
            self._run(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external)
            oversized = [key for key, value in context.items() if _data_units(value) > MAX_DATA_UNITS]
            for key in oversized:  # drop them, or saving the instance would hang or fail
                del context[key]
        if oversized:
            _refuse_oversized(oversized)
        return True

    def check_for_overwrite(self, context: Mapping[str, Any], external_context: Mapping[str, Any]) -> None:
        """Refuse task data that would hide a predefined function (and be deleted after the run)."""
        clashes = sorted((set(self.globals) | set(external_context) | set(_GUARDS)) & set(context))
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
            if key in _GUARDS or key in self.globals or key in external or callable(context[key]):
                del context[key]

    def _run(self, code: CodeType, namespace: dict[str, Any]) -> Any:
        run = _Run(self.max_iterations, self.time_limit)
        token = _RUN.set(run)
        try:
            result = eval(code, namespace)  # runs exec-mode code too (returns None); already restricted
        finally:
            _RUN.reset(token)
        if run.violation is not None:  # the script caught a guard's error: the run still fails
            raise run.violation
        return result


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


def make_script_engine(functions: Mapping[str, Callable[..., Any]] | None = None) -> PythonScriptEngine:
    """Return a script engine whose every script and expression runs in a RestrictedEnvironment."""
    return SandboxScriptEngine(environment=RestrictedEnvironment(functions))
