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

This module reads the process into a graph and writes the diagram back; the placement, routing and
label arithmetic is in :mod:`engine.layout.geometry`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from engine.layout.geometry import ARTIFACTS, HEADER, ORIGIN, Box, Graph, Lanes, Layout, arrange

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
DI_NAMESPACES = {"bpmndi": BPMNDI, "dc": DC, "di": DI}

SUBPROCESSES = ("subProcess", "transaction", "adHocSubProcess")
HEAD = ("documentation", "extensionElements", "auditing", "monitoring", "categoryValueRef")

Element = Any  # lxml ships no type stubs


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
            loops = el.find(_q("standardLoopCharacteristics")), el.find(_q("multiInstanceLoopCharacteristics"))
            if (
                tag in ("callActivity", *SUBPROCESSES)
                or el.get("isForCompensation") == "true"
                or any(x is not None for x in loops)
            ):
                g.marked.add(el_id)
            if tag == "boundaryEvent":
                g.hosts[el_id] = el.get("attachedToRef")
        if el.get("name"):
            g.names[el_id] = el.get("name")
    g.flows = {f: st for f, st in g.flows.items() if st[0] in g.tags and st[1] in g.tags}
    g.hosts = {b: h for b, h in g.hosts.items() if h in g.tags}
    return g


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


def _layout_container(container: Element, lanes: Lanes, x0: int, y0: int) -> tuple[Graph, Layout]:
    """Lay out the nodes, flows, artifacts and labels directly inside a process or sub-process."""
    g = _read_graph(container)
    owners, links = _associations(container, g)
    return g, arrange(g, lanes, owners, links, x0, y0)


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
