"""The task page in the English UI (field errors in English) and task forms pre-filled from the case."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from engine.errors import NotFoundError
from tests.conftest import ENGINE_BUNDLES, STREET, deploy
from tests.integration.webclient import make_app, signed_in


def _case_task(world: Services, user: str = "clerk") -> tuple[int, str]:
    engine = world.engine
    iid = engine.start("approval", engine.actor("clerk"), street=STREET, title="测试申请").instance_id
    tasks = [t for t in world.queries.case_tasks(engine.actor(user), iid) if t.state == "READY"]
    return iid, tasks[0].id


def _block(html: str, name: str) -> str:
    return html.split(f'id="field-{name}"')[1].split('id="field-')[0]


def test_english_ui_shows_english_messages_at_the_fields(world: Services) -> None:
    deploy(world, "approval")
    _iid, task_id = _case_task(world)
    browser = signed_in(make_app(world), "clerk")
    browser.post("/lang/en", {"next": f"/tasks/{task_id}"})
    browser.get(f"/tasks/{task_id}")
    response = browser.post(f"/tasks/{task_id}", {"f.applicant": "王某", "f.amount": "-5", "f.mobile": "123"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    amount = _block(text, "f.amount")
    assert "is less than the minimum allowed" in amount and "小于允许的最小值" not in amount
    mobile = _block(text, "f.mobile")
    assert "mobile number is 11 digits" in mobile and "手机号码" not in mobile
    assert world.queries.task(world.engine.actor("clerk"), task_id).state == "READY"


def test_chinese_ui_still_shows_chinese_messages_at_the_fields(world: Services) -> None:
    deploy(world, "approval")
    _iid, task_id = _case_task(world)
    browser = signed_in(make_app(world), "clerk")
    browser.get(f"/tasks/{task_id}")
    response = browser.post(f"/tasks/{task_id}", {"f.applicant": "王某", "f.amount": "-5", "f.mobile": "123"})
    text = response.get_data(as_text=True)
    assert "小于允许的最小值" in _block(text, "f.amount") and "minimum" not in text
    assert "手机号码" in _block(text, "f.mobile")


def _deploy_review_of_application(world: Services, tmp_path: Path) -> None:
    """The approval bundle whose review form also shows the application: applicant read-only, amount editable."""
    bundle = tmp_path / "approval"
    shutil.copytree(ENGINE_BUNDLES / "approval", bundle)
    form = bundle / "forms" / "approve.schema.json"
    schema = json.loads(form.read_text(encoding="utf-8"))
    schema["properties"] = {
        "applicant": {"type": "string", "title": "申请人", "readOnly": True},
        "amount": {"type": "integer", "title": "金额（元）", "minimum": 0},
        **schema["properties"],
    }
    form.write_text(json.dumps(schema, ensure_ascii=False), encoding="utf-8")
    world.engine.definitions.deploy(Bundle.from_dir(bundle), "tester", publish=True)


def _lock_version(world: Services, instance_id: int) -> int:
    with world.db.transaction(write=False) as tx:
        return int(tx.scalar("SELECT lock_version FROM instances WHERE id = :i", {"i": instance_id}))


def _registered_for_review(world: Services, tmp_path: Path) -> tuple[int, str]:
    _deploy_review_of_application(world, tmp_path)
    iid, task_id = _case_task(world)
    world.engine.complete(task_id, world.engine.actor("clerk"), {"applicant": "王某", "amount": 900})
    tasks = [t for t in world.queries.case_tasks(world.engine.actor("leader"), iid) if t.state == "READY"]
    return iid, tasks[0].id


def test_a_reviewers_form_opens_with_the_case_values_and_opening_it_writes_nothing(
    world: Services, tmp_path: Path
) -> None:
    iid, review_id = _registered_for_review(world, tmp_path)
    before = _lock_version(world, iid)
    page = signed_in(make_app(world), "leader").get(f"/tasks/{review_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    applicant = _block(html, "f.applicant")
    assert 'value="王某"' in applicant and "readonly" in applicant
    amount = _block(html, "f.amount")
    assert 'value="900"' in amount and "readonly" not in amount
    assert _lock_version(world, iid) == before
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT count(*) FROM task_drafts") == 0


def test_a_draft_wins_over_the_case_but_read_only_fields_keep_the_case_value(world: Services, tmp_path: Path) -> None:
    iid, review_id = _registered_for_review(world, tmp_path)
    leader = signed_in(make_app(world), "leader")
    leader.get(f"/tasks/{review_id}")
    world.engine.claim(review_id, world.engine.actor("leader"))
    saved = leader.post(f"/tasks/{review_id}", {"f.applicant": "冒名", "f.amount": "800", "action": "save"})
    assert saved.status_code == 302
    html = leader.get(f"/tasks/{review_id}").get_data(as_text=True)
    assert 'value="800"' in _block(html, "f.amount")
    assert 'value="王某"' in _block(html, "f.applicant") and "冒名" not in html
    done = leader.post(
        f"/tasks/{review_id}", {"f.applicant": "冒名", "f.amount": "800", "f.approved": "true", "action": "complete"}
    )
    assert done.status_code == 302
    audit = [h for h in world.queries.history(world.engine.actor("leader"), iid) if h.type == "task_completed"]
    assert "冒名" not in str(audit[-1]) and "王某" in str(audit[-1])


def test_someone_who_may_not_see_the_task_gets_404_and_no_values(world: Services, tmp_path: Path) -> None:
    _iid, review_id = _registered_for_review(world, tmp_path)
    page = signed_in(make_app(world), "other_clerk").get(f"/tasks/{review_id}")
    assert page.status_code == 404 and "王某" not in page.get_data(as_text=True)
    with pytest.raises(NotFoundError):
        world.engine.task_values(review_id, world.engine.actor("other_clerk"), ["applicant"])
    assert world.engine.task_values(review_id, world.engine.actor("leader"), ["applicant", "nothing"]) == {
        "applicant": "王某"
    }


def test_the_engine_refuses_a_changed_read_only_field_from_any_client(world: Services, tmp_path: Path) -> None:
    """The API and the CLI complete through the engine too: a read-only field may be repeated, not changed."""
    from engine.errors import InputError

    iid, task_id = _registered_for_review(world, tmp_path)
    leader = world.engine.actor("leader")
    before = _lock_version(world, iid)
    with pytest.raises(InputError, match="只读") as err:
        world.engine.complete(
            task_id, leader, {"applicant": "冒名", "amount": 900, "approved": True, "opinion": "同意"}
        )
    assert err.value.details["fields"] == ["applicant"] and _lock_version(world, iid) == before
    done = world.engine.complete(
        task_id, leader, {"applicant": "王某", "amount": 900, "approved": True, "opinion": "同意"}
    )
    assert done.status == "completed"
