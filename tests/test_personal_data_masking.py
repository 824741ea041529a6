"""Findings 4 and 5 (issue 21): ID and phone numbers neither in the server log nor in plain storage, whatever
their spelling: desk searches and exports, chat text in full-width digits, dots or Chinese numerals, cancel
reasons (also before WeChat's content check), nicknames and visit-reminder dedupe keys."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from bot.bookings.service import CHINA
from bot.privacy import fold_digits
from tests.api_utils import signed_in
from tests.console_utils import make_staff
from tests.staff_http import StaffBrowser
from tests.test_api import proxy_form
from tests.test_bookings import admin, book_home_visit_for_mother
from tests.test_hardening import strings_in_store
from tests.utils import make_id, user

ID = make_id("19430815", area="530602", seq="042")
PHONE = "13987654321"
SPELLINGS = [
    "１３９８７６５４３２１",  # full-width
    "139.8765.4321",
    "139·8765·4321",
    "139 - 8765 - 4321",
    "一三九八七六五四三二一",
    "幺三九 八七六五 四三二幺"[:-1] + "一",
]


def leaks(text: str, secrets=(ID, PHONE)) -> list[str]:
    """Every secret found in the text once digits are folded and separators dropped."""
    flat = re.sub(r"[\s\-+.·]", "", fold_digits(text)).upper()
    return [s for s in secrets if s in flat]


async def test_desk_searches_and_exports_reach_the_log_masked(server, services, caplog):
    caplog.set_level(logging.INFO)
    await make_staff(services, "sue", "supervisor")
    sue = StaffBrowser(server)
    await sue.login("sue")
    for q in (ID, f"{ID[:6]} {ID[6:14]} {ID[14:]}", PHONE, "１３９８７６５４３２１", "139.8765.4321"):
        for path in ("/console/bookings", "/console/bookings/export.csv", "/console/bookings/export.xlsx"):
            response = await sue.get(f"{path}?q={q}&full=1".replace(" ", "%20").replace("１", "%EF%BC%91"))
            assert response.code == 200, (path, response.code)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "/console/bookings/export.xlsx?q=" in logged and leaks(logged) == []
    audit = [e async for e in services.store.audit.find({"action": "export_bookings"})]
    assert len(audit) == 10 and leaks(repr(audit)) == []


async def test_chat_text_in_every_spelling_is_stored_masked(server, services):
    for i, spelling in enumerate(SPELLINGS):
        await user(server, f"o_spell_{i}").say(f"转人工，我电话{spelling}，身份证{ID}")
    await services.inbox.drain()
    found = [(name, value) for name, value in await strings_in_store(services) if leaks(value)]
    assert found == []
    assert await services.store.escalations.count_documents({}) == len(SPELLINGS)


async def test_cancel_reasons_and_nicknames_are_masked_before_storage_and_before_the_content_check(server, wechat_api, services):
    alice = await signed_in(server, wechat_api, "o_wxa_mask")
    number = (await alice.book(proxy_form(services))).json["number"]
    reason = "改天再去，有事打１３９８７６５４３２１"
    reply = await alice.call("POST", f"/api/v1/bookings/{number}/cancel", {"reason": reason})
    assert reply.status == 200, reply.body
    nick = await alice.call("PATCH", "/api/v1/me", {"nickname": "小张139.8765.4321"})
    assert nick.status == 200 and nick.json["nickname"] == "小张139****4321"
    booking = await services.store.bookings.find_one({"number": number})
    assert booking["history"][-1]["reason"] == "改天再去，有事打139****4321"
    assert leaks(" ".join(wechat_api.state.checked)) == [] and any("139****4321" in t for t in wechat_api.state.checked)
    assert [v for _n, v in await strings_in_store(services) if leaks(v)] == []


async def test_visit_reminder_dedupe_keys_name_the_booking_and_role_not_the_phone(server, services):
    _resident, number = await book_home_visit_for_mother(server, "o_remind_mask")
    await admin(server, f"bookings/{number}/accept", {"staff": "李明"})
    booking = await services.store.bookings.find_one({"number": number})
    from datetime import date

    eve = datetime.combine(date.fromisoformat(booking["preferred_date"]) - timedelta(days=1), datetime.min.time(), CHINA)
    services.bookings.clock = services.notifications.clock = lambda: eve.replace(hour=10).astimezone(UTC)
    assert (await services.reminders.sweep())["visit_reminders"] >= 1
    keys = [n["dedupe"] async for n in services.store.notifications.find({"dedupe": {"$regex": "^visit:"}})]
    assert keys and all(k.startswith(f"visit:{number}:{booking['preferred_date']}:") for k in keys)
    assert leaks(" ".join(keys), ("13812345678",)) == []
