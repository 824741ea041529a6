"""Finding 3 (issue 21): a client cannot choose its own address. Forwarding headers count only from
BOT_TRUSTED_PROXIES; the per-address login limit, the console's throttle and the audit log all use the result."""

from __future__ import annotations

import secrets

import pytest

from handlers.proxies import TrustedProxies
from settings import Settings, SettingsError
from tests.api_utils import MiniProgramUser
from tests.staff_http import StaffBrowser


async def mini_program_login(server, wechat_api, headers: dict) -> int:
    client = MiniProgramUser(server.url, wechat_api.state, "o_rotating")
    code = "code-" + secrets.token_hex(6)
    wechat_api.state.wxa_codes[code] = {"openid": f"o_rot_{secrets.token_hex(3)}"}
    return (await client.call("POST", "/api/v1/login", {"code": code}, auth=False, headers=headers)).status


async def test_rotating_forwarding_headers_do_not_get_past_the_login_limit(server, wechat_api, services):
    assert services.config.trusted_proxies == () and services.config.api_login_per_minute == 20
    statuses = []
    for i in range(24):
        forged = f"198.51.100.{i + 1}"
        statuses.append(await mini_program_login(server, wechat_api, {"X-Real-IP": forged, "X-Forwarded-For": forged}))
    assert statuses == [200] * 20 + [429] * 4


async def test_the_console_throttle_and_the_audit_log_see_the_peer_not_the_header(server, services):
    browser = StaffBrowser(server, headers={"X-Real-IP": "203.0.113.66", "X-Forwarded-For": "203.0.113.66"})
    await browser.post("/console/login", {"username": "nobody", "password": "wrong-password-1"})
    entry = await services.store.audit.find_one({"action": "login_failed"})
    assert entry["target"] == "address:127.0.0.1"
    assert await services.store.login_throttle.find_one({"_id": {"$regex": "203.0.113.66"}}) is None


async def test_behind_a_trusted_proxy_its_headers_give_the_client_address(server, services):
    server.app.proxies = TrustedProxies(Settings.from_env({"BOT_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}).trusted_proxies)
    real_ip = StaffBrowser(server, headers={"X-Real-IP": "203.0.113.9", "X-Forwarded-For": "6.6.6.6"})
    await real_ip.post("/console/login", {"username": "nobody", "password": "wrong-password-1"})
    # Without X-Real-IP: the right-most X-Forwarded-For hop that is not one of our proxies (the left is the client's to write).
    chain = StaffBrowser(server, headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.1.2.3"})
    await chain.post("/console/login", {"username": "nobody", "password": "wrong-password-1"})
    targets = [e["target"] async for e in services.store.audit.find({"action": "login_failed"}).sort("at", 1)]
    assert targets == ["address:203.0.113.9", "address:203.0.113.7"]


def test_the_setting_is_checked_at_start():
    assert Settings.from_env({}).trusted_proxies == ()
    assert Settings.from_env({"BOT_TRUSTED_PROXIES": "10.0.0.5,192.168.0.0/16"}).trusted_proxies == (
        "10.0.0.5/32",
        "192.168.0.0/16",
    )
    with pytest.raises(SettingsError, match="BOT_TRUSTED_PROXIES"):
        Settings.from_env({"BOT_TRUSTED_PROXIES": "nginx.local"})
