"""The console's back office in headless Chromium against the real server: the bookings desk (filter, act,
resident notified), item editing seen through /wechat, catalog import with its error report, the report
with known figures, the 96128 call log, roles, and screenshots at laptop and phone widths."""

from __future__ import annotations

import csv

from tornado.httpclient import AsyncHTTPClient

from bot.bookings.service import Actor, BookingRequest, today_in_china
from bot.privacy import parse_id_number
from knowledge_base import catalog
from tests.console_utils import LAPTOP, login, make_staff, new_page, shoot, upload_catalog
from tests.utils import make_id, user


def proxyable(services) -> dict:
    index = services.knowledge().index
    return next(index.item(c) for c in sorted(index.items) if index.item(c).get("proxy"))


async def station_codes(services) -> list[str]:
    return [s["code"] async for s in services.store.stations.find({}, {"code": 1}).sort("code", 1)]


async def book(services, openid: str, station: str, name: str, phone: str) -> dict:
    return await services.bookings.create(
        BookingRequest(
            kind="proxy",
            item=proxyable(services),
            booked_by=Actor("resident", openid),
            name=name,
            id_card=parse_id_number(make_id("19460101")),
            phone=phone,
            preferred_date=today_in_china(),
            station=station,
        )
    )


async def test_desk_filters_and_a_booking_moves_to_completed_with_the_resident_notified(server, services, browser, wechat_api):
    await make_staff(services, "zhaolei", "supervisor")
    one, two = (await station_codes(services))[:2]
    mine = await book(services, "o_zhang", one, "张桂芬", "13900001111")
    await book(services, "o_li", two, "李国华", "13700002222")
    late = await book(services, "o_wang", two, "王秀英", "13600003333")
    await services.store.bookings.update_one({"number": late["number"]}, {"$set": {"due_date": "2026-01-05"}})
    page = await new_page(browser)
    await login(page, server, "zhaolei")
    async with page.expect_navigation():  # count() does not wait: the bookings page must have loaded
        await page.click("nav >> text=预约")
    assert await page.locator("tr.booking").count() == 3
    assert await page.locator(f"tr.booking.overdue[data-number={late['number']}]").count() == 1  # stands out
    assert "已逾期" in await page.inner_text(f"tr[data-number={late['number']}]")
    await shoot(page, "desk")
    await page.fill("input[name=q]", "张桂芬")
    await page.click("#desk-filters button[type=submit]")
    await page.wait_for_load_state()
    rows = page.locator("tr.booking")
    assert await rows.count() == 1 and "张*芬" in await rows.first.inner_text()  # masked in the list
    await page.select_option("select[name=station]", two)
    await page.fill("input[name=q]", "")
    await page.check("input[name=overdue]")
    await page.click("#desk-filters button[type=submit]")
    await page.wait_for_load_state()
    assert [await r.get_attribute("data-number") for r in await page.locator("tr.booking").all()] == [late["number"]]

    await page.goto(server.url + f"/console/bookings/{mine['number']}")
    assert "剩" in await page.inner_text(".deadline-card") and mine["due_date"] in await page.inner_text(".deadline-card")
    await page.fill("#action-accept textarea[name=note]", "已电话联系家属")
    await page.click("#action-accept button[type=submit]")
    await page.wait_for_load_state()
    assert "已受理" in await page.inner_text(".ok")
    await page.select_option("#action-assign select[name=assignee]", "staff:zhaolei")
    await page.click("#action-assign button[type=submit]")
    await page.wait_for_load_state()
    await page.click("#action-start button[type=submit]")
    await page.wait_for_load_state()
    await page.fill("#action-complete textarea[name=note]", "材料已交窗口")
    await page.click("#action-complete button[type=submit]")
    await page.wait_for_load_state()
    assert "已办结" in await page.inner_text(".ok")
    history = await page.inner_text("#history")
    assert "已办结" in history and "工作人员 zhaolei" in history and "材料已交窗口" in history
    await shoot(page, "booking")
    # She booked without writing to the account: no customer-service window, so template messages reach her;
    # four clicks within the coalescing time make one status message (the newest), then the rating request.
    await services.notifications.drain()
    sent = wechat_api.state.texts_to("o_zhang")
    assert len(sent) == 2 and "已办结" in sent[0] and "打分" in sent[1]
    assert not any("材料已交窗口" in text for text in sent)  # staff notes never reach the resident
    actions = [e["action"] for e in await services.audit.recent(target=f"booking:{mine['number']}")]
    assert actions == ["complete", "start", "assign", "accept"]


async def test_booking_export_is_masked_and_audited(server, services, browser):
    await make_staff(services, "wangfang", "agent")
    await services.store.db["staff"].update_one({"username": "wangfang"}, {"$set": {"stations": await station_codes(services)}})
    await book(services, "o_zhang", (await station_codes(services))[0], "张桂芬", "13900001111")
    page = await new_page(browser)
    await login(page, server, "wangfang")
    await page.goto(server.url + "/console/bookings")
    async with page.expect_download() as info:
        await page.click("text=导出 CSV")
    text = open(await (await info.value).path(), encoding="utf-8-sig").read()
    assert "张*芬" in text and "139****1111" in text and "13900001111" not in text
    response = await page.request.get(server.url + "/console/bookings/export.csv?full=1")
    assert response.status == 403  # an agent cannot export full contacts
    entries = await services.audit.recent(actor="staff:wangfang")
    assert entries[0]["action"] == "export_bookings" and entries[0]["detail"]["rows"] == 1


async def test_an_item_edit_is_what_the_bot_answers_next(server, services, browser):
    await make_staff(services, "zhaolei", "supervisor")
    resident = user(server, "o_asker")
    question = "第一次办身份证怎么办"
    before = await resident.say(question)
    code = next(c for c in services.knowledge().index.items if services.knowledge().index.item(c)["name"] in before)
    page = await new_page(browser)
    await login(page, server, "zhaolei")
    await page.click("nav >> text=事项")
    await page.fill("input[name=q]", code)
    await page.press("input[name=q]", "Enter")
    await page.wait_for_load_state()
    await page.click(f"#items a[href='/console/items/{code}']")
    summary = page.locator("textarea[name=summary]")
    edited = (await summary.input_value()) + "本周六上午加班受理。"
    await summary.fill(edited)
    await page.fill("input[name=promised_limit_days]", "很快")  # a mistake first: the field says what is wrong
    await page.click("#item-form button[type=submit]")
    await page.wait_for_load_state()
    assert "须为整数" in await page.inner_text("#field-promised_limit_days .field-error")
    await shoot(page, "item-edit")
    assert await page.locator("textarea[name=summary]").input_value() == edited  # nothing typed is lost
    await page.fill("input[name=promised_limit_days]", str(services.knowledge().index.item(code)["promised_limit_days"]))
    await page.fill("input[name=note]", "周六加班")
    await page.click("#item-form button[type=submit]")
    await page.wait_for_load_state()
    assert "已保存为第 2 版" in await page.inner_text(".ok")
    after = await user(server, "o_asker_2").say(question)
    assert "本周六上午加班受理" in after
    await page.click("text=修改记录")
    history = await page.inner_text("#versions")
    assert "第 2 版" in history and "zhaolei" in history and "周六加班" in history and "+" in history
    await page.click("#versions form button")  # revert to version 1
    await page.wait_for_load_state()
    assert "恢复到第 1 版" in await page.inner_text("#versions")
    assert "本周六上午加班受理" not in await user(server, "o_asker_3").say(question)


async def test_an_import_with_a_broken_line_shows_the_error_report_and_writes_nothing(server, services, browser, tmp_path):
    await make_staff(services, "zhaolei", "supervisor")
    codes = sorted(services.knowledge().index.items)[:3]
    items = [await services.backoffice.editor.get(c) for c in codes]
    rows = [{**items[0], "hours": "全天"}, {**items[1], "visits": "很多"}, items[2]]
    cols = catalog._columns()
    path = tmp_path / "目录.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([catalog.FIELDS[c][1] if c in catalog.FIELDS else c for c in cols])
        for item in rows:
            writer.writerow([catalog._to_cell(c, item.get(c)) for c in cols])
    page = await new_page(browser)
    await login(page, server, "zhaolei")
    await page.goto(server.url + "/console/items/import")
    await upload_catalog(page, path)
    report = await page.inner_text("#import-errors")
    assert "第 3 行" in report and "到现场次数" in report and "须为整数" in report  # the header is line 1
    assert "没有写入任何内容" in await page.inner_text(".error")
    assert await page.locator("text=确认导入").count() == 0
    await shoot(page, "item-import")
    assert (await services.backoffice.editor.get(codes[0]))["hours"] == items[0]["hours"]


async def test_the_report_shows_known_figures_with_their_definitions(server, services, browser):
    await make_staff(services, "zhaolei", "supervisor")
    one = (await station_codes(services))[0]
    staff = Actor("staff", "zhaolei")
    done = await book(services, "o_rater", one, "张桂芬", "13900001111")
    for action in ("accept", "assign", "start", "complete"):
        await services.bookings.transition(done["number"], action, staff, assignee="赵磊" if action == "assign" else "")
    await services.bookings.rate(Actor("resident", "o_rater"), done["number"], 2, "太慢")
    await book(services, "o_other", one, "李国华", "13700002222")
    page = await new_page(browser)
    await login(page, server, "zhaolei")
    await page.click("nav a:has-text('报表')")
    await page.wait_for_load_state()
    await page.select_option("select[name=kind]", "year")
    await page.fill("input[name=value]", str(today_in_china().year))
    await page.click("#report-filters button[type=submit]")
    await page.wait_for_load_state()

    async def figure(key: str, nth: int = 0) -> str:
        return await page.locator(f".figure[data-key={key}] .value").nth(nth).inner_text()

    assert await figure("received") == "2" and await figure("completed") == "1"
    assert await figure("on_time") == "100% (1/1)"
    assert await figure("satisfaction") == "0% (0/1)"
    assert "÷" in await page.inner_text(".figure[data-key=on_time] .def")
    assert await page.locator(".charts svg").count() == 3
    assert "不满意" in await page.inner_text("#complaints") and "期限内未整改" in await page.inner_text("#complaints")
    await shoot(page, "report")
    await page.fill("#complaints input[name=note]", "已电话回访，道歉并说明进度")
    await page.click("#complaints button")
    await page.wait_for_load_state()
    assert "已按时整改" in await page.inner_text("#complaints")
    assert await figure("followed_up") == "100% (1/1)"
    async with page.expect_download() as info:
        await page.click("text=导出 CSV")
    text = open(await (await info.value).path(), encoding="utf-8-sig").read()
    assert "按时办结率,100% (1/1),1,1," in text
    printable = await page.context.new_page()
    await printable.goto(server.url + f"/console/report/print?kind=year&value={today_in_china().year}")
    assert "为民服务工作统计" in await printable.inner_text("h1") and "100% (1/1)" in await printable.inner_text("#summary")
    await printable.set_viewport_size(LAPTOP)
    await printable.screenshot(path="tests/artifacts/report-print-laptop.png", full_page=True)
    exports = [e["action"] for e in await services.audit.recent(actor="staff:zhaolei")]
    assert "export_report" in exports and "follow_up" in exports and "print_report" in exports


async def test_a_logged_96128_call_counts_in_the_report(server, services, browser):
    await make_staff(services, "wangfang", "agent")
    page = await new_page(browser)
    await login(page, server, "wangfang")
    await page.click("nav >> text=96128")
    await page.select_option("select[name=topic]", "进度查询")
    await page.check("input[name=outcome][value=transferred]")
    await page.fill("input[name=transfer_to]", "民政局 13987654321")
    await page.click("#hotline-form button[type=submit]")
    await page.wait_for_load_state()
    assert "转接的来电请选择" in await page.inner_text(".error")  # whether the transfer was answered is required
    await page.check("input[name=transfer_answered][value=yes]")
    await page.select_option("select[name=score]", "5")
    await page.click("#hotline-form button[type=submit]")
    await page.wait_for_load_state()
    assert "已登记" in await page.inner_text(".ok") and "已接听" in await page.inner_text("#calls")
    assert "13987654321" not in await page.inner_text("#calls")  # numbers staff type are masked
    await shoot(page, "hotline")
    await page.goto(server.url + "/console/report?kind=day&value=2026")  # a year where a day belongs
    assert "日期格式不对" in await page.inner_text(".error")  # ... and today's figures instead
    assert await page.locator(".figure[data-key=hotline_calls] .value").inner_text() == "1"
    assert await page.locator(".figure[data-key=hotline_transfer_success] .value").inner_text() == "100% (1/1)"
    assert await page.locator(".figure[data-key=hotline_satisfaction] .value").inner_text() == "100% (1/1)"


async def test_agents_cannot_edit_items_or_follow_up_and_forms_need_the_xsrf_token(server, services, browser):
    await make_staff(services, "wangfang", "agent")
    page = await new_page(browser)
    await login(page, server, "wangfang")
    assert await page.locator("nav a:has-text('事项')").count() == 0
    response = await page.request.get(server.url + "/console/items")
    assert response.status == 403
    response = await page.request.post(server.url + "/console/hotline", form={"topic": "其他", "outcome": "answered"})
    assert response.status == 403  # no XSRF token
    anonymous = await AsyncHTTPClient().fetch(server.url + "/console/report", follow_redirects=False, raise_error=False)
    assert anonymous.code == 302 and "/console/login" in anonymous.headers["Location"]


async def test_an_agent_cannot_open_or_reveal_a_booking_of_another_station(server, services, browser):
    one, two = (await station_codes(services))[:2]
    await make_staff(services, "wangfang", "agent")
    await services.store.db["staff"].update_one({"username": "wangfang"}, {"$set": {"stations": [one]}})
    elsewhere = await book(services, "o_li", two, "李国华", "13700002222")
    page = await new_page(browser)
    await login(page, server, "wangfang")
    response = await page.request.get(server.url + f"/console/bookings/{elsewhere['number']}")
    assert response.status == 404
    xsrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "_xsrf")
    response = await page.request.post(
        server.url + f"/console/bookings/{elsewhere['number']}", form={"action": "contact", "_xsrf": xsrf}
    )
    assert response.status == 404 and "13700002222" not in await response.text()  # the same answer as a missing one
    assert not [e for e in await services.audit.recent(actor="staff:wangfang") if e["action"] == "view_contact"]
