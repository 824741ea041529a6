"""One contract for per-message state (bot/expiring.py), run against process memory and MongoDB
(the embedded mongomock store always; a real server too when MONGODB_TEST_URI is set)."""

from __future__ import annotations

import asyncio
import os

import pytest

from bot.expiring import MemoryMap, MongoMap, expiring_map
from bot.store import Store
from tests.utils import db_name

BACKENDS = ["memory", "mongomock"] + (["mongodb"] if os.environ.get("MONGODB_TEST_URI") else [])


class Clock:
    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=BACKENDS)
async def kv(request):
    clock = Clock()
    if request.param == "memory":
        yield MemoryMap(clock=clock)
        return
    uri = "mongomock://" if request.param == "mongomock" else os.environ["MONGODB_TEST_URI"]
    name = db_name()
    store = Store.connect(uri, name)
    await store.client.drop_database(name)
    await store.ensure_indexes()
    yield MongoMap(store.db["claims"], clock=clock)
    await store.client.drop_database(name)
    store.close()


async def test_absent_key_is_none(kv):
    assert await kv.get("nobody") is None


async def test_put_then_get_returns_a_copy(kv):
    await kv.put("o1", {"item": "GA-001", "choices": {"options": ["a", "b"]}}, ttl=60)
    got = await kv.get("o1")
    assert got == {"item": "GA-001", "choices": {"options": ["a", "b"]}}
    got["choices"]["options"].append("c")
    assert (await kv.get("o1"))["choices"]["options"] == ["a", "b"]


async def test_put_replaces(kv):
    await kv.put("o1", {"a": 1}, ttl=60)
    await kv.put("o1", {"b": 2}, ttl=60)
    assert await kv.get("o1") == {"b": 2}


async def test_expired_values_are_gone_on_read(kv):
    await kv.put("o1", {"a": 1}, ttl=60)
    kv.clock.now += 59
    assert await kv.get("o1") == {"a": 1}
    kv.clock.now += 2
    assert await kv.get("o1") is None


async def test_add_claims_once(kv):
    assert await kv.add("msg:1", {"by": "first"}, ttl=60) is None
    assert await kv.add("msg:1", {"by": "second"}, ttl=60) == {"by": "first"}
    assert await kv.get("msg:1") == {"by": "first"}


async def test_add_takes_over_an_expired_key(kv):
    await kv.add("msg:1", {"by": "old"}, ttl=10)
    kv.clock.now += 11
    assert await kv.add("msg:1", {"by": "new"}, ttl=10) is None
    assert await kv.get("msg:1") == {"by": "new"}


async def test_concurrent_adds_have_one_winner(kv):
    results = await asyncio.gather(*(kv.add("msg:2", {"n": i}, ttl=60) for i in range(5)))
    assert sum(r is None for r in results) == 1


async def test_delete(kv):
    await kv.put("o1", {"a": 1}, ttl=60)
    await kv.delete("o1")
    await kv.delete("o1")  # absent: no error
    assert await kv.get("o1") is None


async def test_memory_map_trims_expired_entries_on_writes_without_walking_it():
    clock = Clock()
    kv = MemoryMap(clock=clock, sweep_every=3600)
    for i in range(100):
        await kv.put(f"old{i}", {}, ttl=10)
    await kv.put("live", {"x": 1}, ttl=600)
    clock.now += 11
    await kv.put("w0", {}, ttl=600)
    assert len(kv) == 102 - MemoryMap.TRIM  # a few of the oldest per write, never a pass over the map
    for i in range(1, 40):
        await kv.put(f"w{i}", {}, ttl=600)
    assert len(kv) == 41 and await kv.get("live") == {"x": 1}


async def test_memory_sweep_catches_mixed_ttls():
    clock = Clock()
    kv = MemoryMap(clock=clock, sweep_every=60)
    await kv.put("long", {}, ttl=600)
    await kv.put("short", {}, ttl=10)
    clock.now += 61
    await kv.put("trigger", {}, ttl=600)
    assert len(kv) == 2 and await kv.get("long") == {}


async def test_embedded_store_keeps_per_message_state_in_memory():
    store = Store.connect("mongomock://", db_name())
    assert isinstance(expiring_map(store, "claims"), MemoryMap)
    store.close()
