"""Geometry of a BPMN diagram: columns and lane rows for nodes, right-angled edges, label spots.

Pure arithmetic on a :class:`Graph` read from the XML by :mod:`engine.layout`, with no XML of its own:
:func:`arrange` ranks nodes into columns (back edges found by depth-first search), stacks them in lane
bands, routes every sequence flow around the other shapes, draws associations straight, and puts
labels where they clash least. The steps and their limits are described in :mod:`engine.layout`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import pairwise

COL_W, ROW_H = 150, 160  # column width, sub-row height
ORIGIN, HEADER = (100, 60), 30  # pool corner; name band of the pool and of each lane
SIZES = {"event": (36, 36), "task": (100, 80), "gateway": (50, 50)}
ARTIFACTS = {"dataObjectReference": (36, 50), "dataStoreReference": (50, 50), "textAnnotation": (100, 40)}

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
    marked: set[str] = field(default_factory=set)  # activities bpmn-js draws a bottom-centre marker on

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
            if host in g.marked:  # keep the marker ("+", loop) visible: corners first, then beyond
                cx = [hb.right - 4, hb.x + 4][i] if i < 2 else hb.right + 36 * (i - 1)
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
    if s.cy != t.cy and (join or merge):  # joins enter gateways (merges any target) from top or bottom
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


def overlap(a: tuple[Point, Point], b: tuple[Point, Point], tolerance: int = 2) -> int:
    """Length two axis-parallel segments run on one line (0 when they do not, or only cross)."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    if ay1 == ay2 and by1 == by2 and abs(ay1 - by1) <= tolerance and ax1 != ax2 and bx1 != bx2:
        lo, hi = max(min(ax1, ax2), min(bx1, bx2)), min(max(ax1, ax2), max(bx1, bx2))
        return max(0, hi - lo)
    if ax1 == ax2 and bx1 == bx2 and abs(ax1 - bx1) <= tolerance and ay1 != ay2 and by1 != by2:
        lo, hi = max(min(ay1, ay2), min(by1, by2)), min(max(ay1, ay2), max(by1, by2))
        return max(0, hi - lo)
    return 0


OFFSETS = (10, -10, 20, -20, 30, -30, 40, -40)  # how far a channel or an entry point may move
CLEARANCE = 12  # a flow keeps this far from boundary events it does not start or end at, where it can


def _shift(route: list[Point], i: int, d: int) -> list[Point]:
    """Move segment i of an orthogonal route sideways by d (its neighbours stretch to follow)."""
    (x1, y1), (x2, y2) = route[i], route[i + 1]
    moved = list(route)
    if y1 == y2:
        moved[i], moved[i + 1] = (x1, y1 + d), (x2, y2 + d)
    else:
        moved[i], moved[i + 1] = (x1 + d, y1), (x2 + d, y2)
    return moved


def _port(box: Box, kind: str, p: Point, d: int, vertical: bool) -> Point | None:
    """Point p on the shape's outline moved sideways by d, kept on the outline (None: off the shape)."""
    if kind == "task":  # anywhere on the side, 12 px clear of the corners
        if vertical:
            return (p[0] + d, p[1]) if box.x + 12 <= p[0] + d <= box.right - 12 else None
        return (p[0], p[1] + d) if box.y + 12 <= p[1] + d <= box.bottom - 12 else None
    r = box.w // 2
    if abs(d) > r * 2 // 3:
        return None
    inset = abs(d) if kind == "gateway" else r - int((r * r - d * d) ** 0.5)  # diamond edge, or circle
    if vertical:  # a port on the top or bottom tip
        return (p[0] + d, p[1] - inset if p[1] >= box.cy else p[1] + inset)
    return (p[0] + (-inset if p[0] >= box.cx else inset), p[1] + d)


def _variants(g: Graph, lay: Layout, src: str, tgt: str, route: list[Point]) -> list[list[Point]]:
    """The route, and the same route with one segment moved into a parallel channel.

    An inner segment moves freely; the first or last moves its port along the shape's outline (a task's
    side, a gateway's edge, an event's circle) — but a boundary event's port stays where it is.
    """
    out = [route]
    last = len(route) - 2
    for i in range(len(route) - 1):
        vertical = route[i][0] == route[i + 1][0]
        for d in OFFSETS:
            moved = _shift(route, i, d)
            ok = True
            for n, at, pi in ((src, 0, 0), (tgt, last, len(route) - 1)):
                if i != at:
                    continue
                port = None if n in g.hosts else _port(lay.boxes[n], g.kind(n), route[pi], d, vertical)
                if port is None:
                    ok = False
                    break
                moved[pi] = port
            if ok:
                out.append(_clean(moved))
    return out


def _along(box: Box, seg: tuple[Point, Point]) -> bool:
    """Whether an end segment runs along the shape's outline instead of leaving or entering it squarely."""
    (x1, y1), (_, y2) = seg
    if y1 == y2:  # horizontal: must meet a left or right side
        return not box.y < y1 < box.bottom
    return not box.x < x1 < box.right


def _cost(
    route: list[Point], ends: tuple[Box, Box], others: list[Box], timers: list[Box], taken: list[tuple[Point, Point]]
) -> int:
    """Shapes crossed weigh most, then segments shared with flows already drawn, then passing closer than
    ``CLEARANCE`` to a boundary event (a flow grazing a timer reads as leaving it), then length and bends.

    A route may touch its source only with its first segment and its target only with its last: one
    that runs along their outline counts as crossing them.
    """
    segs = list(pairwise(route))
    shapes = sum(b.hits(p, q, 2) for b in others for p, q in segs)
    close = sum(b.hits(p, q, CLEARANCE) and not b.hits(p, q, 2) for b in timers for p, q in segs)
    shapes += sum(ends[0].hits(p, q, 3) for p, q in segs[1:]) + sum(ends[1].hits(p, q, 3) for p, q in segs[:-1])
    shapes += _along(ends[0], segs[0]) + _along(ends[1], segs[-1])
    shared = sum(overlap(s, t) > 4 for s in segs for t in taken)
    length = sum(abs(p[0] - q[0]) + abs(p[1] - q[1]) for p, q in segs)
    return 100_000 * shapes + 10_000 * shared + 2_000 * close + length + 40 * len(segs)


def _route_all(g: Graph, lay: Layout, back: set[str]) -> None:
    """Route every sequence flow: the cheapest candidate or parallel variant (see :func:`_cost`).

    Flows within one row go first, so the main line stays straight and the others give way.
    """
    taken: list[tuple[Point, Point]] = []
    order = sorted(g.flows, key=lambda f: lay.boxes[g.flows[f][0]].cy != lay.boxes[g.flows[f][1]].cy)
    for fid in order:
        src, tgt = g.flows[fid]
        routes = [_clean(r) for r in _candidates(g, lay, fid, fid in back)]
        others = [b for n, b in lay.boxes.items() if n not in (src, tgt)]
        variants = [v for r in routes for v in _variants(g, lay, src, tgt, r)]
        ends = (lay.boxes[src], lay.boxes[tgt])
        timers = [lay.boxes[b] for b in g.hosts if b not in (src, tgt)]
        best = min(variants, key=lambda r: _cost(r, ends, others, timers, taken))
        lay.edges[fid] = best
        taken += list(pairwise(best))
    lay.edges = {f: lay.edges[f] for f in g.flows}  # document order in the file


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
    """Label named events and gateways and named flows where they clash least (see :func:`_first_free`).

    A node's label goes below it, else above, else beside it (a boundary event's: beside it under the
    host, else below it); a flow's label beside one of its segments, the segment after the first bend
    first (no sibling flow shares it), near either end of the segment or at its middle.
    """
    for n in (n for n in g.tags if n in g.names and g.kind(n) != "task"):
        b, h = lay.boxes[n], _text_box(g.names[n], 0, 0).h
        below, above = b.bottom + 4 + h // 2, b.y - 4 - h // 2
        spots = [(b.cx, below, "centre"), (b.cx, above, "centre"), (b.right + 4, below, "left")]
        spots += [(b.x - 4, below, "right"), (b.right + 4, above, "left"), (b.x - 4, above, "right")]
        spots += [(b.right + 4, b.cy, "left"), (b.x - 4, b.cy, "right")]
        if n in g.hosts:  # beside it under the host, else further down: a grid of spots, nearest first
            ys = (b.cy + 6 + h // 2, below, below + 24, below + 48, below + 72)
            spots = [(x, y, a) for y in ys for x, a in ((b.x - 4, "right"), (b.right + 4, "left"), (b.cx, "centre"))]
            spots = [s for s in spots if not (s[2] == "centre" and s[1] < below)]  # not over the event itself
        lay.labels[n] = _first_free(lay, n, [_text_box(g.names[n], *spot) for spot in spots])
    for fid in (f for f in g.flows if f in g.names):
        segs, h = list(pairwise(lay.edges[fid])), _text_box(g.names[fid], 0, 0).h
        w = _text_box(g.names[fid], 0, 0).w
        boxes = []
        for p, q in segs[1:2] + segs[:1] + segs[2:]:
            if p[1] == q[1]:  # horizontal: above it (else below), at its start, end or middle
                lo, hi = min(p[0], q[0]), max(p[0], q[0])
                for x in (lo + 16, hi - 16 - w, (lo + hi - w) // 2):
                    boxes += [_text_box(g.names[fid], x, p[1] - 4 - h // 2, "left")]
                    boxes += [_text_box(g.names[fid], x, p[1] + 4 + h // 2, "left")]
            else:  # vertical: right of it (else left), at its middle, start or end
                lo, hi = min(p[1], q[1]), max(p[1], q[1])
                for y in ((lo + hi) // 2, lo + 8 + h // 2, hi - 8 - h // 2):
                    boxes += [_text_box(g.names[fid], p[0] + 6, y, "left")]
                    boxes += [_text_box(g.names[fid], p[0] - 6, y, "right")]
        lay.labels[fid] = _first_free(lay, fid, boxes)


def arrange(
    g: Graph, lanes: Lanes, owners: dict[str, str | None], links: list[tuple[str, str, str]], x0: int, y0: int
) -> Layout:
    """Lay out nodes, flows, artifacts (with their association ``links``) and labels from corner x0, y0."""
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
    return lay
