"""Resource caps of the sandbox: every measured attack ends in a clear SandboxError within seconds.

Each payload below passed the bundle check and, before these caps, either killed the worker (SIGSEGV,
exit 139: C recursion in CPython 3.11) or held it in one C call for 20 s to minutes. Each runs here in
its own interpreter, so a regression fails the test instead of killing the test run; the child caps
its memory like a worker and reports the outcome and the time the payload took.

Outcomes: ``sandbox`` = SandboxError with the quoted message; ``lint`` = refused by ``check_source``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.errors import SandboxError
from engine.sandbox.core import RestrictedEnvironment, check_source
from engine.sandbox.guards import BUILTIN_NAMES
from engine.sandbox.limits import memory_limit_bytes

ROOT = Path(__file__).resolve().parents[2]
PAYLOAD_BUDGET_SECONDS = 4.0  # the payload's own CPU time in the child (imports excluded; not inflated by load)
CHILD_TIMEOUT_SECONDS = 60.0

_CHILD = """
import json, sys, time
from engine.sandbox.limits import apply_process_memory_cap
apply_process_memory_cap({"SHEQUFLOW_MEMORY_LIMIT_MB": "512"})
from engine.sandbox.core import RestrictedEnvironment
mode, source, context = json.loads(sys.stdin.read())
env = RestrictedEnvironment()
started = time.process_time()
try:
    if mode == "exec":
        env.execute(source, context)
    else:
        env.evaluate(source, context)
    outcome = {"type": None, "message": ""}
except Exception as err:
    outcome = {"type": type(err).__name__, "message": str(err)}
outcome["elapsed"] = time.process_time() - started
print(json.dumps(outcome, ensure_ascii=False))
"""


def run_isolated(mode: str, source: str, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one payload in a fresh interpreter; fail the test if that interpreter dies."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD],
        input=json.dumps([mode, source, context or {}]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=CHILD_TIMEOUT_SECONDS,
    )
    assert child.returncode == 0, f"the worker died (exit {child.returncode}): {child.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


# (id, mode, source, expected message fragment). Scripts are "exec"; gateways, timer expressions and DMN
# cells are "eval" (they build the same structures with := in a comprehension).
ATTACKS = [
    # SIGSEGV before: C recursion through nested lazy iterators
    (
        "map_chain_script",
        "exec",
        "x = [1]\nfor i in range(300000):\n    x = map(abs, x)\ny = list(x)",
        "迭代器嵌套过深",
    ),
    (
        "filter_chain_script",
        "exec",
        "x = [1]\nfor i in range(300000):\n    x = filter(None, x)\ny = list(x)",
        "迭代器嵌套过深",
    ),
    ("zip_chain_script", "exec", "x = [1]\nfor i in range(300000):\n    x = zip(x)\ny = list(x)", "迭代器嵌套过深"),
    (
        "enumerate_chain_script",
        "exec",
        "x = [1]\nfor i in range(300000):\n    x = enumerate(x)\ny = list(x)",
        "迭代器嵌套过深",
    ),
    (
        "generator_chain_script",
        "exec",
        "x = [1]\nfor i in range(300000):\n    x = (y for y in x)\ny = list(x)",
        "迭代器嵌套过深",
    ),
    ("map_chain_expression", "eval", "[x := map(abs, x) for i in range(300000)] and sum(x)", "迭代器嵌套过深"),
    (
        "unpacking_generator_chain",
        "exec",
        "x = [(1,)]\nfor i in range(300000):\n    x = ((a,) for a, in x)\ny = list(x)",
        "迭代器嵌套过深",
    ),
    # SIGSEGV before: hash() recursing through a deep tuple in C (hash itself is no builtin any more)
    ("deep_tuple_hash_script", "exec", "t = ()\nfor i in range(500000):\n    t = (t,)\nh = {t}", "元组嵌套过深"),
    ("deep_tuple_dict_key", "exec", "t = ()\nfor i in range(500000):\n    t = (t,)\nd = {}\nd[t] = 1", "元组嵌套过深"),
    ("deep_tuple_expression", "eval", "[t := (t,) for i in range(500000)][-1] in {1}", "元组嵌套过深"),
    (
        "deep_tuple_via_args",
        "exec",
        "def f(*a):\n    return a\nt = ()\nfor i in range(500000):\n    t = f(t)",
        "元组嵌套过深",
    ),
    (
        "deep_tuple_via_items",
        "exec",
        "t = ()\nfor i in range(500000):\n    t = list({0: t}.items())[0]",
        "元组嵌套过深",
    ),
    ("deep_tuple_via_zip", "exec", "t = ()\nfor i in range(500000):\n    t = list(zip([t]))[0]", "元组嵌套过深"),
    (
        "deep_tuple_via_exception_args",
        "exec",
        "t = ()\nfor i in range(500000):\n    t = ValueError(t).args",
        "元组嵌套过深",
    ),
    ("deep_tuple_via_tuple_call", "exec", "t = ()\nfor i in range(500000):\n    t = tuple([t])", "元组嵌套过深"),
    ("self_feeding_extend", "exec", "l = [1]\nl.extend(map(tuple, zip(l)))", "元组嵌套过深"),
    ("endless_extend", "exec", "l = [1]\nl.extend(map(abs, l))", "脚本循环次数超过限制"),
    # RecursionError before (no crash, but a raw error): deep lists compared, printed, repr'd
    (
        "deep_list_compare",
        "exec",
        "a = []\nb = []\nfor i in range(400000):\n    a = [a]\n    b = [b]\nc = a == b",
        "数据过大",
    ),
    ("deep_list_repr", "exec", "a = []\nfor i in range(400000):\n    a = [a]\ns = repr(a)", "数据过大"),
    ("deep_list_str", "exec", "a = []\nfor i in range(400000):\n    a = [a]\ns = str(a)", "数据过大"),
    ("deep_recursion", "exec", "def f(n):\n    return f(n + 1)\nx = f(0)", "嵌套过深"),
    # one C call for minutes before: exponentially shared data compared, hashed, sorted
    (
        "exponential_list_compare",
        "exec",
        "a = [1]\nb = [1]\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\nc = a == b",
        "数据过大",
    ),
    (
        "exponential_tuple_hash",
        "exec",
        "t = (1,)\nfor i in range(60):\n    t = (t, t)\nh = t in {1}",
        "元组嵌套过深或过大",
    ),
    ("exponential_sorted", "exec", "a = [1]\nfor i in range(60):\n    a = [a, a]\nb = sorted([a, a])", "数据过大"),
    # 25-37 s before: membership in a repeated heavy list
    ("repeat_then_in", "exec", "s = 'a' * 100000\nt = s[:-1] + 'b'\nr = t in [s] * 999999", "重复后的数据过大"),
    (
        "double_then_in",
        "exec",
        "s = 'a' * 100000\nt = s[:-1] + 'b'\nl = [s]\nfor i in range(19):\n    l = l + l\nr = t in l",
        "数据过大",
    ),
    (
        "append_then_count",
        "exec",
        "s = 'a' * 100000\nt = s[:-1] + 'b'\nl = []\nfor i in range(500000):\n    l.append(s)\nr = l.count(t)",
        "数据过大",
    ),
    ("extend_doubling", "exec", "l = ['a' * 1000]\nfor i in range(30):\n    l.extend(l)", "结果过大"),
    # 34-41 s before, and a 33-million-bit integer despite the 100,000-bit limit
    ("decimal_ratio", "eval", "Decimal('1e30000000').as_integer_ratio()", "Decimal 超出范围"),
    ("decimal_huge_exponent", "eval", "int(Decimal('1e999999999'))", "Decimal 超出范围"),
    ("decimal_many_digits", "eval", "Decimal('0.' + '1' * 5000).as_integer_ratio()", "Decimal"),
    ("decimal_arithmetic_overflow", "eval", "Decimal('1e9000') * Decimal('1e9000')", "Overflow"),
    # ~20 s before: big-integer % through int.from_bytes
    (
        "from_bytes_mod",
        "eval",
        "int.from_bytes(b'\\xff' * 1000000, 'big') % (int.from_bytes(b'\\xfe' * 500000, 'big') + 1)",
        "整数过大",
    ),
    ("from_bytes_on_instance", "eval", "(5).from_bytes(b'\\xff' * 1000000, 'big')", "整数过大"),
    ("int_from_hex_text", "eval", "int('f' * 1000000, 16)", "整数过大"),
    ("int_growth_by_subtraction", "exec", "x = 3\nfor i in range(300000):\n    x = x - (-x)", "整数过大"),
    # memory: growth in many small steps ends at the worker's cap
    ("memory_growth", "exec", "x = [1]\nfor i in range(40):\n    x = [*x, *x]", "内存"),
]


@pytest.mark.parametrize(("mode", "source", "expected"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_attack_ends_in_a_clear_sandbox_error_within_seconds(mode: str, source: str, expected: str) -> None:
    check_source(source, mode)  # every payload passes the bundle check: the caps act at run time
    outcome = run_isolated(mode, source, {"t": ()} if "t :=" in source else {"x": [1]} if "x :=" in source else {})
    assert outcome["type"] in ("SandboxError", "Overflow"), outcome
    assert expected in outcome["message"], outcome
    assert outcome["elapsed"] < PAYLOAD_BUDGET_SECONDS, outcome


def test_iterating_a_callable_is_not_possible_because_iter_is_no_builtin() -> None:
    # iter(callable, sentinel) would be an endless C loop that no budget sees
    outcome = run_isolated("exec", "l = []\nl.extend(iter(int, 1))")
    assert outcome["type"] == "NameError" and "iter" in outcome["message"]


def test_a_catching_script_still_fails_after_a_cap() -> None:
    source = "t = ()\ntry:\n    for i in range(500000):\n        t = (t,)\nexcept Exception:\n    t = ()\nok = True"
    outcome = run_isolated("exec", source)
    assert outcome["type"] == "SandboxError" and "元组嵌套过深" in outcome["message"]


def test_refused_at_lint_binding_print() -> None:
    with pytest.raises(SandboxError) as caught:
        check_source("print = len", "exec")
    assert caught.value.details["construct"] == "print"


# -- limits that legitimate scripts stay far below ---------------------------------------------------


def test_ordinary_nesting_of_iterators_and_tuples_works() -> None:
    env = RestrictedEnvironment()
    context: dict[str, Any] = {"items": [3, 1, 2]}
    env.execute(
        "pairs = sorted(zip(items, map(str, filter(None, items))))\n"
        "total = sum(x * y for x, y in zip(items, (i for i in range(3))))\n"
        "nested = ((1, 2), (3, (4, 5)))\n"
        "seen = {(1, 2): 'a', nested: 'b'}\n"
        "found = (3, (4, 5)) in nested and 'a' in seen.values() and nested in seen\n"
        "keys = [k for k, v in sorted(seen.items(), key=lambda kv: kv[1])]\n"
        "price = str(Decimal('19.99') * 3)\n"
        "big = 2 ** 52 + 1 - 2\n"
        "seen = None  # tuple keys are fine in a script, not in stored task data\n",
        context,
    )
    assert context["pairs"] == [(1, "1"), (2, "2"), (3, "3")]
    assert context["total"] == 0 * 3 + 1 * 1 + 2 * 2
    assert context["found"] is True and context["keys"] == [(1, 2), ((1, 2), (3, (4, 5)))]
    assert context["price"] == "59.97" and context["big"] == 2**52 - 1


def test_nesting_limit_of_lazy_iterators_is_generous_but_finite() -> None:
    env = RestrictedEnvironment()
    ok: dict[str, Any] = {}
    env.execute("x = [1]\nfor i in range(30):\n    x = map(abs, x)\ny = list(x)\nx = None", ok)
    assert ok["y"] == [1]
    with pytest.raises(SandboxError, match="迭代器嵌套过深"):
        env.execute("x = [1]\nfor i in range(40):\n    x = map(abs, x)", {})


def test_builtins_are_a_minimal_allow_list() -> None:
    assert {"hash", "slice", "complex", "iter", "next", "callable", "issubclass", "id", "hex", "oct"}.isdisjoint(
        BUILTIN_NAMES
    )
    assert {"print", "len", "sorted", "Decimal", "date", "Exception", "ValueError"} <= BUILTIN_NAMES
    env = RestrictedEnvironment()
    for name in ("hash", "slice", "complex", "iter", "SystemExit", "BaseException", "OSError"):
        with pytest.raises(NameError):
            env.evaluate(f"{name}", {})


def test_memory_limit_setting_is_parsed_from_the_environment() -> None:
    assert memory_limit_bytes({}) == 2048 * 1024 * 1024
    assert memory_limit_bytes({"SHEQUFLOW_MEMORY_LIMIT_MB": "512"}) == 512 * 1024 * 1024
    assert memory_limit_bytes({"SHEQUFLOW_MEMORY_LIMIT_MB": "0"}) is None
    for bad in ("lots", "-1"):
        with pytest.raises(ValueError, match="SHEQUFLOW_MEMORY_LIMIT_MB"):
            memory_limit_bytes({"SHEQUFLOW_MEMORY_LIMIT_MB": bad})


def test_memory_cap_is_applied_to_the_process_and_only_ever_lowered() -> None:
    code = (
        "import resource\n"
        "from engine.sandbox.limits import apply_process_memory_cap\n"
        "print(apply_process_memory_cap({'SHEQUFLOW_MEMORY_LIMIT_MB': '1024'}))\n"
        "print(apply_process_memory_cap({'SHEQUFLOW_MEMORY_LIMIT_MB': '4096'}))\n"
        "print(resource.getrlimit(resource.RLIMIT_AS)[0])\n"
        "try:\n"
        "    block = bytearray(2 * 1024 * 1024 * 1024)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=CHILD_TIMEOUT_SECONDS,
    )
    assert child.stdout.split() == [str(1024 * 1024 * 1024)] * 3 + ["MemoryError"], child.stderr
