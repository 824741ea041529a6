"""The staff console in headless Chromium against the real HTTP server: sign-in, throttling, the live queue,
claims, replies through the fake WeChat API, hand-back to the bot, XSRF, roles and the audit log."""

from __future__ import annotations

import asyncio

from playwright.async_api import TimeoutError as PlaywrightTimeout

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


async def test_wrong_passwords_are_throttled_then_locked_until_an_admin_lifts_it(server, services, browser, clock):
    services.console.throttle.policy = ThrottlePolicy(free_failures=2, delay_seconds=1, lock_after=4)
    services.console.throttle.clock = clock
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
        clock.advance(2.1)
        await login(page, server, "liming", f"wrong password {attempt}")
    clock.advance(1.1)
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
    await alice.wait_for_selector(row, timeout=10_000)
    await bob.wait_for_selector(row, timeout=10_000)
    # The next message shows as the chat's last message, without a reload; the resident is told it went to staff.
    assert "已转给工作人员" in await resident.say("我家在水寨村")
    await alice.wait_for_selector("#waiting .chat:has-text('我家在水寨村')", timeout=10_000)
    await shoot(alice, "queue")
    row = "#waiting .chat:has-text('我家在水寨村')"
    await bob.wait_for_selector(row, timeout=10_000)

    async def claim(page) -> None:
        # On a loaded machine the other agent's claim may reach this page live first and remove the row
        # before the click lands: that is losing the race too, so the click is not retried for long.
        try:
            await page.click(f"{row} button.claim", timeout=5_000)
        except PlaywrightTimeout:
            pass

    await asyncio.gather(claim(alice), claim(bob))
    for _ in range(100):  # until one page shows the chat and the other says who took it, or dropped the row
        losers = [p for p in pages if "/console/chats/" not in p.url]
        settled = [bool(await p.locator("#flash:not([hidden])").count()) or not await p.locator(row).count() for p in losers]
        if settled == [True]:
            break
        await asyncio.sleep(0.1)
    urls = [alice.url, bob.url]
    winners = [p for p in pages if "/console/chats/" in p.url]
    losers = [p for p in pages if "/console/chats/" not in p.url]
    assert len(winners) == 1 and len(losers) == 1, urls
    winner = "alice" if winners[0] is alice else "bob"
    if await losers[0].locator("#flash:not([hidden])").count():
        assert f"已被 {winner} 接待" in await losers[0].inner_text("#flash")
    else:  # the loser's queue dropped the chat live before their click could land
        assert await losers[0].locator(row).count() == 0
    chat = winners[0]
    assert await chat.locator("textarea").count() == 1
    assert await chat.locator("button", has_text="发送").count() == 1
    assert "我家在水寨村" in await chat.inner_text("#transcript")
    claims = [e async for e in services.store.audit.find({"action": "claim"})]
    assert [c["actor"] for c in claims] == [f"staff:{winner}"]


async def claimed_chat(server, services, browser, agent: str = "alice", openid: str = "o_li_002", first: str = "人工"):
    """A resident asks for a person and `agent` takes the chat; returns (agent's page, resident)."""
    open_all_day(services)
    await make_staff(services, agent)
    page = await new_page(browser)
    await login(page, server, agent)
    resident = user(server, openid)
    await resident.say(first)
    await page.wait_for_selector("#waiting .chat button.claim", timeout=10_000)
    await page.click("#waiting .chat button.claim")
    await page.wait_for_selector("textarea")
    return page, resident


async def test_agent_replies_through_wechat_and_sees_refusals_next_to_the_message(server, services, browser, wechat_api):
    page, resident = await claimed_chat(server, services, browser)
    await page.fill("textarea", "您好，我是工作人员，请问办什么业务？")
    await page.click("button:has-text('发送')")
    await page.wait_for_selector(".msg.from-agent .delivery.ok", timeout=10_000)
    sent = wechat_api.state.messages_to("o_li_002")
    assert sent[-1]["text"]["content"] == "您好，我是工作人员，请问办什么业务？"
    chat = await services.store.escalations.find_one({"openid": "o_li_002"})
    assert chat["first_response_at"] and chat["first_response_by"] == "alice" and chat["answered_in_time"] is True

    wechat_api.state.reject_next = [45015]
    await page.fill("textarea", "还在吗？")
    await page.press("textarea", "Control+Enter")
    held = page.locator(".msg.from-agent:has-text('还在吗？') .delivery.held")
    await held.wait_for(timeout=10_000)
    assert "45015" in await held.inner_text() and "48 小时" in await held.inner_text()
    assert "下次发消息时自动送达" in await held.inner_text()
    # No 重试 that can only fail, and no "call them" when no phone is on file.
    assert await page.locator("button.retry").count() == 0
    assert "电话联系" not in await page.inner_text("main")
    await shoot(page, "chat")
    chat = await services.store.escalations.find_one({"openid": "o_li_002"})
    assert chat["undelivered"] == "1 条回复未送达，居民下次发消息时送出"

    # The resident writes again: the held reply goes out, and the row's flag goes away.
    await resident.say("我在")
    await page.locator(".msg.from-agent:has-text('还在吗？') .delivery.ok").wait_for(timeout=10_000)
    assert wechat_api.state.messages_to("o_li_002")[-1]["text"]["content"] == "还在吗？"
    chat = await services.store.escalations.find_one({"openid": "o_li_002"})
    assert chat["undelivered"] is None


async def test_the_residents_messages_go_to_the_agent_until_close_then_rating(server, services, browser, wechat_api):
    page, resident = await claimed_chat(server, services, browser, first="我要找人工")
    bot_replies = await services.store.messages.count_documents({"direction": "out", "content": {"$nin": [None, ""]}})
    assert await resident.say("身份证丢了怎么补") in (None, "")  # the bot stays quiet ...
    await page.locator("#transcript .from-resident:has-text('身份证丢了怎么补')").wait_for(timeout=10_000)  # ... staff see it
    after = await services.store.messages.count_documents({"direction": "out", "content": {"$nin": [None, ""]}})
    assert after == bot_replies

    # Canned replies go in with a keystroke.
    await page.focus("textarea")
    await page.keyboard.press("Alt+1")
    assert "工作人员" in await page.input_value("textarea")
    await page.fill("textarea", "带户口本到派出所办理。")
    await page.click("button:has-text('发送')")
    await page.wait_for_selector(".msg.from-agent .delivery.ok", timeout=10_000)
    await page.fill(".chat-side input[name=text]", "居民腿脚不便，可以预约上门")
    await page.click(".chat-side button:has-text('添加备注')")
    await page.locator(".notes:has-text('腿脚不便')").wait_for(timeout=10_000)

    await page.select_option("select[name=resolution]", "solved")
    await page.click("button:has-text('结束并请居民评价')")
    await page.wait_for_url(server.url + "/console/")
    ask = wechat_api.state.messages_to("o_li_002")[-1]["text"]["content"]
    assert "请为本次服务打分" in ask and "5 非常满意" in ask and "1 非常不满意" in ask

    # Back with the bot; a low rating returns the resident to the queue as a complaint.
    reply = await resident.say("2")
    assert "没让您满意" in reply
    chats = [c async for c in services.store.escalations.find({"openid": "o_li_002"}).sort("created_at", 1)]
    assert chats[0]["status"] == "closed" and chats[0]["rating"]["score"] == 2 and chats[0]["resolution"] == "solved"
    assert chats[1]["status"] == "waiting" and chats[1]["reason"] == "complaint"
    await page.locator("#waiting .chat:has-text('对人工服务的评价：不满意')").wait_for(timeout=10_000)
    assert "投诉" in await page.inner_text("#waiting")


async def test_exit_returns_the_resident_to_the_bot(server, services, browser):
    page, resident = await claimed_chat(server, services, browser, openid="o_exit")
    assert "已退出人工服务" in await resident.say("退出人工")
    assert "【" in await resident.say("身份证丢了怎么补")  # the bot answers again
    chat = await services.store.escalations.find_one({"openid": "o_exit"})
    assert chat["status"] == "closed" and chat["closed_by"] == "resident"


async def test_requests_without_the_xsrf_token_are_refused(server, services, browser):
    page, resident = await claimed_chat(server, services, browser, openid="o_xsrf")
    chat = await services.store.escalations.find_one({"openid": "o_xsrf"})
    url = f"{server.url}/console/chats/{chat['_id']}/reply"
    # Same session cookie, no token: refused, and nothing reaches the resident.
    response = await page.request.post(url, form={"text": "伪造的回复"}, headers={"Accept": "application/json"})
    assert response.status == 403
    forged = await page.request.post(
        url, form={"text": "伪造的回复", "_xsrf": "2|00|00|00"}, headers={"Accept": "application/json"}
    )
    assert forged.status == 403
    assert await services.store.messages.count_documents({"answered_by": "agent"}) == 0
    login_without_token = await page.request.post(f"{server.url}/console/login", form={"username": "alice", "password": PASSWORD})
    assert login_without_token.status == 403


async def test_an_agent_cannot_manage_canned_replies_or_staff(server, services, browser):
    await make_staff(services, "alice")
    page = await new_page(browser)
    await login(page, server, "alice")
    nav = await page.inner_text("nav")
    assert "常用语" not in nav and "账号" not in nav and "操作记录" not in nav
    for path in ("/console/canned", "/console/staff", "/console/audit"):
        response = await page.goto(server.url + path)
        assert response.status == 403 and "没有这个权限" in await page.inner_text("main")
    token = await page.get_attribute("meta[name=xsrf-token]", "content")
    for path, form in (
        ("/console/canned", {"action": "create", "title": "x", "text": "y"}),
        ("/console/staff", {"action": "create", "username": "mallory", "role": "admin"}),
    ):
        response = await page.request.post(server.url + path, form=form, headers={"X-XSRFToken": token})
        assert response.status == 403
    assert await services.console.accounts.get("mallory") is None
    assert await services.store.canned_replies.count_documents({"title": "x"}) == 0


async def test_supervisor_manages_canned_replies_and_reads_every_action_in_the_audit_log(server, services, browser):
    page, resident = await claimed_chat(server, services, browser, openid="o_audit")
    await page.fill("textarea", "请问您的电话是 13812345678 吗？")
    await page.click("button:has-text('发送')")
    await page.wait_for_selector(".msg.from-agent .delivery.ok", timeout=10_000)
    await make_staff(services, "bob")
    await page.reload()
    await page.select_option("select[name=to]", "bob")
    await page.click("button:has-text('转接')")
    await page.wait_for_url(server.url + "/console/")

    await make_staff(services, "zhang", "supervisor")
    boss = await new_page(browser)
    await login(boss, server, "zhang")
    await boss.goto(server.url + "/console/canned")
    await boss.fill("form:has(input[name=action][value=create]) input[name=title]", "电话")
    await boss.fill("form:has(input[name=action][value=create]) textarea[name=text]", "中心电话 96128，工作日 9:00-17:30。")
    await boss.click("button:has-text('添加')")
    await boss.locator(".canned-list input[value='电话']").wait_for()
    await shoot(boss, "canned")
    await boss.goto(server.url + "/console/audit")
    log = await boss.inner_text("table.audit")
    for action in ("login", "claim", "reply", "transfer", "canned_create"):
        assert action in log, action
    assert "13812345678" not in log and "138****5678" in log
    await shoot(boss, "audit")
    # The supervisor sees the chat bob now serves.
    await boss.goto(server.url + "/console/")
    assert "bob" in await boss.inner_text("#serving")
    entries = [e async for e in services.store.audit.find({"action": "transfer"})]
    assert entries[0]["before"] == {"staff": "alice"} and entries[0]["after"] == {"staff": "bob"}


async def test_an_admin_creates_an_account_whose_temporary_password_must_be_changed(server, services, browser):
    await make_staff(services, "boss", "admin")
    admin = await new_page(browser)
    await login(admin, server, "boss")
    await admin.goto(server.url + "/console/staff")
    await admin.fill("form:has(input[name=action][value=create]) input[name=username]", "newbie")
    await admin.click("button:has-text('创建')")
    temp = await admin.inner_text("code.temp-password")
    assert len(temp) == 12

    page = await new_page(browser)
    await login(page, server, "newbie", temp)
    assert page.url.endswith("/console/password")
    response = await page.goto(server.url + "/console/")
    assert page.url.endswith("/console/password")  # nothing else until the password is changed
    await page.fill("input[name=old_password]", temp)
    await page.fill("input[name=new_password]", "My own pass phrase 7")
    await page.fill("input[name=new_password_again]", "My own pass phrase 7")
    await page.click("button:has-text('保存')")
    assert "密码已修改" in await page.inner_text("main")
    response = await page.goto(server.url + "/console/")
    assert response.status == 200 and page.url == server.url + "/console/"

    # Disabling the account ends its session at once.
    await admin.goto(server.url + "/console/staff")
    await admin.click("tr[data-username=newbie] button:has-text('停用')")
    await admin.wait_for_load_state()
    # Its open page is sent to the login form by itself: the live socket closes as the account is disabled.
    await page.wait_for_url("**/console/login**", timeout=10_000)
    await page.goto(server.url + "/console/")
    assert "/console/login" in page.url
    await login(page, server, "newbie", "My own pass phrase 7")
    assert "用户名或密码不对" in await page.inner_text(".error")
    actions = [e["action"] async for e in services.store.audit.find({"target": "staff:newbie"})]
    assert {"staff_create", "change_password", "staff_disable"} <= set(actions)
    assert not [e async for e in services.store.audit.find({"after.password_hash": {"$exists": True}})]


async def test_logout_ends_the_session(server, services, browser):
    await make_staff(services, "alice")
    page = await new_page(browser)
    await login(page, server, "alice")
    cookie = next(c for c in await page.context.cookies() if c["name"] == "govbot_staff")
    await page.click("button:has-text('退出')")
    await page.wait_for_url("**/console/login")
    # The old cookie is worthless now, even if someone kept a copy.
    other = await browser.new_context()
    await other.add_cookies([cookie])
    stolen = await other.new_page()
    await stolen.goto(server.url + "/console/")
    assert "/console/login" in stolen.url
