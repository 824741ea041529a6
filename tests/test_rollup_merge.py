"""The MongoDB rollup pipelines (bot/report/merge.py) give exactly the rows the embedded store's write hooks
keep (bot/report/rollups.py), on random documents of every source and on demo data, for all time and for
a range of whole months. mongomock has no `$merge`: the pipelines run without their last stage."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from bot.report.figures import fallback_replies
from bot.report.merge import MergedRollups, merge_pipeline, pipeline
from bot.report.rollups import COLLECTION, SOURCES, Rollups
from bot.store import Store

NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)
ITEMS = ["MZ-001", "GA-002", "RS-010", None]
STATIONS = ["LDX-001-01", "LDX-002-03", None]


def when(rng: random.Random) -> datetime:
    """A time over 14 months, often a few seconds either side of a mainland midnight (16:00 UTC)."""
    day = NOW - timedelta(days=rng.randrange(420))
    if rng.random() < 0.3:
        return day.replace(hour=16, minute=0, second=0) + timedelta(seconds=rng.choice([-1, 0, 1]))
    return day.replace(hour=rng.randrange(24), minute=rng.randrange(60), second=rng.randrange(60))


def maybe(rng: random.Random, value, p: float = 0.8):
    return value if rng.random() < p else None


def rating(rng: random.Random, low: int = 1) -> dict | None:
    if rng.random() < 0.4:
        return None
    return {"score": rng.choice([*range(low, 6), None]), "at": maybe(rng, when(rng), 0.95)}


def booking(rng: random.Random, n: int) -> dict:
    status = rng.choice(["submitted", "accepted", "assigned", "in_progress", "completed", "completed", "cancelled", "rejected"])
    doc = {
        "number": f"DB{n:08d}",
        "item_code": rng.choice(ITEMS),
        "station": rng.choice(STATIONS),
        "kind": rng.choice(["proxy", "home_visit", "chat"]),
        "booked_by_kind": rng.choice(["resident", "proxy"]),
        "status": status,
        "due_date": maybe(rng, (NOW - timedelta(days=rng.randrange(400))).date().isoformat()),
        "created_at": when(rng),
        "completed_at": maybe(rng, when(rng)) if status == "completed" else None,
        "on_time": rng.choice([True, False, None]),
        "rating": rating(rng),
    }
    if rng.random() < 0.2:
        doc["channel"] = rng.choice(["miniprogram", "chat"])
    return doc


def escalation(rng: random.Random) -> dict:
    answered = rng.random() < 0.6
    return {
        "_id": ObjectId(),
        "created_at": when(rng),
        "status": rng.choice(["waiting", "serving", "closed"]),
        "reason": rng.choice(["asked", "misses", None]),
        "first_response_at": when(rng) if answered else None,
        "first_response_seconds": rng.choice([rng.uniform(1, 900), 0, 30]) if answered else None,
        "answered_in_time": rng.choice([True, False]) if answered else None,
        "rating": rating(rng),
    }


def message(rng: random.Random, fallbacks: list[str]) -> dict:
    if rng.random() < 0.5:
        return {
            "direction": "in",
            "openid": rng.choice(["o_a", "o_b", "o_c", None]),
            "type": rng.choice(["text", "voice", "image", "event", "location", "unknown"]),
            "content": "你好",
            "created_at": maybe(rng, when(rng), 0.95),
        }
    return {
        "direction": "out",
        "openid": "o_a",
        "in_reply_to": rng.choice(["msg:1", "msg:2", "event:3", None]),
        "answered_by": rng.choice(["passive", "customer_service", "undelivered", "notification", "agent"]),
        "content": rng.choice([*fallbacks, "", None, "低保办理需要……"]),
        "created_at": when(rng),
    }


def call(rng: random.Random) -> dict:
    outcome = rng.choice(["answered", "transferred", "dropped"])
    return {
        "at": when(rng),
        "outcome": outcome,
        "transfer_answered": rng.choice([True, False, None]) if outcome == "transferred" else None,
        "topic": rng.choice(["咨询", "投诉", None]),
        "item_code": rng.choice(ITEMS),
        "rating": rating(rng, low=0),
    }


async def kept_rows(store) -> dict:
    return {r["_id"]: r async for r in store.db[COLLECTION].find({})}


async def merged_rows(store, fallbacks: list[str], months=None) -> dict:
    out = {}
    for collection in SOURCES:
        async for row in store.db[collection].aggregate(pipeline(collection, fallbacks, months)):
            assert row["_id"] not in out
            out[row["_id"]] = row
    return out


@pytest.fixture
async def store():
    store = Store.connect("mongomock://", "merge_test")
    await store.ensure_indexes()
    yield store
    store.close()


@pytest.mark.parametrize("seed", [1, 7])
async def test_the_merge_pipelines_give_the_rows_the_embedded_hooks_keep(store, seed):
    rng = random.Random(seed)
    fallbacks = fallback_replies()
    rollups = Rollups(store, fallbacks)
    await rollups.attach()
    await store.bookings.insert_many([booking(rng, n) for n in range(160)])
    await store.escalations.insert_many([escalation(rng) for _ in range(50)])
    await store.messages.insert_many([message(rng, fallbacks) for _ in range(160)])
    await store.hotline_calls.insert_many([call(rng) for _ in range(60)])
    # Changes after the insert: the hooks follow them, the pipelines read the documents as they are now.
    async for b in store.bookings.find({"status": "submitted"}).limit(20):
        await store.bookings.update_one({"_id": b["_id"]}, {"$set": {"status": "completed", "completed_at": when(rng)}})
    await store.escalations.delete_one({})
    kept = await kept_rows(store)
    assert {r["src"] for r in kept.values()} == {"bookings", "bookings-m", "chat", "messages", "hotline"}
    merged = await merged_rows(store, fallbacks)
    assert merged == kept

    # A range of whole months: exactly the rows of those months.
    months = ("2026-03", "2026-05")
    in_range = {k: r for k, r in kept.items() if months[0] <= r["day"][:7] <= months[1]}
    assert in_range and await merged_rows(store, fallbacks, months) == in_range


async def test_the_pipelines_agree_on_demo_data(store):
    from bot.bookings.stations import StationDirectory
    from bot.bookings.workdays import WorkCalendar
    from bot.conversation.knowledge import KnowledgeService
    from bot.demo import seed_demo
    from bot.privacy import FieldCipher

    await KnowledgeService(store).seed_if_empty()
    await StationDirectory(store.stations).seed_if_empty()
    await seed_demo(store, FieldCipher("k" * 32), WorkCalendar(), 60, now=NOW)
    rollups = Rollups(store, fallback_replies())
    await rollups.attach(rebuild=True)
    assert await merged_rows(store, fallback_replies()) == await kept_rows(store)


def test_on_mongodb_the_pipeline_ends_in_a_merge_into_the_rollups():
    stamp = datetime(2026, 11, 20, tzinfo=UTC)
    stages = merge_pipeline("bookings", ["x"], stamp, ("2026-10", "2026-11"))
    assert stages[-1] == {"$merge": {"into": COLLECTION, "on": "_id", "whenMatched": "replace", "whenNotMatched": "insert"}}
    assert stages[-2] == {"$addFields": {"at": stamp}}
    first = stages[0]["$match"]["$or"]  # only the documents of those months are read, through the time indexes
    assert [next(iter(c)) for c in first] == ["created_at", "completed_at", "rating.at"]


async def test_the_merging_worker_is_for_mongodb_only(store):
    with pytest.raises(ValueError):
        MergedRollups(store, fallback_replies())
