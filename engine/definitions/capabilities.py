"""What a diagram asks of the engine that the engine does not do by itself: connectors, data stores, dialects.

* **Service tasks** run a connector the operator registered (:mod:`engine.connectors`). A service task
  must name one in ``spiffworkflow:serviceTaskOperator``, and the name must be registered — otherwise
  deploy would accept a task that can only fail when a case reaches it.
* **Data stores** (``bpmn:dataStore``, ``bpmn:dataStoreReference`` and SpiffWorkflow's data-store
  extensions) are not supported: data shared between cases would live outside the instance state that
  versions, audit and migration rely on. SpiffWorkflow alone reports them as "no implementation" without
  a line or an element; here each one is named.
* **Camunda and Zeebe extensions** (``camunda:`` and ``zeebe:`` attributes and elements) are read by the
  Spiff parser and silently dropped: a ``camunda:decisionRef``, ``camunda:formKey`` or
  ``zeebe:taskDefinition`` looks configured in the modeler and does nothing. Each one is a warning.
* **Event subprocesses SpiffWorkflow 3.2 mishandles** (found by the construct matrix, pinned there as
  strict xfails): an error or escalation start event is parsed as a none start event, so the event
  subprocess starts with the case; ``isInterrupting`` (true by default) is ignored, so an
  "interrupting" event subprocess never cancels the main flow. Each is a warning naming the element.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lxml import etree

from engine.definitions.problems import BPMN_NS, SPIFF_NS, Problem, problem_at

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
_DIALECTS = {CAMUNDA_NS: ("camunda", "Camunda"), ZEEBE_NS: ("zeebe", "Zeebe")}
_SERVICE_TASK = f"{{{BPMN_NS}}}serviceTask"
_OPERATOR = f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}serviceTaskOperator"
_DATA_STORES = (f"{{{BPMN_NS}}}dataStore", f"{{{BPMN_NS}}}dataStoreReference")

DATA_STORES_UNSUPPORTED = "data stores are not supported"
# SpiffWorkflow messages about data stores that a data-store problem of the same file already explains
SPIFF_DATA_STORE_MESSAGES = (
    "Data Store",
    "Cannot resolve dataInputAssociation",
    "Cannot resolve dataOutputAssociation",
)


def check_capabilities(name: str, root: Any, known_connectors: Collection[str]) -> list[Problem]:
    """Check service-task connectors, data stores and Camunda/Zeebe extensions of one BPMN file."""
    return [
        *check_service_tasks(name, root, known_connectors),
        *check_data_stores(name, root),
        *check_dialects(name, root),
        *check_event_subprocesses(name, root),
    ]


def check_event_subprocesses(name: str, root: Any) -> list[Problem]:
    """Warn about event-subprocess start events SpiffWorkflow 3.2 runs differently from the diagram."""
    problems = []
    for sub in root.iter(f"{{{BPMN_NS}}}subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(f"{{{BPMN_NS}}}startEvent"):
            kinds = {etree.QName(c).localname for c in start if etree.QName(c).localname.endswith("EventDefinition")}
            if kinds & {"errorEventDefinition", "escalationEventDefinition"}:
                problems.append(
                    problem_at(
                        name,
                        start,
                        "SpiffWorkflow 3.2 不支持由错误或升级触发的事件子流程：该开始事件被当作普通开始事件，"
                        "事件子流程会随案件一起启动",
                        "SpiffWorkflow 3.2 parses an error or escalation start event as a none start event: "
                        "this event subprocess starts with the case",
                        "warning",
                    )
                )
            elif kinds and start.get("isInterrupting", "true") == "true":
                problems.append(
                    problem_at(
                        name,
                        start,
                        "SpiffWorkflow 3.2 忽略 isInterrupting：该事件子流程不会中断主流程"
                        '（如需并行处理，请设 isInterrupting="false"）',
                        "SpiffWorkflow 3.2 ignores isInterrupting: this event subprocess will not cancel the main "
                        'flow (set isInterrupting="false" to say so)',
                        "warning",
                    )
                )
    return problems


def check_service_tasks(name: str, root: Any, known_connectors: Collection[str]) -> list[Problem]:
    """Refuse a service task without a connector, or whose connector is not registered."""
    problems = []
    known = "、".join(sorted(known_connectors)) or "无"
    for task in root.iter(_SERVICE_TASK):
        operator = task.find(_OPERATOR)
        connector = (operator.get("id") or "").strip() if operator is not None else ""
        if not connector:
            problems.append(
                problem_at(
                    name,
                    task if operator is None else operator,
                    "服务任务没有指定连接器（缺少 spiffworkflow:serviceTaskOperator）",
                    "service task names no connector: spiffworkflow:serviceTaskOperator is missing",
                    owner=task,
                )
            )
        elif connector not in known_connectors:
            problems.append(
                problem_at(
                    name,
                    operator,
                    f"服务任务调用的连接器“{connector}”未注册（已注册：{known}）",
                    f"connector {connector!r} is not registered; register it with SHEQUFLOW_CONNECTORS "
                    "or register_connector()",
                    owner=task,
                )
            )
    return problems


def check_data_stores(name: str, root: Any) -> list[Problem]:
    """Refuse every data store, data store reference and SpiffWorkflow data-store extension element."""
    found = [el for el in root.iter(*_DATA_STORES)]
    found += [
        el
        for el in root.iter(f"{{{SPIFF_NS}}}*")
        if "datastore" in etree.QName(el).localname.lower() and not _inside(el, found)
    ]
    return [
        problem_at(
            name,
            el,
            "不支持数据存储（data store），请改用服务任务连接器或流程数据",
            DATA_STORES_UNSUPPORTED,
            owner=el if el.get("id") else _owner(el),
        )
        for el in sorted(found, key=lambda e: e.sourceline or 0)
    ]


def check_dialects(name: str, root: Any) -> list[Problem]:
    """Warn about every Camunda/Zeebe attribute and outermost element: the Spiff parser drops them."""
    problems = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        ns = etree.QName(el).namespace
        if ns in _DIALECTS:
            parent = el.getparent()
            if parent is None or etree.QName(parent).namespace not in _DIALECTS:
                prefix, label = _DIALECTS[ns]
                what = f"{prefix}:{etree.QName(el).localname}"
                problems.append(_dropped(name, el, _owner(el), label, "元素", "element", what))
            continue
        for attr in el.attrib:
            attr_ns = etree.QName(attr).namespace
            if attr_ns in _DIALECTS:
                prefix, label = _DIALECTS[attr_ns]
                what = f"{prefix}:{etree.QName(attr).localname}"
                owner = el if el.get("id") else _owner(el)
                problems.append(_dropped(name, el, owner, label, "属性", "attribute", what))
    return problems


def _dropped(name: str, at: Any, owner: Any, label: str, zh_kind: str, en_kind: str, what: str) -> Problem:
    return problem_at(
        name,
        at,
        f"{label} 扩展{zh_kind} {what} 不受支持，将被忽略",
        f"{label} extension {en_kind} {what} is not supported and is dropped",
        "warning",
        owner=owner,
    )


def _owner(el: Any) -> Any:
    """The nearest enclosing element with an id (the task, event or process a modeller clicks on)."""
    return next((anc for anc in el.iterancestors() if anc.get("id")), el)


def _inside(el: Any, others: list[Any]) -> bool:
    return any(anc in others for anc in el.iterancestors())
