"""Hardening, attacked through the real HTTP server and then checked in the store: personal data never in
plain storage, abuse limits, no 500 on odd input, replayed signatures, scrubbed logs."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from tornado.httpclient import AsyncHTTPClient

from bot.bookings.service import LimitReached
from bot.conversation import texts
from tests.test_bookings import ADMIN, admin, book_home_visit_for_mother, converse, proxy_request
from tests.utils import TOKEN, home_visit_script, make_id, user


async def fetch(url: str, method: str = "GET", body: bytes | str | None = None, **kw):
    return await AsyncHTTPClient().fetch(url, method=method, body=body, raise_error=False, **kw)


def digits(value: str) -> str:
    return re.sub(r"[\s\-+]", "", value)


async def strings_in_store(services):
    """Every string value of every document of every collection, as (collection, value)."""
    db = services.store.db
    found = []

    def walk(name, value):
        if isinstance(value, dict):
            for v in value.values():
                walk(name, v)
        elif isinstance(value, list):
            for v in value:
                walk(name, v)
        elif isinstance(value, str):
            found.append((name, value))

    for name in await db.list_collection_names():
        async for doc in db[name].find({}):
            walk(name, doc)
    # Per-message state kept in process memory on the embedded store (bot/expiring.py MemoryMap).
    for name, states in (("conversations", services.assistant.dialogs.states), ("replies", services.inbox.replies)):
        for value in states.values() if hasattr(states, "values") else ():
            walk(name, value)
    return found


# ---- personal data ----

ID_FORMATS = [
    lambda n: n,  # 530602194308150429
    lambda n: f"{n[:6]} {n[6:14]} {n[14:]}",  # 530602 19430815 0429
    lambda n: f"{n[:10]} {n[10:]}",  # 5306021943 08150429
    lambda n: n.lower(),
]
PHONE_FORMATS = [
    lambda p: p,
    lambda p: "+86" + p,  # +8613987654321
    lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",  # 139 8765 4321
    lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
]


async def test_no_collection_holds_a_full_id_or_phone_number(server, services):
    ids = [make_id("1943081" + str(i), area="530602", seq=f"04{i}") for i in range(4)]
    phones = [f"1398765432{i}" for i in range(4)]
    # One booking per accepted format (different residents, so no per-user limit applies).
    for i, (id_fmt, phone_fmt) in enumerate(zip(ID_FORMATS, PHONE_FORMATS)):
        script = home_visit_script()
        script[2], script[3] = id_fmt(ids[i]), phone_fmt(phones[i])
        resident = user(server, f"o_format_{i}")
        replies = await converse(resident, *script)
        assert "请核对预约信息" in replies[-1], replies[-1]
        assert "预约成功" in await resident.say("1")
    # Asking for a person in the middle of a form, with the numbers in the same message.
    asker = user(server, "o_asker")
    await converse(asker, *home_visit_script()[:2])
    reply = await asker.say(f"转人工，我妈身份证{ids[1]}电话{phones[1]}")
    assert "人工" in reply
    # An abandoned form: ID, phone and address typed, never confirmed.
    quitter = user(server, "o_quitter")
    script = home_visit_script()
    script[2], script[3] = ID_FORMATS[1](ids[2]), PHONE_FORMATS[2](phones[2])
    await converse(quitter, *script[:5])
    # A low rating whose comment carries a phone number.
    number = (await services.store.bookings.find_one({"booked_by": "o_format_0"}))["number"]
    for action in ("accept", "assign", "start", "complete"):
        assert (await admin(server, f"bookings/{number}/{action}", {"staff": "李明"}))[0] == 200
    await user(server, "o_format_0").say(f"1分 太慢了，有事打我电话 {PHONE_FORMATS[3](phones[0])}")
    await services.inbox.drain()

    assert "form" in await services.assistant.dialogs.get("o_quitter")  # the abandoned form is kept...
    leaks = []
    for collection, value in await strings_in_store(services):
        flat = digits(value).upper()
        for secret in ids + phones:
            if secret.upper() in flat:
                leaks.append((collection, value[:80]))
    assert leaks == []  # ...but sealed: no full number in any collection, in any format
    # The form still works from its sealed values: the quitter can confirm and staff can reveal.
    _code, listed = await admin(server, "bookings?status=submitted&limit=50")
    assert all("*" in b["beneficiary"]["phone"] for b in listed["bookings"])


async def test_a_staff_member_sees_full_contact_on_the_detail_and_the_view_is_audited(server, services):
    _resident, number = await book_home_visit_for_mother(server, "o_reveal")
    code, detail = await admin(server, f"bookings/{number}?staff=李明")
    assert code == 200
    assert detail["contact"]["phone"] == "13812345678" and detail["contact"]["address"].startswith("大山包镇")
    assert detail["beneficiary"]["phone"] == "138****5678"
    entry = await services.store.audit.find_one({"action": "view_contact"})
    assert entry["actor"] == "staff:李明" and entry["target"] == f"booking:{number}"
    code, _ = await admin(server, f"bookings/{number}")  # nobody named: refused
    assert code == 400


@pytest.mark.parametrize("answer", [make_id(), "139 8765 4321", "12月3日"])
async def test_a_form_answer_after_a_lost_form_is_answered_politely(server, answer):
    assert await user(server, "o_restarted").say(answer) == texts.FORM_LOST


# ---- abuse limits ----


async def test_invite_codes_cannot_be_guessed_and_expire(server, services):
    station = services.bookings.stations.townships()[0]["code"]
    code, invite = await admin(server, "invites", {"station": station, "name": "李春梅", "staff": "李明"})
    assert code == 201 and re.fullmatch(r"YQ[2-9A-HJKMNP-Z]{8}", invite["code"])
    guesser = user(server, "o_guesser")
    for i in range(10):
        assert "无效" in await guesser.say(f"绑定 YQ{i:08d}")
    assert "次数太多" in await guesser.say(f"绑定 {invite['code']}")  # locked: even the right code fails
    assert (await services.store.users.find_one({"openid": "o_guesser"})) is None
    assert "绑定成功" in await user(server, "o_real_proxy").say(f"绑定 {invite['code'].lower()}")
    # An expired code binds no one.
    _code, old = await admin(server, "invites", {"station": station, "staff": "李明"})
    await services.store.invites.update_one(
        {"code": old["code"]}, {"$set": {"expires_at": datetime.now(UTC) - timedelta(days=1)}}
    )
    assert "过期" in await user(server, "o_late").say(f"绑定 {old['code']}")


async def test_open_bookings_per_resident_are_capped_politely(server, services):
    for _ in range(5):
        await services.bookings.create(proxy_request(services, "o_greedy"))
    with pytest.raises(LimitReached):
        await services.bookings.create(proxy_request(services, "o_greedy"))
    reply = await user(server, "o_greedy").say("预约代办低保")
    assert "已有5个预约" in reply and "给谁办" not in reply
    assert await services.store.bookings.count_documents({"booked_by": "o_greedy"}) == 5


async def test_messages_over_the_rate_limit_get_one_polite_reply_then_silence(server):
    resident = user(server, "o_flood")
    replies = [await resident.say(f"你好{i}") for i in range(32)]
    assert all(r and r != texts.TOO_FAST for r in replies[:30])
    assert replies[30] == texts.TOO_FAST and replies[31] is None
    assert await user(server, "o_calm").say("你好")  # others are unaffected


async def test_admin_list_pages_filters_and_looks_up_by_number(server, services):
    made = [await services.bookings.create(proxy_request(services, f"o_page_{i}")) for i in range(7)]
    seen, cursor = [], ""
    for _ in range(4):
        code, page = await admin(server, f"bookings?status=submitted&limit=3{'&cursor=' + cursor if cursor else ''}")
        assert code == 200 and len(page["bookings"]) <= 3
        seen += [b["number"] for b in page["bookings"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(b["number"] for b in made) and len(seen) == 7
    _code, one = await admin(server, f"bookings?number={made[3]['number']}")
    assert [b["number"] for b in one["bookings"]] == [made[3]["number"]]
    _code, none = await admin(server, "bookings?kind=home_visit")
    assert none["bookings"] == []
    for bad in ("limit=0", "limit=abc", "cursor=nonsense", "status=lost"):
        assert (await admin(server, f"bookings?{bad}"))[0] == 400


async def test_booking_numbers_continue_when_the_counter_is_lost(services):
    first = await services.bookings.create(proxy_request(services, "o_num_1"))
    await services.store.counters.delete_many({})  # as after a restart that kept the data but not the counter
    second = await services.bookings.create(proxy_request(services, "o_num_2"))
    assert second["number"][:10] == first["number"][:10] and int(second["number"][10:]) > int(first["number"][10:])


async def test_numbers_on_a_volatile_store_start_past_any_earlier_run_of_the_day(services):
    services.store.volatile = True  # the in-memory store: a restart forgets bookings residents still hold
    booking = await services.bookings.create(proxy_request(services, "o_volatile"))
    started = services.bookings.started_at.astimezone(timezone(timedelta(hours=8)))
    assert int(booking["number"][10:]) > (started.hour * 60 + started.minute) * 6


# ---- no 500, ever ----


def signed_url(server, timestamp: str | None = None, nonce: str | None = None, openid: str = "o_x") -> str:
    from bot.simulate import sign

    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or str(time.monotonic_ns())
    return f"{server.url}/wechat?signature={sign(TOKEN, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={openid}"


def callback(content: str = "你好", create_time: str | None = None, msg_id: str = "1001", source: str = "o_odd") -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{source}]]></FromUserName>"
        f"<CreateTime>{create_time or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{content}</Content><MsgId>{msg_id}</MsgId></xml>"
    )


@pytest.mark.parametrize(
    "body",
    [
        callback(content="<b>x</b>"),
        callback(content="x").replace("<Content>", '<Content a="1">'),
        callback(create_time="abc"),
        callback(create_time=str(10**30)),
        callback(msg_id="abc"),
        callback(msg_id=str(2**70)),
        callback(source="o]]></ToUserName><Content><![CDATA[INJECTED"),
        callback(source="o<x/>"),
        callback().replace("<MsgType><![CDATA[text]]></MsgType>", "<MsgType><a>text</a></MsgType>"),
        "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>location</MsgType><Location_X>nan</Location_X><Location_Y>1</Location_Y><MsgId>5</MsgId></xml>",
    ],
)
async def test_signed_callbacks_with_odd_field_types_are_400(server, body):
    r = await fetch(signed_url(server), "POST", body)
    assert r.code == 400, r.body
    assert b"INJECTED" not in r.body and b"Traceback" not in r.body


async def test_a_signature_cannot_be_reused_with_another_body(server):
    ts, nonce = str(int(time.time())), "77777"
    first = callback("第一条", msg_id="9001", source="o_replay")
    assert (await fetch(signed_url(server, ts, nonce), "POST", first)).code == 200
    assert (await fetch(signed_url(server, ts, nonce), "POST", first)).code == 200  # WeChat's own retry
    forged = callback("伪造的消息", msg_id="9002", source="o_replay")
    assert (await fetch(signed_url(server, ts, nonce), "POST", forged)).code == 403


async def test_tornados_uncaught_exception_log_is_scrubbed(server, services, caplog, monkeypatch):
    async def broken(message):
        raise RuntimeError("boom")

    monkeypatch.setattr(services.inbox, "receive", broken)
    url = signed_url(server, nonce="4242424242", openid="o_query_openid")
    with caplog.at_level(logging.INFO):
        r = await fetch(url, "POST", callback(source="o_secret_openid"))
    assert r.code == 500
    logged = "\n".join(rec.getMessage() + (rec.exc_text or "") for rec in caplog.records)
    assert "Uncaught exception" in logged
    signature = re.search(r"signature=([0-9a-f]+)", url).group(1)
    assert signature not in logged and "4242424242" not in logged and "o_query_openid" not in logged


async def test_admin_api_refuses_deep_nesting_and_wrong_types(server, services):
    number = (await services.bookings.create(proxy_request(services, "o_types")))["number"]
    url = f"{server.url}/api/v1/admin/bookings/{number}/reject"
    r = await fetch(url, "POST", "[" * 50_000, headers=ADMIN)
    assert r.code == 400 and json.loads(r.body)["error"]["status"] == 400
    for body in ({"staff": "李明", "reason": None}, {"staff": "李明", "reason": 5}, {"staff": ["x"], "reason": "r"}, []):
        r = await fetch(url, "POST", json.dumps(body), headers=ADMIN)
        assert r.code == 400, body
    assert (await services.store.bookings.find_one({"number": number}))["status"] == "submitted"


async def test_sandbox_refuses_odd_outbox_queries(wechat_api):
    for q in ("after=abc", "wait=nan", "wait=inf", "after=-1", "wait=-3"):
        r = await fetch(f"{wechat_api.url}/outbox?openid=o&{q}", request_timeout=5)
        assert r.code == 400, q


async def test_a_long_request_id_is_not_echoed(server):
    r = await fetch(f"{server.url}/healthz", headers={"X-Request-Id": "x" * 500})
    assert len(r.headers["X-Request-Id"]) <= 64
    r = await fetch(f"{server.url}/healthz", headers={"X-Request-Id": "abc-123"})
    assert r.headers["X-Request-Id"] == "abc-123"


async def test_a_half_sent_body_does_not_hold_the_connection(services):
    from tornado.testing import bind_unused_port

    from bot.__main__ import http_server
    from bot.app import make_app

    sock, port = bind_unused_port()
    srv = http_server(make_app(services), body_timeout=0.5, idle_connection_timeout=0.5)
    srv.add_sockets([sock])
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /wechat HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<xml>")
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), timeout=5)  # the server gives up and closes
        assert closed == b"" or b"400" in closed
        writer.close()
    finally:
        srv.stop()
    assert socket  # (the raw socket API is what a slowloris client uses)
