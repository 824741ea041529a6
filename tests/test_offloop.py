"""Long work off the event loop: a resident's WeChat message is answered while a supervisor's year report
builds over thousands of bookings; concurrent requests for one report share one build; a staff member may
run only so many builds at once."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from tornado.httpclient import AsyncHTTPClient

from bot.bookings.service import OPEN_STATUSES
from bot.demo import seed_demo
from bot.report.figures import BUILDS_PER_USER, ReportBusy
from bot.report.periods import CHINA, Period
from tests.console_utils import http_login, make_staff
from tests.utils import user


async def seed(services, bookings: int) -> None:
    await seed_demo(services.store, services.bookings.cipher, services.bookings.calendar, bookings, seed=5)


async def until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_a_resident_is_answered_while_a_year_report_builds(server, services):
    await seed(services, 3000)
    await make_staff(services, "zhaolei", "supervisor")
    cookie = await http_login(server, "zhaolei")
    resident = user(server, "o_resident_offloop")
    assert await resident.say("你好")  # the first turn loads what the conversation needs
    reports = services.backoffice.reports
    reports.raw = True  # the raw pipelines (seconds over 3,000 bookings), not the rollups: a build that takes long
    year = datetime.now(CHINA).year
    finished: dict[str, float] = {}

    async def report():
        response = await AsyncHTTPClient().fetch(
            f"{server.url}/console/report?kind=year&value={year}", headers={"Cookie": cookie}, request_timeout=300
        )
        finished["report"] = time.monotonic()
        return response

    page = asyncio.ensure_future(report())
    await until(lambda: reports._running)  # the build has started (in a forked child)
    started = time.monotonic()
    answer = await resident.say("身份证丢了怎么补")
    finished["reply"] = time.monotonic()
    assert answer and "身份证" in answer
    assert finished["reply"] - started < 2.0
    assert "report" not in finished  # answered while the report was still being built
    response = await page
    assert response.code == 200 and finished["reply"] < finished["report"]
    html = response.body.decode()
    received = await services.store.bookings.count_documents({"created_at": Period.year(year).bounds()})
    assert f">{received}<" in html.replace(" ", "")  # the year's 接件 as counted from the bookings


async def test_one_build_per_report_shared_by_whoever_asks(services):
    await seed(services, 300)
    reports = services.backoffice.reports
    year = Period.year(datetime.now(CHINA).year)
    first, second = await asyncio.gather(reports.build(year, user="a", fresh=True), reports.build(year, user="b", fresh=True))
    assert first is second  # one build, one result, handed to both
    assert not reports._running


async def test_a_staff_member_may_run_only_a_few_builds_at_once(services):
    await seed(services, 300)
    reports = services.backoffice.reports
    this_year = datetime.now(CHINA).year
    periods = [Period.year(this_year - k) for k in range(BUILDS_PER_USER + 1)]
    running = [asyncio.ensure_future(reports.build(p, user="a", fresh=True)) for p in periods[:BUILDS_PER_USER]]
    await until(lambda: len(reports._running) == BUILDS_PER_USER)
    with pytest.raises(ReportBusy):
        await reports.build(periods[-1], user="a", fresh=True)
    joined = await reports.build(periods[0], user="a")  # joining a build already running is not another one
    assert joined is await running[0]
    await asyncio.gather(*running)
    assert await reports.build(periods[-1], user="a", fresh=True)  # free again


async def test_a_staff_member_runs_one_export_at_a_time_and_the_export_is_whole(server, services):
    await seed(services, 1500)
    await make_staff(services, "zhaolei", "supervisor")
    await make_staff(services, "liming", "supervisor")
    zhaolei, liming = await http_login(server, "zhaolei"), await http_login(server, "liming")

    async def export(cookie: str, path: str = "/console/bookings/export.csv"):
        headers = {"Cookie": cookie}
        return await AsyncHTTPClient().fetch(server.url + path, headers=headers, raise_error=False, request_timeout=300)

    # Two at once from one person: the second is refused politely while the first is written in a child process.
    first, second, other = await asyncio.gather(export(zhaolei), export(zhaolei), export(liming))
    assert sorted([first.code, second.code]) == [200, 429]
    refused = first if first.code == 429 else second
    assert "您已有导出或导入正在进行，请稍候再试。" in refused.body.decode()
    assert other.code == 200  # someone else's export is not held up by it
    done = first if first.code == 200 else second
    lines = done.body.decode("utf-8-sig").strip().splitlines()
    open_bookings = await services.store.bookings.count_documents({"status": {"$in": list(OPEN_STATUSES)}})
    assert len(lines) - 1 == open_bookings  # every open booking (the desk's default filter), one line each
    assert services.backoffice.long_work.running == {}  # both slots given back
    again = await export(zhaolei, "/console/bookings/export.xlsx")
    assert again.code == 200 and again.body[:2] == b"PK"  # free again once the first finished


async def test_a_resident_is_answered_while_a_year_of_bookings_is_exported(server, services):
    await seed(services, 3000)
    await make_staff(services, "zhaolei", "supervisor")
    cookie = await http_login(server, "zhaolei")
    resident = user(server, "o_resident_export")
    assert await resident.say("你好")
    finished: dict[str, float] = {}

    async def export():
        response = await AsyncHTTPClient().fetch(
            server.url + "/console/bookings/export.xlsx", headers={"Cookie": cookie}, request_timeout=300
        )
        finished["export"] = time.monotonic()
        return response

    job = asyncio.ensure_future(export())
    await until(lambda: services.backoffice.long_work.running)  # the export has started
    started = time.monotonic()
    answer = await resident.say("身份证丢了怎么补")
    finished["reply"] = time.monotonic()
    assert answer and "身份证" in answer and finished["reply"] - started < 2.0
    response = await job
    assert response.code == 200 and response.body[:2] == b"PK"
    assert finished["reply"] < finished["export"]


async def test_a_resident_is_answered_while_the_reminder_sweep_alerts_hundreds_of_bookings(server, services):
    await seed(services, 3000)
    services.reminders.notices.staff_openids = ("o_duty_1", "o_duty_2")
    resident = user(server, "o_resident_sweep")
    assert await resident.say("你好")
    finished: dict[str, float] = {}

    async def sweep():
        counts = await services.reminders.sweep()
        finished["sweep"] = time.monotonic()
        return counts

    job = asyncio.ensure_future(sweep())
    await asyncio.sleep(0.05)  # the bookings that are due have been read (in a child); alerts are going out
    answer = await resident.say("身份证丢了怎么补")
    finished["reply"] = time.monotonic()
    assert answer and "身份证" in answer
    counts = await job
    assert counts["due_alerts"] > 50  # a long sweep: stalled bookings of 18 months, each alerted to two people
    assert finished["reply"] < finished["sweep"]  # answered between two bookings, not after the sweep
    alerted = await services.store.bookings.count_documents({"due_alert": {"$ne": None}})
    assert 2 * alerted == counts["due_alerts"]
    assert (await services.reminders.sweep())["due_alerts"] == 0  # each once
