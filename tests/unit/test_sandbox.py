"""The script sandbox: known escapes fail with clear errors, ordinary process scripts keep working."""

from __future__ import annotations

import uuid
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from engine.errors import SandboxError
from engine.sandbox import policy as sandbox_policy
from engine.sandbox.core import RestrictedEnvironment, SandboxSyntaxError, check_source, make_script_engine

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  id="defs" targetNamespace="http://shequflow.test/sandbox">
  <bpmn:process id="sandboxed" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute_total" name="Compute total" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="gw_total" default="f_small">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f_big</bpmn:outgoing><bpmn:outgoing>f_small</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="wait_a_moment">
      <bpmn:incoming>f_big</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end_big"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_small"><bpmn:incoming>f_small</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute_total"/>
    <bpmn:sequenceFlow id="f2" sourceRef="compute_total" targetRef="gw_total"/>
    <bpmn:sequenceFlow id="f_big" sourceRef="gw_total" targetRef="wait_a_moment">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_small" sourceRef="gw_total" targetRef="end_small"/>
    <bpmn:sequenceFlow id="f4" sourceRef="wait_a_moment" targetRef="end_big"/>
  </bpmn:process>
</bpmn:definitions>
"""

SCRIPT = """\
total = sum(items)
items.append(fee(total))
by_size = {"big" if n > 2 else "small": n for n in items}
delay = max(0, len(items) - 4)
label = f"合计 {total:,.2f}"
"""

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def fee(amount: float) -> float:
    return round(amount * 0.02, 2)


def start(
    script: str = SCRIPT, condition: str = "total > 5", timer: str = 'f"PT{delay}S"', **data: Any
) -> BpmnWorkflow:
    """Parse the diagram with the given texts and start it on the sandboxed engine with task data."""
    parser = SpiffBpmnParser()
    xml = DIAGRAM.format(script=escape(script), condition=escape(condition), timer=escape(timer))
    parser.add_bpmn_str(xml.encode())
    workflow = BpmnWorkflow(parser.get_spec("sandboxed"), script_engine=make_script_engine({"fee": fee}))
    workflow.get_next_task(state=TaskState.READY).set_data(**data)
    return workflow


@pytest.fixture
def env() -> RestrictedEnvironment:
    return RestrictedEnvironment({"fee": fee})


# -- a diagram run end to end ---------------------------------------------------------------------


def test_script_gateway_and_timer_run_under_the_sandboxed_engine() -> None:
    workflow = start(items=[1, 2, 3])
    workflow.do_engine_steps()
    timer = workflow.get_tasks(spec_name="wait_a_moment")[0]
    assert "event_value" in timer.internal_data  # the timer expression f"PT{delay}S" was evaluated

    workflow = SERIALIZER.deserialize_json(SERIALIZER.serialize_json(workflow))
    workflow.script_engine = make_script_engine({"fee": fee})  # the engine is not serialized
    workflow.refresh_timers()
    workflow.do_engine_steps()

    assert workflow.is_completed()
    assert workflow.data["items"] == [1, 2, 3, 0.12]
    assert workflow.data["by_size"] == {"small": 0.12, "big": 3}
    assert workflow.data["label"] == "合计 6.00"
    assert "fee" not in workflow.data
    assert workflow.get_tasks(spec_name="end_big")[0].state == TaskState.COMPLETED


def test_gateway_takes_the_default_flow_when_the_condition_is_false() -> None:
    workflow = start(items=[1])
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert workflow.get_tasks(spec_name="end_small")[0].state == TaskState.COMPLETED


def test_forbidden_script_puts_the_task_in_error_with_a_chinese_message() -> None:
    workflow = start(script="x = 1\nn = ().__class__", items=[1])
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert str(caught.value).startswith("不允许访问以下划线开头的属性“__class__”")
    assert caught.value.line_number == 2
    assert caught.value.error_line == "n = ().__class__"
    assert workflow.get_tasks(spec_name="compute_total")[0].state == TaskState.ERROR


def test_syntax_error_in_a_script_task_reports_its_line_without_crashing_the_engine() -> None:
    workflow = start(script="x = 1\nif True\n    y = 2", items=[1])
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert str(caught.value).startswith("语法错误")
    assert (caught.value.line_number, caught.value.error_line) == (2, "if True")


def test_forbidden_gateway_condition_fails_with_the_chinese_message_first() -> None:
    workflow = start(condition="total.__class__ is int", items=[1, 2, 3])
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert str(caught.value).startswith("不允许访问以下划线开头的属性“__class__”")
    assert "total.__class__ is int" in str(caught.value)


def test_loop_budget_exhausted_in_a_script_task_names_the_limit() -> None:
    script = "n = 0\nfor i in range(1000):\n    for j in range(1001):\n        n += 1"
    workflow = start(script=script, items=[1])
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert str(caught.value).startswith("脚本循环次数超过限制")
    assert caught.value.line_number == 3


# -- known escapes: refused by check_source and at run time -------------------------------------

ESCAPES = {
    "__import__('os')": "__import__",
    "import os": "import",
    "from os import path": "import",
    "n = ().__class__.__base__.__subclasses__()": "__subclasses__",
    "open('/etc/passwd')": "open",
    "getattr(x, '__globals__')": "__globals__",
    "getattr(f, '__glob' + 'als__')": "__globals__",
    "exec('1')": "exec",
    "eval('1')": "eval",
    "(lambda: 0).__code__": "__code__",
    "type(x).__mro__": "__mro__",
    "int.mro()": "mro",
    "'{0.__class__}'.format(1)": "format",
    "'{x.__class__}'.format_map({'x': 1})": "format_map",
    "str.format('{0.__class__}', 1)": "format",
    "while True:\n    pass": "while",
    "g = (x for x in [1])\nf = g.gi_frame": "gi_frame",
    "class A:\n    pass": "class",
    "def gen():\n    yield 1": "yield",
    "print = len": "print",
    "_secret = 1": "_secret",
    "globals()['x'] = 1": "globals",
    "match x:\n    case _:\n        pass": "match",
}


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escape_is_refused_by_check_source_naming_the_construct(source: str) -> None:
    with pytest.raises(SandboxError) as caught:
        check_source(source, "exec")
    assert caught.value.details["construct"] == ESCAPES[source]
    assert caught.value.lineno is not None and caught.value.lineno >= 1
    assert caught.value.message_zh != caught.value.message_en


@pytest.mark.parametrize("source", ESCAPES)
def test_known_escape_fails_at_run_time_with_a_syntax_error_that_has_a_line(
    source: str, env: RestrictedEnvironment
) -> None:
    with pytest.raises(SandboxSyntaxError) as caught:
        env.execute(source, {"x": 1})
    assert isinstance(caught.value, SyntaxError)
    assert isinstance(caught.value.lineno, int)


def test_escape_in_an_expression_is_refused_in_eval_mode(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="__class__"):
        check_source("amount.__class__", "eval")
    with pytest.raises(SandboxError, match="__class__"):
        env.evaluate("amount.__class__", {"amount": 1})


def test_syntax_error_is_reported_in_chinese_with_the_line_number() -> None:
    with pytest.raises(SandboxError) as caught:
        check_source("x = 1\nif True\n    y = 2", "exec", filename="case.bpmn")
    assert caught.value.message_zh == "语法错误：expected ':'"
    assert caught.value.lineno == 2
    assert caught.value.details["filename"] == "case.bpmn"


def test_statement_is_a_syntax_error_in_eval_mode() -> None:
    with pytest.raises(SandboxError, match="语法错误"):
        check_source("x = 1", "eval")
    check_source("amount > 1000 and kind in ('a', 'b')", "eval")


def test_every_problem_is_listed_and_the_first_one_is_named() -> None:
    with pytest.raises(SandboxError) as caught:
        check_source("import os\nwhile True:\n    pass", "exec")
    assert caught.value.lineno == 1
    assert "另有 1 处问题" in caught.value.message_zh
    assert [p["lineno"] for p in caught.value.details["problems"]] == [1, 2]


# -- refused only at run time: names built from data --------------------------------------------


def test_getattr_with_a_dynamic_dunder_name_fails_at_run_time(env: RestrictedEnvironment) -> None:
    source = "f = lambda: 0\ng = getattr(f, name)"
    check_source(source, "exec")
    with pytest.raises(SandboxError, match="__globals__"):
        env.execute(source, {"name": "__glob" + "als__"})


def test_str_format_reached_through_a_dynamic_name_fails_at_run_time(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="f-string"):
        env.execute("leak = getattr('{0.__class__}', name)(1)", {"name": "for" + "mat"})


def test_script_that_swallows_a_sandbox_error_still_fails(env: RestrictedEnvironment) -> None:
    source = "try:\n    getattr(items, name)\nexcept Exception:\n    pass\nok = True"
    context: dict[str, Any] = {"items": [], "name": "__class__"}
    with pytest.raises(SandboxError, match="__class__"):
        env.execute(source, context)


def test_forbidden_builtin_reached_through_an_alias_fails_when_called(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match=r"不允许调用 open\(\)"):
        env.execute("reader = open\nreader('/etc/passwd')", {})


def test_system_exit_is_not_available_so_a_script_cannot_stop_the_worker(env: RestrictedEnvironment) -> None:
    with pytest.raises(NameError):
        env.execute("raise SystemExit(1)", {})


def test_objects_other_than_dicts_and_lists_cannot_be_modified(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="只允许修改 dict 和 list"):
        env.execute("d = date(2024, 1, 1)\nd.year = 2030", {})


# -- loops, recursion and time -------------------------------------------------------------------


def test_default_budget_is_a_million_loop_items_per_run() -> None:
    assert RestrictedEnvironment().max_iterations == 1_000_000


def test_huge_loop_hits_the_iteration_budget() -> None:
    env = RestrictedEnvironment(max_iterations=1000)
    with pytest.raises(SandboxError, match="脚本循环次数超过限制"):
        env.execute("n = 0\nfor i in range(100):\n    for j in range(100):\n        n += 1", {})


def test_comprehensions_and_generators_count_against_the_budget() -> None:
    env = RestrictedEnvironment(max_iterations=1000)
    with pytest.raises(SandboxError, match="脚本循环次数超过限制"):
        env.evaluate("sum(i * j for i in range(100) for j in range(100))", {})


def test_exponential_recursion_hits_the_budget_through_function_calls() -> None:
    env = RestrictedEnvironment(max_iterations=10_000)
    source = "def f(n):\n    return f(n - 1) + f(n - 1) if n else 1\nx = f(40)"
    with pytest.raises(SandboxError, match="脚本循环次数超过限制"):
        env.execute(source, {})


def test_lambda_calls_count_against_the_budget() -> None:
    env = RestrictedEnvironment(max_iterations=1000)
    with pytest.raises(SandboxError, match="脚本循环次数超过限制"):
        env.evaluate("list(map(lambda v: v, range(5000)))", {})


def test_slow_loop_hits_the_time_limit() -> None:
    env = RestrictedEnvironment(max_iterations=10**9, time_limit=0.05)
    with pytest.raises(SandboxError, match="脚本执行超时"):
        env.execute("for i in range(1000000):\n    x = sum(range(1000))", {})


def test_each_run_gets_a_fresh_budget() -> None:
    env = RestrictedEnvironment(max_iterations=1000)
    for _ in range(3):
        env.execute("n = len([i for i in range(900)])", {})


# -- one-shot memory and CPU bombs ---------------------------------------------------------------

BOMBS = [
    "'a' * 10**10",
    "[0] * 10**10",
    "10**10 * 'a'",
    "2 ** 10**10",
    "pow(10, 10**10)",
    "1 << 10**10",
    "range(10**10)",
    "'x'.ljust(10**10)",
    "'x'.zfill(10**10)",
    "('a' * 1000).replace('', 'b' * 1000)",
    "'-'.join(['a' * 1000] * 2000)",
    "str.join('ab' * 1000, [''] * 2000)",
    "str.ljust('x', 10**10)",
    "list(map(str.ljust, ['x'], [10**10]))",
    "('a' * 1000).translate({97: 'b' * 10000})",
    "sum([[0] * 1000] * 2000, [])",
    "f'{1:>10000000000}'",
    "f'{1:>{width}}'",
    "'%10000000000d' % 1",
    "'%*d' % (10**9, 1)",
    "int(Decimal('1e999999999'))",
    "round(Decimal('1e999999999'))",
    "f'{Decimal(\"1e999999999\"):f}'",
]


@pytest.mark.parametrize("expression", BOMBS)
def test_one_shot_memory_or_cpu_bomb_is_refused_before_it_runs(expression: str, env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError):
        env.evaluate(expression, {"width": 10**10})


def test_sum_of_lists_is_linear_and_keeps_its_type_errors(env: RestrictedEnvironment) -> None:
    assert env.evaluate("sum([[1], [2, 3]], [])", {}) == [1, 2, 3]
    assert env.evaluate("sum(([1],) * 1000000, [])", {}) == [1] * 1_000_000  # builtin sum would be quadratic
    with pytest.raises(TypeError):
        env.evaluate("sum([(1,)], [])", {})


def test_exponentially_shared_data_is_dropped_before_it_reaches_the_serializer(
    env: RestrictedEnvironment,
) -> None:
    context: dict[str, Any] = {"keep": 1}
    with pytest.raises(SandboxError, match="数据过大或含循环引用：a") as caught:
        env.execute("a = []\nfor i in range(60):\n    a = [a, a]", context)
    assert caught.value.details["names"] == ["a"]
    assert context == {"keep": 1, "i": 59}


def test_cyclic_or_deeply_nested_task_data_is_refused(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="items"):
        env.execute("items.append(items)", {"items": [1]})
    with pytest.raises(SandboxError, match="nested"):
        env.execute("nested = []\nfor i in range(200):\n    nested = [nested]", {})


def test_expression_with_an_oversized_result_is_refused(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="数据过大"):
        env.evaluate("[[0] * 1000] * 10000", {})


def test_repeated_squaring_stops_at_the_integer_size_limit(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="整数过大"):
        env.execute("x = 3\nfor i in range(40):\n    x = x * x", {})


def test_doubling_a_string_in_place_stops_at_the_size_limit(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="结果过大"):
        env.execute("s = 'ab'\nfor i in range(40):\n    s += s", {})


# -- what process scripts may do ------------------------------------------------------------------


def test_ordinary_script_runs_and_mutates_task_data(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {"items": [3, 1, 2], "counts": {}, "case": {"amount": 150}}
    env.execute(
        "for item in items:\n"
        "    counts[str(item)] = counts.get(str(item), 0) + 1\n"
        "counts['3'] += 10\n"
        "items.append(4)\n"
        "case['fee'] = fee(case['amount'])\n"
        "pairs = [(k, v) for k, v in sorted(counts.items())]\n"
        "first, *rest = items\n"
        "stats = {'sum': sum(items), 'min': min(items), 'max': max(items), 'any': any(items)}\n"
        "ordered = sorted(items, key=lambda v: -v)\n"
        "evens = list(filter(lambda v: v % 2 == 0, items))\n"
        "zipped = dict(zip(['a', 'b'], reversed(items)))\n"
        "numbered = [f'{i}. {v:>3}' for i, v in enumerate(items, 1)]\n"
        "words = ' '.join(str(v) for v in items).upper().split()\n"
        "unique = sorted(set(items) | frozenset([9]))\n",
        context,
    )
    assert context["counts"] == {"3": 11, "1": 1, "2": 1}
    assert context["items"] == [3, 1, 2, 4]
    assert context["case"] == {"amount": 150, "fee": 3.0}
    assert context["pairs"] == [("1", 1), ("2", 1), ("3", 11)]
    assert (context["first"], context["rest"]) == (3, [1, 2, 4])
    assert context["stats"] == {"sum": 10, "min": 1, "max": 4, "any": True}
    assert context["ordered"] == [4, 3, 2, 1]
    assert context["evens"] == [2, 4]
    assert context["zipped"] == {"a": 4, "b": 2}
    assert context["numbered"][0] == "1.   3"
    assert context["words"] == ["3", "1", "2", "4"]
    assert context["unique"] == [1, 2, 3, 4, 9]


def test_builtin_types_still_work_with_isinstance(env: RestrictedEnvironment) -> None:
    context = {"n": 1, "r": range(2)}
    assert env.evaluate("isinstance(n, int) and isinstance(r, range) and int('42') == 42", context)
    assert env.evaluate("isinstance(s, (int, str, list, dict))", {"s": "x"})


def test_dates_and_decimals_are_available(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {"opened": "2024-01-31"}
    env.execute(
        "due = (date.fromisoformat(opened) + timedelta(days=30)).isoformat()\n"
        "price = str(Decimal('0.10') + Decimal('0.20'))\n"
        "exact = Decimal('0.1') * 3 == Decimal('0.3')\n"
        'stamp = f"{datetime(2024, 1, 31, 9, 30, tzinfo=timezone.utc):%Y-%m-%d %H:%M}"\n',
        context,
    )
    assert context["due"] == "2024-03-01"
    assert context["price"] == "0.30"
    assert context["exact"] is True
    assert context["stamp"] == "2024-01-31 09:30"


def test_fstrings_and_percent_formatting_work(env: RestrictedEnvironment) -> None:
    context = {"name": "王", "amount": 1234.5, "w": 8}
    assert env.evaluate("f'{name!r}:{amount:,.2f}|{amount:>{w}}'", context) == "'王':1,234.50|  1234.5"
    assert env.evaluate("'%s-%05d' % (code, n)", {"code": "A", "n": 7}) == "A-00007"


def test_functions_and_globals_do_not_leak_into_task_data(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {"amount": 100}
    env.execute("def double(v):\n    return v * 2\ncharge = fee(double(amount))\nf = fee", context)
    assert context == {"amount": 100, "charge": 4.0}


def test_function_defined_in_one_script_is_gone_in_the_next(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {}
    env.execute("def double(v):\n    return v * 2\nx = double(2)", context)
    with pytest.raises(NameError):
        env.execute("y = double(3)", context)


def test_task_data_that_overwrites_an_exposed_function_is_an_error(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="与预定义函数重名：fee") as caught:
        env.execute("x = 1", {"fee": "oops"})
    assert caught.value.details["names"] == ["fee"]


def test_task_data_may_use_builtin_names_such_as_type_and_date(env: RestrictedEnvironment) -> None:
    assert env.evaluate("type == 'fraud' and date == '2024-01-01'", {"type": "fraud", "date": "2024-01-01"})


def test_external_context_is_visible_to_expressions(env: RestrictedEnvironment) -> None:
    assert env.evaluate("dmninputexpr > 3", {}, {"dmninputexpr": 5}) is True


def test_function_names_starting_with_underscore_are_rejected() -> None:
    with pytest.raises(ValueError, match="_getattr_"):
        RestrictedEnvironment({"_getattr_": getattr})


def test_compiled_code_is_cached_per_source_text(monkeypatch: pytest.MonkeyPatch, env: RestrictedEnvironment) -> None:
    calls: list[str] = []
    real = sandbox_policy.compile_restricted_eval

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append("eval")
        return real(*args, **kwargs)

    monkeypatch.setattr(sandbox_policy, "compile_restricted_eval", counting)
    expression = f"amount > 1000 or tag == {uuid.uuid4().hex!r}"
    for amount in (1, 5000, 7):
        env.evaluate(expression, {"amount": amount, "tag": ""})
    assert calls == ["eval"]


# -- print: bounded output in the server log, attached to a failing run ------------------------------


def test_print_output_goes_to_the_log_with_case_and_task(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="engine.sandbox.core")
    workflow = start(script="print('合计', sum(items), [1, 'a'], sep='|')\n" + SCRIPT, items=[1, 2, 3], case_id=77)
    workflow.do_engine_steps()
    [record] = [r for r in caplog.records if r.name == "engine.sandbox.core"]
    assert record.levelname == "INFO"
    assert "case 77, task compute_total" in record.getMessage()
    assert "合计|6|[1, 'a']" in record.getMessage()


def test_printed_output_is_attached_to_the_error_of_a_failing_script() -> None:
    workflow = start(script="print('count is', count)\nshare = total // count", items=[1], total=10, count=0)
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.script_output == "count is 0\n"  # type: ignore[attr-defined]
    assert str(caught.value).startswith("ZeroDivisionError")
    assert "脚本输出 (script output):\ncount is 0" in str(caught.value)  # the incident's message


def test_printed_output_of_a_failing_condition_is_attached_too() -> None:
    workflow = start(condition="print('checking', total) or total / 0", items=[1, 2, 3])
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.script_output == "checking 6\n"  # type: ignore[attr-defined]


def test_print_output_is_truncated_with_a_marker(env: RestrictedEnvironment) -> None:
    with pytest.raises(ZeroDivisionError) as caught:
        env.execute("for i in range(2000):\n    print('line', i)\nx = 1 / 0", {})
    output = caught.value.script_output  # type: ignore[attr-defined]
    assert output.startswith("line 0\nline 1\n")
    assert output.endswith("[输出已截断，每次运行最多保留 4,096 个字符 / output truncated at 4,096 characters]")
    assert len(output) < 4096 + 100


def test_printing_a_huge_shared_structure_costs_only_the_text_kept(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError) as caught:
        env.execute("a = [1]\nfor i in range(60):\n    a = [a, a]\nprint(a)\nraise_it = 1 / 0 if False else a", {})
    assert len(caught.value.script_output) < 4096 + 100  # type: ignore[attr-defined]


def test_print_takes_no_file_and_printed_is_an_ordinary_name(env: RestrictedEnvironment) -> None:
    with pytest.raises(SandboxError, match="file"):
        env.execute("print('x', file=items)", {"items": []})
    context: dict[str, Any] = {"printed": False}
    env.execute("def mark(printed):\n    return not printed\nprinted = mark(printed)", context)
    assert context == {"printed": True}
    check_source("printed == True", "eval")


# -- what a script leaves must be storable data -------------------------------------------------------

NOT_DATA = {
    "x = 10 ** 20": ("x", "±(2⁵³−1)"),
    "x = -(2 ** 53)": ("x", "±(2⁵³−1)"),
    "x = (i for i in items)": ("x", "迭代器或生成器"),
    "x = map(str, items)": ("x", "迭代器或生成器"),
    "x = b'abc'": ("x", "bytes"),
    "x = range(3)": ("x", "range"),
    "x = float('nan')": ("x", "NaN"),
    "x = [float('inf')]": ("x[0]", "NaN"),
    "x = {1, 2}": ("x", "set"),
    "x = {'a': [1, {'b': 10 ** 20}]}": ("x['a'][1]['b']", "±(2⁵³−1)"),
    "x = {1: 'one'}": ("x[1]", "键必须是字符串"),
    "x = [len]": ("x[0]", "函数"),
    "x = Decimal('NaN')": ("x", "Decimal"),
    "items.append(range(2))": ("items[3]", "range"),
}


@pytest.mark.parametrize("source", NOT_DATA)
def test_a_script_leaving_data_that_cannot_be_stored_fails_naming_the_variable(
    source: str, env: RestrictedEnvironment
) -> None:
    context: dict[str, Any] = {"items": [1, 2, 3], "keep": "yes"}
    path, reason = NOT_DATA[source]
    with pytest.raises(SandboxError) as caught:
        env.execute(source, context)
    assert f"{path}：" in caught.value.message_zh and reason in caught.value.message_zh
    assert caught.value.details["names"] == [path.split("[")[0]]
    assert path.split("[")[0] not in context and context["keep"] == "yes"  # dropped, so the step can be saved


def test_storable_data_passes_and_helpers_are_dropped(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {}
    env.execute(
        "def helper(v):\n    return v\n"
        "a = [None, True, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, 'x', Decimal('1.10'), date(2026, 3, 2)]\n"
        "b = {'when': datetime(2026, 3, 2, 9), 'span': timedelta(days=3), 'pair': (1, 'a')}\n"
        "c = helper(3)\n",
        context,
    )
    assert set(context) == {"a", "b", "c"}


def test_a_failing_script_drops_values_that_could_not_be_saved(env: RestrictedEnvironment) -> None:
    context: dict[str, Any] = {}
    with pytest.raises(ZeroDivisionError):
        env.execute("g = (i for i in [1])\nn = 10 ** 30\nok = 1\nx = 1 / 0", context)
    assert context == {"ok": 1}


# -- configuration handed to scripts is read-only -----------------------------------------------------


def test_configuration_from_cfg_cannot_be_changed_by_a_script() -> None:
    from engine.sandbox.functions import script_functions

    env = RestrictedEnvironment(script_functions())
    before = env.evaluate("cfg('purchase.negativeListKeywords')", {})
    assert isinstance(before, tuple) and before
    for attack in (
        "cfg('purchase.negativeListKeywords').clear()",
        "cfg('purchase.responsePeriods')['INTERNAL'] = 1",
        "cfg('purchase.responsePeriods').clear()",
        "cfg('purchase.gradeBands')[0][0] = 0",
    ):
        with pytest.raises((AttributeError, TypeError, SandboxError)):
            env.execute(attack, {})
    assert env.evaluate("cfg('purchase.negativeListKeywords')", {}) == before
    context: dict[str, Any] = {}
    env.execute(
        "words = list(cfg('purchase.negativeListKeywords'))\nwords.append('新词')\n"
        "periods = {k: dict(v) for k, v in cfg('purchase.responsePeriods').items()}\nperiods['X'] = 1\n"
        "first = cfg('purchase.paymentSchedule')[0]['percent']",
        context,
    )
    assert context["words"][-1] == "新词" and context["periods"]["X"] == 1 and isinstance(context["first"], int)
    assert "新词" not in env.evaluate("cfg('purchase.negativeListKeywords')", {})
    for keep_view in ("periods = cfg('purchase.responsePeriods')", "periods = dict(cfg('purchase.responsePeriods'))"):
        with pytest.raises(SandboxError, match=r"dict\(\.\.\.\)"):  # a read-only view is not data: copy it
            env.execute(keep_view, {})
