"""What a front-end team relies on without asking: the dev sandbox's logins and phone codes, the typed and linted
document, errors always in the JSON shape, headers and statuses as declared, subscribe templates by booking kind,
messages fit for a mini-program screen, and the resident and proxy journeys end to end through the API."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from openapi_spec_validator import validate

from bot.bookings.service import Actor
from handlers.api.models import ErrorCode
from tests.api_utils import MiniProgramUser, multipart
from tests.test_api import chat_booking, photo_with_gps, proxy_form, township

ROOT = Path(__file__).resolve().parent.parent


async def dev_login(server, wechat_api, code: str) -> MiniProgramUser:
    """Log in the way a front-end developer does against the sandbox: a typed code, no test hooks."""
    user = MiniProgramUser(server.url, wechat_api.state, openid="")
    reply = await user.call("POST", "/api/v1/login", {"code": code}, auth=False)
    assert reply.status == 200, reply.body
    user.tokens = reply.json
    return user


def plain_chinese(message: str) -> bool:
    """Fit for a resident's screen: no field names, no chat commands."""
    return not re.search(r"[A-Za-z_]{2,}", message.replace("MB", "").replace("PDF", "")) and "回复" not in message


# ---- the dev sandbox ----


async def test_dev_codes_always_mean_the_same_user_and_other_codes_work_once(server, wechat_api, services):
    first = await dev_login(server, wechat_api, "dev:wang")
    booked = await first.book(proxy_form(services))
    assert booked.status == 201
    again = await dev_login(server, wechat_api, "dev:wang")
    assert [b["number"] for b in (await again.call("GET", "/api/v1/bookings")).json["bookings"]] == [booked.json["number"]]
    other = await dev_login(server, wechat_api, "dev:li")
    assert (await other.call("GET", "/api/v1/bookings")).json["bookings"] == []

    await dev_login(server, wechat_api, "0a1B2c3D4e")
    reused = await other.call("POST", "/api/v1/login", {"code": "0a1B2c3D4e"}, auth=False)
    assert reused.status == 400 and reused.error["code"] == "code_invalid" and "已用过" in reused.error["message"]

    bound = await again.call("POST", "/api/v1/me/phone", {"code": "dev-phone:13712345678"})
    assert bound.status == 200 and bound.json["link"] == "phone" and bound.json["phone"] == "137****5678"
    wrong = await again.call("POST", "/api/v1/me/phone", {"code": "not-a-phone-code"})
    assert wrong.status == 400 and wrong.error["code"] == "code_invalid" and "手机号" in wrong.error["message"]
    wechat_api.state.phone_codes["pc-once"] = "13812345678"
    assert (await again.call("POST", "/api/v1/me/phone", {"code": "pc-once"})).status == 200
    used = await again.call("POST", "/api/v1/me/phone", {"code": "pc-once"})
    assert used.status == 400 and "已用过" in used.error["message"]


# ---- the document ----


async def test_the_document_is_valid_typed_and_complete(server, wechat_api):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    doc = (await anyone.call("GET", "/api/v1/openapi.json", auth=False)).json
    validate(doc)  # openapi-spec-validator: the OpenAPI 3.1 schema and its rules
    schemas = doc["components"]["schemas"]
    tags = {t["name"] for t in doc["tags"]}
    ids = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            where = f"{method.upper()} {path}"
            ids.append(op["operationId"])
            assert op["summary"] and op["description"] and set(op["tags"]) <= tags, where
            assert op["security"] == ([] if op["x-auth"] == "public" else [{"bearer": []}]), where
            for parameter in op.get("parameters", []):
                assert "example" in parameter, (where, parameter["name"])
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                assert "example" in body, where
            assert any(code.startswith("4") for code in op["responses"]), where
    assert len(ids) == len(set(ids))

    def refs(schema) -> list[str]:
        return re.findall(r'"#/components/schemas/(\w+)"', json.dumps(schema))

    for methods in doc["paths"].values():
        for op in methods.values():
            for name in refs(op.get("requestBody", {})):
                assert '"default"' not in json.dumps(schemas[name]), name  # openapi-typescript would require them

    create = schemas["BookingCreate"]["properties"]
    assert create["item_code"]["pattern"] and create["id_number"]["pattern"] and create["phone"]["pattern"]
    assert create["preferred_date"]["format"] == "date"
    guide = schemas["ItemDetail"]["properties"]
    assert len(guide) > 40 and all(spec for spec in guide.values())  # every field typed, none `{}` (unknown)
    assert schemas["GuideMaterial"]["properties"]["form"]["enum"]
    assert {"level", "address", "phone", "hours"} <= set(schemas["Station"]["properties"])
    assert set(schemas["Booking"]["properties"]["status"]["enum"]) >= {"submitted", "completed", "cancelled"}
    assert schemas["Booking"]["properties"]["channel"]["enum"] == ["chat", "miniprogram"]
    assert "refresh_invalid" in schemas["ErrorBody"]["properties"]["code"]["enum"]

    booking = doc["paths"]["/api/v1/bookings"]["post"]["responses"]["201"]
    assert booking["headers"]["Location"]["required"] and "GetBooking" in booking["links"]
    assert all(link["operationId"] in ids for link in booking["links"].values())
    guide_op = doc["paths"]["/api/v1/items/{code}"]["get"]["responses"]
    assert "ETag" in guide_op["200"]["headers"] and "304" in guide_op
    download = doc["paths"]["/api/v1/bookings/{number}/materials/{file_id}"]["get"]["responses"]["200"]["content"]
    assert set(download) == {"image/jpeg", "image/png", "application/pdf"}
    assert "refresh_invalid" in doc["paths"]["/api/v1/me"]["get"]["responses"]["401"]["description"]


def test_every_error_code_the_code_can_send_is_in_the_document():
    sent = set()
    for folder in ("handlers/api", "bot/miniprogram"):
        for path in (ROOT / folder).glob("*.py"):
            # (status, "code", "message") and (Exception, status, "code") declarations
            sent |= set(re.findall(r'\b[1-5]\d\d, "([a-z_]+)"(?:, [fA-Z"]|\))', path.read_text(encoding="utf-8")))
    assert sent and sent <= set(ErrorCode.__args__), sent - set(ErrorCode.__args__)


# ---- errors, headers, statuses ----


async def raw_request(server, head: str) -> tuple[int, dict, bytes]:
    """Send only a request head (no body) and read the answer: what a server does before reading a body."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head.replace("\n", "\r\n").encode() + b"\r\n")
    await writer.drain()
    status_line = await reader.readline()
    headers = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", 0)))
    writer.close()
    return int(status_line.split()[1]), headers, body


async def test_errors_are_always_json(server, wechat_api, services):
    user = await dev_login(server, wechat_api, "dev:zhao")
    number = (await user.book(proxy_form(services))).json["number"]
    path = f"/api/v1/bookings/{number}/materials"
    token = user.tokens["access_token"]

    # Over the upload limit, judged from Content-Length before a byte of the file is read.
    status, headers, body = await raw_request(
        server,
        f"POST {path} HTTP/1.1\nHost: x\nAuthorization: Bearer {token}\n"
        "Content-Type: multipart/form-data; boundary=b\nContent-Length: 50000000\n",
    )
    error = json.loads(body)["error"]
    assert status == 413 and error["code"] == "file_too_large" and "10 MB" in error["message"]
    assert headers["content-type"].startswith("application/json")
    status, _, body = await raw_request(
        server, f"PATCH /api/v1/me HTTP/1.1\nHost: x\nAuthorization: Bearer {token}\nContent-Length: 900000\n"
    )
    assert status == 413 and json.loads(body)["error"]["code"] == "body_too_large"

    no_boundary = await user.call("POST", path, raw=b"--x\r\n\r\n", headers={"Content-Type": "multipart/form-data"})
    assert no_boundary.status == 400 and no_boundary.error["code"] == "multipart_invalid"
    nameless = b'--b\r\nContent-Disposition: form-data; filename="a.jpg"\r\n\r\nxx\r\n--b--\r\n'
    reply = await user.call("POST", path, raw=nameless, headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert reply.status == 400 and reply.error["code"] == "multipart_invalid" and plain_chinese(reply.error["message"])
    body, ctype = multipart({"material": "户" * 61}, {"file": ("a.jpg", photo_with_gps(), "image/jpeg")})
    long_name = await user.call("POST", path, raw=body, headers={"Content-Type": ctype})
    assert long_name.status == 400 and long_name.error["field"] == "material"  # refused, not cut
    assert await services.store.material_files.count_documents({}) == 0

    for method, target in (("PATCH", "/api/v1/me"), ("POST", f"/api/v1/bookings/{number}/cancel")):
        empty = await user.call(method, target)
        assert empty.status == 400 and empty.error["code"] == "body_missing", target
    assert (await user.call("GET", f"/api/v1/bookings/{number}")).json["status"] == "submitted"

    nowhere = await user.call("POST", "/api/v1/nothing-here", {"a": "b" * 70000})
    assert nowhere.status == 404 and nowhere.error["code"] == "no_such_endpoint"
    wrong_method = await user.call("PUT", "/api/v1/me", {"nickname": "x"})
    assert wrong_method.status == 405 and wrong_method.headers["Allow"] == "GET, PATCH"
    assert wrong_method.error["code"] == "method_not_allowed"
    long_audience = await user.call("GET", "/api/v1/catalog?audience=" + "个" * 11, auth=False)
    assert long_audience.status == 400 and long_audience.error["field"] == "audience"

    for reply in (
        await user.call("GET", "/api/v1/search?q=", auth=False),
        await user.call("GET", "/api/v1/catalog?limit=500", auth=False),
        await user.call("GET", "/api/v1/bookings?cursor=garbage"),
        await user.call("POST", "/api/v1/login", {"code": "dev:x", "appid": "wx1"}, auth=False),
        await user.call("PATCH", "/api/v1/me", {"nickname": "名" * 31}),
    ):
        assert reply.status == 400 and reply.error["field"] and plain_chinese(reply.error["message"]), reply.body


async def test_headers_and_times_are_as_documented(server, wechat_api, services):
    anyone = MiniProgramUser(server.url, wechat_api.state, "o_anyone")
    guide = await anyone.call("GET", "/api/v1/items/GA-001", auth=False)
    etag = guide.headers["Etag"]
    weak = await anyone.call("GET", "/api/v1/items/GA-001", auth=False, headers={"If-None-Match": f"W/{etag}"})
    assert weak.status == 304 and weak.headers["Etag"] == etag  # what a gzip proxy sends back
    catalog = await anyone.call("GET", "/api/v1/catalog", auth=False, headers={"If-None-Match": "*"})
    assert catalog.status == 200 and "Etag" not in catalog.headers and catalog.headers["Cache-Control"] == "no-store"

    user = await dev_login(server, wechat_api, "dev:sun")
    made = await user.book(proxy_form(services))
    booking = made.json
    assert made.headers["Location"] == f"/api/v1/bookings/{booking['number']}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00", booking["history"][0]["at"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", booking["preferred_date"]) and booking["channel"] == "miniprogram"
    body, ctype = multipart({"material": "居民户口簿"}, {"file": ("a.jpg", photo_with_gps(), "image/jpeg")})
    uploaded = await user.call(
        "POST", f"/api/v1/bookings/{booking['number']}/materials", raw=body, headers={"Content-Type": ctype}
    )
    assert uploaded.status == 201 and uploaded.headers["Location"].endswith("/" + uploaded.json["id"])
    assert uploaded.json["uploaded_at"].endswith("+08:00")


async def test_an_avatar_from_choose_avatar_is_uploaded_and_served(server, wechat_api, services):
    import io

    from PIL import Image

    user = await dev_login(server, wechat_api, "dev:avatar")
    local = await user.call("PATCH", "/api/v1/me", {"avatar_url": "wxfile://tmp_abc.jpg"})
    assert local.status == 400 and local.error["field"] == "avatar_url"
    big = Image.new("RGB", (1200, 800), (30, 120, 200))
    out = io.BytesIO()
    big.save(out, "JPEG", exif=Image.Exif())
    body, ctype = multipart({}, {"file": ("tmp_abc.jpg", photo_with_gps(), "image/jpeg")})
    first = await user.call("POST", "/api/v1/me/avatar", raw=body, headers={"Content-Type": ctype})
    assert first.status == 200 and first.json["avatar_url"].startswith(services.config.base_url + "/api/v1/avatars/")
    body, ctype = multipart({}, {"file": ("tmp_def.jpg", out.getvalue(), "image/jpeg")})
    second = (await user.call("POST", "/api/v1/me/avatar", raw=body, headers={"Content-Type": ctype})).json
    path = second["avatar_url"].removeprefix(services.config.base_url)
    image = await user.call("GET", path, auth=False)
    assert image.status == 200 and image.headers["Content-Type"] == "image/jpeg" and "immutable" in image.headers["Cache-Control"]
    assert max(Image.open(io.BytesIO(image.body)).size) == 256 and b"PhoneMaker" not in image.body
    old = first.json["avatar_url"].removeprefix(services.config.base_url)
    assert (await user.call("GET", old, auth=False)).status == 404  # replaced
    body, ctype = multipart({}, {"file": ("x.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")})
    pdf = await user.call("POST", "/api/v1/me/avatar", raw=body, headers={"Content-Type": ctype})
    assert pdf.status == 415 and pdf.error["code"] == "file_type"


# ---- subscribe templates, limits ----


async def test_the_form_offers_the_templates_of_its_kind_and_consent_can_come_later(server, wechat_api, services):
    user = await dev_login(server, wechat_api, "dev:qian")
    proxy = (await user.call("GET", "/api/v1/booking-form?item_code=MZ-007&kind=proxy")).json
    visit = (await user.call("GET", "/api/v1/booking-form?item_code=MZ-007&kind=home_visit")).json
    assert proxy["subscribe_templates"] == ["dev-wxa-booking-status", "dev-wxa-rating-request"]
    assert visit["subscribe_templates"][:2] == ["dev-wxa-booking-status", "dev-wxa-visit-reminder"]
    assert not any("staff" in t for t in proxy["subscribe_templates"] + visit["subscribe_templates"])
    assert [t["title"] for t in visit["templates"]] == ["预约进度通知", "上门服务提醒", "服务评价提醒"]

    booking = (await user.book(proxy_form(services))).json  # no consent at booking
    later = await user.call("POST", "/api/v1/me/subscriptions", {"accepted": ["dev-wxa-booking-status", "dev-wxa-staff-alert"]})
    assert later.status == 200 and later.json["recorded"] == ["dev-wxa-booking-status"]  # never a staff template
    await services.bookings.transition(booking["number"], "accept", Actor("staff", "李明"))
    await services.notifications.drain()
    openid = (await services.store.wxa_users.find_one({}))["_id"]
    assert booking["number"] in json.dumps(wechat_api.state.messages_to(openid, "wxa_subscribe"), ensure_ascii=False)


async def test_too_many_open_bookings_is_a_conflict_with_a_message_for_the_screen(server, wechat_api, services):
    user = await dev_login(server, wechat_api, "dev:zhou")
    limit = services.bookings.rules["max_open_per_resident"]
    names = ["张桂芬", "李春梅", "王志华", "赵玉兰", "陈国强", "刘秀英", "杨建国"]
    for n in range(limit):
        assert (await user.book(proxy_form(services, name=names[n]))).status == 201
    refused = await user.book(proxy_form(services, name=names[limit]))
    assert refused.status == 409 and refused.error["code"] == "booking_limit" and "Retry-After" not in refused.headers
    assert "我的预约" in refused.error["message"] and plain_chinese(refused.error["message"])


# ---- the journeys of issue #23, as a front-end runs them ----


async def test_resident_and_proxy_journeys_end_to_end(server, wechat_api, services):
    # A resident opens the mini-program, searches, reads the guide, books with consent to notices.
    resident = await dev_login(server, wechat_api, "dev:resident-wang")
    hit = (await resident.call("GET", "/api/v1/search?q=高龄津贴怎么领", auth=False)).json["results"][0]
    guide = (await resident.call("GET", f"/api/v1/items/{hit['code']}", auth=False)).json
    assert guide["proxy"] and guide["materials"]
    form = (await resident.call("GET", f"/api/v1/booking-form?item_code={hit['code']}&kind=proxy")).json
    assert form["offered"]
    details = proxy_form(
        services, item_code=hit["code"], preferred_date=form["earliest_date"], station=form["stations"][0]["code"]
    )
    made = await resident.book({**details, "subscribe_templates": form["subscribe_templates"]})
    assert made.status == 201, made.body
    number = made.json["number"]
    # Several requests expire together: the page refreshes three times with one token and stays signed in.
    body = {"refresh_token": resident.tokens["refresh_token"]}
    refreshed = await asyncio.gather(*[resident.call("POST", "/api/v1/token/refresh", body, auth=False) for _ in range(3)])
    assert {r.status for r in refreshed} == {200}
    resident.tokens = refreshed[0].json
    # The next day: wx.login() again, the same person, the same booking.
    resident = await dev_login(server, wechat_api, "dev:resident-wang")
    assert [b["number"] for b in (await resident.call("GET", "/api/v1/bookings")).json["bookings"]] == [number]
    # Linking the phone brings in the booking made in chat for the same contact phone.
    chat = await chat_booking(services, "o_oa_wang", phone="13700001111")
    linked = await resident.call("POST", "/api/v1/me/phone", {"code": "dev-phone:13700001111"})
    assert linked.json["link"] == "phone"
    listed = {b["number"] for b in (await resident.call("GET", "/api/v1/bookings")).json["bookings"]}
    assert listed == {number, chat["number"]}
    cancelled = await resident.call("POST", f"/api/v1/bookings/{number}/cancel", {"reason": "不需要了"})
    assert cancelled.json["status"] == "cancelled"

    # A village proxy binds with the station's invitation, logs in again later, and books for a villager.
    station = township(services, 1)
    invite = (await services.invites.create(station, "代办员", "admin"))["code"]
    proxy = await dev_login(server, wechat_api, "dev:proxy-li")
    assert (await proxy.call("POST", "/api/v1/me/proxy", {"invite_code": invite})).json["role"] == "proxy"
    proxy = await dev_login(server, wechat_api, "dev:proxy-li")
    me = (await proxy.call("GET", "/api/v1/me")).json
    assert me["role"] == "proxy" and me["station"] == station
    form = (await proxy.call("GET", "/api/v1/booking-form?item_code=MZ-007&kind=proxy")).json
    assert not form["needs_station"] and "居民" in form["relations"]
    villager = proxy_form(services, name="赵玉兰", relation="居民", station=None)
    villager.pop("station")
    made = await proxy.book(villager)
    assert made.status == 201 and made.json["station"] == station
    assert made.json["number"] in [b["number"] for b in (await proxy.call("GET", "/api/v1/bookings")).json["bookings"]]
