"""Authorization over the whole URL map: nobody reaches another street's or organization's cases.

The routes come from the app's URL map, so a new route is covered without editing this test. Street A
(``S-HY``) has a case with an open task, a draft, a comment-free history and a caseworker's API token;
a caseworker of street B and an organization user request every route, HTML and API, with every
method, filling each URL variable with street A's objects: object routes answer 403 or 404, routes
about the requester's own work answer without a trace of street A, and nothing in street A changes.
Every POST of a page without a CSRF token is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from engine.bootstrap import Services
from engine.worklist import build_worklist
from tests.conftest import STREET, deploy
from tests.integration.webclient import Browser, make_app, signed_in

SECRET_TITLE = "华阳路保密案件"
SECRET_DRAFT = "草稿里的隐私"
SECRET_COMMENT = "内部意见不外传"
SECRET_FILE = b"%PDF-1.4 secret attachment body"
ATTACKERS = ("other_clerk", "org_user")
ACTIONS = ("suspend", "resume", "cancel", "retry")
FORM = {
    "reason": "测试",
    "assignee": "other_clerk",
    "f.applicant": "入侵",
    "f.amount": "1",
    "action": "complete",
    "place": f"street:{STREET}",
    "name": "t",
    "next": "/inbox",
    "back": "/inbox",
}


@dataclass
class StreetA:
    instance_id: int
    task_id: str
    token: str
    token_id: int
    attachment_id: int
    filter_id: int

    @property
    def secrets(self) -> list[str]:
        """What must never appear in an answer to an outsider (ids they typed themselves may be echoed)."""
        return [SECRET_TITLE, SECRET_DRAFT, "HY-SECRET", self.token, "登记申请", SECRET_COMMENT, "secret attachment"]


@pytest.fixture
def street_a(world: Services) -> StreetA:
    deploy(world, "approval")
    engine = world.engine
    clerk = engine.actor("clerk")
    iid = engine.start("approval", clerk, street=STREET, title=SECRET_TITLE, business_key="HY-SECRET").instance_id
    task_id = next(t.id for t in world.queries.case_tasks(clerk, iid) if t.state == "READY")
    wl = build_worklist(world)
    wl.forms.save_draft(clerk, task_id, {"applicant": SECRET_DRAFT}, engine.clock.now())
    now = engine.clock.now()
    token = wl.access.create_token("clerk", "clerk's", now)
    wl.collab.add_comment(clerk, iid, SECRET_COMMENT, now)
    attachment_id = wl.collab.add_attachment(clerk, iid, "材料.pdf", SECRET_FILE, now)
    filter_id = wl.collab.save_filter(clerk, "保密筛选", "view=mine&q=HY-SECRET", now)
    return StreetA(iid, task_id, token, wl.access.tokens("clerk")[0].id, attachment_id, filter_id)


def _values(a: StreetA, action: str) -> dict[str, Any]:
    return {
        "task_id": a.task_id,
        "instance_id": a.instance_id,
        "action": action,
        "process_key": "approval",
        "code": "en",
        "token_id": a.token_id,
        "attachment_id": a.attachment_id,
        "filter_id": a.filter_id,
        "filename": "app.css",
        "package": "bpmn-js",
        "form_name": "register_case.schema.json",
        "grant_id": 1,
        "job_id": 1,
    }


def _requests(app: Flask, a: StreetA) -> list[tuple[str, str, bool]]:
    """(method, url, names an object of street A) for every route and method."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            actions = ACTIONS if "action" in rule.arguments else ("",)
            for action in actions:
                values = {k: v for k, v in _values(a, action).items() if k in rule.arguments}
                url = app.url_for(rule.endpoint, **values)
                names_object = bool(
                    {"task_id", "instance_id", "token_id", "attachment_id", "filter_id", "grant_id"}
                    & set(rule.arguments)
                )
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    found.append((method, url, names_object))
    return found


def _snapshot(world: Services, a: StreetA) -> tuple[Any, ...]:
    with world.db.transaction(write=False) as tx:
        task = tx.one("SELECT state, assignee FROM human_tasks WHERE id = :t", {"t": a.task_id})
        case = tx.one("SELECT status, lock_version FROM instances WHERE id = :i", {"i": a.instance_id})
        token = tx.one("SELECT revoked_at FROM api_tokens WHERE id = :i", {"i": a.token_id})
        draft = tx.one("SELECT data FROM task_drafts WHERE task_id = :t", {"t": a.task_id})
        cases = tx.scalar("SELECT COUNT(*) FROM instances")
        extras = [tx.scalar(f"SELECT COUNT(*) FROM {t}") for t in ("comments", "attachments")]
        extras.append(tx.all("SELECT id, name, query FROM saved_filters WHERE owner = 'clerk'"))
        extras.append(tx.all("SELECT id, user_id, role, scope_type, scope_id FROM grants ORDER BY id"))
        extras.append(tx.scalar("SELECT COUNT(*) FROM users"))
    return task, case, token, draft, cases, extras


def _check(response: Any, method: str, url: str, names_object: bool, a: StreetA) -> None:
    body = response.get_data(as_text=True)
    where = f"{method} {url} → {response.status_code}"
    assert response.status_code < 500, where
    for secret in a.secrets:
        assert secret not in body, f"{where} leaks {secret!r}"
    if names_object:
        assert response.status_code in (403, 404), where


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_every_page_route_refuses_another_streets_objects(world: Services, street_a: StreetA, attacker: str) -> None:
    app = make_app(world)
    before = _snapshot(world, street_a)
    for method, url, names_object in _requests(app, street_a):
        if url.startswith("/api/") or url in ("/logout",) or url.startswith("/lang/"):
            continue
        browser = signed_in(app, attacker)
        response = browser.get(url) if method == "GET" else browser.post(url, {**FORM, "task_id": street_a.task_id})
        _check(response, method, url, names_object, street_a)
        if url == "/start/approval" and method == "POST":
            assert response.status_code == 403
    assert _snapshot(world, street_a) == before


@pytest.mark.parametrize("attacker", ATTACKERS)
def test_every_api_route_refuses_another_streets_objects(world: Services, street_a: StreetA, attacker: str) -> None:
    app = make_app(world)
    secret = build_worklist(world).access.create_token(attacker, "attacker", world.engine.clock.now())
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    before = _snapshot(world, street_a)
    start = {"process_key": "approval", "street": STREET, "data": {}}
    complete = {"data": {"applicant": "入侵", "amount": 1}}
    for method, url, names_object in _requests(app, street_a):
        if not url.startswith("/api/"):
            continue
        body = None if method != "POST" else start if url == "/api/v1/cases" else complete
        response = client.open(url, method=method, headers=headers, json=body)
        _check(response, method, url, names_object, street_a)
        if url == "/api/v1/cases" and method == "POST":
            assert response.status_code == 403
    assert _snapshot(world, street_a) == before


def test_every_page_post_without_a_csrf_token_is_refused(world: Services, street_a: StreetA) -> None:
    app = make_app(world)
    before = _snapshot(world, street_a)
    posts = [(m, u) for m, u, _ in _requests(app, street_a) if m == "POST" and not u.startswith("/api/")]
    assert len(posts) >= 10
    for _method, url in posts:
        browser = signed_in(app, "owner" if "/cases/" in url else "clerk")
        response = browser.post(url, {**FORM, "task_id": street_a.task_id, "action": "save"}, csrf=False)
        assert response.status_code == 400, url
        assert signed_in(app, "clerk").get("/inbox").status_code == 200
    assert _snapshot(world, street_a) == before


def test_the_owner_of_street_a_may_do_what_the_attackers_could_not(world: Services, street_a: StreetA) -> None:
    """The refusals above are about scope: the same requests succeed for the right people."""
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    assert SECRET_TITLE in clerk.get(f"/cases/{street_a.instance_id}").get_data(as_text=True)
    assert SECRET_DRAFT in clerk.get(f"/tasks/{street_a.task_id}").get_data(as_text=True)
    api = Browser(app).client
    headers = {"Authorization": f"Bearer {street_a.token}"}
    assert api.get(f"/api/v1/cases/{street_a.instance_id}", headers=headers).status_code == 200
    owner = signed_in(app, "owner")
    owner.get(f"/cases/{street_a.instance_id}")
    assert owner.post(f"/cases/{street_a.instance_id}/suspend", {"reason": "x"}).status_code == 302
