"""Readability review of a BPMN diagram as drawn: what a process owner would trip over on screen.

``review(root)`` reads the BPMNDI of every plane of a parsed BPMN document and returns
:class:`Finding` s — each names the element (and the other element involved) by id:

- ``shared_segment``: two sequence flows run on top of each other for more than a few pixels, so
  one cannot tell where either goes (the issue found exits of one gateway sharing 1,500 px);
- ``crosses_shape``: a sequence flow runs through a task, event, gateway or artifact that is neither
  its source nor its target;
- ``crosses_label``: a sequence flow runs through another element's label;
- ``label_overlap``: a label covers a shape or another label;
- ``unlabeled_exit``: an exclusive, inclusive or complex gateway with several exits has an exit
  without a name, so the reader cannot tell which condition takes it (semantic, but it is what the
  diagram says, so it is reviewed here);
- ``hidden_marker``: a boundary event sits over the marker bpmn-js draws at the bottom centre of
  its host (call activity or collapsed sub-process "+", loop, multi-instance, compensation).

Flow-over-flow crossings are allowed: at a right angle they read fine; overlaps do not.

The review works on the coordinates in the file, whoever drew them (:mod:`engine.layout` or a
desktop modeler); ``shequflow lint`` reports the findings as warnings with the element ids, and the
generator is tested against it on every diagram it lays out.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any

from engine.layout.geometry import Box, Point, overlap

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

CONTAINERS = {"lane", "participant"}  # drawn around other shapes: never "crossed"
CONDITIONAL_GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "complexGateway"}
MARKED = {"callActivity", "adHocSubProcess", "transaction"}  # always carry a bottom-centre marker
MARKER_ZONE = (24, 22)  # half width and height of the marker band at a host's bottom centre
SHARED_MIN = 6  # flows overlapping for longer than this (px) share a segment
TOLERANCE = 2  # a line this close to a coordinate runs on it


@dataclass(frozen=True)
class Finding:
    """One readability problem of a diagram, at an element (and the other element involved)."""

    kind: str
    element: str
    other: str | None
    zh: str
    en: str


@dataclass
class _Plane:
    shapes: dict[str, Box]
    labels: dict[str, Box]
    flows: dict[str, list[Point]]


def _bounds(el: Any) -> Box | None:
    b = el.find(f"{{{DC}}}Bounds")
    if b is None:
        return None
    try:
        x, y, w, h = (round(float(b.get(k, "0"))) for k in ("x", "y", "width", "height"))
    except ValueError:
        return None
    return Box(x, y, w, h)


def _read_plane(plane: Any, tags: dict[str, str], expanded: set[str]) -> _Plane:
    shapes: dict[str, Box] = {}
    labels: dict[str, Box] = {}
    flows: dict[str, list[Point]] = {}
    for el in plane:
        ref = el.get("bpmnElement")
        label = el.find(f"{{{BPMNDI}}}BPMNLabel")
        if label is not None and (box := _bounds(label)) is not None and ref:
            labels[ref] = box
        if el.tag == f"{{{BPMNDI}}}BPMNShape" and ref and tags.get(ref) not in CONTAINERS and ref not in expanded:
            if (box := _bounds(el)) is not None:
                shapes[ref] = box
        elif el.tag == f"{{{BPMNDI}}}BPMNEdge" and tags.get(ref) == "sequenceFlow":
            try:
                points = [(round(float(w.get("x"))), round(float(w.get("y")))) for w in el.iter(f"{{{DI}}}waypoint")]
            except (TypeError, ValueError):
                continue
            flows[ref] = points
    return _Plane(shapes, labels, flows)


def _inside(box: Box, shrink: int = TOLERANCE) -> Box:
    return Box(box.x + shrink, box.y + shrink, max(0, box.w - 2 * shrink), max(0, box.h - 2 * shrink))


def _meets(box: Box, p: Point, q: Point) -> bool:
    """Whether segment p-q enters the box (touching its edge does not count)."""
    inner = _inside(box)
    return inner.w > 0 and inner.h > 0 and inner.hits(p, q, pad=0)


def _overlaps(a: Box, b: Box) -> bool:
    return (
        a.x < b.right - TOLERANCE
        and b.x < a.right - TOLERANCE
        and a.y < b.bottom - TOLERANCE
        and b.y < a.bottom - TOLERANCE
    )


def _has_marker(el: Any) -> bool:
    tag = el.tag.rsplit("}", 1)[-1]
    if tag in MARKED or el.get("isForCompensation") == "true":
        return True
    if tag == "subProcess":
        return True  # collapsed ones show "+"; expanded ones are not reviewed as hosts (see below)
    return any(
        child.tag in (f"{{{BPMN}}}standardLoopCharacteristics", f"{{{BPMN}}}multiInstanceLoopCharacteristics")
        for child in el
    )


def review(root: Any) -> list[Finding]:
    """Review every plane of a parsed BPMN document (an lxml root element)."""
    elements = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    tags = {i: el.tag.rsplit("}", 1)[-1] for i, el in elements.items()}
    expanded = {
        s.get("bpmnElement")
        for s in root.iter(f"{{{BPMNDI}}}BPMNShape")
        if s.get("isExpanded") == "true" and s.get("bpmnElement")
    }
    found: list[Finding] = [*_unlabeled_exits(root, tags)]
    for plane in root.iter(f"{{{BPMNDI}}}BPMNPlane"):
        p = _read_plane(plane, tags, expanded)
        found += _shared_segments(p)
        found += _crossings(p, elements, tags)
        found += _label_overlaps(p)
        found += _hidden_markers(p, elements, tags, expanded)
    return found


def _shared_segments(p: _Plane) -> list[Finding]:
    out = []
    segments = {f: list(pairwise(points)) for f, points in p.flows.items()}
    for a, b in combinations(sorted(segments), 2):
        length = max((overlap(s, t, TOLERANCE) for s in segments[a] for t in segments[b]), default=0)
        if length > SHARED_MIN:
            out.append(
                Finding(
                    "shared_segment",
                    a,
                    b,
                    f"顺序流与“{b}”有一段重合（{length} 像素），看不出各自去向",
                    f"sequence flow shares a {length} px segment with {b}",
                )
            )
    return out


def _crossings(p: _Plane, elements: dict[str, Any], tags: dict[str, str]) -> list[Finding]:
    out = []
    for fid, points in p.flows.items():
        el = elements.get(fid)
        ends = {el.get("sourceRef"), el.get("targetRef")} if el is not None else set()
        for sid, box in p.shapes.items():
            if sid not in ends and any(_meets(box, a, b) for a, b in pairwise(points)):
                out.append(
                    Finding(
                        "crosses_shape",
                        fid,
                        sid,
                        f"顺序流穿过了“{_name(elements.get(sid), sid)}”",
                        f"sequence flow runs through {sid}",
                    )
                )
        for lid, box in p.labels.items():
            if lid != fid and any(_meets(box, a, b) for a, b in pairwise(points)):
                out.append(
                    Finding(
                        "crosses_label",
                        fid,
                        lid,
                        f"顺序流穿过了“{_name(elements.get(lid), lid)}”的标签",
                        f"sequence flow runs through the label of {lid}",
                    )
                )
    return out


def _label_overlaps(p: _Plane) -> list[Finding]:
    out = []
    for lid, box in p.labels.items():
        for sid, shape in p.shapes.items():
            if _overlaps(box, shape):
                out.append(
                    Finding("label_overlap", lid, sid, f"标签压在“{sid}”上", f"label overlaps the shape of {sid}")
                )
    for (a, box_a), (b, box_b) in combinations(sorted(p.labels.items()), 2):
        if _overlaps(box_a, box_b):
            out.append(Finding("label_overlap", a, b, f"标签与“{b}”的标签重叠", f"label overlaps the label of {b}"))
    return out


def _hidden_markers(p: _Plane, elements: dict[str, Any], tags: dict[str, str], expanded: set[str]) -> list[Finding]:
    out = []
    for bid, box in p.shapes.items():
        if tags.get(bid) != "boundaryEvent":
            continue
        host_id = elements[bid].get("attachedToRef")
        host, host_box = elements.get(host_id), p.shapes.get(host_id or "")
        if host is None or host_box is None or host_id in expanded or not _has_marker(host):
            continue
        half_w, height = MARKER_ZONE
        zone = Box(host_box.cx - half_w, host_box.bottom - height, 2 * half_w, height)
        if _overlaps(box, zone):
            out.append(
                Finding(
                    "hidden_marker",
                    bid,
                    host_id,
                    f"边界事件遮住了“{_name(host, host_id)}”底部的标记",
                    f"boundary event hides the marker at the bottom of {host_id}",
                )
            )
    return out


def _unlabeled_exits(root: Any, tags: dict[str, str]) -> list[Finding]:
    out = []
    for process in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        flows = [f for f in process if f.tag == f"{{{BPMN}}}sequenceFlow"]
        for gw in process:
            if gw.tag.rsplit("}", 1)[-1] not in CONDITIONAL_GATEWAYS:
                continue
            exits = [f for f in flows if f.get("sourceRef") == gw.get("id")]
            if len(exits) < 2:
                continue
            for f in exits:
                if not (f.get("name") or "").strip():
                    out.append(
                        Finding(
                            "unlabeled_exit",
                            f.get("id"),
                            gw.get("id"),
                            f"网关“{_name(gw, gw.get('id'))}”的出口没有名称，读者看不出走这条线的条件",
                            f"exit of gateway {gw.get('id')} has no name",
                        )
                    )
    return out


def _name(el: Any, fallback: str | None) -> str:
    return (el.get("name") if el is not None else None) or fallback or ""
