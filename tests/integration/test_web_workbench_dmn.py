"""The workbench's decision-table editor through the Flask test client, on SQLite and PostgreSQL.

The page opens a ``.dmn`` file of the draft from the process page; its saves go through the draft-save
endpoint with the draft's optimistic version and the lint checks: a broken cell refuses the save with
``file:line: element: message`` and writes nothing, a good table is saved, a stale version is a 409.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from tests.integration.webclient import Browser, make_app, signed_in

PURCHASE = Path(__file__).resolve().parents[2] / "bpmn" / "purchase"
TABLE = "procurement_method.dmn"
DMN = (PURCHASE / TABLE).read_text(encoding="utf-8")
GOOD_CELL = '<text>? == "唯一供应商"</text>'
BROKEN_CELL = "<text>? == open('/etc/passwd')</text>"


@pytest.fixture
def app(world: Services) -> Flask:
    world.engine.definitions.deploy(Bundle.from_dir(PURCHASE), "tester", publish=True)
    return make_app(world)


def _draft(owner: Browser) -> Any:
    return owner.client.get("/workbench/purchase/draft.json").get_json()


def _save_table(owner: Browser, lock: int, xml: str) -> Any:
    body = {"lock_version": lock, "files": {TABLE: xml}, "strict": True}
    return owner.client.post("/workbench/purchase/draft", json=body, headers={"X-CSRFToken": owner.token})


def test_the_process_page_links_each_decision_table_of_the_draft_to_its_editor(app: Flask) -> None:
    owner = signed_in(app, "owner")
    page = owner.get(f"/workbench/purchase/dmn?file={TABLE}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and f'data-file="{TABLE}"' in html and "dmn-modeler.production.min.js" in html
    listing = owner.get("/workbench/purchase").get_data(as_text=True)
    assert f'href="/workbench/purchase/dmn?file={TABLE}"' in listing
    assert owner.get("/workbench/purchase/dmn?file=purchase.bpmn").status_code == 404
    for asset in ("dmn-modeler.production.min.js", "assets/dmn-js-decision-table.css", "assets/dmn-font/font/dmn.woff"):
        assert owner.client.get(f"/workbench/assets/dmn-js/{asset}").status_code == 200, asset
    assert (
        signed_in(app, "clerk").client.get("/workbench/assets/dmn-js/dmn-modeler.production.min.js").status_code == 403
    )


def test_a_broken_cell_is_refused_with_file_line_element_and_message_and_nothing_is_saved(app: Flask) -> None:
    owner = signed_in(app, "owner")
    before = _draft(owner)
    assert GOOD_CELL in before["files"][TABLE]
    broken = before["files"][TABLE].replace(GOOD_CELL, BROKEN_CELL, 1)
    refused = _save_table(owner, before["lock_version"], broken)
    assert refused.status_code == 422
    errors = [p for p in refused.get_json()["problems"] if p["severity"] == "error"]
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "open('/etc/passwd')" in text)
    assert [(p["file"], p["line"], p["element"]) for p in errors] == [(TABLE, line, "IE_2_1")]
    assert "沙箱" in errors[0]["message"]
    after = _draft(owner)
    assert after["lock_version"] == before["lock_version"] and after["files"][TABLE] == before["files"][TABLE]


def test_a_good_table_is_saved_and_a_stale_version_gets_a_conflict(app: Flask) -> None:
    owner = signed_in(app, "owner")
    lock = _draft(owner)["lock_version"]
    edited = DMN.replace('"内部采购"', '"单位内部采购"', 1)
    saved = _save_table(owner, lock, edited)
    assert saved.status_code == 200 and saved.get_json()["lock_version"] == lock + 1
    assert not [p for p in saved.get_json()["problems"] if p["severity"] == "error"]
    stale = _save_table(owner, lock, DMN)
    assert stale.status_code == 409
    assert '"单位内部采购"' in _draft(owner)["files"][TABLE]


def test_the_decision_table_editor_in_english_has_no_chinese_chrome(app: Flask) -> None:
    from tests.integration.test_web_workbench_english import _untranslated

    owner = signed_in(app, "owner")
    owner.post("/lang/en", {"next": "/workbench/"})
    html = owner.get(f"/workbench/purchase/dmn?file={TABLE}").get_data(as_text=True)
    assert "Edit decision table" in html and _untranslated(html) == []
    assert "Decision tables" in owner.get("/workbench/purchase").get_data(as_text=True)
