"""Reports from the daily rollups agree with the raw aggregation pipelines (the reference) on random data:
demo data, then random writes of every kind (status changes, ratings, follow-ups, answered and closed chats,
messages, 96128 calls, replacements and deletions); and the rows the write hooks kept equal a rebuild."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.bookings.service import TRANSITIONS, Actor
from bot.demo import seed_demo
from bot.report.figures import ReportService
from bot.report.hotline import TOPICS, HotlineLog
from bot.report.periods import Period
from bot.report.pipelines import CHANNEL_LABELS
from bot.report.rates import Rate
from bot.report.rollups import COLLECTION
from bot.wechat.inbox import outbound_record

NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)


def figures(report) -> dict:
    """Everything a supervisor reads in a report, comparable with ==."""

    def plain(value):
        if isinstance(value, Rate):
            return (value.num, value.den)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    parts = ("bookings", "satisfaction", "chat", "hotline", "breakdown", "trend", "complaints")
    out = {k: plain(getattr(report, k)) for k in parts}
    out["chat"]["by_type"] = dict(sorted(out["chat"]["by_type"].items(), key=str))
    return out


async def random_writes(services, rng: random.Random, n: int) -> None:
    store, bookings = services.store, services.bookings
    numbers = [b["number"] async for b in store.bookings.find({}, {"number": 1})]
    chats = [e["_id"] async for e in store.escalations.find({}, {"_id": 1})]
    hotline = HotlineLog(store.hotline_calls, services.audit)
    for i in range(n):
        at = NOW - timedelta(days=rng.uniform(0, 400))
        bookings.clock = lambda at=at: at
        what = rng.randrange(9)
        if what <= 2:  # a status change through the service (accept ... complete, reject, cancel)
            b = await store.bookings.find_one({"number": rng.choice(numbers)})
            action = rng.choice(list(TRANSITIONS))
            sources, _, who = TRANSITIONS[action]
            if b["status"] in sources:
                actor = Actor(b["booked_by_kind"], b["booked_by"]) if who == "booker" else Actor("staff", "liming")
                await bookings.transition(b["number"], action, actor, reason="材料不全", assignee="李明")
        elif what == 3:  # a rating through the service
            b = await store.bookings.find_one({"status": "completed", "rating": None})
            if b:
                await bookings.rate(Actor(b["booked_by_kind"], b["booked_by"]), b["number"], rng.randint(1, 5))
        elif what == 4:  # a chat answered, closed, rated
            chat = rng.choice(chats)
            seconds = rng.uniform(1, 900)
            await store.escalations.update_one(
                {"_id": chat},
                {
                    "$set": {
                        "first_response_at": at,
                        "first_response_seconds": seconds,
                        "answered_in_time": seconds <= 180,
                        "status": rng.choice(["serving", "closed"]),
                        "rating": {"score": rng.randint(1, 5), "at": at} if rng.random() < 0.5 else None,
                    }
                },
            )
        elif what == 5:  # messages in and the bot's replies
            key = f"msg:rand{i}"
            kind = rng.choice(["text", "voice", "event", "image"])
            openid = f"o_r{rng.randrange(50)}"
            await store.messages.insert_one(
                {"_id": key, "direction": "in", "openid": openid, "type": kind, "content": "在吗", "created_at": at}
            )
            reply = outbound_record("o_r", rng.choice(["好的", "", services.backoffice.reports.fallbacks[0]]), "passive")
            await store.messages.insert_one({**reply, "_id": "reply:" + key, "in_reply_to": key, "created_at": at})
        elif what == 6:  # a 96128 call
            score = rng.choice([None, 1, 2, 3, 4, 5])
            transferred = rng.random() < 0.4
            await hotline.record(
                "liming",
                topic=rng.choice(TOPICS),
                outcome="transferred" if transferred else "answered",
                transfer_answered=rng.random() < 0.8 if transferred else None,
                item_code=rng.choice(["", "CL-001", "BDC-001"]),
                score=score,
                at=at,
            )
        elif what == 7:  # a replacement, and a change of the item and station a booking counts under
            b = await store.bookings.find_one({"number": rng.choice(numbers)})
            b.update(item_code=rng.choice(["CL-001", "BDC-001"]), created_at=at, channel=rng.choice([None, *CHANNEL_LABELS]))
            await store.bookings.replace_one({"_id": b["_id"]}, b)
        else:  # deletions
            await store.messages.delete_many({"openid": f"o_r{rng.randrange(50)}", "direction": "in"})
            if rng.random() < 0.3:
                await store.hotline_calls.delete_one({"staff": "liming"})


async def rows(store) -> dict:
    return {r["_id"]: r["cells"] async for r in store.db[COLLECTION].find({})}


@pytest.mark.parametrize("seed", [3, 11])
async def test_rollups_agree_with_the_pipelines_on_random_data(services, seed):
    rng = random.Random(seed)
    await seed_demo(services.store, services.bookings.cipher, services.bookings.calendar, 400, seed=seed, now=NOW)
    await random_writes(services, rng, 150)
    rollups = services.backoffice.reports.rollups
    kept = await rows(services.store)
    await rollups.rebuild()
    assert await rows(services.store) == kept  # what the write hooks kept is what a rebuild finds

    clock = lambda: NOW  # noqa: E731
    by_rollups = ReportService(services.store, services.bookings.calendar, clock=clock, rollups=rollups)
    by_pipelines = ReportService(services.store, services.bookings.calendar, clock=clock, rollups=rollups)
    by_pipelines.raw = True
    station = (await services.store.bookings.find_one({}))["station"]
    periods = [Period.year(2026), Period.year(2025), Period.month(2026, rng.randint(1, 11))]
    periods += [Period.day(date(2026, 6, 1) + timedelta(days=rng.randrange(150)))]
    periods += [Period.custom(date(2025, 7, 1), date(2026, 8, 31)), Period.custom(date(2025, 7, 15), date(2026, 3, 10))]
    for period in periods:
        for filters in (
            await by_rollups.filters(),
            await by_rollups.filters(station=station),
            await by_rollups.filters(item="CL-001"),
            await by_rollups.filters(department=(await services.store.items.find_one({"code": "CL-001"}))["department"]),
            await by_rollups.filters(channel=rng.choice(list(CHANNEL_LABELS))),
        ):
            expected = figures(await by_pipelines.build(period, filters, fresh=True))
            got = figures(await by_rollups.build(period, filters, fresh=True))
            assert got == expected, (period, filters)
    assert (await by_rollups.build(Period.year(2026), fresh=True)).bookings["received"] > 100  # not an empty comparison


async def seeded_store(data_dir):
    """A store kept in `data_dir` with demo data and its rollups attached, as a running server has it."""
    from bot.bookings.stations import StationDirectory
    from bot.bookings.workdays import WorkCalendar
    from bot.conversation.knowledge import KnowledgeService
    from bot.privacy import FieldCipher
    from bot.report.figures import fallback_replies
    from bot.report.rollups import Rollups
    from bot.store import Store

    store = Store.connect("mongomock://", "govbot", data_dir=data_dir)
    await store.ensure_indexes()
    await KnowledgeService(store).seed_if_empty()
    await StationDirectory(store.stations).seed_if_empty()
    await seed_demo(store, FieldCipher("k" * 32), WorkCalendar(), 50, now=NOW)
    await Rollups(store, fallback_replies()).attach(rebuild=True)
    return store


def killed(store) -> None:
    """What SIGKILL leaves: the journal as written so far (deferred flushes never run), no final snapshot."""
    journal = store.journal
    if journal._timer is not None:
        journal._timer.cancel()
    import os

    os.close(journal._fd)
    journal._fd = None
    journal._lock.close()
    store.journal = None
    store.close()


async def restarted_rows(data_dir, monkeypatch) -> tuple[dict, int]:
    """The rows a restarted process has after attaching its rollups, and how often it counted them again."""
    from bot.report.figures import fallback_replies
    from bot.report.rollups import Rollups
    from bot.store import Store

    rebuilds = []
    original = Rollups.rebuild

    async def counted(self):
        rebuilds.append(1)
        return await original(self)

    monkeypatch.setattr(Rollups, "rebuild", counted)
    store = Store.connect("mongomock://", "govbot", data_dir=data_dir)
    try:
        await Rollups(store, fallback_replies()).attach()
        return await rows(store), len(rebuilds)
    finally:
        store.close()


async def test_rollups_are_counted_again_after_a_kill_between_a_booking_and_its_row(tmp_path, monkeypatch):
    from bot.report.figures import fallback_replies
    from bot.report.rollups import Rollups

    store = await seeded_store(tmp_path)
    booking = await store.bookings.find_one({})
    # A booking's change reaches the journal (an immediate flush, from inside a write) apart from its
    # rollup rows' change, which the deferred flush would have written.
    store.bookings._AsyncMongoMockCollection__collection._store._documents[booking["_id"]]["station"] = "ZYQ-TEST"
    store.journal.mark("govbot", "bookings", booking["_id"])
    await Rollups(store, fallback_replies()).rebuild()  # the rows that go with it, kept in memory only
    good = await rows(store)
    killed(store)
    got, rebuilds = await restarted_rows(tmp_path, monkeypatch)
    assert rebuilds == 1
    assert got == good


async def test_a_kill_after_a_settled_flush_keeps_the_rows_without_counting_again(tmp_path, monkeypatch):
    store = await seeded_store(tmp_path)
    booking = await store.bookings.find_one({})
    await store.bookings.update_one({"_id": booking["_id"]}, {"$set": {"station": "ZYQ-TEST"}})
    good = await rows(store)
    store.journal.flush()  # what the deferred flush does: the booking and its row, then the settled mark
    killed(store)
    got, rebuilds = await restarted_rows(tmp_path, monkeypatch)
    assert rebuilds == 0
    assert got == good
