"""The flow check: a parallel join fed by one exclusive split would wait forever."""

from __future__ import annotations

from engine.definitions.bundle import Bundle, parse_bundle

TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://x">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="split"/>
    <SPLIT/>
    <bpmn:sequenceFlow id="fa" sourceRef="split" targetRef="a">COND</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="fb" sourceRef="split" targetRef="b"/>
    <bpmn:scriptTask id="a" name="甲"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="b" name="乙"><bpmn:script>x = 2</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join"/>
    <bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f9" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _problems(split: str, cond: str) -> list:  # type: ignore[type-arg]
    xml = TEMPLATE.replace("<SPLIT/>", split).replace("COND", cond)
    return parse_bundle(Bundle.from_files({"p.bpmn": xml})).problems


def test_parallel_join_of_an_exclusive_split_is_warned_at_the_join() -> None:
    problems = _problems(
        '<bpmn:exclusiveGateway id="split" name="分流？" default="fb"/>',
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">x == 1</bpmn:conditionExpression>',
    )
    [warning] = [p for p in problems if p.element == "join"]
    assert warning.severity == "warning" and warning.line == 14
    assert "分流？" in warning.message and "一直等待" in warning.message


def test_parallel_join_of_a_parallel_split_is_fine() -> None:
    assert [p for p in _problems('<bpmn:parallelGateway id="split"/>', "") if p.element == "join"] == []
