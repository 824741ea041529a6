"""Every callback WeChat sends (tests/data/callbacks, each with its source), signed and posted in plain and safe
mode, and what each one does: resident messages reach the conversation, events are routed by kind and never
count as a resident writing (rate limit, report, 48-hour window, the agent's chat)."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from tornado.httpclient import AsyncHTTPClient

from bot import admin as admin_cli
from bot.bookings.service import today_in_china
from bot.conversation import texts
from bot.report.figures import ReportService
from bot.report.periods import Period
from bot.wechat.prolog import has_dtd
from tests.console_utils import shoot
from tests.test_bookings import admin, book_home_visit_for_mother
from tests.test_console import claimed_chat
from tests.utils import home_visit_script, user

CALLBACKS = Path(__file__).parent / "data" / "callbacks"
SAMPLES = sorted(p.stem for p in CALLBACKS.glob("*.xml"))
_ids = itertools.count(7_000_000_000_000_000_000)


def sample(name: str, openid: str, **replace: str) -> str:
    """A fixture's XML as WeChat sends it (its source comment dropped), from `openid`, with a fresh MsgId."""
    text = (CALLBACKS / f"{name}.xml").read_text(encoding="utf-8")
    assert text.startswith("<!-- source: "), f"{name}.xml must say where it comes from"
    xml = text[text.index("<xml>") :]
    xml = re.sub(
        r"<FromUserName><!\[CDATA\[[^\]]*\]\]></FromUserName>", f"<FromUserName><![CDATA[{openid}]]></FromUserName>", xml
    )
    xml = re.sub(r"<MsgId>\d+</MsgId>", lambda _m: f"<MsgId>{next(_ids)}</MsgId>", xml)
    for old, new in replace.items():
        xml = xml.replace(old, new)
    return xml


async def post(server, name: str, openid: str, safe: bool = False, **replace: str):
    resident = user(server, openid, safe=safe)
    response = await resident.post_xml(sample(name, openid, **replace))
    assert response.code == 200, (name, response.body[:200])
    reply = resident.read_reply(response.body)
    return None if reply is None else reply.get("Content")


# What a resident reads back, per sample (None: "success", nothing shown).
EXPECTED = {
    "text": "身份证",
    "text_with_doctype": "",  # answered, whatever the answer: the pasted DOCTYPE is text, not a DTD
    "text_from_article": "社会保障卡",
    "voice_unrecognised": "没听清",
    "event_click_unknown_key": "",
    "voice": "低保",
    "image": "文字",
    "video": "文字",
    "shortvideo": "文字",
    "file": "低保申请表.pdf",
    "link": "文字",
    "location": "光明村为民服务站",
    "location_far": "都很远",
    "event_subscribe": "欢迎关注",
    "event_click": "",
}


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "safe"])
async def test_every_genuine_callback_is_accepted_and_handled_by_kind(server, services, safe):
    assert len(SAMPLES) >= 45
    for n, name in enumerate(SAMPLES):
        openid = f"o_sample_{n}_{int(safe)}"
        reply = await post(server, name, openid, safe=safe)
        expected = EXPECTED.get(name)
        if name == "event_subscribe_qrscene" or name == "event_scan":
            assert reply and "光明村为民服务站" in reply, name
        elif expected is None:
            assert reply is None, (name, reply)
        else:
            assert reply is not None and expected in reply, (name, reply)
    await services.inbox.drain()
    # The chat log holds what residents wrote and the events that open a window, nothing of the platform's reports.
    logged = {d["type"] async for d in services.store.messages.find({"direction": "in"})}
    assert logged <= {"text", "voice", "image", "video", "shortvideo", "file", "location", "link", "event"}
    events = [d["content"].split(" ")[0] async for d in services.store.messages.find({"direction": "in", "type": "event"})]
    assert "LOCATION".lower() not in events and "templatesendjobfinish" not in events
    # Consent from the popup sample: one template accepted, one refused.
    subs = {d["template_id"]: d["status"] async for d in services.store.subscriptions.find({"openid": {"$regex": "^o_sample_"}})}
    assert subs["9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI"] == "reject"


async def test_a_pasted_doctype_is_text_but_a_dtd_is_refused_in_plain_and_decrypted_xml(server, caplog):
    resident = user(server, "o_dtd")
    assert await resident.say("<!DOCTYPE html><html>低保怎么办</html>")
    entity = '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "低保">]>' + resident.text_xml("&a;")
    assert (await resident.post_xml(entity)).code == 400
    safe = user(server, "o_dtd_safe", safe=True)
    response = await safe.post_xml(entity)  # the envelope is clean; the DTD is inside the encrypted message
    assert response.code == 400 and "decrypted XML with a DTD" in caplog.text
    assert await safe.say("<!DOCTYPE html>")


async def test_forty_location_reports_leave_the_next_question_answered_and_out_of_the_report(server, services):
    resident = user(server, "o_driving")
    for i in range(40):
        xml = sample(
            "event_location",
            "o_driving",
            **{"<CreateTime>1764720000</CreateTime>": f"<CreateTime>{1764720000 + 5 * i}</CreateTime>"},
        )
        response = await resident.post_xml(xml)
        assert response.code == 200 and response.body == b"success"
    reply = await resident.say("身份证丢了怎么补办")
    assert reply and "身份证" in reply and reply != texts.TOO_FAST
    await post(server, "event_subscribe", "o_follower_only")
    await post(server, "event_click", "o_follower_only")
    await services.inbox.drain()
    report = await ReportService(services.store, services.bookings.calendar).build(Period.day(today_in_china()), fresh=True)
    assert report.chat["messages"] == 1 and report.chat["residents"] == 1  # one question, one resident: no events


async def test_consent_from_the_popup_sends_a_subscribe_notification_when_the_window_is_closed(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_consent")
    template = services.config.wechat_subscribe_templates["booking_status"]["id"]
    popup = {"VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc": template}
    assert await post(server, "event_subscribe_msg_popup", "o_consent", **popup) is None
    later = services.bookings.clock() + timedelta(days=3)  # the 48-hour window has closed
    services.bookings.clock = services.notifications.clock = lambda: later
    wechat_api.state.refuse.update(template=40037)  # no template works
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    [sent] = wechat_api.state.messages_to("o_consent", "subscribe")
    assert sent["template_id"] == template and sent["data"]["phrase3"]["value"] == "已受理"
    # WeChat reports the delivery: recorded on the notification, and it opens no 48-hour window.
    sent_event = {"VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc": template}
    assert await post(server, "event_subscribe_msg_sent", "o_consent", **sent_event) is None
    await services.inbox.drain()
    done = await services.notifications.collection.find_one({"subject": f"booking:{number}", "channel": "subscribe"})
    assert done["delivery"]["status"] == "delivered"
    state = await services.notifications.window.state("o_consent", later)
    assert not state.open
    # A one-time acceptance is spent; turning it off in the settings is recorded.
    sub = await services.store.subscriptions.find_one({"openid": "o_consent", "template_id": template})
    assert sub["status"] == "accept" and sub["remaining"] == 0
    await post(server, "event_subscribe_msg_change", "o_consent", **popup)
    sub = await services.store.subscriptions.find_one({"openid": "o_consent", "template_id": template})
    assert sub["status"] == "reject"


async def test_a_failed_template_job_moves_on_and_flags_the_booking(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_blocked")
    later = services.bookings.clock() + timedelta(days=3)
    services.bookings.clock = services.notifications.clock = lambda: later
    wechat_api.state.refuse.update(sms="isv.MOBILE_NUMBER_ILLEGAL")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    notice = await services.notifications.collection.find_one({"subject": f"booking:{number}"})
    assert notice["status"] == "sent" and notice["channel"] == "template" and notice["msgid"]
    # Hours later WeChat reports the job: the resident blocked the account's template messages.
    job = {"200163840": notice["msgid"]}
    assert await post(server, "event_templatesendjobfinish_user_block", "o_blocked", **job) is None
    await services.inbox.drain()
    await services.notifications.drain()
    notice = await services.notifications.collection.find_one({"_id": notice["_id"]})
    assert notice["status"] == "failed" and "模板消息：已发出但用户拒收" in notice["failure"]
    _code, listing = await admin(server, "bookings")
    [shown] = [b for b in listing["bookings"] if b["number"] == number]
    assert shown["notice_problem"].startswith("未能通知：") and "用户拒收" in shown["notice_problem"]
    # A repeated report changes nothing.
    assert await post(server, "event_templatesendjobfinish_user_block", "o_blocked", **job) is None


async def test_a_system_failure_of_a_template_job_reaches_the_resident_by_sms(server, services, wechat_api):
    _resident, number = await book_home_visit_for_mother(server, "o_sysfail")
    later = services.bookings.clock() + timedelta(days=3)
    services.bookings.clock = services.notifications.clock = lambda: later
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    notice = await services.notifications.collection.find_one({"subject": f"booking:{number}"})
    await post(server, "event_templatesendjobfinish_system_failed", "o_sysfail", **{"200163841": notice["msgid"]})
    await services.inbox.drain()
    await services.notifications.drain()
    notice = await services.notifications.collection.find_one({"_id": notice["_id"]})
    assert notice["status"] == "sent" and notice["channel"] == "sms"
    assert wechat_api.state.messages_to("13812345678", "sms")


async def test_unsubscribe_closes_the_waiting_chat_and_stops_wechat_notifications(server, services, wechat_api):
    resident, number = await book_home_visit_for_mother(server, "o_leaving")
    await resident.say("转人工")
    assert await services.console.desk.queue.open_for("o_leaving") is not None
    await post(server, "event_unsubscribe", "o_leaving")
    await services.inbox.drain()
    assert await services.console.desk.queue.open_for("o_leaving") is None
    chat = await services.store.escalations.find_one({"openid": "o_leaving"})
    assert chat["status"] == "closed" and chat["resolution"] == "unsubscribed"
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    await services.notifications.drain()
    assert wechat_api.state.messages_to("o_leaving", None) == []
    notice = await services.notifications.collection.find_one({"subject": f"booking:{number}", "to.openid": "o_leaving"})
    assert [a.get("skipped") for a in notice["attempts"][:3]] == ["用户已取消关注"] * 3
    # Following again lets notices through.
    await post(server, "event_subscribe", "o_leaving")
    await admin(server, f"bookings/{number}/assign", {"staff": "李明", "assignee": "王建国"})
    await services.notifications.drain()
    assert wechat_api.state.messages_to("o_leaving", None)


async def test_events_reach_no_agent_and_a_file_mid_chat_is_described(server, services):
    resident = user(server, "o_with_agent")
    await resident.say("转人工")
    for name in ("event_location", "event_unknown", "event_view", "event_templatesendjobfinish_success"):
        await post(server, name, "o_with_agent")
    chat = await services.store.escalations.find_one({"openid": "o_with_agent"})
    assert chat["last_message"] == "转人工" and chat.get("unread", 0) == 0  # no event reached the agent
    await post(server, "file", "o_with_agent")
    chat = await services.store.escalations.find_one({"openid": "o_with_agent"})
    assert chat["last_message"] == "[文件] 低保申请表.pdf"


async def test_a_photo_mid_booking_gets_help_with_the_open_question(server):
    resident = user(server, "o_photo")
    await resident.say("我妈瘫痪在床，身份证过期了能上门办吗")
    reply = await post(server, "image", "o_photo")
    assert "收到照片" in reply and "请用文字" not in reply
    assert "请输入办事人的姓名" in reply  # the form's open question (for whom was understood from 我妈), asked again


def photo_bytes(color=(200, 40, 40)) -> bytes:
    """A small JPEG with EXIF, as a phone camera makes one."""
    image = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


async def test_an_agent_sees_the_residents_photo_in_the_chat(server, services, browser, wechat_api):

    page, _resident = await claimed_chat(server, services, browser, openid="o_photo_chat", first="转人工")
    photo = photo_bytes()
    wechat_api.state.media["media_id_image_1"] = (photo, "image/jpeg")
    assert await post(server, "image", "o_photo_chat") in (None, "")  # with staff: the bot stays quiet
    image = page.locator("#transcript .from-resident img.chat-media")
    await image.wait_for(timeout=10_000)
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 64  # served and decoded
    await shoot(page, "chat-photo")
    chat = await services.store.escalations.find_one({"openid": "o_photo_chat"})
    [kept] = chat["media"]
    assert kept["content_type"] == "image/jpeg" and chat["last_message"] == "[图片]"
    # Fetched once, stored encrypted (no plaintext bytes at rest), re-encoded without the camera's EXIF.
    assert wechat_api.state.calls["media_get"] == 1
    chunks = [c async for c in services.store.material_chunks.find({"file_id": kept["file"]})]
    assert chunks and all(photo[100:200] not in bytes(c["data"]) for c in chunks)
    served = await page.evaluate(
        f"fetch('/console/chats/{chat['_id']}/media/{kept['file']}').then(r => r.arrayBuffer())"
        ".then(b => Array.from(new Uint8Array(b)).length)"
    )
    assert served > 0
    audit = await services.store.audit.find_one({"action": "material.read"})
    assert audit["actor"] == "staff:alice"
    # A stranger gets the login page, not the photo.
    response = await AsyncHTTPClient().fetch(
        f"{server.url}/console/chats/{chat['_id']}/media/{kept['file']}", raise_error=False, follow_redirects=False
    )
    assert response.code in (302, 401, 403) and b"PhoneMaker" not in response.body


async def test_an_expired_photo_is_reported_to_the_agent(server, services, wechat_api):
    resident = user(server, "o_old_photo")
    await resident.say("转人工")
    await post(server, "image", "o_old_photo")  # the sandbox has no such media: 40007
    await services.console.desk.media.drain()
    chat = await services.store.escalations.find_one({"openid": "o_old_photo"})
    assert "未能从微信取回（40007）" in chat["media"][0]["error"]


async def test_a_photo_sent_during_the_form_is_kept_with_the_booking(server, services, wechat_api):
    wechat_api.state.media["media_id_image_1"] = (photo_bytes(), "image/jpeg")
    resident = user(server, "o_form_photo")
    script = home_visit_script()
    for text in script[:2]:
        await resident.say(text)
    reply = await post(server, "image", "o_form_photo")
    assert "收到照片" in reply and "身份证" in reply  # the next question (the ID number) asked again
    for text in script[2:]:
        await resident.say(text)
    done = await resident.say("1")
    number = done.split("预约号：")[1].split()[0]
    await services.console.desk.media.drain()
    [material] = await services.miniprogram.materials.list_for(number)
    assert material["material"] == "居民在微信发来的照片" and material["content_type"] == "image/jpeg"


async def test_a_station_qr_code_greets_with_the_station_and_presets_it_in_bookings(server, services, wechat_api, capsys):
    args = ["station-qr", "LDX-002-01", "--staff", "李明", "--url", server.url]
    assert await asyncio.get_running_loop().run_in_executor(None, admin_cli.main, args) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["scene"] == "station:LDX-002-01" and made["image"].startswith(
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="
    )
    assert wechat_api.state.qrcodes[made["ticket"]] == "station:LDX-002-01"
    code, refused = await admin(server, "stations/LDX-999-01/qrcode", {"staff": "李明"})
    assert code == 404
    # A new follower scans it: greeted by the station (and welcomed); an existing follower's SCAN alike.
    greeting = await post(server, "event_subscribe_qrscene", "o_villager")
    assert "光明村为民服务站" in greeting and "李春梅" in greeting and "0870-2130201" in greeting and "欢迎关注" in greeting
    assert "李春梅" in await post(server, "event_scan", "o_villager")
    # The resident's booking goes to that station without asking.
    resident = user(server, "o_villager")
    script = home_visit_script()
    replies = [await resident.say(text) for text in script[:-1]]
    assert not any("哪个乡镇" in r for r in replies)
    summary = await resident.say(script[-1])
    assert "服务站：龙头山镇光明村为民服务站" in summary
    done = await resident.say("1")
    number = done.split("预约号：")[1].split()[0]
    assert (await services.store.bookings.find_one({"number": number}))["station"] == "LDX-002-01"


@pytest.mark.parametrize(
    "document, dtd",
    [
        (b"<xml><Content><![CDATA[<!DOCTYPE html>]]></Content></xml>", False),
        (b'<?xml version="1.0" encoding="utf-8"?>\n<xml/>', False),
        (b"<!DOCTYPE xml><xml/>", True),
        (b'\xef\xbb\xbf<?xml version="1.0"?><!-- note --> <!doctype xml [<!ENTITY a "b">]><xml/>', True),
        ("<!DOCTYPE x>".encode("utf-16"), True),
        (b"<!ENTITY a 'b'><xml/>", True),
    ],
)
def test_the_dtd_rule_reads_the_prolog_only(document, dtd):
    assert has_dtd(document) is dtd


@pytest.mark.parametrize(
    "tampered",
    [
        ("<List>", '<List a="1">'),  # an attribute
        ("<PopupScene>2</PopupScene>", "<PopupScene><b>2</b></PopupScene>"),  # deeper nesting
        ("<PopupScene>2</PopupScene>", "<Extra><![CDATA[x]]></Extra>"),  # a field WeChat does not send
        ("<PopupScene>2</PopupScene>", "<PopupScene>" + "9" * 200 + "</PopupScene>"),  # too long
        ("</SubscribeMsgPopupEvent>", "<List><TemplateId>x</TemplateId></List>" * 20 + "</SubscribeMsgPopupEvent>"),
    ],
)
async def test_a_malformed_template_list_is_refused_and_records_nothing(server, services, tampered):
    old, new = tampered
    xml = sample("event_subscribe_msg_popup", "o_tamper").replace(old, new, 1)
    response = await user(server, "o_tamper").post_xml(xml)
    assert response.code == 400
    assert await services.store.subscriptions.count_documents({"openid": "o_tamper"}) == 0


async def test_voice_and_video_in_a_chat_are_kept_encrypted_for_the_agent(server, services, wechat_api):
    voice, video = b"#!AMR\n" + bytes(range(256)) * 4, b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    wechat_api.state.media.update(media_id_voice_1=(voice, "audio/amr"), media_id_video_1=(video, "video/mp4"))
    wechat_api.state.media["media_id_shortvideo_1"] = (b"not a video", "video/mp4")
    resident = user(server, "o_voice")
    await resident.say("转人工")
    for name in ("voice", "video", "shortvideo"):
        reply = await post(server, name, "o_voice")
        # Waiting for staff: the bot may answer a recognised question or say where they stand, marked as its own.
        assert reply in (None, "") or reply.startswith("【小助手】")
    await services.console.desk.media.drain()
    chat = await services.store.escalations.find_one({"openid": "o_voice"})
    kept = {m["kind"]: m for m in chat["media"]}
    assert kept["voice"]["content_type"] == "audio/amr" and kept["video"]["content_type"] == "video/mp4"
    assert kept["shortvideo"]["error"] == "不是能保存的语音或视频格式。"
    meta, data = await services.console.desk.media.read(chat["_id"], kept["voice"]["file"], "staff:alice")
    assert data == voice and meta["filename"].endswith(".amr")
    files = [f async for f in services.store.material_files.find({"booking": f"chat-{chat['_id']}"})]
    assert len(files) == 2 and all(f["purge_after"] for f in files)  # chat files are purged after the retention period


async def test_a_long_term_subscription_serves_every_notice_until_turned_off(server, services, wechat_api):
    template = services.config.wechat_subscribe_templates["booking_status"]
    template["long_term"] = True  # a 长期订阅 template (government services may offer them)
    ids = {"VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc": template["id"]}
    _resident, number = await book_home_visit_for_mother(server, "o_long")
    await post(server, "event_subscribe_msg_popup", "o_long", **ids)
    later = services.bookings.clock() + timedelta(days=3)
    services.bookings.clock = services.notifications.clock = lambda: later
    wechat_api.state.refuse.update(template=40037)
    for action in ("accept", "assign"):
        await admin(server, f"bookings/{number}/{action}", {"staff": "李明", "assignee": "王建国"})
        await services.notifications.drain()
    assert [m["data"]["phrase3"]["value"] for m in wechat_api.state.messages_to("o_long", "subscribe")] == ["已受理", "已派人"]
    await post(server, "event_subscribe_msg_change", "o_long", **ids)  # turned off in the account's settings
    await admin(server, f"bookings/{number}/start", {"staff": "李明"})
    await services.notifications.drain()
    assert len(wechat_api.state.messages_to("o_long", "subscribe")) == 2
