"""NUL bytes never reach the database as a 500: the web answers 400, the store turns DataError into InputError."""

from __future__ import annotations

import pytest

from engine.bootstrap import Services
from engine.errors import InputError
from engine.worklist import build_worklist
from tests.conftest import STREET, deploy
from tests.integration.webclient import Browser, make_app, signed_in


def test_the_store_reports_a_value_the_database_refuses_as_an_input_error(world: Services) -> None:
    if world.db.dialect == "postgresql":
        with pytest.raises(InputError), world.db.transaction(write=False) as tx:
            tx.scalar("SELECT username FROM users WHERE username = :u", {"u": "a\x00"})
        with pytest.raises(InputError), world.db.transaction() as tx:
            tx.execute("UPDATE users SET display_name = :d WHERE username = 'clerk'", {"d": "x\x00"})
    else:  # SQLite stores NUL like any other character
        with world.db.transaction(write=False) as tx:
            assert tx.scalar("SELECT :v", {"v": "a\x00"}) == "a\x00"
    with world.db.transaction(write=False) as tx:  # the connection went back to the pool usable
        assert tx.scalar("SELECT display_name FROM users WHERE username = 'clerk'") == "clerk"


def test_an_engine_read_with_a_nul_byte_is_an_input_error_or_nothing(world: Services) -> None:
    access = build_worklist(world).access
    try:
        assert access.sign_in("a\x00", "password123", "10.0.0.1", world.engine.clock.now()) is None
    except InputError:
        assert world.db.dialect == "postgresql"


def test_requests_carrying_nul_bytes_are_refused_with_400(world: Services) -> None:
    deploy(world, "approval")
    iid = world.engine.start("approval", world.engine.actor("clerk"), street=STREET).instance_id
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    owner = signed_in(app, "owner")
    secret = build_worklist(world).access.create_token("clerk", "test", world.engine.clock.now())
    bearer = {"Authorization": f"Bearer {secret}"}
    anonymous = Browser(app)
    anonymous.get("/login")
    answers = {
        "login": anonymous.post("/login", {"username": "a\x00", "password": "x"}),
        "inbox q": clerk.get("/inbox?q=%00"),
        "task path": clerk.get("/tasks/a%00b"),
        "api q": app.test_client().get("/api/v1/tasks?q=%00", headers=bearer),
        "comment": clerk.post(f"/cases/{iid}/comments", {"body": "你好\x00"}),
        "filter name": clerk.post("/inbox/filters", {"name": "我的\x00", "query": "view=mine"}),
        "admin user": owner.post("/admin/users", {"username": "x\x00y", "password": "long-enough-1"}),
        "field name": clerk.post(f"/cases/{iid}/comments", {"body": "ok", "k\x00": "v"}),
    }
    assert {k: r.status_code for k, r in answers.items()} == {k: 400 for k in answers}
    assert clerk.get("/inbox?q=ok").status_code == 200
    assert world.engine.actor("clerk").username == "clerk"
