"""Tests for engine.layout: BPMNDI generation with one pool and its lanes."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser

from engine.layout.generate import BPMN, BPMNDI, DC, DI, layout_bpmn, main

NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}
Rect = tuple[float, float, float, float]  # x, y, right, bottom

LANES = {
    "lane_applicant": ("申请人", ["submit", "fill_in_form", "add_materials"]),
    "lane_caseworker": (
        "街道经办人",
        [
            "review_application",
            "review_overdue",
            "check_complete",
            "fork",
            "home_visit",
            "issue_certificate",
            "explain_refusal",
            "merge",
            "done",
        ],
    ),
    "lane_leader": ("街道领导", ["urge_review", "leader_review", "join", "approved"]),
}
NODES = [  # tag, id, name, attributes, inner XML
    ("startEvent", "submit", "提出申请", "", ""),
    ("userTask", "fill_in_form", "填写申请材料", "", ""),
    ("userTask", "review_application", "受理初审", "", ""),
    ("exclusiveGateway", "check_complete", "材料是否齐全？", ' default="f_complete"', ""),
    ("userTask", "add_materials", "补充材料", "", ""),
    ("parallelGateway", "fork", "", "", ""),
    ("userTask", "home_visit", "入户核查", "", ""),
    ("userTask", "leader_review", "领导审批", "", ""),
    ("parallelGateway", "join", "", "", ""),
    ("exclusiveGateway", "approved", "是否批准？", ' default="f_refuse"', ""),
    ("userTask", "issue_certificate", "发放低保证", "", ""),
    ("userTask", "explain_refusal", "告知不予批准", "", ""),
    ("exclusiveGateway", "merge", "", "", ""),
    ("endEvent", "done", "审批办结", "", ""),
    ("userTask", "urge_review", "领导督办", "", ""),
    (
        "boundaryEvent",
        "review_overdue",
        "超过3个工作日",
        ' attachedToRef="review_application"',
        '<bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P3D"'
        "</bpmn:timeDuration></bpmn:timerEventDefinition>",
    ),
]
FLOWS = [  # id, source, target, name, condition
    ("f_submit", "submit", "fill_in_form", "", ""),
    ("f_filled", "fill_in_form", "review_application", "", ""),
    ("f_reviewed", "review_application", "check_complete", "", ""),
    ("f_incomplete", "check_complete", "add_materials", "否", "not complete"),
    ("f_added", "add_materials", "review_application", "", ""),
    ("f_complete", "check_complete", "fork", "是", ""),
    ("f_overdue", "review_overdue", "urge_review", "", ""),
    ("f_urged", "urge_review", "review_application", "", ""),
    ("f_visit", "fork", "home_visit", "", ""),
    ("f_leader", "fork", "leader_review", "", ""),
    ("f_visited", "home_visit", "join", "", ""),
    ("f_led", "leader_review", "join", "", ""),
    ("f_joined", "join", "approved", "", ""),
    ("f_approve", "approved", "issue_certificate", "批准", "approve"),
    ("f_refuse", "approved", "explain_refusal", "不批准", ""),
    ("f_issued", "issue_certificate", "merge", "", ""),
    ("f_explained", "explain_refusal", "merge", "", ""),
    ("f_done", "merge", "done", "", ""),
]


def build_model(with_refs: bool = True) -> bytes:
    """Return the 低保 model (3 lanes, XOR and AND split/join, timer, loops) without coordinates."""
    lanes = "".join(
        f'<bpmn:lane id="{lane_id}" name="{name}">'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
        + "</bpmn:lane>"
        for lane_id, (name, refs) in LANES.items()
    )
    nodes = []
    for tag, node_id, name, attrs, inner in NODES:
        refs = ""
        if with_refs:
            refs = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f, _, t, _, _ in FLOWS if t == node_id)
            refs += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f, s, _, _, _ in FLOWS if s == node_id)
        label = f' name="{name}"' if name else ""
        nodes.append(f'<bpmn:{tag} id="{node_id}"{label}{attrs}>{refs}{inner}</bpmn:{tag}>')
    flows = []
    for flow_id, source, target, name, condition in FLOWS:
        label = f' name="{name}"' if name else ""
        body = f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        flows.append(
            f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"{label}>'
            f"{body if condition else ''}</bpmn:sequenceFlow>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions xmlns:bpmn="{BPMN}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" '
        'targetNamespace="http://example.org/shequflow">'
        '<bpmn:process id="dibao_application" name="低保申请审批" isExecutable="true">'
        f'<bpmn:laneSet id="lanes">{lanes}</bpmn:laneSet>{"".join(nodes)}{"".join(flows)}'
        "</bpmn:process></bpmn:definitions>"
    ).encode()


@pytest.fixture(scope="module")
def laid_out() -> etree._Element:
    return etree.fromstring(layout_bpmn(build_model()))


def bounds(doc: etree._Element, element_id: str) -> Rect:
    shapes = doc.findall(f".//bpmndi:BPMNShape[@bpmnElement='{element_id}']", NS)
    assert len(shapes) == 1, f"{element_id} has {len(shapes)} shapes"
    b = shapes[0].find("dc:Bounds", NS)
    x, y, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
    return x, y, x + w, y + h


def inside(inner: Rect, outer: Rect) -> bool:
    return outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2] and inner[3] <= outer[3]


def on_border(point: tuple[float, float], r: Rect) -> bool:
    """On the shape's bounding box, or on a gateway's diamond (connections dock anywhere on the outline)."""
    x, y = point
    cx, cy, half = (r[0] + r[2]) / 2, (r[1] + r[3]) / 2, (r[2] - r[0]) / 2
    if r[2] - r[0] == 50 and abs(abs(x - cx) + abs(y - cy) - half) <= 1:
        return True
    on_vertical = min(abs(x - r[0]), abs(x - r[2])) <= 1 and r[1] - 1 <= y <= r[3] + 1
    on_horizontal = min(abs(y - r[1]), abs(y - r[3])) <= 1 and r[0] - 1 <= x <= r[2] + 1
    return on_vertical or on_horizontal


def waypoints(doc: etree._Element, element_id: str) -> list[tuple[float, float]]:
    edges = doc.findall(f".//bpmndi:BPMNEdge[@bpmnElement='{element_id}']", NS)
    assert len(edges) == 1, f"{element_id} has {len(edges)} edges"
    return [(float(p.get("x")), float(p.get("y"))) for p in edges[0].findall("di:waypoint", NS)]


def spec_summary(xml: bytes) -> dict[str, str | None]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(xml)
    spec = parser.get_spec("dibao_application")
    return {name: task_spec.lane for name, task_spec in spec.task_specs.items()}


def test_every_flow_node_gets_exactly_one_shape_inside_its_lane_band_and_the_pool(laid_out):
    pool = bounds(laid_out, "Participant_dibao_application")
    for lane_id, (_, refs) in LANES.items():
        band = bounds(laid_out, lane_id)
        assert inside(band, pool)
        for node_id in refs:
            assert inside(bounds(laid_out, node_id), band), node_id
    assert {n[1] for n in NODES} == {ref for _, refs in LANES.values() for ref in refs}


def test_no_two_shapes_overlap(laid_out):
    hosts = {node_id: "review_application" for _, node_id, _, attrs, _ in NODES if "attachedToRef" in attrs}
    rects = {n[1]: bounds(laid_out, n[1]) for n in NODES}
    for a, ra in rects.items():
        for b, rb in rects.items():
            if a < b and hosts.get(a) != b and hosts.get(b) != a:
                overlap = ra[0] < rb[2] and rb[0] < ra[2] and ra[1] < rb[3] and rb[1] < ra[3]
                assert not overlap, f"{a} overlaps {b}"


def test_every_sequence_flow_gets_a_right_angled_edge_from_source_border_to_target_border(laid_out):
    for flow_id, source, target, _, _ in FLOWS:
        points = waypoints(laid_out, flow_id)
        assert len(points) >= 2
        assert on_border(points[0], bounds(laid_out, source)), flow_id
        assert on_border(points[-1], bounds(laid_out, target)), flow_id
        for (x1, y1), (x2, y2) in pairwise(points):
            assert x1 == x2 or y1 == y2, f"{flow_id} has a slanted segment"


def test_boundary_timer_centre_lies_on_the_bottom_edge_of_its_host(laid_out):
    x, y, right, bottom = bounds(laid_out, "review_overdue")
    hx, _, hright, hbottom = bounds(laid_out, "review_application")
    assert (y + bottom) / 2 == hbottom
    assert hx <= (x + right) / 2 <= hright


def test_back_edges_enter_their_target_vertically_and_from_below_when_coming_from_below(laid_out):
    target = bounds(laid_out, "review_application")
    for flow_id in ("f_added", "f_urged"):
        points = waypoints(laid_out, flow_id)
        assert points[-2][0] == points[-1][0] and points[-1][1] in (target[1], target[3])
    assert waypoints(laid_out, "f_urged")[-1][1] == target[3]


def test_pool_lanes_and_subprocess_flags_follow_bpmn_js_conventions(laid_out):
    plane = laid_out.find(".//bpmndi:BPMNPlane", NS)
    collaboration = laid_out.find("bpmn:collaboration", NS)
    assert plane.get("bpmnElement") == collaboration.get("id")
    participant = collaboration.find("bpmn:participant", NS)
    assert participant.get("name") == "低保申请审批"
    assert participant.get("processRef") == "dibao_application"
    for element_id in ["Participant_dibao_application", *LANES]:
        shape = laid_out.find(f".//bpmndi:BPMNShape[@bpmnElement='{element_id}']", NS)
        assert shape.get("isHorizontal") == "true"
    lane_tops = [bounds(laid_out, lane_id)[1] for lane_id in LANES]
    assert lane_tops == sorted(lane_tops)


def test_named_events_gateways_and_flows_get_labels(laid_out):
    for element_id in ("submit", "check_complete", "review_overdue", "done"):
        shape = laid_out.find(f".//bpmndi:BPMNShape[@bpmnElement='{element_id}']", NS)
        assert shape.find("bpmndi:BPMNLabel/dc:Bounds", NS) is not None, element_id
    for flow_id in ("f_incomplete", "f_complete", "f_approve", "f_refuse"):
        edge = laid_out.find(f".//bpmndi:BPMNEdge[@bpmnElement='{flow_id}']", NS)
        assert edge.find("bpmndi:BPMNLabel/dc:Bounds", NS) is not None, flow_id


def test_output_validates_and_yields_the_same_task_specs_and_lanes():
    source = build_model()
    summary = spec_summary(layout_bpmn(source))
    assert summary == spec_summary(source)
    assert summary["review_application"] == "街道经办人"


def test_namespace_prefixes_stay_stable(laid_out):
    text = etree.tostring(laid_out).decode()
    assert laid_out.nsmap == {**laid_out.nsmap, "bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI}
    assert "xsi" in laid_out.nsmap and "spiffworkflow" in laid_out.nsmap
    assert "ns0:" not in text and text.count("xmlns:bpmndi=") == 1


def test_running_layout_twice_gives_the_same_output():
    once = layout_bpmn(build_model())
    assert layout_bpmn(build_model()) == once
    assert layout_bpmn(once) == once


def test_input_without_incoming_outgoing_children_gets_them_in_xsd_order_and_the_same_diagram():
    bare, full = layout_bpmn(build_model(with_refs=False)), layout_bpmn(build_model(with_refs=True))
    assert bare == full
    doc = etree.fromstring(bare)
    review = doc.find(".//bpmn:userTask[@id='review_application']", NS)
    assert [etree.QName(c).localname for c in review] == ["incoming"] * 3 + ["outgoing"]
    assert {c.text for c in review} == {"f_filled", "f_added", "f_urged", "f_reviewed"}
    timer = doc.find(".//bpmn:boundaryEvent", NS)
    assert [etree.QName(c).localname for c in timer] == ["outgoing", "timerEventDefinition"]


def test_existing_diagram_is_replaced_by_exactly_one_new_diagram():
    once = layout_bpmn(build_model())
    doc = etree.fromstring(once)
    bounds_el = doc.find(".//dc:Bounds", NS)
    bounds_el.set("x", "9999")
    again = etree.fromstring(layout_bpmn(etree.tostring(doc)))
    assert len(again.findall("bpmndi:BPMNDiagram", NS)) == 1
    assert etree.tostring(again) == etree.tostring(etree.fromstring(once))


def test_subprocess_is_drawn_collapsed_with_its_content_on_its_own_plane_and_artifacts_placed():
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">
  <bpmn:process id="p" name="走访" isExecutable="true">
    <bpmn:startEvent id="s"/>
    <bpmn:subProcess id="visit" name="入户走访">
      <bpmn:startEvent id="vs"/><bpmn:task id="vt" name="记录"/><bpmn:endEvent id="ve"/>
      <bpmn:sequenceFlow id="v1" sourceRef="vs" targetRef="vt"/>
      <bpmn:sequenceFlow id="v2" sourceRef="vt" targetRef="ve"/>
    </bpmn:subProcess>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="visit"/>
    <bpmn:sequenceFlow id="f2" sourceRef="visit" targetRef="e"/>
    <bpmn:textAnnotation id="note"><bpmn:text>每月一次</bpmn:text></bpmn:textAnnotation>
    <bpmn:association id="a1" sourceRef="visit" targetRef="note"/>
  </bpmn:process>
</bpmn:definitions>""".encode()
    out = layout_bpmn(xml)
    doc = etree.fromstring(out)
    shape = doc.find(".//bpmndi:BPMNShape[@bpmnElement='visit']", NS)
    assert shape.get("isExpanded") == "false"
    assert bounds(doc, "visit")[2] - bounds(doc, "visit")[0] == 100
    planes = [p.get("bpmnElement") for p in doc.iterfind(".//bpmndi:BPMNPlane", NS)]
    assert planes == [doc.find("bpmn:collaboration", NS).get("id"), "visit"]
    for element_id in ("vs", "vt", "ve", "note"):
        bounds(doc, element_id)
    assert waypoints(doc, "a1") and waypoints(doc, "v2")
    note, visit = bounds(doc, "note"), bounds(doc, "visit")
    assert note[1] >= visit[3]
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_str(out)
    assert "visit" in parser.get_spec("p").task_specs


def test_command_line_writes_to_a_file_or_in_place(tmp_path: Path):
    source = tmp_path / "dibao_application.bpmn"
    source.write_bytes(build_model())
    assert main([str(source), "-o", str(tmp_path / "out.bpmn")]) == 0
    assert (tmp_path / "out.bpmn").read_bytes() == layout_bpmn(build_model())
    assert main([str(source), "--in-place"]) == 0
    assert source.read_bytes() == layout_bpmn(build_model())


def small_model(lane_set: str, collaboration: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN}" id="d" targetNamespace="t">{collaboration}
  <bpmn:process id="p" name="小流程" isExecutable="true">{lane_set}
    <bpmn:startEvent id="s"/><bpmn:userTask id="t" name="办理"/><bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_node_no_lane_lists_is_drawn_in_the_first_lane():
    lanes = """<bpmn:laneSet id="ls">
      <bpmn:lane id="first" name="居委会"><bpmn:flowNodeRef>s</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="second" name="街道"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>"""
    doc = etree.fromstring(layout_bpmn(small_model(lanes)))
    assert inside(bounds(doc, "e"), bounds(doc, "first"))
    assert inside(bounds(doc, "t"), bounds(doc, "second"))


def test_a_process_without_lanes_gets_a_pool_without_lane_shapes():
    doc = etree.fromstring(layout_bpmn(small_model("")))
    shapes = [s.get("bpmnElement") for s in doc.iterfind(".//bpmndi:BPMNShape", NS)]
    assert shapes == ["Participant_p", "s", "t", "e"]
    for node in ("s", "t", "e"):
        assert inside(bounds(doc, node), bounds(doc, "Participant_p"))


def test_an_existing_collaboration_and_participant_are_reused():
    collaboration = '<bpmn:collaboration id="c"><bpmn:participant id="pp" processRef="p"/></bpmn:collaboration>'
    doc = etree.fromstring(layout_bpmn(small_model("", collaboration)))
    assert [c.get("id") for c in doc.iterfind("bpmn:collaboration", NS)] == ["c"]
    assert doc.find(".//bpmndi:BPMNPlane", NS).get("bpmnElement") == "c"
    assert doc.find(".//bpmndi:BPMNShape", NS).get("bpmnElement") == "pp"


def test_a_document_with_a_doctype_is_refused_without_expanding_entities():
    xml = b"""<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"><bpmn:process id="p">
<bpmn:startEvent id="s"><bpmn:documentation>&x;</bpmn:documentation></bpmn:startEvent></bpmn:process>
</bpmn:definitions>"""
    with pytest.raises(ValueError, match="DOCTYPE"):
        layout_bpmn(xml)


def test_a_self_loop_leaves_and_reenters_its_task_at_right_angles():
    xml = small_model("").replace(
        b'<bpmn:sequenceFlow id="f2"',
        b'<bpmn:sequenceFlow id="again" sourceRef="t" targetRef="t"/><bpmn:sequenceFlow id="f2"',
    )
    doc = etree.fromstring(layout_bpmn(xml))
    points, task = waypoints(doc, "again"), bounds(doc, "t")
    assert len(points) >= 3 and on_border(points[0], task) and on_border(points[-1], task)
    assert all(x1 == x2 or y1 == y2 for (x1, y1), (x2, y2) in pairwise(points))
