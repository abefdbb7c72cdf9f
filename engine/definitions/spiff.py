"""Hand a bundle's safe XML trees to SpiffWorkflow and turn what it reports into problems.

SpiffWorkflow only receives the already-parsed trees of :mod:`engine.definitions.xmlsafe` (``add_bpmn_xml`` /
``add_dmn_xml``), never raw bytes, so its default lxml parser never sees the input. Each tree is first
validated against the BPMN or DMN XSD, then parsed into specs.

Line numbers. XSD errors carry their line, and every element keeps ``sourceline``. Spiff's
``ValidationException`` names the element id but no usable line (it reads ``node.line_number``, which
lxml elements lack), so lines come from an id → line index of each file (:class:`_LineIndex`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any, NamedTuple

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.definitions.problems import Problem, shorten_names

_MAX_XSD_ERRORS = 20
_XSD_LOCK = threading.Lock()  # an lxml XMLSchema keeps its error log on the (shared) object
_DMN_XSD: dict[str, Any] = {}


class SpiffResult(NamedTuple):
    """What SpiffWorkflow made of a bundle: executable process ids, their specs, and the problems."""

    process_ids: list[str]
    specs: dict[str, tuple[BpmnProcessSpec, dict[str, Any]]]
    problems: list[Problem]


def run_spiff(bpmn: Mapping[str, Any], dmn: Mapping[str, Any]) -> SpiffResult:
    """Feed the safe trees to SpiffBpmnParser; return the process ids, the specs and the problems."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    lines = _LineIndex({**bpmn, **dmn})
    problems: list[Problem] = []
    for name, tree in [*dmn.items(), *bpmn.items()]:
        is_dmn = name in dmn
        if not is_dmn:
            VALIDATOR.preprocess(tree)  # the rewrite Spiff applies before validating (a bpmn-js quirk)
        schema = _dmn_schema(etree.QName(tree.getroot()).namespace) if is_dmn else VALIDATOR.validator
        xsd = _xsd_problems(name, tree, schema) if schema is not None else []
        try:
            if xsd:
                problems += xsd
            elif is_dmn:
                parser.add_dmn_xml(tree.getroot(), filename=name)
            else:
                parser.add_bpmn_xml(tree, filename=name)
        except Exception as err:
            problems.append(_from_exception(err, name, lines))
    for dmn_parser in parser.dmn_parsers.values():
        try:
            dmn_parser.parse()
        except Exception as err:
            problems.append(_from_exception(err, dmn_parser.filename, lines))
    process_ids = parser.get_process_ids()
    specs: dict[str, tuple[BpmnProcessSpec, dict[str, Any]]] = {}
    for pid in process_ids:
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid, require_call_activity_specs=False)
        except Exception as err:
            problems.append(_from_exception(err, parser.get_process_parser(pid).filename or "", lines))
            continue
        specs[pid] = (spec, subprocess_specs)
    return SpiffResult(process_ids, specs, problems)


def already_found(problem: Problem, seen: set[tuple[str, str | None]]) -> bool:
    """True for a Spiff error that a model check already reported about the same element."""
    return (problem.file, problem.element) in seen and any(key in problem.message for key in _DUPLICATES)


_SPIFF_MESSAGES = [
    ("No start event found", "流程没有开始事件"),
    ("There is no support implemented for this task type", "不支持的任务类型"),
    ("No DMN Diagram available", "找不到引用的 DMN 决策"),
    ("Duplicate process ID", "流程 ID 重复"),
    ("was not found", "找不到引用的流程"),
    ("Multiple outgoing flows are not supported", "任务不能有多条流出的顺序流，请用网关"),
    ("Unknown Time Specification", "定时器缺少时间定义"),
    ("we found two items", "顺序流指向不存在的节点，或 ID 重复"),
    ("is not executable", "流程不可执行"),
]
_DUPLICATES = (
    "No DMN Diagram available",
    "was not found",
    "Malformed Output Expression",
    "A Service Task must have an operator",
)
_XSD_HINTS = [
    ("This element is not expected", "不支持的元素，或元素位置不对"),
    ("is required but missing", "缺少必需的属性"),
    ("attribute is not allowed", "不允许的属性"),
    ("is not a valid value", "属性值无效"),
    ("No matching global declaration", "根元素不对，不是 BPMN/DMN 文件"),
]


def _from_exception(err: Exception, file: str, lines: _LineIndex) -> Problem:
    """Turn what Spiff raised into a problem (it also raises bare KeyError etc. on odd input)."""
    if not isinstance(err, ValidationException):
        return Problem(file, None, None, f"流程模型无法解析：{type(err).__name__}: {err} (Spiff failed)")
    file = err.file_name or file
    line = err.line_number if isinstance(err.line_number, int) and err.line_number > 0 else None
    english = err.args[0] if err.args else str(err)
    zh = next((zh for key, zh in _SPIFF_MESSAGES if key in english), "流程模型无效")
    return Problem(file, line or lines.line_of(file, err.id), err.id or err.tag or None, f"{zh} ({english})")


class _LineIndex:
    """Element id → source line, per file, built on first use."""

    def __init__(self, trees: Mapping[str, Any]) -> None:
        self._trees = trees
        self._lines: dict[str, dict[str, int]] = {}

    def line_of(self, file: str, element_id: str | None) -> int | None:
        if not element_id or file not in self._trees:
            return None
        if file not in self._lines:
            index: dict[str, int] = {}
            for el in self._trees[file].getroot().iter():
                if isinstance(el.tag, str) and el.get("id") is not None:
                    index.setdefault(el.get("id"), el.sourceline)
            self._lines[file] = index
        return self._lines[file].get(element_id)


def _dmn_schema(namespace: str | None) -> Any:
    if namespace is None or namespace not in DMN_SCHEMAS:
        return None
    with _XSD_LOCK:
        if namespace not in _DMN_XSD:  # Spiff's own packaged XSD files: trusted input
            _DMN_XSD[namespace] = etree.XMLSchema(etree.parse(DMN_SCHEMAS[namespace]))
        return _DMN_XSD[namespace]


def _xsd_problems(name: str, tree: Any, schema: Any) -> list[Problem]:
    with _XSD_LOCK:
        schema.validate(tree)
        errors = list(schema.error_log)[:_MAX_XSD_ERRORS]
    by_line: dict[int, list[Any]] = {}
    for el in tree.getroot().iter():
        if isinstance(el.tag, str):
            by_line.setdefault(el.sourceline, []).append(el)
    problems = []
    for err in errors:
        english = shorten_names(err.message.split(" Expected is one of")[0])
        hint = next((zh for key, zh in _XSD_HINTS if key in english), "不符合 BPMN/DMN 的 XSD 架构")
        element = _element_at(by_line.get(err.line, []), err.message)
        problems.append(Problem(name, err.line or None, element, f"{hint} (XSD: {english})"))
    return problems


def _element_at(candidates: list[Any], message: str) -> str | None:
    """Pick the element an XSD message is about among those starting on its line: id, else tag."""
    match = re.search(r"Element '([^']+)'", message)
    chosen = next((el for el in candidates if match and el.tag == match.group(1)), None)
    chosen = chosen if chosen is not None else next(iter(candidates), None)
    return None if chosen is None else chosen.get("id") or shorten_names(chosen.tag)
