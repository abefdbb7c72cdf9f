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
   to one through the free channel beside the row (entering a merging target from below).
7. Labels of named events, gateways and flows go where they clash least with shapes, labels and
   edges (width estimated per character: CJK 12 px, other 7 px, wrapped at 90 px).

Also written: a collaboration and participant (named after the process) when missing; the
``incoming``/``outgoing`` children flow nodes lack, in XSD order (after documentation,
extensionElements, auditing, monitoring, categoryValueRef); data object/store references and
text annotations in a sub-row under the node they are associated with (else under column 0 of
the first lane), joined by straight association lines.

Limits: one pool, one level of lanes (nested lanes fold into their top-level lane); no laneSet
gives a pool without lanes; a boundary event is drawn in its host's lane; other participants and
message flows are not drawn. Sub-processes are drawn collapsed, their content on its own plane
(bpmn-js drill-down) laid out without lanes. No crossing minimisation: edges may cross or share
a channel. The whole document is re-indented with two spaces; a DOCTYPE is refused (entities are
never expanded, as in engine/bundle.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
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

COL_W, ROW_H = 150, 160  # column width, sub-row height
ORIGIN, HEADER = (100, 60), 30  # pool corner; name band of the pool and of each lane
SIZES = {"event": (36, 36), "task": (100, 80), "gateway": (50, 50)}
ARTIFACTS = {"dataObjectReference": (36, 50), "dataStoreReference": (50, 50), "textAnnotation": (100, 40)}
SUBPROCESSES = ("subProcess", "transaction", "adHocSubProcess")
HEAD = ("documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef")

Element = Any  # lxml ships no type stubs
Point = tuple[int, int]
Lanes = list[tuple[str | None, list[str]]]  # lane id (None: no lanes) and the node ids it lists


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
        """Tell whether the segment a-b (or the box with corners a, b) comes within ``pad`` of this box."""
        (x1, x2), (y1, y2) = sorted((a[0], b[0])), sorted((a[1], b[1]))
        return x1 < self.right + pad and x2 > self.x - pad and y1 < self.bottom + pad and y2 > self.y - pad


@dataclass
class Graph:
    """Flow nodes, sequence flows and artifacts of one process or sub-process, in document order."""

    tags: dict[str, str] = field(default_factory=dict)  # flow node id -> local tag name
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
    """Collect the flow nodes, sequence flows and artifacts directly inside ``container``."""
    g = Graph()
    for el in container:
        tag, el_id = _local(el), el.get("id")
        if tag == "sequenceFlow":
            g.flows[el_id] = (el.get("sourceRef"), el.get("targetRef"))
        elif tag in ARTIFACTS:
            g.artifacts[el_id] = tag
        elif tag.endswith(("Event", "Gateway", "Task")) or tag in ("task", "callActivity", *SUBPROCESSES):
            g.tags[el_id] = tag
            if tag == "boundaryEvent":
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


def _associations(container: Element, g: Graph) -> tuple[dict[str, str | None], list[tuple[str, str, str]]]:
    """Return each artifact's node (or None), and the association edges as (id, source, target)."""
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


def _place(g: Graph, lanes: Lanes, owners: dict[str, str | None], x0: int, y0: int) -> tuple[Layout, set[str]]:
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
        rows = max(len(cells[(i, c)]) for c in range(columns)) or 1
        lay.bands.append((lane_id, Box(x0, y, HEADER + columns * COL_W + 20, rows * ROW_H)))
        for c in range(columns):
            for r, n in enumerate(cells[(i, c)]):
                w, h = ARTIFACTS[g.artifacts[n]] if n in g.artifacts else SIZES[g.kind(n)]
                cx, cy = x0 + HEADER + c * COL_W + COL_W // 2, y + r * ROW_H + ROW_H // 2
                lay.boxes[n] = Box(cx - w // 2, cy - h // 2, w, h)
        y += rows * ROW_H
    for host in dict.fromkeys(g.hosts.values()):
        hb, events = lay.boxes[host], [b for b, h in g.hosts.items() if h == host]
        for i, b in enumerate(events):
            cx = hb.cx + (2 * i - len(events) + 1) * 20  # 40 apart, centred on the host
            lay.boxes[b] = Box(cx - 18, hb.bottom - 18, 36, 36)
    return lay, back


def _bottom(box: Box, kind: str, back: bool = True) -> Point:
    """Bottom port: an event or gateway's centre; a task's right (back) or left end, clear of timers."""
    return (box.cx if kind != "task" else box.right - 15 if back else box.x + 15, box.bottom)


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


def _candidates(g: Graph, lay: Layout, fid: str, back: bool) -> list[list[Point]]:
    """Right-angled routes for a sequence flow, best first."""
    src, tgt = g.flows[fid]
    s, t, sk, tk = lay.boxes[src], lay.boxes[tgt], g.kind(src), g.kind(tgt)
    p_low = (s.cx, s.bottom) if src in g.hosts else _bottom(s, sk)
    if back or t.cx <= s.cx:
        return _back_routes(g, lay, src, tgt, p_low)
    left, gap_t = (t.x, t.cy), t.cx - COL_W // 2  # gap_t: the free gap before t's column
    q_low, merge = _bottom(t, tk, back=False), sum(f[1] == tgt for f in g.flows.values()) > 1
    if src in g.hosts:  # down from the boundary event, then into t's left side, else its bottom
        y, hook = max(p_low[1], t.bottom) + 14, p_low[1] + 14
        direct = [[p_low, (p_low[0], t.cy), left]] if t.cy > p_low[1] + 10 else []
        under = [p_low, (p_low[0], y), (q_low[0], y), q_low]
        return [*direct, under, [p_low, (p_low[0], hook), (gap_t, hook), (gap_t, t.cy), left]]
    split = sk == "gateway" and sum(f[0] == src for f in g.flows.values()) > 1
    join = tk == "gateway" and merge
    down, right = t.cy > s.cy, (s.right, s.cy)
    routes = [[right, left]] if s.cy == t.cy else []
    if s.cy != t.cy and split:  # splits leave gateways from top or bottom
        routes.append([(s.cx, s.bottom if down else s.y), (s.cx, t.cy), left])
    if s.cy != t.cy and join:  # joins enter gateways from top or bottom
        routes.append([right, (t.cx, s.cy), (t.cx, t.y if down else t.bottom)])
    if s.cy != t.cy:  # bend in the gap after s's column, or before t's
        routes += [[right, (x, s.cy), (x, t.cy), left] for x in (s.cx + COL_W // 2, gap_t)]
    p = p_low if down or s.cy == t.cy else (s.cx, s.y)
    yc = s.cy + (ROW_H // 2 - 8) * (-1 if p[1] < s.cy else 1)  # free channel beside the source row
    if merge and s.cy == t.cy:  # something in the way: enter a merging target from below (or above)
        routes.append([p, (p[0], yc), (q_low[0], yc), (q_low[0], t.bottom if yc > t.cy else t.y)])
    return [*routes, [p, (p[0], yc), (gap_t, yc), (gap_t, t.cy), left]]


def _back_routes(g: Graph, lay: Layout, src: str, tgt: str, p_low: Point) -> list[list[Point]]:
    """Routes for a flow that goes back or straight up/down: into the target's bottom (or top)."""
    s, t = lay.boxes[src], lay.boxes[tgt]
    q = _bottom(t, g.kind(tgt))
    floor = max(b.bottom for n, b in lay.boxes.items() if n in (src, tgt) or g.hosts.get(n) in (src, tgt))
    if src == tgt:  # a self-loop: out of the right side, round below, into the bottom
        return [[(s.right, s.cy), (s.right + 20, s.cy), (s.right + 20, floor + 14), (q[0], floor + 14), q]]
    if t.bottom < s.y and src not in g.hosts:  # target in a higher row: up, across, into its bottom
        return [[(s.cx, s.y), (s.cx, y), (q[0], y), q] for y in (s.y - 20, t.bottom + 36)]
    if t.y > s.bottom:  # target in a lower row: down, across, into its top
        return [[p_low, (p_low[0], t.y - 20), (t.cx, t.y - 20), (t.cx, t.y)]]
    return [[p_low, (p_low[0], y), (q[0], y), q] for y in (floor + 14, floor + 26)]


def _route_all(g: Graph, lay: Layout, back: set[str]) -> None:
    """Route every sequence flow, avoiding the other shapes where a candidate allows."""
    for fid, (src, tgt) in g.flows.items():
        routes = [_clean(r) for r in _candidates(g, lay, fid, fid in back)]
        others = [b for n, b in lay.boxes.items() if n not in (src, tgt)]
        clear = (r for r in routes if not any(b.hits(p, q) for b in others for p, q in pairwise(r)))
        lay.edges[fid] = next(clear, routes[0])


def _text_box(text: str, x: int, cy: int, anchor: str = "centre") -> Box:
    """A label box whose centre, left or right end is at x, wrapped at 90 px like bpmn-js does."""
    width = sum(12 if ord(ch) > 0x2E7F else 7 for ch in text) + 8
    w, h = min(width, 90), 14 * max(1, -(-width // 86))
    return Box({"centre": x - w // 2, "left": x, "right": x - w}[anchor], cy - h // 2, w, h)


def _first_free(lay: Layout, own: str, boxes: list[Box]) -> Box:
    """Return the first label box that touches no shape, label or edge, else the one touching fewest."""
    taken = [b for n, b in lay.boxes.items() if n != own] + list(lay.labels.values())
    segments = [seg for route in lay.edges.values() for seg in pairwise(route)]

    def clashes(box: Box) -> int:  # overlapping a shape or label is worse than crossing an edge
        corners = ((box.x, box.y), (box.right, box.bottom))
        return 10 * sum(b.hits(*corners, 2) for b in taken) + sum(box.hits(p, q, 0) for p, q in segments)

    return min(boxes, key=clashes)


def _place_labels(g: Graph, lay: Layout) -> None:
    """Label named events and gateways (below, else above; boundary events beside) and named flows."""
    for n in (n for n in g.tags if n in g.names and g.kind(n) != "task"):
        b, h = lay.boxes[n], _text_box(g.names[n], 0, 0).h
        spots = [(b.cx, b.bottom + 4 + h // 2, "centre"), (b.cx, b.y - 4 - h // 2, "centre")]
        if n in g.hosts:
            spots = [(b.x - 4, b.cy + 6 + h // 2, "right"), (b.right + 4, b.cy + 6 + h // 2, "left")]
        lay.labels[n] = _first_free(lay, n, [_text_box(g.names[n], *spot) for spot in spots])
    for fid in (f for f in g.flows if f in g.names):
        segs, h = list(pairwise(lay.edges[fid])), _text_box(g.names[fid], 0, 0).h
        boxes = [  # beside a segment, the one after the first bend first: no sibling flow shares it
            _text_box(g.names[fid], min(p[0], q[0]) + 16, p[1] - 4 - h // 2, "left")
            if p[1] == q[1]
            else _text_box(g.names[fid], p[0] + 6, (p[1] + q[1]) // 2, "left")
            for p, q in segs[1:2] + segs[:1] + segs[2:]
        ]
        lay.labels[fid] = _first_free(lay, fid, boxes)


def _layout_container(container: Element, lanes: Lanes, x0: int, y0: int) -> tuple[Graph, Layout]:
    """Lay out the nodes, flows, artifacts and labels directly inside a process or sub-process."""
    g = _read_graph(container)
    owners, links = _associations(container, g)
    lay, back = _place(g, lanes, owners, x0, y0)
    _route_all(g, lay, back)
    for aid, src, tgt in links:  # straight lines; a text annotation is a bracket on its left side
        s, t = lay.boxes[src], lay.boxes[tgt]
        ends = [(s.cx, s.bottom), (t.cx, t.y)] if s.cy < t.cy else [(s.cx, s.y), (t.cx, t.bottom)]
        for i, (node, box) in enumerate(((src, s), (tgt, t))):
            if g.artifacts.get(node) == "textAnnotation":
                ends[i] = (box.x, box.cy)
        lay.edges[aid] = ends
    _place_labels(g, lay)
    return g, lay


def _fresh(base: str, ids: set[str]) -> str:
    """Return ``base`` or ``base_2``, ``base_3``... whichever no element of the document uses yet."""
    name = next(n for n in (base, *(f"{base}_{i}" for i in range(2, len(ids) + 3))) if n not in ids)
    ids.add(name)
    return name


def _ensure_participant(defs: Element, process: Element, ids: set[str]) -> tuple[str, str]:
    """Return the ids of the collaboration and of the participant for ``process``, adding them if missing."""
    pid = process.get("id")
    collab = defs.find(_q("collaboration"))
    if collab is None:
        collab = etree.SubElement(defs, _q("collaboration"), id=_fresh(f"Collaboration_{pid}", ids))
        process.addprevious(collab)  # root elements come before the diagrams
    part = next((p for p in collab.iterfind(_q("participant")) if p.get("processRef") == pid), None)
    if part is None:
        attrs = {
            "id": _fresh(f"Participant_{pid}", ids),
            "name": process.get("name") or pid,
            "processRef": pid,
        }
        at = max((i + 1 for i, c in enumerate(collab) if _local(c) in (*HEAD[:2], "participant")), default=0)
        part = etree.SubElement(collab, _q("participant"), attrs)
        collab.insert(at, part)
    return collab.get("id"), part.get("id")


def _ensure_refs(container: Element, g: Graph) -> None:
    """Give flow nodes every incoming/outgoing child they lack, after the children the XSD puts first."""
    for el in (el for el in container if el.get("id") in g.tags):
        old = [c for c in el if _local(c) in ("incoming", "outgoing")]
        refs = [(_local(c), (c.text or "").strip()) for c in old]
        for fid, (src, tgt) in g.flows.items():
            wanted = [("incoming", fid)] * (tgt == el.get("id")) + [("outgoing", fid)] * (src == el.get("id"))
            refs += [ref for ref in wanted if ref not in refs]
        for c in old:
            el.remove(c)
        at = max((i + 1 for i, c in enumerate(el) if _local(c) in HEAD), default=0)
        for i, (tag, fid) in enumerate(sorted(refs, key=lambda ref: ref[0] == "outgoing")):
            child = etree.SubElement(el, _q(tag))
            child.text = fid
            el.insert(at + i, child)


def _di(parent: Element, tag: str, box: Box | None = None, ns: str = BPMNDI, **attrs: str) -> Element:
    """Append a DI element, with its ``dc:Bounds`` when a box is given."""
    el = etree.SubElement(parent, _q(tag, ns), attrs)
    if box is not None:
        etree.SubElement(el, _q("Bounds", DC), x=str(box.x), y=str(box.y), width=str(box.w), height=str(box.h))
    return el


def _emit(defs: Element, plane_of: str, g: Graph, lay: Layout, frames: list[tuple[str, Box]], ids: set[str]) -> None:
    """Write one BPMNDiagram: frames (pool, lanes), then node and artifact shapes, then edges."""
    name = _fresh("BPMNDiagram_1" if frames else f"BPMNDiagram_{plane_of}", ids)
    diagram = etree.SubElement(defs, _q("BPMNDiagram", BPMNDI), {"id": name}, nsmap=DI_NAMESPACES)
    plane = _di(diagram, "BPMNPlane", id=_fresh(f"BPMNPlane_{plane_of}", ids), bpmnElement=plane_of)
    for frame, box in frames:
        _di(plane, "BPMNShape", box, id=_fresh(f"{frame}_di", ids), bpmnElement=frame, isHorizontal="true")
    for n in [n for n in g.tags if n not in g.hosts] + list(g.hosts) + list(g.artifacts):
        collapsed = {"isExpanded": "false"} if g.tags.get(n) in SUBPROCESSES else {}
        shape = _di(plane, "BPMNShape", lay.boxes[n], id=_fresh(f"{n}_di", ids), bpmnElement=n, **collapsed)
        if n in lay.labels:
            _di(shape, "BPMNLabel", lay.labels[n])
    for eid, route in lay.edges.items():
        edge = _di(plane, "BPMNEdge", id=_fresh(f"{eid}_di", ids), bpmnElement=eid)
        for x, y in route:
            _di(edge, "waypoint", ns=DI, x=str(x), y=str(y))
        if eid in lay.labels:
            _di(edge, "BPMNLabel", lay.labels[eid])


def layout_bpmn(xml: bytes) -> bytes:
    """Return the document with a new diagram: one pool, its lanes, every flow node and sequence flow."""
    hardened = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}
    root = etree.fromstring(xml, etree.XMLParser(remove_blank_text=True, strip_cdata=False, **hardened))
    if root.getroottree().docinfo.doctype:
        raise ValueError("BPMN documents with a DOCTYPE are not laid out (entities are not expanded)")
    for old in root.findall(_q("BPMNDiagram", BPMNDI)):
        root.remove(old)
    processes = root.findall(_q("process"))
    if not processes:
        raise ValueError("the document has no bpmn:process")
    process = next((p for p in processes if p.get("isExecutable") == "true"), processes[0])
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    collab_id, part_id = _ensure_participant(root, process, ids)
    lanes: Lanes = [
        (lane.get("id"), [r.text.strip() for r in lane.iter(_q("flowNodeRef")) if r.text])
        for lane in process.iterfind(f"{_q('laneSet')}/{_q('lane')}")
    ]
    g, lay = _layout_container(process, lanes or [(None, [])], ORIGIN[0] + HEADER, ORIGIN[1])
    pool = Box(*ORIGIN, HEADER + lay.bands[0][1].w, sum(band.h for _, band in lay.bands))
    frames = [(part_id, pool)] + [(lane_id, band) for lane_id, band in lay.bands if lane_id]
    _emit(root, collab_id, g, lay, frames, ids)
    subprocesses = list(process.iter(*(_q(tag) for tag in SUBPROCESSES)))
    for sub in subprocesses:  # content of a collapsed sub-process: its own plane, for drill-down
        _emit(root, sub.get("id"), *_layout_container(sub, [(None, [])], *ORIGIN), [], ids)
    for container in [process, *subprocesses]:
        _ensure_refs(container, _read_graph(container))
    missing = {p: uri for p, uri in DI_NAMESPACES.items() if uri not in root.nsmap.values()}
    etree.cleanup_namespaces(root, top_nsmap=missing, keep_ns_prefixes=[p for p in root.nsmap if p])
    etree.indent(root, space="  ")
    body = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


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
