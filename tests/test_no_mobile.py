"""Villagers without a mobile phone: a landline or "no phone" is accepted, staff then call the station; the
villager's SMS go to a mobile only, coalesced and in order; the proxy records the rating for them."""

from __future__ import annotations

from bot.bookings.service import Actor
from bot.privacy import mask_phone, parse_landline
from tests.test_bookings import admin, converse, proxy_request
from tests.utils import make_id, next_workday_text, user


async def proxy_for(server, openid: str = "o_proxy_nm") -> object:
    code, invite = await admin(server, "invites", {"station": "LDX-002-01", "name": "李春梅", "staff": "李明"})
    assert code == 201
    proxy = user(server, openid)
    assert "绑定成功" in await proxy.say(f"绑定 {invite['code']}")
    first = await proxy.say("帮村里赵大爷预约代办低保")
    if "哪一项" in first:
        await proxy.say("1")
    return proxy


async def test_a_villager_with_no_phone_is_booked_with_the_stations_number(server, services):
    proxy = await proxy_for(server)
    name, card = await converse(proxy, "赵有福", make_id("19520606"))
    assert "座机" in card and "没有电话" in card  # the question says both are fine
    replies = await converse(proxy, "他没有手机", next_workday_text())
    summary = replies[-1]
    assert "电话：无。工作人员会通过龙头山镇光明村为民服务站（0870-2130201）联系办事人" in summary
    assert "预约成功" in await proxy.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_proxy_nm"})
    assert booking["beneficiary"]["phone_kind"] == "proxy" and booking["beneficiary"]["phone_masked"] == "0870-***0201"


async def test_a_landline_is_accepted_and_gets_no_sms(server, services, wechat_api):
    proxy = await proxy_for(server, "o_proxy_ll")
    replies = await converse(proxy, "赵有福", make_id("19520606"), "0870-2212345", next_workday_text())
    assert "电话：0870-***2345（座机，不能收短信）" in replies[-1]
    assert "预约成功" in await proxy.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_proxy_ll"})
    await services.bookings.transition(booking["number"], "accept", Actor("staff", "李明"))
    await services.notifications.drain()
    assert wechat_api.state.calls.get("sms", 0) == 0


def test_landlines_as_people_write_them():
    assert parse_landline("0870-2212345") == "0870-2212345"
    assert parse_landline("（0870）2212345") == "0870-2212345"
    assert parse_landline("08702212345") == "0870-2212345"
    assert parse_landline("2212345") is None  # without the area code nobody can dial it from elsewhere
    assert mask_phone("0870-2212345") == "0870-***2345"


async def test_the_villagers_sms_are_coalesced_in_order_and_the_proxy_records_the_rating(server, services, wechat_api):
    await services.store.users.insert_one({"openid": "o_proxy_sms", "role": "proxy", "station": "LL-003"})
    booking = await services.bookings.create(
        proxy_request(services, "o_proxy_sms", booked_by=Actor("proxy", "o_proxy_sms", "LL-003"))
    )
    staff = Actor("staff", "李明")
    for action in ("accept", "assign", "start", "complete"):  # four changes within a second
        await services.bookings.transition(booking["number"], action, staff, assignee="王磊" if action == "assign" else "")
    await services.notifications.drain()
    sms = wechat_api.state.messages_to("13811112222", "sms")  # the villager's mobile
    assert [m["params"]["status"] for m in sms] == ["已办结"]  # one text, the latest state
    # The rating request goes to the proxy, who asks the villager and records it.
    proxy_texts = wechat_api.state.texts_to("o_proxy_sms")
    assert any("请问服务对象后代为打分" in t for t in proxy_texts)
    assert not any(m["template"] == "SMS_DEV_RATING" for m in sms)


async def test_the_booking_page_says_whom_to_call_and_names_people(server, services, browser):
    """A daughter books a home visit for her mother in 北闸镇, who has no phone: the booking page at both widths."""
    from tests.console_utils import PASSWORD, login, new_page, shoot
    from tests.utils import home_visit_script

    await services.console.accounts.create("sup1", "supervisor", PASSWORD, must_change=False, created_by="t", name="李明")
    script = home_visit_script(township="北闸镇")
    script[script.index("13812345678")] = "没有电话"
    script.insert(script.index("张桂芬"), "下午三点以后家里都有人 电话打我弟弟的")  # for staff, answering no question
    resident = user(server, "o_daughter_nm")
    replies = await converse(resident, *script)
    assert "已记下留言" in replies[1] and "姓名" in replies[1], replies[1]
    assert "电话：无。工作人员会通过昭阳区政务服务中心" in replies[-1] and "（北闸镇）" in replies[-1]
    assert "留言：下午三点以后家里都有人 电话打我弟弟的" in replies[-1]
    assert "预约成功" in await resident.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_daughter_nm"})

    page = await new_page(browser)
    await login(page, server, "sup1", PASSWORD)
    await page.goto(f"{server.url}/console/bookings/{booking['number']}")
    facts = await page.inner_text(".facts")
    assert "办事人在北闸镇" in facts and "办事人没有电话，这是服务站的电话" in facts
    assert "居民（为母亲预约）" in facts and "o_daughter" not in facts
    assert await page.inner_text("#resident-note") == "下午三点以后家里都有人 电话打我弟弟的"
    await page.click("#action-accept button[type=submit]")
    await page.wait_for_load_state()
    history = await page.inner_text("#history")
    assert "工作人员 李明（sup1）" in history
    assert "工作人员 李明（sup1） 受理" in await page.inner_text("aside")  # 操作记录, not "staff:sup1 accept"
    await shoot(page, "booking-no-phone")


async def test_the_person_served_rates_when_they_can_answer_here(server, services, wechat_api):
    """The mother follows the account with a verified identity: she, not her daughter, is asked to rate."""
    from tests.test_bookings import book_home_visit_for_mother

    id_hash = services.bookings.cipher.blind_index(make_id())
    await services.store.users.insert_one({"openid": "o_mum", "role": "resident", "verified_id_hash": id_hash})
    _daughter, number = await book_home_visit_for_mother(server, "o_girl")
    staff = Actor("staff", "李明")
    for action in ("accept", "assign", "start", "complete"):
        await services.bookings.transition(number, action, staff, assignee="王磊" if action == "assign" else "")
    await services.notifications.drain()
    assert any("打分" in t for t in wechat_api.state.texts_to("o_mum"))
    assert not any("打分" in t for t in wechat_api.state.texts_to("o_girl"))
    assert "谢谢您的评价" in await user(server, "o_mum").say("5")
    assert (await services.store.bookings.find_one({"number": number}))["rating"]["score"] == 5
