"""Dates as residents type them: 明天, 后天, 下周一, 周三, 12月3日, 12-03, 2026-12-03, 3号."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

WEEKDAYS = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
RELATIVE = {"今天": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
CN_NUM = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
WEEKDAY_NAMES = "一二三四五六日"


def _int(text: str) -> int:
    if text.isdigit():
        return int(text)
    # 十二, 二十三, 三十一
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_NUM.get(tens, 1) if tens else 1) * 10 + (CN_NUM.get(ones, 0) if ones else 0)
    return CN_NUM[text]


NUM = r"(\d{1,2}|[一二两三四五六七八九十]{1,3})"


def parse_day(text: str, today: date) -> date | None:
    """The date meant, or None when the text names no date."""
    t = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    for word in sorted(RELATIVE, key=len, reverse=True):
        if word in t:
            return today + timedelta(days=RELATIVE[word])
    m = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", t)
    if m:
        return _safe(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = re.search(NUM + r"\s*(?:月|-|/|\.)\s*" + NUM + r"\s*(?:日|号)?", t)
    if m:
        month, day = _int(m.group(1)), _int(m.group(2))
        found = _safe(today.year, month, day)
        if found and found < today:
            found = _safe(today.year + 1, month, day)
        return found
    m = re.search(r"(下下|下)?个?(?:周|星期|礼拜)([一二三四五六日天1-7])", t)  # "下个礼拜一"
    if m:
        target = WEEKDAYS[m.group(2)]
        monday = today - timedelta(days=today.weekday())
        weeks = {"下": 1, "下下": 2}.get(m.group(1) or "", 0)
        found = monday + timedelta(weeks=weeks, days=target)
        if found <= today and not weeks:
            found += timedelta(weeks=1)
        return found
    m = re.fullmatch(NUM + r"(?:日|号)", t)
    if m:
        day = _int(m.group(1))
        found = _safe(today.year, today.month, day)
        if found is None or found < today:
            nxt = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            found = _safe(nxt.year, nxt.month, day)
        return found
    return None


def _safe(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def month_day(day: date | str) -> str:
    """12月3日, from a date or an ISO string as bookings store it."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.month}月{day.day}日"


def describe_day(day: date) -> str:
    return f"{month_day(day)}（周{WEEKDAY_NAMES[day.weekday()]}）"
