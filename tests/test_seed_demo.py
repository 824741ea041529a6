"""`python -m bot.admin seed-demo --bookings N`: realistic demo data written into the configured store while
no server runs on it, a summary of what it wrote, and refusals in production and while a server holds the
data directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bookings.service import SEARCH_HASHES_DONE
from bot.embedded import Journal
from bot.privacy import FieldCipher
from bot.report.rollups import COLLECTION
from bot.store import Store

ROOT = Path(__file__).resolve().parent.parent


def seed_demo(data_dir: Path, *args: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "MONGODB_"))}
    environ.update(BOT_DATA_DIR=str(data_dir), **env)
    command = [sys.executable, "-m", "bot.admin", "seed-demo", *args]
    return subprocess.run(command, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=300)


async def test_seed_demo_writes_realistic_data_and_says_what(tmp_path):
    done = seed_demo(tmp_path, "--bookings", "80")
    assert done.returncode == 0, done.stderr
    printed = dict(re.findall(r"^\s+(bookings|messages|hand-offs|96128 calls|ratings)\s+(\d+)", done.stdout, re.M))
    assert printed["bookings"] == "80" and printed["hand-offs"] == "20" and printed["96128 calls"] == "16"
    store = Store.connect("mongomock://", "govbot", data_dir=tmp_path)
    try:
        bookings = [b async for b in store.bookings.find({})]
        assert len(bookings) == 80 and len({b["number"] for b in bookings}) == 80
        assert await store.messages.count_documents({}) == int(printed["messages"]) >= 80 * 8
        assert await store.escalations.count_documents({}) == 20 and await store.hotline_calls.count_documents({}) == 16
        ratings = sum(
            [await store.db[c].count_documents({"rating": {"$ne": None}}) for c in ("bookings", "escalations", "hotline_calls")]
        )
        assert ratings == int(printed["ratings"]) > 0
        # Across 18 months, stations, items, kinds and statuses.
        created = sorted(b["created_at"] for b in bookings)
        assert created[-1] - created[0] > timedelta(days=400) and created[-1] <= datetime.now(UTC)
        assert len({b["station"] for b in bookings}) > 5 and len({b["item_code"] for b in bookings}) > 10
        assert {b["kind"] for b in bookings} == {"proxy", "home_visit"}
        statuses = Counter(b["status"] for b in bookings)
        assert statuses["completed"] > 40 and len(statuses) >= 4
        # Personal data as the services store it: encrypted, readable with the data directory's key.
        key = (tmp_path / "data.key").read_text().strip()
        b = bookings[0]["beneficiary"]
        phone = FieldCipher(key).decrypt(b["phone_enc"], "beneficiary.phone")
        assert re.fullmatch(r"1\d{10}", phone) and phone not in str(bookings[0])
        # The desk's keyed search hashes, as the booking service writes them: found by part of the name.
        cipher = FieldCipher(key)
        assert b["name_hash"] == cipher.blind_index(b["name"]) and cipher.blind_index(b["name"][1:]) in b["name_parts"]
        assert await store.bookings.count_documents({"beneficiary.name_parts": {"$exists": False}}) == 0
        # So the server's first start on it need not scan every booking for missing hashes.
        assert await store.meta.find_one({"_id": SEARCH_HASHES_DONE})
        # The report's rollups counted everything written.
        assert await store.db[COLLECTION].count_documents({}) > 100
    finally:
        store.close()


def test_seed_demo_refuses_in_production(tmp_path):
    done = seed_demo(tmp_path / "data", "--bookings", "10", BOT_ENV="production")
    assert done.returncode == 2 and "production" in done.stderr
    assert not (tmp_path / "data").exists()  # nothing written


def test_seed_demo_refuses_while_a_server_holds_the_data(tmp_path):
    server = Journal(tmp_path)  # what a running server holds: the data directory's LOCK
    try:
        done = seed_demo(tmp_path, "--bookings", "10")
    finally:
        server.close()
    assert done.returncode == 2 and "stop the server first" in done.stderr
    assert not (tmp_path / "snapshot.bson").exists()
