"""Compile-time half of the script sandbox: the policy check, the guard-routing transformer, the compiler.

Every script and expression is compiled here, both when a bundle is loaded (:func:`check_source`) and
before a run (:func:`cached_code`), so what a bundle check accepts is exactly what runs. A policy check
first refuses, with a Chinese message naming the construct, what no run-time guard could make safe
(``while``, ``import``, ``class``, names and attributes starting with ``_``, ``str.format``, binding
the name ``print``...). Then RestrictedPython's own transformer runs as a backstop; ours also rewrites
into calls of the run-time guards of :mod:`engine.sandbox.guards`:

* ``+ - * ** << %`` (sizes of the result), f-string fields (widths), ``x[k] += v``;
* the operands of ``== != < <= > >= in not in`` (``_cmp_``/``_in_``: containers are measured before C
  compares them element by element);
* tuple displays (``_tuple_``: nesting and size, because ``hash()`` recurses through tuples in C);
* generator expressions (``_genexp_``: how deeply lazy iterators are nested);
* every function body (``_tick_``: one unit of the budget per call, and the ``*args`` tuple checked).

``print(...)`` calls our builtin (not RestrictedPython's print collector) and ``printed`` is an ordinary
name. The threat model is in :mod:`engine.sandbox.core`.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from types import CodeType
from typing import Any, Literal, cast

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import (
    INSPECT_ATTRIBUTES,
    IOPERATOR_TO_STR,
    RestrictingNodeTransformer,
    copy_locations,
)

from engine.errors import SandboxError

Mode = Literal["exec", "eval"]

COMPILE_CACHE_SIZE = 2048
RUNTIME_FILENAME = "<string>"  # SpiffWorkflow finds the failing script line by this frame name

FORBIDDEN_CALLS = frozenset(
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
_RESERVED_NAMES = frozenset({"print"})  # a builtin scripts call; binding the name would hide it
_INTERNAL_ATTRIBUTES = INSPECT_ATTRIBUTES | {"mro"}


class SandboxSyntaxError(SandboxError, SyntaxError):
    """A script or expression the sandbox refuses to compile; ``lineno`` is always a line of the source."""


def attribute_refusal(name: str) -> tuple[str, str] | None:
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
        if isinstance(node.ctx, ast.Load):
            self.check_name(node, node.id, binding=False)
        else:
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
        if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
            self.refuse(node, func.id, f"不允许调用 {func.id}()", f"calling {func.id}() is not allowed")
        elif isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) >= 2:
            name = _constant_string(node.args[1])
            if name is not None:
                self.check_attribute(node, name)
        self.generic_visit(node)

    def check_attribute(self, node: ast.AST, name: str) -> None:
        refusal = attribute_refusal(name)
        if refusal:
            self.refuse(node, name, *refusal)

    def check_name(self, node: ast.AST, name: str | None, *, binding: bool = True) -> None:
        if name and name.startswith("_") and name != "_":
            self.refuse(
                node,
                name,
                f"不允许使用以下划线开头的名称“{name}”",
                f'names starting with "_" are not allowed: {name}',
            )
        elif binding and name in _RESERVED_NAMES:
            self.refuse(
                node,
                name,
                f"{name} 是内置函数，不能用作变量、参数或函数名",
                f"{name} is a builtin function and cannot be used as a variable, argument or function name",
            )


_BINOP_GUARDS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Sub: "_sub_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _call(name: str, args: list[ast.expr], like: ast.expr | ast.stmt) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    copy_locations(call, like)
    return call


def _is_constant(node: ast.expr) -> bool:
    """Whether an expression is a literal (possibly a tuple of literals): nothing to check at run time."""
    if isinstance(node, ast.Constant):
        return True
    return isinstance(node, ast.Tuple) and all(_is_constant(elt) for elt in node.elts)


_VALUE_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE)
_MEMBERSHIP = (ast.In, ast.NotIn)


class _SandboxTransformer(RestrictingNodeTransformer):
    """RestrictedPython's transformer, plus the rewrites that route operations through our guards."""

    def visit_Name(self, node: ast.Name) -> Any:
        if node.id in ("print", "printed"):
            return node  # print is our builtin (no RestrictedPython print collector); printed is a plain name
        return super().visit_Name(node)

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name != "printed":
            super().check_name(node, name, allow_magic_methods)

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        node = self.node_contents_visit(node)
        if not isinstance(node.ctx, ast.Load) or _is_constant(node):
            return node
        return _call("_tuple_", [node], node)  # hash() recurses through nested tuples in C: shape-checked

    def visit_Compare(self, node: ast.Compare) -> Any:
        node = self.node_contents_visit(node)
        if not any(isinstance(op, _VALUE_COMPARISONS + _MEMBERSHIP) for op in node.ops):
            return node  # is / is not
        if not _is_constant(node.left):
            node.left = _call("_cmp_", [node.left], node.left)
        comparators = []
        for index, (op, right) in enumerate(zip(node.ops, node.comparators, strict=True)):
            chained = index + 1 < len(node.ops)  # also the left side of the next comparison
            if _is_constant(right):
                comparators.append(right)
            elif isinstance(op, _MEMBERSHIP) and not chained:
                comparators.append(_call("_in_", [right], right))
            elif isinstance(op, _VALUE_COMPARISONS + _MEMBERSHIP):
                comparators.append(_call("_cmp_", [right], right))
            else:
                comparators.append(right)
        node.comparators = comparators
        return node

    def visit_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        visited = cast(ast.GeneratorExp, super().visit_GeneratorExp(node))
        return _call("_genexp_", [visited], visited)  # nested generators overflow the C stack: depth counted

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
        tick = ast.Expr(_call("_tick_", _packed_args(node.args), node))
        copy_locations(tick, node)
        node.body.insert(0, tick)
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = cast(ast.Lambda, super().visit_Lambda(node))
        tick = _call("_tick_", _packed_args(node.args), node.body)
        node.body = ast.BoolOp(op=ast.Or(), values=[tick, node.body])
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec: ast.expr = node.format_spec if node.format_spec is not None else ast.Constant("")
        node.value = _call("_format_", [node.value, spec, ast.Constant(node.conversion)], node.value)
        node.conversion, node.format_spec = -1, None
        return node


def _packed_args(arguments: ast.arguments) -> list[ast.expr]:
    """``*args`` of a script function: a tuple built from the caller's values, checked like any tuple."""
    return [ast.Name(arguments.vararg.arg, ast.Load())] if arguments.vararg is not None else []


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
def cached_code(source: str, mode: Mode) -> CodeType:
    """Compile once per distinct source text; code objects are immutable, so threads may share them."""
    return _compile(source, mode, RUNTIME_FILENAME)


def check_source(source: str, mode: Mode, *, filename: str = "<script>") -> None:
    """Compile a script ('exec') or expression ('eval') as a run would; raise SandboxError if refused."""
    if mode not in ("exec", "eval"):
        raise ValueError(f"mode must be 'exec' or 'eval', not {mode!r}")
    _compile(source, mode, filename)
