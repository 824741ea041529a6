"""Finding 9 (issue 21), the low ones, through the real server: notes only on one's own chats, msgSecCheck
"review" verdicts and failures kept and shown to staff, the password policy, and an access token that dies at
its refresh. (At most three live sockets per session: tests/test_live_feed.py.)"""

from __future__ import annotations

from tests.api_utils import signed_in
from tests.console_utils import PASSWORD, make_staff, open_all_day
from tests.staff_http import StaffBrowser
from tests.test_api import proxy_form
from tests.utils import user


async def signed(server, services, name: str, role: str = "agent") -> StaffBrowser:
    await make_staff(services, name, role)
    browser = StaffBrowser(server)
    await browser.login(name)
    return browser


async def test_agents_note_only_their_own_chats_and_supervisors_any(server, services):
    open_all_day(services)
    alice = await signed(server, services, "alice")
    bob = await signed(server, services, "bob")
    sue = await signed(server, services, "sue", "supervisor")
    await user(server, "o_notes").say("转人工")
    chat = await services.store.escalations.find_one({"openid": "o_notes"})
    path = f"/console/chats/{chat['_id']}"
    assert (await bob.post(path + "/note", {"text": "抢先备注"}, Accept="application/json")).code == 409  # waiting: nobody's yet
    assert (await alice.post(path + "/claim", Accept="application/json")).code == 200
    assert (await alice.post(path + "/note", {"text": "老人腿脚不便"}, Accept="application/json")).code == 200
    refused = await bob.post(path + "/note", {"text": "别人的会话"}, Accept="application/json")
    assert refused.code == 403 and "alice" in refused.body.decode()
    assert (await sue.post(path + "/note", {"text": "班长批注"}, Accept="application/json")).code == 200
    notes = (await services.store.escalations.find_one({"_id": chat["_id"]}))["notes"]
    assert [(n["by"], n["text"]) for n in notes] == [("alice", "老人腿脚不便"), ("sue", "班长批注")]


async def test_review_verdicts_and_failed_checks_are_kept_and_shown_to_staff(server, wechat_api, services):
    sue = await signed(server, services, "sue", "supervisor")
    alice = await signed_in(server, wechat_api, "o_wxa_review")
    first = (await alice.book(proxy_form(services))).json["number"]
    reply = await alice.call("POST", f"/api/v1/bookings/{first}/cancel", {"reason": "待审词 不去了"})
    assert reply.status == 200
    booking = await services.store.bookings.find_one({"number": first})
    assert booking["content_review"] is True and booking["content_review_fields"] == ["reason"]
    page = (await sue.get(f"/console/bookings/{first}")).body.decode()
    assert "需要人工复核" in page and "取消原因" in page and "提示可疑" in page

    wechat_api.state.refuse["msg_sec_check"] = -1  # the check itself fails
    second = (await alice.book(proxy_form(services))).json
    assert second["number"]
    booking = await services.store.bookings.find_one({"number": second["number"]})
    assert booking["content_review_unchecked"] is True and set(booking["content_review_fields"]) == {"name"}
    page = (await sue.get(f"/console/bookings/{second['number']}")).body.decode()
    assert "需要人工复核" in page and "无法完成" in page
    nick = await alice.call("PATCH", "/api/v1/me", {"nickname": "小张"})
    assert nick.status == 200
    marked = await services.store.wxa_users.find_one({"_id": "o_wxa_review"})
    assert marked["content_review_unchecked"] is True and marked["content_review_fields"] == ["nickname"]


async def test_weak_passwords_are_refused_by_the_policy(server, services):
    carol = await signed(server, services, "carol")
    before = (await services.console.accounts.get("carol"))["password_hash"]
    for weak, why in (
        ("Short1!", "至少 10 位"),
        ("alllowercaseletters", "至少三类"),
        ("Carol-2026-pass", "用户名"),
        ("Admin@123456", "太常见"),
        ("P@ssw0rd123", "太常见"),
    ):
        reply = await carol.post(
            "/console/password", {"old_password": PASSWORD, "new_password": weak, "new_password_again": weak}
        )
        assert reply.code == 400 and why in reply.body.decode(), weak
    assert (await services.console.accounts.get("carol"))["password_hash"] == before
    good = "Duty-desk 2026"
    reply = await carol.post("/console/password", {"old_password": PASSWORD, "new_password": good, "new_password_again": good})
    assert reply.code == 200


async def test_an_access_token_dies_when_it_is_refreshed(server, wechat_api, services):
    alice = await signed_in(server, wechat_api, "o_wxa_refresh")
    old = alice.tokens["access_token"]
    assert (await alice.call("GET", "/api/v1/me")).status == 200
    fresh = await alice.call("POST", "/api/v1/token/refresh", {"refresh_token": alice.tokens["refresh_token"]}, auth=False)
    assert fresh.status == 200
    stale = await alice.call("GET", "/api/v1/me", auth=False, headers={"Authorization": "Bearer " + old})
    assert stale.status == 401 and stale.error["code"] == "token_revoked"
    now = await alice.call("GET", "/api/v1/me", auth=False, headers={"Authorization": "Bearer " + fresh.json["access_token"]})
    assert now.status == 200
