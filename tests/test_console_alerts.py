"""Agents are told a chat is waiting (title, nav badge, optional sound and desktop notification), and a
waiting resident is never left in silence: Playwright against the real server, screenshots at both widths."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tests.console_utils import ARTIFACTS, PASSWORD, PHONE, login, make_staff, new_page, open_all_day, shoot
from tests.utils import user

# Records what the page asks of the Notification API (headless Chromium shows nothing on a desktop).
NOTIFICATION_SPY = """
window.__asked = 0; window.__notes = [];
window.Notification = function (title, options) { window.__notes.push(title + " | " + ((options || {}).body || "")); };
window.Notification.permission = sessionStorage.getItem("spy.permission") || "default";  // the browser remembers
window.Notification.requestPermission = function () {
  window.__asked += 1; window.Notification.permission = "granted"; sessionStorage.setItem("spy.permission", "granted");
  return Promise.resolve("granted");
};
"""


async def until(page, expression: str, timeout: float = 10.0) -> None:
    """Poll a script expression (the console's CSP forbids the eval behind Playwright's wait_for_function)."""
    for _ in range(int(timeout / 0.1)):
        if await page.evaluate(expression):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"still false after {timeout}s: {expression}")


async def test_a_waiting_chat_alerts_the_agent_and_complaints_and_overdue_chats_sort_first(server, services, browser):
    open_all_day(services)
    await make_staff(services, "alice")
    desk = services.console.desk
    # Already waiting when the agent opens the console: one for 10 minutes (over the 3-minute target), one fresh.
    await user(server, "o_long_wait").say("转人工")
    await services.store.escalations.update_one(
        {"openid": "o_long_wait"}, {"$set": {"created_at": datetime.now(UTC) - timedelta(minutes=10)}}
    )
    await user(server, "o_fresh").say("我要人工服务")

    page = await new_page(browser)
    await page.add_init_script(NOTIFICATION_SPY)
    await login(page, server, "alice")
    await page.wait_for_selector("#live-status.on")
    await until(page, "document.title.startsWith('(2) ')")
    assert await page.inner_text("#nav-unread") == "2"
    rows = page.locator("#waiting .chat")
    assert "微信居民 wait" in await rows.nth(0).inner_text() and "over" in (await rows.nth(0).get_attribute("class"))

    # Alerts are off until the agent turns them on; the browser's permission is asked once, on that click.
    assert await page.inner_text("#alerts-toggle") == "提醒：关"
    await page.click("#alerts-toggle")
    assert await page.inner_text("#alerts-toggle") == "提醒：开"
    await page.click("#alerts-toggle")
    await page.click("#alerts-toggle")
    assert await page.evaluate("window.__asked") == 1

    # A complaint arrives live: a desktop notification, the count goes up, and it goes to the top.
    await desk.queue.enqueue("o_unhappy", "complaint", "对人工服务的评价：非常不满意")
    await until(page, "document.title.startsWith('(3) ')")
    notes = await page.evaluate("window.__notes")
    assert notes == ["投诉待接待：微信居民 appy | 对人工服务的评价：非常不满意"]
    assert "投诉" in await rows.nth(0).inner_text()
    assert "wait" in await rows.nth(1).inner_text() and "resh" in await rows.nth(2).inner_text()
    await shoot(page, "queue-alert")

    # The alert reaches the agent on any console page, and a reload keeps the setting.
    await page.goto(server.url + "/console/bookings")
    await page.wait_for_selector("#live-status.on")
    await until(page, "document.title.startsWith('(3) ')")
    assert await page.inner_text("#alerts-toggle") == "提醒：开"
    await user(server, "o_fourth").say("人工")
    await until(page, "window.__notes.length === 1")  # a new page: a fresh spy
    assert await page.inner_text("#nav-unread") == "4"


async def test_a_waiting_residents_view_the_bot_answers_and_the_agent_is_named(server, services, browser, wechat_api):
    open_all_day(services)
    await services.console.accounts.create("a1023", "agent", PASSWORD, must_change=False, created_by="t", name="王丽")
    resident = user(server, "o_grandpa")
    await resident.say("转人工")
    answer = await resident.say("高龄津贴在哪里办")
    assert answer.startswith("【小助手】")
    ack = await resident.say("怎么还没人理我")
    assert "排在第 1 位" in ack
    # A restart loses the conversation state; the chat still knows what the resident was asking about.
    await services.assistant.dialogs.delete("o_grandpa")
    page = await new_page(browser)
    await login(page, server, "a1023", PASSWORD)
    chat = await services.store.escalations.find_one({"openid": "o_grandpa"})
    await page.goto(f"{server.url}/console/chats/{chat['_id']}")
    assert "高龄津贴" in await page.inner_text(".chat-side .card:has-text('正在问的事项')")
    transcript = page.locator("#transcript")
    assert "【小助手】" in await transcript.inner_text() and "怎么还没人理我" in await transcript.inner_text()
    # The bot's guide link is a link, not raw markup.
    assert "<a href" not in await transcript.inner_text()
    assert await transcript.locator("a[href$='/guide/MZ-007']").count() == 1
    await page.click(".chat-head button.claim")
    await page.wait_for_selector("textarea")
    await page.locator("#transcript .msg:has-text('王老师（工号 a1023）已接待您')").wait_for(timeout=10_000)
    await shoot(page, "chat-waiting-resident")
    # On a phone the reply box and 发送 are above the fold, without scrolling.
    await page.set_viewport_size(PHONE)
    await page.goto(f"{server.url}/console/chats/{chat['_id']}")
    send = await page.locator("button.send").bounding_box()
    assert send["y"] + send["height"] <= PHONE["height"], send
    await page.screenshot(path=str(ARTIFACTS / "chat-phone-fold.png"))
    assert "王老师（工号 a1023）" in wechat_api.state.texts_to("o_grandpa")[-1]


async def test_serving_rows_say_how_long_they_are_served_and_closed_rows_show_the_rating(server, services, browser):
    open_all_day(services)
    await make_staff(services, "boss", "supervisor")
    desk = services.console.desk
    for openid in ("o_rated", "o_served"):
        await user(server, openid).say("转人工")
        chat = await services.store.escalations.find_one({"openid": openid})
        await desk.claim(chat["_id"], "boss")
    rated = await services.store.escalations.find_one({"openid": "o_rated"})
    await desk.close(rated["_id"], "boss", "solved")
    assert "谢谢您的评价" in await user(server, "o_rated").say("4")
    page = await new_page(browser)
    await login(page, server, "boss")
    serving = await page.inner_text("#serving .chat")
    assert "已接待" in serving or "刚接待" in serving
    assert "等了" not in serving
    assert "评价：满意" in await page.inner_text("#closed .chat")
    await shoot(page, "queue-supervisor")


async def test_a_hand_off_that_arrives_while_the_page_loads_its_queue_still_alerts(server, services, browser):
    """The socket may bring a new chat before the page's first full list does (a slow network, a busy server):
    it alerts like any other, and the list then shows it once; a chat already waiting before the page opened
    does not alert."""
    open_all_day(services)
    await make_staff(services, "alice")
    await user(server, "o_already").say("转人工")
    page = await new_page(browser)
    await login(page, server, "alice")
    await page.wait_for_selector("#live-status.on")
    await until(page, "document.title.startsWith('(1) ')")

    held, release = [], asyncio.Event()

    async def hold_the_list(route):
        held.append(route.request.url)
        await release.wait()
        await route.continue_()

    await page.route("**/console/queue.json", hold_the_list)
    await page.reload()
    await page.wait_for_selector("#live-status.on")
    for _ in range(100):  # the page has asked for its list and waits for it
        if held:
            break
        await asyncio.sleep(0.05)
    assert held
    await user(server, "o_meanwhile").say("转人工")
    await asyncio.sleep(0.5)  # the socket has delivered it; the list has not come
    release.set()
    await until(page, "document.body.dataset.alerts === '1'")
    await until(page, "document.title.startsWith('(2) ')")
    assert await page.locator("#waiting .chat").count() == 2
    await asyncio.sleep(0.5)
    assert await page.evaluate("document.body.dataset.alerts") == "1"  # the one already waiting stayed quiet


async def test_the_alert_sound_starts_with_the_agents_first_click_on_each_page(server, services, browser):
    """Browsers play no sound before a gesture on the page: the first click or key after opening a page
    turns it on, so a reload or a second tab does not stay silent for the rest of the shift."""
    open_all_day(services)
    await make_staff(services, "alice")
    page = await new_page(browser)
    await login(page, server, "alice")
    await page.wait_for_selector("#live-status.on")
    await page.click("#alerts-toggle")  # on, from a click: the sound may play on this page
    await user(server, "o_first").say("转人工")
    await until(page, "document.body.dataset.beeps === '1'")

    await page.goto(server.url + "/console/bookings")  # a new page: no gesture on it yet
    await page.wait_for_selector("#live-status.on")
    await user(server, "o_second").say("转人工")
    await until(page, "document.body.dataset.alerts === '1'")
    assert await page.evaluate("document.body.dataset.beeps") is None  # the browser would refuse it
    await page.keyboard.press("Shift")  # any first key or click on the page
    await user(server, "o_third").say("转人工")
    await until(page, "document.body.dataset.beeps === '1'")
