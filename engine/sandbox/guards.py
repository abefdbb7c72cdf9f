"""Run-time guards of the script sandbox: the hooks compiled code calls, and the builtins it may use.

:mod:`engine.sandbox.policy` compiles attribute access, writes, loops, ``+ * ** << %``, f-string fields
and augmented assignments into calls of the hooks in :data:`GUARDS`; each hook applies the same name
rules as the compile-time check (for names only known at run time) or a size check of
:mod:`engine.sandbox.limits` before it does the operation. The builtins are RestrictedPython's
``safe_builtins`` without ``id``, ``setattr``, ``delattr`` and the exceptions that are not ``Exception``
subclasses, plus guarded ``sum int range round pow getattr`` and placeholders for forbidden calls.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta, timezone
from datetime import time as time_of_day
from decimal import Decimal
from types import CodeType, FrameType, TracebackType
from typing import Any, NoReturn

from RestrictedPython import safe_builtins
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from engine.sandbox.limits import (
    MAX_ITERATIONS,
    check_add,
    check_decimal,
    check_int_bits,
    check_lshift,
    check_mod,
    check_mul,
    check_pow,
    check_size,
    check_width,
    deny,
    guarded_iter,
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
    "-=": (operator.isub, None),
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
    if conversion != -1:
        value = _CONVERSIONS[conversion](value)
    if spec:
        if not isinstance(value, (date, time_of_day)):  # date specs are strftime patterns, not widths
            for digits in re.findall(r"\d+", spec):
                check_width(digits)
        check_decimal(value)
    return format(value, spec)


_PADDING_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
_SIZED_STR_METHODS = _PADDING_METHODS | {"expandtabs", "replace", "join", "translate"}


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


_OPAQUE_TYPES = (FrameType, CodeType, TracebackType)


def _guarded_getattr(obj: Any, name: str) -> Any:
    """The ``_getattr_`` hook behind ``obj.name``: refuse internals, bound size-producing str methods."""
    if not isinstance(name, str):
        deny("属性名必须是字符串", "attribute names must be strings")
    refusal = attribute_refusal(name)
    if refusal:
        deny(*refusal, attribute=str(name))
    if isinstance(obj, _OPAQUE_TYPES):
        deny("不允许访问解释器内部对象", "interpreter internals are not accessible")
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
        deny(
            f"range() 过大（最多 {MAX_ITERATIONS:,} 个数）",
            f"range() too large (at most {MAX_ITERATIONS:,} items)",
        )
    return bounds


def _guarded_int(*args: Any, **kwargs: Any) -> int:
    if args:
        check_decimal(args[0])
    return int(*args, **kwargs)


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
        return sum(iterable, start)  # numbers; sum() itself refuses str and bytes starts
    kind, items = type(start), list(iterable)
    for item in items:
        if type(item) is not kind:
            raise TypeError(f'can only concatenate {kind.__name__} (not "{type(item).__name__}") to {kind.__name__}')
    check_size(len(start) + sum(len(item) for item in items))
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
        deny(f"不允许调用 {self.name}()", f"calling {self.name}() is not allowed", builtin=self.name)


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
_BUILTINS.update({name: _ForbiddenBuiltin(name) for name in FORBIDDEN_CALLS})

# Names every compiled script looks up; they override task data and are removed from it after a run.
GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": _guarded_write,
    "_getiter_": guarded_iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _guarded_inplace,
    "_apply_": _apply,
    "_augitem_": _augitem,
    "_tick_": tick,
    "_format_": _guarded_format,
    "_add_": _guarded_binop(operator.add, check_add),
    "_mul_": _guarded_binop(operator.mul, check_mul),
    "_pow_": _guarded_binop(operator.pow, check_pow),
    "_lshift_": _guarded_binop(operator.lshift, check_lshift),
    "_mod_": _guarded_binop(operator.mod, check_mod),
}
