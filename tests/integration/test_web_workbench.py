"""The process-owner workbench through the Flask test client, on SQLite and PostgreSQL.

Only process owners reach it; uploads are validated with the lint checks and a bad one changes nothing;
two owners saving the same draft: the second gets 409; publishing needs a green scenario run or a
platform administrator's reason; a new version starts new cases while running ones stay; the compare
and migrate pages use the engine's comparison and migration.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.bootstrap import Services
from engine.definitions.bundle import Bundle
from tests.conftest import DISTRICT, ENGINE_BUNDLES, STREET, deploy
from tests.integration.webclient import Browser, finished_job, make_app, signed_in

OUTSIDERS = ("clerk", "leader", "org_user")
APPROVAL = dict(Bundle.from_dir(ENGINE_BUNDLES / "approval").files)
BPMN = APPROVAL["approval.bpmn"].decode()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _upload(browser: Browser, files: dict[str, bytes], key: str = "approval") -> Any:
    return browser.post(
        f"/workbench/{key}/upload",
        {"files": (io.BytesIO(_zip(files)), "bundle.zip")},
        content_type="multipart/form-data",
    )


def _save(browser: Browser, lock: int, files: dict[str, str], key: str = "approval") -> Any:
    body = {"lock_version": lock, "files": files}
    return browser.client.post(f"/workbench/{key}/draft", json=body, headers={"X-CSRFToken": browser.token})


def _versions(world: Services, key: str = "approval") -> list[tuple[int, str]]:
    return [(v.version, v.status) for v in world.engine.definitions.list_versions(key)]


@pytest.fixture
def app(world: Services) -> Flask:
    deploy(world, "approval")
    return make_app(world)


def test_every_workbench_route_refuses_caseworkers_supervisors_and_organization_users(
    world: Services, app: Flask
) -> None:
    routes = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("workbench."):
                others = {
                    arg: 1 if arg.endswith("_id") else "dmn-modeler.production.min.js"
                    for arg in rule.arguments - {"process_key"}
                }
                url = app.url_for(rule.endpoint, process_key="approval", **others)
                routes += [(m, url) for m in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})]
    assert len(routes) >= 12
    for username in OUTSIDERS:
        browser = signed_in(app, username)
        for method, url in routes:
            response = browser.get(url) if method == "GET" else browser.post(url, {"lock_version": "1"})
            assert response.status_code == 403, f"{username} {method} {url} → {response.status_code}"
            json_post = _save(browser, 1, {"approval.bpmn": BPMN}) if url.endswith("/draft") else None
            assert json_post is None or json_post.status_code == 403
    anonymous = Browser(app).client.get("/workbench/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _versions(world) == [(1, "published")]
    assert signed_in(app, "owner").get("/workbench/").status_code == 200


def test_process_list_shows_versions_running_cases_and_called_processes_under_their_caller(
    world: Services, app: Flask
) -> None:
    clerk = world.engine.actor("clerk")
    world.engine.start("approval", clerk, street=STREET, title="案件一")
    deploy(world, "nested")
    page = signed_in(app, "owner").get("/workbench/").get_data(as_text=True)
    approval = page[page.index('data-process="approval"') :].split("</tr>")[0]
    assert "v1" in approval and 'data-running="1"' in approval and "tester" in approval and "已发布" in approval
    nested = page.index('data-process="nested"')
    filing = page.index('data-process="filing"')
    assert nested < filing and "被调用" in page[filing : filing + 400]


def test_download_gives_the_bundle_with_the_processs_feature_file(world: Services, app: Flask, tmp_path: Path) -> None:
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "approval.feature").write_text("# language: zh-CN\n功能: 测试审批\n", encoding="utf-8")
    app.config["SHEQUFLOW_PROJECT_ROOT"] = tmp_path
    owner = signed_in(app, "owner")
    response = owner.client.get("/workbench/approval/bundle.zip?version=1")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert {"approval.bpmn", "forms/approve.schema.json", "features/approval.feature"} <= set(archive.namelist())
    assert archive.read("approval.bpmn") == APPROVAL["approval.bpmn"]
    assert owner.client.get("/workbench/approval/bundle.zip").status_code == 404  # no draft yet
    owner.get("/workbench/approval/editor")
    draft = zipfile.ZipFile(io.BytesIO(owner.client.get("/workbench/approval/bundle.zip").data))
    assert "功能: 测试审批" in draft.read("features/approval.feature").decode()


BAD_UPLOADS: dict[str, tuple[dict[str, bytes], str]] = {
    "malformed XML": ({**APPROVAL, "approval.bpmn": BPMN[:-40].encode()}, "XML 格式错误"),
    "XXE": (
        {
            **APPROVAL,
            "approval.bpmn": BPMN.replace("?>", '?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
            .replace("测试审批", "&x;")
            .encode(),
        },
        "禁止 DOCTYPE",
    ),
    "oversized file": ({**APPROVAL, "forms/big.schema.json": b" " * (5 * 1024 * 1024 + 1)}, "文件过大"),
    "sandbox escape": (
        {**APPROVAL, "approval.bpmn": BPMN.replace("approved = True", "x = ().__class__.__bases__").encode()},
        "沙箱检查",
    ),
    "recursive call activity": (
        {
            **APPROVAL,
            "approval.bpmn": BPMN.replace(
                '<bpmn:userTask id="handle_escalation" name="处理超期"/>',
                '<bpmn:callActivity id="handle_escalation" name="处理超期" calledElement="approval"/>',
            ).encode(),
        },
        "递归调用",
    ),
    "missing form": ({k: v for k, v in APPROVAL.items() if k != "forms/approve.schema.json"}, "表单文件"),
}


@pytest.mark.parametrize("kind", list(BAD_UPLOADS))
def test_a_bad_upload_lists_file_line_element_and_message_and_changes_nothing(
    world: Services, app: Flask, kind: str
) -> None:
    files, expected = BAD_UPLOADS[kind]
    owner = signed_in(app, "owner")
    response = _upload(owner, files)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected in page
    assert re.search(r"<code>[\w/.]+\.(bpmn|json):[\d-]+</code>: <strong>[\w-]+</strong>: ", page), page
    assert "有错误的流程包不会被保存或发布" in page
    assert _versions(world) == [(1, "published")]
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM workbench_drafts") == 0
        assert tx.scalar("SELECT COUNT(*) FROM bundles") == 1


def test_a_good_upload_becomes_the_draft_keeping_spiff_arena_form_properties(world: Services, app: Flask) -> None:
    owner = signed_in(app, "owner")
    changed = BPMN.replace('"P30D"', '"P45D"')
    response = _upload(owner, {**APPROVAL, "approval.bpmn": changed.encode()})
    assert response.status_code == 302
    saved = owner.client.get("/workbench/approval/draft.json").get_json()
    assert '"P45D"' in saved["files"]["approval.bpmn"]
    assert 'name="formJsonSchemaFilename" value="approve.schema.json"' in saved["files"]["approval.bpmn"]
    assert [p for p in saved["problems"] if p["severity"] == "error"] == []
    assert _versions(world) == [(1, "published")]


def test_the_second_owner_saving_the_same_draft_gets_a_conflict_and_nothing_is_overwritten(
    world: Services, app: Flask
) -> None:
    world.directory.add_user("owner2", "password123", "owner2")
    world.directory.grant("owner2", "流程管理员", "district", DISTRICT)
    first, second = signed_in(app, "owner"), signed_in(app, "owner2")
    lock = first.client.get("/workbench/approval/draft.json").get_json()["lock_version"]
    assert second.client.get("/workbench/approval/draft.json").get_json()["lock_version"] == lock
    ok = _save(first, lock, {"approval.bpmn": BPMN.replace("测试审批", "第一人的修改")})
    assert ok.status_code == 200 and ok.get_json()["lock_version"] == lock + 1
    late = _save(second, lock, {"approval.bpmn": BPMN.replace("测试审批", "第二人的修改")})
    assert late.status_code == 409
    assert "草稿已被 owner 修改" in late.get_json()["message"]
    now = first.client.get("/workbench/approval/draft.json").get_json()
    assert "第一人的修改" in now["files"]["approval.bpmn"] and now["lock_version"] == lock + 1


def test_saving_validates_with_the_lint_checks_and_names_the_elements(world: Services, app: Flask) -> None:
    owner = signed_in(app, "owner")
    lock = owner.client.get("/workbench/approval/draft.json").get_json()["lock_version"]
    broken = BPMN.replace("approved = True", "approved = open('/etc/passwd')")
    answer = _save(owner, lock, {"approval.bpmn": broken}).get_json()
    errors = [p for p in answer["problems"] if p["severity"] == "error"]
    assert errors and errors[0]["element"] == "auto_approve" and errors[0]["file"] == "approval.bpmn"
    assert "沙箱" in errors[0]["message"]
    page = owner.get("/workbench/approval").get_data(as_text=True)
    assert "auto_approve" in page and "发布为新版本" in page


def _draft_with_longer_timer(owner: Browser) -> None:
    lock = owner.client.get("/workbench/approval/draft.json").get_json()["lock_version"]
    assert _save(owner, lock, {"approval.bpmn": BPMN.replace('"P30D"', '"P45D"')}).status_code == 200


def test_publishing_needs_green_scenarios_or_a_platform_administrators_recorded_reason(
    world: Services, app: Flask
) -> None:
    world.directory.add_user("street_owner", "password123", "street_owner")
    world.directory.grant("street_owner", "流程管理员", "street", STREET)
    owner = signed_in(app, "owner")
    _draft_with_longer_timer(owner)
    refused = owner.post("/workbench/approval/publish", {})
    assert refused.status_code == 409 and "场景测试尚未全部通过" in refused.get_data(as_text=True)
    street_owner = signed_in(app, "street_owner")
    assert street_owner.get("/workbench/approval").status_code == 200
    assert street_owner.post("/workbench/approval/publish", {"override_reason": "急"}).status_code == 403
    assert _versions(world) == [(1, "published")]
    done = owner.post("/workbench/approval/publish", {"override_reason": "法规当日生效，场景稍后补充"})
    assert done.status_code == 302
    assert _versions(world) == [(2, "published"), (1, "published")]
    page = owner.get("/workbench/approval").get_data(as_text=True)
    assert "跳过场景测试强制发布" in page and "法规当日生效，场景稍后补充" in page


def test_a_new_version_starts_new_cases_and_the_owner_migrates_an_old_one_after_a_dry_run(
    world: Services, app: Flask
) -> None:
    engine, clerk = world.engine, world.engine.actor("clerk")
    old_case = engine.start("approval", clerk, street=STREET, title="旧案件").instance_id
    owner = signed_in(app, "owner")
    _draft_with_longer_timer(owner)
    owner.post("/workbench/approval/publish", {"override_reason": "测试"})
    new_case = engine.start("approval", clerk, street=STREET, title="新案件").instance_id
    with world.db.transaction(write=False) as tx:
        pinned = dict(
            tx.all("SELECT i.id, v.version FROM instances i JOIN process_versions v ON v.id = i.process_version_id")
        )
    assert pinned == {old_case: 1, new_case: 2}
    compare = owner.get("/workbench/approval/compare?old=1&new=2").get_data(as_text=True)
    assert 'data-element="escalate"' in compare and "P45D" in compare
    diagram = owner.client.get("/workbench/approval/diagram.json?version=1").get_json()
    assert '"P30D"' in diagram["xml"]
    listing = owner.get("/workbench/approval/migrate?from=1&to=2").get_data(as_text=True)
    assert f'name="case_id" value="{old_case}"' in listing and f'name="case_id" value="{new_case}"' not in listing
    form = {"from": "1", "to": "2", "case_id": str(old_case), "batch_size": "1"}
    dry = finished_job(owner, owner.post("/workbench/approval/migrate", {**form, "action": "dry_run"}))
    dry = dry.get_data(as_text=True)
    assert "试运行结果：1 件可以迁移" in dry and "可以迁移" in dry
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT process_version_id FROM instances WHERE id = :i", {"i": old_case}) is not None
        assert tx.scalar("SELECT COUNT(*) FROM audit_events WHERE type LIKE '%migrat%'") == 0
    moved = finished_job(owner, owner.post("/workbench/approval/migrate", {**form, "action": "migrate"}))
    moved = moved.get_data(as_text=True)
    assert "迁移完成：1 件已迁移" in moved and "已处理 1 / 1" in moved
    with world.db.transaction(write=False) as tx:
        version = tx.scalar(
            "SELECT v.version FROM instances i JOIN process_versions v ON v.id = i.process_version_id WHERE i.id = :i",
            {"i": old_case},
        )
        events = tx.all("SELECT type FROM audit_events WHERE instance_id = :i", {"i": old_case})
    assert version == 2 and any("migrat" in e[0] for e in events)


@pytest.mark.slow
def test_scenarios_run_against_the_draft_show_each_result_and_gate_publishing(world: Services, db_url: str) -> None:
    """The mediation scenarios run on the unchanged draft pass; a step no definition matches fails, named."""
    if not db_url.startswith("sqlite"):
        pytest.skip("the scenario run uses its own SQLite files whatever the app's database is")
    root = ENGINE_BUNDLES.parents[2]
    world.engine.definitions.deploy(Bundle.from_dir(root / "bpmn" / "mediation"), "tester", publish=True)
    app = make_app(world)
    app.config["SHEQUFLOW_SCENARIO_TIMEOUT"] = 240  # a loaded test machine
    owner = signed_in(app, "owner")
    draft = owner.client.get("/workbench/mediation/draft.json").get_json()
    feature = draft["files"]["features/mediation.feature"]
    scenario_names = re.findall(r"^\s*场景(?:大纲)?[:：]\s*(.+?)\s*$", feature, re.MULTILINE)
    assert scenario_names
    page = finished_job(owner, owner.post("/workbench/mediation/test", {}), 300).get_data(as_text=True)
    assert "场景全部通过" in page and page.count('<tr class="pass">') >= len(scenario_names)
    broken = feature.replace("那么", "那么 调解期限被改成了一百年\n    那么", 1)
    assert _save(owner, draft["lock_version"], {"features/mediation.feature": broken}, "mediation").status_code == 200
    page = finished_job(owner, owner.post("/workbench/mediation/test", {}), 300).get_data(as_text=True)
    assert "有场景未通过" in page and '<tr class="fail">' in page
    assert "<strong>那么 调解期限被改成了一百年</strong>" in page and "没有与此句匹配的步骤" in page
    refused = owner.post("/workbench/mediation/publish", {})
    assert refused.status_code == 409
    assert [v.version for v in world.engine.definitions.list_versions("mediation")] == [1]
    sessions = draft["files"]["mediation_sessions.bpmn"]  # the phase that holds the time-limit timers
    bpmn = sessions.replace("期限届满前预警。", "期限届满前预警（已修订）。", 1)
    assert bpmn != sessions
    fixed = {"features/mediation.feature": feature, "mediation_sessions.bpmn": bpmn}
    assert _save(owner, draft["lock_version"] + 1, fixed, "mediation").status_code == 200
    finished_job(owner, owner.post("/workbench/mediation/test", {}), 300)
    assert owner.post("/workbench/mediation/publish", {}).status_code == 302
    history = owner.get("/workbench/mediation").get_data(as_text=True)
    assert "v2 · owner" in history and "场景全部通过" in history


def test_the_editor_page_serves_the_modeler_and_lists_the_step_phrases_of_the_scenarios(
    world: Services, app: Flask
) -> None:
    owner = signed_in(app, "owner")
    page = owner.get("/workbench/approval/editor").get_data(as_text=True)
    assert "bpmn-modeler.production.min.js" in page and "bpmn-font/css/bpmn.css" in page
    assert "<code>过了 {n:d} 个工作日</code>" in page
    for asset in ("bpmn-modeler.production.min.js", "assets/bpmn-font/css/bpmn.css", "assets/bpmn-font/font/bpmn.woff"):
        assert owner.client.get(f"/assets/bpmn-js/{asset}").status_code == 200, asset


def test_an_upload_that_is_not_a_zip_or_has_too_many_entries_is_refused_and_changes_nothing(
    world: Services, app: Flask
) -> None:
    owner = signed_in(app, "owner")
    garbage = owner.post(
        "/workbench/approval/upload",
        {"files": (io.BytesIO(b"PK\x03\x04 not really"), "bundle.zip")},
        content_type="multipart/form-data",
    )
    assert garbage.status_code == 422 and "不是有效的 zip" in garbage.get_data(as_text=True)
    many = _upload(owner, {**APPROVAL, **{f"forms/x{i}.json": b"{}" for i in range(501)}})
    assert many.status_code == 422 and "文件过多" in many.get_data(as_text=True)
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM workbench_drafts") == 0


def test_a_scenario_run_past_its_time_limit_is_stopped_and_reported(tmp_path: Path) -> None:
    from web.scenario_runner import run_scenarios

    root = ENGINE_BUNDLES.parents[2]
    files = dict(Bundle.from_dir(root / "bpmn" / "mediation").files)
    files["features/mediation.feature"] = (root / "features" / "mediation.feature").read_bytes()
    run = run_scenarios(root, "mediation", files, timeout=0.5)
    assert not run.passed and run.problem is not None and "已终止" in run.problem
    assert run.report()[-1]["passed"] is False
    missing = run_scenarios(root, "approval", {"approval.bpmn": b""}, timeout=5)
    assert not missing.passed and "没有验收场景" in (missing.problem or "")


def test_a_draft_opened_before_another_version_was_deployed_is_not_published_over_it(
    world: Services, app: Flask
) -> None:
    owner = signed_in(app, "owner")
    _draft_with_longer_timer(owner)  # based on v1
    other = {**APPROVAL, "approval.bpmn": BPMN.replace("测试审批", "别人的新版本").encode()}
    world.engine.definitions.deploy(Bundle.from_files(other), "someone", publish=True)
    refused = owner.post("/workbench/approval/publish", {"override_reason": "急"})
    assert refused.status_code == 409 and "草稿基于 v1，其后已有 v2" in refused.get_data(as_text=True)
    assert _versions(world) == [(2, "published"), (1, "published")]


def test_loose_files_replace_their_namesakes_in_the_draft_and_a_feature_file_becomes_the_scenarios(
    world: Services, app: Flask
) -> None:
    owner = signed_in(app, "owner")
    form = APPROVAL["forms/approve.schema.json"].replace(b'"title"', b'"description": "new", "title"', 1)
    response = owner.post(
        "/workbench/approval/upload",
        [
            ("files", (io.BytesIO(form), "approve.schema.json")),
            ("files", (io.BytesIO("# language: zh-CN\n功能: 审批\n".encode()), "approval.feature")),
        ],
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    files = owner.client.get("/workbench/approval/draft.json").get_json()["files"]
    assert files["forms/approve.schema.json"] == form.decode()
    assert files["features/approval.feature"].startswith("# language: zh-CN")
    assert "approve.schema.json" not in files and files["approval.bpmn"] == BPMN


def test_the_process_list_places_every_process_once_even_when_calls_form_a_cycle() -> None:
    from engine.definitions.catalog import ProcessEntry, _nest

    entries = {k: ProcessEntry(k, k, []) for k in ("a", "b", "c", "d")}
    roots = _nest(entries, {"a": ["b"], "b": ["a"], "c": ["d", "b"], "d": []})

    def flat(entry: ProcessEntry, depth: int = 0) -> list[str]:
        return [f"{depth}{entry.key}"] + [line for c in entry.calls for line in flat(c, depth + 1)]

    assert [line for r in roots for line in flat(r)] == ["0c", "1d", "1b", "2a"]


def test_the_form_preview_renders_an_edited_schema_as_the_task_page_does(world: Services, app: Flask) -> None:
    owner = signed_in(app, "owner")
    schema = APPROVAL["forms/approve.schema.json"].decode().replace("审批意见", "修改后的审批意见")
    headers = {"X-CSRFToken": owner.token}
    html = owner.client.post("/workbench/approval/form-preview", json={"schema": schema}, headers=headers)
    page = html.get_data(as_text=True)
    assert html.status_code == 200 and "领导审批" in page and "修改后的审批意见" in page
    assert 'name="f.opinion"' in page and 'id="field-f.approved"' in page
    broken = owner.client.post("/workbench/approval/form-preview", json={"schema": "{"}, headers=headers)
    assert broken.status_code == 200 and "表单无法显示" in broken.get_data(as_text=True)


def test_migrating_to_a_version_that_is_not_published_reports_why_in_the_page_and_moves_nothing(
    world: Services, app: Flask
) -> None:
    case = world.engine.start("approval", world.engine.actor("clerk"), street=STREET, title="旧案件").instance_id
    draft_only = {**APPROVAL, "approval.bpmn": BPMN.replace('"P30D"', '"P45D"').encode()}
    world.engine.definitions.deploy(Bundle.from_files(draft_only), "someone", publish=False)
    owner = signed_in(app, "owner")
    form = {"from": "1", "to": "2", "case_id": str(case), "action": "migrate"}
    page = finished_job(owner, owner.post("/workbench/approval/migrate", form)).get_data(as_text=True)
    assert "尚未发布" in page and 'role="alert"' in page and page.rstrip().endswith("</html>")
    with world.db.transaction(write=False) as tx:
        assert tx.scalar("SELECT COUNT(*) FROM audit_events WHERE type = 'case_migrated'") == 0


def test_a_published_version_keeps_the_scenarios_it_was_published_with(world: Services, app: Flask) -> None:
    owner = signed_in(app, "owner")
    draft = owner.client.get("/workbench/approval/draft.json").get_json()
    feature = "# language: zh-CN\n功能: 测试审批（v2 的场景）\n"
    files = {"approval.bpmn": BPMN.replace('"P30D"', '"P45D"'), "features/approval.feature": feature}
    assert _save(owner, draft["lock_version"], files).status_code == 200
    assert owner.post("/workbench/approval/publish", {"override_reason": "场景随版本保存"}).status_code == 302
    assert _versions(world) == [(2, "published"), (1, "published")]

    with zipfile.ZipFile(io.BytesIO(owner.client.get("/workbench/approval/bundle.zip?version=2").get_data())) as z:
        assert z.read("features/approval.feature").decode() == feature
    with zipfile.ZipFile(io.BytesIO(owner.client.get("/workbench/approval/bundle.zip?version=1").get_data())) as z:
        assert "features/approval.feature" not in z.namelist()  # v1 was deployed without scenarios
    reopened = owner.client.get("/workbench/approval/draft.json").get_json()  # a new draft starts from v2
    assert reopened["files"]["features/approval.feature"] == feature
