"""Deployments, versions and the operator CLI on real databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.bootstrap import Services, build
from engine.definitions.bundle import Bundle
from engine.errors import BundleError, InvalidStateError
from tests.conftest import ENGINE_BUNDLES, STREET, deploy
from web.cli import main

BAD_SCRIPT = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="bad" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="escape"/>
    <bpmn:scriptTask id="escape" name="越权">
      <bpmn:script>x = ().__class__.__base__.__subclasses__()</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="escape" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _counts(services: Services) -> tuple[int, int]:
    with services.db.transaction(write=False) as tx:
        return (
            int(tx.scalar("SELECT COUNT(*) FROM bundles")),
            int(tx.scalar("SELECT COUNT(*) FROM process_versions")),
        )


def test_rejected_bundle_names_file_line_and_element_and_stores_nothing(world: Services) -> None:
    with pytest.raises(BundleError) as err:
        world.engine.definitions.deploy(Bundle.from_files({"bad.bpmn": BAD_SCRIPT}), "owner", publish=True)
    [problem] = [p for p in err.value.problems if p.element == "escape"]
    assert problem.file == "bad.bpmn" and problem.line == 7
    assert str(problem).startswith("bad.bpmn:7: escape: ")
    assert _counts(world) == (0, 0)


def test_versions_are_numbered_per_process_and_cases_stay_pinned(world: Services, tmp_path: Path) -> None:
    engine = world.engine
    deploy(world, "approval")
    clerk = engine.actor("clerk")
    first = engine.start("approval", clerk, street=STREET)
    deploy(world, "approval")  # same content: no new version
    assert [v.version for v in engine.definitions.list_versions("approval")] == [1]
    changed = tmp_path / "approval"
    shutil.copytree(ENGINE_BUNDLES / "approval", changed)
    bpmn = changed / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("登记申请", "登记申请（第二版）"), encoding="utf-8")
    engine.definitions.deploy(Bundle.from_dir(changed), "owner")  # a draft: new cases still start on v1
    assert engine.start("approval", clerk, street=STREET).status == "running"
    engine.definitions.set_status("approval", 2, "published")
    second = engine.start("approval", clerk, street=STREET)
    names = {t.instance_id: t.name for t in world.queries.tasks(clerk)[0]}
    assert names[first.instance_id] == "登记申请" and names[second.instance_id] == "登记申请（第二版）"
    engine.definitions.set_status("approval", 2, "retired")
    with pytest.raises(InvalidStateError):
        engine.start("approval", clerk, street=STREET, version=2)


def _run(url: str, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", url, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_sets_up_a_street_deploys_and_works_a_case(db_url: str) -> None:
    assert _run(db_url, "db", "upgrade")[0] == 0
    assert _run(db_url, "places", "district", "310105", "长宁区")[0] == 0
    assert _run(db_url, "places", "street", "S1", "华阳路街道", "--district", "310105")[0] == 0
    assert _run(db_url, "users", "add", "wang", "--name", "王经办", "--password", "s3cret-pass")[0] == 0
    assert _run(db_url, "users", "grant", "wang", "街道社区自治办经办人", "S1")[0] == 0
    services = build(db_url)
    try:
        with services.db.transaction(write=False) as tx:
            assert str(tx.scalar("SELECT password_hash FROM users WHERE username = 'wang'")).startswith("scrypt:")
        assert services.directory.authenticate("wang", "s3cret-pass") is not None
        assert services.directory.authenticate("wang", "wrong-pass") is None
    finally:
        services.close()
    code, out = _run(db_url, "deploy", str(ENGINE_BUNDLES / "approval"), "--publish")
    assert code == 0 and "approval v1 published" in out
    code, out = _run(db_url, "start", "approval", "--as", "wang", "--street", "S1")
    assert code == 0 and "running" in out
    code, out = _run(db_url, "tasks", "--as", "wang")
    task_id = out.split()[0]
    code, out = _run(db_url, "complete", task_id, "--as", "wang", "--data", '{"applicant": "王某", "amount": -1}')
    assert code == 1 and "金额（元）" in out
    code, out = _run(db_url, "complete", task_id, "--as", "wang", "--data", '{"applicant": "王某", "amount": 10}')
    assert code == 0 and "completed end_approved" in out
    code, out = _run(db_url, "audit", "verify")
    assert code == 0 and "已校验 3 条" in out


def test_cli_lint_prints_problems_as_file_line_element_message(tmp_path: Path) -> None:
    (tmp_path / "bad.bpmn").write_text(BAD_SCRIPT, encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(tmp_path)])
    assert result.exit_code == 1
    assert any(
        line.endswith("bad.bpmn:7: escape: " + line.split(": ", 2)[-1]) or ":7: escape:" in line
        for line in result.output.splitlines()
    )
    ok = CliRunner().invoke(main, ["lint", str(ENGINE_BUNDLES / "loop")])
    assert ok.exit_code == 0


def test_audit_verify_reports_the_first_tampered_row(world: Services, db_url: str) -> None:
    deploy(world, "approval")
    clerk = world.engine.actor("clerk")
    started = world.engine.start("approval", clerk, street=STREET)
    [task] = world.queries.tasks(clerk)[0]
    world.engine.complete(task.id, clerk, {"applicant": "王某", "amount": 5000})
    assert _run(db_url, "audit", "verify")[0] == 0
    with world.db.transaction() as tx:
        original = tx.scalar(
            "SELECT data FROM audit_events WHERE instance_id = :i AND seq = 2", {"i": started.instance_id}
        )
        tx.execute(
            "UPDATE audit_events SET data = :d WHERE instance_id = :i AND seq = 2",
            {"d": '{"applicant": "李某", "amount": 1}', "i": started.instance_id},
        )
    code, out = _run(db_url, "audit", "verify")
    assert code == 1 and f"实例 {started.instance_id} 审计链在第 2 条断开" in out and "被修改" in out
    with world.db.transaction() as tx:
        tx.execute(
            "UPDATE audit_events SET data = :d WHERE instance_id = :i AND seq = 2",
            {"d": original, "i": started.instance_id},
        )
    assert _run(db_url, "audit", "verify")[0] == 0
    with world.db.transaction() as tx:
        tx.execute("DELETE FROM audit_events WHERE instance_id = :i AND seq = 2", {"i": started.instance_id})
    code, out = _run(db_url, "audit", "verify")
    assert code == 1 and "链尾缺失" in out


def _fixture_files(name: str) -> dict[str, bytes | str]:
    folder = ENGINE_BUNDLES / name
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _bad_bundles() -> dict[str, dict[str, bytes | str]]:
    valid = (ENGINE_BUNDLES / "loop" / "loop.bpmn").read_text(encoding="utf-8")
    loop = _fixture_files("loop")  # loop.bpmn and its forms: each bad bundle below has one defect only
    approval = _fixture_files("approval")
    no_form = dict(approval)
    del no_form["forms/approve.schema.json"]
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>'
    )
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&xxe;</bpmn:definitions>'
    )
    return {
        "malformed XML": {**loop, "loop.bpmn": valid.replace("</bpmn:process>", "")},
        "external entity (XXE)": {"loop.bpmn": xxe},
        "entity expansion bomb": {"loop.bpmn": bomb},
        "unknown task type": {**loop, "loop.bpmn": valid.replace("bpmn:userTask", "bpmn:fooTask")},
        "missing form file": no_form,
        "script syntax error": {**loop, "loop.bpmn": valid.replace("rounds = 0", "rounds = = 0")},
        "sandbox escape": {"bad.bpmn": BAD_SCRIPT},
        "50 MB file": {**loop, "huge.json": b""},  # filled in by the test: 50 MB built once
    }


BAD_KINDS = [
    "malformed XML",
    "external entity (XXE)",
    "entity expansion bomb",
    "unknown task type",
    "missing form file",
    "script syntax error",
    "sandbox escape",
    "50 MB file",
]


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_every_kind_of_bad_bundle_is_refused_and_stores_nothing(world: Services, kind: str) -> None:
    files = _bad_bundles()[kind]
    if kind == "50 MB file":
        files["huge.json"] = b" " * (50 * 1024 * 1024)
    with pytest.raises(BundleError) as err:
        world.engine.definitions.deploy(Bundle.from_files(files), "owner", publish=True)
    problem = err.value.problems[0]
    assert problem.file and problem.file in files, (kind, str(problem))
    if kind != "50 MB file":
        assert problem.line is not None, (kind, str(problem))
    assert _counts(world) == (0, 0)


def test_cli_reports_an_unexpected_failure_in_one_line_without_a_traceback() -> None:
    url = "postgresql://nobody@127.0.0.1:1/none"  # nothing listens on port 1: the driver fails at once
    result = CliRunner().invoke(main, ["--database-url", url, "db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 2
    assert "错误：内部错误" in result.output and "Error: internal error" in result.output
    assert "Traceback" not in result.output
