"""A pytest plugin for the workbench's scenario runs: one JSON line per scenario with the failing step.

Loaded in the scenario subprocess (``-p web.scenario_report``) with ``SHEQUFLOW_SCENARIO_REPORT`` naming
the output file; each line is ``{"scenario", "passed", "step", "message"}``. It has no effect elsewhere.
"""

from __future__ import annotations

import json
import os
from typing import Any

_SCENARIOS: dict[str, str] = {}
_FAILED_STEP: dict[str, tuple[str, str]] = {}


def _write(entry: dict[str, Any]) -> None:
    path = os.environ.get("SHEQUFLOW_SCENARIO_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def pytest_bdd_before_scenario(request: Any, feature: Any, scenario: Any) -> None:
    _SCENARIOS[request.node.nodeid] = scenario.name


def pytest_bdd_step_error(
    request: Any, feature: Any, scenario: Any, step: Any, step_func: Any, step_func_args: Any, exception: Exception
) -> None:
    _FAILED_STEP[request.node.nodeid] = (f"{step.keyword.strip()} {step.name}", _message(exception))


def pytest_bdd_step_func_lookup_error(request: Any, feature: Any, scenario: Any, step: Any, exception: Any) -> None:
    _FAILED_STEP[request.node.nodeid] = (f"{step.keyword.strip()} {step.name}", "没有与此句匹配的步骤 (undefined step)")


def pytest_runtest_logreport(report: Any) -> None:
    if report.when == "call" or (report.failed and report.when == "setup"):
        name = _SCENARIOS.get(report.nodeid, report.nodeid.rsplit("::", 1)[-1])
        step, message = _FAILED_STEP.get(report.nodeid, (None, None))
        if report.failed and message is None:
            message = str(report.longrepr).strip().splitlines()[-1][:500] if report.longrepr else ""
        _write({"scenario": name, "passed": report.passed, "step": step, "message": message})


def _message(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]
