"""Comments, attachments and saved filters: stored in the database, limited, and shown to the right people."""

from __future__ import annotations

import io

from engine.bootstrap import Services
from tests.conftest import STREET, deploy
from tests.integration.webclient import make_app, signed_in

PDF = b"%PDF-1.4\n%test\n"


def _case(world: Services) -> int:
    return world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="协作").instance_id


def test_a_comment_appears_on_the_case_page_for_everyone_who_sees_the_case(world: Services) -> None:
    deploy(world, "approval")
    iid = _case(world)
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get(f"/cases/{iid}")
    assert clerk.post(f"/cases/{iid}/comments", {"body": "请补充身份证复印件"}).status_code == 302
    assert "请补充身份证复印件" in signed_in(app, "leader").get(f"/cases/{iid}").get_data(as_text=True)
    assert clerk.post(f"/cases/{iid}/comments", {"body": "  "}).status_code == 422


def test_an_attachment_is_served_back_byte_for_byte_from_the_database(world: Services) -> None:
    deploy(world, "approval")
    iid = _case(world)
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get(f"/cases/{iid}")
    sent = clerk.post(f"/cases/{iid}/attachments", {"file": (io.BytesIO(PDF), "申请书.pdf")})
    assert sent.status_code == 302
    page = signed_in(app, "clerk2").get(f"/cases/{iid}").get_data(as_text=True)
    assert "申请书.pdf" in page
    link = page.split('href="/attachments/')[1].split('"')[0]
    download = signed_in(app, "clerk2").get(f"/attachments/{link}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download.headers["Content-Disposition"]


def test_attachments_of_a_wrong_type_or_disguised_content_are_refused(world: Services) -> None:
    deploy(world, "approval")
    iid = _case(world)
    clerk = signed_in(make_app(world), "clerk")
    clerk.get(f"/cases/{iid}")
    exe = clerk.post(f"/cases/{iid}/attachments", {"file": (io.BytesIO(b"MZ\x90\x00"), "virus.exe")})
    assert exe.status_code == 422 and "不支持的文件类型" in exe.get_data(as_text=True)
    fake = clerk.post(f"/cases/{iid}/attachments", {"file": (io.BytesIO(b"MZ\x90\x00"), "fake.pdf")})
    assert fake.status_code == 422 and "文件内容与扩展名不符" in fake.get_data(as_text=True)
    big = clerk.post(
        f"/cases/{iid}/attachments", {"file": (io.BytesIO(b"%PDF-" + b"0" * (10 * 1024 * 1024)), "big.pdf")}
    )
    assert big.status_code == 422
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM attachments") == 0


def test_a_filter_shared_with_a_role_is_offered_to_its_holders_only(world: Services) -> None:
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    clerk.get("/inbox?view=claimable&due=overdue")
    saved = clerk.post(
        "/inbox/filters",
        {"name": "逾期可认领", "query": "view=claimable&due=overdue", "shared_role": "街道社区自治办经办人"},
    )
    assert saved.status_code == 302
    assert "逾期可认领" in signed_in(app, "clerk2").get("/inbox").get_data(as_text=True)
    assert "逾期可认领" not in signed_in(app, "leader").get("/inbox").get_data(as_text=True)
    refused = clerk.post("/inbox/filters", {"name": "x", "query": "view=mine", "shared_role": "街道领导"})
    assert refused.status_code == 422


def test_the_case_diagram_marks_completed_and_open_tasks(world: Services) -> None:
    deploy(world, "approval")
    iid = _case(world)
    clerk = world.engine.actor("clerk")
    task = next(t for t in world.queries.case_tasks(clerk, iid) if t.state == "READY")
    world.engine.complete(task.id, clerk, {"applicant": "王某", "amount": 900})
    app = make_app(world)
    diagram = signed_in(app, "clerk").get(f"/cases/{iid}/diagram").get_json()
    assert diagram["process"] == "approval" and 'id="approval"' in diagram["xml"]
    assert diagram["completed"] == ["register_case"] and diagram["active"] == ["approve"]
    assert signed_in(app, "other_clerk").get(f"/cases/{iid}/diagram").status_code == 404
    page = signed_in(app, "clerk").get(f"/cases/{iid}").get_data(as_text=True)
    assert "/assets/bpmn-js/bpmn-navigated-viewer.production.min.js" in page


def test_process_owners_preview_every_form_and_caseworkers_may_not(world: Services) -> None:
    deploy(world, "approval")
    app = make_app(world)
    page = signed_in(app, "owner").get("/processes/approval/forms/register_case.schema.json")
    assert page.status_code == 200 and 'name="f.applicant"' in page.get_data(as_text=True)
    assert signed_in(app, "owner").get("/processes/approval/forms/nope.schema.json").status_code == 404
    assert signed_in(app, "clerk").get("/processes/approval/forms/register_case.schema.json").status_code == 403


def test_comments_and_files_added_on_a_task_page_belong_to_its_case_and_return_to_the_task(world: Services) -> None:
    deploy(world, "approval")
    iid = _case(world)
    task_id = next(t.id for t in world.queries.case_tasks(world.engine.actor("clerk"), iid) if t.state == "READY")
    clerk = signed_in(make_app(world), "clerk")
    clerk.get(f"/tasks/{task_id}")
    said = clerk.post(f"/cases/{iid}/comments", {"body": "任务页上的意见", "task_id": task_id})
    assert said.headers["Location"].endswith(f"/tasks/{task_id}#comments")
    sent = clerk.post(f"/cases/{iid}/attachments", {"file": (io.BytesIO(PDF), "附件.pdf"), "task_id": task_id})
    assert sent.status_code == 302
    page = clerk.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "任务页上的意见" in page and "附件.pdf" in page
    other = _case(world)
    assert clerk.post(f"/cases/{other}/comments", {"body": "错配", "task_id": task_id}).status_code == 404


def test_a_call_activity_is_marked_by_the_tasks_of_the_process_it_calls_and_that_diagram_by_its_own(
    world: Services,
) -> None:
    deploy(world, "nested")
    clerk = world.engine.actor("clerk")
    iid = world.engine.start("nested", clerk, street=STREET).instance_id
    app = make_app(world)
    browser = signed_in(app, "clerk")
    main = browser.get(f"/cases/{iid}/diagram").get_json()
    assert main["active"] == ["background", "call_filing", "check_name"] and main["completed"] == []
    called = browser.get(f"/cases/{iid}/diagram?process=filing").get_json()
    assert (called["process"], called["active"], called["completed"]) == ("filing", ["fl_record"], [])
    record = next(t for t in world.queries.case_tasks(clerk, iid) if t.bpmn_id == "fl_record")
    world.engine.complete(record.id, clerk, {"done_fl_record": True})
    main = browser.get(f"/cases/{iid}/diagram").get_json()
    assert main["completed"] == ["call_filing"] and "call_filing" not in main["active"]
    called = browser.get(f"/cases/{iid}/diagram?process=filing").get_json()
    assert (called["active"], called["completed"]) == ([], ["fl_record"])
    assert signed_in(app, "other_clerk").get(f"/cases/{iid}/diagram?process=filing").status_code == 404
