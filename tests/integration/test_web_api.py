"""The JSON API: token authentication, the OpenAPI document, tasks and cases, engine errors as statuses."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from engine.bootstrap import Services
from tests.conftest import STREET, deploy
from tests.integration.webclient import make_app, signed_in


def _token(world: Services, username: str) -> dict[str, str]:
    from engine.worklist import build_worklist

    secret = build_worklist(world).access.create_token(username, "test", world.engine.clock.now())
    return {"Authorization": f"Bearer {secret}"}


def _client(world: Services) -> FlaskClient:
    return make_app(world).test_client()


def test_openapi_document_lists_the_endpoints_and_the_bearer_scheme(world: Services) -> None:
    client = _client(world)
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/tasks", "/api/v1/tasks/{task_id}/complete", "/api/v1/cases", "/api/v1/cases/{instance_id}"):
        assert path in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "/api/v1/tasks" in client.get("/api/v1/docs").get_data(as_text=True)


def test_requests_without_a_valid_token_get_401_and_a_session_cookie_is_not_enough(world: Services) -> None:
    app = make_app(world)
    assert app.test_client().get("/api/v1/tasks").status_code == 401
    bad = {"Authorization": "Bearer sqf_not-a-token"}
    assert app.test_client().get("/api/v1/tasks", headers=bad).status_code == 401
    browser = signed_in(app, "clerk")
    assert browser.client.get("/api/v1/tasks").status_code == 401


def test_a_revoked_token_stops_working(world: Services) -> None:
    from engine.worklist import build_worklist

    access = build_worklist(world).access
    headers = _token(world, "clerk")
    client = _client(world)
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    token_id = access.tokens("clerk")[0].id
    access.revoke_token("clerk", token_id, world.engine.clock.now())
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401


def test_start_claim_and_complete_through_the_api(world: Services) -> None:
    deploy(world, "approval")
    client, headers = _client(world), _token(world, "clerk")
    started = client.post(
        "/api/v1/cases", json={"process_key": "approval", "street": STREET, "title": "API 案件"}, headers=headers
    )
    assert started.status_code == 201, started.get_json()
    iid = started.get_json()["instance_id"]
    page = client.get("/api/v1/tasks?view=claimable", headers=headers).get_json()
    task = next(t for t in page["items"] if t["instance_id"] == iid)
    assert page["total"] >= 1 and task["case_title"] == "API 案件"
    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()
    assert detail["form"]["properties"]["applicant"]["title"] == "申请人"
    assert client.post(f"/api/v1/tasks/{task['id']}/claim", headers=headers).status_code == 200
    bad = client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": {"amount": -1}}, headers=headers)
    assert bad.status_code == 422
    assert any("申请人" in p for p in bad.get_json()["problems"])
    done = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {"applicant": "王某", "amount": 900}}, headers=headers
    )
    assert done.status_code == 200 and done.get_json()["status"] in ("running", "waiting")
    again = client.post(
        f"/api/v1/tasks/{task['id']}/complete", json={"data": {"applicant": "王某", "amount": 900}}, headers=headers
    )
    assert again.status_code == 409
    history = client.get(f"/api/v1/cases/{iid}/history", headers=headers).get_json()
    assert [e["type"] for e in history][:1] == ["instance_started"]
    assert client.get(f"/api/v1/cases/{iid}", headers=headers).get_json()["title"] == "API 案件"


def test_engine_errors_map_to_the_same_statuses_as_the_pages(world: Services) -> None:
    deploy(world, "approval")
    iid = world.engine.start("approval", world.engine.actor("clerk"), street=STREET).instance_id
    client, other = _client(world), _token(world, "other_clerk")
    assert client.get(f"/api/v1/cases/{iid}", headers=other).status_code == 404
    assert client.get("/api/v1/cases/999999", headers=other).status_code == 404
    forbidden: Any = client.post("/api/v1/cases", json={"process_key": "approval", "street": STREET}, headers=other)
    assert forbidden.status_code == 403
    assert client.post("/api/v1/cases", json={"street": STREET}, headers=other).status_code == 422
    assert client.get("/api/v1/tasks?view=bogus", headers=other).status_code == 422
