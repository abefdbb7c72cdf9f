"""Generate BPMN diagram interchange (BPMNDI) for process models written without coordinates.

``layout_bpmn(xml)`` returns a BPMN 2.0 document with a fresh ``bpmndi:BPMNDiagram`` (any old one
is dropped) that bpmn-js draws as one pool with horizontal lanes; ``python -m engine.layout
IN.bpmn [-o OUT.bpmn | --in-place]`` does it to a file. Process semantics are left alone.

Algorithm (shared/bpmn-js.md):
1. Graph: flow nodes and sequence flows (``sourceRef``/``targetRef``) of the process; a boundary
   event counts as its host, so whatever follows it ranks after the host.
2. Back edges: depth-first search from the start events (then from nodes without incoming flows,
   then from anything left, in document order) marks the flows that close a cycle.
3. Columns: longest-path rank over the other flows (reverse DFS post-order is topological).
4. Rows: each node goes to its lane's band, lanes in declared order; a node no lane lists goes
   to the first lane. Nodes of one lane in one column stack into sub-rows in DFS order, and the
   band is as tall as its fullest column.
5. Boundary events sit centred on their host's bottom edge, 40 px apart, label beside them.
6. Edges are right-angled: straight within a row; splits leave a gateway from top/bottom, joins
   enter one from top/bottom, other row changes bend in the gap between columns; back edges run
   below (or above) and enter the target from below. A route that would cross a shape gives way
   to one through the free channel beside the row.
7. Labels of named events, gateways and flows go where they hit no shape, edge or label.

Also written: a collaboration and participant (named after the process) when missing; the
``incoming``/``outgoing`` children flow nodes lack, in XSD order (after documentation,
extensionElements, auditing, monitoring, categoryValueRef); data object/store references and
text annotations in a sub-row under the node they are associated with (else under column 0 of
the first lane), joined by straight association lines.

Limits: one pool, one level of lanes (nested lanes fold into their top-level lane); no laneSet
gives a pool without lanes; a boundary event is drawn in its host's lane; other participants and
message flows are not drawn. Sub-processes are drawn collapsed, their content on its own plane
(bpmn-js drill-down) laid out without lanes. No crossing minimisation: edges may cross or share
a channel. The whole document is re-indented with two spaces.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
DI_NAMESPACES = {"bpmndi": BPMNDI, "dc": DC, "di": DI}

COL_W, ROW_H = 150, 150  # column width, sub-row height
ORIGIN, HEADER = (100, 60), 30  # pool corner; name band of the pool and of each lane
SIZES = {"event": (36, 36), "task": (100, 80), "gateway": (50, 50), "textAnnotation": (100, 40),
         "dataObjectReference": (36, 50), "dataStoreReference": (50, 50)}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
TASKS = SUBPROCESSES | {"task", "userTask", "manualTask", "scriptTask", "serviceTask",
                        "businessRuleTask", "sendTask", "receiveTask", "callActivity"}
ARTIFACTS = ("dataObjectReference", "dataStoreReference", "textAnnotation")
HEAD = ("documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef")

Element = Any  # lxml has no type stubs here
Point = tuple[int, int]


@dataclass(frozen=True)
class Box:
    """An axis-parallel rectangle in diagram coordinates."""

    x: int
    y: int
    w: int
    h: int

    @property
    def cx(self) -> int:
        return self.x + self.w // 2

    @property
    def cy(self) -> int:
        return self.y + self.h // 2

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    def hits(self, a: Point, b: Point, pad: int = 4) -> bool:
        """Tell whether the segment a-b passes within ``pad`` of this box."""
        (x1, x2), (y1, y2) = sorted((a[0], b[0])), sorted((a[1], b[1]))
        return x1 < self.right + pad and x2 > self.x - pad and y1 < self.bottom + pad and y2 > self.y - pad


@dataclass
class Graph:
    """Flow nodes and sequence flows of one process or sub-process, in document order."""

    tags: dict[str, str] = field(default_factory=dict)  # node id -> local tag name
    names: dict[str, str] = field(default_factory=dict)  # node or flow id -> name
    hosts: dict[str, str] = field(default_factory=dict)  # boundary event -> host
    flows: dict[str, tuple[str, str]] = field(default_factory=dict)  # flow -> (source, target)
    artifacts: dict[str, str] = field(default_factory=dict)  # artifact id -> local tag name

    def kind(self, node: str) -> str:
        tag = self.tags.get(node, "")
        return "event" if tag.endswith("Event") else "gateway" if tag.endswith("Gateway") else "task"

    def anchor(self, node: str) -> str:
        return self.hosts.get(node, node)


@dataclass
class Layout:
    """Shapes, lane bands, edges and labels of one plane."""

    boxes: dict[str, Box] = field(default_factory=dict)
    bands: list[tuple[str | None, Box]] = field(default_factory=list)
    edges: dict[str, list[Point]] = field(default_factory=dict)
    labels: dict[str, Box] = field(default_factory=dict)


def _q(local: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{local}"


def _local(el: Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN}}}") else ""


def _read_graph(container: Element) -> Graph:
    """Collect the flow nodes and sequence flows directly inside ``container``."""
    g = Graph()
    for el in container:
        tag, el_id = _local(el), el.get("id")
        if tag == "sequenceFlow":
            g.flows[el_id] = (el.get("sourceRef"), el.get("targetRef"))
        elif tag in ARTIFACTS:
            g.artifacts[el_id] = tag
        elif tag.endswith(("Event", "Gateway")) or tag in TASKS:
            g.tags[el_id] = tag
            if tag == "boundaryEvent" and el.get("attachedToRef"):
                g.hosts[el_id] = el.get("attachedToRef")
        if el.get("name"):
            g.names[el_id] = el.get("name")
    g.flows = {f: st for f, st in g.flows.items() if st[0] in g.tags and st[1] in g.tags}
    g.hosts = {b: h for b, h in g.hosts.items() if h in g.tags}
    return g


def _search(g: Graph) -> tuple[set[str], list[str], dict[str, int]]:
    """Return the back edges, the DFS pre-order of non-boundary nodes, and their column ranks."""
    succ: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for fid, (s, t) in g.flows.items():
        succ[g.anchor(s)].append((fid, g.anchor(t)))
    targets = {t for edges in succ.values() for _, t in edges}
    nodes = [n for n in g.tags if n not in g.hosts]
    roots = [n for n in nodes if g.tags[n] == "startEvent"] + [n for n in nodes if n not in targets]
    state: dict[str, bool] = {}  # False while on the DFS stack, True when done
    back: set[str] = set()
    pre: list[str] = []
    post: list[str] = []

    def visit(n: str) -> None:
        state[n] = False
        pre.append(n)
        for fid, m in succ[n]:
            if m not in state:
                visit(m)
            elif state[m] is False:
                back.add(fid)
        state[n] = True
        post.append(n)

    for root in roots + nodes:
        if root not in state:
            visit(root)
    rank = dict.fromkeys(nodes, 0)
    for n in reversed(post):
        for fid, m in succ[n]:
            if fid not in back:
                rank[m] = max(rank[m], rank[n] + 1)
    return back, pre, rank


def _artifacts(container: Element, g: Graph) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
    """Return artifacts with the node they belong to, and association edges (id, source, target)."""
    owner: dict[str, str | None] = dict.fromkeys(g.artifacts)
    links: list[tuple[str, str, str]] = []
    for el in container.iter(_q("association"), _q("dataInputAssociation"), _q("dataOutputAssociation")):
        tag, node = _local(el), el.getparent().get("id")
        if tag == "association":
            pair = (el.get("sourceRef"), el.get("targetRef"))
        else:
            ref = el.findtext(_q("sourceRef" if tag == "dataInputAssociation" else "targetRef"), "").strip()
            pair = (ref, node) if tag == "dataInputAssociation" else (node, ref)
        art = next((p for p in pair if p in owner), None)
        other = next((p for p in pair if p in g.tags), None)
        if el.get("id") and art and other:
            owner[art] = owner[art] or other
            links.append((el.get("id"), *pair))
    return owner, links


def _place(g: Graph, lanes: list[tuple[str | None, list[str]]], owners: dict[str, str | None],
           x0: int, y0: int) -> tuple[Layout, set[str]]:
    """Put nodes into lane bands, columns and sub-rows; return the layout and the back edges."""
    back, order, rank = _search(g)
    lane_of = {n: i for i, (_, refs) in reversed(list(enumerate(lanes))) for n in refs}
    cells: dict[tuple[int, int], list[str]] = defaultdict(list)
    for n in order:
        cells[(lane_of.get(n, 0), rank[n])].append(n)
    for art, node in owners.items():
        node = g.anchor(node) if node else None
        cells[(lane_of.get(node, 0), rank[node]) if node else (0, 0)].append(art)
    columns = max(rank.values(), default=0) + 1
    lay, y = Layout(), y0
    for i, (lane_id, _) in enumerate(lanes):
        rows = max((len(cells[(i, c)]) for c in range(columns)), default=1) or 1
        lay.bands.append((lane_id, Box(x0, y, HEADER + columns * COL_W + 20, rows * ROW_H)))
        for c in range(columns):
            for r, n in enumerate(cells[(i, c)]):
                w, h = SIZES[g.artifacts.get(n) or g.kind(n)]
                cx, cy = x0 + HEADER + c * COL_W + COL_W // 2, y + r * ROW_H + ROW_H // 2
                lay.boxes[n] = Box(cx - w // 2, cy - h // 2, w, h)
        y += rows * ROW_H
    attached: dict[str, list[str]] = defaultdict(list)
    for b, host in g.hosts.items():
        attached[host].append(b)
    for host, events in attached.items():
        hb = lay.boxes[host]
        for i, b in enumerate(events):
            cx = hb.cx + (2 * i - len(events) + 1) * 20  # 40 apart, centred on the host
            lay.boxes[b] = Box(cx - 18, hb.bottom - 18, 36, 36)
    return lay, back


def _bottom(box: Box, kind: str) -> Point:
    """Bottom port: the centre of events and gateways, off-centre (clear of timers) for tasks."""
    return (box.right - 15 if kind == "task" else box.cx, box.bottom)


def _clean(points: list[Point]) -> list[Point]:
    """Drop repeated points and points in the middle of a straight run."""
    out: list[Point] = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
        else:
            out.append(p)
    return out


def _candidates(s: Box, sk: str, t: Box, tk: str, *, back: bool, boundary: bool, split: bool, join: bool,
                floor: int) -> list[list[Point]]:
    """Right-angled routes from s to t, best first; ``floor``: lowest point of both, boundary events included."""
    left, gap_t = (t.x, t.cy), t.cx - COL_W // 2  # gap_t: the free gap before t's column
    p_low = (s.cx, s.bottom) if boundary else _bottom(s, sk)
    if back or t.cx <= s.cx:
        q = _bottom(t, tk)
        if t.bottom < s.y and not boundary:  # target in a higher row: up, across, into its bottom
            return [[(s.cx, s.y), (s.cx, y), (q[0], y), q] for y in (s.y - 20, t.bottom + 36)]
        if t.y > s.bottom:  # target in a lower row: down, across, into its top
            return [[p_low, (p_low[0], t.y - 20), (t.cx, t.y - 20), (t.cx, t.y)]]
        return [[p_low, (p_low[0], y), (q[0], y), q] for y in (floor + 14, floor + 26)]
    if boundary:
        direct = [[p_low, (p_low[0], t.cy), left]] if t.cy > p_low[1] + 10 else []
        return [*direct, [p_low, (p_low[0], p_low[1] + 14), (gap_t, p_low[1] + 14), (gap_t, t.cy), left]]
    down, right = t.cy > s.cy, (s.right, s.cy)
    routes = [[right, left]] if s.cy == t.cy else []
    if s.cy != t.cy:
        if split:
            routes.append([(s.cx, s.bottom if down else s.y), (s.cx, t.cy), left])
        if join:
            routes.append([right, (t.cx, s.cy), (t.cx, t.y if down else t.bottom)])
        routes += [[right, (x, s.cy), (x, t.cy), left] for x in (s.cx + COL_W // 2, gap_t)]
    p = p_low if down or s.cy == t.cy else (s.cx, s.y)
    yc = s.cy + (ROW_H // 2 - 8) * (-1 if p[1] < s.cy else 1)  # channel beside the source row
    if join and s.cy == t.cy:
        routes.append([p, (p[0], yc), (t.cx, yc), (t.cx, t.bottom if yc > t.cy else t.y)])
    return [*routes, [p, (p[0], yc), (gap_t, yc), (gap_t, t.cy), left]]


def _route_all(g: Graph, lay: Layout, back: set[str]) -> None:
    """Route every sequence flow, avoiding the other shapes where a candidate allows."""
    outs, ins = Counter(s for s, _ in g.flows.values()), Counter(t for _, t in g.flows.values())
    low = {n: b.bottom for n, b in lay.boxes.items()}
    for event, host in g.hosts.items():
        low[host] = max(low[host], lay.boxes[event].bottom)
    for fid, (src, tgt) in g.flows.items():
        s, t, sk, tk = lay.boxes[src], lay.boxes[tgt], g.kind(src), g.kind(tgt)
        routes = [_clean(r) for r in _candidates(
            s, sk, t, tk, back=fid in back, boundary=src in g.hosts, floor=max(low[src], low[tgt]),
            split=sk == "gateway" and outs[src] > 1, join=tk == "gateway" and ins[tgt] > 1)]
        others = [b for n, b in lay.boxes.items() if n not in (src, tgt)]
        lay.edges[fid] = next((r for r in routes if not _blocked(r, others)), routes[0])


def _blocked(route: list[Point], boxes: list[Box]) -> bool:
    return any(b.hits(p, q) for b in boxes for p, q in pairwise(route))


def _text_box(text: str, cx: int, cy: int, anchor: str = "centre") -> Box:
    """A label box at (cx, cy) (its centre, left end or right end), wrapped at 90 px like bpmn-js."""
    width = sum(12 if ord(ch) > 0x2E7F else 7 for ch in text) + 8
    w, h = min(width, 90), 14 * max(1, -(-width // 86))
    x = {"centre": cx - w // 2, "left": cx, "right": cx - w}[anchor]
    return Box(x, cy - h // 2, w, h)


def _place_labels(g: Graph, lay: Layout) -> None:
    """Place labels of named events, gateways and flows where they hit nothing already drawn."""
    segments = [seg for r in lay.edges.values() for seg in pairwise(r)]

    def first_free(own: str, boxes: list[Box]) -> Box:
        taken = [b for n, b in lay.boxes.items() if n != own] + list(lay.labels.values())
        return next((box for box in boxes if not any(
            b.hits((box.x, box.y), (box.right, box.bottom), 2) for b in taken) and not any(
            box.hits(p, q, 0) for p, q in segments)), boxes[0])

    for n in (n for n in g.tags if n in g.names and g.kind(n) != "task"):
        b, h = lay.boxes[n], _text_box(g.names[n], 0, 0).h
        spots = [(b.cx, b.bottom + 4 + h // 2, "centre"), (b.cx, b.y - 4 - h // 2, "centre")]
        if n in g.hosts:
            spots = [(b.x - 4, b.cy + 6 + h // 2, "right"), (b.right + 4, b.cy + 6 + h // 2, "left")]
        lay.labels[n] = first_free(n, [_text_box(g.names[n], *spot) for spot in spots])
    for fid in (f for f in g.flows if f in g.names):
        segs, h = list(pairwise(lay.edges[fid])), _text_box(g.names[fid], 0, 0).h
        boxes = [_text_box(g.names[fid], min(p[0], q[0]) + 8, p[1] - 4 - h // 2, "left") if p[1] == q[1]
                 else _text_box(g.names[fid], p[0] + 6, (p[1] + q[1]) // 2, "left")
                 for p, q in segs[1:2] + segs[:1] + segs[2:]]  # after the bend first: no sibling shares it
        lay.labels[fid] = first_free(fid, boxes)


def _layout_container(container: Element, lanes: list[tuple[str | None, list[str]]], x0: int, y0: int,
                      ) -> tuple[Graph, Layout]:
    """Lay out the nodes, flows, artifacts and labels directly inside a process or sub-process."""
    g = _read_graph(container)
    owners, links = _artifacts(container, g)
    lay, back = _place(g, lanes, owners, x0, y0)
    _route_all(g, lay, back)
    for aid, src, tgt in links:
        s, t = lay.boxes[src], lay.boxes[tgt]
        ends = [(s.cx, s.bottom), (t.cx, t.y)] if s.cy < t.cy else [(s.cx, s.y), (t.cx, t.bottom)]
        for i, box in ((0, s), (1, t)):  # a text annotation is a bracket on its left side
            if g.artifacts.get(src if i == 0 else tgt) == "textAnnotation":
                ends[i] = (box.x, box.cy)
        lay.edges[aid] = ends
    _place_labels(g, lay)
    return g, lay


def _fresh(base: str, ids: set[str]) -> str:
    """Return ``base`` or ``base_2``, ``base_3``... whichever no element of the document uses yet."""
    name, n = base, 1
    while name in ids:
        n += 1
        name = f"{base}_{n}"
    ids.add(name)
    return name


def _ensure_participant(defs: Element, process: Element, ids: set[str]) -> tuple[str, str]:
    """Return the ids of the collaboration and of the participant for ``process``, adding them if missing."""
    pid = process.get("id")
    collab = defs.find(_q("collaboration"))
    if collab is None:
        collab = etree.SubElement(defs, _q("collaboration"), id=_fresh(f"Collaboration_{pid}", ids))
        process.addprevious(collab)
    part = next((p for p in collab.findall(_q("participant")) if p.get("processRef") == pid), None)
    if part is None:
        part = etree.SubElement(collab, _q("participant"), id=_fresh(f"Participant_{pid}", ids),
                                name=process.get("name") or pid, processRef=pid)
        collab.insert(max((i + 1 for i, c in enumerate(collab) if _local(c) in (*HEAD[:2], "participant")),
                          default=0), part)
    for el, base in ((collab, "Collaboration_1"), (part, f"Participant_{pid}")):
        if not el.get("id"):
            el.set("id", _fresh(base, ids))
    return collab.get("id"), part.get("id")


def _ensure_refs(container: Element, g: Graph) -> None:
    """Add the incoming/outgoing children that flow nodes lack, after the children the XSD puts first."""
    for el in container:
        node = el.get("id")
        if node not in g.tags:
            continue
        for tag, wanted in (("incoming", [f for f, (_, t) in g.flows.items() if t == node]),
                            ("outgoing", [f for f, (s, _) in g.flows.items() if s == node])):
            before = (*HEAD, "incoming", "outgoing") if tag == "outgoing" else (*HEAD, "incoming")
            have = {(c.text or "").strip() for c in el if _local(c) == tag}
            for fid in (f for f in wanted if f not in have):
                ref = etree.SubElement(el, _q(tag))
                ref.text = fid
                el.insert(max((i + 1 for i, c in enumerate(el) if _local(c) in before and c is not ref),
                              default=0), ref)


def _bounds(parent: Element, box: Box) -> None:
    size = {"x": box.x, "y": box.y, "width": box.w, "height": box.h}
    etree.SubElement(parent, _q("Bounds", DC), {k: str(v) for k, v in size.items()})


def _emit(defs: Element, element_id: str, g: Graph, lay: Layout, frames: list[tuple[str, Box]],
          ids: set[str]) -> None:
    """Write one BPMNDiagram: frames (pool, lanes), then node and artifact shapes, then edges."""
    diagram = etree.SubElement(defs, _q("BPMNDiagram", BPMNDI), nsmap=DI_NAMESPACES,
                               id=_fresh("BPMNDiagram_1" if frames else f"BPMNDiagram_{element_id}", ids))
    plane = etree.SubElement(diagram, _q("BPMNPlane", BPMNDI), id=_fresh(f"BPMNPlane_{element_id}", ids),
                             bpmnElement=element_id)
    for frame_id, box in frames:
        shape = etree.SubElement(plane, _q("BPMNShape", BPMNDI), id=_fresh(f"{frame_id}_di", ids),
                                 bpmnElement=frame_id, isHorizontal="true")
        _bounds(shape, box)
    nodes = [n for n in g.tags if n not in g.hosts] + list(g.hosts) + list(g.artifacts)
    for n in nodes:
        shape = etree.SubElement(plane, _q("BPMNShape", BPMNDI), id=_fresh(f"{n}_di", ids), bpmnElement=n)
        if g.tags.get(n) in SUBPROCESSES:
            shape.set("isExpanded", "false")
        _bounds(shape, lay.boxes[n])
        if n in lay.labels:
            _bounds(etree.SubElement(shape, _q("BPMNLabel", BPMNDI)), lay.labels[n])
    for eid, route in lay.edges.items():
        edge = etree.SubElement(plane, _q("BPMNEdge", BPMNDI), id=_fresh(f"{eid}_di", ids), bpmnElement=eid)
        for x, y in route:
            etree.SubElement(edge, _q("waypoint", DI), x=str(x), y=str(y))
        if eid in lay.labels:
            _bounds(etree.SubElement(edge, _q("BPMNLabel", BPMNDI)), lay.labels[eid])


def layout_bpmn(xml: bytes) -> bytes:
    """Return the document with a new diagram: one pool, its lanes, every flow node and sequence flow."""
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True))
    for old in root.findall(_q("BPMNDiagram", BPMNDI)):
        root.remove(old)
    processes = root.findall(_q("process"))
    if not processes:
        raise ValueError("the document has no bpmn:process")
    process = next((p for p in processes if p.get("isExecutable") == "true"), processes[0])
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    collab_id, part_id = _ensure_participant(root, process, ids)
    lanes = [(lane.get("id"), [r.text.strip() for r in lane.iter(_q("flowNodeRef")) if r.text])
             for lane in process.iterfind(f"{_q('laneSet')}/{_q('lane')}")]
    g, lay = _layout_container(process, lanes or [(None, [])], ORIGIN[0] + HEADER, ORIGIN[1])
    pool = Box(*ORIGIN, HEADER + lay.bands[0][1].w, sum(band.h for _, band in lay.bands))
    frames = [(part_id, pool)] + [(lane_id, band) for lane_id, band in lay.bands if lane_id]
    _emit(root, collab_id, g, lay, frames, ids)
    subprocesses = list(process.iter(*(_q(tag) for tag in SUBPROCESSES)))
    for sub in subprocesses:
        _emit(root, sub.get("id"), *_layout_container(sub, [(None, [])], *ORIGIN), [], ids)
    for container in [process, *subprocesses]:
        _ensure_refs(container, _read_graph(container))
    missing = {p: uri for p, uri in DI_NAMESPACES.items() if uri not in root.nsmap.values()}
    etree.cleanup_namespaces(root, top_nsmap=missing, keep_ns_prefixes=[p for p in root.nsmap if p])
    etree.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8") + b"\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Lay out a BPMN file: ``python -m engine.layout IN.bpmn [-o OUT.bpmn | --in-place]``."""
    parser = argparse.ArgumentParser(prog="python -m engine.layout", description=layout_bpmn.__doc__)
    parser.add_argument("source", type=Path, help="BPMN file to lay out")
    target = parser.add_mutually_exclusive_group()
    target.add_argument("-o", "--output", type=Path, help="write here instead of standard output")
    target.add_argument("--in-place", action="store_true", help="overwrite the source file")
    args = parser.parse_args(argv)
    result = layout_bpmn(args.source.read_bytes())
    out = args.source if args.in_place else args.output
    if out is None:
        sys.stdout.buffer.write(result)
    else:
        out.write_bytes(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
