"""The staff console in headless Chromium against the real HTTP server: sign-in, throttling, the live queue,
claims, replies through the fake WeChat API, hand-back to the bot, XSRF, roles and the audit log."""

from __future__ import annotations

import asyncio

from bot.staff.throttle import ThrottlePolicy
from tests.console_utils import PASSWORD, login, make_staff, new_page, open_all_day, shoot
from tests.utils import user


async def test_a_stranger_gets_the_login_form_and_enter_signs_in(server, services, browser):
    await make_staff(services, "liming")
    page = await new_page(browser)
    await page.goto(server.url + "/console/")
    assert "/console/login" in page.url
    assert await page.locator("input[name=username]").count() == 1
    assert await page.locator("input[name=password]").count() == 1
    await shoot(page, "login")
    await page.fill("input[name=username]", "liming")
    await page.fill("input[name=password]", PASSWORD)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_url(server.url + "/console/")
    assert "等待接待" in await page.inner_text("main")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["govbot_staff"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"


async def test_wrong_passwords_are_throttled_then_locked_until_an_admin_lifts_it(server, services, browser):
    services.console.throttle.policy = ThrottlePolicy(free_failures=2, delay_seconds=1, lock_after=4)
    await make_staff(services, "liming")
    await make_staff(services, "boss", "admin")
    page = await new_page(browser)
    await login(page, server, "liming", "wrong password 1")
    assert "用户名或密码不对" in await page.inner_text(".error")
    await login(page, server, "liming", "wrong password 2")
    assert "秒后再试" in await page.inner_text(".error")
    # While throttled even the right password is not checked.
    await login(page, server, "liming", PASSWORD)
    assert "秒后再试" in await page.inner_text(".error") and "/console/login" in page.url
    for attempt in (3, 4):
        await asyncio.sleep(2.1)
        await login(page, server, "liming", f"wrong password {attempt}")
    await asyncio.sleep(1.1)
    await login(page, server, "liming", PASSWORD)
    assert "已暂停" in await page.inner_text(".error")
    # A name that does not exist gets exactly the same answers.
    stranger = await new_page(browser)
    await login(stranger, server, "nobody", "wrong password 1")
    assert await stranger.inner_text(".error") == "用户名或密码不对。"

    admin = await new_page(browser)
    await login(admin, server, "boss")
    await admin.goto(server.url + "/console/staff")
    assert "liming" in await admin.inner_text(".locks")
    await shoot(admin, "staff")
    await admin.click(".locks li:has-text('liming') button")
    await admin.wait_for_load_state()
    await login(page, server, "liming", PASSWORD)
    assert page.url == server.url + "/console/"
    actions = [e["action"] async for e in services.store.audit.find({})]
    assert "login_failed" in actions and "login_refused" in actions and "login_unlock" in actions


async def test_a_residents_request_appears_live_and_two_agents_race_to_claim(server, services, browser):
    open_all_day(services)
    await make_staff(services, "alice")
    await make_staff(services, "bob")
    pages = []
    for name in ("alice", "bob"):
        p = await new_page(browser)
        await login(p, server, name)
        await p.wait_for_selector("#live-status.on")
        pages.append(p)
    alice, bob = pages
    resident = user(server, "o_wang_001")
    reply = await resident.say("转人工，我要问低保")
    assert "转接人工" in reply and "第 1 位" in reply
    row = "#waiting .chat:has-text('转人工，我要问低保')"
    await alice.wait_for_selector(row, timeout=2000)
    await bob.wait_for_selector(row, timeout=2000)
    # The next message shows as the chat's last message, without a reload.
    assert await resident.say("我家在水寨村") in (None, "")
    await alice.wait_for_selector("#waiting .chat:has-text('我家在水寨村')", timeout=2000)
    await shoot(alice, "queue")
    row = "#waiting .chat:has-text('我家在水寨村')"
    await bob.wait_for_selector(row, timeout=2000)

    await asyncio.gather(alice.click(f"{row} button.claim"), bob.click(f"{row} button.claim"))
    await asyncio.sleep(1.0)
    urls = [alice.url, bob.url]
    winners = [p for p in pages if "/console/chats/" in p.url]
    losers = [p for p in pages if "/console/chats/" not in p.url]
    assert len(winners) == 1 and len(losers) == 1, urls
    winner = "alice" if winners[0] is alice else "bob"
    notice = await losers[0].inner_text("#flash")
    assert f"已被 {winner} 接待" in notice
    chat = winners[0]
    assert await chat.locator("textarea").count() == 1
    assert await chat.locator("button", has_text="发送").count() == 1
    assert "我家在水寨村" in await chat.inner_text("#transcript")
    claims = [e async for e in services.store.audit.find({"action": "claim"})]
    assert [c["actor"] for c in claims] == [f"staff:{winner}"]
