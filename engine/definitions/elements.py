"""BPMN elements as flat property dicts: what the engine reads from each element, for comparing versions.

Every element with an id inside a ``bpmn:process`` (subprocesses included) becomes ``{key: text}`` with
the properties a process owner edits — name, documentation, lane, task role, forms (and a hash of the
form file), scripts, conditions, timers, messages with their payload and correlation, the called
process, the decision (and a hash of its DMN file), boundary attachment, loops. Parsed with
:mod:`engine.definitions.xmlsafe`, so a stored bundle never expands an entity here either.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from engine.definitions.xmlsafe import load_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# elements that are not steps of a process or not worth marking on their own
_SKIP = {"laneSet", "lane", "documentation", "extensionElements", "incoming", "outgoing", "flowNodeRef", "text"}
_EVENTS = ("timer", "message", "signal", "error", "escalation", "conditional", "terminate", "link", "compensate")


def processes(files: dict[str, bytes]) -> dict[str, Any]:
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


def reachable(key: str, procs: dict[str, Any]) -> set[str]:
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


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(el: Any) -> str | None:
    if el is None:
        return None
    text = (el.text or "").strip()
    return text or None


def elements(proc: Any, files: dict[str, bytes]) -> dict[str, dict[str, str]]:
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
