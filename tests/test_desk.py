"""The bookings desk's domain: filters and keyed-hash search, working days left or late, role scoping,
assignment to staff or village proxies, notes kept from residents, exports masked unless allowed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.bookings.desk import DeskFilter, Scope
from bot.bookings.service import (
    SEARCH_HASHES_DONE,
    Actor,
    BookingConflict,
    BookingRequest,
    Forbidden,
    NotFound,
    today_in_china,
)
from bot.privacy import parse_id_number
from tests.utils import make_id

AGENT = {"username": "wangfang", "role": "agent", "name": "王芳"}
SUPERVISOR = {"username": "zhaolei", "role": "supervisor", "name": "赵磊"}


def item_with(services, **wanted) -> dict:
    index = services.knowledge().index
    return next(index.item(c) for c in sorted(index.items) if all(index.item(c).get(k) == v for k, v in wanted.items()))


async def stations(services) -> list[str]:
    return [s["code"] async for s in services.store.stations.find({}, {"code": 1}).sort("code", 1)]


async def book(
    services, openid: str, station: str, *, name="赵大爷", phone="13811112222", birth="19450101", item=None, kind="proxy"
):
    request = BookingRequest(
        kind=kind,
        item=item or item_with(services, proxy=True),
        booked_by=Actor("resident", openid),
        name=name,
        id_card=parse_id_number(make_id(birth)),
        phone=phone,
        preferred_date=today_in_china(),
        station=station,
    )
    return await services.bookings.create(request)


@pytest.fixture
async def desk(services):
    one, two = (await stations(services))[:2]
    staff = services.store.db["staff"]
    await staff.insert_many([{**AGENT, "stations": [one], "disabled": False}, {**SUPERVISOR, "disabled": False}])
    await services.store.users.insert_one({"openid": "o_proxy_1", "role": "proxy", "station": one, "name": "李春梅"})
    desk = services.backoffice.desk
    desk.one, desk.two = one, two
    desk.agent = await staff.find_one({"username": "wangfang"})
    return desk


async def test_filters_and_search_through_keyed_hashes(services, desk):
    a = await book(services, "o_a", desk.one, name="张桂芬", phone="13900001111")
    b = await book(services, "o_b", desk.two, name="李国华", phone="13700002222", birth="19500505")
    await services.bookings.transition(b["number"], "accept", Actor("staff", "zhaolei"))
    everyone = Scope(None, True)

    async def numbers(**args) -> list[str]:
        f = DeskFilter.from_args(lambda k: args.get(k, ""))
        return [row["number"] for row in (await desk.page(f, everyone))["rows"]]

    assert await numbers() == [b["number"], a["number"]]
    assert await numbers(status="accepted") == [b["number"]]
    assert await numbers(station=desk.one) == [a["number"]]
    assert await numbers(q="张桂芬") == [a["number"]] and await numbers(q="张 桂芬") == [a["number"]]
    assert await numbers(q="137 0000 2222") == [b["number"]]
    assert await numbers(q=make_id("19500505")) == [b["number"]]
    assert await numbers(q=a["number"].lower()) == [a["number"]]
    # Part of a name finds it too, through keyed hashes of its parts (still no text scan); one character does not.
    assert await numbers(q="张桂") == [a["number"]] and await numbers(q="桂芬") == [a["number"]]
    assert await numbers(q="国华") == [b["number"]] and await numbers(q="张") == []
    assert await numbers(item=a["item_code"]) == [b["number"], a["number"]]
    assert await numbers(department=a.get("department") or item_with(services, proxy=True)["department"])
    assert await numbers(department="没有这个部门") == []
    today = today_in_china().isoformat()
    assert await numbers(since=today, until=today) == [b["number"], a["number"]]
    assert await numbers(until=(today_in_china() - timedelta(days=1)).isoformat()) == []
    assert await numbers(overdue="1") == []
    await services.store.bookings.update_one({"number": a["number"]}, {"$set": {"due_date": "2020-01-02"}})
    assert await numbers(overdue="1") == [a["number"]]
    # Rows are masked: a name with its middle hidden, a masked phone.
    row = (await desk.page(DeskFilter(q="张桂芬"), everyone))["rows"][0]
    assert row["beneficiary"] == "张*芬" and row["phone"] == "139****1111"
    assert row["deadline"]["state"] == "overdue" and "已逾期" in row["deadline"]["text"]


async def test_bookings_stored_before_keyed_search_are_found_after_a_restart(services, desk):
    old = await book(services, "o_old", desk.one, name="王秀英", phone="13600003333")
    await services.store.bookings.update_one(
        {"number": old["number"]},
        {"$unset": {"beneficiary.name_hash": "", "beneficiary.phone_hash": "", "beneficiary.name_parts": ""}},
    )
    await services.store.meta.delete_one({"_id": SEARCH_HASHES_DONE})  # a store from before keyed search
    everyone = Scope(None, True)

    async def numbers(q: str) -> list[str]:
        f = DeskFilter.from_args(lambda k: {"q": q}.get(k, ""))
        return [row["number"] for row in (await desk.page(f, everyone))["rows"]]

    assert await numbers("王秀英") == []  # what staff saw before
    assert await services.bookings.backfill_search_hashes() == 1  # start-up
    assert await numbers("王秀英") == [old["number"]] and await numbers("136 0000 3333") == [old["number"]]
    assert await numbers("秀英") == [old["number"]]
    assert await services.bookings.backfill_search_hashes() == 0


async def test_paging_walks_every_booking_once(services, desk):
    made = [(await book(services, f"o_{i}", desk.one))["number"] for i in range(7)]
    seen, after = [], ""
    while True:
        page = await desk.page(DeskFilter(), Scope(None, True), limit=3, after=after)
        seen += [row["number"] for row in page["rows"]]
        if not page["next"]:
            break
        after = page["next"]
    assert sorted(seen) == sorted(made) and len(seen) == 7


async def test_working_days_left_and_late(services, desk):
    booking = await book(services, "o_a", desk.one)
    cal = services.bookings.calendar
    today = services.bookings.today()
    due = date.fromisoformat(booking["due_date"])
    left = desk.deadline(booking, today)
    assert left["state"] == "due" and left["days"] == cal.workdays_between(today, due)
    late = desk.deadline({**booking, "due_date": "2026-03-02"}, date(2026, 3, 6))  # Mon due, seen on Fri
    assert late == {"state": "overdue", "days": 4, "text": "已逾期 4 个工作日"}
    assert desk.deadline({**booking, "due_date": "2026-03-06"}, date(2026, 3, 6))["text"] == "今天到期"


async def test_agents_act_on_their_own_stations_only(services, desk):
    mine = await book(services, "o_a", desk.one)
    theirs = await book(services, "o_b", desk.two)
    rows = (await desk.page(DeskFilter(), desk.scope(desk.agent)))["rows"]
    assert [r["number"] for r in rows] == [mine["number"]]
    assert (await desk.page(DeskFilter(station=desk.two), desk.scope(desk.agent)))["rows"] == []
    with pytest.raises(NotFound):
        await desk.act(theirs["number"], "accept", desk.agent)
    await desk.act(mine["number"], "accept", desk.agent, note="已电话联系")
    # A centre can let agents work every station's bookings.
    desk.agents_see_all = True
    await desk.act(theirs["number"], "accept", desk.agent)


async def test_assign_to_a_village_proxy_then_only_a_supervisor_reassigns(services, desk, wechat_api):
    booking = await book(services, "o_notified", desk.one)
    await desk.act(booking["number"], "accept", desk.agent, note="内部备注：先核对材料")
    await services.notifications.drain()  # each change on its own (no coalescing)
    people = await desk.assignees(booking)
    assert {"kind": "proxy", "id": "o_proxy_1"} in [{"kind": p["kind"], "id": p["id"]} for p in people]
    updated = await desk.act(booking["number"], "assign", desk.agent, assignee="proxy:o_proxy_1")
    await services.notifications.drain()
    assert updated["assignee"] == "李春梅" and updated["assignee_ref"] == {"kind": "proxy", "id": "o_proxy_1"}
    with pytest.raises(Forbidden):
        await desk.act(booking["number"], "reassign", desk.agent, assignee="staff:wangfang")
    updated = await desk.act(booking["number"], "reassign", SUPERVISOR, assignee="staff:wangfang", note="李春梅请假")
    assert updated["assignee"] == "王芳" and updated["status"] == "assigned"
    history = desk.history(updated)
    assert [h["who"] for h in history][1:] == ["工作人员 wangfang", "工作人员 wangfang", "工作人员 zhaolei"]
    assert history[1]["note"] == "内部备注：先核对材料" and history[3]["assignee"] == "王芳"
    sent = wechat_api.state.texts_to("o_notified")  # template messages: she never wrote to the account
    assert len(sent) == 2 and "已受理" in sent[0] and "李春梅" in sent[1]
    assert not any("内部备注" in text for text in sent)  # notes stay with staff
    with pytest.raises(BookingConflict):
        await desk.act(booking["number"], "accept", SUPERVISOR)
    entries = await services.audit.recent(target=f"booking:{booking['number']}")
    assert [e["action"] for e in entries] == ["reassign", "assign", "accept"]
    assert entries[0]["actor"] == "staff:zhaolei" and entries[0]["after"]["assignee"] == "王芳"


async def test_assignee_must_be_one_of_the_offered_people(services, desk):
    booking = await book(services, "o_a", desk.one)
    await desk.act(booking["number"], "accept", desk.agent)
    with pytest.raises(Exception, match="请选择负责人"):
        await desk.act(booking["number"], "assign", desk.agent, assignee="proxy:o_someone_else")


async def test_export_is_masked_unless_revealed(services, desk):
    await book(services, "o_a", desk.one, name="张桂芬", phone="13900001111")
    masked = await desk.export_rows(DeskFilter(), Scope(None, True), reveal=False)
    assert masked[0]["beneficiary"] == "张*芬" and masked[0]["phone"] == "139****1111"
    full = await desk.export_rows(DeskFilter(), Scope(None, True), reveal=True)
    assert full[0]["beneficiary"] == "张桂芬" and full[0]["phone"] == "13900001111"


async def test_supervisor_sets_an_agents_stations(services, desk):
    await desk.set_stations("wangfang", [desk.two, "NO-SUCH"], by="zhaolei")
    account = await services.store.db["staff"].find_one({"username": "wangfang"})
    assert account["stations"] == [desk.two]
    assert desk.scope(account).stations == (desk.two,)
