"""The façade end to end on a real database: start, complete, grants, bad input, operations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.bootstrap import Services
from engine.errors import ConflictError, InputError, InvalidStateError, NotFoundError, PermissionDeniedError
from engine.runtime.queries import TaskFilter
from tests.conftest import OTHER_STREET, STREET, deploy


@pytest.fixture
def approval(world: Services) -> Services:
    deploy(world, "approval")
    return world


def _at_leader_approval(services: Services) -> Any:
    """Start an approval case as clerk and register a large amount, so it waits for the leader."""
    clerk = services.engine.actor("clerk")
    started = services.engine.start("approval", clerk, street=STREET)
    [task] = _ready(services, "clerk")
    services.engine.complete(task.id, clerk, {"applicant": "王某", "amount": 5000})
    return started


def _ready(services: Services, username: str) -> list:
    tasks, _total = services.queries.tasks(services.engine.actor(username))
    return tasks


def test_case_runs_from_start_to_end_state_with_audit_trail(approval: Services) -> None:
    engine = approval.engine
    clerk, leader = engine.actor("clerk"), engine.actor("leader")
    started = engine.start("approval", clerk, street=STREET, business_key="A-1")
    assert started.status == "running"
    [register] = _ready(approval, "clerk")
    assert register.name == "登记申请" and register.role == "街道社区自治办经办人"
    assert register.due_at == "2026-03-09T16:00:00.000000Z"  # 5 working days after Mon 2026-03-02
    step = engine.complete(register.id, clerk, {"applicant": "王某", "amount": 800})
    assert step.status == "running" and len(step.new_tasks) == 1
    assert _ready(approval, "clerk") == []
    [approve] = _ready(approval, "leader")
    done = engine.complete(approve.id, leader, {"approved": True, "opinion": "同意"})
    assert (done.status, done.end_state) == ("completed", "end_approved")
    case = approval.queries.instance(leader, started.instance_id)
    assert case.status == "completed" and case.end_state == "end_approved" and case.ended_at
    types = [e.type for e in approval.queries.history(leader, started.instance_id)]
    assert types == ["instance_started", "task_completed", "task_completed", "instance_completed"]


def test_small_amount_is_approved_by_script_without_leader(approval: Services) -> None:
    engine = approval.engine
    clerk = engine.actor("clerk")
    engine.start("approval", clerk, street=STREET)
    [register] = _ready(approval, "clerk")
    result = engine.complete(register.id, clerk, {"applicant": "李某", "amount": 100})
    assert (result.status, result.end_state) == ("completed", "end_approved")
    assert _ready(approval, "leader") == []


def test_caseworker_of_another_street_neither_sees_nor_completes_the_task(approval: Services) -> None:
    engine = approval.engine
    engine.start("approval", engine.actor("clerk"), street=STREET)
    [task] = _ready(approval, "clerk")
    outsider = engine.actor("other_clerk")
    assert _ready(approval, "other_clerk") == []
    with pytest.raises(NotFoundError):
        engine.complete(task.id, outsider, {"applicant": "王某", "amount": 1})
    with pytest.raises(NotFoundError):
        approval.queries.instance(outsider, task.instance_id)
    with pytest.raises(NotFoundError):
        approval.queries.task(engine.actor("org_user"), task.id)


def test_leader_in_the_street_may_see_the_case_but_not_do_a_caseworkers_task(approval: Services) -> None:
    engine = approval.engine
    engine.start("approval", engine.actor("clerk"), street=STREET)
    [task] = _ready(approval, "clerk")
    with pytest.raises(PermissionDeniedError):
        engine.complete(task.id, engine.actor("leader"), {"applicant": "王某", "amount": 1})
    assert approval.queries.instance(engine.actor("leader"), task.instance_id).status == "running"


def test_starting_needs_the_start_lane_role_in_that_street(approval: Services) -> None:
    engine = approval.engine
    with pytest.raises(PermissionDeniedError):
        engine.start("approval", engine.actor("leader"), street=STREET)
    with pytest.raises(PermissionDeniedError):
        engine.start("approval", engine.actor("clerk"), street=OTHER_STREET)
    with pytest.raises(NotFoundError):
        engine.start("no_such_process", engine.actor("clerk"), street=STREET)


def test_invalid_form_data_is_refused_in_chinese_and_changes_nothing(approval: Services) -> None:
    engine = approval.engine
    clerk = engine.actor("clerk")
    started = engine.start("approval", clerk, street=STREET)
    [task] = _ready(approval, "clerk")
    with pytest.raises(InputError) as err:
        engine.complete(task.id, clerk, {"amount": -5, "mobile": "12345", "extra": 1})
    message = err.value.message_zh
    assert "申请人：必填项未填写" in message and "金额（元）" in message and "联系电话" in message
    with pytest.raises(InputError):
        engine.complete(task.id, clerk, {"__class__": 1})
    assert approval.queries.instance(clerk, started.instance_id).lock_version == started.lock_version
    assert [t.id for t in _ready(approval, "clerk")] == [task.id]
    assert len(approval.queries.history(clerk, started.instance_id)) == 1


def test_completing_a_task_twice_is_a_conflict(approval: Services) -> None:
    engine = approval.engine
    clerk = engine.actor("clerk")
    engine.start("approval", clerk, street=STREET)
    [task] = _ready(approval, "clerk")
    engine.complete(task.id, clerk, {"applicant": "王某", "amount": 2000})
    with pytest.raises(ConflictError) as err:
        engine.complete(task.id, engine.actor("clerk2"), {"applicant": "王某", "amount": 3000})
    assert "已被办理" in err.value.message_zh
    assert len(_ready(approval, "leader")) == 1


def test_stale_lock_version_from_a_form_is_a_conflict(approval: Services) -> None:
    engine = approval.engine
    clerk = engine.actor("clerk")
    started = engine.start("approval", clerk, street=STREET)
    [task] = _ready(approval, "clerk")
    engine.claim(task.id, clerk)
    with pytest.raises(ConflictError):
        engine.complete(task.id, clerk, {"applicant": "王某", "amount": 1}, expected_lock_version=started.lock_version)


def test_claimed_task_leaves_other_candidates_inboxes_until_unclaimed(approval: Services) -> None:
    engine = approval.engine
    clerk, clerk2 = engine.actor("clerk"), engine.actor("clerk2")
    engine.start("approval", clerk, street=STREET)
    [task] = _ready(approval, "clerk2")
    engine.claim(task.id, clerk)
    assert _ready(approval, "clerk2") == []
    mine, _ = approval.queries.tasks(clerk, TaskFilter(mine_only=True))
    assert [t.assignee for t in mine] == ["clerk"]
    with pytest.raises(ConflictError):
        engine.claim(task.id, clerk2)
    with pytest.raises(PermissionDeniedError):
        engine.complete(task.id, clerk2, {"applicant": "王某", "amount": 1})
    engine.unclaim(task.id, clerk)
    assert [t.id for t in _ready(approval, "clerk2")] == [task.id]
    engine.assign(task.id, engine.actor("owner"), "clerk2")
    assert _ready(approval, "clerk") == []
    with pytest.raises(InputError):
        engine.assign(task.id, engine.actor("owner"), "leader")


def test_suspended_case_takes_no_completions_and_fires_no_timers_until_resumed(approval: Services, clock) -> None:
    engine = approval.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = _at_leader_approval(approval)
    with pytest.raises(PermissionDeniedError):
        engine.suspend(started.instance_id, clerk)
    engine.suspend(started.instance_id, owner, "核查材料")
    [approve] = _ready(approval, "leader")
    with pytest.raises(InvalidStateError):
        engine.complete(approve.id, engine.actor("leader"), {"approved": True})
    clock.advance(timedelta(days=40))
    assert engine.fire_due_timers() == 0
    resumed = engine.resume(started.instance_id, owner)
    assert resumed.timers_fired == 2  # the reminder and the 30-day escalation fell due meanwhile
    assert engine.fire_due_timers() == 0
    names = [t.name for t in _ready(approval, "leader")]
    assert names == ["处理超期"]


def test_cancelled_case_closes_its_tasks(approval: Services) -> None:
    engine = approval.engine
    clerk = engine.actor("clerk")
    started = engine.start("approval", clerk, street=STREET)
    result = engine.cancel(started.instance_id, engine.actor("owner"), "申请人撤回")
    assert result.status == "cancelled"
    assert _ready(approval, "clerk") == []
    tasks = approval.queries.case_tasks(clerk, started.instance_id)
    assert [t.state for t in tasks] == ["CANCELLED"]
    with pytest.raises(InvalidStateError):
        engine.cancel(started.instance_id, engine.actor("owner"))


def test_timers_on_the_working_day_calendar_survive_a_restart(approval: Services, db_url: str, clock) -> None:
    from engine.bootstrap import build

    engine = approval.engine
    clerk = engine.actor("clerk")
    started = _at_leader_approval(approval)
    [approve] = _ready(approval, "leader")
    assert approve.due_at == "2026-03-05T16:00:00.000000Z"  # 3 working days
    case = approval.queries.instance(clerk, started.instance_id)
    assert case.next_timer_at == "2026-03-04T16:00:00.000000Z"  # reminder after 2 working days
    approval.close()
    restarted = build(db_url, clock=clock, verify_state=True)
    try:
        clock.advance(timedelta(days=1))
        assert restarted.engine.fire_due_timers() == 0
        clock.advance(timedelta(days=2))
        assert restarted.engine.fire_due_timers() == 1
        history = restarted.queries.history(clerk, started.instance_id)
        assert history[-1].type == "timer_fired" and history[-1].task_name == "4个工作日提醒"
        [still] = restarted.queries.tasks(restarted.engine.actor("leader"))[0]
        assert still.id == approve.id
    finally:
        restarted.close()


def test_script_failure_raises_an_incident_and_retry_with_fixed_data_continues(world: Services) -> None:
    deploy(world, "failing")
    engine = world.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = engine.start("failing", clerk, street=STREET)
    [enter] = _ready(world, "clerk")
    result = engine.complete(enter.id, clerk, {"total": 10, "count": 0})
    assert result.status == "error" and "ZeroDivisionError" in (result.incident or "")
    [incident] = world.queries.incidents(owner, started.instance_id)
    assert incident.bpmn_id == "ratio" and incident.error_type == "ZeroDivisionError"
    assert world.queries.case_tasks(clerk, started.instance_id)[0].state == "COMPLETED"  # work kept
    with pytest.raises(PermissionDeniedError):
        engine.retry(started.instance_id, clerk)
    again = engine.retry(started.instance_id, owner, {"count": 2})
    assert again.status == "running"
    assert world.queries.incidents(owner, started.instance_id) == []
    [review] = _ready(world, "clerk")
    assert review.name == "复核"
    types = [e.type for e in world.queries.history(owner, started.instance_id)]
    assert "incident_raised" in types and "incident_retried" in types


def test_message_reaches_the_waiting_case_by_business_key(world: Services) -> None:
    from engine.errors import MessageNotDeliverableError

    deploy(world, "messages")
    engine = world.engine
    mediator = engine.actor("mediator")
    started = engine.start("police_wait", mediator, street=STREET, business_key="TJ-2026-001")
    [intake] = _ready(world, "mediator")
    with pytest.raises(MessageNotDeliverableError):
        engine.send_message("police_notified", {"business_key": "TJ-2026-001"}, {"case_no": "X"})
    engine.complete(intake.id, mediator, {"case_no": "TJ-2026-001"})
    assert world.queries.instance(mediator, started.instance_id).status == "waiting"
    [sent] = [e for e in world.queries.history(mediator, started.instance_id) if e.type == "message_sent"]
    assert sent.data["name"] == "notify_police"
    assert sent.data["payload"] == {"case_no": "TJ-2026-001", "risk": "HIGH"}
    with pytest.raises(MessageNotDeliverableError) as err:
        engine.send_message("police_notified", {"business_key": "NOPE"}, {})
    assert "police_notified" in err.value.message_zh
    [delivered] = engine.send_message(
        "police_notified",
        {"business_key": "TJ-2026-001"},
        {"case_no": "TJ-2026-001", "station": "华阳派出所"},
    )
    assert delivered.instance_id == started.instance_id and delivered.status == "running"
    [close] = _ready(world, "mediator")
    assert close.name == "结案"
    history = world.queries.history(mediator, started.instance_id)
    assert any(e.type == "message_received" for e in history)


def test_message_start_event_opens_a_new_case(world: Services) -> None:
    deploy(world, "messages")
    engine = world.engine
    [result] = engine.send_message(
        "hotline_report", {"business_key": "12345-001"}, {"content": "噪音扰民"}, street=STREET
    )
    [task] = _ready(world, "mediator")
    assert task.instance_id == result.instance_id and task.name == "处理工单"


def test_parallel_branches_subprocess_and_call_activity_survive_cache_loss(world: Services) -> None:
    deploy(world, "nested")
    engine = world.engine
    clerk = engine.actor("clerk")
    started = engine.start("nested", clerk, street=STREET)
    names = sorted(t.name for t in _ready(world, "clerk"))
    assert names == ["发起人背景审查", "名称核查", "备案登记"]
    for _ in range(3):
        engine.cache.clear()  # force a restore from the database rows each step
        task = _ready(world, "clerk")[0]
        result = engine.complete(task.id, clerk, {f"done_{task.bpmn_id}": True})
    assert (result.status, result.end_state) == ("completed", "end")
    assert world.queries.instance(clerk, started.instance_id).status == "completed"


def test_deadline_in_a_year_without_official_calendar_is_provisional(approval: Services, clock) -> None:
    from datetime import datetime

    from tests.conftest import SHANGHAI

    clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))  # Monday; 5 working days reach into 2027
    engine = approval.engine
    clerk = engine.actor("clerk")
    started = engine.start("approval", clerk, street=STREET)
    [task] = _ready(approval, "clerk")
    assert task.due_provisional is True
    # 12-29, 12-30, 12-31, then 2027: 01-01 is a fixed-date day off, 01-02/03 the weekend → 01-04, 01-05
    assert task.due_at == "2027-01-05T16:00:00.000000Z"
    [event] = [e for e in approval.queries.history(clerk, started.instance_id) if e.type == "deadline_provisional"]
    assert event.data == {"years": [2027]}


def test_incident_names_the_failing_script_line(world: Services) -> None:
    deploy(world, "failing")
    engine = world.engine
    clerk = engine.actor("clerk")
    started = engine.start("failing", clerk, street=STREET)
    [enter] = _ready(world, "clerk")
    engine.complete(enter.id, clerk, {"total": 10, "count": 0})
    [incident] = world.queries.incidents(engine.actor("owner"), started.instance_id)
    assert incident.line == 1
    assert incident.bpmn_id == "ratio" and "division" in incident.message


def test_message_thrown_by_one_case_starts_another_and_the_reply_finds_its_way_back(world: Services) -> None:
    deploy(world, "linked")
    engine = world.engine
    mediator = engine.actor("mediator")
    started = engine.start("court_case", mediator, street=STREET)
    [apply] = _ready(world, "mediator")
    engine.complete(apply.id, mediator, {"ref": "R-2026-7"})
    cases = {c.process_key: c for c in world.queries.instances(mediator)[0]}
    assert cases["court_case"].status == "waiting" and cases["court"].status == "running"
    [rule] = _ready(world, "mediator")
    assert rule.name == "作出裁定" and rule.instance_id == cases["court"].id
    engine.complete(rule.id, mediator, {"result": "CONFIRMED"})
    [close] = _ready(world, "mediator")
    assert close.instance_id == started.instance_id
    history = world.queries.history(mediator, started.instance_id)
    assert [e.data["name"] for e in history if e.type == "message_sent"] == ["confirmation_requested"]
    assert any(e.type == "message_received" and e.task_name == "收到裁定" for e in history)
    court = world.queries.instance(mediator, cases["court"].id)
    assert court.status == "completed" and court.started_by == "system"


def test_case_handed_over_to_the_awarded_organization_is_worked_by_its_people(world: Services) -> None:
    deploy(world, "handover")
    d = world.directory
    winner = d.add_organization("新泾社区公益服务中心", STREET, "52310105MJ5B3N8C7E")
    d.add_user("winner_user", "password123", "中标方")
    d.grant("winner_user", "申请人", "organization", str(winner))
    engine = world.engine
    clerk = engine.actor("clerk")
    started = engine.start("handover", clerk, street=STREET, organization_id=1)
    [award] = _ready(world, "clerk")
    engine.complete(award.id, clerk, {"winnerUscc": "52310105MJ5B3N8C7E"})
    assert _ready(world, "org_user") == []
    [sign] = _ready(world, "winner_user")
    assert sign.name == "签署合同" and sign.organization_id == winner
    assert world.queries.instance(engine.actor("winner_user"), started.instance_id).organization_id == winner
    history = world.queries.history(clerk, started.instance_id)
    assert [e.data["to"] for e in history if e.type == "case_handed_over"] == [winner]


def test_handover_to_an_unregistered_organization_keeps_the_case_and_says_why(world: Services) -> None:
    deploy(world, "handover")
    engine = world.engine
    clerk = engine.actor("clerk")
    started = engine.start("handover", clerk, street=STREET, organization_id=1)
    [award] = _ready(world, "clerk")
    engine.complete(award.id, clerk, {"winnerUscc": "91350100M000100Y43"})
    [sign] = _ready(world, "org_user")
    assert sign.organization_id == 1
    [skipped] = [e for e in world.queries.history(clerk, started.instance_id) if e.type == "case_handover_skipped"]
    assert "未在系统登记" in skipped.data["reason"]


def test_due_date_given_as_a_day_expires_at_the_end_of_that_day_in_shanghai(world: Services) -> None:
    deploy(world, "due_date")
    clerk = world.engine.actor("clerk")
    world.engine.start("due_date", clerk, street=STREET)
    [task] = _ready(world, "clerk")
    assert task.due_at == "2026-03-30T16:00:00.000000Z" and task.due_date == "2026-03-30"


def test_a_claim_fires_due_timers_first_in_their_own_step_then_records_the_claim(approval: Services, clock) -> None:
    engine = approval.engine
    clerk, leader = engine.actor("clerk"), engine.actor("leader")
    started = _at_leader_approval(approval)
    [approve] = _ready(approval, "leader")
    clock.advance(timedelta(days=3))  # the reminder fell due while no timer worker ran
    claimed = engine.claim(approve.id, leader)
    assert claimed.timers_fired == 0 and claimed.status == "running"  # the claim itself runs nothing
    assert engine.fire_due_timers() == 0  # the claim's command already fired it
    types = [e.type for e in approval.queries.history(clerk, started.instance_id)]
    assert types[-2:] == ["timer_fired", "task_claimed"]
    assert approval.queries.instance(clerk, started.instance_id).status == "running"


def test_messages_to_cases_the_sender_cannot_see_are_not_delivered_or_counted(world: Services) -> None:
    from engine.errors import MessageNotDeliverableError

    deploy(world, "messages")
    engine = world.engine
    mediator = engine.actor("mediator")
    engine.start("police_wait", mediator, street=STREET, business_key="TJ-9")
    [intake] = _ready(world, "mediator")
    engine.complete(intake.id, mediator, {"case_no": "TJ-9"})
    with pytest.raises(MessageNotDeliverableError):
        engine.send_message("police_notified", {"business_key": "TJ-9"}, {}, actor=engine.actor("other_clerk"))
    with pytest.raises(PermissionDeniedError):  # message start without the start lane's role
        engine.send_message("hotline_report", {"business_key": "H-1"}, {}, actor=engine.actor("clerk"), street=STREET)


def test_an_organizations_case_cannot_be_placed_in_another_street(world: Services) -> None:
    deploy(world, "approval")
    with pytest.raises(InputError):
        world.engine.start("approval", world.engine.actor("clerk"), street=OTHER_STREET, organization_id=1)
    with pytest.raises(InputError):
        world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="长" * 301)


def test_provisional_deadlines_from_scripts_and_timers_are_marked_on_task_case_and_audit(
    world: Services, clock
) -> None:
    from datetime import datetime

    from tests.conftest import SHANGHAI

    deploy(world, "provisional")
    engine = world.engine
    clerk = engine.actor("clerk")
    clock.set(datetime(2026, 12, 28, 9, 0, tzinfo=SHANGHAI))  # add_workdays(today, 5) reaches 2027-01-05
    started = engine.start("provisional", clerk, street=STREET)
    [task] = _ready(world, "clerk")
    assert task.due_date == "2027-01-05" and task.due_provisional is True  # from a script helper's date
    case = world.queries.instance(clerk, started.instance_id)
    assert case.deadline_provisional is True
    [event] = [e for e in world.queries.history(clerk, started.instance_id) if e.type == "deadline_provisional"]
    assert event.data == {"years": [2027]}

    clock.set(datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI))  # a second case: its task's date is covered
    second = engine.start("provisional", clerk, street=STREET)
    assert world.queries.instance(clerk, second.instance_id).deadline_provisional is False
    [task2] = [t for t in _ready(world, "clerk") if t.instance_id == second.instance_id]
    assert task2.due_provisional is False
    engine.complete(task2.id, clerk, {})  # the timer (today + 40 days) now falls in 2026-12: still covered
    assert world.queries.instance(clerk, second.instance_id).deadline_provisional is False
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI))
    engine.complete(task.id, clerk, {})  # case 1: its timer lands in 2027-02 — provisional again
    years = [
        e.data["years"] for e in world.queries.history(clerk, started.instance_id) if e.type == "deadline_provisional"
    ]
    assert years == [[2027], [2027]]


def test_an_ended_case_keeps_its_state_packed_in_one_value_and_still_loads(approval: Services) -> None:
    from engine.errors import InvalidStateError
    from engine.runtime import archive

    engine = approval.engine
    clerk, owner = engine.actor("clerk"), engine.actor("owner")
    started = _at_leader_approval(approval)
    with approval.db.transaction(write=False) as tx:
        running_rows = tx.scalar(
            "SELECT COUNT(*) FROM instance_tasks WHERE instance_id = :i", {"i": started.instance_id}
        )
    assert running_rows > 5
    [approve] = _ready(approval, "leader")
    engine.complete(approve.id, engine.actor("leader"), {"approved": True, "opinion": "同意"})
    with approval.db.transaction(write=False) as tx:
        rows = tx.scalar("SELECT COUNT(*) FROM instance_tasks WHERE instance_id = :i", {"i": started.instance_id})
        state, packed = tx.one("SELECT state, state_packed FROM instances WHERE id = :i", {"i": started.instance_id})
    assert rows == 0 and state == "" and packed is not None
    header, packed_rows = archive.unpack(packed)
    assert len(packed_rows) > 5 and '"success":true' in header
    engine.cache.clear()  # the next command restores the workflow from the packed value
    with pytest.raises(InvalidStateError, match="案件已结束"):
        engine.cancel(started.instance_id, owner, "测试")
    assert approval.queries.instance(clerk, started.instance_id).status == "completed"


def test_a_computed_cycle_timer_outside_the_limits_becomes_an_incident_quickly(world: Services) -> None:
    import time

    deploy(world, "computed_cycle")  # lint cannot see the cycle: it is computed by a script
    clerk, owner = world.engine.actor("clerk"), world.engine.actor("owner")
    began = time.perf_counter()
    many = world.engine.start("computed_cycle", clerk, street=STREET)  # case 1: R100000/PT1H
    zero = world.engine.start("computed_cycle", clerk, street=STREET)  # case 2: R3/PT0S
    assert time.perf_counter() - began < 5
    assert (many.status, zero.status) == ("error", "error")
    [too_many] = world.queries.incidents(owner, many.instance_id)
    [no_period] = world.queries.incidents(owner, zero.instance_id)
    assert "重复次数必须在 1–1000 之间" in too_many.message and too_many.bpmn_id == "remind"
    assert "间隔必须大于零" in no_period.message
