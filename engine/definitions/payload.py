"""What any submitted payload must be before a form or the engine looks at it: plain JSON data, bounded.

Callers send start data, completed forms and retry corrections from the web, the API and the CLI.
Before anything else runs, a payload must be a JSON object whose values are strings, finite numbers,
booleans, null, lists and objects — nothing else — and it must stay within limits:

* nesting at most :data:`MAX_DEPTH` levels (deep nesting crashed the encoder with a raw error);
* at most :data:`MAX_BYTES` of JSON and :data:`MAX_STRING` characters in any one string (a 50 MB
  value was stored twice, in the audit log and the task rows);
* strings encodable as UTF-8 (a lone surrogate broke the encoder after validation had passed);
* numbers finite (NaN passed ``minimum``/``maximum``, and NaN or Infinity were stored as null while
  the cached workflow kept the original) and integers within ±(2**53 − 1), the range every JSON
  reader keeps exactly (``2**64`` broke the encoder) — larger values belong in a string field.

Everything is refused with one :class:`~engine.errors.InputError` naming the path of the value.
"""

from __future__ import annotations

import math
from typing import Any

from engine.errors import InputError

MAX_DEPTH = 32
MAX_BYTES = 1_000_000
MAX_STRING = 100_000
SAFE_INTEGER = 2**53 - 1


def check_payload(data: Any) -> None:
    """Raise :class:`InputError` unless ``data`` is a bounded JSON object."""
    if not isinstance(data, dict):
        raise InputError("提交的数据必须是对象（键值对）", "Submitted data must be an object")
    budget = [MAX_BYTES]
    _check(data, "$", 0, budget)


def _refuse(path: str, zh: str, en: str) -> None:
    raise InputError(f"{path}：{zh}", f"{path}: {en}", path=path)


def _spend(budget: list[int], n: int, path: str) -> None:
    budget[0] -= n
    if budget[0] < 0:
        _refuse(path, f"提交的数据过大（上限 {MAX_BYTES:,} 字节）", f"payload too large (limit {MAX_BYTES:,} bytes)")


def _check_text(value: str, path: str, budget: list[int]) -> None:
    if len(value) > MAX_STRING:
        _refuse(path, f"文字过长（上限 {MAX_STRING:,} 字）", f"text too long (limit {MAX_STRING:,} characters)")
    try:
        _spend(budget, len(value.encode("utf-8")) + 2, path)
    except UnicodeEncodeError:
        _refuse(path, "包含无效的字符（不成对的代理字符）", "contains an invalid character (lone surrogate)")


def _check(value: Any, path: str, depth: int, budget: list[int]) -> None:  # noqa: C901 - one branch per JSON type
    if value is None or isinstance(value, bool):
        _spend(budget, 5, path)
    elif isinstance(value, int):
        if abs(value) > SAFE_INTEGER:
            _refuse(
                path, "整数超出可精确保存的范围（±9007199254740991），请以文字填写", "integer out of the exact range"
            )
        _spend(budget, 20, path)
    elif isinstance(value, float):
        if not math.isfinite(value):
            _refuse(path, "数值必须是有限数（不能是 NaN 或无穷大）", "numbers must be finite (no NaN or Infinity)")
        _spend(budget, 24, path)
    elif isinstance(value, str):
        _check_text(value, path, budget)
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            _refuse(path, f"嵌套层次过深（上限 {MAX_DEPTH} 层）", f"nested too deeply (limit {MAX_DEPTH} levels)")
        _spend(budget, 2, path)
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    _refuse(path, "字段名必须是文字", "keys must be strings")
                _check_text(key, f"{path}.{key}", budget)
                _check(item, f"{path}.{key}", depth + 1, budget)
        else:
            for i, item in enumerate(value):
                _check(item, f"{path}[{i}]", depth + 1, budget)
    else:
        _refuse(path, f"不是 JSON 数据（{type(value).__name__}）", f"not JSON data ({type(value).__name__})")
