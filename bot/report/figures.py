"""The accountability figures for a period: runs the pipelines of bot/report/pipelines.py and assembles the result.

The database does the counting; Python only rolls items up into departments, computes percentiles of the
(few) first-response times, and judges each 差评's follow-up deadline on the working-day calendar. Each month
of the period is counted by the same code as the period itself, and every figure shown anywhere is read from
bot/report/measures.py's table of those counts.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.offloop import run_forked
from bot.ratings import LEVELS
from bot.report import measures
from bot.report import pipelines as P
from bot.report.periods import CHINA, Period
from bot.report.rates import Rate, percentile
from bot.report.sources import RawSource, RollupSource

log = logging.getLogger(__name__)

DEFAULT_FOLLOWUP_WORKDAYS = 15
# A report is kept this long: the page, its CSV/XLSX and the printable page are usually opened together,
# and on the embedded store a year over 100,000 messages takes seconds. Writes made through the console
# (follow-ups, hotline calls) clear it; other changes show after at most this long ("统计于" on the page).
CACHE_SECONDS = 60
# Builds one staff member may have running at once (joining a build someone else started is free).
BUILDS_PER_USER = 2
# Builds running at once in this process (each is a forked child on the embedded store: one per core).
PARALLEL_BUILDS = 2


class ReportBusy(Exception):
    """Too many report builds for one staff member; the message is shown to staff (Chinese)."""

    def __init__(self, message: str = "您已有报表正在生成，请稍候再试。"):
        super().__init__(message)
        self.message = message


def fallback_replies() -> list[str]:
    """The bot's replies that mean it could not answer (see definitions: bot_unanswered)."""
    from bot.conversation import texts

    replies = [texts.DONT_KNOW, texts.VOICE_UNCLEAR, texts.UNSUPPORTED]
    try:  # the hand-off desk offers a person after two misses in a row
        from bot.handoff import texts as handoff_texts

        replies.append(handoff_texts.OFFER)
    except (ImportError, AttributeError):
        pass
    return replies


def _first(rows: list[dict]) -> dict:
    return rows[0] if rows else {}


def _satisfaction(counts: dict) -> Rate:
    return Rate(int(counts.get("satisfied", 0)), int(counts.get("rated", 0)))


def _levels(counts: dict) -> dict[int, int]:
    return {score: int(counts.get(f"s{score}", 0)) for score in LEVELS}


class _DeadlineMemo:
    """The working-day calendar's add_workdays, remembered per (day, days)."""

    def __init__(self, calendar):
        self.calendar = calendar
        self.known: dict = {}

    def add_workdays(self, day, days: int):
        key = (day, days)
        if key not in self.known:
            self.known[key] = self.calendar.add_workdays(day, days)
        return self.known[key]


@dataclass
class Breakdown:
    """One row of a breakdown (an item, a department, a station or a channel)."""

    key: str
    label: str
    received: int = 0
    open: int = 0
    overdue_open: int = 0
    completed: int = 0
    on_time_n: int = 0
    rated: int = 0
    satisfied: int = 0
    complaints: int = 0

    def add(self, row: dict) -> None:
        for name in ("received", "open", "overdue_open", "completed", "rated", "satisfied", "complaints"):
            setattr(self, name, getattr(self, name) + int(row.get(name, 0)))
        self.on_time_n += int(row.get("on_time", 0))

    @property
    def on_time(self) -> Rate:
        return Rate(self.on_time_n, self.completed)

    @property
    def satisfaction(self) -> Rate:
        return Rate(self.satisfied, self.rated)


@dataclass
class Report:
    period: Period
    filters: P.Filters
    generated_at: datetime
    bookings: dict = field(default_factory=dict)
    satisfaction: dict = field(default_factory=dict)
    complaints: dict = field(default_factory=dict)
    chat: dict = field(default_factory=dict)
    hotline: dict = field(default_factory=dict)
    breakdown: dict[str, list[Breakdown]] = field(default_factory=dict)
    figures: dict[str, measures.Figure] = field(default_factory=dict)  # measure id -> the period's figure
    trend: list[dict] = field(default_factory=list)  # one row a month: "month", then each monthly measure's value
    trend_total: dict = field(default_factory=dict)  # the trend's 合计 row: the period's values
    seconds: float = 0.0


class ReportService:
    def __init__(
        self,
        store,
        calendar,
        *,
        followup_workdays: int = DEFAULT_FOLLOWUP_WORKDAYS,
        clock=lambda: datetime.now(UTC),
        rollups=None,
    ):
        self.store = store
        self.rollups = rollups  # bot.report.rollups.Rollups, attached on the embedded store
        self.raw = False  # True: the raw pipelines even where rollups exist (the reference, for tests and benchmarks)
        self.calendar = calendar
        self.followup_workdays = followup_workdays
        self.clock = clock
        self.fallbacks = fallback_replies()
        # Follow-up deadlines by (day, working days), kept across builds: a year and its months judge the
        # same 差评, and the holiday calendar never changes while the process runs.
        self._deadlines = _DeadlineMemo(calendar)
        self._cache: dict = {}
        self._generation = 0
        self._running: dict = {}  # (period, filters) -> the build's task, shared by everyone asking
        self._users: dict[str, int] = {}
        self._slots = asyncio.Semaphore(PARALLEL_BUILDS)
        # On the embedded store a build reads a forked snapshot (bot/offloop.py); on MongoDB it awaits the database.
        self.forked = bool(getattr(store, "embedded", False))

    def source(self):
        """The daily rollups when this store keeps them (the embedded store), else the raw pipelines."""
        if self.rollups is not None and self.rollups.attached and not self.raw:
            return RollupSource(self.store)
        return RawSource(self.store, self.fallbacks)

    def invalidate(self) -> None:
        self._cache.clear()
        self._generation += 1  # a build running now may have read the old data: it is not cached

    # ---- names for keys ----

    async def items(self) -> dict[str, dict]:
        return {i["code"]: i async for i in self.store.items.find({}, {"_id": 0, "code": 1, "name": 1, "department": 1})}

    async def station_names(self) -> dict[str, str]:
        return {s["code"]: s["name"] async for s in self.store.stations.find({}, {"_id": 0, "code": 1, "name": 1})}

    async def item_codes_of_department(self, department: str) -> tuple[str, ...]:
        return tuple(sorted([i["code"] async for i in self.store.items.find({"department": department}, {"code": 1})]))

    async def filters(self, item: str = "", department: str = "", station: str = "", channel: str = "") -> P.Filters:
        codes: tuple[str, ...] = ()
        if item:
            codes = (item,)
        elif department:
            codes = await self.item_codes_of_department(department) or ("-none-",)
        return P.Filters(item_codes=codes, station=station, channel=channel if channel in P.CHANNEL_LABELS else "")

    # ---- the report ----

    async def build(self, period: Period, filters: P.Filters | None = None, *, fresh: bool = False, user: str = "") -> Report:
        """The report, from the cache when it is recent. Otherwise one build per period and filters runs off
        the event loop, and whoever asks for the same one meanwhile waits for it; `user` may start at most
        BUILDS_PER_USER builds at once (ReportBusy beyond that)."""
        filters = filters or P.Filters()
        key = (period, filters)
        cached = self._cache.get(key)
        if cached and not fresh and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        task = self._running.get(key)
        if task is None:
            if user and self._users.get(user, 0) >= BUILDS_PER_USER:
                raise ReportBusy()
            task = asyncio.ensure_future(self._build_off_loop(period, filters))
            self._running[key] = task
            self._users[user] = self._users.get(user, 0) + 1
            task.add_done_callback(lambda _t: self._finished(key, user))
        return await asyncio.shield(task)

    def _finished(self, key, user: str) -> None:
        self._running.pop(key, None)
        left = self._users.get(user, 1) - 1
        if left > 0:
            self._users[user] = left
        else:
            self._users.pop(user, None)

    async def _build_off_loop(self, period: Period, filters: P.Filters) -> Report:
        generation = self._generation
        async with self._slots:
            if self.forked:
                report = await run_forked(lambda: self._build(period, filters))
            else:
                report = await self._build(period, filters)
        if generation == self._generation:
            if len(self._cache) > 50:
                self._cache.clear()
            self._cache[(period, filters)] = (time.monotonic(), report)
        return report

    async def _build(self, period: Period, filters: P.Filters) -> Report:
        started = time.perf_counter()
        now = self.clock()
        today = now.astimezone(CHINA).date().isoformat()
        report = Report(period, filters, now)
        items, stations = await self.items(), await self.station_names()
        source = self.source()
        parts = await self._parts(period, filters, source, today, items, stations)
        report.breakdown = parts.pop("breakdown")
        for name in ("bookings", "satisfaction", "chat", "hotline", "complaints"):
            setattr(report, name, parts[name])
        report.figures = measures.figures(parts)
        # Each month is counted exactly as the period is (the same pipelines or rollups, the same code), so
        # a month's row is that month's own report and the 合计 row is the period's.
        report.trend = []
        for label, month in period.month_slices():
            counted = parts
            if (month.start, month.end) != (period.start, period.end):
                counted = await self._parts(month, filters, source, today, items, stations)
            report.trend.append({"month": label, **{m.id: m.get(counted) for m in measures.MONTHLY}})
        report.trend_total = {"month": "合计", **{m.id: m.get(parts) for m in measures.MONTHLY}}
        report.seconds = time.perf_counter() - started
        log.info("report %s built in %.3fs", period.label, report.seconds)
        return report

    async def _parts(self, period: Period, filters: P.Filters, source, today: str, items: dict, stations: dict) -> dict:
        """Every count of one period (the report's, or one month of it): bookings, satisfaction, chat, hotline,
        complaints and the breakdowns."""
        parts: dict = {}
        received = await source.received(period, filters, today)
        completed = await source.completed(period, filters)
        rated = await source.rated(period, filters)
        parts["breakdown"] = self._breakdowns(received, completed, rated, items, stations)
        total = parts["breakdown"].pop("total")
        t = total[0] if total else Breakdown("total", "合计")
        parts["bookings"] = {
            "received": t.received,
            "completed": t.completed,
            "on_time": t.on_time,
            "late": t.completed - t.on_time_n,
            "open": t.open,
            "overdue_open": t.overdue_open,
        }
        chat_rated = await source.chat_rated(period)
        hotline = await source.hotline(period, filters.item_codes)
        hotline_rated = _first(hotline.get("rated", []))
        sources = {"bookings": _first(rated.get("total", [])), "chat": chat_rated, "hotline": hotline_rated}
        all_counts = {k: sum(int(c.get(k, 0)) for c in sources.values()) for k in ("satisfied", "rated")}
        satisfaction = {
            "all": _satisfaction(all_counts),
            **{name: _satisfaction(counts) for name, counts in sources.items()},
            "levels": {name: _levels(counts) for name, counts in sources.items()},
        }
        satisfaction["levels"]["all"] = {s: sum(levels[s] for levels in satisfaction["levels"].values()) for s in LEVELS}
        parts["satisfaction"] = satisfaction
        parts["chat"] = await self._chat(period, source)
        parts["hotline"] = self._hotline(hotline)
        parts["complaints"] = await self._complaints(period, filters, source)
        return parts

    def _breakdowns(self, received: dict, completed: dict, rated: dict, items: dict, stations: dict) -> dict:
        labels = {
            "total": lambda k: "合计",
            "item": lambda k: (items.get(k) or {}).get("name", k or "（无）"),
            "station": lambda k: stations.get(k, k or "（未选择）"),
            "channel": lambda k: P.CHANNEL_LABELS.get(k, k or "（未知）"),
        }
        out: dict[str, list[Breakdown]] = {}
        for dim in P.DIMENSIONS:
            rows: dict[str, Breakdown] = {}
            for facet in (received, completed, rated):
                for row in facet.get(dim, []):
                    key = row["_id"] if row["_id"] is not None else ""
                    if dim == "total":
                        key = "total"
                    rows.setdefault(key, Breakdown(key, labels[dim](key))).add(row)
            out[dim] = sorted(rows.values(), key=lambda r: (-r.received, r.key))
        departments: dict[str, Breakdown] = {}
        for row in out["item"]:
            dept = (items.get(row.key) or {}).get("department") or "（未知部门）"
            target = departments.setdefault(dept, Breakdown(dept, dept))
            for name in ("received", "open", "overdue_open", "completed", "on_time_n", "rated", "satisfied", "complaints"):
                setattr(target, name, getattr(target, name) + getattr(row, name))
        out["department"] = sorted(departments.values(), key=lambda r: (-r.received, r.key))
        return out

    async def _chat(self, period: Period, source) -> dict:
        inbound = await source.inbound(period)
        by_type = {row["_id"]: row["n"] for row in inbound.get("by_type", [])}
        replies = await source.replies(period)
        queued = await source.queued(period)
        total = _first(queued.get("total", []))
        seconds = sorted(_first(queued.get("response_seconds", [])).get("seconds", []))
        unanswered = int(replies.get("unanswered", 0))
        answered = int(replies.get("replies", 0)) - unanswered - int(replies.get("silent", 0))
        transfers, pending = int(total.get("transfers", 0)), int(total.get("pending", 0))
        return {
            "messages": sum(by_type.values()),
            "questions": by_type.get("text", 0) + by_type.get("voice", 0),
            "by_type": by_type,
            "residents": int(_first(inbound.get("residents", [])).get("n", 0)),
            "bot_answered": answered,
            "bot_unanswered": unanswered,
            "with_staff": int(replies.get("silent", 0)),
            "bot_answer_rate": Rate(answered, answered + unanswered),
            "transfers": transfers,
            "by_reason": {row["_id"]: row["n"] for row in queued.get("by_reason", [])},
            "answered_by_person": int(total.get("answered", 0)),
            "pending": pending,
            "transfer_success": Rate(int(total.get("in_time", 0)), transfers - pending),
            "first_response_median": percentile(seconds, 50),
            "first_response_p90": percentile(seconds, 90),
            "first_response_count": len(seconds),
        }

    def _hotline(self, hotline: dict) -> dict:
        total, rated = _first(hotline.get("total", [])), _first(hotline.get("rated", []))
        transferred = int(total.get("transferred", 0))
        return {
            "calls": int(total.get("calls", 0)),
            "answered": int(total.get("answered", 0)),
            "transferred": transferred,
            "transfer_success": Rate(int(total.get("transfer_answered", 0)), transferred),
            "satisfaction": _satisfaction(rated),
            "levels": _levels(rated),
            "by_topic": {row["_id"]: row["n"] for row in hotline.get("by_topic", [])},
        }

    async def _complaints(self, period: Period, filters: P.Filters, source) -> dict:
        from bot.report.complaints import judge

        found = []
        low = await source.low_ratings(period, filters)
        for doc in low["bookings"]:
            found.append(("booking", doc["number"], doc, f"{doc['number']} {doc.get('item_name', '')}"))
        for doc in low.get("escalations", []):
            found.append(("escalation", str(doc["_id"]), doc, "人工客服会话"))
        for doc in low.get("hotline_calls", []):
            found.append(("hotline", str(doc["_id"]), doc, f"96128 来电：{doc.get('topic', '')}"))
        calendar = self._deadlines  # many 差评 share a day; the holiday calendar is slow to ask
        now = self.clock()
        rows = [judge(kind, key, doc, what, calendar, self.followup_workdays, now) for kind, key, doc, what in found]
        rows.sort(key=lambda r: r["rated_at"], reverse=True)
        due = [r for r in rows if r["state"] != "open"]
        return {
            "count": len(rows),
            "rows": rows,
            "followed_up": Rate(sum(1 for r in rows if r["state"] == "in_time"), len(due)),
            "workdays": self.followup_workdays,
        }
