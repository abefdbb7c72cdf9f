"""Deploy refuses what the engine cannot run, stores nothing, and says exactly what ``shequflow lint`` says.

Each bad bundle of the unit tests (``tests/unit/test_bundle_truth.py``) is deployed on SQLite and on
PostgreSQL through the engine and through the CLI, and linted through ``lint_paths`` and the CLI; the
problems must be the same. A registered connector runs in a service task of a deployed process.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import connectors
from engine.bootstrap import Services
from engine.connectors import register_connector, unregister_connector
from engine.definitions.bundle import Bundle, Problem, lint_paths
from engine.errors import BundleError
from tests.conftest import STREET
from tests.unit.test_bundle_truth import BAD_BUNDLES, ROLE, diagram, line_of, lookup_company, script, service_task
from web.cli import main

# start (lane) → lookup (service task) → is_active? → confirm_active | handle_inactive (lane) → end
COMPANY_CHECK = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="company_check" name="登记信息核验" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_clerk" name="{ROLE}">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>confirm_active</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>handle_inactive</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="check_request.schema.json"/>
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="lookup"/>
{service_task("lookup", "uscc_lookup")}
    <bpmn:sequenceFlow id="f2" sourceRef="lookup" targetRef="is_active"/>
    <bpmn:exclusiveGateway id="is_active" default="f_inactive"/>
    <bpmn:sequenceFlow id="f_active" sourceRef="is_active" targetRef="confirm_active">
      <bpmn:conditionExpression>company["status"] == "存续"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_inactive" sourceRef="is_active" targetRef="handle_inactive"/>
    <bpmn:userTask id="confirm_active" name="确认存续"/>
    <bpmn:userTask id="handle_inactive" name="处理注销组织"/>
    <bpmn:sequenceFlow id="f3" sourceRef="confirm_active" targetRef="end"/>
    <bpmn:sequenceFlow id="f4" sourceRef="handle_inactive" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

# company_check's start form: the code to look up, any 18 characters of the USCC alphabet (the connector
# decides whether it names a registered organization)
CHECK_REQUEST = """{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "核验登记信息",
  "type": "object",
  "required": ["uscc"],
  "properties": {
    "uscc": {"type": "string", "title": "统一社会信用代码", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$"}
  },
  "additionalProperties": false
}
"""
COMPANY_CHECK_BUNDLE = {"company_check.bpmn": COMPANY_CHECK, "forms/check_request.schema.json": CHECK_REQUEST}

CAMUNDA = {
    "c.bpmn": diagram(
        f"""  <bpmn:process id="c" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="{ROLE}"><bpmn:flowNodeRef>c_start</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="c_start"/>
    <bpmn:sequenceFlow id="c_f1" sourceRef="c_start" targetRef="check"/>
{script("check", attrs=' camunda:asyncBefore="true"')}
    <bpmn:sequenceFlow id="c_f2" sourceRef="check" targetRef="c_end"/>
    <bpmn:endEvent id="c_end"/>
  </bpmn:process>
"""
    )
}


@pytest.fixture
def no_connectors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(connectors.ENV_VAR, raising=False)
    monkeypatch.setattr(connectors, "_registered", {})
    yield


def _write(folder: Path, files: dict[str, str]) -> str:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return str(folder)


def _counts(services: Services) -> tuple[int, int]:
    with services.db.transaction(write=False) as tx:
        return (
            int(tx.scalar("SELECT COUNT(*) FROM bundles")),
            int(tx.scalar("SELECT COUNT(*) FROM process_versions")),
        )


def _relative(problems: list[Problem], folder: str) -> list[Problem]:
    return [replace(p, file=os.path.relpath(p.file, folder)) for p in problems]


def _cli(*args: str) -> list[str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.output.splitlines()


@pytest.mark.parametrize("case", sorted(BAD_BUNDLES))
def test_deploy_refuses_the_bundle_stores_nothing_and_lint_reports_the_same_problems(
    world: Services, db_url: str, tmp_path: Path, case: str, no_connectors: None
) -> None:
    folder = _write(tmp_path / "bundle", BAD_BUNDLES[case])

    with pytest.raises(BundleError) as err:
        world.engine.definitions.deploy(
            Bundle.from_dir(folder), "owner", publish=True, known_roles=world.directory.known_roles() or None
        )
    refused = err.value.problems

    located = [p.file and p.element and (p.line or p.file.endswith(".json")) for p in refused]  # JSON: a path
    assert refused and all(located), [str(p) for p in refused]
    assert _counts(world) == (0, 0)
    linted = [p for p in lint_paths([folder]) if p.severity == "error"]
    assert _relative(linted, folder) == refused
    cli_lint = [
        line.removeprefix(folder + os.sep)
        for line in _cli("lint", folder)
        if line.startswith(folder) and not line.endswith("[警告 warning]")
    ]
    cli_deploy = _cli("--database-url", db_url, "deploy", folder, "--publish")
    assert cli_lint == [str(p) for p in refused]
    assert [line for line in cli_deploy if line in cli_lint] == cli_lint
    assert cli_deploy[0].startswith(f"错误：流程包校验失败，共 {len(refused)} 个问题")
    assert _counts(world) == (0, 0)


def test_camunda_diagram_deploys_with_the_same_warnings_lint_prints(
    world: Services, db_url: str, tmp_path: Path
) -> None:
    folder = _write(tmp_path / "camunda", CAMUNDA)

    result = world.engine.definitions.deploy(Bundle.from_dir(folder), "owner")

    text = CAMUNDA["c.bpmn"]
    assert [str(w) for w in result.warnings] == [
        f"c.bpmn:{line_of(text, '<bpmn:process')}: c: Camunda 扩展属性 camunda:historyTimeToLive 不受支持，将被忽略 "
        "(Camunda extension attribute camunda:historyTimeToLive is not supported and is dropped)",
        f"c.bpmn:{line_of(text, '<bpmn:scriptTask')}: check: Camunda 扩展属性 camunda:asyncBefore 不受支持，将被忽略 "
        "(Camunda extension attribute camunda:asyncBefore is not supported and is dropped)",
    ]
    assert _relative(lint_paths([folder]), folder) == result.warnings
    cli_lint = [line.removeprefix(folder + os.sep) for line in _cli("lint", folder) if line.startswith(folder)]
    assert cli_lint == [f"{w} [警告 warning]" for w in result.warnings]
    assert [line for line in _cli("--database-url", db_url, "deploy", folder) if line.startswith("警告")] == [
        f"警告 {w}" for w in result.warnings
    ]


def test_service_task_is_refused_until_its_connector_is_registered_then_runs_and_its_result_lands_in_task_data(
    world: Services, no_connectors: None
) -> None:
    bundle = Bundle.from_files(COMPANY_CHECK_BUNDLE)
    with pytest.raises(BundleError) as err:
        world.engine.definitions.deploy(bundle, "owner", publish=True)
    assert [p.element for p in err.value.problems] == ["lookup"]
    assert "“uscc_lookup”未注册" in err.value.problems[0].message
    assert _counts(world) == (0, 0)

    register_connector("uscc_lookup", lookup_company)
    world.engine.definitions.deploy(bundle, "owner", publish=True)
    clerk = world.engine.actor("clerk")
    active = world.engine.start("company_check", clerk, street=STREET, data={"uscc": "51310105MJ4Y2K7AXU"})
    closed = world.engine.start("company_check", clerk, street=STREET, data={"uscc": "91310000XXXXXXXXXX"})

    tasks = {t.instance_id: t.bpmn_id for t in world.queries.tasks(clerk)[0]}
    assert tasks == {active.instance_id: "confirm_active", closed.instance_id: "handle_inactive"}


def test_connector_gone_at_run_time_puts_the_case_in_error_with_a_clear_incident(
    world: Services, no_connectors: None
) -> None:
    register_connector("uscc_lookup", lookup_company)
    world.engine.definitions.deploy(Bundle.from_files(COMPANY_CHECK_BUNDLE), "owner", publish=True)
    unregister_connector("uscc_lookup")

    started = world.engine.start(
        "company_check", world.engine.actor("clerk"), street=STREET, data={"uscc": "51310105MJ4Y2K7AXU"}
    )

    assert started.status == "error"
    assert started.incident is not None
    assert "服务任务调用的连接器“uscc_lookup”未注册" in started.incident
    assert "NameError" not in started.incident
