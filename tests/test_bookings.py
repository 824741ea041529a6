"""Bookings end to end: chat forms through /wechat, staff actions through the admin API, notifications
through the fake WeChat API, and who may see what."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import AsyncHTTPClient

from bot.bookings.service import STATUS_LABELS, TRANSITIONS, Actor, BookingConflict, BookingRequest, Forbidden, today_in_china
from bot.privacy import parse_id_number
from tests.utils import home_visit_script, make_id, next_workday_text, user

ADMIN = {"Authorization": "Bearer dev-admin-token"}


async def admin(server, path: str, body: dict | None = None, token: dict = ADMIN):
    response = await AsyncHTTPClient().fetch(
        f"{server.url}/api/v1/admin/{path}",
        method="POST" if body is not None else "GET",
        body=json.dumps(body) if body is not None else None,
        headers=token,
        raise_error=False,
    )
    assert response.headers["Content-Type"].startswith("application/json")
    return response.code, json.loads(response.body)


def proxy_request(services, openid: str, **overrides) -> BookingRequest:
    """A valid proxy booking of 低保 for an elderly villager, made directly through the service."""
    fields = dict(
        kind="proxy",
        item=services.knowledge().index.item("MZ-004"),
        booked_by=Actor("resident", openid),
        name="赵大爷",
        id_card=parse_id_number(make_id("19500101")),
        phone="13811112222",
        preferred_date=today_in_china(),
        station="ZYQ-003",
    )
    return BookingRequest(**{**fields, **overrides})


async def converse(resident, *lines: str) -> list[str]:
    return [await resident.say(line) for line in lines]


async def book_home_visit_for_mother(server, openid="o_daughter") -> tuple[object, str]:
    resident = user(server, openid)
    replies = await converse(resident, *home_visit_script())
    assert "请核对预约信息" in replies[-1]
    done = await resident.say("1")
    assert "预约成功" in done
    return resident, done.split("预约号：")[1].split()[0]


async def test_resident_books_a_home_visit_for_a_parent(server, services):
    resident, number = await book_home_visit_for_mother(server)
    assert number.startswith("SM")
    booking = await services.store.bookings.find_one({"number": number})
    assert booking["kind"] == "home_visit" and booking["item_code"] == "GA-002"
    assert booking["on_behalf"] and booking["beneficiary"]["relation"] == "母亲"
    assert booking["qualification"] == "age"  # born 1948: the age rule applies, nothing asked
    assert booking["station"] == "ZYQ-003" and booking["status"] == "submitted"
    # Personal data is encrypted at rest and masked for display.
    raw = json.dumps(booking, default=str, ensure_ascii=False)
    assert make_id("19480312") not in raw and "13812345678" not in raw and "大山包村5组" not in raw
    assert booking["beneficiary"]["id_masked"] == "5306**********" + make_id("19480312")[-4:]
    assert services.bookings.reveal(booking)["phone"] == "13812345678"
    progress = await resident.say("查进度")
    assert number in progress and "已提交" in progress


async def test_form_validates_and_allows_back_edit_and_quit(server):
    resident = user(server, "o_careful")
    assert "要办什么事" in await resident.say("预约上门服务")  # no item under discussion yet
    assert "给谁办" in await resident.say("高龄津贴")
    assert "您的姓名" in await resident.say("1")
    assert "给谁办" in await resident.say("上一步")
    await resident.say("1")
    assert "中文姓名" in await resident.say("张")  # one character is no name
    assert "中文姓名" in await resident.say("Tom")
    await resident.say("李国华")
    wrong = await resident.say("530602194803121233")
    assert "校验不通过" in wrong
    assert "出生日期" in await resident.say("530602194813451234")
    assert "电话" in await resident.say(make_id("19400101"))
    assert "11位手机号" in await resident.say("12345")
    await resident.say("13900001111")
    # A question at the address step is answered and the form waits; an address a worker cannot find is asked again.
    hours = await resident.say("你们几点上班")
    assert "办理时间" in hours and "继续预约" in hours and "上门地址" not in hours, hours
    assert "上门地址" in await resident.say("继续预约")
    assert "上门地址" in await resident.say("老地方")
    await resident.say("龙头山镇翠屏村3组")
    await resident.say("5")
    summary = await resident.say(next_workday_text())
    assert "李*华（本人）" in summary and "139****1111" in summary
    assert "要改哪一项" in await resident.say("2")
    assert "姓名" in await resident.say("1")
    assert "李*明" in await resident.say("李国明")
    assert "已退出" in await resident.say("取消")
    assert "没有办理中的预约" in await resident.say("我的预约")


async def test_item_that_cannot_be_proxied_is_refused_with_alternative(server):
    reply = await user(server, "o_x").say("能帮我妈代办身份证补领吗")
    assert "需要本人到场" in reply and "上门" in reply and "派出所" in reply


async def test_younger_beneficiary_without_reason_does_not_qualify_for_home_visit(server):
    resident = user(server, "o_young")
    replies = await converse(
        resident, "第一次办社保卡能上门吗", "1", "王小平", make_id("19900101"), "13700001111", "文屏街道政通路5号"
    )
    assert "属于哪种情况" in replies[-1] and "5 都不是" in replies[-1]
    reply = await resident.say("5")
    assert "上门服务只面向" in reply and "代办" in reply


async def test_abandoned_form_expires(services):
    dialogs = services.assistant.dialogs
    await dialogs.set("o_gone", {"form": {"kind": "proxy", "data": {}, "done": []}})
    assert "form" in await dialogs.get("o_gone")
    real_clock = dialogs.clock
    dialogs.clock = lambda: real_clock() + dialogs.ttl + 1
    assert await dialogs.get("o_gone") == {}


async def test_status_changes_notify_and_completion_asks_for_rating(server, services, wechat_api):
    resident, number = await book_home_visit_for_mother(server, "o_notify")
    for action in ("accept", "assign", "start", "complete"):
        code, body = await admin(server, f"bookings/{number}/{action}", {"staff": "李明", "assignee": "王建国"})
        assert code == 200, body
        assert body["beneficiary"]["id"].startswith("5306****")
        await services.notifications.drain()  # one change at a time: nothing to coalesce
    sent = [m["text"]["content"] for m in wechat_api.state.messages_to("o_notify")]
    assert len(sent) == 4
    assert "已受理" in sent[0] and "已办结" in sent[3] and "打分" in sent[3]
    booking = await services.store.bookings.find_one({"number": number})
    assert booking["completed_at"] and booking["on_time"] is True
    assert [h["status"] for h in booking["history"]] == ["submitted", "accepted", "assigned", "in_progress", "completed"]
    assert "谢谢您的评价" in await resident.say("5")
    assert (await services.store.bookings.find_one({"number": number}))["rating"]["score"] == 5


async def test_low_rating_goes_to_staff_queue(server, services):
    resident, number = await book_home_visit_for_mother(server, "o_unhappy")
    for action in ("accept", "assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明"})
    reply = await resident.say("1")
    assert "工作人员回访" in reply
    entry = await services.store.escalations.find_one({"openid": "o_unhappy"})
    assert entry["reason"] == "low_rating" and entry["status"] == "waiting"


async def test_user_cancels_before_work_starts_but_not_after(server, services, wechat_api):
    resident, number = await book_home_visit_for_mother(server, "o_cancel")
    assert "确定取消" in await resident.say("取消预约")
    assert "已取消" in await resident.say("1")
    assert (await services.store.bookings.find_one({"number": number}))["status"] == "cancelled"
    _resident, other = await book_home_visit_for_mother(server, "o_cancel")
    for action in ("accept", "assign", "start"):
        await admin(server, f"bookings/{other}/{action}", {"staff": "李明"})
    assert "没有可以取消" in await resident.say("取消预约")


async def test_concurrent_staff_actions_one_wins(server, services):
    _resident, number = await book_home_visit_for_mother(server, "o_race")
    results = await asyncio.gather(*(admin(server, f"bookings/{number}/accept", {"staff": f"s{i}"}) for i in range(4)))
    codes = sorted(code for code, _ in results)
    assert codes == [200, 409, 409, 409]
    booking = await services.store.bookings.find_one({"number": number})
    assert [h["status"] for h in booking["history"]].count("accepted") == 1


async def test_admin_api_rejects_bad_requests(server):
    _resident, number = await book_home_visit_for_mother(server, "o_admin")
    assert (await admin(server, "bookings", token={"Authorization": "Bearer wrong"}))[0] == 401
    code, body = await admin(server, f"bookings/{number}/complete", {"staff": "李明"})
    assert code == 409 and "不能办结" in body["error"]["message"]
    assert (await admin(server, f"bookings/{number}/reject", {"staff": "李明"}))[0] == 400
    assert (await admin(server, f"bookings/{number}/accept", {}))[0] == 400
    assert (await admin(server, "bookings/DB209901010001/accept", {"staff": "x"}))[0] == 404


async def test_same_request_creates_one_booking(services):
    request = proxy_request(services, "o_twice", request_key="o_twice:form1")
    first, second = await asyncio.gather(services.bookings.create(request), services.bookings.create(request))
    assert first["number"] == second["number"]
    assert await services.store.bookings.count_documents({"booked_by": "o_twice"}) == 1


async def test_proxy_books_for_villagers_and_isolation_holds(server, services):
    code, invite = await admin(server, "invites", {"station": "LDX-002-01", "name": "李春梅", "staff": "李明"})
    assert code == 201
    proxy = user(server, "o_proxy")
    assert "绑定成功" in await proxy.say(f"绑定 {invite['code']}")
    assert "已经用过" in await user(server, "o_thief").say(f"绑定 {invite['code']}")
    first = await proxy.say("帮村里赵大爷预约代办低保")
    if "哪一项" in first:  # the item was not certain: it is offered as a numbered choice
        assert "1 最低生活保障申请" in first
        await proxy.say("1")
    replies = await converse(proxy, "赵有福", make_id("19520606"), "13666667777", next_workday_text())
    assert "给谁办" not in "".join(replies) and "光明村" in replies[-1]
    assert "预约成功" in await proxy.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_proxy"})
    assert booking["kind"] == "proxy" and booking["station"] == "LDX-002-01" and booking["on_behalf"]
    # The proxy sees it; an unrelated resident and another station's proxy do not.
    assert booking["number"] in await proxy.say("查进度")
    assert booking["number"] not in await user(server, "o_neighbour").say("查进度")
    assert "没有找到" in await user(server, "o_neighbour").say(f"查一下预约号 {booking['number']}")
    _code, other = await admin(server, "invites", {"station": "YJX-002-01", "staff": "李明"})
    other_proxy = user(server, "o_proxy2")
    await other_proxy.say(other["code"])
    assert booking["number"] not in await other_proxy.say("查进度")
    # Proxies cannot act as staff.
    with pytest.raises(Forbidden):
        await services.bookings.transition(booking["number"], "accept", Actor("proxy", "o_proxy", "LDX-002-01"))


async def test_location_message_lists_nearest_stations(server):
    resident = user(server)
    reply = await resident.send(resident.location_xml(27.0920, 103.4010, "光明村"))
    assert reply.splitlines()[1].startswith("1. 龙头山镇光明村为民服务站")
    assert "公里" in reply or "米" in reply


async def test_double_tap_on_confirm_creates_one_booking(server, services):
    resident = user(server, "o_double")
    await converse(resident, *home_visit_script())
    first, second = await asyncio.gather(resident.say("1"), resident.say("1"))
    numbers = {reply.split("预约号：")[1].split()[0] for reply in (first, second) if "预约号" in reply}
    assert len(numbers) == 1
    assert await services.store.bookings.count_documents({"booked_by": "o_double"}) == 1


async def test_a_self_declared_id_links_no_one_but_a_verified_identity_is_notified(server, services, wechat_api):
    # A stranger books "for myself" with the mother's ID number: that proves nothing about who they are.
    stranger = user(server, "o_stranger")
    script = home_visit_script()
    await converse(
        stranger, "第一次办社保卡能上门吗", "1", "张桂芬", script[2], "13812345678", "大山包镇大山包村5组12号", script[-1]
    )
    assert "预约成功" in await stranger.say("1")
    # The real mother follows the account and her identity was verified (real-name check or staff at a visit).
    id_hash = services.bookings.cipher.blind_index(make_id())
    await services.store.users.insert_one({"openid": "o_mother", "role": "resident", "verified_id_hash": id_hash})
    # Her daughter books for her; staff accept; the daughter and the verified mother hear, the stranger does not.
    _daughter, number = await book_home_visit_for_mother(server, "o_daughter2")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    assert any(number in m["text"]["content"] for m in wechat_api.state.messages_to("o_daughter2"))
    # The mother never wrote to the account: no customer-service window, so a template message reaches her.
    assert any(number in t for t in wechat_api.state.texts_to("o_mother"))
    assert not any(number in t for t in wechat_api.state.texts_to("o_stranger"))


async def test_user_text_cannot_break_the_reply_xml(server):
    resident = user(server, "o_xml")
    script = home_visit_script(township="3")
    script[4] = "]]><x/>村5组12号光明"
    replies = await converse(resident, *script)
    assert "地址：]]><x/>村**" in replies[-1]


async def _booking_in(services, status: str) -> str:
    request = proxy_request(services, "o_matrix")
    booking = await services.bookings.create(request)
    await services.store.bookings.update_one({"number": booking["number"]}, {"$set": {"status": status}})
    return booking["number"]


@pytest.mark.parametrize("status", list(STATUS_LABELS))
async def test_state_machine_allows_exactly_the_documented_transitions(services, status):
    staff, booker = Actor("staff", "李明"), Actor("resident", "o_matrix")
    for action, (sources, target, who) in TRANSITIONS.items():
        number = await _booking_in(services, status)
        actor = booker if who == "booker" else staff
        if status in sources:
            updated = await services.bookings.transition(number, action, actor, reason="原因")
            assert updated["status"] == target and updated["history"][-1]["status"] == target
        else:
            with pytest.raises(BookingConflict):
                await services.bookings.transition(number, action, actor, reason="原因")


async def test_an_expired_form_does_not_swallow_the_next_message(server, services):
    resident = user(server, "o_slowpoke")
    assert "给谁办" in await resident.say("预约代办低保")
    dialogs = services.assistant.dialogs
    real_clock = dialogs.clock
    dialogs.clock = lambda: real_clock() + dialogs.ttl + 60
    reply = await resident.say("结婚登记要带什么")
    assert "结婚登记" in reply and "给谁办" not in reply


@pytest.mark.parametrize(
    "text,score",
    [
        ("满意", 4),
        ("很好", 4),
        ("非常好 小王很耐心", 5),
        ("我给10分", 5),
        ("基本满意吧 就是等得有点久", 3),
        ("不满意 等了三个小时才来", 2),
        ("非常不满意", 1),
        ("太差了", 1),
        ("好的", None),
        ("身份证怎么补", None),
    ],
)
def test_ratings_in_words_map_to_the_five_levels(text, score):
    from bot.bookings.chat import words_rating

    assert words_rating(text) == score


async def test_a_rating_in_words_while_one_is_pending_is_recorded_with_its_comment_masked(server, services):
    resident, number = await book_home_visit_for_mother(server, "o_words")
    for action in ("accept", "assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明"})
    reply = await resident.say("非常好 小王很耐心 有事打我电话13812345678")
    assert "谢谢您的评价" in reply and "非常满意" in reply
    rating = (await services.store.bookings.find_one({"number": number}))["rating"]
    assert rating["score"] == 5 and "小王很耐心" in rating["comment"]
    assert "13812345678" not in rating["comment"] and "138****5678" in rating["comment"]
    # The rating is no longer pending: the next "满意" is not another rating, and nothing was queued.
    assert await services.store.escalations.count_documents({"openid": "o_words"}) == 0


async def test_dissatisfied_in_words_with_a_reason_is_a_complaint_for_staff(server, services):
    resident, number = await book_home_visit_for_mother(server, "o_words_bad")
    for action in ("accept", "assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明"})
    reply = await resident.say("不满意 说好上午来 下午才到")
    assert "不满意" in reply and "回访" in reply
    booking = await services.store.bookings.find_one({"number": number})
    assert booking["rating"]["score"] == 2 and "下午才到" in booking["rating"]["comment"]
    entry = await services.store.escalations.find_one({"openid": "o_words_bad"})
    assert entry["reason"] == "low_rating"


async def test_plain_satisfied_is_a_rating_not_a_fallback(server, services):
    resident, number = await book_home_visit_for_mother(server, "o_words_ok")
    for action in ("accept", "assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明"})
    assert "满意" in await resident.say("满意")
    assert (await services.store.bookings.find_one({"number": number}))["rating"]["score"] == 4


@pytest.mark.parametrize("yes", ["好的", "要得", "嗯", "可以", "对的"])
async def test_yes_in_a_residents_words_submits_the_checked_booking(server, yes):
    resident = user(server, f"o_yes_{ord(yes[0])}")
    replies = await converse(resident, *home_visit_script())
    assert "请核对预约信息" in replies[-1]
    assert "预约成功" in await resident.say(yes)
