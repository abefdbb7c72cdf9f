"""Run a process's Chinese scenarios against a workbench draft, in a subprocess with a time limit.

The draft is written to a temporary folder laid out like the repository: ``bpmn/`` (the other
processes as checked in, the draft's process replaced by the draft's files) and ``features/`` (the
draft's feature file). pytest runs ``tests/acceptance/test_<process>.py`` from that folder — the
test module names its features relative to the working directory — with
``SHEQUFLOW_SCENARIO_BPMN`` pointing the acceptance harness at the draft, on SQLite only: every
scenario gets its own temporary database file, so a run never touches the app's database.
:mod:`web.scenario_report` writes one line per scenario with the failing step and its message.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.definitions.drafts import feature_path

# The run is a workbench job outside the request (engine.definitions.jobs), so it is not bound by the
# server's request timeout; this limit only stops a run that hangs. SHEQUFLOW_SCENARIO_TIMEOUT changes it.
DEFAULT_TIMEOUT_SECONDS = 600


@dataclass
class ScenarioRun:
    """The outcome of one run: one entry per scenario, and a problem if the run itself failed."""

    scenarios: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.scenarios) and all(s["passed"] for s in self.scenarios)

    def report(self) -> list[dict[str, Any]]:
        if self.problem:
            return [*self.scenarios, {"scenario": "（运行）", "passed": False, "step": None, "message": self.problem}]
        return self.scenarios


def _process_folder(bpmn_root: Path, process_key: str) -> str:
    """The folder of the repository's bpmn/ that holds the process (its own name if none does)."""
    for found in sorted(bpmn_root.glob(f"*/{process_key}.bpmn")):
        return found.parent.name
    return process_key


def _lay_out(root: Path, work: Path, process_key: str, files: dict[str, bytes]) -> None:
    bpmn_root = root / "bpmn"
    mine = _process_folder(bpmn_root, process_key)
    if bpmn_root.is_dir():
        for folder in bpmn_root.iterdir():
            if folder.is_dir() and folder.name != mine:
                shutil.copytree(folder, work / "bpmn" / folder.name)
    for name, data in files.items():
        target = work / name if name == feature_path(process_key) else work / "bpmn" / mine / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def run_scenarios(root: Path, process_key: str, files: dict[str, bytes], timeout: float) -> ScenarioRun:
    """Run the process's scenarios against the draft files; never raises for a failing or hanging run."""
    module = root / "tests" / "acceptance" / f"test_{process_key}.py"
    if not module.is_file() or feature_path(process_key) not in files:
        return ScenarioRun(problem=f"流程“{process_key}”没有验收场景 (no scenarios for this process)")
    with tempfile.TemporaryDirectory(prefix="shequflow-scenarios-") as tmp:
        work = Path(tmp)
        _lay_out(root, work, process_key, files)
        report = work / "report.jsonl"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "SHEQUFLOW_REQUIRE"))}
        env.update(SHEQUFLOW_SCENARIO_BPMN=str(work / "bpmn"), SHEQUFLOW_SCENARIO_REPORT=str(report))
        command = [sys.executable, "-m", "pytest", str(module), "-q", "-m", "not postgres", "-k", "not reload"]
        command += ["-p", "no:cacheprovider"]
        command += ["-p", "web.scenario_report", "-o", "addopts=", "--basetemp", str(work / "tmp")]
        try:
            done = subprocess.run(command, cwd=work, env=env, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return ScenarioRun(_read(report), f"场景运行超过 {int(timeout)} 秒，已终止 (timed out)")
        scenarios = _read(report)
        if not scenarios:
            tail = (done.stdout + done.stderr).decode(errors="replace").strip().splitlines()[-5:]
            return ScenarioRun(problem="场景无法运行 (the scenarios did not run): " + " / ".join(tail))
        return ScenarioRun(scenarios)


def _read(report: Path) -> list[dict[str, Any]]:
    if not report.exists():
        return []
    return [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines() if line.strip()]


_STEP_DECORATORS = {"given", "when", "then", "step"}


def step_phrases(root: Path) -> list[tuple[str, str]]:
    """(keyword, phrase) of every step the acceptance steps define, for the scenario editor's list."""
    found: list[tuple[str, str]] = []
    for path in sorted((root / "tests" / "acceptance" / "steps").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for deco in getattr(node, "decorator_list", []):
                phrase = _decorator_phrase(deco)
                if phrase is not None and phrase not in found:
                    found.append(phrase)
    return found


def _decorator_phrase(deco: ast.expr) -> tuple[str, str] | None:
    if not (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Name) and deco.func.id in _STEP_DECORATORS):
        return None
    if not deco.args:
        return None
    arg = deco.args[0]
    if isinstance(arg, ast.Call) and arg.args:  # parsers.parse("...") / parsers.re("...")
        arg = arg.args[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return deco.func.id, arg.value
    return None
