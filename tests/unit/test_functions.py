"""Functions for BPMN scripts: pure, ISO strings in and out, Chinese errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from workflows import functions
from workflows.calendar import CALENDAR_FILE_ENV, default_calendar
from workflows.functions import (
    SCRIPT_FUNCTIONS,
    add_calendar_days,
    add_days,
    add_workdays,
    cn_id_valid,
    is_workday,
    mobile_valid,
    money,
    uscc_valid,
    workdays_between,
)
from workflows.validators import ValidationProblem

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_operator_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run every test on the built-in calendar sources only."""
    monkeypatch.delenv(CALENDAR_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    default_calendar.cache_clear()
    yield
    default_calendar.cache_clear()


def test_script_functions_names_every_public_function() -> None:
    from workflows.processes import all_functions

    assert set(SCRIPT_FUNCTIONS) - set(all_functions()) == {
        "add_workdays",
        "workdays_between",
        "is_workday",
        "add_days",
        "add_calendar_days",
        "uscc_valid",
        "cn_id_valid",
        "mobile_valid",
        "money",
        "end_of_day",
        "cfg",
    }
    shared = set(SCRIPT_FUNCTIONS) - set(all_functions())
    assert all(SCRIPT_FUNCTIONS[name] is getattr(functions, name) for name in shared)


def test_five_workdays_after_national_day_eve_skip_the_golden_week() -> None:
    assert add_workdays("2025-09-30", 5) == "2025-10-14"
    assert add_workdays(date(2025, 9, 30), 5) == "2025-10-14"


def test_a_workday_period_into_an_uncovered_year_still_returns_a_date() -> None:
    assert add_workdays("2026-12-30", 3) == "2027-01-05"


def test_workdays_between_counts_the_working_days_after_the_first_date() -> None:
    assert workdays_between("2025-09-30", "2025-10-14") == 5
    assert workdays_between("2025-10-14", "2025-09-30") == -5


def test_is_workday_knows_tiaoxiu() -> None:
    assert is_workday("2025-01-26") is True
    assert is_workday("2025-01-28") is False


def test_add_days_is_plain_date_arithmetic() -> None:
    assert add_days("2025-06-02", 30) == "2025-07-02"
    assert add_days("2025-01-01", -1) == "2024-12-31"
    assert add_days("2025-09-24", 7) == "2025-10-01"


def test_add_calendar_days_moves_a_last_day_off_to_the_next_working_day() -> None:
    assert add_calendar_days("2025-09-24", 7) == "2025-10-09"


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (add_workdays, ("2025-09-30", "5")),
        (add_workdays, ("2025-09-30", -1)),
        (add_workdays, ("2025-09-30", 5.0)),
        (add_workdays, ("2025/09/30", 5)),
        (add_days, ("9999-12-31", 1)),
        (add_days, ("2025-01-01", True)),
        (add_calendar_days, ("2025-01-01", 10**9)),
        (workdays_between, ("0001-01-01", "9999-12-31")),
        (is_workday, ("tomorrow",)),
    ],
)
def test_bad_arguments_raise_a_validation_problem(call: object, args: tuple[object, ...]) -> None:
    assert callable(call)
    with pytest.raises(ValidationProblem):
        call(*args)


def test_identity_checks_answer_true_or_false_and_never_raise() -> None:
    assert uscc_valid("51310105MJ4Y2K7AXU") is True
    assert uscc_valid("914403001922038216") is True  # warnings do not make a code invalid
    assert uscc_valid("91350100M000100Y4Z") is False
    assert uscc_valid(None) is False
    assert cn_id_valid("11010519491231002X") is True
    assert cn_id_valid("110105194912310021") is False
    assert mobile_valid("13800138000") is True
    assert mobile_valid(13800138000) is False


def test_money_returns_a_normalized_decimal_string() -> None:
    assert money("2400") == "2400.00"
    assert money(30000) == "30000.00"
    with pytest.raises(ValidationProblem):
        money(0.1)


def test_the_package_imports_no_web_database_or_engine_library() -> None:
    code = (
        "import sys, workflows.functions, workflows.calendar, workflows.validators; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy', 'SpiffWorkflow')))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_end_of_day_is_the_next_midnight_in_shanghai() -> None:
    assert functions.end_of_day("2026-03-04") == "2026-03-05T00:00:00+08:00"


def test_cfg_reads_defaults_and_operator_overrides(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from workflows import config

    config.register_defaults("demo_process", {"maxRounds": 2, "slaDays": 20})
    assert functions.cfg("demo_process.maxRounds") == 2
    override = tmp_path / "process-config.json"
    override.write_text('{"demo_process": {"maxRounds": 3}}', encoding="utf-8")
    monkeypatch.setenv(config.CONFIG_FILE_ENV, str(override))
    config.load_config.cache_clear()
    try:
        assert functions.cfg("demo_process.maxRounds") == 3
        assert functions.cfg("demo_process.slaDays") == 20
        with pytest.raises(ValidationProblem):
            functions.cfg("demo_process.unknown")
    finally:
        monkeypatch.delenv(config.CONFIG_FILE_ENV)
        config.load_config.cache_clear()
        config.DEFAULTS.pop("demo_process", None)
