"""Lint warns about event subprocesses that SpiffWorkflow 3.2 runs differently from what the diagram says
(the construct matrix pins the behaviour itself as strict xfails)."""

from __future__ import annotations

from pathlib import Path

from engine.definitions.bundle import lint_paths

CONSTRUCTS = Path(__file__).resolve().parents[1] / "fixtures" / "constructs"


def _warnings(name: str) -> list[str]:
    found = lint_paths([str(CONSTRUCTS / name)])
    return [f"{p.element}: {p.message}" for p in found if p.severity == "warning" and "布局：" not in p.message]


def test_an_error_start_event_in_an_event_subprocess_is_a_warning() -> None:
    [warning] = _warnings("esp_error")
    assert warning.startswith("invalid_start:") and "随案件一起启动" in warning


def test_an_interrupting_event_subprocess_is_a_warning_and_a_non_interrupting_one_is_not() -> None:
    [warning] = _warnings("esp_signal_interrupting")
    assert "忽略 isInterrupting" in warning
    assert _warnings("esp_signal_noninterrupting") == []
