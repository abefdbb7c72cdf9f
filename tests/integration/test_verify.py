"""``shequflow verify`` catches every way found to change a case behind the engine's back.

Each test tampers with the database the way an operator with SQL access could — the bypasses an
adversarial review found against the unkeyed chain — and asserts that verification now fails and says
where. A clean database verifies.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from engine.bootstrap import Services
from engine.runtime.verify import verify_everything, write_anchor
from tests.conftest import OTHER_STREET, STREET, deploy
from web.cli import main


@pytest.fixture
def cases(world: Services) -> tuple[Services, int, int]:
    """Two cases waiting for the leader's approval (amount 5000), one completed case."""
    deploy(world, "approval")
    engine = world.engine
    clerk = engine.actor("clerk")
    ids = []
    for amount in (5000, 6000, 100):
        started = engine.start("approval", clerk, street=STREET)
        task = next(t for t in world.queries.tasks(clerk)[0] if t.instance_id == started.instance_id)
        engine.complete(task.id, clerk, {"applicant": "王某", "amount": amount})
        ids.append(started.instance_id)
    return world, ids[0], ids[2]


def _sql(services: Services, sql: str, params: dict[str, Any] | None = None) -> None:
    with services.db.transaction() as tx:
        tx.execute(sql, params or {})


def _kinds(services: Services, anchors: list[Path] | None = None) -> set[tuple[str, int | None]]:
    report = verify_everything(services.engine, anchors or [])
    return {(f.kind, f.instance_id) for f in report.findings}


def test_a_clean_database_verifies(cases: tuple[Services, int, int], tmp_path: Path) -> None:
    services, _open, _done = cases
    anchor = tmp_path / "anchor.json"
    assert write_anchor(services.db, anchor, services.engine.clock.now()) == 3
    report = verify_everything(services.engine, [anchor])
    assert report.ok and report.cases == 3 and report.audit_rows >= 7


def test_deleting_a_cases_audit_rows_and_zeroing_its_head_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    _sql(services, "DELETE FROM audit_events WHERE instance_id = :i", {"i": case})
    _sql(services, "UPDATE instances SET audit_seq = 0, audit_head = :g WHERE id = :i", {"g": "0" * 64, "i": case})
    assert ("state", case) in _kinds(services)


def test_cutting_the_last_row_and_moving_the_head_back_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    with services.db.transaction() as tx:
        seq = tx.scalar("SELECT audit_seq FROM instances WHERE id = :i", {"i": case})
        prev = tx.scalar("SELECT hash FROM audit_events WHERE instance_id = :i AND seq = :s", {"i": case, "s": seq - 1})
        tx.execute("DELETE FROM audit_events WHERE instance_id = :i AND seq = :s", {"i": case, "s": seq})
        tx.execute(
            "UPDATE instances SET audit_seq = :s, audit_head = :h WHERE id = :i", {"s": seq - 1, "h": prev, "i": case}
        )
    assert ("state", case) in _kinds(services)


def test_editing_a_row_and_recomputing_an_unkeyed_chain_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    with services.db.transaction() as tx:
        rows = tx.all(
            "SELECT seq, at, actor, type, task_id, task_name, data FROM audit_events WHERE instance_id = :i "
            "ORDER BY seq",
            {"i": case},
        )
        prev = "0" * 64
        for seq, at, actor, type_, tid, tname, data in rows:
            if type_ == "task_completed":
                data = data.replace("5000", "50")
            body = orjson.dumps([case, seq, at, actor, type_, tid, tname, data])
            h = hashlib.sha256(prev.encode() + body).hexdigest()  # what the chain used to be
            tx.execute(
                "UPDATE audit_events SET data = :d, prev_hash = :p, hash = :h WHERE instance_id = :i AND seq = :s",
                {"d": data, "p": prev, "h": h, "i": case, "s": seq},
            )
            prev = h
        tx.execute("UPDATE instances SET audit_head = :h WHERE id = :i", {"h": prev, "i": case})
    kinds = _kinds(services)
    assert ("audit", case) in kinds and ("state", case) in kinds


def test_deleting_a_whole_case_is_found_against_an_anchor(cases: tuple[Services, int, int], tmp_path: Path) -> None:
    services, _case, done = cases
    anchor = tmp_path / "anchor.json"
    write_anchor(services.db, anchor, services.engine.clock.now())
    for table in ("audit_events", "human_tasks", "instance_tasks", "message_subscriptions", "incidents"):
        _sql(services, f"DELETE FROM {table} WHERE instance_id = :i", {"i": done})
    _sql(services, "DELETE FROM instances WHERE id = :i", {"i": done})
    assert _kinds(services) == set()  # without the anchor, nothing is left to contradict
    assert ("anchor", done) in _kinds(services, [anchor])
    anchor.write_text(anchor.read_text().replace(f"[{done},", f"[{done + 100},"))  # a forged anchor file
    assert ("anchor", None) in _kinds(services, [anchor])


def test_editing_an_amount_in_the_stored_task_rows_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    _sql(
        services,
        "UPDATE instance_tasks SET body = REPLACE(body, '5000', '50') WHERE instance_id = :i",
        {"i": case},
    )
    assert ("state", case) in _kinds(services)


def test_moving_a_task_to_another_street_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    _sql(
        services,
        "UPDATE human_tasks SET street_code = :b WHERE instance_id = :i AND state = 'READY'",
        {"b": OTHER_STREET, "i": case},
    )
    assert _kinds(services) == {("projection", case)}


def test_moving_a_case_to_another_street_is_found(cases: tuple[Services, int, int]) -> None:
    services, case, _done = cases
    _sql(services, "UPDATE instances SET street_code = :b WHERE id = :i", {"b": OTHER_STREET, "i": case})
    assert ("state", case) in _kinds(services)


@pytest.mark.parametrize("tamper", ["none", "amount"])
def test_cli_verify_exits_non_zero_on_any_finding(
    cases: tuple[Services, int, int], db_url: str, tmp_path: Path, tamper: str
) -> None:
    services, case, _done = cases
    anchor = tmp_path / "a.json"
    made = CliRunner().invoke(main, ["--database-url", db_url, "audit", "anchor", "--out", str(anchor)])
    assert made.exit_code == 0 and "3 个案件" in made.output
    if tamper == "amount":
        _sql(
            services, "UPDATE instance_tasks SET body = REPLACE(body, '5000', '9') WHERE instance_id = :i", {"i": case}
        )
    result = CliRunner().invoke(main, ["--database-url", db_url, "verify", "--anchors", str(anchor)])
    if tamper == "none":
        assert result.exit_code == 0 and "校验通过" in result.output
    else:
        assert result.exit_code == 1 and f"案件 #{case}" in result.output and "校验失败" in result.output


def test_repointing_a_case_at_another_version_or_renaming_it_by_sql_is_found(
    cases: tuple[Services, int, int], tmp_path: Path
) -> None:
    import shutil

    from engine.definitions.bundle import Bundle
    from tests.conftest import ENGINE_BUNDLES

    services, case, _done = cases
    changed = tmp_path / "approval"
    shutil.copytree(ENGINE_BUNDLES / "approval", changed)
    bpmn = changed / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace("登记申请", "登记申请（新版）"), encoding="utf-8")
    services.engine.definitions.deploy(Bundle.from_dir(changed), "owner", publish=True)
    with services.db.transaction() as tx:
        old = tx.scalar("SELECT process_version_id FROM instances WHERE id = :i", {"i": case})
        new = tx.scalar("SELECT MAX(id) FROM process_versions")
    assert new != old
    _sql(services, "UPDATE instances SET process_version_id = :v WHERE id = :i", {"v": new, "i": case})
    assert ("state", case) in _kinds(services)
    _sql(services, "UPDATE instances SET process_version_id = :v WHERE id = :i", {"v": old, "i": case})
    assert _kinds(services) == set()
    _sql(services, "UPDATE instances SET title = '伪造的标题' WHERE id = :i", {"i": case})
    assert ("state", case) in _kinds(services)
