"""The report's table of figures: every figure a supervisor reads, in one list, each computed by one function
of the built report's counts. The summary cards, the monthly trend and its 合计 row, the CSV/XLSX exports and
the printed page all render from `figures()`, for the period and for each month of it (bot/report/figures.py
counts each month exactly as it counts the period), so no two of them can disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.ratings import LEVELS
from bot.report.definitions import DEFINITIONS
from bot.report.rates import Rate


def seconds_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} 秒" if value < 120 else f"{value / 60:.1f} 分钟"


@dataclass(frozen=True)
class Figure:
    """One figure's value: a count, a rate (numerator over denominator) or a duration in seconds."""

    value: int | Rate | float | None
    seconds: bool = False

    @property
    def text(self) -> str:
        if self.seconds:
            return seconds_text(self.value)
        if isinstance(self.value, Rate):
            return self.value.text
        return "—" if self.value is None else str(self.value)

    @property
    def parts(self) -> tuple[str, str]:
        """("66.67%", "(2/3)") for a rate, (text, "") otherwise: a narrow table cell puts them on two lines."""
        if isinstance(self.value, Rate):
            head, _, tail = self.text.partition(" ")
            return head, tail
        return self.text, ""

    @property
    def num(self):
        return self.value.num if isinstance(self.value, Rate) else ""

    @property
    def den(self):
        return self.value.den if isinstance(self.value, Rate) else ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Measure:
    id: str  # unique in MEASURES; the page's data-key, the test's handle
    section: str
    definition: str  # key of bot/report/definitions.py DEFINITIONS
    get: Callable  # the built report's parts -> int | Rate | float | None
    label: str = ""  # when it differs from the definition's name
    monthly: bool = False  # a column of the monthly trend (sums over months, or a rate of sums)
    seconds: bool = False

    @property
    def name(self) -> str:
        return self.label or DEFINITIONS[self.definition][0]

    def title(self, report) -> str:
        """The name as shown, with the report's follow-up deadline where the name mentions it."""
        return self.name.format(workdays=report.complaints["workdays"])

    @property
    def short(self) -> str:
        """The name in a trend column's header."""
        return self.name.split("（")[0] if self.id != "satisfaction" else "满意率"

    @property
    def explanation(self) -> str:
        if self.id.startswith("level_"):
            return "五级评价中该等级的次数（全部渠道）。"
        return DEFINITIONS[self.definition][1]


BOOKINGS, RATINGS, CHAT, HOTLINE = "预约服务", "群众评价", "在线咨询", "96128"


def _b(name):
    return lambda p: p["bookings"][name]


def _c(name):
    return lambda p: p["chat"][name]


def _h(name):
    return lambda p: p["hotline"][name]


def _s(name):
    return lambda p: p["satisfaction"][name]


def _level(score):
    return lambda p: p["satisfaction"]["levels"]["all"][score]


MEASURES: list[Measure] = [
    Measure("received", BOOKINGS, "received", _b("received"), monthly=True),
    Measure("completed", BOOKINGS, "completed", _b("completed"), monthly=True),
    Measure("on_time", BOOKINGS, "on_time", _b("on_time"), monthly=True),
    Measure("late", BOOKINGS, "late", _b("late")),
    Measure("open", BOOKINGS, "open", _b("open")),
    Measure("overdue_open", BOOKINGS, "overdue_open", _b("overdue_open"), monthly=True),
    Measure("satisfaction", RATINGS, "satisfaction", _s("all"), "满意率（全部渠道）", monthly=True),
    Measure("satisfaction_bookings", RATINGS, "satisfaction", _s("bookings"), "满意率（预约服务）"),
    Measure("satisfaction_chat", RATINGS, "satisfaction", _s("chat"), "满意率（在线人工）"),
    Measure("satisfaction_hotline", RATINGS, "satisfaction", _s("hotline"), "满意率（96128）"),
    *[Measure(f"level_{score}", RATINGS, "satisfaction", _level(score), name) for score, name in LEVELS.items()],
    Measure("complaints", RATINGS, "complaints", lambda p: p["complaints"]["count"], monthly=True),
    Measure(
        "followed_up",
        RATINGS,
        "followed_up",
        lambda p: p["complaints"]["followed_up"],
        "差评按时整改率（{workdays} 个工作日）",
        monthly=True,
    ),
    Measure("messages", CHAT, "messages", _c("messages"), monthly=True),
    Measure("questions", CHAT, "questions", _c("questions")),
    Measure("residents", CHAT, "residents", _c("residents")),
    Measure("bot_answered", CHAT, "bot_answered", _c("bot_answered")),
    Measure("bot_unanswered", CHAT, "bot_unanswered", _c("bot_unanswered")),
    Measure("bot_answer_rate", CHAT, "bot_answer_rate", _c("bot_answer_rate"), monthly=True),
    Measure("transfers", CHAT, "transfers", _c("transfers"), monthly=True),
    Measure("transfer_success", CHAT, "transfer_success", _c("transfer_success"), monthly=True),
    Measure("first_response_median", CHAT, "first_response", _c("first_response_median"), "首次响应时间（中位数）", seconds=True),
    Measure("first_response_p90", CHAT, "first_response", _c("first_response_p90"), "首次响应时间（90% 分位数）", seconds=True),
    Measure("hotline_calls", HOTLINE, "hotline_calls", _h("calls"), monthly=True),
    Measure("hotline_transferred", HOTLINE, "hotline_transferred", _h("transferred")),
    Measure("hotline_transfer_success", HOTLINE, "hotline_transfer_success", _h("transfer_success"), monthly=True),
    Measure("hotline_satisfaction", HOTLINE, "hotline_satisfaction", _h("satisfaction")),
]
BY_ID = {m.id: m for m in MEASURES}
MONTHLY = [m for m in MEASURES if m.monthly]
SECTIONS = (BOOKINGS, RATINGS, CHAT, HOTLINE)


def trend_rows(report) -> list[dict]:
    """The monthly trend as rows of Figures, the 合计 row last."""
    rows = [*report.trend, report.trend_total]
    return [{"month": row["month"], **{m.id: Figure(row[m.id]) for m in MONTHLY}} for row in rows]


def figures(parts: dict) -> dict[str, Figure]:
    """Every measure's figure from one build's parts (bookings, satisfaction, chat, hotline, complaints)."""
    return {m.id: Figure(m.get(parts), m.seconds) for m in MEASURES}


def of_section(section: str, *, levels: bool = False) -> list[Measure]:
    """The measures of one section of cards (the five rating levels are a table of their own)."""
    return [m for m in MEASURES if m.section == section and m.id.startswith("level_") == levels]
