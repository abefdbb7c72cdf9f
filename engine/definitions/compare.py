"""Compare two stored versions of a process: which BPMN elements were added, removed or changed, and how.

The comparison reads the BPMN XML of both stored bundles (parsed with :mod:`engine.definitions.xmlsafe`),
not SpiffWorkflow's specs: a process owner changes names, documentation, lanes, forms, scripts,
conditions, timers and messages — things a spec diff either does not see (documentation, sequence-flow
conditions live on the gateway) or reports only as an opaque attribute name. Every element with an id
inside the compared processes is reduced to a flat dict of the properties our engine reads
(:mod:`engine.definitions.elements`), and the two dicts are compared key by key. Elements are matched
by id (BPMN ids are stable across edits in every modeler); the processes compared are the process
itself and the processes it calls that sit in the same bundle. Form and decision files referenced by
the diagram are compared by content, so a form edited without touching the diagram still marks the
tasks that use it.

The result is plain dataclasses: element ids mark both diagrams, and each change has a Chinese and an
English label for the list beside them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.definitions.elements import elements, processes, reachable
from engine.definitions.versions import Definitions, ProcessVersion
from engine.errors import InputError, NotFoundError
from engine.store.db import Tx

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
    procs_a, procs_b = processes(files_a), processes(files_b)
    if process_key not in procs_a and process_key not in procs_b:
        raise NotFoundError(f"流程包中没有流程“{process_key}”", f"No process '{process_key}' in the bundles")
    keys = reachable(process_key, procs_a) | reachable(process_key, procs_b)
    result = VersionComparison(process_key, old, new)
    for key in sorted(keys, key=lambda k: (k != process_key, k)):
        elems_a = elements(procs_a.get(key), files_a)
        elems_b = elements(procs_b.get(key), files_b)
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


def _ordered(a: dict[str, dict[str, str]], b: dict[str, dict[str, str]]) -> list[str]:
    """Element ids in document order: the old version's order, then what only the new one has."""
    return [*a, *(k for k in b if k not in a)]


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
