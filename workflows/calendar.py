"""The statutory working-day calendar of mainland China, for deadlines and timers.

Why it exists: 行政许可法 第八十二条 counts licensing periods (5-day 补正 notice, 20-day decision, 10 days
to issue a certificate) in 工作日 — weekends and the statutory days off are skipped, and the weekend
days that the State Council turns into working days (调休上班) count. Civil periods (民法典 第二百零一条,
民事诉讼法 第八十五条) do not count the starting day, and 民法典 第二百零三条 moves a period whose last day
is a 法定休假日 to the day after that day off ends.

Our reading of 第二百零三条: a 法定休假日 is any day actually off on the statutory calendar — a listed
holiday *or* an ordinary weekend — and a weekend worked under 调休 is not one. The courts apply it so;
the former 民通意见 第198条 said it outright ("期间的最后一天是星期日或者其他法定休假日，而星期日或者其他
法定休假日有变通的，以实际休假日的次日为期间的最后一天"). A holidays-only reading would let a period end
on a Saturday, which 第二百零三条 exists to prevent. So the last day moves to the next working day.

Where the days off come from, first match wins per year:
1. the operator's JSON file (``SHEQUFLOW_CALENDAR_FILE``, else ``instance/calendar.json``);
2. the ``chinese_calendar`` package (2004–2026 in 1.11.0);
3. our own copy of the published notices, ``workflows/data/cn-statutory-holidays.json``;
4. otherwise weekends plus the fixed-date days of 全国年节及纪念日放假办法 (2024 revision, in force
   2025-01-01: 元旦 1/1, 劳动节 5/1–5/2, 国庆节 10/1–10/3) with the 补假 of its 第六条 (a fixed day
   falling on a weekend is made up on the following weekday). Lunar holidays (春节, 清明, 端午, 中秋)
   and 调休 cannot be known before the annual notice, so such results are provisional. (The current
   rules are applied to any uncovered year, including those before 2004.)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

CALENDAR_FILE_ENV = "SHEQUFLOW_CALENDAR_FILE"
DEFAULT_OPERATOR_FILE = Path("instance") / "calendar.json"
BUNDLED_FILE = "data/cn-statutory-holidays.json"
MAX_PERIOD_DAYS = 36_600  # a hundred years: longer periods are input errors, not deadlines
# 全国年节及纪念日放假办法 (2024) 第二条: the fixed-date days off, grouped by festival for 补假.
FIXED_DATE_FESTIVALS = (((1, 1),), ((5, 1), (5, 2)), ((10, 1), (10, 2), (10, 3)))
_ONE_DAY = dt.timedelta(days=1)
_FALLBACK_EN = "no official holiday data: weekends and fixed-date holidays only, results provisional"


class CalendarFileError(ValueError):
    """A holiday data file is missing or malformed."""


@dataclass(frozen=True)
class DueDate:
    """The end of a period, and whether it rests on official holiday data."""

    date: dt.date
    provisional: bool
    years_uncovered: tuple[int, ...] = ()

    def isoformat(self) -> str:
        """Return the date as YYYY-MM-DD."""
        return self.date.isoformat()


@dataclass(frozen=True)
class HolidayYear:
    """One year's days off and 调休 working days, and where they come from."""

    year: int
    days_off: frozenset[dt.date]
    makeup_workdays: frozenset[dt.date]
    official: bool
    source: str

    def is_workday(self, d: dt.date) -> bool:
        """Return True if d is a working day in this year's arrangement."""
        if d in self.makeup_workdays:
            return True
        return d not in self.days_off and d.weekday() < 5


def load_holiday_data(data: Any, origin: str) -> dict[int, HolidayYear]:
    """Parse holiday data in the cn-statutory-holidays.json format."""
    if not isinstance(data, dict):
        raise CalendarFileError(f"{origin}: 顶层应为以年份为键的对象 (top level must map years to objects)")
    years: dict[int, HolidayYear] = {}
    for key, entry in data.items():
        if not (isinstance(key, str) and re.fullmatch("[0-9]{4}", key)) or not isinstance(entry, dict):
            raise CalendarFileError(f"{origin}: 年份键无效 {key!r} (invalid year key)")
        year = int(key)
        holidays = entry.get("holidays", {})
        if not isinstance(holidays, dict):
            raise CalendarFileError(f"{origin}: {year}.holidays 应为对象 (must be an object)")
        days_off = {_parse_day(s, year, origin) for days in holidays.values() for s in _as_list(days, origin)}
        makeup = {_parse_day(s, year, origin) for s in _as_list(entry.get("makeup_workdays", []), origin)}
        if days_off & makeup:
            clash = min(days_off & makeup).isoformat()
            raise CalendarFileError(f"{origin}: {clash} 同时为放假日和调休上班日 (both day off and workday)")
        source = str(entry.get("source", origin))
        years[year] = HolidayYear(year, frozenset(days_off), frozenset(makeup), True, source)
    return years


def load_holiday_file(path: str | os.PathLike[str]) -> dict[int, HolidayYear]:
    """Read and parse a holiday JSON file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CalendarFileError(f"无法读取节假日文件 (cannot read holiday file) {path}: {exc}") from exc
    return load_holiday_data(data, str(path))


@lru_cache(maxsize=1)
def bundled_holiday_data() -> dict[int, HolidayYear]:
    """Return the holiday years shipped in workflows/data/cn-statutory-holidays.json."""
    text = resources.files("workflows").joinpath(BUNDLED_FILE).read_text(encoding="utf-8")
    return load_holiday_data(json.loads(text), f"workflows/{BUNDLED_FILE}")


def chinese_calendar_year(year: int) -> HolidayYear | None:
    """Return the year as the chinese_calendar package knows it, or None if it does not cover it."""
    days = (dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366))
    try:
        flags = [(d, chinese_calendar.is_workday(d)) for d in days if d.year == year]
    except NotImplementedError:
        return None
    off = frozenset(d for d, work in flags if not work and d.weekday() < 5)
    makeup = frozenset(d for d, work in flags if work and d.weekday() >= 5)
    return HolidayYear(year, off, makeup, True, "chinese_calendar")


def statutory_fallback_year(year: int) -> HolidayYear:
    """Return weekends plus the fixed-date days off and their 补假: a provisional guess."""
    days_off: set[dt.date] = set()
    for festival in FIXED_DATE_FESTIVALS:
        block = [dt.date(year, month, day) for month, day in festival]
        days_off.update(block)
        owed = sum(1 for d in block if d.weekday() >= 5)
        d = block[-1]
        while owed:
            d += _ONE_DAY
            if d.weekday() < 5 and d not in days_off:
                days_off.add(d)
                owed -= 1
    return HolidayYear(year, frozenset(days_off), frozenset(), False, "fallback")


class WorkdayCalendar:
    """Working days on the statutory holiday/调休 calendar, with operator overrides."""

    def __init__(self, operator_file: str | os.PathLike[str] | None = None) -> None:
        if operator_file is None:
            operator_file = os.environ.get(CALENDAR_FILE_ENV) or None
        if operator_file is None and DEFAULT_OPERATOR_FILE.is_file():
            operator_file = DEFAULT_OPERATOR_FILE
        self.operator_file = Path(operator_file) if operator_file is not None else None
        self._operator = load_holiday_file(self.operator_file) if self.operator_file else {}
        self._years: dict[int, HolidayYear] = {}
        self._warned: set[int] = set()

    def year(self, year: int) -> HolidayYear:
        """Return the arrangement used for a year (from the first source that covers it)."""
        if year not in self._years:
            found = self._operator.get(year) or chinese_calendar_year(year) or bundled_holiday_data().get(year)
            self._years[year] = found or statutory_fallback_year(year)
        return self._years[year]

    def is_covered(self, year: int) -> bool:
        """Return True if official holiday data is known for the year."""
        return self.year(year).official

    def source(self, year: int) -> str:
        """Return where the year's days off come from (file name, chinese_calendar or fallback)."""
        return self.year(year).source

    def is_workday(self, d: dt.date) -> bool:
        """Return True if d is a working day (调休上班 weekends included, days off excluded)."""
        _require_date(d)
        return self._is_workday_noting(d)

    def add_workdays(self, start: dt.date, n: int) -> DueDate:
        """Return the Nth working day after start (start itself is not counted)."""
        _require_date(start)
        _require_count(n)
        uncovered: set[int] = set()
        d, counted = start, 0
        while counted < n:
            d += _ONE_DAY
            counted += self._is_workday_noting(d, uncovered)
        return _due(d, uncovered)

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        """Count the working days after a up to and including b (negative if b is before a)."""
        _require_date(a)
        _require_date(b)
        if b < a:
            return -self.workdays_between(b, a)
        _require_count((b - a).days)
        return sum(self.is_workday(a + dt.timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def add_calendar_days(self, start: dt.date, n: int) -> DueDate:
        """Return the end of an N-day civil period, moved past a last day off (民法典 203)."""
        _require_date(start)
        _require_count(n)
        uncovered: set[int] = set()
        d = start + dt.timedelta(days=n)
        while not self._is_workday_noting(d, uncovered):
            d += _ONE_DAY
        return _due(d, uncovered)

    def _is_workday_noting(self, d: dt.date, uncovered: set[int] | None = None) -> bool:
        year = self.year(d.year)
        if not year.official:
            if uncovered is not None:
                uncovered.add(d.year)
            if d.year not in self._warned:
                self._warned.add(d.year)
                log.warning("%d年节假日安排未收录，按周末及固定节日推算，结果为暂定 (%s)", d.year, _FALLBACK_EN)
        return year.is_workday(d)


@lru_cache(maxsize=1)
def default_calendar() -> WorkdayCalendar:
    """Return the process-wide calendar (built once; call default_calendar.cache_clear() to reload)."""
    return WorkdayCalendar()


def deadline_end_of_day(d: dt.date, tz: str = "Asia/Shanghai") -> dt.datetime:
    """Return the aware instant a period ending on d expires: 00:00 of the next day in tz."""
    _require_date(d)
    return dt.datetime.combine(d + _ONE_DAY, dt.time(0), tzinfo=ZoneInfo(tz))


def _due(d: dt.date, uncovered: set[int]) -> DueDate:
    return DueDate(d, bool(uncovered), tuple(sorted(uncovered)))


def _require_date(d: object) -> None:
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")


def _require_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an int number of days, got {type(n).__name__}")
    if not 0 <= n <= MAX_PERIOD_DAYS:
        raise ValueError(f"天数须在0到{MAX_PERIOD_DAYS}之间 (days must be between 0 and {MAX_PERIOD_DAYS}): {n}")


def _as_list(value: object, origin: str) -> list[object]:
    if not isinstance(value, list):
        raise CalendarFileError(f"{origin}: 日期列表应为数组 (date lists must be arrays): {value!r}")
    return value


def _parse_day(value: object, year: int, origin: str) -> dt.date:
    if isinstance(value, str) and re.fullmatch(f"{year}-[0-9]{{2}}-[0-9]{{2}}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise CalendarFileError(f"{origin}: 应为 {year} 年的 YYYY-MM-DD 日期 (expected a date in {year}): {value!r}")
