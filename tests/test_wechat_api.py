"""Outbound WeChat API through the fake WeChat server: shared access token, renewal, no stampede."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from pathlib import Path

import pytest

from bot.wechat.api import WeChatAPI, WeChatAPIError
from tests.utils import TOKEN, user

ROOT = Path(__file__).resolve().parent.parent


async def test_token_is_fetched_once_and_shared_by_concurrent_callers_and_processes(services, wechat_api):
    # Two WeChatAPI objects on one database stand for two server processes.
    other_process = WeChatAPI(services.config, services.store)
    try:
        await asyncio.gather(
            *(api.send_text("o_a", f"消息{i}") for i in range(6) for api in (services.wechat_api, other_process))
        )
    finally:
        other_process.close()
    assert wechat_api.state.token_requests == 1
    assert len(wechat_api.state.messages_to("o_a")) == 12
    doc = await services.store.tokens.find_one({"_id": services.config.wechat_appid})
    assert doc["expires_at"] > time.time() + 7000 and "lease_until" not in doc


async def test_token_rejected_by_wechat_is_renewed_once_and_the_call_retried(services, wechat_api):
    await services.wechat_api.send_text("o_b", "第一条")
    wechat_api.state.expire_all_tokens()  # WeChat invalidated it (e.g. another system fetched one)
    await services.wechat_api.send_text("o_b", "第二条")
    assert wechat_api.state.token_requests == 2
    assert [m["text"]["content"] for m in wechat_api.state.messages_to("o_b")] == ["第一条", "第二条"]


async def test_token_near_expiry_is_refreshed_before_use(services, wechat_api):
    wechat_api.state.token_ttl = 200  # shorter than the refresh margin
    await services.wechat_api.send_text("o_c", "一")
    await services.wechat_api.send_text("o_c", "二")
    assert wechat_api.state.token_requests == 2


async def test_other_wechat_errors_surface_with_their_code(services, wechat_api):
    wechat_api.state.reject_next = [45015]  # user has not talked to the account for 48 hours
    with pytest.raises(WeChatAPIError) as err:
        await services.wechat_api.send_text("o_d", "你好")
    assert err.value.errcode == 45015


async def test_simulator_holds_a_conversation_with_the_server(server):
    env = {**os.environ, "WECHAT_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.simulate",
        "--url",
        server.url,
        "--openid",
        "o_sim",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    out, err = await asyncio.wait_for(proc.communicate("你好\n/subscribe\n低保要什么材料\n/quit\n".encode()), 60)
    text = out.decode()
    assert proc.returncode == 0, err.decode()
    assert "您好" in text and "欢迎关注" in text and "最低生活保障申请" in text


async def test_bad_requests_are_logged_once_without_secrets(server, caplog):
    resident = user(server)
    with caplog.at_level(logging.INFO):
        r = await resident.post_xml(resident.text_xml("我的身份证号530602194803121234"), timestamp="1")
    assert r.code == 403
    lines = [rec.getMessage() for rec in caplog.records if "rejected" in rec.getMessage()]
    assert len(lines) == 1 and "stale timestamp" in lines[0]
    assert "signature=[hidden]" in lines[0] and "nonce=[hidden]" in lines[0]
    assert "530602194803121234" not in caplog.text


async def test_stored_chat_masks_id_and_phone_numbers(server, services):
    await user(server, "o_mask").say("我妈身份证530602194803121234 电话13812345678")
    await services.inbox.drain()
    doc = await services.store.messages.find_one({"openid": "o_mask", "direction": "in"})
    assert doc["content"] == "我妈身份证5306**********1234 电话138****5678"


async def test_nearby_station_question_asks_for_location(server):
    reply = await user(server).say("附近的服务站在哪")
    assert "位置" in reply and "昭通市政务服务中心" in reply
