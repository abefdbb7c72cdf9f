"""The task page in the English UI (field errors in English) and task forms pre-filled from the case."""

from __future__ import annotations

from engine.bootstrap import Services
from tests.conftest import STREET, deploy
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
