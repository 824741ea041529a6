"""The accountability report's figures against data with known answers: on time and late, each rating level,
transfers answered in time and too late, bot answers, the 96128 line, 差评 follow-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.bookings.service import Actor, BookingRequest
from bot.conversation import texts
from bot.privacy import parse_id_number
from bot.report.complaints import FollowUps
from bot.report.figures import ReportService
from bot.report.hotline import HotlineLog
from bot.report.periods import CHINA, Period, PeriodError
from bot.report.rates import Rate, percentile
from bot.report.sources import RawSource, RollupSource
from bot.wechat.inbox import outbound_record
from tests.utils import make_id

STAFF = Actor("staff", "liming")


def cst(day: str, hour: int = 10, minute: int = 0) -> datetime:
    """A mainland time as the UTC instant the store holds."""
    y, m, d = map(int, day.split("-"))
    return datetime(y, m, d, hour, minute, tzinfo=CHINA).astimezone(UTC)


class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def proxyable_item(services) -> dict:
    index = services.knowledge().index
    # Promised in 5 to 10 working days, so every due date of the March data falls in March.
    return next(
        index.item(c)
        for c in sorted(index.items)
        if index.item(c).get("proxy") and 5 <= index.item(c)["promised_limit_days"] <= 10
    )


async def book(services, clock: Clock, at: datetime, openid: str, item: dict, station: str, kind: str = "proxy") -> dict:
    clock.at = at
    request = BookingRequest(
        kind=kind,
        item=item,
        booked_by=Actor("resident", openid),
        name="赵大爷",
        id_card=parse_id_number(make_id("19450101")),
        phone="13811112222",
        preferred_date=at.astimezone(CHINA).date(),
        station=station,
    )
    return await services.bookings.create(request)


async def complete(services, clock: Clock, number: str, at: datetime) -> dict:
    for action in ("accept", "assign", "start", "complete"):
        clock.at = at
        booking = await services.bookings.transition(number, action, STAFF, assignee="李明" if action == "assign" else "")
    return booking


async def rate_booking(services, clock: Clock, booking: dict, score: int, at: datetime) -> None:
    clock.at = at
    await services.bookings.rate(Actor("resident", booking["booked_by"]), booking["number"], score, "评价")


async def escalation(services, openid: str, at: datetime, *, seconds: float | None, in_time=None, status="closed", score=None):
    """A hand-off chat as the console's desk records it (queued, first answered, closed, rated)."""
    doc = {
        "openid": openid,
        "reason": "asked",
        "last_message": "转人工",
        "status": status,
        "created_at": at,
        "first_response_at": at + timedelta(seconds=seconds) if seconds is not None else None,
        "closed_at": at + timedelta(minutes=30) if status == "closed" else None,
        "staff": "liming" if seconds is not None else None,
        "rating": {"score": score, "at": at + timedelta(minutes=31)} if score else None,
    }
    if seconds is not None:
        doc.update(first_response_seconds=seconds, answered_in_time=in_time)
    result = await services.store.escalations.insert_one(doc)
    return result.inserted_id


async def messages(services, at: datetime) -> None:
    m = services.store.messages
    inbound = [
        ("msg:1", "o_a", "text", "低保怎么办"),
        ("msg:2", "o_a", "text", "火星签证"),
        ("msg:3", "o_b", "voice", "社保卡"),
        ("msg:4", "o_b", "text", "在吗"),
        ("ev:o_c:1:subscribe:", "o_c", "event", "subscribe"),
    ]
    for key, openid, kind, content in inbound:
        await m.insert_one({"_id": key, "direction": "in", "openid": openid, "type": kind, "content": content, "created_at": at})
    replies = [
        ("msg:1", "低保的办理……"),
        ("msg:2", texts.DONT_KNOW),
        ("msg:3", "社保卡……"),
        ("msg:4", ""),
        ("ev:o_c:1:subscribe:", texts.WELCOME),
    ]
    for key, content in replies:
        record = outbound_record("o_x", content, "passive", _id="reply:" + key, in_reply_to=key)
        record["created_at"] = at
        await m.insert_one(record)
    # A notification is not a reply to anything.
    await m.insert_one({**outbound_record("o_a", "您的预约已办结", "notification"), "created_at": at})


@pytest.fixture(params=["pipelines", "rollups"])
async def march(services, request):
    """March 2026 at the centre, with a known answer for every figure (see each test), counted both by the
    raw aggregation pipelines and from the daily rollups the embedded store keeps with every write."""
    clock = Clock(cst("2026-03-02"))
    services.bookings.clock = clock
    item = proxyable_item(services)
    stations = [s["code"] async for s in services.store.stations.find({}, {"code": 1}).sort("code", 1)]
    one, two = stations[0], stations[1]
    on_time = await book(services, clock, cst("2026-03-02"), "o_1", item, one)
    late = await book(services, clock, cst("2026-03-02", 11), "o_2", item, one)
    still_open = await book(services, clock, cst("2026-03-03"), "o_3", item, two)
    cancelled = await book(services, clock, cst("2026-03-04"), "o_4", item, two)
    february = await book(services, clock, cst("2026-02-26"), "o_5", item, two)
    due = date.fromisoformat(on_time["due_date"])
    await complete(services, clock, on_time["number"], cst(due.isoformat(), 16))  # on the due date: on time
    late_due = date.fromisoformat(late["due_date"])
    await complete(services, clock, late["number"], cst((late_due + timedelta(days=3)).isoformat(), 9))
    await complete(services, clock, february["number"], cst("2026-03-02", 15))  # within 5 working days: on time
    clock.at = cst("2026-03-04", 12)
    await services.bookings.transition(cancelled["number"], "cancel", Actor("resident", "o_4"))
    clock.at = cst("2026-03-03", 12)
    await services.bookings.transition(still_open["number"], "accept", STAFF)
    late = await services.store.bookings.find_one({"number": late["number"]})
    on_time = await services.store.bookings.find_one({"number": on_time["number"]})
    await rate_booking(services, clock, on_time, 5, cst("2026-03-20"))
    await rate_booking(services, clock, late, 1, cst("2026-03-20", 11))
    # Chats handed to staff: answered in 60 s (in time, rated 满意), in 400 s (too late, rated 不满意),
    # closed unanswered, and one still waiting (not yet judged).
    await escalation(services, "o_e1", cst("2026-03-05"), seconds=60, in_time=True, score=4)
    low_chat = await escalation(services, "o_e2", cst("2026-03-06"), seconds=400, in_time=False, score=2)
    await escalation(services, "o_e3", cst("2026-03-07"), seconds=None)
    await escalation(services, "o_e4", cst("2026-03-31", 23), seconds=None, status="waiting")
    await escalation(services, "o_e5", cst("2026-04-01"), seconds=30, in_time=True)  # April: outside
    await messages(services, cst("2026-03-10"))
    hotline = HotlineLog(services.store.hotline_calls, services.audit)
    await hotline.record("liming", topic="办事指南", outcome="answered", item_code=item["code"], score=3, at=cst("2026-03-09"))
    await hotline.record("liming", topic="进度查询", outcome="transferred", transfer_answered=True, at=cst("2026-03-09", 11))
    low_call = await hotline.record(
        "liming", topic="投诉建议", outcome="transferred", transfer_answered=False, score=2, at=cst("2026-03-09", 14)
    )
    followups = FollowUps(services.store, services.audit, clock=Clock(cst("2026-03-23")))
    await followups.record("booking", late["number"], "liming", "已电话回访，补办完成")  # 1 working day later
    followups.clock = Clock(cst("2026-05-20"))
    await followups.record("escalation", str(low_chat), "liming", "回访道歉")  # long after the deadline
    report_service = ReportService(
        services.store,
        services.bookings.calendar,
        followup_workdays=15,
        clock=Clock(cst("2026-12-02")),
        rollups=services.backoffice.reports.rollups,
    )
    report_service.raw = request.param == "pipelines"
    assert isinstance(report_service.source(), RawSource if report_service.raw else RollupSource)
    return {
        "service": report_service,
        "item": item,
        "stations": (one, two),
        "low_call": low_call,
        "numbers": {"on_time": on_time["number"], "late": late["number"], "open": still_open["number"]},
    }


async def test_bookings_received_completed_on_time_and_overdue(march):
    report = await march["service"].build(Period.month(2026, 3))
    b = report.bookings
    assert b["received"] == 4  # the February booking was received outside the period
    assert b["completed"] == 3  # ... but completed inside it
    assert b["on_time"] == Rate(2, 3) and b["on_time"].text == "66.67% (2/3)"
    assert b["late"] == 1
    assert b["open"] == 1 and b["overdue_open"] == 1  # accepted in March, due long before December


async def test_satisfaction_counts_every_level_from_every_source(march):
    report = await march["service"].build(Period.month(2026, 3))
    s = report.satisfaction
    assert s["bookings"] == Rate(1, 2)  # 非常满意, 非常不满意
    assert s["chat"] == Rate(1, 2)  # 满意, 不满意
    assert s["hotline"] == Rate(0, 2)  # 基本满意, 不满意
    assert s["all"] == Rate(2, 6) and s["all"].text == "33.33% (2/6)"
    assert s["levels"]["all"] == {5: 1, 4: 1, 3: 1, 2: 2, 1: 1}


async def test_transfers_answered_in_time_and_too_late(march):
    chat = (await march["service"].build(Period.month(2026, 3))).chat
    assert chat["transfers"] == 4 and chat["pending"] == 1 and chat["answered_by_person"] == 2
    assert chat["transfer_success"] == Rate(1, 3)  # in time / (transfers - still waiting)
    assert chat["first_response_median"] == 230.0 and chat["first_response_p90"] == 400.0


async def test_bot_answers_messages_and_residents(march):
    chat = (await march["service"].build(Period.month(2026, 3))).chat
    assert chat["messages"] == 4 and chat["questions"] == 4 and chat["residents"] == 2  # the follow is an event
    assert chat["bot_answered"] == 2 and chat["bot_unanswered"] == 1 and chat["with_staff"] == 1
    assert chat["bot_answer_rate"].text == "66.67% (2/3)"


async def test_hotline_figures(march):
    line = (await march["service"].build(Period.month(2026, 3))).hotline
    assert line["calls"] == 3 and line["answered"] == 1 and line["transferred"] == 2
    assert line["transfer_success"].text == "50% (1/2)"
    assert line["satisfaction"].text == "0% (0/2)" and line["levels"][3] == 1 and line["levels"][2] == 1


async def test_low_ratings_and_their_follow_up_deadline(march):
    c = (await march["service"].build(Period.month(2026, 3))).complaints
    assert c["count"] == 3
    states = {row["kind"]: row["state"] for row in c["rows"]}
    assert states == {"booking": "in_time", "escalation": "late", "hotline": "overdue"}
    assert c["followed_up"] == Rate(1, 3)


async def test_breakdowns_by_item_department_station_and_channel(march):
    report = await march["service"].build(Period.month(2026, 3))
    one, two = march["stations"]
    stations = {row.key: row for row in report.breakdown["station"]}
    assert stations[one].received == 2 and stations[one].completed == 2 and stations[one].on_time == Rate(1, 2)
    assert stations[two].received == 2 and stations[two].completed == 1 and stations[two].overdue_open == 1
    item = report.breakdown["item"][0]
    assert item.key == march["item"]["code"] and item.received == 4 and item.satisfaction == Rate(1, 2)
    assert report.breakdown["department"][0].key == march["item"]["department"]
    assert [(row.key, row.received) for row in report.breakdown["channel"]] == [("chat", 4)]


async def test_filters_narrow_the_booking_figures(march):
    service = march["service"]
    one, _two = march["stations"]
    report = await service.build(Period.month(2026, 3), await service.filters(station=one))
    assert report.bookings["received"] == 2 and report.bookings["on_time"] == Rate(1, 2)
    report = await service.build(Period.month(2026, 3), await service.filters(department="没有这个部门"))
    assert report.bookings["received"] == 0 and report.bookings["on_time"].text == "— (0/0)"
    report = await service.build(Period.month(2026, 3), await service.filters(channel="proxy"))
    assert report.bookings["received"] == 0


async def test_year_trend_by_month(march):
    report = await march["service"].build(Period.year(2026))
    assert [row["month"] for row in report.trend][:4] == ["2026-01", "2026-02", "2026-03", "2026-04"]
    by_month = {row["month"]: row for row in report.trend}
    assert by_month["2026-02"]["received"] == 1 and by_month["2026-03"]["received"] == 4
    assert by_month["2026-03"]["completed"] == 3 and by_month["2026-03"]["on_time"] == Rate(2, 3)
    assert by_month["2026-03"]["transfers"] == 4 and by_month["2026-04"]["transfers"] == 1
    assert report.chat["transfers"] == 5


async def test_a_day_is_cut_at_mainland_midnight(march):
    service = march["service"]
    # 2026-03-31 23:00 in China is 15:00 UTC: it belongs to the 31st, and April's chat does not.
    day = await service.build(Period.day(date(2026, 3, 31)))
    assert day.chat["transfers"] == 1
    assert (await service.build(Period.day(date(2026, 4, 1)))).chat["transfers"] == 1


def test_periods_parse_and_refuse():
    assert Period.parse("month", "2026-02").end == date(2026, 2, 28)
    assert Period.parse("year", "2024").label == "2024年"
    q4 = Period.parse("quarter", "2026-Q4")
    assert (q4.start, q4.end, q4.label, q4.value) == (date(2026, 10, 1), date(2026, 12, 31), "2026年第4季度", "2026-Q4")
    assert Period.parse("quarter", "", today=date(2026, 5, 9)).label == "2026年第2季度"
    assert [label for label, _ in q4.month_slices()] == ["2026-10", "2026-11", "2026-12"]
    part = Period.custom(date(2026, 1, 20), date(2026, 2, 10)).month_slices()
    assert [(p.start, p.end) for _, p in part] == [(date(2026, 1, 20), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 10))]
    with pytest.raises(PeriodError, match="季度"):
        Period.parse("quarter", "2026-Q5")
    assert Period.parse("custom", start="2026-01-05", end="2026-01-09").months()[0][0] == "2026-01"
    with pytest.raises(PeriodError):
        Period.parse("custom", start="2026-02-01", end="2026-01-01")
    with pytest.raises(PeriodError):
        Period.parse("month", "March")


def test_rates_and_percentiles():
    assert Rate(1, 1).text == "100% (1/1)" and Rate(913, 1000).text == "91.3% (913/1000)"
    assert Rate(0, 0).text == "— (0/0)"
    assert percentile([1, 2, 3, 4], 50) == 2.5 and percentile([5], 90) == 5 and percentile([], 50) is None
    assert percentile(list(range(1, 11)), 90) == 9


async def test_charts_and_exports_carry_the_figures(march):
    import io

    from openpyxl import load_workbook

    from bot.report import charts, export

    report = await march["service"].build(Period.year(2026))
    svg = charts.trend_chart(report.trend)
    assert svg.startswith("<svg") and "03月" in svg and "按时办结率" in svg and "style=" not in svg
    assert "按时" in charts.comparison_chart(report.breakdown["station"], "按服务站")
    text = export.report_csv(report).decode("utf-8-sig")
    assert "按时办结率,66.67% (2/3),2,3," in text and "转接成功率" in text
    book = load_workbook(io.BytesIO(export.report_xlsx(report)))
    assert book.sheetnames == ["汇总", "按事项", "按部门", "按服务站", "按渠道", "月度趋势", "差评整改"]
    summary = {row[1]: row for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["满意率（全部渠道）"][2:5] == ("33.33% (2/6)", 2, 6)
