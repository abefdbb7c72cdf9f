"""Deploy tells the truth: what the engine cannot run is refused (or warned about) with file, line and element.

Small inline diagrams, one per rule; each finding is asserted as printed (``file:line: element: message``,
Chinese first). ``BAD_BUNDLES`` and ``diagram`` are shared with the deploy/lint integration test.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine import connectors
from engine.connectors import ConnectorError, call_connector_json, connector_names, register_connector
from engine.definitions.bundle import Bundle, ParsedBundle, Problem, parse_bundle
from engine.definitions.forms import validate_form_data
from engine.definitions.patterns import FormValidator
from engine.errors import InputError
from engine.sandbox.core import make_script_engine

NAMESPACES = (
    'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
ROLE = "街道社区自治办经办人"
REPO = Path(__file__).resolve().parents[2]


def process(pid: str, task: str, task_id: str, *, lane: bool = True, extra: str = "", tag: str = "") -> str:
    """A process start → ``task`` → end, all in one lane (the start event's lane is the starting role)."""
    lanes = (
        f'    <bpmn:laneSet id="{pid}_lanes">\n'
        f'      <bpmn:lane id="{pid}_lane" name="{ROLE}">\n'
        f"        <bpmn:flowNodeRef>{pid}_start</bpmn:flowNodeRef>\n"
        f"        <bpmn:flowNodeRef>{task_id}</bpmn:flowNodeRef>\n"
        "      </bpmn:lane>\n"
        "    </bpmn:laneSet>\n"
        if lane
        else ""
    )
    return (
        f'  <bpmn:process id="{pid}" isExecutable="true"{tag}>\n{lanes}'
        f'    <bpmn:startEvent id="{pid}_start"/>\n'
        f'    <bpmn:sequenceFlow id="{pid}_f1" sourceRef="{pid}_start" targetRef="{task_id}"/>\n'
        f"{task}\n"
        f'    <bpmn:sequenceFlow id="{pid}_f2" sourceRef="{task_id}" targetRef="{pid}_end"/>\n'
        f'    <bpmn:endEvent id="{pid}_end"/>\n{extra}'
        "  </bpmn:process>\n"
    )


def diagram(*processes: str, before: str = "") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions {NAMESPACES} id="defs" targetNamespace="http://shequflow.example/bpmn">\n'
        f"{before}{''.join(processes)}</bpmn:definitions>\n"
    )


def service_task(task_id: str, connector: str | None) -> str:
    if connector is None:
        return f'    <bpmn:serviceTask id="{task_id}" name="查询登记信息"/>'
    return (
        f'    <bpmn:serviceTask id="{task_id}" name="查询登记信息">\n'
        "      <bpmn:extensionElements>\n"
        f'        <spiffworkflow:serviceTaskOperator id="{connector}" resultVariable="company">\n'
        "          <spiffworkflow:parameters>\n"
        '            <spiffworkflow:parameter id="uscc" type="str" value="uscc"/>\n'
        "          </spiffworkflow:parameters>\n"
        "        </spiffworkflow:serviceTaskOperator>\n"
        "      </bpmn:extensionElements>\n"
        "    </bpmn:serviceTask>"
    )


def call(task_id: str, called: str) -> str:
    return f'    <bpmn:callActivity id="{task_id}" name="调用子流程" calledElement="{called}"/>'


def script(task_id: str, body: str = "checked = True", attrs: str = "", inner: str = "") -> str:
    return (
        f'    <bpmn:scriptTask id="{task_id}" name="核对"{attrs}>{inner}'
        f"<bpmn:script>{body}</bpmn:script></bpmn:scriptTask>"
    )


def user_task(task_id: str, props: str = "") -> str:
    ext = (
        f"<bpmn:extensionElements><spiffworkflow:properties>{props}</spiffworkflow:properties></bpmn:extensionElements>"
        if props
        else ""
    )
    return f'    <bpmn:userTask id="{task_id}" name="审核">{ext}</bpmn:userTask>'


def cycle_timer(cycle: str) -> str:
    """A non-interrupting cycle timer on the user task ``review``."""
    return (
        '    <bpmn:boundaryEvent id="remind" name="催办" attachedToRef="review" cancelActivity="false">\n'
        '      <bpmn:timerEventDefinition id="remind_timer">\n'
        f'        <bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{cycle}</bpmn:timeCycle>\n'
        "      </bpmn:timerEventDefinition>\n"
        "    </bpmn:boundaryEvent>\n"
        '    <bpmn:sequenceFlow id="f_remind" sourceRef="remind" targetRef="reminded"/>\n'
        '    <bpmn:endEvent id="reminded"/>\n'
    )


DATA_STORE = diagram(
    process(
        "stock",
        '    <bpmn:dataStoreReference id="stock_ref" dataStoreRef="stock_store"/>\n'
        + script(
            "count_stock",
            inner='<bpmn:dataInputAssociation id="read_stock"><bpmn:sourceRef>stock_ref</bpmn:sourceRef>'
            "<bpmn:targetRef>count_stock</bpmn:targetRef></bpmn:dataInputAssociation>",
        ),
        "count_stock",
    ),
    before='  <bpmn:dataStore id="stock_store" name="kkv"/>\n',
)

# every refusal, as a bundle that deploy must refuse and lint must report alike
BAD_BUNDLES: dict[str, dict[str, str]] = {
    "unregistered connector": {"svc.bpmn": diagram(process("svc", service_task("lookup", "uscc_lookup"), "lookup"))},
    "service task without connector": {"svc.bpmn": diagram(process("svc", service_task("lookup", None), "lookup"))},
    "process calling itself": {"loop.bpmn": diagram(process("loop", call("again", "loop"), "again"))},
    "processes calling each other": {
        "a.bpmn": diagram(process("a", call("call_b", "b"), "call_b")),
        "b.bpmn": diagram(process("b", call("call_a", "a"), "call_a")),
    },
    "data store": {"stock.bpmn": DATA_STORE},
    "user task without lane or role": {"u.bpmn": diagram(process("u", user_task("review"), "review", lane=False))},
    "timer cycle with zero period": {
        "t.bpmn": diagram(process("t", user_task("review"), "review", extra=cycle_timer('"R5/PT0S"')))
    },
    "unbounded timer cycle": {
        "t.bpmn": diagram(process("t", user_task("review"), "review", extra=cycle_timer('"R/P1D"')))
    },
    "form pattern with lookahead": {
        "f.bpmn": diagram(
            process(
                "f",
                user_task("review", '<spiffworkflow:property name="formJsonSchemaFilename" value="f.schema.json"/>'),
                "review",
            )
        ),
        "f.schema.json": json.dumps(
            {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(?!x)"}}}
        ),
    },
}


def parse(files: dict[str, str], **rules: object) -> ParsedBundle:
    return parse_bundle(Bundle.from_files(files), **rules)  # type: ignore[arg-type]


def printed(problems: list[Problem], severity: str = "error") -> list[str]:
    return [str(p) for p in problems if p.severity == severity]


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.fixture
def no_connectors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No connector registered in code or configuration; anything registered in the test is forgotten."""
    monkeypatch.delenv(connectors.ENV_VAR, raising=False)
    monkeypatch.setattr(connectors, "_registered", {})
    yield


def lookup_company(uscc: str) -> dict[str, str]:
    """A connector as an operator would write one (also named by SHEQUFLOW_CONNECTORS in a test)."""
    return {"uscc": uscc, "status": "存续" if uscc.startswith("51") else "注销"}


# -- service tasks and connectors ----------------------------------------------------------------------
def test_service_task_whose_connector_is_not_registered_is_refused_at_its_operator(no_connectors: None) -> None:
    text = BAD_BUNDLES["unregistered connector"]["svc.bpmn"]

    parsed = parse({"svc.bpmn": text})

    assert printed(parsed.problems) == [
        f"svc.bpmn:{line_of(text, '<spiffworkflow:serviceTaskOperator')}: lookup: "
        "服务任务调用的连接器“uscc_lookup”未注册（已注册：无） (connector 'uscc_lookup' is not registered; "
        "register it with SHEQUFLOW_CONNECTORS or register_connector())"
    ]


def test_service_task_without_connector_is_refused_once(no_connectors: None) -> None:
    text = BAD_BUNDLES["service task without connector"]["svc.bpmn"]

    parsed = parse({"svc.bpmn": text})

    assert printed(parsed.problems) == [
        f"svc.bpmn:{line_of(text, '<bpmn:serviceTask')}: lookup: "
        "服务任务没有指定连接器（缺少 spiffworkflow:serviceTaskOperator） "
        "(service task names no connector: spiffworkflow:serviceTaskOperator is missing)"
    ]


def test_service_task_with_a_registered_connector_deploys(no_connectors: None) -> None:
    files = BAD_BUNDLES["unregistered connector"]
    register_connector("uscc_lookup", lookup_company)

    assert parse(files).problems == []
    assert parse(files, known_connectors={"other"}).ok is False  # an explicit set overrides the registry


def test_connectors_named_in_configuration_are_imported_and_known(
    no_connectors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(connectors.ENV_VAR, f"uscc_lookup={__name__}:lookup_company, echo=json:dumps")

    assert connector_names() == {"uscc_lookup", "echo"}
    assert parse(BAD_BUNDLES["unregistered connector"]).problems == []
    assert json.loads(call_connector_json("uscc_lookup", {"uscc": {"value": "51310105", "type": "str"}})) == {
        "uscc": "51310105",
        "status": "存续",
    }


def test_broken_connector_configuration_is_a_problem_of_the_bundle(
    no_connectors: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(connectors.ENV_VAR, "uscc_lookup=no_such_module_xyz:lookup")

    parsed = parse(BAD_BUNDLES["unregistered connector"])

    assert printed(parsed.problems)[0].startswith(
        "-:-: -: SHEQUFLOW_CONNECTORS 中的连接器“uscc_lookup”无法加载：no_such_module_xyz:lookup"
    )
    monkeypatch.setenv(connectors.ENV_VAR, "just-a-name")
    with pytest.raises(ConnectorError, match="名称=模块:函数"):
        connector_names()


def test_unknown_connector_and_non_json_result_are_connector_errors(no_connectors: None) -> None:
    register_connector("clock", lambda: time.monotonic)

    with pytest.raises(ConnectorError, match="服务任务调用的连接器“ghost”未注册（已注册：clock）"):
        call_connector_json("ghost", {})
    with pytest.raises(ConnectorError, match="连接器“clock”返回的不是 JSON 数据"):
        call_connector_json("clock", {})


def _run_service_task(uscc: str) -> BpmnWorkflow:
    parsed = parse(BAD_BUNDLES["unregistered connector"], known_connectors={"uscc_lookup"})
    spec, subprocess_specs = parsed.specs["svc"]
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine())
    workflow.task_tree.data["uscc"] = uscc
    workflow.do_engine_steps()
    return workflow


def test_registered_connector_runs_in_a_service_task_and_its_result_lands_in_task_data(no_connectors: None) -> None:
    register_connector("uscc_lookup", lookup_company)

    workflow = _run_service_task("51310105MJ4Y2K7AXU")

    assert workflow.completed
    assert workflow.data["company"] == {"uscc": "51310105MJ4Y2K7AXU", "status": "存续"}


def test_service_task_whose_connector_vanished_fails_as_a_task_error_not_a_name_error(no_connectors: None) -> None:
    with pytest.raises(WorkflowTaskException) as err:
        _run_service_task("51310105MJ4Y2K7AXU")

    assert str(err.value).startswith("服务任务失败：服务任务调用的连接器“uscc_lookup”未注册（已注册：无）")
    assert err.value.task is not None and err.value.task.task_spec.bpmn_id == "lookup"


# -- recursive call activities -------------------------------------------------------------------------
def test_process_calling_itself_is_refused_at_the_call_activity() -> None:
    text = BAD_BUNDLES["process calling itself"]["loop.bpmn"]

    assert printed(parse({"loop.bpmn": text}).problems) == [
        f"loop.bpmn:{line_of(text, '<bpmn:callActivity')}: again: "
        "调用活动形成递归调用：loop → loop（不支持递归调用） (recursive call activity: loop → loop)"
    ]


def test_processes_calling_each_other_across_files_are_refused_at_both_calls() -> None:
    files = BAD_BUNDLES["processes calling each other"]

    assert printed(parse(files).problems) == [
        f"a.bpmn:{line_of(files['a.bpmn'], '<bpmn:callActivity')}: call_b: "
        "调用活动形成递归调用：a → b → a（不支持递归调用） (recursive call activity: a → b → a)",
        f"b.bpmn:{line_of(files['b.bpmn'], '<bpmn:callActivity')}: call_a: "
        "调用活动形成递归调用：b → a → b（不支持递归调用） (recursive call activity: b → a → b)",
    ]


def test_a_chain_of_calls_without_a_cycle_deploys() -> None:
    files = {
        "a.bpmn": diagram(process("a", call("call_b", "b"), "call_b")),
        "b.bpmn": diagram(process("b", call("call_c", "c"), "call_c"), process("c", script("work"), "work")),
    }

    assert parse(files).problems == []


# -- data stores -----------------------------------------------------------------------------------------
def test_data_store_and_its_reference_are_refused_with_line_and_id_and_nothing_else() -> None:
    text = DATA_STORE
    message = "不支持数据存储（data store），请改用服务任务连接器或流程数据 (data stores are not supported)"

    assert printed(parse({"stock.bpmn": text}).problems) == [
        f"stock.bpmn:{line_of(text, '<bpmn:dataStore ')}: stock_store: {message}",
        f"stock.bpmn:{line_of(text, '<bpmn:dataStoreReference')}: stock_ref: {message}",
    ]


def test_spiffworkflow_data_store_extension_is_refused_at_its_task() -> None:
    inner = (
        "<bpmn:extensionElements><spiffworkflow:dataStoreName>kkv</spiffworkflow:dataStoreName>"
        "</bpmn:extensionElements>"
    )
    text = diagram(process("p", script("count_stock", inner=inner), "count_stock"))

    assert printed(parse({"p.bpmn": text}).problems) == [
        f"p.bpmn:{line_of(text, '<spiffworkflow:dataStoreName')}: count_stock: "
        "不支持数据存储（data store），请改用服务任务连接器或流程数据 (data stores are not supported)"
    ]


# -- Camunda and Zeebe extensions -------------------------------------------------------------------------
def test_camunda_and_zeebe_extensions_are_warnings_naming_each_dropped_attribute_and_element() -> None:
    inner = (
        "\n      <bpmn:extensionElements>\n"
        "        <camunda:inputOutput>"
        '<camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>\n'
        '        <zeebe:taskHeaders><zeebe:header key="k" value="v"/></zeebe:taskHeaders>\n'
        "      </bpmn:extensionElements>\n      "
    )
    text = diagram(
        process(
            "p",
            script("check", attrs=' camunda:asyncBefore="true"', inner=inner),
            "check",
            tag=' camunda:historyTimeToLive="180"',
        )
    )

    parsed = parse({"p.bpmn": text})

    assert parsed.ok
    assert printed(parsed.problems, "warning") == [
        f"p.bpmn:{line_of(text, '<bpmn:process')}: p: Camunda 扩展属性 camunda:historyTimeToLive 不受支持，将被忽略 "
        "(Camunda extension attribute camunda:historyTimeToLive is not supported and is dropped)",
        f"p.bpmn:{line_of(text, '<bpmn:scriptTask')}: check: Camunda 扩展属性 camunda:asyncBefore 不受支持，将被忽略 "
        "(Camunda extension attribute camunda:asyncBefore is not supported and is dropped)",
        f"p.bpmn:{line_of(text, '<camunda:inputOutput')}: check: "
        "Camunda 扩展元素 camunda:inputOutput 不受支持，将被忽略 "
        "(Camunda extension element camunda:inputOutput is not supported and is dropped)",
        f"p.bpmn:{line_of(text, '<zeebe:taskHeaders')}: check: Zeebe 扩展元素 zeebe:taskHeaders 不受支持，将被忽略 "
        "(Zeebe extension element zeebe:taskHeaders is not supported and is dropped)",
    ]


def test_camunda_decision_ref_and_form_key_are_warned_about_beside_the_missing_spiff_settings() -> None:
    rule = '    <bpmn:businessRuleTask id="route" name="分派" camunda:decisionRef="routing"/>'
    text = diagram(
        process("p", rule, "route"),
        process("q", user_task("review").replace(">", ' camunda:formKey="f">', 1), "review"),
    )

    warnings = printed(parse({"p.bpmn": text}).problems, "warning")

    assert (
        f"p.bpmn:{line_of(text, '<bpmn:businessRuleTask')}: route: Camunda 扩展属性 camunda:decisionRef 不受支持，"
        "将被忽略 (Camunda extension attribute camunda:decisionRef is not supported and is dropped)"
    ) in warnings
    assert (
        f"p.bpmn:{line_of(text, '<bpmn:userTask')}: review: Camunda 扩展属性 camunda:formKey 不受支持，将被忽略 "
        "(Camunda extension attribute camunda:formKey is not supported and is dropped)"
    ) in warnings


# -- user tasks: lane or role ---------------------------------------------------------------------------------
def test_user_task_with_neither_lane_nor_role_is_refused() -> None:
    text = BAD_BUNDLES["user task without lane or role"]["u.bpmn"]

    assert printed(parse({"u.bpmn": text}).problems) == [
        f"u.bpmn:{line_of(text, '<bpmn:userTask')}: review: 人工任务既不在泳道中，也没有 role 属性，没有角色能认领 "
        "(task has neither a lane nor a role property, so no role can claim it)"
    ]


def test_user_task_with_a_role_property_and_no_lane_deploys() -> None:
    task = user_task("review", f'<spiffworkflow:property name="role" value="{ROLE}"/>')
    text = diagram(process("u", task, "review", lane=False))

    assert printed(parse({"u.bpmn": text}, known_roles={ROLE}).problems) == []


def test_role_property_that_is_not_a_known_role_is_a_warning_like_a_lane() -> None:
    task = user_task("review", '<spiffworkflow:property name="role" value="居委会主任"/>')
    text = diagram(process("u", task, "review", lane=False))

    parsed = parse({"u.bpmn": text}, known_roles={ROLE})
    role_line = line_of(text, '<spiffworkflow:property name="role"')

    assert parsed.ok
    assert printed(parsed.problems, "warning") == [
        f"u.bpmn:{role_line}: review: 任务角色“居委会主任”不是已知的角色 (task role is not a known role)",
        f"u.bpmn:{line_of(text, '<bpmn:userTask')}: review: "
        "用户任务没有表单（缺少 formJsonSchemaFilename 属性） (user task has no form)",
    ]


def test_manual_task_with_neither_lane_nor_role_is_refused_too() -> None:
    text = diagram(process("m", '    <bpmn:manualTask id="visit" name="入户走访"/>', "visit", lane=False))

    assert printed(parse({"m.bpmn": text}).problems) == [
        f"m.bpmn:{line_of(text, '<bpmn:manualTask')}: visit: 人工任务既不在泳道中，也没有 role 属性，没有角色能认领 "
        "(task has neither a lane nor a role property, so no role can claim it)"
    ]


@pytest.mark.parametrize("folder", ["mediation", "purchase", "registration"])
def test_the_three_processes_still_deploy(folder: str) -> None:
    assert printed(parse_bundle(Bundle.from_dir(REPO / "bpmn" / folder)).problems) == []


# -- timer cycles ---------------------------------------------------------------------------------------------
def _timer_problems(cycle: str, **rules: object) -> tuple[list[str], str]:
    text = diagram(process("t", user_task("review"), "review", extra=cycle_timer(cycle)))
    return printed(parse({"t.bpmn": text}, **rules).problems), f"t.bpmn:{line_of(text, '<bpmn:timeCycle')}: remind"


@pytest.mark.parametrize(
    ("cycle", "message"),
    [
        ('"R5/PT0S"', "定时器周期“R5/PT0S”的间隔为零，会不停触发；间隔须大于零 (timer cycle period must be positive)"),
        (
            '"R3/2026-03-02T09:00:00+08:00/P0D"',
            "定时器周期“R3/2026-03-02T09:00:00+08:00/P0D”的间隔为零，会不停触发；间隔须大于零 "
            "(timer cycle period must be positive)",
        ),
        (
            '"R/P1D"',
            "定时器周期“R/P1D”无限重复，须写明次数（上限 1000 次） "
            "(unbounded timer cycle: state a repetition count (at most 1000))",
        ),
        (
            '"R5000/PT1H"',
            "定时器周期“R5000/PT1H”重复 5000 次，超过上限 1000 次 (timer cycle repeats more than 1000 times)",
        ),
        (
            '"PT1H"',
            '定时器周期“PT1H”不是 ISO 8601 重复间隔（如 "R3/PT1H"） '
            "(timer cycle is not an ISO 8601 repeating interval)",
        ),
    ],
)
def test_literal_timer_cycle_needs_a_positive_period_and_a_bounded_count(cycle: str, message: str) -> None:
    problems, where = _timer_problems(cycle)

    assert problems == [f"{where}: {message}"]


def test_timer_cycle_limit_is_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHEQUFLOW_MAX_TIMER_CYCLES", "10")

    problems, where = _timer_problems('"R20/P1D"')

    assert problems == [
        f"{where}: 定时器周期“R20/P1D”重复 20 次，超过上限 10 次 (timer cycle repeats more than 10 times)"
    ]
    assert _timer_problems('"R20/P1D"', max_timer_cycles=20)[0] == []


def test_bounded_literal_cycle_and_computed_cycle_pass_lint() -> None:
    assert _timer_problems('"R3/PT1H"')[0] == []
    assert _timer_problems('"R" + str(rounds) + "/PT0S"')[0] == []  # computed: only the run time can check it


# -- form patterns ---------------------------------------------------------------------------------------------
def test_form_pattern_that_re2_cannot_compile_is_refused_with_its_json_path() -> None:
    files = BAD_BUNDLES["form pattern with lookahead"]
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "pattern": "^(?!x)"},
            "code": {"type": "string", "pattern": r"(a)\1"},
        },
        "patternProperties": {"^(?<=x)y$": {"type": "string"}},
    }

    problems = printed(parse({**files, "f.schema.json": json.dumps(schema)}).problems)

    tail = (
        "(pattern refused: RE2 cannot compile it; form patterns must match in linear time, "
        "without backreferences or lookaround)"
    )
    assert problems == [
        "f.schema.json:-: $.patternProperties['^(?<=x)y$']: 正则表达式“^(?<=x)y$”无法用 RE2 编译，已拒绝"
        f"（表单只允许线性时间匹配，不支持反向引用和环视）：invalid perl operator: (?<= {tail}",
        "f.schema.json:-: $.properties.name.pattern: 正则表达式“^(?!x)”无法用 RE2 编译，已拒绝"
        f"（表单只允许线性时间匹配，不支持反向引用和环视）：invalid perl operator: (?! {tail}",
        "f.schema.json:-: $.properties.code.pattern: 正则表达式“(a)\\1”无法用 RE2 编译，已拒绝"
        f"（表单只允许线性时间匹配，不支持反向引用和环视）：invalid escape sequence: \\1 {tail}",
    ]


def test_catastrophic_pattern_validates_in_milliseconds() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^(a+)+$", "title": "名称"}}}

    started = time.perf_counter()
    with pytest.raises(InputError) as err:
        validate_form_data(schema, {"name": "a" * 45 + "!"})
    elapsed = time.perf_counter() - started

    assert elapsed < 0.05
    assert err.value.message_zh == "表单填写有误：名称：格式不正确"


def test_property_name_patterns_run_in_linear_time_too() -> None:
    schema = {
        "type": "object",
        "patternProperties": {"^(a+)+$": {"type": "integer"}},
        "additionalProperties": False,
        "unevaluatedProperties": False,
    }
    evil = "a" * 45 + "!"

    started = time.perf_counter()
    errors = [e.message for e in FormValidator(schema).iter_errors({evil: 1, "aaa": "x"})]

    assert time.perf_counter() - started < 0.05
    assert "'x' is not of type 'integer'" in errors
    assert any("Additional properties are not allowed" in e and evil in e for e in errors)


def test_ecma_unicode_escapes_in_patterns_are_understood() -> None:
    schema = {"type": "string", "pattern": "^[\\u4e00-\\u9fa5]{2,4}$"}

    assert list(FormValidator(schema).iter_errors("王小明")) == []
    assert len(list(FormValidator(schema).iter_errors("Wang"))) == 1


def test_registration_name_rule_still_refuses_a_national_name_without_lookahead() -> None:
    schema = json.loads((REPO / "bpmn/registration/forms/application.schema.json").read_text(encoding="utf-8"))
    name = schema["properties"]["proposedName"]

    assert list(FormValidator(name).iter_errors("长宁区华阳睦邻互助协会")) == []
    assert len(list(FormValidator(name).iter_errors("中国华阳睦邻互助协会"))) == 1
    assert len(list(FormValidator(name).iter_errors("华"))) == 1
