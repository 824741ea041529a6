"""The mini-program API through the real HTTP server, with WeChat's endpoints served by the fake WeChat API:
login and tokens, catalog and guides, search, stations, bookings, authorization, linking, limits."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

from bot.bookings.service import Actor, BookingRequest
from bot.privacy import parse_id_number
from tests.api_utils import MiniProgramUser, signed_in
from tests.utils import make_id


def workday(services, after_days: int = 1) -> str:
    svc = services.bookings
    return svc.calendar.next_workday(svc.today() + timedelta(days=after_days)).isoformat()


def township(services, n: int = 0) -> str:
    return services.miniprogram.stations.townships()[n]["code"]


def proxy_form(services, **changes) -> dict:
    form = {
        "kind": "proxy",
        "item_code": "MZ-007",
        "name": "张桂芬",
        "id_number": make_id("19430815"),
        "phone": "13912345678",
        "preferred_date": workday(services),
        "station": township(services),
        "relation": "母亲",
    }
    form.update(changes)
    return form


# ---- login and tokens ----


async def test_login_returns_a_token_and_never_the_session_key(server, wechat_api, services, caplog):
    caplog.set_level(logging.DEBUG)
    user = MiniProgramUser(server.url, wechat_api.state, "o_wxa_a")
    reply = await user.login()
    assert reply.status == 200
    body = reply.json
    assert body["access_token"].startswith("v1.") and body["expires_in"] == 30 * 60
    assert body["refresh_token"] and body["user"]["role"] == "resident" and body["user"]["link"] == "none"
    assert "session_key" not in reply.body.decode()
    stored = await services.store.wxa_users.find_one({"_id": "o_wxa_a"})
    assert stored["session_key_enc"].startswith("v1:") and "session_key" not in stored
    # Our own lines (the fake WeChat API's access log and urllib3's DEBUG, which configure_logging silences, aside).
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3") and "[request" in r.getMessage())
    ours += "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("bot", "handlers")))
    assert "/api/v1/login" in ours and "code-" not in ours and body["access_token"] not in ours
    me = await user.call("GET", "/api/v1/me")
    assert me.status == 200 and me.json["role"] == "resident"


async def test_wechat_login_errors_are_actionable(server, wechat_api):
    user = MiniProgramUser(server.url, wechat_api.state, "o_wxa_a")
    wechat_api.state.wxa_codes["once"] = {"openid": "o_wxa_a"}
    first = await user.call("POST", "/api/v1/login", {"code": "once"}, auth=False)
    again = await user.call("POST", "/api/v1/login", {"code": "once"}, auth=False)
    assert first.status == 200
    assert again.status == 400 and again.error["code"] == "code_invalid" and "重新打开小程序" in again.error["message"]
    wechat_api.state.reject["jscode2session"] = [45011, 40226]
    limited = await user.call("POST", "/api/v1/login", {"code": "x1"}, auth=False)
    assert limited.status == 429 and limited.error["code"] == "wechat_rate_limited" and int(limited.headers["Retry-After"]) > 0
    blocked = await user.call("POST", "/api/v1/login", {"code": "x2"}, auth=False)
    assert blocked.status == 403 and blocked.error["code"] == "user_blocked"
    missing = await user.call("POST", "/api/v1/login", {}, auth=False)
    assert missing.status == 400 and missing.error["field"] == "code" and missing.error["message"] == "请填写登录凭证。"
    extra = await user.call("POST", "/api/v1/login", {"code": "y", "admin": True}, auth=False)
    assert extra.status == 400 and extra.error["code"] == "unknown_field"
    garbage = await user.call("POST", "/api/v1/login", raw=b"{not json", auth=False)
    assert garbage.status == 400 and garbage.error["code"] == "invalid_json" and garbage.error["request_id"]


async def test_tokens_expire_rotate_and_can_be_revoked(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    assert (await user.call("GET", "/api/v1/me", auth=False)).error["code"] == "token_missing"
    forged = user.tokens["access_token"][:-3] + "AAA"
    assert (await user.call("GET", "/api/v1/me", headers={"Authorization": f"Bearer {forged}"})).error["code"] == "token_invalid"

    first_refresh = user.tokens["refresh_token"]
    renewed = await user.call("POST", "/api/v1/token/refresh", {"refresh_token": first_refresh}, auth=False)
    assert renewed.status == 200 and renewed.json["refresh_token"] != first_refresh
    user.tokens = renewed.json
    assert (await user.call("GET", "/api/v1/me")).status == 200
    # Right after the rotation the old token gets the same new pair (another request of the same page)...
    late = await user.call("POST", "/api/v1/token/refresh", {"refresh_token": first_refresh}, auth=False)
    assert late.status == 200 and late.json["refresh_token"] == renewed.json["refresh_token"]
    assert late.json["access_token"] == renewed.json["access_token"]
    # ...after the grace period it means someone copied it: the whole session ends, for the copy and the owner.
    accounts = services.miniprogram.accounts
    accounts.clock = lambda: datetime.now(UTC) + timedelta(seconds=31)
    reused = await user.call("POST", "/api/v1/token/refresh", {"refresh_token": first_refresh}, auth=False)
    assert reused.status == 401 and reused.error["code"] == "refresh_invalid"
    assert (await user.call("GET", "/api/v1/me")).error["code"] == "token_revoked"
    accounts.clock = lambda: datetime.now(UTC)

    user = await signed_in(server, wechat_api, "o_wxa_a")
    assert (await user.call("POST", "/api/v1/logout")).status == 204
    assert (await user.call("GET", "/api/v1/me")).error["code"] == "token_revoked"

    user = await signed_in(server, wechat_api, "o_wxa_a")
    accounts.clock = lambda: datetime.now(UTC) + timedelta(minutes=31)
    expired = await user.call("GET", "/api/v1/me")
    assert expired.status == 401 and expired.error["code"] == "token_expired"
    renewed = await user.call("POST", "/api/v1/token/refresh", {"refresh_token": user.tokens["refresh_token"]}, auth=False)
    assert renewed.status == 200


async def test_concurrent_refreshes_with_one_token_keep_the_session(server, wechat_api):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    body = {"refresh_token": user.tokens["refresh_token"]}
    replies = await asyncio.gather(*[user.call("POST", "/api/v1/token/refresh", body, auth=False) for _ in range(3)])
    assert [r.status for r in replies] == [200, 200, 200]
    assert len({r.json["refresh_token"] for r in replies}) == 1 and len({r.json["access_token"] for r in replies}) == 1
    user.tokens = replies[0].json
    assert (await user.call("GET", "/api/v1/me")).status == 200
    again = await user.call("POST", "/api/v1/token/refresh", {"refresh_token": user.tokens["refresh_token"]}, auth=False)
    assert again.status == 200 and again.json["refresh_token"] != user.tokens["refresh_token"]


# ---- catalog, guide, search, stations ----


async def test_catalog_filters_and_pages(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    everything = (await anyone.call("GET", "/api/v1/catalog?limit=50", auth=False)).json
    assert everything["total"] == 120 and everything["has_more"] and len(everything["items"]) == 50
    assert "公安局" in everything["facets"]["departments"] and "法人" in everything["facets"]["audiences"]
    last = (await anyone.call("GET", "/api/v1/catalog?limit=50&page=3", auth=False)).json
    assert len(last["items"]) == 20 and not last["has_more"]
    police = (await anyone.call("GET", "/api/v1/catalog?department=公安局&limit=50", auth=False)).json
    assert police["total"] > 3 and all(i["department"] == "公安局" for i in police["items"])
    business = (await anyone.call("GET", "/api/v1/catalog?audience=法人&limit=50", auth=False)).json
    assert business["total"] and all("法人" in i["audience"] for i in business["items"])
    bad = await anyone.call("GET", "/api/v1/catalog?limit=500", auth=False)
    assert bad.status == 400 and bad.error["field"] == "limit"


async def test_item_guide_is_structured_and_cacheable(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    reply = await anyone.call("GET", "/api/v1/items/GA-001", auth=False)
    guide = reply.json
    assert reply.status == 200 and guide["name"] == "居民身份证首次申领"
    assert guide["materials"][0]["name"] == "居民户口簿" and guide["version"] >= 1 and "aliases" not in guide
    assert guide["guide_url"].endswith("/guide/GA-001")
    guardian = guide["materials"][1]  # only when a guardian comes with a child under 16
    assert (guardian["required"], guardian["need"]) == ("conditional", "未满十六周岁的由监护人陪同申领时提供")
    assert guide["materials"][0]["need"] == "必须提供"
    etag = reply.headers["Etag"]
    cached = await anyone.call("GET", "/api/v1/items/GA-001", auth=False, headers={"If-None-Match": etag})
    assert cached.status == 304 and cached.body == b""
    other = await anyone.call("GET", "/api/v1/items/GA-002", auth=False, headers={"If-None-Match": etag})
    assert other.status == 200
    missing = await anyone.call("GET", "/api/v1/items/XX-999", auth=False)
    assert missing.status == 404 and missing.error["code"] == "item_not_found"


async def test_search_uses_the_bots_matching_and_is_honest(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    typo = (await anyone.call("GET", "/api/v1/search?q=" + "社宝卡丢了咋个补", auth=False)).json
    assert typo["results"][0]["code"] == "RS-005" and typo["confident"] and typo["terms"]
    weather = (await anyone.call("GET", "/api/v1/search?q=" + "明天会下雨吗", auth=False)).json
    assert weather["results"] == [] and weather["intent"] == "out_of_scope" and "没有找到相关的事项" in weather["message"]
    assert "回复" not in weather["message"]
    empty = await anyone.call("GET", "/api/v1/search?q=", auth=False)
    assert empty.status == 400 and empty.error["field"] == "q"


async def test_nearest_stations_and_one_station(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    near = (await anyone.call("GET", "/api/v1/stations/nearby?lat=27.3381&lng=103.7172&limit=3", auth=False)).json
    assert near["stations"][0]["code"] == "ZT-000" and near["stations"][0]["distance_km"] < 1
    assert [s["distance_km"] for s in near["stations"]] == sorted(s["distance_km"] for s in near["stations"])
    one = (await anyone.call("GET", "/api/v1/stations/ZT-000", auth=False)).json
    assert one["phone"] == "96128"
    bad = await anyone.call("GET", "/api/v1/stations/nearby?lat=NaN&lng=103", auth=False)
    assert bad.status == 400 and bad.error["field"] == "lat"
    assert (await anyone.call("GET", "/api/v1/stations/NOPE", auth=False)).status == 404


# ---- bookings ----


async def test_booking_form_says_what_to_ask(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    form = (await user.call("GET", "/api/v1/booking-form?item_code=MZ-007&kind=home_visit")).json
    assert form["offered"] and form["needs_address"] and form["home_visit_min_age"] == 70
    assert {q["key"] for q in form["qualifications"]} >= {"disabled", "bedridden"} and form["stations"]
    refused = (await user.call("GET", "/api/v1/booking-form?item_code=BDC-002&kind=proxy")).json
    assert not refused["offered"] and "需要本人到场" in refused["refusal"]


async def test_booking_is_created_once_per_idempotency_key(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    form = proxy_form(services)
    first = await user.book(form, key="k-0000001")
    assert first.status == 201, first.body
    booking = first.json
    assert booking["number"].startswith("DB") and booking["status"] == "submitted" and booking["can_cancel"]
    assert booking["beneficiary"]["id"].startswith("5306*") and "*" in booking["beneficiary"]["phone"]
    assert booking["required_materials"] == [
        "老年人居民身份证",
        "居民户口簿",
        "本人社会保障卡或惠民惠农财政补贴“一卡通”账户",
        "高龄津贴申请登记表",
    ]
    again = await user.book(form, key="k-0000001")
    assert again.status == 201 and again.json["number"] == booking["number"]
    assert await services.store.bookings.count_documents({}) == 1
    changed = await user.book({**form, "phone": "13900001111"}, key="k-0000001")
    assert changed.status == 409 and changed.error["code"] == "idempotency_conflict"
    no_key = await user.call("POST", "/api/v1/bookings", form)
    assert no_key.status == 400 and no_key.error["code"] == "idempotency_key_required"
    stored = await services.store.bookings.find_one({"number": booking["number"]})
    assert stored["channel"] == "miniprogram" and stored["booked_by"] == "o_wxa_a" and stored["wxa_openid"] == "o_wxa_a"


async def test_booking_fields_get_the_chats_messages(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    bad_id = make_id("19430815")[:-1] + ("0" if make_id("19430815")[-1] != "0" else "1")
    cases = [
        ({"id_number": bad_id}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"name": "怎么办"}, "name"),
        ({"item_code": "XX-999"}, "item_code"),
        ({"station": "NOPE"}, "station"),
        ({"preferred_date": "2020-01-01"}, "preferred_date"),
        ({"item_code": "BDC-002"}, "kind"),  # needs the person in person: no proxy
        ({"kind": "home_visit"}, "address"),
        ({"kind": "home_visit", "address": "大山包镇大山包村5组12号", "id_number": make_id("19900101")}, "qualification"),
    ]
    for change, field in cases:
        reply = await user.book(proxy_form(services, **change))
        assert reply.status == 400 and reply.error["field"] == field, (change, reply.body)
    try:
        parse_id_number(bad_id)
    except ValueError as exc:
        chat_message = str(exc)
    reply = await user.book(proxy_form(services, id_number=bad_id))
    assert reply.error["message"] == chat_message
    assert await services.store.bookings.count_documents({}) == 0
    ok = await user.book(
        proxy_form(
            services,
            kind="home_visit",
            address="大山包镇大山包村5组12号",
            id_number=make_id("19900101"),
            qualification="bedridden",
        )
    )
    assert ok.status == 201 and ok.json["kind"] == "home_visit"


async def test_list_pages_with_a_cursor_and_cancel_and_rate(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    services.bookings.rules = {**services.bookings.rules, "max_open_per_resident": 10}
    numbers = []
    for n in range(5):
        reply = await user.book(proxy_form(services, name=["张桂芬", "李春梅", "王志华", "赵玉兰", "陈国强"][n]))
        numbers.append(reply.json["number"])
    page1 = (await user.call("GET", "/api/v1/bookings?limit=2")).json
    page2 = (await user.call("GET", "/api/v1/bookings?limit=2&cursor=" + page1["next_cursor"])).json
    page3 = (await user.call("GET", "/api/v1/bookings?limit=2&cursor=" + page2["next_cursor"])).json
    seen = [b["number"] for p in (page1, page2, page3) for b in p["bookings"]]
    assert seen == numbers[::-1] and page3["next_cursor"] is None
    assert (await user.call("GET", "/api/v1/bookings?cursor=garbage")).error["field"] == "cursor"

    cancelled = await user.call("POST", f"/api/v1/bookings/{numbers[0]}/cancel", {"reason": "不需要了"})
    assert cancelled.status == 200 and cancelled.json["status"] == "cancelled" and not cancelled.json["can_cancel"]
    twice = await user.call("POST", f"/api/v1/bookings/{numbers[0]}/cancel", {})
    assert twice.status == 409 and twice.error["code"] == "status_conflict"
    closed = (await user.call("GET", "/api/v1/bookings?status=closed")).json["bookings"]
    assert [b["number"] for b in closed] == [numbers[0]]

    early = await user.call("POST", f"/api/v1/bookings/{numbers[1]}/rating", {"score": 5})
    assert early.status == 409
    staff = Actor("staff", "李明")
    for action in ("accept", "assign", "start", "complete"):
        await services.bookings.transition(numbers[1], action, staff, assignee="李明" if action == "assign" else "")
    detail = (await user.call("GET", f"/api/v1/bookings/{numbers[1]}")).json
    assert detail["status"] == "completed" and detail["can_rate"]
    assert [h["status"] for h in detail["history"]] == ["submitted", "accepted", "assigned", "in_progress", "completed"]
    rated = await user.call("POST", f"/api/v1/bookings/{numbers[1]}/rating", {"score": 4, "comment": "办得快，电话13912345678"})
    assert rated.status == 200 and rated.json["rating"] == 4 and not rated.json["can_rate"]
    stored = await services.store.bookings.find_one({"number": numbers[1]})
    assert "13912345678" not in stored["rating"]["comment"]
    out_of_range = await user.call("POST", f"/api/v1/bookings/{numbers[2]}/rating", {"score": 6})
    assert out_of_range.status == 400 and out_of_range.error["field"] == "score"


async def test_nobody_reaches_anyone_elses_booking(server, wechat_api, services):
    alice = await signed_in(server, wechat_api, "o_wxa_alice")
    bob = await signed_in(server, wechat_api, "o_wxa_bob")
    number = (await alice.book(proxy_form(services))).json["number"]
    for method, path, body in [
        ("GET", f"/api/v1/bookings/{number}", None),
        ("POST", f"/api/v1/bookings/{number}/cancel", {}),
        ("POST", f"/api/v1/bookings/{number}/rating", {"score": 1}),
        ("GET", f"/api/v1/bookings/{number}/materials", None),
    ]:
        reply = await bob.call(method, path, body)
        missing = await bob.call(method, path.replace(number, number[:-4] + "9999"), body)
        same = {
            **missing.error,
            "request_id": reply.error["request_id"],
            "message": missing.error["message"].replace("9999", number[-4:]),
        }
        assert reply.status == 404 and reply.error == same, path
    assert (await bob.call("GET", "/api/v1/bookings")).json["bookings"] == []
    assert (await services.store.bookings.find_one({"number": number}))["status"] == "submitted"

    # A proxy of the booking's station sees it; a proxy of another station does not.
    ours, theirs = township(services, 0), township(services, 1)
    for openid, station in (("o_wxa_proxy_1", ours), ("o_wxa_proxy_2", theirs)):
        code = (await services.invites.create(station, "代办员", "admin"))["code"]
        proxy = await signed_in(server, wechat_api, openid)
        bound = await proxy.call("POST", "/api/v1/me/proxy", {"invite_code": code})
        assert bound.status == 200 and bound.json["role"] == "proxy" and bound.json["station"] == station
    p1 = await signed_in(server, wechat_api, "o_wxa_proxy_1")
    p2 = await signed_in(server, wechat_api, "o_wxa_proxy_2")
    assert (await p1.call("GET", f"/api/v1/bookings/{number}")).status == 200
    assert (await p2.call("GET", f"/api/v1/bookings/{number}")).status == 404
    assert (await p2.call("GET", "/api/v1/bookings")).json["bookings"] == []
    # Staff data is not reachable with a mini-program token.
    assert (await alice.call("GET", "/api/v1/admin/bookings")).status == 401


async def test_a_proxy_books_for_a_villager_at_their_own_station(server, wechat_api, services):
    station = township(services, 2)
    code = (await services.invites.create(station, "代办员", "admin"))["code"]
    proxy = await signed_in(server, wechat_api, "o_wxa_proxy")
    await proxy.call("POST", "/api/v1/me/proxy", {"invite_code": code})
    form = proxy_form(services, station=township(services, 0), relation="居民")
    reply = await proxy.book(form)
    assert reply.status == 201 and reply.json["station"] == station  # their own station, whatever was sent
    assert (await services.store.bookings.find_one({}))["booked_by_kind"] == "proxy"


# ---- linking chat and mini-program ----


async def chat_booking(services, openid: str, phone: str = "13712345678") -> dict:
    item = services.knowledge().index.item("RS-005")
    request = BookingRequest(
        kind="proxy",
        item=item,
        booked_by=Actor("resident", openid),
        name="王志华",
        id_card=parse_id_number(make_id("19500101")),
        phone=phone,
        preferred_date=datetime.fromisoformat(workday(services)).date(),
        station=township(services),
    )
    return await services.bookings.create(request)


async def test_unionid_joins_chat_and_mini_program_bookings(server, wechat_api, services):
    from tests.utils import user as wechat_user

    chat = await chat_booking(services, "o_oa_wang")
    wechat_api.state.unionids["o_oa_wang"] = "u_wang"
    follower = wechat_user(server, "o_oa_wang")
    await follower.send(follower.event_xml("subscribe"))  # following the account records the unionid
    for _ in range(50):
        if await services.store.users.find_one({"openid": "o_oa_wang", "unionid": "u_wang"}):
            break
        await asyncio.sleep(0.05)
    mini = await signed_in(server, wechat_api, "o_wxa_wang", unionid="u_wang")
    assert (await mini.call("GET", "/api/v1/me")).json["link"] == "unionid"
    listed = [b["number"] for b in (await mini.call("GET", "/api/v1/bookings")).json["bookings"]]
    assert listed == [chat["number"]]
    made = (await mini.book(proxy_form(services))).json
    stored = await services.store.bookings.find_one({"number": made["number"]})
    assert stored["booked_by"] == "o_oa_wang" and stored["wxa_openid"] == "o_wxa_wang"  # chat sees it too
    assert (await mini.call("POST", f"/api/v1/bookings/{chat['number']}/cancel", {})).status == 200


async def test_a_verified_phone_links_bookings_without_a_unionid(server, wechat_api, services):
    chat = await chat_booking(services, "o_oa_li", phone="13712345678")
    mini = await signed_in(server, wechat_api, "o_wxa_li")
    assert (await mini.call("GET", "/api/v1/bookings")).json["bookings"] == []
    wechat_api.state.phone_codes["pc-1"] = "13712345678"
    bound = await mini.call("POST", "/api/v1/me/phone", {"code": "pc-1"})
    assert bound.status == 200 and bound.json["link"] == "phone" and bound.json["phone"] == "137****5678"
    listed = (await mini.call("GET", "/api/v1/bookings")).json["bookings"]
    assert [b["number"] for b in listed] == [chat["number"]] and not listed[0]["can_cancel"]  # seen, not theirs to cancel
    stored = json.dumps(await services.store.wxa_users.find_one({"_id": "o_wxa_li"}), default=str)
    assert "13712345678" not in stored
    used = await mini.call("POST", "/api/v1/me/phone", {"code": "pc-1"})
    assert used.status == 400 and used.error["code"] == "code_invalid"


# ---- limits, content, notifications ----


async def test_rate_limits_answer_429_with_retry_after(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    services.miniprogram.user_limit.per_minute = 5
    replies = [await user.call("GET", "/api/v1/me") for _ in range(7)]
    assert [r.status for r in replies] == [200] * 5 + [429] * 2
    assert replies[-1].error["code"] == "rate_limited" and 0 < int(replies[-1].headers["Retry-After"]) <= 61
    other = await signed_in(server, wechat_api, "o_wxa_b")
    assert (await other.call("GET", "/api/v1/me")).status == 200  # per user
    services.miniprogram.address_limit.per_minute = 1
    assert (await other.call("GET", "/api/v1/me")).status == 429  # and per address


async def test_typed_text_passes_the_content_check(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    risky = await user.call("PATCH", "/api/v1/me", {"nickname": "违禁词昵称"})
    assert risky.status == 400 and risky.error["code"] == "content_rejected" and risky.error["field"] == "nickname"
    fine = await user.call("PATCH", "/api/v1/me", {"nickname": "老张"})
    assert fine.json["nickname"] == "老张"
    reply = await user.book(proxy_form(services, kind="home_visit", address="违禁词村5组12号"))
    assert reply.status == 400 and reply.error["field"] == "address" and reply.error["code"] == "content_rejected"
    assert await services.store.bookings.count_documents({}) == 0
    assert wechat_api.state.calls["msg_sec_check"] >= 3


async def test_status_changes_reach_a_mini_program_user_who_subscribed(server, wechat_api, services):
    user = await signed_in(server, wechat_api, "o_wxa_a")
    form = (await user.call("GET", "/api/v1/booking-form?item_code=MZ-007&kind=proxy")).json
    booking = (await user.book({**proxy_form(services), "subscribe_templates": form["subscribe_templates"]})).json
    await services.bookings.transition(booking["number"], "accept", Actor("staff", "李明"))
    await services.notifications.drain()
    delivered = wechat_api.state.messages_to("o_wxa_a", "wxa_subscribe")
    assert delivered and booking["number"] in json.dumps(delivered, ensure_ascii=False)
    assert not wechat_api.state.messages_to("o_wxa_a", "custom")  # the Official Account cannot address this openid


# ---- the document and its reference page ----


async def test_every_route_is_in_the_document_with_its_auth(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    doc = (await anyone.call("GET", "/api/v1/openapi.json", auth=False)).json
    assert doc["openapi"] == "3.1.0"
    login = doc["paths"]["/api/v1/login"]["post"]
    assert login["x-auth"] == "public" and login["security"] == []
    schema = doc["components"]["schemas"][login["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    assert schema["required"] == ["code"]
    create = doc["paths"]["/api/v1/bookings"]["post"]
    assert create["security"] == [{"bearer": []}] and {"201", "400", "401", "409", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in create["parameters"])
    unknown = await anyone.call("GET", "/api/v1/nothing-here", auth=False)
    assert unknown.status == 404 and unknown.error["code"] == "no_such_endpoint"


async def test_the_reference_page_renders_every_operation_in_a_browser(server, wechat_api, browser):
    from tests.console_utils import shoot

    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    doc = (await anyone.call("GET", "/api/v1/openapi.json", auth=False)).json
    operations = sum(len(methods) for methods in doc["paths"].values())
    page = await browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(server.url + "/api/v1/docs")
    await page.wait_for_selector("section.op", timeout=20000)
    assert await page.locator("section.op").count() == operations
    login = page.locator("section.op", has_text="/api/v1/login").first
    assert "auth: public" in await login.inner_text()
    await page.fill("#filter", "bookings")
    visible = await page.locator("section.op:visible").count()
    assert 0 < visible < operations
    await page.fill("#filter", "")
    await shoot(page, "api-reference")
    assert errors == []


# ---- materials ----


def photo_with_gps() -> bytes:
    import io

    from PIL import Image

    image = Image.new("RGB", (64, 32), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90°
    exif[0x8825] = {1: "N", 2: (27.0, 20.0, 17.0)}  # GPS latitude of the resident's home
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


async def test_materials_are_checked_cleaned_encrypted_and_audited(server, wechat_api, services):
    import io

    from PIL import Image

    from tests.api_utils import multipart

    alice = await signed_in(server, wechat_api, "o_wxa_alice")
    bob = await signed_in(server, wechat_api, "o_wxa_bob")
    number = (await alice.book(proxy_form(services))).json["number"]
    path = f"/api/v1/bookings/{number}/materials"

    body, ctype = multipart({"material": "居民户口簿"}, {"file": ("户口本.jpg", photo_with_gps(), "image/jpeg")})
    up = await alice.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert up.status == 201, up.body
    meta = up.json
    assert meta["content_type"] == "image/jpeg" and meta["material"] == "居民户口簿"

    got = await alice.call("GET", f"{path}/{meta['id']}")
    assert got.status == 200 and got.headers["Content-Type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(got.body))
    assert cleaned.size == (32, 64)  # turned upright by its orientation, then the metadata dropped
    assert not cleaned.getexif() and b"PhoneMaker" not in got.body
    chunks = [c async for c in services.store.material_chunks.find({"file_id": meta["id"]})]
    assert chunks and all(got.body[100:140] not in bytes(c["data"]) for c in chunks)  # encrypted at rest
    reads = await services.store.audit.count_documents({"action": "material.read", "target": f"booking:{number}"})
    assert reads == 1

    fake = b"<html><script>alert(1)</script></html>"
    body, ctype = multipart({"material": "身份证"}, {"file": ("身份证.jpg", fake, "image/jpeg")})
    refused = await alice.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert refused.status == 415 and refused.error["code"] == "file_type"
    body, ctype = multipart({"material": "身份证"}, {"file": ("坏图.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 200, "image/jpeg")})
    corrupt = await alice.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert corrupt.status == 400 and corrupt.error["code"] == "file_corrupt"
    services.miniprogram.materials.max_bytes = 2000
    body, ctype = multipart(
        {"material": "照片"}, {"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * 3000 + b"\n%%EOF", "application/pdf")}
    )
    big = await alice.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert big.status == 413 and big.error["code"] == "file_too_large"

    assert (await bob.call("GET", f"{path}/{meta['id']}")).status == 404
    body, ctype = multipart({"material": "居民户口簿"}, {"file": ("x.jpg", photo_with_gps(), "image/jpeg")})
    assert (await bob.call("POST", path, raw=body, headers={"Content-Type": ctype})).status == 404
    listed = (await alice.call("GET", path)).json["materials"]
    assert [m["id"] for m in listed] == [meta["id"]]
    staff = await alice.call(
        "GET",
        f"/api/v1/admin/bookings/{number}/materials/{meta['id']}?staff=李明",
        auth=False,
        headers={"Authorization": "Bearer " + services.config.admin_token},
    )
    assert staff.status == 200 and staff.body == got.body
    assert await services.store.audit.count_documents({"action": "material.read", "actor": "staff:李明"}) == 1


async def test_materials_are_deleted_after_retention(server, wechat_api, services):
    from bot.miniprogram.services import sweep_materials
    from tests.api_utils import multipart

    alice = await signed_in(server, wechat_api, "o_wxa_alice")
    number = (await alice.book(proxy_form(services))).json["number"]
    body, ctype = multipart({"material": "居民户口簿"}, {"file": ("a.jpg", photo_with_gps(), "image/jpeg")})
    await alice.call("POST", f"/api/v1/bookings/{number}/materials", raw=body, headers={"Content-Type": ctype})
    await services.bookings.transition(number, "reject", Actor("staff", "李明"), reason="材料不全")
    materials = services.miniprogram.materials
    assert await sweep_materials(services.miniprogram) == 0  # the clock starts when the booking closes
    assert (await services.store.material_files.find_one({}))["purge_after"] is not None
    materials.clock = lambda: datetime.now(UTC) + timedelta(days=181)
    assert await sweep_materials(services.miniprogram) == 1
    assert await services.store.material_files.count_documents({}) == 0
    assert await services.store.material_chunks.count_documents({}) == 0
