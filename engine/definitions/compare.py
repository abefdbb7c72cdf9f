"""Compare two stored versions of a process: which BPMN elements were added, removed or changed, and how.

The comparison reads the BPMN XML of both stored bundles (parsed with :mod:`engine.definitions.xmlsafe`),
not SpiffWorkflow's specs: a process owner changes names, documentation, lanes, forms, scripts,
conditions, timers and messages — things a spec diff either does not see (documentation, sequence-flow
conditions live on the gateway) or reports only as an opaque attribute name. Every element with an id
inside the compared processes is reduced to a flat dict of the properties our engine reads, and the
two dicts are compared key by key. Elements are matched by id (BPMN ids are stable across edits in
every modeler); the processes compared are the process itself and the processes it calls that sit in
the same bundle. Form and decision files referenced by the diagram are compared by content, so a form
edited without touching the diagram still marks the tasks that use it.

The result is plain dataclasses: element ids mark both diagrams, and each change has a Chinese and an
English label for the list beside them.
"""

from __future__ import annotations

import posixpath
from dataclasses import asdict, dataclass, field
from typing import Any

from engine.definitions.versions import Definitions, ProcessVersion
from engine.definitions.xmlsafe import load_xml
from engine.errors import InputError, NotFoundError
from engine.store.db import Tx

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

# property key → (Chinese label, English label); the order is the order changes are listed in
LABELS: dict[str, tuple[str, str]] = {
    "type": ("元素类型", "element type"),
    "name": ("名称", "name"),
    "documentation": ("说明", "documentation"),
    "lane": ("泳道（角色）", "lane (role)"),
    "role": ("办理角色", "task role"),
    "form": ("表单", "form"),
    "ui_form": ("表单界面", "form layout"),
    "form_content": ("表单内容", "form content"),
    "script": ("脚本", "script"),
    "pre_script": ("前置脚本", "pre-script"),
    "post_script": ("后置脚本", "post-script"),
    "condition": ("条件表达式", "condition"),
    "source": ("连线起点", "flow source"),
    "target": ("连线终点", "flow target"),
    "default": ("默认连线", "default flow"),
    "timer": ("定时器", "timer"),
    "message": ("消息", "message"),
    "message_payload": ("消息内容", "message payload"),
    "message_variable": ("消息变量", "message variable"),
    "correlation": ("消息关联", "correlation"),
    "called_element": ("调用的流程", "called process"),
    "decision": ("决策表", "decision table"),
    "decision_content": ("决策表内容", "decision table content"),
    "attached_to": ("附着于", "attached to"),
    "cancel_activity": ("中断任务", "interrupting"),
    "event": ("事件类型", "event type"),
    "loop": ("多实例/循环", "multi-instance / loop"),
}
KIND_ZH = {"added": "新增", "removed": "删除", "changed": "修改"}

# elements that are not steps of a process or not worth marking on their own
_SKIP = {"laneSet", "lane", "documentation", "extensionElements", "incoming", "outgoing", "flowNodeRef", "text"}
_EVENTS = ("timer", "message", "signal", "error", "escalation", "conditional", "terminate", "link", "compensate")


@dataclass(frozen=True)
class PropertyChange:
    """One property of one element that differs between the versions (None: absent in that version)."""

    key: str
    old: str | None
    new: str | None

    @property
    def label_zh(self) -> str:
        return LABELS.get(self.key, (self.key, self.key))[0]

    @property
    def label_en(self) -> str:
        return LABELS.get(self.key, (self.key, self.key))[1]


@dataclass(frozen=True)
class ElementChange:
    """An element added, removed or changed; ``element_id`` marks it on the diagram(s) it appears in."""

    process_id: str
    element_id: str
    kind: str  # added | removed | changed
    element_type: str
    name: str | None
    changes: tuple[PropertyChange, ...] = ()

    def describe_zh(self) -> str:
        """One line in Chinese for the change list."""
        title = (
            f"{KIND_ZH[self.kind]}{_type_zh(self.element_type)}“{self.name or self.element_id}”（{self.element_id}）"
        )
        if not self.changes:
            return title
        return title + "：" + "；".join(f"{c.label_zh}由“{c.old or '无'}”改为“{c.new or '无'}”" for c in self.changes)

    def describe_en(self) -> str:
        """One line in English for the change list."""
        title = f"{self.kind} {self.element_type} '{self.name or self.element_id}' ({self.element_id})"
        if not self.changes:
            return title
        return title + ": " + "; ".join(f"{c.label_en} '{c.old or '-'}' → '{c.new or '-'}'" for c in self.changes)


@dataclass
class VersionComparison:
    """Everything that differs between two versions of one process."""

    process_key: str
    old_version: int
    new_version: int
    elements: list[ElementChange] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (path, added|removed|changed)

    def ids(self, kind: str) -> list[str]:
        """Element ids of one kind (to mark on a diagram: added on the new one, removed on the old one)."""
        return [e.element_id for e in self.elements if e.kind == kind]

    @property
    def unchanged(self) -> bool:
        return not self.elements and not self.files

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (for the web API), each element with its Chinese and English description."""
        out = asdict(self)
        for dct, element in zip(out["elements"], self.elements, strict=True):
            dct["description"] = element.describe_zh()
            dct["description_en"] = element.describe_en()
            for change_dct, change in zip(dct["changes"], element.changes, strict=True):
                change_dct["label"], change_dct["label_en"] = change.label_zh, change.label_en
        return out


def compare_versions(definitions: Definitions, tx: Tx, process_key: str, old: int, new: int) -> VersionComparison:
    """Compare versions ``old`` and ``new`` of ``process_key`` as stored in the database."""
    if old == new:
        raise InputError("请选择两个不同的版本进行比较", "Choose two different versions to compare")
    a, b = (_version(tx, process_key, v) for v in (old, new))
    files_a = definitions.loaded(tx, a.bundle_id).bundle.files
    files_b = definitions.loaded(tx, b.bundle_id).bundle.files
    return compare_files(process_key, old, new, files_a, files_b)


def compare_files(
    process_key: str, old: int, new: int, files_a: dict[str, bytes], files_b: dict[str, bytes]
) -> VersionComparison:
    """Compare the process ``process_key`` between two bundles given as path → bytes."""
    procs_a, procs_b = _processes(files_a), _processes(files_b)
    if process_key not in procs_a and process_key not in procs_b:
        raise NotFoundError(f"流程包中没有流程“{process_key}”", f"No process '{process_key}' in the bundles")
    keys = _reachable(process_key, procs_a) | _reachable(process_key, procs_b)
    result = VersionComparison(process_key, old, new)
    for key in sorted(keys, key=lambda k: (k != process_key, k)):
        elems_a = _elements(procs_a.get(key), files_a)
        elems_b = _elements(procs_b.get(key), files_b)
        for eid in _ordered(elems_a, elems_b):
            pa, pb = elems_a.get(eid), elems_b.get(eid)
            if pa is None and pb is not None:
                result.elements.append(ElementChange(key, eid, "added", pb["type"], pb.get("name")))
            elif pb is None and pa is not None:
                result.elements.append(ElementChange(key, eid, "removed", pa["type"], pa.get("name")))
            elif pa is not None and pb is not None and pa != pb:
                changes = tuple(
                    PropertyChange(k, pa.get(k), pb.get(k))
                    for k in [*LABELS, *sorted((pa.keys() | pb.keys()) - LABELS.keys())]
                    if pa.get(k) != pb.get(k)
                )
                result.elements.append(ElementChange(key, eid, "changed", pb["type"], pb.get("name"), changes))
    for path in sorted(files_a.keys() | files_b.keys()):
        if path.lower().endswith(".bpmn"):
            continue
        if path not in files_b:
            result.files.append((path, "removed"))
        elif path not in files_a:
            result.files.append((path, "added"))
        elif files_a[path] != files_b[path]:
            result.files.append((path, "changed"))
    return result


def _version(tx: Tx, process_key: str, version: int) -> ProcessVersion:
    from engine.definitions.versions import VERSION_COLUMNS

    row = tx.one(
        f"SELECT {VERSION_COLUMNS} FROM process_versions WHERE process_key = :k AND version = :v",
        {"k": process_key, "v": version},
    )
    if row is None:
        raise NotFoundError(f"流程版本不存在：{process_key} v{version}", f"No such version: {process_key} v{version}")
    return ProcessVersion.from_row(row)


def _processes(files: dict[str, bytes]) -> dict[str, Any]:
    """Every ``bpmn:process`` element of the bundle's BPMN files, by process id."""
    out: dict[str, Any] = {}
    for path in sorted(files):
        if not path.lower().endswith(".bpmn"):
            continue
        tree, problem = load_xml(path, files[path])
        if tree is None or problem is not None:
            continue  # a stored bundle was validated at deploy; an unreadable file has nothing to compare
        root = tree.getroot() if hasattr(tree, "getroot") else tree
        for proc in root.iter(f"{{{BPMN}}}process"):
            if proc.get("id"):
                out[proc.get("id")] = proc
    return out


def _reachable(key: str, procs: dict[str, Any]) -> set[str]:
    """The process and every process it calls (transitively) that the bundle holds."""
    seen: set[str] = set()
    todo = [key]
    while todo:
        k = todo.pop()
        if k in seen or k not in procs:
            continue
        seen.add(k)
        todo.extend(e.get("calledElement") for e in procs[k].iter(f"{{{BPMN}}}callActivity") if e.get("calledElement"))
    return seen


def _ordered(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> list[str]:
    """Element ids in document order: the old version's order, then what only the new one has."""
    return [*a, *(k for k in b if k not in a)]


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: Any) -> str | None:
    if el is None:
        return None
    text = (el.text or "").strip()
    return text or None


def _elements(proc: Any, files: dict[str, bytes]) -> dict[str, dict[str, str]]:
    """Every element with an id in a process (subprocesses included) as a flat property dict."""
    if proc is None:
        return {}
    lanes: dict[str, str] = {}
    for lane in proc.iter(f"{{{BPMN}}}lane"):
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            if ref.text:
                lanes[ref.text.strip()] = lane.get("name") or lane.get("id") or ""
    messages = _message_names(proc)
    out: dict[str, dict[str, str]] = {}
    for el in proc.iter():
        tag = _local(el.tag)
        eid = el.get("id")
        if not eid or tag in _SKIP or el is proc or el.getparent() is None:
            continue
        if tag.endswith("EventDefinition") or tag in ("conditionExpression", "timeDate", "timeDuration", "timeCycle"):
            continue  # folded into their event or flow
        if _local(el.getparent().tag) in ("extensionElements", "ioSpecification", "multiInstanceLoopCharacteristics"):
            continue
        out[eid] = _properties(el, tag, lanes.get(eid), messages, files)
    return out


def _message_names(proc: Any) -> dict[str, str]:
    """Message id → its name, with the correlation properties that message carries (``name [prop=expr]``)."""
    root = proc.getroottree().getroot()
    correlation: dict[str, list[str]] = {}
    for prop in root.iter(f"{{{BPMN}}}correlationProperty"):
        for expr in prop.iter(f"{{{BPMN}}}correlationPropertyRetrievalExpression"):
            text = _text(expr.find(f"{{{BPMN}}}formalExpression")) or ""
            correlation.setdefault(expr.get("messageRef") or "", []).append(
                f"{prop.get('name') or prop.get('id')}={text}"
            )
    names = {}
    for m in root.iter(f"{{{BPMN}}}message"):
        mid = m.get("id")
        if mid:
            keys = sorted(correlation.get(mid, []))
            names[mid] = (m.get("name") or mid) + (f" [{'; '.join(keys)}]" if keys else "")
    return names


def _properties(
    el: Any, tag: str, lane: str | None, messages: dict[str, str], files: dict[str, bytes]
) -> dict[str, str]:
    props: dict[str, str] = {"type": tag}
    for key, value in (
        ("name", el.get("name")),
        ("documentation", _text(el.find(f"{{{BPMN}}}documentation"))),
        ("lane", lane),
        ("source", el.get("sourceRef")),
        ("target", el.get("targetRef")),
        ("default", el.get("default")),
        ("called_element", el.get("calledElement")),
        ("attached_to", el.get("attachedToRef")),
        ("cancel_activity", el.get("cancelActivity")),
        ("condition", _text(el.find(f"{{{BPMN}}}conditionExpression"))),
        ("script", _text(el.find(f"{{{BPMN}}}script"))),
    ):
        if value:
            props[key] = value
    if tag == "boundaryEvent" and "cancel_activity" not in props:
        props["cancel_activity"] = "true"
    _event_properties(el, props, messages)
    _extension_properties(el, props, files)
    loop = next(
        (c for c in el if _local(c.tag) in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics")), None
    )
    if loop is not None:
        parts = [_local(loop.tag), *(f"{k}={v}" for k, v in sorted(loop.attrib.items()))]
        parts += [f"{_local(c.tag)}={_text(c) or ''}" for c in loop if _local(c.tag) != "extensionElements"]
        props["loop"] = " ".join(parts)
    return props


def _event_properties(el: Any, props: dict[str, str], messages: dict[str, str]) -> None:
    kinds = []
    for ed in el:
        kind = _local(ed.tag)
        if not kind.endswith("EventDefinition"):
            continue
        kinds.append(kind.removesuffix("EventDefinition"))
        if kind == "timerEventDefinition":
            for child in ed:
                if _local(child.tag) in ("timeDate", "timeDuration", "timeCycle"):
                    props["timer"] = f"{_local(child.tag)}: {_text(child) or ''}"
        elif kind == "messageEventDefinition" and ed.get("messageRef"):
            props["message"] = messages.get(ed.get("messageRef"), ed.get("messageRef"))
            _message_extensions(ed, props)
        elif ed.get("signalRef") or ed.get("errorRef") or ed.get("escalationRef"):
            props[f"{kind.removesuffix('EventDefinition')}_ref"] = str(
                ed.get("signalRef") or ed.get("errorRef") or ed.get("escalationRef")
            )
    if el.get("messageRef"):  # send/receive tasks
        props["message"] = messages.get(el.get("messageRef"), el.get("messageRef"))
        _message_extensions(el, props)
    if kinds and any(k in _EVENTS for k in kinds):
        props["event"] = "+".join(kinds)


def _message_extensions(el: Any, props: dict[str, str]) -> None:
    payload = _text(el.find(f".//{{{SPIFF}}}messagePayload"))
    variable = _text(el.find(f".//{{{SPIFF}}}messageVariable"))
    if payload:
        props["message_payload"] = payload
    if variable:
        props["message_variable"] = variable


def _extension_properties(el: Any, props: dict[str, str], files: dict[str, bytes]) -> None:
    ext = el.find(f"{{{BPMN}}}extensionElements")
    if ext is None:
        return
    values = {p.get("name"): p.get("value") or "" for p in ext.iter(f"{{{SPIFF}}}property") if p.get("name")}
    for key, name in (("role", "role"), ("form", "formJsonSchemaFilename"), ("ui_form", "formUiSchemaFilename")):
        if values.get(name):
            props[key] = values.pop(name)
    for name, value in values.items():  # dueDate, dueInWorkdays, priority, …: listed under their own name
        props[name] = value
    for key, child in (("pre_script", "preScript"), ("post_script", "postScript"), ("decision", "calledDecisionId")):
        text = _text(ext.find(f"{{{SPIFF}}}{child}"))
        if text:
            props[key] = text
    for ref_key, content_key in (("form", "form_content"), ("decision", "decision_content")):
        ref = props.get(ref_key)
        if ref:
            data = _find_file(files, ref, ".dmn" if ref_key == "decision" else None)
            if data is not None:
                import hashlib

                props[content_key] = hashlib.sha256(data).hexdigest()[:12]


def _find_file(files: dict[str, bytes], name: str, suffix: str | None) -> bytes | None:
    """The bundle file a task names (a form by file name; a decision: the DMN file defining that id)."""
    if suffix is None:
        for path, data in files.items():
            if path == name or posixpath.basename(path) == name:
                return data
        return None
    for path, data in sorted(files.items()):
        if path.lower().endswith(suffix) and f'id="{name}"'.encode() in data:
            return data
    return None


def _type_zh(tag: str) -> str:
    return {
        "userTask": "用户任务",
        "manualTask": "人工任务",
        "scriptTask": "脚本任务",
        "serviceTask": "服务任务",
        "businessRuleTask": "决策任务",
        "sendTask": "发送任务",
        "receiveTask": "接收任务",
        "callActivity": "调用活动",
        "subProcess": "子流程",
        "sequenceFlow": "连线",
        "exclusiveGateway": "排他网关",
        "parallelGateway": "并行网关",
        "inclusiveGateway": "包容网关",
        "eventBasedGateway": "事件网关",
        "startEvent": "开始事件",
        "endEvent": "结束事件",
        "boundaryEvent": "边界事件",
        "intermediateCatchEvent": "中间捕获事件",
        "intermediateThrowEvent": "中间抛出事件",
        "textAnnotation": "注释",
    }.get(tag, tag)
