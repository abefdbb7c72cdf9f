"""Comparing versions and migrating running cases to a newer version (SQLite and PostgreSQL).

Version 1 of the test process has a 10-day review deadline and a 5-day waiting period; version 2
shortens them to 2 days and 1 day and renames the review step; version 3 drops the follow-up step.
Cases wait at the review (a ready task with a boundary timer), in the waiting period, and at the
follow-up step.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from engine.errors import InputError, InvalidStateError, PermissionDeniedError
from engine.runtime.verify import verify_everything
from tests.conftest import ENGINE_BUNDLES, STREET, deploy
from web.cli import main

DAY = timedelta(days=1)


def _publish_variant(services: Services, *replacements: tuple[str, str]) -> None:
    text = (ENGINE_BUNDLES / "migration" / "migration.bpmn").read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    services.engine.definitions.deploy(Bundle.from_files({"migration.bpmn": text}), "owner", publish=True)


V2 = (('"P10D"', '"P2D"'), ('"P5D"', '"P1D"'), ("审核材料", "审核申请"))
V3_DROPS_FOLLOW_UP = (
    ('<bpmn:sequenceFlow id="f3" sourceRef="wait_period" targetRef="follow_up"/>', ""),
    ('<bpmn:userTask id="follow_up" name="期满后续办理"/>', ""),
    ('<bpmn:sequenceFlow id="f4" sourceRef="follow_up" targetRef="end"/>', ""),
    ("<bpmn:flowNodeRef>follow_up</bpmn:flowNodeRef>", ""),
    ('<bpmn:endEvent id="end" name="办结"/>', '<bpmn:sequenceFlow id="f5" sourceRef="wait_period" targetRef="end"/>'
     '<bpmn:endEvent id="end" name="办结"/>'),
)  # fmt: skip


def _task(services: Services, case: int, name: str) -> Any:
    clerk = services.engine.actor("clerk")
    return next(t for t in services.queries.tasks(clerk)[0] if t.instance_id == case and t.name == name)


def _case(services: Services, case: int) -> tuple[int, str, list[str]]:
    """(version number, status, names of the ready human tasks) of a case."""
    with services.db.transaction(write=False) as tx:
        version, status = tx.one(
            "SELECT v.version, i.status FROM instances i JOIN process_versions v ON v.id = i.process_version_id "
            "WHERE i.id = :i",
            {"i": case},
        ) or (0, "")
        names = sorted(
            r[0] for r in tx.all("SELECT name FROM human_tasks WHERE instance_id = :i AND state = 'READY'", {"i": case})
        )
    return int(version), str(status), names


def _audit(services: Services, case: int) -> list[tuple[str, str, dict[str, Any]]]:
    with services.db.transaction(write=False) as tx:
        rows = tx.all("SELECT type, actor, data FROM audit_events WHERE instance_id = :i ORDER BY seq", {"i": case})
    return [(r[0], r[1], orjson.loads(r[2])) for r in rows]


def _state(services: Services, case: int) -> tuple[Any, ...]:
    with services.db.transaction(write=False) as tx:
        row = tx.one(
            "SELECT process_version_id, lock_version, state, state_digest, audit_seq FROM instances WHERE id = :i",
            {"i": case},
        )
        tasks = tx.all("SELECT task_id, body FROM instance_tasks WHERE instance_id = :i ORDER BY task_id", {"i": case})
    return (tuple(row or ()), tuple(map(tuple, tasks)))


@pytest.fixture
def cases(world: Services) -> tuple[Services, dict[str, int]]:
    """Three v1 cases: at follow-up (waited 5 days), in the waiting period, at the review."""
    deploy(world, "migration")
    engine, clerk = world.engine, world.engine.actor("clerk")
    at_follow_up = engine.start("migration", clerk, street=STREET).instance_id
    engine.complete(_task(world, at_follow_up, "审核材料").id, clerk, {})
    engine.clock.advance(5 * DAY + timedelta(hours=1))  # type: ignore[attr-defined]
    assert engine.fire_due_timers() == 1
    waiting = engine.start("migration", clerk, street=STREET).instance_id
    engine.complete(_task(world, waiting, "审核材料").id, clerk, {})
    at_review = engine.start("migration", clerk, street=STREET).instance_id
    engine.claim(_task(world, at_review, "审核材料").id, clerk)
    return world, {"follow_up": at_follow_up, "waiting": waiting, "review": at_review}


def test_compare_lists_changed_timers_and_names(cases: tuple[Services, dict[str, int]]) -> None:
    services, _ids = cases
    _publish_variant(services, *V2)
    owner = services.engine.actor("owner")
    result = services.engine.compare_versions("migration", 1, 2, owner)
    changed = {e.element_id: {c.key: (c.old, c.new) for c in e.changes} for e in result.elements}
    assert changed == {
        "review": {"name": ("审核材料", "审核申请")},
        "review_deadline": {"timer": ('timeDuration: "P10D"', 'timeDuration: "P2D"')},
        "wait_period": {"timer": ('timeDuration: "P5D"', 'timeDuration: "P1D"')},
    }
    assert result.ids("changed") == ["review", "review_deadline", "wait_period"] and not result.ids("added")
    assert "定时器由" in result.elements[1].describe_zh()
    _publish_variant(services, *V3_DROPS_FOLLOW_UP)
    dropped = services.engine.compare_versions("migration", 1, 3, owner)
    assert set(dropped.ids("removed")) == {"follow_up", "f3", "f4"} and dropped.ids("added") == ["f5"]
    with pytest.raises(PermissionDeniedError):
        services.engine.compare_versions("migration", 1, 2, services.engine.actor("clerk"))


def test_migrated_cases_continue_on_the_new_version_with_the_new_timers(
    cases: tuple[Services, dict[str, int]],
) -> None:
    services, ids = cases
    engine = services.engine
    _publish_variant(services, *V2)
    owner = engine.actor("owner")
    seen: list[Any] = []
    due_query = "SELECT due_at, created_at FROM human_tasks WHERE instance_id = :i AND state = 'READY'"
    with services.db.transaction(write=False) as tx:
        due_before = tx.one(due_query, {"i": ids["review"]})
    engine.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    report = engine.migrate("migration", 1, 2, owner, batch_size=2, progress=seen.append)
    assert sorted(o.instance_id for o in report.of("moved")) == sorted(ids.values()) and not report.not_moved
    assert [(p.done, p.total) for p in seen] == [(2, 3), (3, 3)]
    assert _case(services, ids["review"]) == (2, "running", ["审核申请"])  # the renamed task, still claimed
    with services.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT assignee FROM human_tasks WHERE instance_id = :i AND state = 'READY'",
                         {"i": ids["review"]}) == "clerk"  # fmt: skip
    with services.db.transaction(write=False) as tx:
        assert tx.one(due_query, {"i": ids["review"]}) == due_before  # its 3-day due date is not counted again
    assert _case(services, ids["waiting"]) == (2, "waiting", [])
    assert _case(services, ids["follow_up"]) == (2, "running", ["期满后续办理"])
    # the new 1-day waiting period and 2-day review deadline apply (v1: 5 and 10 days)
    engine.clock.advance(DAY + timedelta(hours=1))  # type: ignore[attr-defined]
    engine.fire_due_timers()
    assert _case(services, ids["waiting"]) == (2, "running", ["期满后续办理"])
    assert _case(services, ids["review"])[1] == "running"
    engine.clock.advance(DAY)  # type: ignore[attr-defined]
    engine.fire_due_timers()
    assert _case(services, ids["review"])[:2] == (2, "completed")
    engine.complete(_task(services, ids["follow_up"], "期满后续办理").id, engine.actor("clerk"), {})
    assert _case(services, ids["follow_up"])[:2] == (2, "completed")
    migrated = [e for e in _audit(services, ids["waiting"]) if e[0] == "case_migrated"]
    assert [(a, d["from_version"], d["to_version"]) for _t, a, d in migrated] == [("owner", 1, 2)]
    assert verify_everything(engine).findings == []


def test_case_at_a_removed_step_cannot_move_and_stays_untouched(cases: tuple[Services, dict[str, int]]) -> None:
    services, ids = cases
    _publish_variant(services, *V3_DROPS_FOLLOW_UP)
    before = _state(services, ids["follow_up"])
    report = services.engine.migrate("migration", 1, 2, services.engine.actor("owner"))
    refused = {o.instance_id: o.reason for o in report.of("refused")}
    assert list(refused) == [ids["follow_up"]] and "期满后续办理" in str(refused[ids["follow_up"]])
    assert "已删除" in str(refused[ids["follow_up"]])
    assert _state(services, ids["follow_up"]) == before
    assert _case(services, ids["follow_up"]) == (1, "running", ["期满后续办理"])
    assert _case(services, ids["waiting"])[0] == 2 and _case(services, ids["review"])[0] == 2
    assert not [e for e in _audit(services, ids["follow_up"]) if e[0] == "case_migrated"]
    assert verify_everything(services.engine).findings == []


def test_dry_run_says_which_cases_can_move_and_changes_nothing(cases: tuple[Services, dict[str, int]]) -> None:
    services, ids = cases
    engine = services.engine
    _publish_variant(services, *V3_DROPS_FOLLOW_UP)
    engine.suspend(ids["waiting"], engine.actor("owner"), "核查")
    listed = engine.cases_on_version("migration", 1, engine.actor("owner"))
    assert [(c.instance_id, c.status) for c in listed] == sorted(
        [(ids["follow_up"], "running"), (ids["waiting"], "suspended"), (ids["review"], "running")]
    )
    running = engine.cases_on_version("migration", 1, engine.actor("owner"), status="running")
    assert [c.instance_id for c in running] == [ids["follow_up"], ids["review"]]
    before = {case: _state(services, case) for case in ids.values()}
    report = engine.migrate("migration", 1, 2, engine.actor("owner"), dry_run=True)
    assert report.dry_run and [o.instance_id for o in report.of("movable")] == [ids["review"]]
    reasons = {o.instance_id: o.reason_en for o in report.not_moved}
    assert reasons[ids["waiting"]] == "The case is suspended; resume it first"
    assert "removed" in str(reasons[ids["follow_up"]])
    assert {case: _state(services, case) for case in ids.values()} == before
    as_json = orjson.loads(orjson.dumps(report.to_dict()))
    assert as_json["movable"] == 1 and as_json["not_moved"] == 2
    assert {o["instance_id"]: o["current"] for o in as_json["outcomes"]}[ids["review"]] == ["审核期限届满", "审核材料"]


def test_only_process_owners_may_migrate(cases: tuple[Services, dict[str, int]]) -> None:
    services, ids = cases
    _publish_variant(services, *V2)
    before = _state(services, ids["review"])
    for user in ("clerk", "leader", "org_user"):
        with pytest.raises(PermissionDeniedError):
            services.engine.migrate("migration", 1, 2, services.engine.actor(user))
    assert _state(services, ids["review"]) == before


def test_migration_needs_a_newer_published_version(cases: tuple[Services, dict[str, int]]) -> None:
    services, _ids = cases
    owner = services.engine.actor("owner")
    text = (ENGINE_BUNDLES / "migration" / "migration.bpmn").read_text(encoding="utf-8").replace('"P5D"', '"P3D"')
    services.engine.definitions.deploy(Bundle.from_files({"migration.bpmn": text}), "owner", publish=False)
    with pytest.raises(InvalidStateError):
        services.engine.migrate("migration", 1, 2, owner)
    with pytest.raises(InputError):
        services.engine.migrate("migration", 2, 1, owner)


def test_cli_dry_run_then_migrate_one_case(cases: tuple[Services, dict[str, int]], db_url: str) -> None:
    services, ids = cases
    _publish_variant(services, *V2)
    runner = CliRunner()
    base = ["--database-url", db_url]
    compared = runner.invoke(main, [*base, "versions", "compare", "migration", "1", "2", "--as", "owner"])
    assert compared.exit_code == 0, compared.output
    assert "审核期限届满" in compared.output and '"P2D"' in compared.output
    dry = runner.invoke(main, [*base, "migrate", "migration", "--from", "1", "--to", "2", "--dry-run", "--as", "owner"])
    assert dry.exit_code == 0, dry.output
    assert "可迁移（试运行，未做更改） 3 件" in dry.output and _case(services, ids["review"])[0] == 1
    args = ["migrate", "migration", "--from", "1", "--to", "2", "--case", str(ids["review"]), "--as", "owner"]
    moved = runner.invoke(main, [*base, *args])
    assert moved.exit_code == 0, moved.output
    assert "已迁移 1 件" in moved.output and "进度 1/1" in moved.output
    services.engine.cache.clear()
    assert _case(services, ids["review"])[0] == 2 and _case(services, ids["waiting"])[0] == 1
    listed = runner.invoke(main, [*base, "versions", "list", "migration"])
    assert listed.exit_code == 0 and "migration v1 published" in listed.output and "进行中案件 2" in listed.output
    denied = runner.invoke(main, [*base, "migrate", "migration", "--from", "1", "--to", "2", "--as", "clerk"])
    assert denied.exit_code == 1 and "流程管理员" in denied.output


NESTED_NEW_STEP = (
    ('<bpmn:sequenceFlow id="f4" sourceRef="check_name" targetRef="join"/>',
     '<bpmn:sequenceFlow id="f4" sourceRef="check_name" targetRef="check_seal"/>'
     '<bpmn:userTask id="check_seal" name="印章核查"/>'
     '<bpmn:sequenceFlow id="f4b" sourceRef="check_seal" targetRef="join"/>'),
    ("<bpmn:flowNodeRef>check_name</bpmn:flowNodeRef>",
     "<bpmn:flowNodeRef>check_name</bpmn:flowNodeRef><bpmn:flowNodeRef>check_seal</bpmn:flowNodeRef>"),
    ('name="备案登记"', 'name="备案登记表"'),
)  # fmt: skip


def test_a_new_step_reaches_migrated_cases_inside_subprocesses_and_called_processes(world: Services) -> None:
    deploy(world, "nested")
    engine, clerk = world.engine, world.engine.actor("clerk")
    fresh = engine.start("nested", clerk, street=STREET).instance_id
    advanced = engine.start("nested", clerk, street=STREET).instance_id
    engine.complete(_task(world, advanced, "名称核查").id, clerk, {})
    folder = ENGINE_BUNDLES / "nested"
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    text = (folder / "nested.bpmn").read_text(encoding="utf-8")
    for old, new in NESTED_NEW_STEP:
        text = text.replace(old, new)
    engine.definitions.deploy(Bundle.from_files({**files, "nested.bpmn": text}), "owner", publish=True)
    compared = engine.compare_versions("nested", 1, 2, engine.actor("owner"))
    assert set(compared.ids("added")) == {"check_seal", "f4b"}
    assert {e.element_id for e in compared.elements if e.kind == "changed"} == {"f4", "fl_record"}
    report = engine.migrate("nested", 1, 2, engine.actor("owner"))
    assert [o.instance_id for o in report.of("moved")] == [fresh]
    (refused,) = report.of("refused")
    assert refused.instance_id == advanced and "名称核查" in str(refused.reason) and "outputs" in str(refused.reason)
    assert _case(world, fresh) == (2, "running", sorted(["发起人背景审查", "名称核查", "备案登记表"]))
    for name in ("名称核查", "印章核查", "发起人背景审查", "备案登记表"):
        engine.complete(_task(world, fresh, name).id, clerk, {})
    assert _case(world, fresh)[:2] == (2, "completed")
    for name in ("发起人背景审查", "备案登记"):  # the refused case runs on, on version 1
        engine.complete(_task(world, advanced, name).id, clerk, {})
    assert _case(world, advanced)[:2] == (1, "completed")
    assert verify_everything(engine).findings == []


def test_a_timer_that_does_not_evaluate_on_a_case_refuses_that_case_only(
    cases: tuple[Services, dict[str, int]],
) -> None:
    services, ids = cases
    _publish_variant(services, ('tFormalExpression">"P5D"<', 'tFormalExpression">waitDays<'))
    before = _state(services, ids["waiting"])
    report = services.engine.migrate("migration", 1, 2, services.engine.actor("owner"))
    assert sorted(o.instance_id for o in report.of("moved")) == sorted([ids["review"], ids["follow_up"]])
    (refused,) = report.not_moved
    assert refused.instance_id == ids["waiting"] and "重新安排当前步骤失败" in str(refused.reason)
    assert _state(services, ids["waiting"]) == before
    assert verify_everything(services.engine).findings == []


def _block_version_change(services: Services, case: int) -> None:
    """A database trigger that fails the last write of one case's migration (after its state rows)."""
    with services.db.transaction() as tx:
        if tx.dialect == "postgresql":
            tx.execute(
                "CREATE OR REPLACE FUNCTION block_move() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'blocked by test'; END $$ LANGUAGE plpgsql"
            )
            tx.execute(
                "CREATE TRIGGER block_move BEFORE UPDATE OF process_version_id ON instances "
                f"FOR EACH ROW WHEN (NEW.id = {int(case)}) EXECUTE FUNCTION block_move()"
            )
        else:
            tx.execute(
                "CREATE TRIGGER block_move BEFORE UPDATE OF process_version_id ON instances "
                f"WHEN NEW.id = {int(case)} BEGIN SELECT RAISE(ABORT, 'blocked by test'); END"
            )


def test_a_case_whose_migration_fails_midway_is_rolled_back_and_runs_on(
    cases: tuple[Services, dict[str, int]],
) -> None:
    services, ids = cases
    engine = services.engine
    _publish_variant(services, *V2)
    _block_version_change(services, ids["review"])
    before = _state(services, ids["review"])
    try:
        report = engine.migrate("migration", 1, 2, engine.actor("owner"))
    finally:
        with services.db.transaction() as tx:
            if tx.dialect == "postgresql":
                tx.execute("DROP TRIGGER block_move ON instances")
                tx.execute("DROP FUNCTION block_move()")
            else:
                tx.execute("DROP TRIGGER block_move")
    (failed,) = report.of("failed")
    assert failed.instance_id == ids["review"] and "内部错误" in str(failed.reason)
    assert sorted(o.instance_id for o in report.of("moved")) == sorted([ids["waiting"], ids["follow_up"]])
    assert _state(services, ids["review"]) == before
    assert _case(services, ids["review"]) == (1, "running", ["审核材料"])
    engine.complete(_task(services, ids["review"], "审核材料").id, engine.actor("clerk"), {})
    assert _case(services, ids["review"]) == (1, "waiting", [])
    assert verify_everything(engine).findings == []
