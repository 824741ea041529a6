"""The /wechat callback end to end through the real HTTP server: verification, modes, replies, bad input."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
import xmltodict
from tornado.httpclient import AsyncHTTPClient

from bot.app import make_app
from bot.simulate import WeChatUser, sign
from bot.store import Store
from tests.conftest import serve
from tests.utils import TOKEN, build_test_services, db_name, user

# WeChat's published safe-mode sample (also in wechatpy's tests).
SAMPLE_TOKEN = "123456"
SAMPLE_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
SAMPLE_APPID = "wx49f0ab532d5d035a"
SAMPLE_XML = """<xml><ToUserName><![CDATA[wx49f0ab532d5d035a]]></ToUserName>
<Encrypt><![CDATA[RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0=]]></Encrypt>
<AgentID><![CDATA[1]]></AgentID>
</xml>"""
SAMPLE_MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
SAMPLE_TIMESTAMP = "1411525903"
SAMPLE_NONCE = "461056294"
SAMPLE_ECHO = {
    "msg_signature": "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96",
    "timestamp": "1411443780",
    "nonce": "437374425",
    "echostr": "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q==",
}


async def fetch(url: str, method: str = "GET", body: bytes | None = None):
    return await AsyncHTTPClient().fetch(url, method=method, body=body, raise_error=False)


def query(**params) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


# ---- URL verification ----


async def test_get_verification_echoes_echostr(server):
    ts, nonce = str(int(time.time())), "123"
    q = query(signature=sign(TOKEN, ts, nonce), timestamp=ts, nonce=nonce, echostr="hello42")
    r = await fetch(f"{server.url}/wechat?{q}")
    assert r.code == 200
    assert r.body == b"hello42"


async def test_get_verification_with_wrong_signature_is_403(server):
    ts = str(int(time.time()))
    r = await fetch(f"{server.url}/wechat?" + query(signature="0" * 40, timestamp=ts, nonce="1", echostr="x"))
    assert r.code == 403
    assert b"hello" not in r.body and b"Traceback" not in r.body


@pytest.fixture
async def sample_server(wechat_api):
    """A server configured with WeChat's sample credentials; their timestamps are from 2014."""
    from settings import Settings

    cfg = Settings(
        wechat_token=SAMPLE_TOKEN,
        wechat_aes_key=SAMPLE_AES_KEY,
        wechat_appid=SAMPLE_APPID,
        wechat_max_skew=0,
        wechat_api_base=wechat_api.url + "/",
        mongodb_db=db_name(),
    )
    services = await build_test_services(cfg, Store.connect("mongomock://", cfg.mongodb_db))
    srv = await serve(make_app(services))
    yield srv
    srv.http_server.stop()
    await services.inbox.drain()
    services.close()


async def test_safe_mode_url_verification_with_wechat_sample(sample_server):
    r = await fetch(f"{sample_server.url}/wechat?" + query(**SAMPLE_ECHO))
    assert r.code == 200
    assert r.body and r.body != SAMPLE_ECHO["echostr"].encode()


def sample_query(msg_signature: str) -> str:
    """The query WeChat sends with its sample message (the plain signature is computed, not published)."""
    return query(
        signature=sign(SAMPLE_TOKEN, SAMPLE_TIMESTAMP, SAMPLE_NONCE),
        timestamp=SAMPLE_TIMESTAMP,
        nonce=SAMPLE_NONCE,
        encrypt_type="aes",
        msg_signature=msg_signature,
    )


async def test_safe_mode_message_with_wechat_sample_vector(sample_server):
    q = sample_query(SAMPLE_MSG_SIGNATURE)
    r = await fetch(f"{sample_server.url}/wechat?{q}", "POST", SAMPLE_XML.encode())
    assert r.code == 200
    outer = xmltodict.parse(r.body)["xml"]
    assert set(outer) >= {"Encrypt", "MsgSignature", "TimeStamp", "Nonce"}
    # Decrypt the reply the way WeChat would and check it answers the sample's sender.
    resident = WeChatUser(sample_server.url, "messense", SAMPLE_TOKEN, SAMPLE_APPID, SAMPLE_AES_KEY, safe=True)
    reply = resident.read_reply(r.body)
    assert reply["ToUserName"] == "messense"
    assert reply["MsgType"] == "text" and reply["Content"]


async def test_safe_mode_with_wrong_msg_signature_is_403(sample_server):
    q = sample_query("f" * 40)
    r = await fetch(f"{sample_server.url}/wechat?{q}", "POST", SAMPLE_XML.encode())
    assert r.code == 403


# ---- messages ----


async def test_plain_text_question_is_answered_from_the_knowledge_base(server):
    reply = await user(server).say("身份证丢了怎么补办")
    assert "居民身份证补领" in reply
    assert "/guide/GA-003" in reply


async def test_safe_mode_text_gets_an_encrypted_reply(server):
    resident = user(server, safe=True)
    response = await resident.post_xml(resident.text_xml("社保卡丢了怎么补"))
    assert response.code == 200
    assert b"<Encrypt>" in response.body and "社会保障卡".encode() not in response.body
    assert "社会保障卡补换" in resident.read_reply(response.body)["Content"]


async def test_compatible_mode_plain_request_gets_plain_reply(server):
    # With an AES key configured, a request without encrypt_type=aes is answered in plain text.
    response = await user(server).post_xml(user(server).text_xml("你好"))
    assert response.code == 200 and b"<Encrypt>" not in response.body
    assert "您好" in xmltodict.parse(response.body)["xml"]["Content"]


async def test_voice_uses_recognition_or_asks_to_type(server):
    resident = user(server)
    assert "低保" in await resident.send(resident.voice_xml("我想申请低保"))
    assert "打字" in await resident.send(resident.voice_xml(""))


async def test_subscribe_gets_a_short_welcome(server):
    resident = user(server)
    welcome = await resident.send(resident.event_xml("subscribe"))
    assert "欢迎" in welcome and "代办" in welcome and len(welcome.splitlines()) <= 6


async def test_menu_click_is_routed_by_key(server):
    resident = user(server)
    reply = await resident.send(resident.event_xml("CLICK", "MENU_HUMAN"))
    assert "人工" in reply
    assert await server.app.settings["store"].escalations.count_documents({"openid": resident.openid}) == 1


async def test_image_gets_polite_reply_and_unknown_type_gets_success(server):
    resident = user(server)
    assert "文字" in await resident.send(resident.xml("image", {"PicUrl": "http://x/p.jpg", "MediaId": "m"}))
    response = await resident.post_xml(resident.xml("miniprogrampage", {"Title": "x"}))
    assert response.code == 200 and response.body == b"success"


async def test_messages_are_recorded_with_how_they_were_answered(server, services):
    resident = user(server)
    await resident.say("结婚登记要带什么")
    await services.inbox.drain()
    inbound = await services.store.messages.find_one({"direction": "in", "openid": resident.openid})
    assert inbound["content"] == "结婚登记要带什么" and inbound["type"] == "text" and inbound["created_at"]
    outbound = await services.store.messages.find_one({"direction": "out", "openid": resident.openid})
    assert outbound["in_reply_to"] == inbound["_id"] and outbound["answered_by"] == "passive"
    assert "结婚登记" in outbound["content"]


# ---- retries ----


async def test_retry_of_answered_message_gets_same_reply_and_is_not_processed_twice(server, services):
    resident = user(server)
    xml = resident.text_xml("低保怎么申请", msg_id=777001)
    first = await resident.send(xml)
    await services.inbox.drain()
    second = await resident.send(xml)
    assert first == second
    assert await services.store.messages.count_documents({"_id": "msg:777001"}) == 1
    assert await services.store.messages.count_documents({"direction": "out", "in_reply_to": "msg:777001"}) == 1


async def test_concurrent_retries_start_one_run(server, services):
    calls = []
    original = services.assistant.answer

    async def slow_answer(message):
        calls.append(message.id)
        await asyncio.sleep(0.3)
        return await original(message)

    services.inbox._answer = slow_answer
    resident = user(server)
    xml = resident.text_xml("高龄津贴怎么领", msg_id=777002)
    replies = await asyncio.gather(*(resident.send(xml) for _ in range(3)))
    assert calls == [777002]
    assert len(set(replies)) == 1 and "高龄津贴" in replies[0]


async def test_event_retries_are_deduped_by_sender_and_create_time(server, services):
    resident = user(server)
    xml = resident.event_xml("CLICK", "MENU_HUMAN", create_time=1700000000)
    await resident.send(xml)
    await resident.send(xml)
    await services.inbox.drain()
    assert await services.store.messages.count_documents({"openid": resident.openid, "direction": "in"}) == 1


async def test_slow_answer_replies_success_then_customer_service_message(server, services, wechat_api):
    original = services.assistant.answer

    async def slow_answer(message):
        await asyncio.sleep(0.6)
        return await original(message)

    services.inbox._answer = slow_answer
    services.inbox.budget = 0.2
    resident = user(server, openid="o_slow")
    started = time.monotonic()
    assert await resident.say("公积金租房提取") is None
    assert time.monotonic() - started < 0.5
    await services.inbox.drain()
    sent = wechat_api.state.messages_to("o_slow")
    assert len(sent) == 1 and "住房公积金提取（租房）" in sent[0]["text"]["content"]
    doc = await services.store.messages.find_one({"openid": "o_slow", "direction": "out"})
    assert doc["answered_by"] == "customer_service" and "住房公积金" in doc["content"]


# ---- bad input ----


async def test_missing_signature_is_403(server):
    r = await fetch(f"{server.url}/wechat", "POST", b"<xml/>")
    assert r.code == 403


async def test_stale_timestamp_is_403(server):
    resident = user(server)
    old = str(int(time.time()) - 3600)
    r = await resident.post_xml(resident.text_xml("你好"), timestamp=old)
    assert r.code == 403


async def test_oversized_body_is_413(server):
    resident = user(server)
    r = await resident.post_xml(resident.text_xml("低保" * 40000))
    assert r.code == 413


@pytest.mark.parametrize(
    "body",
    [
        "<xml><MsgType>text</MsgType>",  # truncated
        "not xml at all",
        "<xml><ToUserName>a</ToUserName></xml>",  # no MsgType / sender
    ],
)
async def test_malformed_xml_is_400(server, body):
    r = await user(server).post_xml(body)
    assert r.code == 400
    assert b"Traceback" not in r.body


async def test_entity_expansion_is_refused(server):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        "<xml><ToUserName>x</ToUserName><FromUserName>u</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>text</MsgType><Content>&b;</Content><MsgId>1</MsgId></xml>"
    )
    r = await user(server).post_xml(bomb)
    assert r.code == 400


async def test_undecryptable_safe_mode_payload_is_400(server):
    resident = user(server, safe=True)
    ts, nonce = str(int(time.time())), "42"
    garbage = "bm90IGVuY3J5cHRlZA=="
    body = f"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[{garbage}]]></Encrypt></xml>"
    q = query(
        signature=sign(TOKEN, ts, nonce),
        timestamp=ts,
        nonce=nonce,
        encrypt_type="aes",
        msg_signature=sign(TOKEN, ts, nonce, garbage),
    )
    r = await fetch(f"{resident.base_url}/wechat?{q}", "POST", body.encode())
    assert r.code == 400


async def test_skew_check_can_be_turned_off(services, wechat_api):
    services.config = dataclasses.replace(services.config, wechat_max_skew=0)
    srv = await serve(make_app(services))
    try:
        resident = user(srv)
        r = await resident.post_xml(resident.text_xml("你好"), timestamp=str(int(time.time()) - 86400))
        assert r.code == 200
    finally:
        srv.http_server.stop()


async def test_healthz_reports_store_and_knowledge_base(server):
    r = await fetch(f"{server.url}/healthz")
    import json

    data = json.loads(r.body)
    assert r.code == 200 and data["store"]["ok"] and data["knowledge_base"]["items"] >= 100


class _DownCollection:
    """A collection whose server cannot be reached."""

    def __getattr__(self, name):
        async def fail(*args, **kwargs):
            from pymongo.errors import ServerSelectionTimeoutError

            raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")

        return fail


class _DownDatabase:
    def __getitem__(self, name):
        return _DownCollection()

    async def command(self, *args, **kwargs):
        from pymongo.errors import ServerSelectionTimeoutError

        raise ServerSelectionTimeoutError("connection refused")


async def test_mongodb_down_still_answers_from_the_in_memory_index_and_health_says_so(server, services):
    services.store.db = _DownDatabase()
    reply = await user(server, "o_down").say("身份证丢了怎么补办")
    assert "居民身份证补领" in reply
    r = await fetch(f"{server.url}/healthz")
    assert r.code == 503 and b'"ok": false' in r.body
