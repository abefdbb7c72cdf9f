"""Loading a process bundle: safe XML, size limits, and every problem reported with file, line and element."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.definitions import bundle as bundle_module
from engine.definitions import xmlsafe as bundle_xml
from engine.definitions.bundle import Bundle, ParsedBundle, Problem, lint_paths, load_xml, parse_bundle
from engine.definitions.checks import resolve_form_path

BUNDLES = Path(__file__).resolve().parents[1] / "fixtures" / "bundles"
VALID = BUNDLES / "valid"
BPMN = "neighbour_dispute.bpmn"
DMN = "route_case.dmn"
ROLES = {"街道经办人", "街道科长"}
MB = 1024 * 1024


def valid_files() -> dict[str, bytes]:
    return dict(Bundle.from_dir(VALID).files)


def text_of(name: str = BPMN) -> str:
    return (VALID / name).read_text(encoding="utf-8")


def changed(old: str, new: str, name: str = BPMN) -> tuple[ParsedBundle, str]:
    """Parse the valid bundle with one text replaced in one file; return the result and the new text."""
    files = valid_files()
    text = files[name].decode()
    assert old in text, old
    text = text.replace(old, new, 1)
    files[name] = text.encode()
    return parse_bundle(Bundle(files), known_roles=ROLES), text


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def only_error(parsed: ParsedBundle) -> Problem:
    errors = [p for p in parsed.problems if p.severity == "error"]
    assert len(errors) == 1, [str(p) for p in parsed.problems]
    return errors[0]


# -- the valid bundle ----------------------------------------------------------------------------------
def test_valid_bundle_parses_into_a_spec_with_forms_and_no_problems() -> None:
    parsed = parse_bundle(Bundle.from_dir(VALID), known_roles=ROLES)

    assert parsed.problems == []
    assert parsed.ok
    assert parsed.process_ids == ["neighbour_dispute"]
    spec, subprocess_specs = parsed.specs["neighbour_dispute"]
    assert subprocess_specs == {}
    assert spec.task_specs["register_case"].lane == "街道经办人"
    assert spec.task_specs["approve_case"].lane == "街道科长"
    assert sorted(parsed.forms) == [
        "forms/approve_case.schema.json",
        "forms/register_case.schema.json",
        "forms/register_case.uischema.json",
    ]


def test_valid_bundle_routes_a_serious_dispute_to_the_leader_through_dmn_and_gateway() -> None:
    spec, subprocess_specs = parse_bundle(Bundle.from_dir(VALID)).specs["neighbour_dispute"]
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    register = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
    register.set_data(kind="房屋漏水", households=2)
    register.run()
    workflow.do_engine_steps()

    [approve] = workflow.get_tasks(state=TaskState.READY, manual=True)
    assert (approve.task_spec.bpmn_id, approve.task_spec.lane) == ("approve_case", "街道科长")


def test_spiff_only_receives_parsed_trees_never_raw_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Spiff must not parse raw bytes")

    for kind in ("bpmn", "dmn"):
        for how in ("str", "io", "files"):
            monkeypatch.setattr(SpiffBpmnParser, f"add_{kind}_{how}", refuse)

    assert parse_bundle(Bundle.from_dir(VALID), known_roles=ROLES).ok


def test_lane_not_in_known_roles_gives_a_warning_not_an_error() -> None:
    parsed = parse_bundle(Bundle.from_dir(VALID), known_roles={"街道经办人"})

    assert parsed.ok
    [warning] = parsed.problems
    assert warning.severity == "warning"
    assert (warning.file, warning.line, warning.element) == (
        BPMN,
        line_of(text_of(), 'name="街道科长"'),
        "Lane_leader",
    )
    assert "街道科长" in warning.message and "角色" in warning.message


# -- unsafe or malformed XML ---------------------------------------------------------------------------
def test_malformed_xml_is_reported_with_file_and_line() -> None:
    parsed, text = changed("</bpmn:startEvent>", "</bpmn:startEvnt>")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, "</bpmn:startEvnt>"), None)
    assert "XML 格式错误" in problem.message and "startEvnt" in problem.message
    assert parsed.specs == {}


def test_xxe_file_is_refused_and_the_entity_never_expanded() -> None:
    parsed = parse_bundle(Bundle.from_dir(BUNDLES / "xxe"))

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == ("xxe.bpmn", 3, None)
    assert "DOCTYPE" in problem.message and "xxe" in problem.message
    assert "root:" not in problem.message
    assert parsed.specs == {} and parsed.process_ids == []


def test_external_entity_pointing_at_a_local_file_is_never_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    xml = (
        f'<?xml version="1.0"?>\n<!DOCTYPE r [\n<!ENTITY s SYSTEM "{secret.as_uri()}">\n'
        f'<!ENTITY % p SYSTEM "{secret.as_uri()}">\n%p;\n]>\n<r>&s;</r>'
    ).encode()
    asked: list[str] = []
    original = bundle_xml._NoResolver.resolve

    def recording(self: object, url: str, pubid: str, context: object) -> object:
        asked.append(url)
        return original(self, url, pubid, context)  # type: ignore[arg-type]

    monkeypatch.setattr(bundle_xml._NoResolver, "resolve", recording)
    tree, problem = load_xml("leak.bpmn", xml)

    assert asked == []  # the parser never even asked for the file: entity loading is off
    assert tree is None
    assert problem is not None and problem.line == 3
    assert "TOP-SECRET-MARKER" not in str(problem)


def test_external_dtd_is_refused_without_touching_the_network() -> None:
    xml = b'<?xml version="1.0"?>\n<!DOCTYPE definitions SYSTEM "http://10.255.255.1/evil.dtd">\n<definitions/>'

    started = time.perf_counter()
    tree, problem = load_xml("remote.bpmn", xml)

    assert time.perf_counter() - started < 1.0
    assert tree is None and problem is not None
    assert (problem.file, problem.line) == ("remote.bpmn", 2)


def test_billion_laughs_file_is_refused() -> None:
    parsed = parse_bundle(Bundle.from_dir(BUNDLES / "billion_laughs"))

    problem = only_error(parsed)
    assert (problem.file, problem.line) == ("billion_laughs.bpmn", 3)
    assert "DOCTYPE" in problem.message and "未展开" in problem.message


def test_small_entity_bomb_that_lxml_accepts_is_still_refused_by_the_dtd_check() -> None:
    xml = b'<?xml version="1.0"?>\n<!DOCTYPE l [\n<!ENTITY a "ha">\n<!ENTITY b "&a;&a;&a;">\n]>\n<l>&b;</l>'

    tree, problem = load_xml("lol.dmn", xml)

    assert tree is None and problem is not None
    assert problem.line == 3 and "a, b" in problem.message


def test_unknown_task_type_is_reported_at_its_line_with_its_id() -> None:
    parsed, text = changed(
        '    <bpmn:endEvent id="end">',
        '    <bpmn:fooTask id="foo_task" name="Foo"/>\n    <bpmn:endEvent id="end">',
    )

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, "<bpmn:fooTask"), "foo_task")
    assert "不支持的元素" in problem.message and "bpmn:fooTask" in problem.message


# -- sizes -----------------------------------------------------------------------------------------------
def test_fifty_megabyte_file_is_refused_quickly_without_being_read(tmp_path: Path) -> None:
    (tmp_path / "huge.bpmn").write_bytes(b"")
    with open(tmp_path / "huge.bpmn", "r+b") as handle:
        handle.truncate(50 * MB)
    (tmp_path / "small.json").write_text("{}")

    started = time.perf_counter()
    bundle = Bundle.from_dir(tmp_path)
    parsed = parse_bundle(bundle)
    elapsed = time.perf_counter() - started

    assert elapsed < 1.0
    assert "huge.bpmn" not in bundle.files and bundle.skipped == {"huge.bpmn": 50 * MB}
    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == ("huge.bpmn", None, None)
    assert "文件过大" in problem.message and "52,428,800" in problem.message


def test_oversized_bytes_never_reach_the_xml_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(name: str, data: bytes) -> None:
        raise AssertionError("an oversized file reached the XML parser")

    monkeypatch.setattr(bundle_module, "load_xml", refuse)
    files = {**valid_files(), "big.bpmn": b" " * (50 * MB)}

    started = time.perf_counter()
    parsed = parse_bundle(Bundle(files))

    assert time.perf_counter() - started < 1.0
    assert [p.file for p in parsed.problems] == ["big.bpmn"]


def test_bundle_over_the_total_limit_is_refused_as_a_whole() -> None:
    parsed = parse_bundle(Bundle.from_dir(VALID), max_file_bytes=10_000, max_bundle_bytes=5_000)

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == ("", None, None)
    assert "流程包过大" in problem.message and parsed.specs == {}


# -- forms -------------------------------------------------------------------------------------------------
def test_missing_form_file_is_an_error_naming_the_task() -> None:
    parsed, text = changed('value="approve_case.schema.json"', 'value="approve.schema.json"')

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        BPMN,
        line_of(text, "approve.schema.json"),
        "approve_case",
    )
    assert "approve.schema.json" in problem.message and "forms/approve.schema.json" in problem.message


def test_form_outside_the_bundle_is_an_error() -> None:
    parsed, _ = changed('value="approve_case.schema.json"', 'value="../../secrets.json"')

    problem = only_error(parsed)
    assert problem.element == "approve_case" and "相对路径" in problem.message


def test_form_file_is_looked_up_beside_the_bpmn_file_then_in_its_forms_folder() -> None:
    names = {"mediation/a.schema.json", "mediation/forms/b.schema.json", "c.schema.json"}

    assert resolve_form_path("mediation/m.bpmn", "a.schema.json", names) == "mediation/a.schema.json"
    assert resolve_form_path("mediation/m.bpmn", "b.schema.json", names) == "mediation/forms/b.schema.json"
    assert resolve_form_path("mediation/m.bpmn", "c.schema.json", names) is None
    assert resolve_form_path("mediation/m.bpmn", "../c.schema.json", names) == "c.schema.json"
    assert resolve_form_path("m.bpmn", "../../etc/passwd", names) is None


def test_form_that_is_not_a_valid_json_schema_is_an_error() -> None:
    parsed, _ = changed('"type": "boolean"', '"type": "yes-or-no"', "forms/approve_case.schema.json")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        "forms/approve_case.schema.json",
        None,
        "$.properties.approved.type",
    )
    assert "JSON Schema" in problem.message


def test_form_that_is_not_json_is_an_error_at_its_line() -> None:
    parsed, _ = changed('"title": "同意"}', '"title": "同意",}', "forms/approve_case.schema.json")

    problem = only_error(parsed)
    assert (problem.file, problem.line) == ("forms/approve_case.schema.json", 6)
    assert "JSON 格式错误" in problem.message


def test_user_task_without_form_is_a_warning() -> None:
    parsed, text = changed(
        '<spiffworkflow:property name="formJsonSchemaFilename" value="approve_case.schema.json"/>', ""
    )

    assert parsed.ok
    [warning] = parsed.problems
    assert warning.severity == "warning"
    assert (warning.file, warning.line, warning.element) == (
        BPMN,
        line_of(text, 'id="approve_case"'),
        "approve_case",
    )
    assert "formJsonSchemaFilename" in warning.message


def test_user_task_outside_any_lane_and_without_role_is_an_error() -> None:
    parsed, text = changed("<bpmn:flowNodeRef>approve_case</bpmn:flowNodeRef>", "")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        BPMN,
        line_of(text, 'id="approve_case"'),
        "approve_case",
    )
    assert "泳道" in problem.message and "role" in problem.message


# -- scripts and expressions -------------------------------------------------------------------------------
def test_script_syntax_error_is_reported_at_its_line_in_the_bpmn_file() -> None:
    parsed, text = changed("closed = True\n", "closed = True\nif closed\n")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, "if closed"), "close_case")
    assert "脚本" in problem.message and "语法" in problem.message


def test_sandbox_escape_in_a_script_is_an_error() -> None:
    parsed, text = changed("closed = True\n", "closed = True\nn = ().__class__.__base__.__subclasses__()\n")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, "n = ()"), "close_case")
    assert "沙箱" in problem.message and "__" in problem.message


def test_sandbox_escape_in_a_gateway_condition_is_an_error() -> None:
    parsed, text = changed('severity == "high"', "len(().__class__.__base__.__subclasses__()) > 0")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, "len(()"), "f_serious")
    assert "条件表达式" in problem.message and "__" in problem.message


def test_sandbox_escape_in_a_pre_script_is_an_error() -> None:
    parsed, text = changed("sla_days = 5", "import os")

    problem = only_error(parsed)
    assert (problem.line, problem.element) == (line_of(text, "import os"), "register_case")
    assert "前置脚本" in problem.message


def test_timer_expression_that_does_not_compile_is_an_error() -> None:
    parsed, text = changed('"P5D"', '"P5D')

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (BPMN, line_of(text, '"P5D<'), "approval_overdue")
    assert "定时器表达式" in problem.message


@pytest.mark.parametrize("value", ["P5D", "R3/PT1H", "2030-01-01T09:00:00"])
def test_unquoted_iso_timer_value_is_an_error_asking_for_quotes(value: str) -> None:
    parsed, text = changed('"P5D"', value)

    problem = only_error(parsed)
    assert (problem.line, problem.element) == (line_of(text, f">{value}<"), "approval_overdue")
    assert "引号" in problem.message and f'"{value}"' in problem.message


def test_sandbox_escape_in_a_dmn_cell_is_an_error() -> None:
    parsed, text = changed("&gt;= 10", "&gt;= ().__class__.__name__", DMN)

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        DMN,
        line_of(text, "().__class__"),
        "IE_many_households",
    )
    assert "DMN 输入单元格" in problem.message


def test_dmn_cell_written_as_feel_without_question_mark_is_an_error() -> None:
    parsed, text = changed('? in ("房屋漏水", "违章搭建")', 'in ("房屋漏水", "违章搭建")', DMN)

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        DMN,
        line_of(text, 'in ("房屋漏水"'),
        "IE_property_kind",
    )
    assert "? in (...)" in problem.message


def test_dmn_output_that_does_not_compile_is_an_error() -> None:
    parsed, text = changed('<text>"low"</text>', '<text>"low" +</text>', DMN)

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (DMN, line_of(text, '"low" +'), "OE_default")


# -- references and structure ------------------------------------------------------------------------------
def test_business_rule_task_naming_an_unknown_decision_is_an_error() -> None:
    parsed, text = changed(">route_case</spiffworkflow:calledDecisionId>", ">route_it</spiffworkflow:calledDecisionId>")

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        BPMN,
        line_of(text, 'id="route_case"'),
        "route_case",
    )
    assert "route_it" in problem.message


def test_call_activity_to_a_missing_process_is_an_error() -> None:
    parsed, text = changed(
        '    <bpmn:endEvent id="end">',
        '    <bpmn:callActivity id="call_review" calledElement="review"/>\n    <bpmn:endEvent id="end">',
    )

    problem = only_error(parsed)
    assert (problem.file, problem.line, problem.element) == (
        BPMN,
        line_of(text, "<bpmn:callActivity"),
        "call_review",
    )
    assert "review" in problem.message


def test_process_without_start_event_is_reported_with_the_process_line() -> None:
    files = valid_files()
    files["lonely.bpmn"] = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"\n'
        b'                  targetNamespace="http://shequflow.example/bpmn">\n'
        b'  <bpmn:process id="lonely" isExecutable="true">\n'
        b'    <bpmn:endEvent id="done"/>\n'
        b"  </bpmn:process>\n"
        b"</bpmn:definitions>\n"
    )

    problem = only_error(parse_bundle(Bundle(files), known_roles=ROLES))

    assert (problem.file, problem.line, problem.element) == ("lonely.bpmn", 4, "lonely")
    assert "开始事件" in problem.message and "No start event found" in problem.message


def test_file_name_leaving_the_bundle_is_an_error() -> None:
    parsed = parse_bundle(Bundle({**valid_files(), "../evil.json": b"{}"}), known_roles=ROLES)

    problem = only_error(parsed)
    assert problem.file == "../evil.json"


# -- bundle, problem and lint -----------------------------------------------------------------------------
def test_content_hash_is_stable_and_depends_only_on_names_and_contents() -> None:
    files = valid_files()
    forwards = Bundle(files)
    backwards = Bundle.from_files(dict(reversed(list(files.items()))))

    assert forwards.content_hash() == backwards.content_hash() == Bundle.from_dir(VALID).content_hash()
    assert len(forwards.content_hash()) == 64
    assert Bundle({**files, BPMN: files[BPMN] + b"\n"}).content_hash() != forwards.content_hash()
    assert Bundle({"ab": b"c"}).content_hash() != Bundle({"a": b"bc"}).content_hash()


def test_problem_prints_as_file_line_element_message() -> None:
    assert str(Problem("a.bpmn", 12, "review_case", "缺少表单")) == "a.bpmn:12: review_case: 缺少表单"
    assert str(Problem("", None, None, "流程包过大")) == "-:-: -: 流程包过大"


def test_lint_paths_treats_a_folder_as_one_bundle() -> None:
    assert lint_paths([str(VALID)]) == []
    problems = lint_paths([str(BUNDLES / "xxe")])
    assert [(p.file, p.line) for p in problems] == [(str(BUNDLES / "xxe" / "xxe.bpmn"), 3)]


def test_lint_paths_groups_loose_files_by_folder_with_their_forms_and_decisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(BUNDLES)

    assert lint_paths([f"valid/{BPMN}"]) == []  # its DMN and forms/ come along
    problems = lint_paths(["xxe/xxe.bpmn", "valid/nothing-here.bpmn"])
    assert {(p.file, p.line) for p in problems} == {("xxe/xxe.bpmn", 3), ("valid/nothing-here.bpmn", None)}
    assert all(p.severity == "error" for p in problems)
