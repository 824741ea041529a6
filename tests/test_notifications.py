"""Notifications through the fake WeChat API: each channel, the fallbacks, retries, quiet hours, two workers,
reminders, and what staff see for a booking."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.notifications.quiet import QuietHours
from bot.notifications.service import NotificationService, Recipient
from bot.notifications.templates import CHINA
from tests.test_bookings import admin, book_home_visit_for_mother
from tests.utils import user

ITEM = "残疾人两项补贴申请（困难残疾人生活补贴和重度残疾人护理补贴）"
FIELDS = {"number": "SM202612020001", "item": ITEM, "status": "已受理", "time": "2026年12月02日 10:00"}


async def notify(services, openid=None, phone=None, subject="booking:SM202612020001", **kw):
    to = Recipient(openid=openid, phone=phone, role="booker", label="预约人")
    return await services.notifications.enqueue(
        "booking_status", to, kw.pop("text", "您的预约已受理。"), FIELDS, subject=subject, **kw
    )


async def stored(services, doc) -> dict:
    return await services.notifications.collection.find_one({"_id": doc["_id"]})


async def test_open_window_sends_a_customer_service_message(server, services, wechat_api):
    await user(server, "o_talking").say("你好")
    await notify(services, "o_talking")
    assert await services.notifications.drain() == 1
    assert [m["text"]["content"] for m in wechat_api.state.messages_to("o_talking")] == ["您的预约已受理。"]
    record = await services.store.messages.find_one({"openid": "o_talking", "answered_by": "notification"})
    assert record["content"] == "您的预约已受理。"


async def test_closed_window_falls_back_to_a_template_message_with_fitted_fields(services, wechat_api):
    doc = await notify(services, "o_silent")
    await services.notifications.drain()
    assert wechat_api.state.messages_to("o_silent") == []
    [sent] = wechat_api.state.messages_to("o_silent", "template")
    assert sent["template_id"] == "dev-tpl-booking-status"
    assert sent["data"]["character_string1"]["value"] == "SM202612020001"
    assert sent["data"]["thing2"]["value"] == ITEM[:19] + "…"  # thing: at most 20 characters
    assert sent["data"]["phrase3"]["value"] == "已受理" and sent["data"]["time4"]["value"] == "2026年12月02日 10:00"
    done = await stored(services, doc)
    assert done["status"] == "sent" and done["channel"] == "template"
    assert [(a["channel"], a.get("skipped"), a["errcode"]) for a in done["attempts"]] == [
        ("custom", "用户48小时内没有发过消息", None),
        ("template", None, 0),
    ]


async def test_used_up_allowance_falls_back_to_template(server, services, wechat_api):
    await user(server, "o_busy").say("你好")
    for i in range(6):  # six bookings' notices: nothing to coalesce
        await notify(services, "o_busy", subject=f"booking:DB20261202000{i}", text=f"第{i}条")
        await services.notifications.drain()
    assert [m["text"]["content"] for m in wechat_api.state.messages_to("o_busy")] == [f"第{i}条" for i in range(5)]
    assert len(wechat_api.state.messages_to("o_busy", "template")) == 1
    # Talking again opens a new window.
    await user(server, "o_busy").say("谢谢")
    await notify(services, "o_busy", subject="booking:DB202612020009", text="新窗口")
    await services.notifications.drain()
    assert wechat_api.state.messages_to("o_busy")[-1]["text"]["content"] == "新窗口"


async def test_several_changes_in_the_window_become_one_message(server, services, wechat_api):
    await user(server, "o_many").say("你好")
    for text in ("已受理。", "已派人。", "正在办理。"):
        await notify(services, "o_many", text=text)
    await services.notifications.drain()
    [sent] = wechat_api.state.messages_to("o_many")
    assert sent["text"]["content"] == "已受理。\n\n已派人。\n\n正在办理。"
    statuses = sorted([n["status"] async for n in services.notifications.collection.find({"to.openid": "o_many"})])
    assert statuses == ["merged", "merged", "sent"]


async def test_45015_from_wechat_moves_on_to_the_template(server, services, wechat_api):
    await user(server, "o_stale").say("你好")
    wechat_api.state.reject_next = [45015]  # our records say open; WeChat disagrees
    doc = await notify(services, "o_stale")
    await services.notifications.drain()
    assert len(wechat_api.state.messages_to("o_stale", "template")) == 1
    assert [a["errcode"] for a in (await stored(services, doc))["attempts"]] == [45015, 0]
    # WeChat has the last word: the next notice does not try a customer-service message that can only fail.
    calls = wechat_api.state.calls.get("custom", 0)
    await notify(services, "o_stale", subject="booking:DB202612020009", text="第二条")
    await services.notifications.drain()
    assert wechat_api.state.calls.get("custom", 0) == calls
    assert len(wechat_api.state.messages_to("o_stale", "template")) == 2


async def test_refused_template_falls_back_to_sms(services, wechat_api):
    wechat_api.state.refuse["template"] = 43101
    doc = await notify(services, "o_refuser", phone="13812345678")
    await services.notifications.drain()
    [sms] = wechat_api.state.messages_to("13812345678", "sms")
    assert sms["template"] == "SMS_DEV_STATUS" and sms["params"]["number"] == "SM202612020001"
    done = await stored(services, doc)
    assert done["channel"] == "sms" and "13812345678" not in str(done)  # the phone is stored encrypted only
    assert done["to"]["phone_masked"] == "138****5678"
    assert [a["errcode"] for a in done["attempts"] if not a.get("skipped")] == [43101, 0]


async def test_busy_wechat_is_retried_with_backoff_then_delivered(services, wechat_api):
    wechat_api.state.reject["template"] = [-1]
    doc = await notify(services, "o_retry")
    await services.notifications.drain()
    pending = await stored(services, doc)
    assert pending["status"] == "pending" and pending["tries"] == 1 and wechat_api.state.outbox == []
    real = services.notifications.clock
    services.notifications.clock = lambda: real() + timedelta(seconds=31)
    await services.notifications.drain()
    done = await stored(services, doc)
    assert done["status"] == "sent" and [a["errcode"] for a in done["attempts"] if not a.get("skipped")] == [-1, 0]


async def test_mini_program_and_official_account_subscriptions_are_used_where_accepted(services, wechat_api):
    wechat_api.state.refuse["template"] = 43004  # not following the account
    subs = services.notifications.subscriptions
    await subs.accept("wxa", "wxa_user", "dev-wxa-booking-status")
    to = Recipient(openid="o_app", wxa_openid="wxa_user", role="booker")
    await services.notifications.enqueue("booking_status", to, "已受理", FIELDS, subject="booking:A")
    await services.notifications.enqueue("booking_status", to, "已受理", FIELDS, subject="booking:B")
    await services.notifications.drain()
    [wxa] = wechat_api.state.messages_to("wxa_user", "wxa_subscribe")
    assert wxa["miniprogram_state"] == "developer" and wxa["template_id"] == "dev-wxa-booking-status"
    # A one-time subscription allows one message: whichever notice a worker took second found no channel.
    first, second = [await services.notifications.collection.find_one({"subject": s}) for s in ("booking:A", "booking:B")]
    [failed] = [n for n in (first, second) if n["status"] != "sent"]
    assert failed["status"] == "failed" and "用户未授权订阅" in failed["failure"]
    await subs.accept("oa", "o_app", "dev-sub-booking-status", long_term=True)
    await services.notifications.enqueue("booking_status", to, "已受理", FIELDS, subject="booking:C")
    await services.notifications.drain()
    assert len(wechat_api.state.messages_to("o_app", "subscribe")) == 1


async def test_two_workers_draining_one_queue_send_each_notification_once(services, wechat_api):
    # A second service on the same database stands for a second server process.
    other = NotificationService(services.store, services.wechat_api, services.config, name="other")
    for i in range(40):
        await notify(services, f"o_many_{i}", subject=f"booking:X{i}")
    counts = await asyncio.gather(services.notifications.drain(), other.drain())
    assert sum(counts) == 40 and all(counts)  # both took part
    recipients = [m["touser"] for m in wechat_api.state.outbox]
    assert sorted(recipients) == sorted(f"o_many_{i}" for i in range(40))


async def test_quiet_hours_hold_all_but_urgent_until_morning(services, wechat_api):
    night = datetime(2026, 12, 2, 22, 30, tzinfo=CHINA).astimezone(UTC)
    service = services.notifications
    service.quiet = QuietHours((21, 8))
    service.clock = lambda: night
    await notify(services, "o_night", subject="booking:N1", text="普通")
    await notify(services, "o_night", subject="booking:N2", text="紧急", urgent=True)
    await service.drain()
    assert [readable["data"]["phrase3"]["value"] for readable in wechat_api.state.messages_to("o_night", "template")] == [
        "已受理"
    ]
    waiting = await service.collection.find_one({"subject": "booking:N1"})
    assert waiting["status"] == "pending"
    assert waiting["next_attempt_at"].astimezone(CHINA) == datetime(2026, 12, 3, 8, 0, tzinfo=CHINA)
    service.clock = lambda: datetime(2026, 12, 3, 8, 1, tzinfo=CHINA).astimezone(UTC)
    await service.drain()
    assert len(wechat_api.state.messages_to("o_night", "template")) == 2


async def test_nothing_works_flags_the_booking_for_staff(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_unreachable")
    later = services.bookings.clock() + timedelta(days=3)  # the 48-hour window has closed
    services.bookings.clock = services.notifications.clock = lambda: later
    wechat_api.state.refuse.update(template=43004, sms="isv.MOBILE_NUMBER_ILLEGAL")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    code, listing = await admin(server, "bookings")
    [shown] = [b for b in listing["bookings"] if b["number"] == number]
    assert shown["notice_problem"].startswith("未能通知：")
    assert (
        "客服消息：用户48小时内没有发过消息" in shown["notice_problem"]
        and "模板消息：用户未关注公众号" in shown["notice_problem"]
    )
    assert "短信：错误码isv.MOBILE_NUMBER_ILLEGAL" in shown["notice_problem"]
    code, detail = await admin(server, f"bookings/{number}/notifications")
    assert code == 200 and detail["notice_problem"]["to"] == "预约人"
    [notice] = detail["notifications"]
    assert notice["status_label"] == "未能通知" and notice["to"]["phone"] == "138****5678"
    assert [a["channel"] for a in notice["attempts"]] == ["custom", "template", "subscribe", "wxa_subscribe", "sms"]


async def test_booking_completed_three_weeks_later_reaches_the_resident_and_asks_for_a_rating(server, services, wechat_api):
    resident, number = await book_home_visit_for_mother(server, "o_patient")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    assert "已受理" in wechat_api.state.messages_to("o_patient")[0]["text"]["content"]  # the window is still open
    weeks_later = services.bookings.clock() + timedelta(weeks=3)
    services.bookings.clock = services.notifications.clock = lambda: weeks_later
    for action in ("assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明", "assignee": "王建国"})
    await services.notifications.drain()
    templates = wechat_api.state.messages_to("o_patient", "template")
    # The three changes of one booking coalesce to the newest status; the rating request follows it.
    assert [t["template_id"] for t in templates] == ["dev-tpl-booking-status", "dev-tpl-rating-request"]
    assert templates[0]["data"]["phrase3"]["value"] == "已办结"
    assert templates[1]["data"]["thing3"]["value"] == "回复1-5为服务打分"
    # The resident answers the template with a score: the rating is recorded.
    assert "谢谢您的评价" in await resident.say("5")
    assert (await services.store.bookings.find_one({"number": number}))["rating"]["score"] == 5
    # Staff see who was told what and when.
    _code, detail = await admin(server, f"bookings/{number}/notifications")
    told = [(n["kind"], n["status"], n["channel"]) for n in detail["notifications"]]
    assert told[0] == ("booking_status", "sent", "custom")
    assert ("booking_status", "sent", "template") in told and told[-1] == ("rating_request", "sent", "template")
    assert all(n["sent_at"] for n in detail["notifications"])


async def test_completion_reaches_a_resident_by_sms_when_templates_are_refused(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_sms")
    later = services.bookings.clock() + timedelta(weeks=3)
    services.bookings.clock = services.notifications.clock = lambda: later
    wechat_api.state.refuse["template"] = 43101
    for action in ("accept", "assign", "start", "complete"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明"})
        await services.notifications.drain()
    texts = wechat_api.state.texts_to("13812345678")
    assert len(texts) == 5 and "status=已办结" in texts[3]
    assert wechat_api.state.messages_to("13812345678", "sms")[-1]["template"] == "SMS_DEV_RATING"


async def test_proxy_booking_reaches_the_villager_by_sms(server, services, wechat_api):
    from tests.test_bookings import proxy_request

    await services.store.users.insert_one({"openid": "o_proxy_x", "role": "proxy", "station": "LL-003"})
    from bot.bookings.service import Actor

    booking = await services.bookings.create(
        proxy_request(services, "o_proxy_x", booked_by=Actor("proxy", "o_proxy_x", "LL-003"))
    )
    await services.bookings.transition(booking["number"], "accept", Actor("staff", "李明"))
    await services.notifications.drain()
    assert len(wechat_api.state.messages_to("o_proxy_x", "template")) == 1  # the proxy, on WeChat
    [sms] = wechat_api.state.messages_to("13811112222", "sms")  # the villager, on the contact phone
    assert sms["params"]["status"] == "已受理"


async def test_reminders_the_day_before_a_visit_and_alerts_for_stalled_bookings(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_visit")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    booking = await services.store.bookings.find_one({"number": number})
    await services.store.users.insert_one({"openid": "o_station_proxy", "role": "proxy", "station": booking["station"]})
    from datetime import date

    eve = datetime.combine(date.fromisoformat(booking["preferred_date"]) - timedelta(days=1), datetime.min.time(), CHINA)
    # She last wrote to us that morning, whatever the weekday makes the eve: her 48-hour window is open.
    await services.inbox.message_log.drain()
    that_morning = eve.replace(hour=9).astimezone(UTC)
    await services.store.messages.update_many({"openid": "o_visit"}, {"$set": {"created_at": that_morning}})
    services.bookings.clock = services.notifications.clock = lambda: eve.replace(hour=10).astimezone(UTC)
    services.reminders.notices.staff_openids = ("o_supervisor",)
    first = await services.reminders.sweep()
    again = await services.reminders.sweep()  # another process, or the next sweep: nothing twice
    assert first["visit_reminders"] == 2 and again == {"visit_reminders": 0, "due_alerts": 0}
    await services.notifications.drain()
    assert any("提醒：明天" in t for t in wechat_api.state.texts_to("o_visit"))  # she talked to us: window open
    [to_proxy] = wechat_api.state.messages_to("o_station_proxy", "template")
    assert to_proxy["template_id"] == "dev-tpl-visit-reminder" and to_proxy["data"]["thing4"]["value"] == "地址电话请在工作台查看"
    # Near the due date and still only accepted: staff are alerted, once.
    due = date.fromisoformat(booking["due_date"])
    services.bookings.clock = services.notifications.clock = lambda: (
        datetime.combine(due - timedelta(days=1), datetime.min.time(), CHINA).replace(hour=10).astimezone(UTC)
    )
    assert (await services.reminders.sweep())["due_alerts"] == 1
    assert (await services.reminders.sweep())["due_alerts"] == 0
    await services.notifications.drain()
    [alert] = wechat_api.state.messages_to("o_supervisor", "template")
    assert alert["template_id"] == "dev-tpl-staff-alert" and alert["data"]["character_string1"]["value"] == number
    _code, listing = await admin(server, "bookings")
    assert [b["due_alert"] for b in listing["bookings"] if b["number"] == number] == [True]


async def test_the_queue_and_the_window_read_notifications_and_messages_through_indexes(
    server, services, wechat_api, monkeypatch
):
    """On the embedded store no query of the queue, the coalescing, the 48-hour window or a booking's
    history reads `notifications` or `messages` whole (bot/embedded_index/ serves each from an index)."""
    from bot.embedded_index import IndexedCollectionStore

    if not services.store.embedded:
        return  # a real MongoDB: its planner decides (bench/desk_report.py explains)
    scans = []
    candidates = IndexedCollectionStore.candidates

    def recorded(self, spec):
        found = candidates(self, spec)
        if found is None and spec and self.name in ("notifications", "messages"):
            scans.append((self.name, spec))
        return found

    monkeypatch.setattr(IndexedCollectionStore, "candidates", recorded)
    await test_several_changes_in_the_window_become_one_message(server, services, wechat_api)
    await test_booking_completed_three_weeks_later_reaches_the_resident_and_asks_for_a_rating(server, services, wechat_api)
    assert scans == []
