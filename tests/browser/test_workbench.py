"""The workbench's "done when", in Debian's chromium: a process owner changes the mediation time-limit timer.

The owner opens the mediation process, changes the time-limit timer (``mediation_expired``) in the
editor's side panel, saves (validation passes), runs the scenarios and sees them pass, and publishes:
a new case starts on the new version while a case started before stays on the old one, until the owner
migrates it (dry run first) and its history shows the migration. A change that breaks a scenario (a
deadline 60 days later) is refused at publish until the owner, a district-scoped process owner, gives a
reason. This module has its own database and server: it publishes versions the other browser tests
do not expect.

The passing timer change rewrites the deadline expression without moving it
(``end_of_day(add_days(mediationDeadline, 0))``): the mediation scenarios pin the deadline to the day,
so any real move of it breaks a scenario — which is what the second half shows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from engine.bootstrap import Services, build
from engine.demo import DemoWorld, deploy_processes, seed_directory
from engine.store.migrate import upgrade
from tests.browser.conftest import ARTIFACTS, ROOT, Page, _require_browser
from tests.conftest import FAST_HASH

TIMER_SAME_DAY = "end_of_day(add_days(mediationDeadline, 0))"
TIMER_LATER = "end_of_day(add_days(mediationDeadline, 60))"
SCENARIO_WAIT_MS = 240_000


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, DemoWorld]]:
    _require_browser()
    services = build(f"sqlite:///{tmp_path_factory.mktemp('workbench') / 'wb.db'}", password_method=FAST_HASH)
    upgrade(services.db)
    deploy_processes(services, ROOT / "bpmn")
    world = seed_directory(services, ROOT / "bpmn")
    yield services, world
    services.close()


@pytest.fixture(scope="module")
def wb_server(owned: tuple[Services, DemoWorld]) -> Iterator[str]:
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app(
        {"SHEQUFLOW_SERVICES": owned[0], "SECRET_KEY": "browser-workbench", "SHEQUFLOW_SCENARIO_TIMEOUT": 240}
    )
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def owner_page(request: pytest.FixtureRequest, chromium: Any, wb_server: str) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = Page(context.new_page(), wb_server)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "workbench.png"), full_page=True)
    context.close()


def _start_case(services: Services, world: DemoWorld, title: str) -> int:
    street = world.streets["hy"]
    actor = services.engine.actor(world.account("调解受理员", street=street))
    data = {"sourceChannel": "SELF_APPLICATION"}
    return services.engine.start("mediation", actor, street=street, title=title, data=data).instance_id


def _version_of(services: Services, instance_id: int) -> int:
    with services.db.transaction(write=False) as tx:
        return int(
            tx.scalar(
                "SELECT v.version FROM instances i JOIN process_versions v ON v.id = i.process_version_id "
                "WHERE i.id = :i",
                {"i": instance_id},
            )
        )


def _edit_timer(web: Page, expression: str) -> None:
    """Open the editor, select the time-limit timer, change it in the side panel, save."""
    page = web.page
    web.goto("/workbench/mediation")
    page.click("#open-editor")
    page.wait_for_selector("#editor[data-loaded]")
    _select(page, "call_mediate")  # the time limit lives in the 调解 phase: open it from its call activity
    page.click("#p-open-called")
    page.wait_for_selector('#editor[data-loaded="mediation_sessions.bpmn"]')
    _select(page, "mediation_expired")
    page.wait_for_selector("#p-timer-row:not([hidden])")
    assert page.text_content("#p-id") == "mediation_expired"
    assert "mediationDeadline" in page.input_value("#p-timer")
    page.fill("#p-timer", expression)
    page.click("#p-apply")
    page.click("#save")
    page.wait_for_selector("#editor[data-saved]")
    assert page.get_attribute("#editor", "data-saved") == "ok", page.text_content("#problems")
    assert "已保存" in (page.text_content("#save-status") or "")


def _run_scenarios(web: Page) -> str:
    page = web.page
    web.goto("/workbench/mediation")
    with page.expect_navigation(timeout=SCENARIO_WAIT_MS):
        page.click("#run-scenarios", no_wait_after=True)
    page.wait_for_selector("#scenario-verdict")
    return page.text_content("#scenario-verdict") or ""


def test_owner_changes_the_mediation_timer_tests_publishes_and_migrates_a_running_case(
    owned: tuple[Services, DemoWorld], owner_page: Page
) -> None:
    services, world = owned
    web, page = owner_page, owner_page.page
    old_case = _start_case(services, world, "发布前的调解案件")
    web.login("owner")

    web.goto("/workbench/")
    assert page.is_visible('tr[data-process="mediation"]')
    page.click('tr[data-process="mediation"] a')
    assert "矛盾调处" in (page.text_content("h1") or "")

    _edit_timer(web, TIMER_SAME_DAY)
    verdict = _run_scenarios(web)
    assert "场景全部通过" in verdict
    assert page.locator(".scenarios tr.pass").count() >= 10 and page.locator(".scenarios tr.fail").count() == 0

    page.click("#publish-button")
    page.wait_for_selector("text=已发布新版本 v2")
    new_case = _start_case(services, world, "发布后的调解案件")
    assert _version_of(services, new_case) == 2 and _version_of(services, old_case) == 1

    web.goto("/workbench/mediation/compare?old=1&new=2")
    page.wait_for_selector("#diagram-new[data-marked]")
    assert page.is_visible('li[data-element="mediation_expired"]')
    assert int(page.get_attribute("#diagram-new", "data-marked") or 0) >= 1
    assert page.locator('#diagram-new g.djs-element.diff-changed[data-element-id="call_mediate"]').count() == 1
    page.locator('#diagram-new g.djs-element[data-element-id="call_mediate"]').click()  # down to the 调解 level
    page.wait_for_selector('#diagram-new[data-process="mediation_sessions"][data-marked]')
    page.wait_for_selector('#diagram-old[data-process="mediation_sessions"][data-marked]')
    assert page.locator('#diagram-new g.djs-element.diff-changed[data-element-id="mediation_expired"]').count() == 1
    assert page.locator('#diagram-old g.djs-element.diff-changed[data-element-id="mediation_expired"]').count() == 1

    web.goto("/workbench/mediation/migrate?from=1&to=2")
    page.check(f'input[name=case_id][value="{old_case}"]')
    page.click("#dry-run")
    page.wait_for_selector("#report")
    assert "试运行结果：1 件可以迁移" in (page.text_content("#report h2") or "")
    assert _version_of(services, old_case) == 1
    page.click("#do-migrate")
    page.wait_for_selector("text=迁移完成：1 件已迁移")
    assert _version_of(services, old_case) == 2

    web.goto(f"/cases/{old_case}")
    assert "迁移到新版本" in (page.content() or "")  # the case_migrated audit row in the case's history

    _edit_timer(web, TIMER_LATER)
    verdict = _run_scenarios(web)
    assert "有场景未通过" in verdict
    failing = page.locator(".scenarios tr.fail")
    assert failing.count() >= 1 and "征询延期意见" in (failing.first.text_content() or "")
    page.click("#publish-button")
    assert "场景测试尚未全部通过" in (page.content() or "")
    assert [v.version for v in services.engine.definitions.list_versions("mediation")] == [2, 1]
    web.goto("/workbench/mediation")
    page.fill("textarea[name=override_reason]", "区司法局通知：期限按新规执行，场景随后更新")
    page.click("#publish-button")
    page.wait_for_selector("text=已发布新版本 v3")
    assert "区司法局通知：期限按新规执行" in (page.text_content("ul.history") or "")
    unexpected = [e for e in web.console_errors if "409 (CONFLICT)" not in e]  # the refused publish is a 409 page
    assert not unexpected, unexpected


def _open_file(page: Any, name: str) -> None:
    page.select_option("#file-select", name)
    page.wait_for_selector(f'#editor[data-loaded="{name}"]')


def _select(page: Any, element_id: str) -> None:
    page.evaluate(
        "(id) => { const m = window.workbenchModeler; m.get('selection').select(m.get('elementRegistry').get(id)); }",
        element_id,
    )
    page.wait_for_function("(id) => document.getElementById('p-id').textContent === id", arg=element_id)


def _saved_file(page: Any, name: str) -> str:
    return str(
        page.evaluate(
            "(name) => fetch(document.getElementById('editor').dataset.load).then(r => r.json())"
            ".then(d => d.files[name])",
            name,
        )
    )


def test_a_script_the_sandbox_refuses_is_listed_and_marked_on_its_element_and_forms_survive_the_modeler(
    owner_page: Page,
) -> None:
    web, page = owner_page, owner_page.page
    web.login("owner")
    web.goto("/workbench/registration/editor")
    page.wait_for_selector("#editor[data-loaded]")
    _open_file(page, "registration_application.bpmn")
    _select(page, "pre_consultation")
    page.wait_for_selector("#p-post-row:not([hidden])")
    assert "reg_eligibility_problems" in page.input_value("#p-post")  # the glue the owner now edits here
    page.fill("#p-post", "eligibilityProblems = open('/etc/passwd').read()")
    page.click("#p-apply")
    page.click("#save")
    page.wait_for_selector("#editor[data-saved]")
    assert page.get_attribute("#editor", "data-saved") == "problems"
    problem = page.locator('#problems li.error[data-element="pre_consultation"]')
    assert problem.count() == 1 and "沙箱" in (problem.text_content() or "")
    assert page.locator('g.djs-element.has-problem[data-element-id="pre_consultation"]').count() == 1
    saved = _saved_file(page, "registration_application.bpmn")
    assert "open('/etc/passwd')" in saved and 'name="formJsonSchemaFilename"' in saved
    assert "foundationType = None" in saved  # the preScript beside it is kept
    page.wait_for_selector("#form-preview #form-preview-card")
    schema = page.input_value("#form-schema")
    title = json.loads(schema)["title"]
    page.fill("#form-schema", schema.replace(title, title + "（试改）", 1))
    page.wait_for_selector(f"#form-preview h2:has-text('{title}（试改）')")


def test_the_side_panel_writes_notes_roles_and_working_day_timers_and_opens_called_diagrams(owner_page: Page) -> None:
    web, page = owner_page, owner_page.page
    web.login("owner")
    web.goto("/workbench/registration/editor")
    page.wait_for_selector("#editor[data-loaded]")
    discarded = page.evaluate(  # start from the published version, whatever an earlier test left in the draft
        "() => fetch('/workbench/registration/discard', {method: 'POST', headers: {'X-CSRFToken':"
        " document.getElementById('editor').dataset.csrf}}).then(r => r.status)"
    )
    assert discarded in (200, 302)
    web.goto("/workbench/registration/editor")
    page.wait_for_selector("#editor[data-loaded]")
    _select(page, "call_intake")
    page.wait_for_selector("#p-open-called:not([hidden])")
    page.click("#p-open-called")
    page.wait_for_selector('#editor[data-loaded="registration_intake.bpmn"]')
    assert page.input_value("#file-select") == "registration_intake.bpmn"

    _select(page, "send_not_accepted")  # a notice: its message, what it sends, how it finds its case
    page.wait_for_selector("#p-message-row:not([hidden])")
    assert page.text_content("#p-message") == "registration_not_accepted"
    detail = page.text_content("#p-message-detail") or ""
    assert "发送内容：" in detail and "按案件（或业务编号）投递" in detail

    _select(page, "district_correction_lapsed")
    page.wait_for_selector("#p-due-row:not([hidden])")
    assert page.input_value("#p-timer-kind") == "timeDate"
    page.fill("#p-due-n", "20")
    page.select_option("#p-due-unit", "workdays")
    page.click("#p-due-make")
    assert page.input_value("#p-timer") == "due_in_workdays(20)"
    page.fill("#p-dev", "补正期限改为20个工作日（试行）")
    page.click("#p-apply")

    _select(page, "window_intake")
    page.wait_for_selector("#p-role-row:not([hidden])")
    page.fill("#p-role", "区民政局社会组织登记窗口")
    page.click("#p-apply")
    page.click("#save")
    page.wait_for_selector("#editor[data-saved]")
    assert page.get_attribute("#editor", "data-saved") == "ok", page.text_content("#problems")
    saved = _saved_file(page, "registration_intake.bpmn")
    assert ">due_in_workdays(20)</bpmn:timeDate>" in saved
    assert 'name="devNotes" value="补正期限改为20个工作日（试行）"' in saved
    assert 'name="role" value="区民政局社会组织登记窗口"' in saved
    assert "spiffworkflow:postScript" in saved and 'name="formJsonSchemaFilename"' in saved  # nothing else lost
    _select(page, "district_correction_lapsed")  # the helper reads the timer it wrote back
    assert (page.input_value("#p-due-n"), page.input_value("#p-due-unit")) == ("20", "workdays")
    assert page.input_value("#p-dev") == "补正期限改为20个工作日（试行）"


def test_the_owner_opens_the_purchase_decision_table_from_the_draft_and_saves_it_unchanged(owner_page: Page) -> None:
    web, page = owner_page, owner_page.page
    web.login("owner")
    web.goto("/workbench/purchase/editor")  # opens a draft, so the process page lists its files
    page.wait_for_selector("#editor[data-loaded]")
    web.goto("/workbench/purchase")
    page.click('a.dmn-file:has-text("procurement_method.dmn")')
    page.wait_for_selector("#dmn-editor[data-loaded]")
    table = page.locator("#dmn-canvas table")
    assert table.count() >= 1
    assert page.locator("#dmn-canvas tbody tr").count() >= 10
    assert "唯一供应商" in (page.text_content("#dmn-canvas") or "")
    assert "确定采购方式" in (page.text_content("#dmn-canvas") or "")
    lock = int(page.text_content("#lock-version") or "0")
    page.click("#save")
    page.wait_for_selector("#dmn-editor[data-saved]")
    assert page.get_attribute("#dmn-editor", "data-saved") == "ok", page.text_content("#problems")
    assert int(page.text_content("#lock-version") or "0") == lock + 1
    # dmn-js 17.10.2's production bundle embeds Inferno's development build, which always logs this one line.
    inferno_notice = "It looks like you're using a minified copy of the development build of Inferno"
    assert [e for e in web.console_errors if not e.startswith(inferno_notice)] == []


def test_a_broken_decision_table_cell_is_outlined_where_the_owner_edits_it(owner_page: Page) -> None:
    web, page = owner_page, owner_page.page
    web.login("owner")
    web.goto("/workbench/purchase/editor")
    page.wait_for_selector("#editor[data-loaded]")
    saved = page.evaluate(
        """async () => {
          const root = document.getElementById('editor');
          const draft = await (await fetch(root.dataset.load)).json();
          const name = Object.keys(draft.files).find(n => n.endsWith('procurement_method.dmn'));
          const broken = draft.files[name].replace('? &lt; thresholdFen', "? &lt; open('/etc/passwd')");
          const r = await fetch(root.dataset.save, {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': root.dataset.csrf}, body: JSON.stringify({lock_version: draft.lock_version,
            files: {[name]: broken}})});
          return [name, r.status, broken !== draft.files[name]];
        }"""
    )
    assert saved[1:] == [200, True], saved
    web.goto(f"/workbench/purchase/dmn?file={saved[0]}")
    page.wait_for_selector("#dmn-editor[data-loaded]")
    cell = page.locator('#dmn-canvas [data-element-id="IE_1_0"].has-problem')
    assert cell.count() >= 1 and "沙箱" in (cell.first.get_attribute("title") or "")
    assert page.locator('#problems li.error[data-element="IE_1_0"]').count() == 1
    page.click('#problems li.error[data-element="IE_1_0"]')
    assert int(page.get_attribute("#dmn-editor", "data-marked") or 0) >= 1
