"""Model checks on a bundle's BPMN trees and JSON files: forms, lanes, scripts, expressions, references.

The checks walk the lxml trees rather than SpiffWorkflow's spec objects, because every lxml element keeps
the line it starts on (``sourceline``), so a finding points at the line the process owner sees in an
editor. A script's text starts on its element's line, so an error on line n of a script is reported at
``sourceline + n - 1``. :func:`check_documents` runs them all, with the DMN checks of
:mod:`engine.definitions.dmn`, the flow and call-graph checks (:mod:`~engine.definitions.flow`,
:mod:`~engine.definitions.calls`), literal timer cycles (:mod:`~engine.definitions.timers`), connectors,
data stores and Camunda/Zeebe extensions (:mod:`~engine.definitions.capabilities`) and RE2 form patterns
(:mod:`~engine.definitions.patterns`); the :class:`Problem` they report lives in
:mod:`engine.definitions.problems`.

Roles. A user or manual task is claimed by the role of its lane, or by an explicit role property
(``<spiffworkflow:property name="role" value="..."/>``); a task with neither is an error, since nobody
could ever claim it. A lane name or role property that is not a known role (when the roles are known) is
a warning.

Form files are resolved by :func:`resolve_form_path`: a ``formJsonSchemaFilename`` or
``formUiSchemaFilename`` value is looked up relative to the BPMN file's folder first, then in that
folder's ``forms/`` subfolder; absolute paths and paths leaving the bundle are refused.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.definitions.calls import check_recursive_calls
from engine.definitions.capabilities import check_capabilities
from engine.definitions.dmn import check_dmn
from engine.definitions.flow import check_parallel_joins
from engine.definitions.problems import (
    BPMN_NS,
    SPIFF_NS,
    Label,
    Mode,
    Problem,
    as_list,
    check_source_at,
    problem_at,
)
from engine.definitions.schemas import check_json_schema
from engine.definitions.timers import DEFAULT_MAX_TIMER_CYCLES, check_cycle
from engine.layout.review import review

_NOT_OWNERS = ("EventDefinition", "LoopCharacteristics")  # parts of a node, not nodes


@dataclass
class BundleIndex:
    """What the checks of one file need to know about the whole bundle."""

    names: Collection[str]
    json_docs: Mapping[str, Any]
    process_ids: set[str]
    decision_ids: set[str]
    known_roles: set[str] | None = None
    known_connectors: Collection[str] = frozenset()  # registered service-task connectors
    max_timer_cycles: int = DEFAULT_MAX_TIMER_CYCLES
    schema_refs: set[str] = field(default_factory=set)  # form schemas named by user tasks, filled in


def _b(local: str) -> str:
    return f"{{{BPMN_NS}}}{local}"


def _s(local: str) -> str:
    return f"{{{SPIFF_NS}}}{local}"


_TIMER: Label = ("定时器表达式", "timer expression")
_SOURCES: dict[str, tuple[Mode, Label]] = {
    _b("script"): ("exec", ("脚本", "script")),
    _s("preScript"): ("exec", ("前置脚本", "preScript")),
    _s("postScript"): ("exec", ("后置脚本", "postScript")),
    _b("conditionExpression"): ("eval", ("条件表达式", "condition expression")),
    _b("condition"): ("eval", ("条件事件表达式", "conditional event expression")),
    _b("timeDate"): ("eval", _TIMER),
    _b("timeDuration"): ("eval", _TIMER),
    _b("timeCycle"): ("eval", _TIMER),
    _b("loopCardinality"): ("eval", ("多实例数量表达式", "loop cardinality")),
    _b("completionCondition"): ("eval", ("完成条件", "completion condition")),
    _b("loopCondition"): ("eval", ("循环条件", "loop condition")),
    _s("messagePayload"): ("eval", ("消息内容表达式", "message payload")),
    _s("payloadExpression"): ("eval", ("事件内容表达式", "event payload")),
    _s("expression"): ("eval", ("关联表达式", "correlation expression")),
    _b("messagePath"): ("eval", ("关联属性表达式", "correlation retrieval expression")),
    _b("formalExpression"): ("eval", ("关联属性表达式", "correlation retrieval expression")),
}
# An ISO-8601 value without quotes: "P5D" and "R3/PT1H" compile as names, dates as arithmetic.
_UNQUOTED_ISO = re.compile(r"R\d*/\S+|P(?=[\dT])(\d+(\.\d+)?[YMWD])*(T(\d+(\.\d+)?[HMS])+)?|\d{4}-\d{1,2}-\d{1,2}\S*")


def form_candidates(bpmn_file: str, value: str) -> list[str] | None:
    """Return the bundle paths a form file name may mean, or None if it points outside the bundle."""
    if not value or value.startswith("/") or "\\" in value:
        return None
    folder = posixpath.dirname(bpmn_file)
    found = []
    for base in (folder, posixpath.join(folder, "forms")):
        path = posixpath.normpath(posixpath.join(base, value))
        if path == ".." or path.startswith("../"):
            return None
        found.append(path)
    return found


def resolve_form_path(bpmn_file: str, value: str, names: Collection[str]) -> str | None:
    """Return the bundle path of the form file a task in ``bpmn_file`` names, or None if absent."""
    return next((path for path in form_candidates(bpmn_file, value) or [] if path in names), None)


def check_documents(bpmn: Mapping[str, Any], dmn: Mapping[str, Any], index: BundleIndex) -> list[Problem]:
    """Run the model checks over every BPMN and DMN tree and every form schema of a bundle."""
    problems = [p for name, tree in bpmn.items() for p in check_bpmn(name, tree, index)]
    problems += [p for name, tree in bpmn.items() for p in check_parallel_joins(name, tree)]
    problems += check_recursive_calls(bpmn)
    problems += [p for name, tree in dmn.items() for p in check_dmn(name, tree)]
    schemas = [name for name in index.json_docs if name in index.schema_refs or name.endswith(".schema.json")]
    return problems + [p for name in schemas for p in check_json_schema(name, index.json_docs[name])]


def check_sizes(
    sizes: Mapping[str, int], skipped: Mapping[str, int], max_file_bytes: int, max_bundle_bytes: int
) -> list[Problem]:
    """Check file sizes (read, and left unread) against the per-file and per-bundle limits."""
    sizes = {**sizes, **skipped}
    problems = [
        Problem(
            name,
            None,
            None,
            f"文件过大：{size:,} 字节，上限 {max_file_bytes:,}，未解析 "
            f"(file too large: {size:,} bytes, limit {max_file_bytes:,})",
        )
        for name, size in sorted(sizes.items())
        if size > max_file_bytes
    ]
    problems += [
        Problem(name, None, None, "文件未读取：流程包总大小超限 (not read: bundle too large)")
        for name, size in sorted(skipped.items())
        if size <= max_file_bytes
    ]
    total = sum(size for size in sizes.values() if size <= max_file_bytes)
    if total > max_bundle_bytes:
        problems.append(
            Problem(
                "",
                None,
                None,
                f"流程包过大：{total:,} 字节，上限 {max_bundle_bytes:,} (bundle too large: {total:,} bytes)",
            )
        )
    return problems


def check_bpmn(name: str, tree: Any, index: BundleIndex) -> list[Problem]:
    """Check forms, roles, references, connectors, extensions and every script and expression of one BPMN file."""
    root = tree.getroot()
    return [
        *_check_human_tasks(name, root, index),
        *_check_lanes(name, root, index.known_roles),
        *_check_references(name, root, index),
        *_check_bpmn_sources(name, root, index.max_timer_cycles),
        *check_capabilities(name, root, index.known_connectors),
        *_check_layout(name, root),
    ]


def _check_layout(name: str, root: Any) -> list[Problem]:
    """The diagram's readability findings (:mod:`engine.layout.review`) as warnings at their elements."""
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    problems = []
    for finding in review(root):
        at = by_id.get(finding.element)
        zh, en = f"布局：{finding.zh}", f"layout: {finding.en}"
        if at is None:
            problems.append(Problem(name, None, finding.element, f"{zh} ({en})", "warning"))
        else:
            problems.append(problem_at(name, at, zh, en, "warning"))
    return problems


# -- user tasks: forms, lanes and roles ------------------------------------------------------------
_PROPERTY = f"{_b('extensionElements')}/{_s('properties')}/{_s('property')}"


def _task_properties(task: Any) -> dict[str, Any]:
    """The spiffworkflow:property elements of a task that have a value, by name."""
    return {p.get("name"): p for p in task.iterfind(_PROPERTY) if (p.get("value") or "").strip()}


def _check_human_tasks(name: str, root: Any, index: BundleIndex) -> list[Problem]:
    """A user or manual task needs a lane or a ``role`` property (a known role), and a user task a form."""
    in_lane = {ref.text.strip() for ref in root.iter(_b("flowNodeRef")) if ref.text}
    problems = []
    for task in root.iter(_b("userTask"), _b("manualTask")):
        props = _task_properties(task)
        role = props.get("role")
        if role is None and not any(el.get("id") in in_lane for el in [task, *task.iterancestors()]):
            problems.append(
                problem_at(
                    name,
                    task,
                    "人工任务既不在泳道中，也没有 role 属性，没有角色能认领",
                    "task has neither a lane nor a role property, so no role can claim it",
                )
            )
        elif role is not None and index.known_roles is not None and role.get("value") not in index.known_roles:
            problems.append(
                problem_at(
                    name,
                    role,
                    f"任务角色“{role.get('value')}”不是已知的角色",
                    "task role is not a known role",
                    "warning",
                    owner=task,
                )
            )
        if task.tag == _b("userTask"):
            problems += _check_task_forms(name, task, props, index)
    return problems


def _check_task_forms(name: str, task: Any, props: dict[str, Any], index: BundleIndex) -> list[Problem]:
    if "formJsonSchemaFilename" not in props:
        return [
            problem_at(
                name,
                task,
                "用户任务没有表单（缺少 formJsonSchemaFilename 属性）",
                "user task has no form",
                "warning",
            )
        ]
    problems: list[Problem] = []
    schema = _check_form_ref(name, task, props["formJsonSchemaFilename"], index, problems)
    if schema is not None:
        index.schema_refs.add(schema)
    if "formUiSchemaFilename" in props:
        _check_form_ref(name, task, props["formUiSchemaFilename"], index, problems)
    return problems


def _check_form_ref(name: str, task: Any, prop: Any, index: BundleIndex, out: list[Problem]) -> str | None:
    value = prop.get("value").strip()
    candidates = form_candidates(name, value)
    if candidates is None:
        out.append(
            problem_at(
                name,
                prop,
                f"{prop.get('name')} 必须是流程包内的相对路径：{value}",
                "form file must be a relative path inside the bundle",
                owner=task,
            )
        )
        return None
    path = next((c for c in candidates if c in index.names), None)
    if path is None:
        out.append(
            problem_at(
                name,
                prop,
                f"表单文件“{value}”不存在，已查找：{'、'.join(candidates)}",
                "form file not found in the bundle",
                owner=task,
            )
        )
    elif not path.endswith(".json"):
        out.append(problem_at(name, prop, f"表单须是 .json 文件：{path}", "form must be JSON", owner=task))
    elif path in index.json_docs and not isinstance(index.json_docs[path], dict):
        out.append(problem_at(name, prop, f"表单须是 JSON 对象：{path}", "form must be an object", owner=task))
    return path


def _check_lanes(name: str, root: Any, known_roles: set[str] | None) -> list[Problem]:
    problems = []
    for lane in root.iter(_b("lane")):
        if lane.find(_b("childLaneSet")) is not None:
            continue  # a lane of lanes: its child lanes carry the roles
        role = lane.get("name")
        if not (role or "").strip():
            problems.append(problem_at(name, lane, "泳道没有名称（角色）", "lane has no name", "warning"))
        elif known_roles is not None and role not in known_roles:
            problems.append(
                problem_at(name, lane, f"泳道“{role}”不是已知的角色", "lane is not a known role", "warning")
            )
    return problems


# -- references ----------------------------------------------------------------------------------------
def _check_references(name: str, root: Any, index: BundleIndex) -> list[Problem]:
    problems = []
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str)}
    for flow in root.iter(_b("sequenceFlow")):
        missing = [str(ref) for ref in (flow.get("sourceRef"), flow.get("targetRef")) if ref not in ids]
        if missing:
            problems.append(
                problem_at(
                    name,
                    flow,
                    f"顺序流连接的节点不存在：{', '.join(missing)}",
                    "sequence flow refers to a missing node",
                )
            )
    for call in root.iter(_b("callActivity")):
        called = call.get("calledElement")
        if called not in index.process_ids:
            problems.append(
                problem_at(
                    name,
                    call,
                    f"调用活动引用的流程“{called or ''}”不在流程包中",
                    "called process not found in the bundle",
                )
            )
    for task in root.iter(_b("businessRuleTask")):
        ref = task.find(f"{_b('extensionElements')}/{_s('calledDecisionId')}")
        decision = ref.text if ref is not None else None
        if decision not in index.decision_ids:
            problems.append(
                problem_at(
                    name,
                    task,
                    f"业务规则任务引用的 DMN 决策“{decision or ''}”不在流程包中",
                    "called decision (spiffworkflow:calledDecisionId) not found",
                )
            )
    return problems


# -- scripts and expressions ---------------------------------------------------------------------------
def _owner_id(el: Any) -> str | None:
    """Return the id of the nearest enclosing element a modeller recognises (task, flow, event)."""
    for anc in el.iterancestors():
        if anc.get("id") and not etree.QName(anc).localname.endswith(_NOT_OWNERS):
            return str(anc.get("id"))
    return None


def _check_bpmn_sources(name: str, root: Any, max_timer_cycles: int) -> list[Problem]:
    problems = []
    for el in root.iter(*_SOURCES):
        text = el.text
        retrieval = el.getparent().tag == _b("correlationPropertyRetrievalExpression")
        if not text or not text.strip() or (el.tag == _b("formalExpression") and not retrieval):
            continue
        mode, label = _SOURCES[el.tag]
        if label is _TIMER and _UNQUOTED_ISO.fullmatch(text.strip()):
            problems.append(
                Problem(
                    name,
                    el.sourceline,
                    _owner_id(el),
                    f'定时器表达式是 Python 表达式，ISO-8601 值须加引号："{text.strip()}" '
                    "(timer expressions are Python: quote ISO-8601 values)",
                )
            )
            continue
        found = check_source_at(name, el.sourceline, _owner_id(el), text, mode, label)
        if found is None and el.tag == _b("timeCycle"):
            found = check_cycle(name, el.sourceline, _owner_id(el), text, max_timer_cycles)
        problems += as_list(found)
    for param in root.iter(_s("parameter")):
        if param.get("value"):
            problems += as_list(
                check_source_at(
                    name,
                    param.sourceline,
                    _owner_id(param),
                    param.get("value"),
                    "eval",
                    ("服务任务参数", "service task parameter"),
                )
            )
    for task in root.iter(_b("scriptTask")):
        script = task.find(_b("script"))
        if script is None or not (script.text or "").strip():
            problems.append(problem_at(name, task, "脚本任务没有脚本", "script task has no script", "warning"))
    problems += _check_script_hosts(name, root)
    return problems


# SpiffWorkflow runs a preScript/postScript only on activities (and send/receive tasks); on an event or
# a gateway the parser drops it without a word, so the data it would set is silently missing.
_SCRIPT_HOSTS = {
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
}  # fmt: skip


def _check_script_hosts(name: str, root: Any) -> list[Problem]:
    problems = []
    for el in root.iter(_s("preScript"), _s("postScript")):
        host = next((a for a in el.iterancestors() if a.tag.startswith(f"{{{BPMN_NS}}}") and a.get("id")), None)
        if host is not None and etree.QName(host).localname not in _SCRIPT_HOSTS:
            kind = etree.QName(el).localname
            problems.append(
                problem_at(
                    name,
                    el,
                    f"{'前置' if kind == 'preScript' else '后置'}脚本放在{etree.QName(host).localname}上不会执行："
                    "事件和网关不运行脚本，请放到相邻的任务上",
                    f"a {kind} on a {etree.QName(host).localname} never runs; put it on an adjacent task",
                    owner=host,
                )
            )
    return problems
