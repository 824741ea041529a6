"""Template data for template messages, subscribe notifications and SMS: logical fields fitted to keywords.

A template maps each of its keywords to one of our logical fields (settings: WECHAT_TEMPLATES and
friends). Keywords carry their type in their name (`thing2`, `phrase3`, `time4`...) and WeChat refuses
a value that does not fit the type, so every value is cut to the type's limit here.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8))
LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "letter": 32, "symbol": 5, "name": 10}
FALLBACK = {"thing": "无", "phrase": "无", "name": "无", "character_string": "-", "number": "0", "letter": "-"}


def china_time(at: datetime) -> str:
    """A time as template `time` keywords take it: 2026年12月02日 14:05 (China time)."""
    return at.astimezone(CHINA).strftime("%Y年%m月%d日 %H:%M")


def china_date(day: str) -> str:
    """An ISO date (2026-12-03) as template `time`/`date` keywords take it: 2026年12月03日."""
    y, m, d = day.split("-")
    return f"{y}年{m}月{d}日"


def keyword_type(keyword: str) -> str:
    return keyword.rstrip("0123456789")


def fit(keyword: str, value) -> str:
    """`value` as keyword `keyword` accepts it."""
    kind = keyword_type(keyword)
    text = "" if value is None else str(value).strip()
    if kind == "character_string":
        text = re.sub(r"[^\x21-\x7e]", "", text)
    elif kind == "number":
        text = re.sub(r"[^0-9.]", "", text)
    if not text:
        return FALLBACK.get(kind, "-")
    limit = LIMITS.get(kind)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…" if kind in ("thing", "name") else text[:limit]
    return text


def render(template: dict, fields: dict) -> dict:
    """WeChat's `data` for `template` ({"id", "fields": {keyword: logical}}): {keyword: {"value": ...}}."""
    return {kw: {"value": fit(kw, fields.get(logical))} for kw, logical in template["fields"].items()}


def sms_params(template: dict, fields: dict) -> dict:
    """SMS template variables: {variable: value}, plain text of at most 20 characters each."""
    return {var: fit("thing", fields.get(logical)) for var, logical in template["fields"].items()}
