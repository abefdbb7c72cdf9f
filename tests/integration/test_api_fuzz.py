"""Schemathesis fuzzes the API from our own OpenAPI document: no request, however odd, gets a 500, and every
answer matches the document (documented statuses and response schemas).

Runs on SQLite with a published process, a case in flight and a caseworker's token; PostgreSQL runs the
same endpoints in the other web tests.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from engine.bootstrap import build
from engine.worklist import build_worklist
from tests.conftest import ENGINE_BUNDLES, FAST_HASH, STREET
from tests.integration.webclient import make_app


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Any, str]]:
    target = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copy(sqlite_template, target)
    services = build(f"sqlite:///{target}", password_method=FAST_HASH)
    d = services.directory
    d.add_district("310105", "长宁区")
    d.add_street(STREET, "华阳路街道", "310105")
    d.add_user("clerk", "password123", "clerk")
    d.grant("clerk", "街道社区自治办经办人", "street", STREET)
    from engine.definitions.bundle import Bundle

    services.engine.definitions.deploy(Bundle.from_dir(ENGINE_BUNDLES / "approval"), "tester", publish=True)
    services.engine.start("approval", services.engine.actor("clerk"), street=STREET, title="模糊测试")
    token = build_worklist(services).access.create_token("clerk", "fuzz", services.engine.clock.now())
    yield make_app(services), token
    services.close()


def test_no_request_to_the_api_gets_a_server_error(fuzz_app: tuple[Any, str]) -> None:
    app, token = fuzz_app
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 9
    headers = {"Authorization": f"Bearer {token}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def fuzz(case: Any) -> None:
            # the form data of a task is free-form in the document; the engine validates it against the task's
            # own form, so a schema-valid body may rightly get 422: that one check does not apply here
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        fuzz()
