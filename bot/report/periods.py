"""Report periods (day, month, quarter, year, custom) as mainland calendar days, and their UTC bounds for queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
KINDS = ("day", "month", "quarter", "year", "custom")
MAX_CUSTOM_DAYS = 3 * 366


class PeriodError(ValueError):
    """A period that cannot be reported on; the message is shown to staff (Chinese)."""


def local_midnight(day: date) -> datetime:
    """The UTC instant at which `day` begins on the mainland."""
    return datetime.combine(day, time.min, CHINA).astimezone(UTC)


def _month_end(year: int, month: int) -> date:
    first_next = date(year + (month == 12), month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @classmethod
    def day(cls, day: date) -> Period:
        return cls("day", day, day)

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        return cls("month", date(year, month, 1), _month_end(year, month))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise PeriodError("季度须是 1 到 4。")
        first = 3 * quarter - 2
        return cls("quarter", date(year, first, 1), _month_end(year, first + 2))

    @classmethod
    def year(cls, year: int) -> Period:
        return cls("year", date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def custom(cls, start: date, end: date) -> Period:
        if end < start:
            raise PeriodError("结束日期不能早于开始日期。")
        if (end - start).days > MAX_CUSTOM_DAYS:
            raise PeriodError("自定义时段最长 3 年。")
        return cls("custom", start, end)

    @classmethod
    def parse(cls, kind: str, value: str = "", start: str = "", end: str = "", today: date | None = None) -> Period:
        """From a form: kind=day&value=2026-12-02, kind=month&value=2026-12, kind=quarter&value=2026-Q4,
        kind=year&value=2026, kind=custom&start=...&end=... An empty value means the current one."""
        today = today or datetime.now(CHINA).date()
        value = (value or "").strip()
        try:
            if kind == "day":
                return cls.day(date.fromisoformat(value) if value else today)
            if kind == "month":
                if not value:
                    return cls.month(today.year, today.month)
                year, month = value.split("-")[:2]
                return cls.month(int(year), int(month))
            if kind == "quarter":
                if not value:
                    return cls.quarter(today.year, (today.month - 1) // 3 + 1)
                year, quarter = value.upper().replace("Q", "-").replace("--", "-").split("-")[:2]
                return cls.quarter(int(year), int(quarter))
            if kind == "year":
                return cls.year(int(value) if value else today.year)
            if kind == "custom":
                return cls.custom(date.fromisoformat(start.strip()), date.fromisoformat(end.strip()))
        except (ValueError, TypeError) as exc:
            if isinstance(exc, PeriodError):
                raise
            raise PeriodError("日期格式不对：日用 2026-12-02，月用 2026-12，季度用 2026-Q4，年用 2026。") from None
        raise PeriodError("时段须是日、月、季度、年或自定义。")

    @property
    def since(self) -> datetime:
        return local_midnight(self.start)

    @property
    def until(self) -> datetime:
        """Exclusive upper bound."""
        return local_midnight(self.end + timedelta(days=1))

    def bounds(self) -> dict:
        return {"$gte": self.since, "$lt": self.until}

    @property
    def label(self) -> str:
        if self.kind == "day":
            return f"{self.start.year}年{self.start.month}月{self.start.day}日"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month + 2) // 3}季度"
        if self.kind == "year":
            return f"{self.start.year}年"
        return f"{self.start.isoformat()} 至 {self.end.isoformat()}"

    @property
    def value(self) -> str:
        """The form value that gives this period back (see parse)."""
        return {
            "day": self.start.isoformat(),
            "month": f"{self.start:%Y-%m}",
            "quarter": f"{self.start.year}-Q{(self.start.month + 2) // 3}",
            "year": str(self.start.year),
        }.get(self.kind, "")

    def months(self) -> list[tuple[str, datetime]]:
        """(label "2026-03", UTC start) of every month the period touches, for the monthly trend."""
        out, year, month = [], self.start.year, self.start.month
        while date(year, month, 1) <= self.end:
            out.append((f"{year:04d}-{month:02d}", local_midnight(date(year, month, 1))))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return out

    def month_slices(self) -> list[tuple[str, Period]]:
        """(label "2026-03", the part of the period in that month) for each month the period touches: what the
        monthly trend counts. A whole month is that month's own period."""
        out = []
        for label, _start in self.months():
            whole = Period.month(int(label[:4]), int(label[5:]))
            start, end = max(whole.start, self.start), min(whole.end, self.end)
            out.append((label, whole if (start, end) == (whole.start, whole.end) else Period("custom", start, end)))
        return out
