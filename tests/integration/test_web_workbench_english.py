"""The workbench in English: every label, button and heading comes from the English catalog.

Process names, diagram content, step phrases and what users typed stay as they were written; the test
removes exactly those from the page and then finds no Chinese character left in the visible chrome
(text nodes, titles, aria labels and the messages the editor script shows).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from flask import Flask

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from tests.conftest import ENGINE_BUNDLES, STREET, deploy
from tests.integration.webclient import Browser, finished_job, make_app, signed_in
from web.workbench import english_part

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")
VISIBLE_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
# Written by users or by the process designer (and the name of the Chinese UI in the language switch).
USER_DATA = (
    "中文",
    "测试审批",
    "旧案件",
    "英文测试",
    "超期升级",
    "登记申请",
    "领导审批",
    "假如",
    "当",
    "那么",
    "而且",
    "但是",
)


class _Chrome(HTMLParser):
    """Collect what a reader sees: text outside scripts and styles, and the visible attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "textarea"):
            self._hidden += 1
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or name.startswith("data-msg-")):
                self.texts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "textarea"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.texts.append(data)


def _untranslated(html: str, data: tuple[str, ...] = USER_DATA) -> list[str]:
    parser = _Chrome()
    parser.feed(html)
    left = []
    for text in parser.texts:
        for known in sorted(data, key=len, reverse=True):
            text = text.replace(known, "")
        left += [f"{run} in {text.strip()[:80]!r}" for run in CJK.findall(text)]
    return left


def _english_owner(app: Flask) -> Browser:
    owner = signed_in(app, "owner")
    assert owner.post("/lang/en", {"next": "/workbench/"}).status_code == 302
    return owner


def test_every_workbench_page_shows_english_chrome_and_keeps_user_data_as_written(world: Services) -> None:
    deploy(world, "approval")
    app = make_app(world)
    case = world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="旧案件").instance_id
    owner = _english_owner(app)
    files = dict(Bundle.from_dir(ENGINE_BUNDLES / "approval").files)
    lock = owner.client.get("/workbench/approval/draft.json").get_json()["lock_version"]
    bpmn = files["approval.bpmn"].decode().replace('"P30D"', '"P45D"')
    saved = owner.client.post(
        "/workbench/approval/draft",
        json={"lock_version": lock, "files": {"approval.bpmn": bpmn}},
        headers={"X-CSRFToken": owner.token},
    )
    assert saved.status_code == 200
    finished_job(owner, owner.post("/workbench/approval/test", {}))
    assert owner.post("/workbench/approval/publish", {"override_reason": "英文测试"}).status_code == 302
    owner.get("/workbench/approval/editor")  # a fresh draft, so the process page shows its sections too
    form = {"from": "1", "to": "2", "case_id": str(case), "batch_size": "1"}
    pages = {
        "list": owner.get("/workbench/"),
        "process": owner.get("/workbench/approval"),
        "editor": owner.get("/workbench/approval/editor"),
        "compare": owner.get("/workbench/approval/compare?old=1&new=2"),
        "migrate": owner.get("/workbench/approval/migrate?from=1&to=2"),
        "dry run": finished_job(owner, owner.post("/workbench/approval/migrate", {**form, "action": "dry_run"})),
        "migration": finished_job(owner, owner.post("/workbench/approval/migrate", {**form, "action": "migrate"})),
    }
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert {name: _untranslated(r.get_data(as_text=True)) for name, r in pages.items()} == {key: [] for key in pages}
    assert "Publish as new version" in pages["process"].get_data(as_text=True)
    assert "Save and check" in pages["editor"].get_data(as_text=True)
    assert "Dry run: 1 cases can be migrated" in pages["dry run"].get_data(as_text=True)
    assert "Processed 1 / 1" in pages["migration"].get_data(as_text=True)
    assert "Forced publication without passing scenarios" in pages["process"].get_data(as_text=True)


def test_the_check_finds_a_label_left_in_chinese() -> None:
    assert _untranslated('<h2>Check results</h2><button title="保存">Save</button>') == ["保存 in '保存'"]
    assert _untranslated("<p>测试审批 <code>过了 3 个工作日</code></p><script>'中文'</script>") == []


def test_a_check_message_in_english_is_its_last_balanced_parenthesis() -> None:
    assert (
        english_part("脚本无法编译 (script does not compile: bad (x, line 1))")
        == "script does not compile: bad (x, line 1)"
    )
    assert english_part("用户任务没有表单（缺少属性） (user task has no form)") == "user task has no form"
    assert english_part("只有中文") == "只有中文"
