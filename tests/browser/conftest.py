"""Browser tests: Playwright drives Debian's chromium (``/usr/bin/chromium``, never a downloaded browser)
against a real server on loopback, over the demo world (the three processes, one account per lane).

Without chromium the tests skip — unless ``SHEQUFLOW_REQUIRE_BROWSER=1`` (CI), where they fail. A failing
test leaves a full-page screenshot in ``instance/browser-failures/``.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.bootstrap import Services, build
from engine.demo import DEMO_PASSWORD, deploy_processes, seed_directory
from engine.store.migrate import upgrade
from tests.conftest import FAST_HASH

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SHEQUFLOW_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "instance" / "browser-failures"


def _require_browser() -> None:
    problem = None
    if not Path(CHROMIUM).exists():
        problem = f"{CHROMIUM} not installed (apt-get install chromium)"
    elif not (ROOT / "node_modules" / "bpmn-js").exists():
        problem = "front-end assets not installed (make install)"
    if problem:
        if os.environ.get("SHEQUFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required: {problem}")
        pytest.skip(problem)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    _require_browser()
    services = build(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}", password_method=FAST_HASH)
    upgrade(services.db)
    deploy_processes(services, ROOT / "bpmn")
    seed_directory(services, ROOT / "bpmn")
    yield services
    services.close()


@pytest.fixture(scope="session")
def server(demo: Services) -> Iterator[str]:
    from werkzeug.serving import make_server

    from web import create_app

    app = create_app({"SHEQUFLOW_SERVICES": demo, "SECRET_KEY": "browser-tests"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
            ],
        )
        yield browser
        browser.close()


class Page:
    """A page with its console errors collected; helpers to sign in."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.goto("/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("form.login button[type=submit]")
        self.page.wait_for_url("**/inbox**")


@pytest.fixture
def web(request: pytest.FixtureRequest, chromium: Any, server: str) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = Page(context.new_page(), server)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
        page.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


def chromium_available() -> bool:
    return shutil.which(CHROMIUM) is not None
