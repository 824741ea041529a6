"""Long work off the event loop: a resident's WeChat message is answered while a supervisor's year report
builds over thousands of bookings; concurrent requests for one report share one build; a staff member may
run only so many builds at once."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import pytest
from tornado.httpclient import AsyncHTTPClient

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
