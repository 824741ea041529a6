"""WeChat's closed 48-hour window, as an agent meets it: the state shown before typing, replies held for the
resident's next message and delivered in order, the queue row flagged, a notice by template or SMS; and the
dev sandbox's switch (`python -m bot.admin sandbox-refuse OPENID`) that lets anyone reproduce it."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import admin
from tests.console_utils import login, make_staff, new_page, open_all_day, shoot
from tests.utils import user


async def claim(server, browser, openid: str):
    """`openid` asks for a person and alice takes the chat: her chat page and the resident."""
    resident = user(server, openid)
    await resident.say("转人工")
    page = await new_page(browser)
    await login(page, server, "alice")
    await page.click("#waiting .chat button.claim")
    await page.wait_for_selector("textarea")
    return page, resident


async def test_a_closed_window_holds_replies_flags_the_row_and_offers_a_notice(server, services, browser, wechat_api):
    open_all_day(services)
    await make_staff(services, "alice")
    loop = asyncio.get_running_loop()
    # The sandbox refuses customer-service messages to this resident, as WeChat does after 48 hours.
    refuse = ["sandbox-refuse", "o_silent", "--url", server.url, "--sandbox-url", wechat_api.url]
    assert await loop.run_in_executor(None, admin.main, refuse) == 0
    assert wechat_api.state.refuse_openids == {"o_silent": 45015}

    page, resident = await claim(server, browser, "o_silent")
    # WeChat refused the "an agent took your chat" notice: before typing, the agent sees the window closed.
    await page.reload()
    banner = await page.inner_text("#window")
    assert "暂时发不出去" in banner and "45015" in banner and "超过48小时没有发消息" in banner

    for text in ("第一条：请带户口本。", "第二条：上午九点开门。"):
        await page.fill("textarea", text)
        await page.click("button:has-text('发送')")
        await page.locator(f".msg.from-agent:has-text('{text}') .delivery.held").wait_for(timeout=10_000)
    assert await page.locator("button.retry").count() == 0
    await page.goto(server.url + "/console/")
    flag = page.locator("#serving .chat .tag.undelivered")
    await flag.wait_for(timeout=10_000)
    assert "2 条回复未送达" in await flag.get_attribute("title")
    await shoot(page, "queue-undelivered")

    # Two days pass: our own records now say the window is closed, and the page says so before typing.
    await services.store.messages.update_many(
        {"openid": "o_silent"}, [{"$set": {"created_at": {"$subtract": ["$created_at", 49 * 3600 * 1000]}}}]
    )
    chat = await services.store.escalations.find_one({"openid": "o_silent"})
    await page.goto(f"{server.url}/console/chats/{chat['_id']}")
    banner = page.locator("#window")
    assert "暂时发不出去" in await banner.inner_text() and "用户48小时内没有发过消息" in await banner.inner_text()
    assert "电话" not in await banner.inner_text()  # no phone on file: nothing says "call them"
    calls = wechat_api.state.calls.get("custom", 0)
    await page.fill("textarea", "第三条：不用重复跑。")
    await page.click("button:has-text('发送')")
    await page.locator(".msg.from-agent:has-text('第三条') .delivery.held").wait_for(timeout=10_000)
    assert wechat_api.state.calls.get("custom", 0) == calls  # known closed: no call that can only fail
    await shoot(page, "chat-window-closed")

    # A notice by template message asks the resident to come back.
    await page.click("#window button:has-text('通知居民回来看')")
    await page.locator("#flash:has-text('已通知居民')").wait_for(timeout=10_000)
    await services.notifications.drain(horizon=timedelta(minutes=5))
    assert "工作人员已回复，请在公众号发消息查看" in wechat_api.state.texts_to("o_silent")[-1]
    assert wechat_api.state.messages_to("o_silent", "template")

    # Back to normal, the resident writes: the three held replies arrive in order.
    assert await loop.run_in_executor(None, admin.main, [*refuse, "--off"]) == 0
    await resident.say("我回来了")
    await page.locator(".msg.from-agent:has-text('第三条') .delivery.ok").wait_for(timeout=10_000)
    got = [m["text"]["content"] for m in wechat_api.state.messages_to("o_silent")]
    assert got[-3:] == ["第一条：请带户口本。", "第二条：上午九点开门。", "第三条：不用重复跑。"]
    chat = await services.store.escalations.find_one({"openid": "o_silent"})
    assert chat["undelivered"] is None


async def test_the_sandbox_switch_says_plainly_when_there_is_no_sandbox(server):
    loop = asyncio.get_running_loop()
    # The test server runs with real-looking credentials, so it mounts no sandbox at /dev/wechat-api/.
    assert await loop.run_in_executor(None, admin.main, ["sandbox-refuse", "o_x", "--url", server.url]) == 1


async def test_the_chat_pages_dev_switch_makes_the_sandbox_refuse_and_the_page_says_so_before_typing(
    server, services, browser, wechat_api
):
    open_all_day(services)
    await make_staff(services, "alice")
    server.app.settings["sandbox"] = wechat_api.state  # as `make run` mounts it (bot/app.py): the API calls go there
    page, resident = await claim(server, browser, "o_trial")
    # Open: until when, and how many customer-service messages are left.
    assert "可以回复" in await page.inner_text("#window") and "还能发" in await page.inner_text("#window")

    await page.select_option("#sandbox select[name=errcode]", "45047")
    await page.click("#sandbox button:has-text('模拟拒收')")
    await page.wait_for_selector("#sandbox:has-text('沙箱正在拒收')")
    assert wechat_api.state.refuse_openids == {"o_trial": 45047}
    calls = wechat_api.state.calls.get("custom", 0)
    await page.fill("textarea", "请带上户口本。")
    await page.click("button:has-text('发送')")
    await page.locator(".msg.from-agent:has-text('请带上户口本') .delivery.held").wait_for(timeout=10_000)
    assert wechat_api.state.calls.get("custom", 0) == calls + 1  # WeChat said no once ...
    await page.reload()
    banner = await page.inner_text("#window")
    assert "暂时发不出去" in banner and "45047" in banner and "条数已用完" in banner  # ... and the page says so
    await page.fill("textarea", "下午两点也可以来。")
    await page.click("button:has-text('发送')")
    await page.locator(".msg.from-agent:has-text('下午两点') .delivery.held").wait_for(timeout=10_000)
    assert wechat_api.state.calls.get("custom", 0) == calls + 1  # ... so no second call that can only fail
    assert "居民下次发消息时自动送出" in await page.inner_text("#reply .form-error.held")  # a note, not an error
    await shoot(page, "chat-sandbox-refusing")

    await page.click("#sandbox button:has-text('恢复正常接收')")
    await page.wait_for_selector("#sandbox:has-text('模拟拒收')")
    assert wechat_api.state.refuse_openids == {}
    assert "暂时发不出去" in await page.inner_text("#window")  # closed until the resident writes
    await resident.say("好的，我知道了")
    await page.locator(".msg.from-agent:has-text('下午两点') .delivery.ok").wait_for(timeout=10_000)
    got = [m["text"]["content"] for m in wechat_api.state.messages_to("o_trial")]
    assert got[-2:] == ["请带上户口本。", "下午两点也可以来。"]
    audit = await services.store.audit.find_one({"action": "sandbox_refuse"})
    assert audit and audit["actor"] == "staff:alice"


async def test_there_is_no_sandbox_switch_without_a_sandbox(server, services, browser):
    open_all_day(services)
    await make_staff(services, "alice")
    page, _resident = await claim(server, browser, "o_real")
    assert await page.locator("#sandbox").count() == 0
    chat = await services.store.escalations.find_one({"openid": "o_real"})
    xsrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "_xsrf")
    response = await page.request.post(
        f"{server.url}/console/chats/{chat['_id']}/sandbox", form={"errcode": "45015", "_xsrf": xsrf}
    )
    assert response.status == 404 and "只有开发沙箱" in await response.text()


async def test_a_refusal_closes_the_window_until_the_resident_writes_again(services):
    from datetime import UTC, datetime

    from bot.notifications.window import CustomerServiceWindow
    from bot.wechat.inbox import outbound_record

    messages, now = services.store.messages, datetime.now(UTC)
    window = CustomerServiceWindow(messages)
    await messages.insert_one(
        {"_id": "in-1", "openid": "o_w", "direction": "in", "type": "text", "created_at": now - timedelta(hours=2)}
    )
    assert (await window.state("o_w", now)).open
    refused = outbound_record("o_w", None, "refused", delivery={"status": "failed", "errcode": 45015})
    await messages.insert_one({**refused, "created_at": now - timedelta(hours=1)})
    state = await window.state("o_w", now)
    assert not state.open and "45015" in state.reason and "超过48小时没有发消息" in state.reason
    await messages.insert_one(
        {"_id": "in-2", "openid": "o_w", "direction": "in", "type": "text", "created_at": now - timedelta(minutes=1)}
    )
    assert (await window.state("o_w", now)).open  # the resident wrote: WeChat opens it again


async def test_make_run_gives_the_chat_page_the_sandbox_its_wechat_calls_go_to(services, tmp_path):
    """The dev server (placeholder credentials) mounts the sandbox and hands the same state to the console's
    switch; a server with real credentials has neither."""
    import dataclasses

    from bot.app import make_app
    from settings import Settings

    dev = Settings.from_env({}, dotenv=tmp_path / "none")
    assert dev.uses_sandbox
    app = make_app(dataclasses.replace(services, config=dev))
    refuse = next(r for r in app.wildcard_router.rules if r.matcher.regex.pattern.startswith("/dev/wechat-api/sandbox/refuse"))
    assert app.settings["sandbox"] is refuse.target_kwargs["state"]
    assert "sandbox" not in make_app(services).settings
