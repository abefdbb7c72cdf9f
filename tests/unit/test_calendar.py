"""The statutory working-day calendar: 工作日 periods, 调休, 民法典 203, and years without data."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from workflows.calendar import (
    CALENDAR_FILE_ENV,
    CalendarFileError,
    DueDate,
    WorkdayCalendar,
    bundled_holiday_data,
    deadline_end_of_day,
    default_calendar,
    statutory_fallback_year,
)


@pytest.fixture(autouse=True)
def no_operator_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run every test without an operator file from the environment or the working directory."""
    monkeypatch.delenv(CALENDAR_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    default_calendar.cache_clear()
    yield
    default_calendar.cache_clear()


@pytest.fixture
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def write_2027_file(path: Path) -> Path:
    """Write an operator file for 2027: Saturday 2027-01-09 worked, Monday 2027-01-04 off."""
    data = {
        "2027": {
            "source": "operator test",
            "holidays": {"元旦": ["2027-01-01", "2027-01-02", "2027-01-03", "2027-01-04"]},
            "makeup_workdays": ["2027-01-09"],
        }
    }
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# 调休 and ordinary weeks


def test_a_weekend_day_made_a_working_day_by_tiaoxiu_is_a_workday(cal: WorkdayCalendar) -> None:
    assert cal.is_workday(date(2025, 1, 26))  # Sunday, 春节调休上班
    assert cal.is_workday(date(2025, 2, 8))  # Saturday
    assert cal.is_workday(date(2026, 2, 28))  # Saturday


def test_an_ordinary_weekend_is_not_a_workday(cal: WorkdayCalendar) -> None:
    assert not cal.is_workday(date(2025, 3, 8))
    assert not cal.is_workday(date(2025, 3, 9))


def test_the_start_day_is_not_counted(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(date(2025, 3, 3), 1).date == date(2025, 3, 4)
    assert cal.add_workdays(date(2025, 3, 7), 1).date == date(2025, 3, 10)


def test_zero_workdays_end_on_the_start_day(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(date(2025, 10, 1), 0) == DueDate(date(2025, 10, 1), False, ())


def test_five_workdays_after_national_day_eve_skip_the_golden_week_and_count_the_makeup_saturday(
    cal: WorkdayCalendar,
) -> None:
    due = cal.add_workdays(date(2025, 9, 30), 5)
    # 10-01..10-08 off; 10-09 Thu, 10-10 Fri, 10-11 Sat (调休上班), 10-13 Mon, 10-14 Tue
    assert due == DueDate(date(2025, 10, 14), provisional=False, years_uncovered=())


def test_one_workday_before_spring_festival_2025_lands_after_the_eight_days_off(cal: WorkdayCalendar) -> None:
    assert cal.add_workdays(date(2025, 1, 27), 1).date == date(2025, 2, 5)
    assert cal.workdays_between(date(2025, 1, 27), date(2025, 2, 5)) == 1


def test_the_sunday_before_spring_festival_2025_counts_as_a_workday(cal: WorkdayCalendar) -> None:
    # Fri 01-24 + 2: Sat 01-25 off, Sun 01-26 worked (1), Mon 01-27 (2)
    assert cal.add_workdays(date(2025, 1, 24), 2).date == date(2025, 1, 27)


def test_twenty_workdays_across_spring_festival_2026(cal: WorkdayCalendar) -> None:
    # 02-03..02-13 (9), Sat 02-14 worked (10), 02-15..02-23 off, 02-24..02-27 (14), Sat 02-28 worked (15),
    # 03-02..03-06 (20)
    due = cal.add_workdays(date(2026, 2, 2), 20)
    assert due.date == date(2026, 3, 6)
    assert cal.workdays_between(date(2026, 2, 2), due.date) == 20


@pytest.mark.parametrize("start", [date(2025, 1, 1), date(2025, 9, 27), date(2025, 12, 24), date(2026, 9, 18)])
@pytest.mark.parametrize("n", [1, 5, 10, 20])
def test_workdays_between_undoes_add_workdays(cal: WorkdayCalendar, start: date, n: int) -> None:
    assert cal.workdays_between(start, cal.add_workdays(start, n).date) == n


def test_workdays_between_is_negative_when_the_end_is_before_the_start(cal: WorkdayCalendar) -> None:
    assert cal.workdays_between(date(2025, 3, 10), date(2025, 3, 3)) == -5
    assert cal.workdays_between(date(2025, 3, 3), date(2025, 3, 3)) == 0


def test_negative_periods_and_datetimes_are_refused(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError):
        cal.add_workdays(date(2025, 3, 3), -1)
    with pytest.raises(TypeError):
        cal.is_workday(deadline_end_of_day(date(2025, 3, 3)))
    with pytest.raises(TypeError):
        cal.add_workdays(date(2025, 3, 3), True)


# 民法典 第二百零三条


def test_a_calendar_period_ending_on_a_working_day_is_not_moved(cal: WorkdayCalendar) -> None:
    assert cal.add_calendar_days(date(2025, 3, 3), 3) == DueDate(date(2025, 3, 6), False, ())


def test_a_calendar_period_ending_in_the_golden_week_moves_to_the_day_after_it(cal: WorkdayCalendar) -> None:
    assert cal.add_calendar_days(date(2025, 9, 24), 7).date == date(2025, 10, 9)


def test_a_calendar_period_ending_on_a_sunday_moves_to_monday(cal: WorkdayCalendar) -> None:
    assert cal.add_calendar_days(date(2025, 3, 2), 7).date == date(2025, 3, 10)


def test_a_calendar_period_ending_on_a_makeup_saturday_is_not_moved(cal: WorkdayCalendar) -> None:
    assert cal.add_calendar_days(date(2025, 10, 1), 10).date == date(2025, 10, 11)


# Years covered by no source


def test_coverage_follows_chinese_calendar_and_the_bundled_file(cal: WorkdayCalendar) -> None:
    assert cal.is_covered(2004) and cal.is_covered(2025) and cal.is_covered(2026)
    assert not cal.is_covered(2003)
    assert not cal.is_covered(2027)
    assert cal.source(2027) == "fallback"


def test_a_2027_period_is_provisional_and_skips_weekends_and_new_year(cal: WorkdayCalendar) -> None:
    # 2026-12-31 Thu (1); 2027-01-01 Fri 元旦; 01-02/03 weekend; 01-04 Mon (2); 01-05 Tue (3)
    due = cal.add_workdays(date(2026, 12, 30), 3)
    assert due == DueDate(date(2027, 1, 5), provisional=True, years_uncovered=(2027,))


def test_2027_fallback_days_off_are_the_fixed_date_holidays_and_their_makeup_days(
    cal: WorkdayCalendar,
) -> None:
    for off in ["2027-01-01", "2027-05-01", "2027-05-02", "2027-10-01", "2027-03-06"]:
        assert not cal.is_workday(date.fromisoformat(off)), off
    # 5/1-5/2 fall on a weekend and 10/2-10/3 too: made up on the following weekdays (放假办法 第六条)
    for off in ["2027-05-03", "2027-05-04", "2027-10-04", "2027-10-05"]:
        assert not cal.is_workday(date.fromisoformat(off)), off
    assert cal.add_workdays(date(2027, 9, 30), 1).date == date(2027, 10, 6)
    assert cal.add_workdays(date(2027, 4, 30), 1).date == date(2027, 5, 5)


def test_a_new_year_on_saturday_is_made_up_on_monday_in_a_fallback_year() -> None:
    assert date(2028, 1, 3) in statutory_fallback_year(2028).days_off


def test_a_period_entirely_in_a_covered_year_is_not_provisional(cal: WorkdayCalendar) -> None:
    assert not cal.add_workdays(date(2026, 12, 1), 10).provisional


def test_the_year_before_chinese_calendar_data_falls_back_without_raising(cal: WorkdayCalendar) -> None:
    assert cal.add_calendar_days(date(2003, 9, 24), 7) == DueDate(date(2003, 10, 6), True, (2003,))


def test_an_uncovered_year_is_warned_about_once(cal: WorkdayCalendar, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="workflows.calendar"):
        cal.add_workdays(date(2027, 3, 1), 30)
        cal.is_workday(date(2027, 8, 2))
    assert len([r for r in caplog.records if "2027" in r.getMessage()]) == 1


# The operator's file


def test_the_operator_file_makes_2027_official(tmp_path: Path) -> None:
    cal = WorkdayCalendar(write_2027_file(tmp_path / "cal.json"))
    assert cal.is_covered(2027) and cal.source(2027) == "operator test"
    assert cal.is_workday(date(2027, 1, 9))  # Saturday worked
    assert not cal.is_workday(date(2027, 1, 4))  # Monday off
    due = cal.add_workdays(date(2026, 12, 31), 1)
    assert due == DueDate(date(2027, 1, 5), provisional=False, years_uncovered=())


def test_the_operator_file_is_found_through_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CALENDAR_FILE_ENV, str(write_2027_file(tmp_path / "cal.json")))
    assert default_calendar().is_covered(2027)


def test_the_operator_file_is_found_in_the_instance_folder(tmp_path: Path) -> None:
    (tmp_path / "instance").mkdir()
    write_2027_file(tmp_path / "instance" / "calendar.json")
    assert WorkdayCalendar().is_workday(date(2027, 1, 9))


def test_the_operator_file_wins_over_chinese_calendar_for_the_years_it_lists(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"2025": {"holidays": {"台风": ["2025-03-03"]}}}), encoding="utf-8")
    cal = WorkdayCalendar(path)
    assert not cal.is_workday(date(2025, 3, 3))
    assert cal.is_workday(date(2025, 10, 1))  # the operator's 2025 replaces the official one entirely
    assert cal.source(2026) == "chinese_calendar"


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"2027": {"holidays": {"x": ["2028-01-01"]}}}),
        json.dumps({"2027": {"holidays": {"x": ["2027-01-09"]}, "makeup_workdays": ["2027-01-09"]}}),
        json.dumps({"27": {}}),
        json.dumps({"2027": {"holidays": {"x": "2027-01-01"}}}),
    ],
)
def test_a_malformed_operator_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "cal.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarFileError):
        WorkdayCalendar(path)


def test_a_missing_operator_file_named_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CALENDAR_FILE_ENV, "/nonexistent/calendar.json")
    with pytest.raises(CalendarFileError):
        WorkdayCalendar()


# Bundled data, default instance, timers


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_bundled_file_agrees_with_chinese_calendar_on_every_day(year: int) -> None:
    bundled = bundled_holiday_data()[year]
    day, disagreements = date(year, 1, 1), []
    while day.year == year:
        if bundled.is_workday(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


def test_default_calendar_is_built_once() -> None:
    assert default_calendar() is default_calendar()


def test_a_period_ending_on_a_date_expires_at_the_next_shanghai_midnight() -> None:
    expires = deadline_end_of_day(date(2025, 10, 14))
    assert expires.isoformat() == "2025-10-15T00:00:00+08:00"
    assert expires.utcoffset() == timedelta(hours=8)
