"""The 重点项目 section of the accountability report: projects received, investment, modes, steps on time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from bot.bookings.service import CHINA
from bot.projects.steps import MODES, finished_on_time


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA).astimezone(UTC)


def rate(numerator: int, denominator: int) -> str:
    """按时办结率 as staff read it, always with its numerator and denominator: 96.0%（24/25）."""
    if not denominator:
        return "—（0/0）"
    return f"{100 * numerator / denominator:.1f}%（{numerator}/{denominator}）"


async def project_section(store, start: date, end: date, *, include_samples: bool = False) -> dict:
    """Figures for the period [start, end] (China dates, inclusive). Sample projects count only when asked."""
    base = {} if include_samples else {"sample": {"$ne": True}}
    received = [
        p
        async for p in store.projects.find(
            {**base, "created_at": {"$gte": _midnight(start), "$lt": _midnight(end + timedelta(days=1))}},
            {"investment_wan": 1, "mode": 1},
        )
    ]
    first, last = start.isoformat(), end.isoformat()
    finished = [
        step
        async for p in store.projects.find({**base, "steps.approved_on": {"$gte": first, "$lte": last}}, {"steps": 1})
        for step in p["steps"]
        if step["status"] == "approved" and first <= (step.get("approved_on") or "") <= last
    ]
    on_time = sum(1 for s in finished if finished_on_time(s))
    investment = sum(p["investment_wan"] for p in received)
    return {
        "received": len(received),
        "investment_wan": investment,
        "investment_yi": investment / 10000,
        "by_mode": {label: sum(1 for p in received if p["mode"] == key) for key, label in MODES.items()},
        "steps_finished": len(finished),
        "on_time": on_time,
        "on_time_rate": rate(on_time, len(finished)),
    }


SECTION_TITLE = "重点项目代办"
SECTION_HEADER = ["指标", "数值"]


def section_rows(section: dict) -> list[list]:
    """The section as rows for the report's CSV and XLSX exports (the same figures as the page)."""
    return [
        ["本期登记项目（个）", section["received"]],
        ["总投资（万元）", round(section["investment_wan"], 2)],
        ["总投资（亿元）", round(section["investment_yi"], 4)],
        *[[f"{label}（个）", n] for label, n in section["by_mode"].items()],
        ["办结审批环节（个）", section["steps_finished"]],
        ["按时办结率", section["on_time_rate"]],
    ]
