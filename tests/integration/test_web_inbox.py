"""The caseworker web app over a real engine: sign-in, inbox views, claiming, the task form, the case page."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.bootstrap import Services
from engine.clock import ManualClock
from tests.conftest import STREET, deploy
from tests.integration.webclient import Browser, make_app, signed_in


def _start_case(world: Services, title: str = "测试申请") -> int:
    engine = world.engine
    return engine.start("approval", engine.actor("clerk"), street=STREET, title=title).instance_id


def _task_id(world: Services, user: str, instance_id: int) -> str:
    tasks = [t for t in world.queries.case_tasks(world.engine.actor(user), instance_id) if t.state == "READY"]
    return tasks[0].id


def test_sign_in_sets_a_hardened_session_cookie_and_sign_out_ends_it(world: Services) -> None:
    browser = Browser(make_app(world))
    assert browser.get("/inbox").status_code == 302
    response = browser.login("clerk")
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert browser.get("/inbox").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert browser.get("/inbox").status_code == 302


def test_wrong_password_is_refused_and_repeated_failures_lock_the_account(world: Services) -> None:
    browser = Browser(make_app(world))
    for _ in range(5):
        response = browser.login("clerk", "wrong-password")
        assert response.status_code == 401
        assert "用户名或密码错误" in response.get_data(as_text=True)
    locked = browser.login("clerk")  # the right password no longer helps for a while
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(world: Services) -> None:
    browser = Browser(make_app(world))
    browser.get("/login")
    response = browser.post("/login", {"username": "clerk", "password": "password123"}, csrf=False)
    assert response.status_code == 400
    assert browser.get("/inbox").status_code == 302


def test_login_does_not_redirect_to_another_site(world: Services) -> None:
    browser = Browser(make_app(world))
    browser.get("/login")
    response = browser.post("/login", {"username": "clerk", "password": "password123", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/inbox"


def test_claimable_mine_and_done_views_follow_the_task(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world)
    app = make_app(world)
    clerk2 = signed_in(app, "clerk2")
    assert "测试申请" in clerk2.get("/inbox?view=claimable").get_data(as_text=True)
    assert "测试申请" not in clerk2.get("/inbox?view=mine").get_data(as_text=True)
    task_id = _task_id(world, "clerk2", iid)
    assert clerk2.post(f"/tasks/{task_id}/claim", {"back": "/inbox?view=mine"}).status_code == 302
    assert "测试申请" in clerk2.get("/inbox?view=mine").get_data(as_text=True)
    other = signed_in(app, "clerk")
    assert "测试申请" not in other.get("/inbox?view=claimable").get_data(as_text=True)
    assert other.post(f"/tasks/{task_id}/claim").status_code == 409
    assert clerk2.post(f"/tasks/{task_id}/unclaim").status_code == 302
    assert "测试申请" in other.get("/inbox?view=claimable").get_data(as_text=True)


def test_bulk_claim_takes_every_selected_task(world: Services) -> None:
    deploy(world, "approval")
    ids = [_start_case(world, f"批量{i}") for i in range(3)]
    browser = signed_in(make_app(world), "clerk2")
    chosen = [("task_id", _task_id(world, "clerk2", iid)) for iid in ids[:2]]
    assert browser.post("/tasks/claim", chosen).status_code == 302
    mine = browser.get("/inbox?view=mine").get_data(as_text=True)
    assert "批量0" in mine and "批量1" in mine and "批量2" not in mine


def test_inbox_search_filter_and_pagination_report_the_total(world: Services) -> None:
    deploy(world, "approval")
    for i in range(25):
        _start_case(world, f"分页{i:02d}")
    browser = signed_in(make_app(world), "clerk")
    page1 = browser.get("/inbox?view=claimable").get_data(as_text=True)
    assert "共 25 项" in page1 and "第 1 / 2 页" in page1
    page2 = browser.get("/inbox?view=claimable&page=2").get_data(as_text=True)
    assert len(re.findall(r'class="name"', page2)) == 5
    found = browser.get("/inbox?view=claimable&q=分页07").get_data(as_text=True)
    assert "共 1 项" in found and "分页07" in found
    assert "共 0 项" in browser.get("/inbox?view=claimable&process=other").get_data(as_text=True)
    assert browser.get("/inbox?view=nonsense").status_code == 422
    assert browser.get("/inbox?page=abc").status_code == 422


def test_due_date_shows_working_days_left_and_overdue_is_marked(world: Services, clock: ManualClock) -> None:
    deploy(world, "approval")
    _start_case(world)
    browser = signed_in(make_app(world), "clerk")
    page = browser.get("/inbox?view=claimable").get_data(as_text=True)
    assert "剩余 5 个工作日" in page
    clock.advance(timedelta(days=9))
    late = browser.get("/inbox?view=claimable&due=overdue").get_data(as_text=True)
    assert "已逾期" in late and 'class="task overdue"' in late


def test_supervisor_sees_all_open_tasks_of_the_street_and_caseworker_may_not(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world, "全部待办")
    world.engine.claim(_task_id(world, "clerk2", iid), world.engine.actor("clerk2"))
    app = make_app(world)
    leader = signed_in(app, "leader")
    assert "全部待办" in leader.get("/inbox?view=scope").get_data(as_text=True)
    assert signed_in(app, "clerk").get("/inbox?view=scope").status_code == 403


def test_new_tasks_since_the_last_visit_are_counted(world: Services, clock: ManualClock) -> None:
    deploy(world, "approval")
    _start_case(world)  # there before the last visit: not new
    app = make_app(world)
    clock.advance(timedelta(minutes=1))
    signed_in(app, "clerk")
    clock.advance(timedelta(minutes=1))
    _start_case(world)
    _start_case(world)
    assert "自上次访问以来新增 2 项待办" in signed_in(app, "clerk").get("/inbox").get_data(as_text=True)


def test_task_form_shows_chinese_errors_at_the_fields_and_changes_nothing(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world)
    task_id = _task_id(world, "clerk", iid)
    browser = signed_in(make_app(world), "clerk")
    page = browser.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="f.applicant"' in page and "申请人" in page and 'name="f.mobile"' in page
    assert "办理说明" in page and "核对申请人身份和申请金额" in page  # the task's documentation
    response = browser.post(f"/tasks/{task_id}", {"f.applicant": "王某", "f.amount": "-5", "f.mobile": "123"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    amount_block = text.split('id="field-f.amount"')[1].split('id="field-')[0]
    assert "小于允许的最小值" in amount_block
    mobile_block = text.split('id="field-f.mobile"')[1].split('id="field-')[0]
    assert "手机" in mobile_block or "格式" in mobile_block
    assert 'value="王某"' in text  # what was typed is kept
    assert world.queries.task(world.engine.actor("clerk"), task_id).state == "READY"


def test_completing_returns_to_the_inbox_and_the_next_role_finds_the_task(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world, "流转案件")
    task_id = _task_id(world, "clerk", iid)
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get(f"/tasks/{task_id}")
    done = clerk.post(f"/tasks/{task_id}", {"f.applicant": "王某", "f.amount": "900", "action": "complete"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox")
    assert "流转案件" in clerk.get("/inbox?view=done").get_data(as_text=True)
    leader = signed_in(app, "leader")
    assert "领导审批" in leader.get("/inbox?view=claimable").get_data(as_text=True)
    again = clerk.post(f"/tasks/{task_id}", {"f.applicant": "李某", "f.amount": "1", "action": "complete"})
    assert again.status_code == 409
    assert "没有覆盖他人的办理结果" in again.get_data(as_text=True)


def test_a_draft_is_kept_for_its_author_only(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world)
    task_id = _task_id(world, "clerk", iid)
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get(f"/tasks/{task_id}")
    assert clerk.post(f"/tasks/{task_id}", {"f.applicant": "草稿人", "action": "save"}).status_code == 302
    assert 'value="草稿人"' in clerk.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "草稿人" not in signed_in(app, "clerk2").get(f"/tasks/{task_id}").get_data(as_text=True)


def test_case_page_shows_status_tasks_and_timeline_and_owner_can_suspend(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world, "案件页")
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    page = clerk.get(f"/cases/{iid}").get_data(as_text=True)
    assert "案件页" in page and "案件发起" in page and "登记申请" in page and "挂起" not in page
    owner = signed_in(app, "owner")
    owner.get(f"/cases/{iid}")
    assert owner.post(f"/cases/{iid}/suspend", {"reason": "核查"}).status_code == 302
    assert "已挂起" in owner.get(f"/cases/{iid}").get_data(as_text=True)
    assert clerk.post(f"/cases/{iid}/resume").status_code == 403
    assert owner.post(f"/cases/{iid}/resume").status_code == 302
    assert owner.post(f"/cases/{iid}/cancel", {"reason": ""}).status_code == 422


def test_start_page_offers_startable_processes_and_opens_the_first_form(world: Services) -> None:
    deploy(world, "approval")
    clerk = signed_in(make_app(world), "clerk")
    assert "测试审批" in clerk.get("/start").get_data(as_text=True)
    response = clerk.post("/start/approval", {"place": f"street:{STREET}", "title": "网页发起"})
    assert response.status_code == 302 and "/tasks/" in response.headers["Location"]
    assert "登记申请" in clerk.get(response.headers["Location"]).get_data(as_text=True)
    assert clerk.post("/start/approval", {"place": "street:S-XJH"}).status_code == 403


def test_the_ui_is_chinese_by_default_and_english_on_request(world: Services) -> None:
    browser = signed_in(make_app(world), "clerk")
    assert "我的待办" in browser.get("/inbox").get_data(as_text=True)
    assert browser.post("/lang/en", {"next": "/inbox"}).headers["Location"] == "/inbox"
    english = browser.get("/inbox").get_data(as_text=True)
    assert "My tasks" in english and "Claimable" in english and "我的待办" not in english
    assert "Not found" in browser.get("/cases/424242").get_data(as_text=True)


def test_the_claimable_view_is_exactly_the_unassigned_part_of_what_the_engine_lets_each_user_act_on(
    world: Services,
) -> None:
    from engine.accounts.authz import task_visibility_sql
    from engine.worklist.inbox import Inbox, InboxQuery

    deploy(world, "approval")
    for i in range(4):
        _start_case(world, f"候选{i}")
    world.engine.claim(_task_id(world, "clerk", 1), world.engine.actor("clerk"))
    inbox = Inbox(world.db)
    for username in ("clerk", "clerk2", "other_clerk", "leader", "org_user", "owner"):
        actor = world.engine.actor(username)
        cond, params = task_visibility_sql(actor)
        with world.db.transaction(write=False) as tx:
            expected = {
                r[0]
                for r in tx.all(
                    f"SELECT ht.id FROM human_tasks ht WHERE ht.state = 'READY' AND ht.assignee IS NULL AND {cond}",
                    params,
                )
            }
        page = inbox.page(actor, InboxQuery(view="claimable", per_page=100), world.engine.clock.now())
        assert {t.id for t in page.items} == expected, username
        assert page.total == len(expected)


def test_a_start_form_is_rendered_with_its_labels_and_its_errors_come_back_at_the_field(world: Services) -> None:
    from pathlib import Path

    from engine.definitions.bundle import Bundle

    bpmn = Path(__file__).resolve().parents[2] / "bpmn" / "mediation"
    world.engine.definitions.deploy(Bundle.from_dir(bpmn), "tester", publish=True)
    world.directory.grant("clerk", "调解受理员", "street", STREET)
    clerk = signed_in(make_app(world), "clerk")
    page = clerk.get("/start").get_data(as_text=True)
    form = page.split('id="start-mediation"')[1].split("</form>")[0]
    assert 'name="f.sourceChannel"' in form and ">当事人申请</option>" in form
    bad = clerk.post("/start/mediation", {"place": f"street:{STREET}", "f.sourceChannel": "CARRIER_PIGEON"})
    assert bad.status_code == 422
    field = bad.get_data(as_text=True).split('id="field-f.sourceChannel"')[1].split('id="field-')[0]
    assert "error-text" in field
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM instances WHERE process_key = 'mediation'") == 0
    good = clerk.post("/start/mediation", {"place": f"street:{STREET}", "f.sourceChannel": "GRID"})
    assert good.status_code == 302 and "/tasks/" in good.headers["Location"]


def test_case_page_names_the_process_and_the_street(world: Services) -> None:
    deploy(world, "approval")
    iid = _start_case(world, "名称")
    page = signed_in(make_app(world), "clerk").get(f"/cases/{iid}").get_data(as_text=True)
    facts = page.split('class="facts"')[1].split("</dl>")[0]
    assert "华阳路街道" in facts and "S-HY" not in facts
    assert "测试审批" in facts and world.queries.instance(world.engine.actor("clerk"), iid).process_name == "测试审批"
