"""Run-time guards of the script sandbox: the hooks compiled code calls, and the builtins it may use.

:mod:`engine.sandbox.policy` compiles attribute access, writes, loops, ``+ - * ** << %``, comparisons,
tuple displays, generator expressions, f-string fields and augmented assignments into calls of the hooks
in :data:`GUARDS`; each hook applies the same name rules as the compile-time check (for names only known
at run time) or a size or shape check of :mod:`engine.sandbox.limits` before it does the operation.

Builtins are an allow-list (:data:`BUILTIN_NAMES`), what process scripts need and nothing more:

* values and types: ``bool int float str list tuple dict set frozenset range Decimal datetime date
  timedelta timezone`` (``int str tuple range Decimal`` are guarded stand-ins that still work with
  ``isinstance``);
* functions: ``abs all any divmod enumerate filter getattr isinstance len map max min pow print repr
  reversed round sorted sum zip chr ord``;
* exceptions a script may raise or catch: ``Exception ArithmeticError AttributeError IndexError KeyError
  LookupError NameError RuntimeError TypeError ValueError ZeroDivisionError``.

Left out on purpose: ``hash`` (C recursion on nested tuples), ``slice``, ``complex``, ``callable``,
``issubclass``, ``hex``, ``oct``, ``id``, ``setattr``, ``delattr``, ``Ellipsis``, ``iter``/``next``
(``iter(callable, sentinel)`` is an endless C loop), ``BaseException`` and the exceptions that are not
``Exception`` subclasses (``SystemExit`` would bypass SpiffWorkflow's error handling and stop the
worker), OS, import, syntax and warning exceptions. Forbidden calls (``exec open type`` ...) are
placeholders that raise a clear error. ``print`` writes to the run's bounded output
(:class:`engine.sandbox.limits.Output`), rendered with a character budget so printing a huge or
exponentially shared structure costs no more than the text kept.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from types import CodeType, FrameType, MappingProxyType, TracebackType
from typing import Any, NoReturn

from RestrictedPython.Guards import guarded_unpack_sequence

from engine.sandbox.limits import (
    MAX_DECIMAL_DIGITS,
    MAX_INT_BITS,
    MAX_ITERATIONS,
    MAX_OUTPUT_CHARS,
    check_add,
    check_decimal,
    check_decimal_bounds,
    check_int,
    check_int_bits,
    check_lshift,
    check_mod,
    check_mul,
    check_pairs,
    check_pow,
    check_size,
    check_sub,
    check_tuple,
    check_units,
    check_width,
    current_run,
    deny,
    guarded_genexp,
    guarded_iter,
    guarded_iter_unpack,
    lazy_builtin,
    tick,
)
from engine.sandbox.policy import FORBIDDEN_CALLS, attribute_refusal

_Check = Callable[[Any, Any], None]


def _guarded_binop(op: Callable[[Any, Any], Any], check: _Check) -> Callable[[Any, Any], Any]:
    def run(a: Any, b: Any) -> Any:
        check(a, b)
        return op(a, b)

    return run


_INPLACE: dict[str, tuple[Callable[[Any, Any], Any], Callable[[Any, Any], None] | None]] = {
    "+=": (operator.iadd, check_add),
    "-=": (operator.isub, check_sub),
    "*=": (operator.imul, check_mul),
    "/=": (operator.itruediv, None),
    "//=": (operator.ifloordiv, None),
    "%=": (operator.imod, check_mod),
    "**=": (operator.ipow, check_pow),
    "<<=": (operator.ilshift, check_lshift),
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
    deny(
        f"只允许修改 dict 和 list（如任务数据），不能修改 {type(obj).__name__}",
        f"only dicts and lists (such as task data) may be modified, not {type(obj).__name__}",
    )


def _augitem(container: Any, key: Any, op: str, value: Any) -> None:
    target = _guarded_write(container)
    target[key] = _guarded_inplace(op, target[key], value)


_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def _guarded_format(value: Any, spec: str, conversion: int) -> str:
    check_units(value)
    if conversion != -1:
        value = _CONVERSIONS[conversion](value)
    if spec:
        if not isinstance(value, (date, time_of_day)):  # date specs are strftime patterns, not widths
            for digits in re.findall(r"\d+", spec):
                check_width(digits)
        check_decimal(value)
    return format(value, spec)


def _compared(value: Any) -> Any:
    """``_cmp_``: an operand of ``== != < <= > >= in``; containers are measured before C compares them."""
    return check_units(value)


def _searched(value: Any) -> Any:
    """``_in_``: the right side of ``in``; a list or tuple is scanned item by item, a dict or set hashed."""
    if type(value) is list or type(value) is tuple:
        check_units(value)
    return value


_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_SIZED_STR_METHODS = _PADDING_METHODS | {"expandtabs", "replace", "join", "translate"}
_COMPARING_METHODS = frozenset({"index", "count", "remove", "sort"})  # list/tuple methods that compare items
_PAIR_METHODS = frozenset({"items", "popitem"})  # dict methods that build (key, value) tuples


def _sized_str_method(text: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a str/bytes method whose result size can be computed (and refused) before it is built."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if name == "join":
            items = list(args[0]) if args else []
            lengths = sum(len(item) for item in items if isinstance(item, (str, bytes)))
            check_size(lengths + len(text) * max(len(items) - 1, 0))
            return method(items)
        if name in _PADDING_METHODS and args and isinstance(args[0], int):
            check_size(args[0])
        elif name == "translate" and args and isinstance(args[0], Mapping):
            longest = max((len(v) for v in args[0].values() if isinstance(v, (str, bytes))), default=1)
            check_size(len(text) * longest)
        elif name == "expandtabs":
            tabsize = args[0] if args else kwargs.get("tabsize", 8)
            check_size(len(text) * max(tabsize, 1) if isinstance(tabsize, int) else 0)
        elif name == "replace" and len(args) >= 2 and len(args[1]) > len(args[0]):
            found = text.count(args[0]) if args[0] else len(text) + 1
            count = args[2] if len(args) > 2 and args[2] >= 0 else found
            check_size(len(text) + min(found, count) * (len(args[1]) - len(args[0])))
        return method(*args, **kwargs)

    return call


def _comparing_method(obj: list[Any] | tuple[Any, ...], method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        check_units(obj)
        for arg in args:
            check_units(arg)
        return method(*args, **kwargs)

    return call


def _extend_method(target: list[Any], method: Callable[..., Any]) -> Callable[..., Any]:
    def extend(items: Any) -> None:
        if hasattr(items, "__len__"):
            check_size(len(target) + len(items))
        method(items)

    return extend


def _pair_method(mapping: dict[Any, Any], name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        if name == "popitem":
            key, value = method(*args, **kwargs)
            check_pairs([(key, value)])
            return key, value
        check_pairs(mapping.items())
        return method(*args, **kwargs)

    return call


def _from_bytes(method: Callable[..., int]) -> Callable[..., int]:
    def from_bytes(data: Any, *args: Any, **kwargs: Any) -> int:
        if isinstance(data, (bytes, bytearray, list, tuple)):
            check_int_bits(len(data) * 8)
        else:
            deny("int.from_bytes() 只接受 bytes", "int.from_bytes() takes bytes only")
        return method(data, *args, **kwargs)

    return from_bytes


_OPAQUE_TYPES = (FrameType, CodeType, TracebackType)


def _guarded_getattr(obj: Any, name: str) -> Any:
    """The ``_getattr_`` hook behind ``obj.name``: refuse internals, bound methods that could run long."""
    if not isinstance(name, str):
        deny("属性名必须是字符串", "attribute names must be strings")
    refusal = attribute_refusal(name)
    if refusal:
        deny(*refusal, attribute=str(name))
    if type(obj) is _GuardedType:
        obj = obj.wrapped
    if isinstance(obj, _OPAQUE_TYPES):
        deny("不允许访问解释器内部对象", "interpreter internals are not accessible")
    return _bounded_attribute(obj, name, getattr(obj, name))


def _bounded_attribute(obj: Any, name: str, value: Any) -> Any:
    """Wrap the methods whose one C call could run long or build nested tuples; other values as they are."""
    kind = type(obj)
    if name in _SIZED_STR_METHODS and (kind is str or kind is bytes):
        return _sized_str_method(obj, name, value)
    if name in _SIZED_STR_METHODS and (obj is str or obj is bytes):  # unbound: str.join(sep, items)
        return lambda text, *args, **kwargs: _guarded_getattr(text, name)(*args, **kwargs)
    if name in _COMPARING_METHODS and (kind is list or kind is tuple):
        return _comparing_method(obj, value)
    if name == "extend" and kind is list:
        return _extend_method(obj, value)
    if name in _PAIR_METHODS and kind is dict:
        return _pair_method(obj, name, value)
    if name in _PAIR_METHODS and obj is dict:  # unbound: dict.items(d)
        return lambda mapping, *args, **kwargs: _guarded_getattr(mapping, name)(*args, **kwargs)
    if name == "from_bytes":
        return _from_bytes(value)
    if name == "args" and isinstance(obj, BaseException):
        return check_tuple(value)
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
        deny(
            f"range() 过大（最多 {MAX_ITERATIONS:,} 个数）",
            f"range() too large (at most {MAX_ITERATIONS:,} items)",
        )
    return bounds


def _guarded_int(*args: Any, **kwargs: Any) -> int:
    if args:
        check_decimal(args[0])
    return check_int(int(*args, **kwargs))


def _guarded_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        check_decimal(number)
        return round(number)
    return round(number, ndigits)


def _guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if mod is None:
        check_pow(base, exp)
        return pow(base, exp)
    if isinstance(exp, int) and isinstance(mod, int):
        check_int_bits(exp.bit_length() * max(mod.bit_length(), 1) / 64)
    return pow(base, exp, mod)


def _guarded_sum(iterable: Iterable[Any], start: Any = 0) -> Any:
    """``sum()``; concatenating lists or tuples is size-checked and linear (builtin sum is quadratic)."""
    if not isinstance(start, (list, tuple)):
        return check_int(sum(iterable, start))  # numbers; sum() itself refuses str and bytes starts
    kind, items = type(start), list(iterable)
    for item in items:
        if type(item) is not kind:
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}')
    check_size(len(start) + sum(len(item) for item in items))
    result = list(start)
    for item in items:
        result.extend(item)
    return result if kind is list else check_tuple(tuple(result))


def _guarded_sorted(iterable: Iterable[Any], /, *, key: Any = None, reverse: bool = False) -> list[Any]:
    items = list(iterable)
    check_units(items)
    return sorted(items, key=key, reverse=reverse)


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        items = list(args[0]) if len(args) == 1 else list(args)
        check_units(items)
        return pick(items, **kwargs)

    guarded.__name__ = pick.__name__
    return guarded


def _guarded_str(*args: Any, **kwargs: Any) -> str:
    if args:
        check_units(args[0])
    return str(*args, **kwargs)


def _guarded_repr(value: Any) -> str:
    return repr(check_units(value))


def _guarded_tuple(*args: Any) -> tuple[Any, ...]:
    return check_tuple(tuple(*args))


def _guarded_decimal(value: Any = "0", context: Any = None) -> Decimal:
    if isinstance(value, str) and len(value) > MAX_DECIMAL_DIGITS + 100:
        deny("Decimal 文本过长", "Decimal text too long")
    number = Decimal(value) if context is None else Decimal(value, context)
    return check_decimal_bounds(number)


# -- print ------------------------------------------------------------------------------------------

_RENDER_DEPTH = 20


def _render(value: Any, parts: list[str], budget: int, depth: int, top: bool) -> int:
    """Append a print()/repr() rendering of value to parts, spending at most ``budget`` characters."""
    if budget <= 0:
        return 0
    kind = type(value)
    if kind is str:
        text = value[:budget] if top else repr(value[: budget + 1])
    elif kind is int:
        text = repr(value) if value.bit_length() < 13_000 else f"<{value.bit_length()}-bit int>"
    elif kind in (list, tuple, set, frozenset, dict, MappingProxyType):
        if depth >= _RENDER_DEPTH:
            text = "[...]"
        else:
            return _render_container(value, parts, budget, depth)
    elif kind in (float, bool, Decimal, date, datetime, timedelta) or value is None:
        text = str(value) if top else repr(value)
    else:
        text = str(value) if isinstance(value, BaseException) else repr(value)
    text = text[:budget]
    parts.append(text)
    return len(text)


def _render_container(value: Any, parts: list[str], budget: int, depth: int) -> int:
    kind = type(value)
    if kind is dict or kind is MappingProxyType:
        opening, closing = "{", "}"
        entries: Iterable[Any] = value.items()
    elif kind is list:
        opening, closing, entries = "[", "]", value
    elif kind is tuple:
        opening, closing, entries = "(", ",)" if len(value) == 1 else ")", value
    elif not value:
        text = f"{kind.__name__}()"[:budget]
        parts.append(text)
        return len(text)
    else:
        opening = "{" if kind is set else "frozenset({"
        closing, entries = "}" if kind is set else "})", value
    spent = 0

    def put(text: str) -> bool:
        nonlocal spent
        text = text[: budget - spent]
        parts.append(text)
        spent += len(text)
        return spent < budget

    if not put(opening):
        return spent
    for index, entry in enumerate(entries):
        if index and not put(", "):
            return spent
        if kind is dict or kind is MappingProxyType:
            key, item = entry
            spent += _render(key, parts, budget - spent, depth + 1, False)
            if not put(": "):
                return spent
            entry = item
        spent += _render(entry, parts, budget - spent, depth + 1, False)
        if spent >= budget:
            return spent
    put(closing)
    return spent


def _print(*values: Any, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False) -> None:
    """``print()``: write to the run's output (server log and incident), at most MAX_OUTPUT_CHARS in all."""
    if file is not None:
        deny("print() 不能指定 file，输出写入服务器日志", "print() takes no file: output goes to the server log")
    sep = " " if sep is None else sep
    end = "\n" if end is None else end
    if not isinstance(sep, str) or not isinstance(end, str):
        raise TypeError("sep and end must be None or a string")
    run = current_run()
    output = run.output if run is not None else None
    if output is None:
        return
    if output.room <= 0:
        output.truncated = True
        return
    parts: list[str] = []
    budget = output.room + 1  # one more character than fits: the buffer notices the truncation
    for index, value in enumerate(values):
        if index:
            parts.append(sep[:budget])
            budget -= len(parts[-1])
        budget -= _render(value, parts, budget, 0, True)
        if budget <= 0:
            break
    if budget > 0:
        parts.append(end[:budget])
    output.write("".join(parts))


class _GuardedType:
    """Stand-in for a builtin type: calls go through a guard, isinstance() and class attributes still work."""

    __slots__ = ("_factory", "wrapped")

    def __init__(self, type_: type, factory: Callable[..., Any]) -> None:
        self.wrapped, self._factory = type_, factory

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._factory(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self.wrapped)

    def __subclasscheck__(self, cls: type) -> bool:
        return issubclass(cls, self.wrapped)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # Python's own probes (copy, pickle, hasattr); scripts never get here
            raise AttributeError(name)
        return _guarded_getattr(self.wrapped, name)

    def __repr__(self) -> str:
        return repr(self.wrapped)


class _ForbiddenBuiltin:
    """Placeholder for a builtin scripts may not use; raises a clear error when called."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        deny(f"不允许调用 {self.name}()", f"calling {self.name}() is not allowed", builtin=self.name)


_EXCEPTIONS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        Exception,
        ArithmeticError,
        AttributeError,
        IndexError,
        KeyError,
        LookupError,
        NameError,
        RuntimeError,
        TypeError,
        ValueError,
        ZeroDivisionError,
    )
}

_BUILTINS: dict[str, Any] = {
    **_EXCEPTIONS,
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "chr": chr,
    "dict": dict,
    "divmod": divmod,
    "enumerate": lazy_builtin(enumerate, tuples=True),
    "filter": lazy_builtin(filter, tuples=False),
    "float": float,
    "frozenset": frozenset,
    "getattr": _builtin_getattr,
    "int": _GuardedType(int, _guarded_int),
    "isinstance": isinstance,
    "len": len,
    "list": list,
    "map": lazy_builtin(map, tuples=True),
    "max": _extreme(max),
    "min": _extreme(min),
    "ord": ord,
    "pow": _guarded_pow,
    "print": _print,
    "range": _GuardedType(range, _bounded_range),
    "repr": _guarded_repr,
    "reversed": reversed,
    "round": _guarded_round,
    "set": set,
    "sorted": _guarded_sorted,
    "str": _GuardedType(str, _guarded_str),
    "sum": _guarded_sum,
    "tuple": _GuardedType(tuple, _guarded_tuple),
    "zip": lazy_builtin(zip, tuples=True),
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "timezone": timezone,
    "Decimal": _GuardedType(Decimal, _guarded_decimal),
}
BUILTIN_NAMES = frozenset(_BUILTINS)
_BUILTINS.update({name: _ForbiddenBuiltin(name) for name in FORBIDDEN_CALLS})

# Names every compiled script looks up; they override task data and are removed from it after a run.
GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": _guarded_write,
    "_getiter_": guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _guarded_inplace,
    "_apply_": _apply,
    "_augitem_": _augitem,
    "_tick_": tick,
    "_format_": _guarded_format,
    "_add_": _guarded_binop(operator.add, check_add),
    "_sub_": _guarded_binop(operator.sub, check_sub),
    "_mul_": _guarded_binop(operator.mul, check_mul),
    "_pow_": _guarded_binop(operator.pow, check_pow),
    "_lshift_": _guarded_binop(operator.lshift, check_lshift),
    "_mod_": _guarded_binop(operator.mod, check_mod),
    "_tuple_": check_tuple,
    "_cmp_": _compared,
    "_in_": _searched,
    "_genexp_": guarded_genexp,
}

__all__ = ["BUILTIN_NAMES", "GUARDS", "MAX_INT_BITS", "MAX_OUTPUT_CHARS"]
