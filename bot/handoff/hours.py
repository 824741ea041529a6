"""Staff working hours: ranges of the day (China time) on working days of the official calendar."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

from bot.bookings.service import CHINA
from bot.bookings.workdays import WorkCalendar

WEEKDAYS = "一二三四五六日"
RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def parse_ranges(spec: str) -> list[tuple[time, time]]:
    """ "09:00-12:00,13:30-17:30" -> [(09:00, 12:00), (13:30, 17:30)]"""
    ranges = []
    for part in spec.split(","):
        m = RANGE.match(part)
        if not m:
            raise ValueError(f"working hours {spec!r}: expected HH:MM-HH:MM[,HH:MM-HH:MM]")
        if int(m[1]) > 23 or int(m[2]) > 59 or int(m[4]) > 59 or (int(m[3]), int(m[4])) > (24, 0):
            raise ValueError(f"working hours {part!r}: hours run 00:00 to 24:00")
        # 24:00 (round the clock) is the last moment of the day.
        start, end = time(int(m[1]), int(m[2])), time.max if m[3] == "24" else time(int(m[3]), int(m[4]))
        if end <= start:
            raise ValueError(f"working hours {part!r}: the end must be after the start")
        ranges.append((start, end))
    return sorted(ranges)


class WorkingHours:
    def __init__(self, spec: str = "09:00-17:30", calendar: WorkCalendar | None = None):
        self.spec = spec
        self.ranges = parse_ranges(spec)
        self.calendar = calendar or WorkCalendar()

    def _windows(self, day) -> list[tuple[datetime, datetime]]:
        if not self.calendar.is_workday(day):
            return []
        return [(datetime.combine(day, a, CHINA), datetime.combine(day, b, CHINA)) for a, b in self.ranges]

    def is_open(self, when: datetime) -> bool:
        local = when.astimezone(CHINA)
        return any(a <= local < b for a, b in self._windows(local.date()))

    def next_open(self, when: datetime) -> datetime:
        """`when` itself while open, else the start of the next window."""
        local = when.astimezone(CHINA)
        day = local.date()
        for _ in range(60):
            for a, b in self._windows(day):
                if local < b:
                    return max(a, local)
            day += timedelta(days=1)
        return local  # no working day within 60 days: a broken calendar, do not loop forever

    def working_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds of working time between two moments (time outside working hours does not count)."""
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(CHINA).date()
        last = end.astimezone(CHINA).date()
        while day <= last:
            for a, b in self._windows(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += timedelta(days=1)
        return total

    def describe_next(self, when: datetime) -> str:
        """When staff are back, as a resident reads it: "今天 14:00", "明天（12月3日 周四）9:00"."""
        nxt = self.next_open(when)
        today = when.astimezone(CHINA).date()
        hour = f"{nxt.hour}:{nxt.minute:02d}"
        if nxt.date() == today:
            return f"今天 {hour}"
        label = f"{nxt.month}月{nxt.day}日 周{WEEKDAYS[nxt.weekday()]}"
        if nxt.date() == today + timedelta(days=1):
            return f"明天（{label}）{hour}"
        return f"{label} {hour}"

    def describe(self) -> str:
        return "工作日 " + "、".join(f"{clock_text(a)}-{clock_text(b)}" for a, b in self.ranges)


def clock_text(moment: time) -> str:
    return "24:00" if moment == time.max else f"{moment.hour}:{moment.minute:02d}"


def now_utc() -> datetime:
    return datetime.now(UTC)
