"""The embedded store's load cache (bot/embedded_cache.py): a start-up reads the pickled documents instead of
the snapshot when they are the snapshot's, then the journal written after them; a stale, damaged or missing
cache, or a journal cut shorter than the cache covers, falls back to the snapshot with the same result."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

import pytest

from bot import embedded_cache
from bot.embedded import Journal, open_persistent_client

NOW = datetime(2026, 11, 20, 6, tzinfo=UTC)


def wait_for_cache(data_dir, generation: int, journal: int = 0) -> dict:
    """The cache header once the background writer has put the cache of `generation` (+ `journal` bytes)."""
    path = data_dir / embedded_cache.CACHE
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists():
            with open(path, "rb") as fh:
                fh.read(len(embedded_cache.MAGIC))
                header = json.loads(fh.readline())
            if header["gen"] == generation and header["journal"] == journal:
                return header
        time.sleep(0.05)
    raise AssertionError("no load cache written")


def kill(journal: Journal) -> None:
    """What SIGKILL leaves: the journal as written so far, no final snapshot."""
    journal.flush()
    os.close(journal._fd)
    journal._fd = None
    journal._lock.close()


async def everything(client) -> dict:
    db = client["govbot"]
    return {name: [d async for d in db[name].find({})] for name in sorted(await db.list_collection_names())}


async def fill(data_dir) -> dict:
    """Some documents of every shape, then a normal stop (a snapshot and its cache); returns what was stored."""
    client, journal = open_persistent_client(data_dir)
    db = client["govbot"]
    await db.bookings.insert_many(
        [
            {
                "number": f"DB{i:04d}",
                "status": "submitted" if i % 2 else "completed",
                "beneficiary": {"name": "张桂芬", "parts": ["张桂", "桂芬"]},
                "history": [{"status": "submitted", "at": NOW}],
                "created_at": NOW,
            }
            for i in range(50)
        ]
    )
    await db.messages.insert_many(
        [{"_id": f"msg:{i}", "openid": f"o_{i % 7}", "content": "你好", "created_at": NOW} for i in range(200)]
    )
    await db.counters.insert_one({"_id": "booking:2026-11-20", "value": 50})
    stored = await everything(client)
    client.close()
    journal.close()
    return stored


async def reopened(data_dir) -> tuple[dict, Journal]:
    client, journal = open_persistent_client(data_dir)
    try:
        return await everything(client), journal
    finally:
        client.close()
        journal.close()


async def test_a_start_reads_the_cache_of_its_snapshot_with_the_same_documents(tmp_path):
    stored = await fill(tmp_path)
    wait_for_cache(tmp_path, generation=2)
    got, journal = await reopened(tmp_path)
    assert journal.loaded_from_cache
    assert got == stored
    # Shared strings stay shared through the cache: one object per field name.
    wait_for_cache(tmp_path, generation=3)  # the stop just now compacted: a new snapshot and its cache
    client, journal = open_persistent_client(tmp_path)
    try:
        docs = list(client["govbot"].messages._AsyncMongoMockCollection__collection._store._documents.values())
        assert journal.loaded_from_cache
        assert next(iter(docs[0])) is next(iter(docs[1]))
        assert docs[0]["content"] is docs[1]["content"]
        assert docs[0]["openid"] == "o_0" and docs[0]["openid"] is docs[7]["openid"]  # made apart, cached as one
    finally:
        client.close()
        journal.close()


async def test_documents_written_after_the_cache_are_read_from_the_journal(tmp_path):
    await fill(tmp_path)
    wait_for_cache(tmp_path, generation=2)
    client, journal = open_persistent_client(tmp_path)
    assert journal.loaded_from_cache
    db = client["govbot"]
    await db.bookings.update_one({"number": "DB0001"}, {"$set": {"status": "accepted"}})
    await db.messages.delete_one({"_id": "msg:3"})
    await db.messages.insert_one({"_id": "msg:new", "openid": "o_1", "content": "查进度", "created_at": NOW})
    expected = await everything(client)
    kill(journal)  # the journal after the snapshot holds these changes; the cache does not
    got, journal = await reopened(tmp_path)
    assert journal.loaded_from_cache and journal.cached_at == 0  # the journal read on top of the cache
    assert got == expected


@pytest.mark.parametrize("damage", ["stale", "corrupt", "truncated", "missing", "journal cut short"])
async def test_a_cache_that_is_not_the_snapshots_is_not_used(tmp_path, damage, caplog):
    stored = await fill(tmp_path)
    path = tmp_path / embedded_cache.CACHE
    wait_for_cache(tmp_path, generation=2)
    if damage == "stale":  # the cache of an older snapshot, left behind
        old = path.read_bytes()
        await reopened(tmp_path)  # a start and a normal stop: a new snapshot and cache
        wait_for_cache(tmp_path, generation=3)
        path.write_bytes(old)
    elif damage == "corrupt":  # a flipped byte in the pickled documents
        data = bytearray(path.read_bytes())
        data[-10] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:-100])
    elif damage == "missing":
        path.unlink()
    else:  # a cache said to cover journal bytes this directory does not have
        header = wait_for_cache(tmp_path, generation=2)
        data = path.read_bytes()
        _magic, _header, payload = data.split(b"\n", 2)
        path.write_bytes(embedded_cache.MAGIC + json.dumps({**header, "journal": 10_000}).encode() + b"\n" + payload)
    got, journal = await reopened(tmp_path)
    assert not journal.loaded_from_cache
    assert got == stored
    if damage in ("corrupt", "truncated"):
        assert "load cache" in caplog.text and "not used" in caplog.text


async def test_a_start_without_a_usable_cache_writes_one_for_the_next(tmp_path):
    stored = await fill(tmp_path)
    wait_for_cache(tmp_path, generation=2)
    (tmp_path / embedded_cache.CACHE).unlink()
    client, journal = open_persistent_client(tmp_path)  # reads the snapshot, then caches it
    assert not journal.loaded_from_cache
    client.close()
    kill(journal)
    wait_for_cache(tmp_path, generation=2)
    got, journal = await reopened(tmp_path)
    assert journal.loaded_from_cache
    assert got == stored


async def test_a_writer_killed_before_it_finished_leaves_nothing_for_long(tmp_path):
    stored = await fill(tmp_path)
    leftover = tmp_path / f"{embedded_cache.CACHE}.12345.tmp"
    leftover.write_bytes(b"half a cache")
    os.utime(leftover, (time.time() - 3600, time.time() - 3600))
    got, _journal = await reopened(tmp_path)
    assert got == stored and not leftover.exists()


def test_an_older_writer_finishing_last_leaves_the_newer_cache(tmp_path):
    """Writers are detached and run at a low priority: the one of an earlier snapshot may finish after the one of
    a later snapshot (seen under load), and must not put its older cache back."""
    embedded_cache.write(tmp_path, {"gen": 2, "id": "b", "journal": 0, "settled": True}, {("govbot", "x"): {"a": {}}})
    embedded_cache.write(tmp_path, {"gen": 1, "id": "a", "journal": 0, "settled": True}, {})
    header = wait_for_cache(tmp_path, generation=2)
    assert header["id"] == "b" and not list(tmp_path.glob("*.tmp"))
    embedded_cache.write(tmp_path, {"gen": 2, "id": "b", "journal": 10, "settled": True}, {})
    assert wait_for_cache(tmp_path, generation=2, journal=10)["journal"] == 10
