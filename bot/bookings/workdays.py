"""Working days on the mainland calendar: public holidays and adjusted working days (调休) count.

Years covered by the maintained `chinesecalendar` package use it. For a later year we fall back to
weekends plus bot/bookings/data/holidays.yaml, which staff can edit, and warn once per year that the
official calendar for that year is missing.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar

from knowledge_base.yamlfile import read_yaml

log = logging.getLogger(__name__)

HOLIDAY_FILE = Path(__file__).parent / "data" / "holidays.yaml"


class WorkCalendar:
    def __init__(self, holiday_file: Path = HOLIDAY_FILE):
        data = read_yaml(holiday_file) if holiday_file.is_file() else {}
        self._extra_holidays: set[date] = set()
        self._extra_workdays: set[date] = set()
        self._file_years: set[int] = set()
        for year, spec in (data or {}).items():
            spec = spec or {}
            if spec.get("holidays") or spec.get("workdays"):
                self._file_years.add(int(year))
            self._extra_holidays |= {date.fromisoformat(str(d)) for d in spec.get("holidays") or []}
            self._extra_workdays |= {date.fromisoformat(str(d)) for d in spec.get("workdays") or []}
        self._warned: set[int] = set()
        # Answers remembered per day: chinese_calendar checks its range over all its holidays on every call,
        # and a desk page or an export asks for each day between a booking's due date and today.
        self._known: dict[date, bool] = {}

    def is_workday(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_workday(day)
        return known

    def _is_workday(self, day: date) -> bool:
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            if day.year not in self._file_years and day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "no official holiday calendar for %d: counting weekends only; add the year to %s",
                    day.year,
                    HOLIDAY_FILE,
                )
            if day in self._extra_workdays:
                return True
            if day in self._extra_holidays:
                return False
            return day.weekday() < 5

    def add_workdays(self, start: date, days: int) -> date:
        """The day by which `days` working days after `start` have passed (0: `start`, or the next workday)."""
        day = start
        while not self.is_workday(day):
            day += timedelta(days=1)
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def next_workday(self, after: date) -> date:
        day = after + timedelta(days=1)
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count
