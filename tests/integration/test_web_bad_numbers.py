"""Numbers in requests are ASCII digits within bounds: Unicode digits ("²", "①") and huge values are 4xx."""

from __future__ import annotations

import json
from pathlib import Path

from werkzeug.datastructures import MultiDict

from engine.bootstrap import Services
from engine.worklist import build_worklist
from engine.worklist.numbers import ascii_int
from tests.conftest import deploy
from tests.integration.webclient import make_app, signed_in
from web.formview import edit_rows, parse_object

BPMN = Path(__file__).parents[2] / "bpmn"
UNICODE_DIGITS = ("²", "①", "٣", "１")


def test_ascii_int_takes_only_ascii_digits_within_the_bound() -> None:
    assert ascii_int("42", maximum=100) == 42
    assert ascii_int("0", maximum=100) == 0
    for raw in (*UNICODE_DIGITS, "", "-1", "+1", " 1", "1.0", "101", "99999999999999999999"):
        assert ascii_int(raw, maximum=100) is None, raw


def test_inbox_and_api_refuse_or_ignore_unicode_digits_without_a_500(world: Services) -> None:
    deploy(world, "approval")
    app = make_app(world)
    clerk = signed_in(app, "clerk")
    secret = build_worklist(world).access.create_token("clerk", "test", world.engine.clock.now())
    api = app.test_client()
    for digit in UNICODE_DIGITS:
        assert clerk.get(f"/inbox?page={digit}").status_code == 422, digit
        assert clerk.get(f"/inbox?per_page={digit}").status_code == 422, digit
        for q in (digit, f"#{digit}"):
            assert clerk.get("/inbox", query_string={"q": q}).status_code == 200, q
            listed = api.get("/api/v1/tasks", query_string={"q": q}, headers={"Authorization": f"Bearer {secret}"})
            assert listed.status_code == 200, q


def test_starting_a_case_at_a_unicode_or_huge_organization_id_is_refused(world: Services) -> None:
    deploy(world, "approval")
    clerk = signed_in(make_app(world), "clerk")
    for place in ("org:²", "org:①", "org:99999999999999999999"):
        assert clerk.post("/start/approval", {"place": place}).status_code in (403, 404, 422), place


def test_admin_grants_at_a_unicode_or_huge_organization_id_are_refused(world: Services) -> None:
    owner = signed_in(make_app(world), "owner")
    for scope_id in ("²", "①", "99999999999999999999"):
        form = {"username": "clerk2", "role": "申请人", "scope_type": "organization", "scope_id": scope_id}
        assert owner.post("/admin/grants", form).status_code == 403, scope_id
    assert owner.get("/admin/users").status_code == 200


def test_array_row_counts_and_row_deletes_ignore_unicode_digits() -> None:
    schema = json.loads((BPMN / "purchase/forms/register_bids.schema.json").read_text("utf-8"))
    for digit in UNICODE_DIGITS:
        data = parse_object(schema, MultiDict([("f.bids.n", digit), ("f.bids.0.supplierName", "某社")]))
        assert data.get("bids", []) == []
        rows = {"bids": [{"supplierName": "甲"}, {"supplierName": "乙"}]}
        assert edit_rows(schema, rows, f"del:bids:{digit}") is True
        assert len(rows["bids"]) == 2
    rows = {"bids": [{"supplierName": "甲"}, {"supplierName": "乙"}]}
    edit_rows(schema, rows, "del:bids:0")
    assert rows["bids"] == [{"supplierName": "乙"}]
