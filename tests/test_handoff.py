"""Hand-off domain and wiring: several server processes, working hours, waits, reminders, the offer of a
person after two misses, and the create-staff command."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from datetime import UTC, datetime, timedelta

from tornado import web
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from bot import admin
from bot.app import make_app
from bot.handoff import texts
from bot.handoff.desk import summary
from bot.handoff.hours import WorkingHours
from handlers.console.base import SESSION_COOKIE
from tests.conftest import serve
from tests.console_utils import PASSWORD, ClosedToday, make_staff, open_all_day
from tests.utils import build_test_services, user


async def live_socket(server, services, username: str):
    account = await services.console.accounts.get(username)
    token = await services.console.sessions.start(account, "127.0.0.1")
    cookie = web.create_signed_value(services.config.secret, SESSION_COOKIE, token).decode()
    request = HTTPRequest(server.url.replace("http", "ws") + "/console/ws", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    socket = await websocket_connect(request)
    hello = json.loads(await socket.read_message())
    assert hello["type"] == "hello" and hello["me"] == username
    return socket


async def next_chat_event(socket, timeout: float = 2.0) -> dict:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        raw = await asyncio.wait_for(socket.read_message(), deadline - asyncio.get_running_loop().time())
        event = json.loads(raw)
        if event["type"] == "chat":
            return event["chat"]


async def test_a_message_taken_by_process_a_reaches_an_agent_connected_to_process_b(config, services, server):
    """Two server processes on one store: B learns of A's changes only through the indexed poll."""
    config_b = dataclasses.replace(config, console_live="poll", console_poll_seconds=0.2)
    services_b = await build_test_services(config_b, services.store)
    server_b = await serve(make_app(services_b))
    services_b.console.start()
    try:
        open_all_day(services)
        await make_staff(services, "alice")
        socket = await live_socket(server_b, services_b, "alice")
        started = asyncio.get_running_loop().time()
        await user(server, "o_multi").say("转人工")  # WeChat called process A
        chat = await next_chat_event(socket)
        assert chat["status"] == "waiting" and chat["last_message"] == "转人工"
        assert asyncio.get_running_loop().time() - started < 2.0
        # The same change is not delivered twice.
        await user(server, "o_multi").say("在吗")
        chat = await next_chat_event(socket)
        assert chat["last_message"] == "在吗"
        socket.close()
    finally:
        services_b.console.stop()
        server_b.http_server.stop()


async def test_the_socket_refuses_strangers(server):
    request = HTTPRequest(server.url.replace("http", "ws") + "/console/ws")
    try:
        await websocket_connect(request)
    except Exception as exc:  # noqa: BLE001 - tornado raises HTTPClientError for the 401
        assert "401" in str(exc)
    else:
        raise AssertionError("connected without a session")


async def test_outside_working_hours_the_resident_learns_when_staff_are_back(server, services):
    services.console.desk.hours = ClosedToday()
    reply = await user(server, "o_night").say("转人工")
    assert "下班时间" in reply and "工作人员明天（12月3日 周四）9:00 起在线" in reply and "96128" in reply
    assert "上班后" not in reply and "12345" not in reply
    assert "高龄津贴在哪里办" in reply  # what the bot can do meanwhile
    assert await services.store.escalations.count_documents({"openid": "o_night", "status": "waiting"}) == 1


async def test_the_wait_estimate_comes_from_recent_first_responses(server, services):
    open_all_day(services)
    now = datetime.now(UTC)
    await services.store.escalations.insert_many(
        [
            {"openid": f"o_old{i}", "status": "closed", "created_at": now, "first_response_at": now, "first_response_seconds": s}
            for i, s in enumerate((120, 240, 360))
        ]
    )
    await services.store.escalations.insert_one(
        {"openid": "o_ahead", "open_key": "o_ahead", "status": "waiting", "created_at": now}
    )
    reply = await user(server, "o_second").say("我要人工服务")
    assert "前面还有 1 位" in reply and "约 8 分钟" in reply  # median 4 minutes, second in line


async def test_an_unclaimed_chat_gets_an_honest_message_once_and_stays_queued(server, services, wechat_api):
    open_all_day(services)
    await user(server, "o_wait").say("转人工")
    desk = services.console.desk
    await services.store.escalations.update_one(
        {"openid": "o_wait"}, {"$set": {"created_at": datetime.now(UTC) - timedelta(minutes=11)}}
    )
    assert await desk.remind_unclaimed() == 1
    assert await desk.remind_unclaimed() == 0
    text = wechat_api.state.messages_to("o_wait")[-1]["text"]["content"]
    assert "还没能接" in text and "96128" in text and "仍在排队" in text
    assert (await services.store.escalations.find_one({"openid": "o_wait"}))["status"] == "waiting"


async def test_two_misses_in_a_row_offer_a_person_and_accepting_queues_the_chat(server, services):
    open_all_day(services)
    resident = user(server, "o_lost")
    assert "答不上来" in await resident.say("帮我查一下明天的天气")
    offer = await resident.say("明天下不下雨")
    assert "转给工作人员" in offer
    assert "转接人工" in await resident.say("1")
    chat = await services.store.escalations.find_one({"openid": "o_lost"})
    assert chat["reason"] == "not_understood"


def test_working_hours_count_only_working_time():
    hours = WorkingHours("09:00-12:00,14:00-17:30")
    china = timezone_china()
    wed_morning = datetime(2026, 12, 2, 11, 58, tzinfo=china)
    assert hours.is_open(wed_morning) and not hours.is_open(wed_morning + timedelta(minutes=3))
    assert hours.working_seconds(wed_morning, datetime(2026, 12, 2, 14, 1, tzinfo=china)) == 180
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=china)
    assert hours.next_open(friday_evening) == datetime(2026, 12, 7, 9, 0, tzinfo=china)  # Monday
    assert hours.describe_next(datetime(2026, 12, 2, 20, 0, tzinfo=china)) == "明天（12月3日 周四）9:00"


def timezone_china():
    from bot.bookings.service import CHINA

    return CHINA


async def test_create_staff_goes_through_the_admin_api(server, services, capsys):
    loop = asyncio.get_running_loop()
    short = ["create-staff", "wang", "--role", "agent", "--password", "short", "--url", server.url]
    assert await loop.run_in_executor(None, admin.main, short) == 1
    assert "至少 10 位" in capsys.readouterr().out
    args = ["create-staff", "liming", "--role", "admin", "--password", "A long passphrase 1", "--url", server.url]
    assert await loop.run_in_executor(None, admin.main, args) == 0
    account = await services.console.accounts.get("liming")
    assert account["role"] == "admin" and not account["must_change"]  # the operator signs in directly
    assert await loop.run_in_executor(None, admin.main, args) == 1  # the first account exists: the shared token stops here
    entry = await services.store.audit.find_one({"action": "staff_create"})
    assert entry["target"] == "staff:liming" and "password_hash" not in (entry["after"] or {})


async def test_the_rating_after_a_chat_may_be_given_in_words(server, services, wechat_api):
    open_all_day(services)
    resident = user(server, "o_words")
    await resident.say("转人工")
    desk = services.console.desk
    chat = await services.store.escalations.find_one({"openid": "o_words"})
    await desk.claim(chat["_id"], "alice")
    await desk.reply(chat["_id"], "alice", "您好")
    await desk.close(chat["_id"], "alice", "answered")
    assert "谢谢您的评价" in await resident.say("非常满意")
    chat = await services.store.escalations.find_one({"_id": chat["_id"]})
    assert chat["rating"]["score"] == 5 and chat["first_response_seconds"] is not None


async def test_while_waiting_the_bot_answers_questions_and_says_where_the_resident_stands(server, services, wechat_api):
    open_all_day(services)
    resident = user(server, "o_waits")
    assert "转接人工" in await resident.say("转人工")
    answer = await resident.say("高龄津贴在哪里办")
    assert answer.startswith("【小助手】") and "高龄" in answer and "仍在排队" in answer
    # Not a service question: the place in the queue and an honest wait, then a one-line receipt for a few minutes.
    ack = await resident.say("怎么还没人理我")
    assert "【小助手】" in ack and "排在第 1 位" in ack and "说不准" in ack
    assert await resident.say("快点嘛") == texts.RECEIVED
    chat = await services.store.escalations.find_one({"openid": "o_waits"})
    assert chat["last_message"] == "快点嘛" and chat["unread"] == 3
    # Five minutes later the resident hears again (how long they waited, too).
    later = datetime.now(UTC) - timedelta(minutes=6)
    await services.store.escalations.update_one({"_id": chat["_id"]}, {"$set": {"acknowledged_at": later, "created_at": later}})
    again = await resident.say("还要等多久")
    assert "已等了 6 分钟" in again
    # Asking for a person again always answers.
    assert "排" in await resident.say("人工呢")
    # Thanks while waiting get a courteous word and where they stand; staff still see the message.
    thanked = await resident.say("好的 麻烦了")
    assert thanked.startswith("【小助手】不客气") and "仍在排队" in thanked, thanked
    chat = await services.store.escalations.find_one({"openid": "o_waits"})
    assert chat["last_message"] == "好的 麻烦了"


async def test_out_of_hours_a_waiting_resident_is_told_when_staff_return_with_96128(server, services):
    open_all_day(services)
    resident = user(server, "o_late")
    await resident.say("转人工")
    services.console.desk.hours = ClosedToday()
    await services.store.escalations.update_one({"openid": "o_late"}, {"$set": {"acknowledged_at": None}})
    ack = await resident.say("有人吗")
    assert "下班时间" in ack and "工作人员明天（12月3日 周四）9:00 起在线" in ack and "96128" in ack


async def test_the_resident_is_told_which_agent_took_the_chat_by_surname_and_number(server, services, wechat_api):
    open_all_day(services)
    await services.console.accounts.create("a1023", "agent", PASSWORD, must_change=False, created_by="t", name="王丽")
    await user(server, "o_named").say("转人工")
    chat = await services.store.escalations.find_one({"openid": "o_named"})
    await services.console.desk.claim(chat["_id"], "a1023")
    told = wechat_api.state.messages_to("o_named")[-1]["text"]["content"]
    assert "王老师（工号 a1023）已接待您" in told and "王丽" not in told
    # While served, the bot stays quiet: the agent answers.
    assert not await user(server, "o_named").say("高龄津贴在哪里办")


def test_agent_labels_use_the_surname_only():
    from bot.handoff.texts import agent_label

    assert agent_label("a7", "欧阳明") == "欧阳老师（工号 a7）"
    assert agent_label("sup1", "sup1") == "工号 sup1 的工作人员"


def test_round_the_clock_hours_are_accepted():
    hours = WorkingHours("00:00-24:00")
    china = timezone_china()
    assert hours.is_open(datetime(2026, 12, 2, 23, 59, tzinfo=china))
    assert hours.describe() == "工作日 0:00-24:00"


async def test_staff_see_a_resident_by_a_masked_name_not_an_openid_tail(server, services):
    open_all_day(services)
    now = datetime.now(UTC)
    await services.store.bookings.insert_one(
        {"booked_by": "o_family", "beneficiary": {"name": "张桂芬", "relation": "母亲"}, "created_at": now}
    )
    await services.store.users.insert_one({"openid": "o_proxy_named", "role": "proxy", "name": "李春梅"})
    await user(server, "o_family").say("转人工")
    await user(server, "o_proxy_named").say("转人工")
    await user(server, "o_stranger_12").say("转人工")
    labels = {c["openid"]: summary(c)["resident"] async for c in services.store.escalations.find({})}
    assert labels == {"o_family": "张*芬的家属", "o_proxy_named": "代办员 李春梅", "o_stranger_12": "微信居民 r_12"}
