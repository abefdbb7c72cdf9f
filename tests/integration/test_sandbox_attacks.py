"""The sandbox through the engine façade: deployed processes whose scripts print, fail or attack the worker.

A script that raises becomes an incident whose message carries what the script printed, and a process
owner's retry with corrected data goes on. Attack payloads in a script, a gateway condition, a timer
expression and a DMN cell pass the bundle check (deploy) and then end as an incident on the case; they
run in a separate worker process (the test's own process would die with a regression), built on the
same database, as a second worker would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from tests.conftest import STREET

ROOT = Path(__file__).resolve().parents[2]

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  id="defs_sandboxed" targetNamespace="http://shequflow.example/test">
  <bpmn:process id="sandboxed" name="沙箱测试" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_clerk" name="街道社区自治办经办人">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>enter</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>calc</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>route</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>gw</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="enter"/>
    <bpmn:userTask id="enter" name="录入数据">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="enter.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="enter" targetRef="calc"/>
    <bpmn:scriptTask id="calc" name="计算比例">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="calc" targetRef="route"/>
    <bpmn:businessRuleTask id="route" name="判定级别">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>pick_level</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="f4" sourceRef="route" targetRef="gw"/>
    <bpmn:exclusiveGateway id="gw" name="需要等待？" default="f_direct"/>
    <bpmn:sequenceFlow id="f_wait" sourceRef="gw" targetRef="wait">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_direct" sourceRef="gw" targetRef="review"/>
    <bpmn:intermediateCatchEvent id="wait" name="公示期">
      <bpmn:timerEventDefinition id="td_wait">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="wait" targetRef="review"/>
    <bpmn:userTask id="review" name="复核"/>
    <bpmn:sequenceFlow id="f6" sourceRef="review" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="defs_pick_level" name="级别"
             namespace="http://shequflow.example/dmn">
  <decision id="pick_level" name="级别">
    <decisionTable id="table_pick_level" hitPolicy="FIRST">
      <input id="in_share" label="比例">
        <inputExpression id="ie_share" typeRef="number"><text>share</text></inputExpression>
      </input>
      <output id="out_level" label="级别" name="level" typeRef="string"/>
      <rule id="rule_high">
        <inputEntry id="ie_high"><text>{cell}</text></inputEntry>
        <outputEntry id="oe_high"><text>"high"</text></outputEntry>
      </rule>
      <rule id="rule_low">
        <inputEntry id="ie_low"><text>-</text></inputEntry>
        <outputEntry id="oe_low"><text>"low"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

# the form of "enter": a count of 0 must pass it, so that the script's division fails
FORM = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "录入数据",
  "type": "object",
  "required": ["total", "count"],
  "properties": {
    "total": {"type": "integer", "title": "总数", "minimum": 0},
    "count": {"type": "integer", "title": "份数", "minimum": 0}
  },
  "additionalProperties": false
}
"""

SCRIPT = 'print("计算比例", total, count)\nshare = total // count'
CONDITION = "share > 100"
TIMER = '"P1D"'
CELL = "&gt; 5"


def _deploy(services: Services, folder: Path, **texts: str) -> None:
    from xml.sax.saxutils import escape

    parts = {"script": SCRIPT, "condition": CONDITION, "timer": TIMER, **texts}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sandboxed.bpmn").write_text(BPMN.format(**{k: escape(v) for k, v in parts.items()}), encoding="utf-8")
    (folder / "pick_level.dmn").write_text(DMN.format(cell=texts.get("cell", CELL)), encoding="utf-8")
    (folder / "forms").mkdir(exist_ok=True)
    (folder / "forms" / "enter.schema.json").write_text(FORM, encoding="utf-8")
    services.engine.definitions.deploy(Bundle.from_dir(folder), "tester", publish=True)


def _ready(services: Services, username: str) -> list[Any]:
    tasks, _total = services.queries.tasks(services.engine.actor(username))
    return tasks


def test_a_failing_script_becomes_an_incident_with_its_printed_output_and_retry_goes_on(
    world: Services, tmp_path: Path
) -> None:
    _deploy(world, tmp_path / "bundle")
    engine = world.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = engine.start("sandboxed", clerk, street=STREET)
    [enter] = _ready(world, "clerk")
    result = engine.complete(enter.id, clerk, {"total": 10, "count": 0})
    assert result.status == "error"
    [incident] = world.queries.incidents(owner, started.instance_id)
    assert incident.bpmn_id == "calc" and incident.error_type == "ZeroDivisionError" and incident.line == 2
    assert "脚本输出 (script output):\n计算比例 10 0" in incident.message
    again = engine.retry(started.instance_id, owner, {"count": 2})
    assert again.status == "running"
    assert world.queries.incidents(owner, started.instance_id) == []
    [review] = _ready(world, "clerk")
    assert review.name == "复核"


def test_a_script_leaving_a_value_that_cannot_be_stored_is_an_incident_not_a_failed_save(
    world: Services, tmp_path: Path
) -> None:
    _deploy(world, tmp_path / "bundle", script="share = 10 ** 20\nrest = (i for i in [1])")
    engine = world.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = engine.start("sandboxed", clerk, street=STREET)
    [enter] = _ready(world, "clerk")
    assert engine.complete(enter.id, clerk, {"total": 10, "count": 1}).status == "error"
    [incident] = world.queries.incidents(owner, started.instance_id)
    assert incident.bpmn_id == "calc" and "share：整数超出" in incident.message and "rest：迭代器" in incident.message


_WORKER = """
import json, sys, time
from datetime import datetime
from engine.bootstrap import build
from engine.clock import ManualClock
from engine.sandbox.limits import apply_process_memory_cap
apply_process_memory_cap({"SHEQUFLOW_MEMORY_LIMIT_MB": "1024"})
url, task_id, now, data = json.loads(sys.stdin.read())
services = build(url, clock=ManualClock(datetime.fromisoformat(now)))
started = time.monotonic()
result = services.engine.complete(task_id, services.engine.actor("clerk"), data)
print(json.dumps({"status": result.status, "elapsed": time.monotonic() - started}))
services.close()
"""

# (where, the texts of the bundle, message fragment expected in the incident)
ATTACKS = [
    ("script", {"script": "x = [1]\nfor i in range(300000):\n    x = map(abs, x)\nshare = sum(x)"}, "迭代器嵌套过深"),
    ("gateway", {"condition": "[t := (t,) for i in range(500000)][-1] in {1}"}, "元组嵌套过深"),
    ("timer", {"condition": "True", "timer": "str(Decimal('1e30000000').as_integer_ratio())"}, "Decimal 超出范围"),
    ("dmn", {"cell": "? in [s] * 999999"}, "重复后的数据过大"),
]


@pytest.mark.parametrize(("texts", "expected"), [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_attack_in_a_deployed_process_ends_as_an_incident_within_seconds(
    world: Services, db_url: str, clock: Any, tmp_path: Path, texts: dict[str, str], expected: str
) -> None:
    script = texts.get("script", "s = 'a' * 100000\nt = ()\nshare = 10")
    _deploy(world, tmp_path / "bundle", **{**texts, "script": script})  # passes the bundle check
    engine = world.engine
    started = engine.start("sandboxed", engine.actor("clerk"), street=STREET)
    [enter] = _ready(world, "clerk")
    began = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "-c", _WORKER],
        input=json.dumps([db_url, enter.id, clock.now().isoformat(), {"total": 10, "count": 1}]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert worker.returncode == 0, f"the worker died (exit {worker.returncode}): {worker.stderr[-2000:]}"
    outcome = json.loads(worker.stdout.strip().splitlines()[-1])
    assert outcome["status"] == "error" and outcome["elapsed"] < 5.0, (outcome, time.monotonic() - began)
    [incident] = world.queries.incidents(engine.actor("owner"), started.instance_id)
    assert expected in incident.message, incident.message
