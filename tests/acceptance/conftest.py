"""Acceptance scenarios: Chinese Gherkin driving the processes through the engine façade.

Every scenario runs on a real database (SQLite and PostgreSQL, via ``db_url``) with the demo world of
``engine.demo``: the processes under ``bpmn/`` deployed and published, one account per lane and place.
Steps act as the demo account of a role — the same grants a person logging in would have — and the
clock is a :class:`~engine.clock.ManualClock` the steps move ("当 过了 5 个工作日").
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.bootstrap import build
from engine.clock import ManualClock
from engine.demo import deploy_processes, role_declarations, seed_directory
from tests.acceptance.steps.context import Scenario
from tests.conftest import FAST_HASH

ROOT = Path(__file__).resolve().parents[2]
# The workbench runs the scenarios against a draft by pointing this at a folder laid out like bpmn/.
BPMN = Path(os.environ.get("SHEQUFLOW_SCENARIO_BPMN") or ROOT / "bpmn")
HARNESS_BUNDLE = ROOT / "tests" / "fixtures" / "engine" / "approval"
HARNESS_ROLES = [
    {"role": "街道社区自治办经办人", "scope": "street", "account": "clerk"},
    {"role": "街道领导", "scope": "street", "account": "leader"},
]


@pytest.fixture(autouse=True)
def _database(db_url: str) -> str:
    """Bring ``db_url`` (sqlite, postgres) into every scenario's static fixture closure.

    pytest-bdd requests step fixtures dynamically, and a parametrized fixture must be known statically
    for its parameters to apply; this autouse fixture does that.
    """
    return db_url


@pytest.fixture(autouse=True, params=["cached", "reload"])
def cache_size(request: pytest.FixtureRequest) -> int:
    """Every scenario runs twice: with the live-workflow cache, and with none, so that every step
    restores the case from its stored rows (the path a fresh process or another worker takes)."""
    return 2000 if request.param == "cached" else 0


@pytest.fixture
def scenario(db_url: str, clock: ManualClock, cache_size: int) -> Iterator[Scenario]:
    services = build(db_url, clock=clock, verify_state=True, password_method=FAST_HASH, cache_size=cache_size)
    roles = role_declarations(BPMN) + HARNESS_ROLES
    world = seed_directory(services, BPMN, roles=roles)
    if BPMN.exists():
        deploy_processes(services, BPMN)
    from engine.definitions.bundle import Bundle

    services.engine.definitions.deploy(Bundle.from_dir(HARNESS_BUNDLE), "harness", publish=True)
    yield Scenario(services=services, world=world, clock=clock, street=world.streets["hy"])
    if os.environ.get("SHEQUFLOW_FOOTPRINT_OUT"):  # bench.state_size: sizes of the cases this scenario completed
        _write_footprints(services, Path(os.environ["SHEQUFLOW_FOOTPRINT_OUT"]))
    services.close()


def _write_footprints(services: Any, out: Path) -> None:
    from bench.state_size import footprint

    with services.db.transaction(write=False) as tx:
        cases = tx.all("SELECT id, process_key FROM instances WHERE status = 'completed' ORDER BY id")
    found = [{"id": i, "process_key": k, **footprint(services, i)} for i, k in cases]
    out.write_text(json.dumps(found), encoding="utf-8")
