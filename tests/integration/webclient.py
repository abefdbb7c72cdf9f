"""A Flask test client that signs in and posts forms with their CSRF token, like a browser."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from engine.bootstrap import Services
from web import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(services: Services) -> Flask:
    return create_app({"SHEQUFLOW_SERVICES": services, "SECRET_KEY": "test-secret", "TESTING": True})


class Browser:
    """One user's session: GET pages, POST forms with the token the last page carried."""

    def __init__(self, app: Flask) -> None:
        self.client: FlaskClient = app.test_client()
        self.token = ""

    def get(self, url: str, **kw: Any) -> Any:
        response = self.client.get(url, **kw)
        found = CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, url: str, data: Any = None, *, csrf: bool = True, **kw: Any) -> Any:
        if not self.token:
            self.get("/login")
        payload: Any = list((data or {}).items()) if isinstance(data, dict) else list(data or [])
        if csrf:
            payload.append(("csrf_token", self.token))
        return self.client.post(url, data=MultiDict(payload), **kw)

    def login(self, username: str, password: str = "password123") -> Any:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})


def finished_job(browser: Browser, started: Any, seconds: float = 120) -> Any:
    """Follow a workbench job a POST started (302 to its page) until it ends; return its final page."""
    import time

    assert started.status_code == 302, started.status_code
    location = started.headers["Location"]
    deadline = time.monotonic() + seconds
    while True:
        state = browser.client.get(location, headers={"Accept": "application/json"}).get_json()
        if state["status"] != "running":
            break
        assert time.monotonic() < deadline, f"job still running after {seconds} s: {state}"
        time.sleep(0.1)
    page = browser.get(location)
    return browser.get(page.headers["Location"]) if page.status_code == 302 else page


def signed_in(app: Flask, username: str) -> Browser:
    browser = Browser(app)
    response = browser.login(username)
    assert response.status_code == 302, response.get_data(as_text=True)
    browser.get("/inbox")
    return browser
