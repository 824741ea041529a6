"""The embedded store kept on disk: a real `python -m bot` is killed with SIGKILL and started again, and
its bookings, proxies, messages and encrypted fields are still there; booking numbers never repeat."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tornado.httpclient import AsyncHTTPClient

from bot.embedded import DataDirLocked, Journal, open_persistent_client
from bot.simulate import WeChatUser
from settings import DEV_ADMIN_TOKEN
from tests.utils import SERVER_START_SECONDS, free_port, home_visit_script, make_id, next_workday_text

ROOT = Path(__file__).resolve().parent.parent
ADMIN = {"Authorization": f"Bearer {DEV_ADMIN_TOKEN}", "Content-Type": "application/json"}


class BotProcess:
    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    async def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHAT_", "MONGODB_"))}
        env.update(BOT_PORT=str(self.port), BOT_DATA_DIR=str(self.data_dir), MONGODB_URI="mongomock://")
        self.log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.data_dir.parent / f"server-{self.port}.log").read_text()
            try:
                await AsyncHTTPClient().fetch(self.url + "/healthz", request_timeout=1)
                return
            except (OSError, Exception):  # noqa: BLE001 - not up yet
                await asyncio.sleep(0.2)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.log.close()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(30) == 0
        self.log.close()

    def user(self, openid: str) -> WeChatUser:
        return WeChatUser(self.url, openid, "dev-token")

    async def admin(self, path: str, body: dict | None = None) -> dict:
        response = await AsyncHTTPClient().fetch(
            f"{self.url}/api/v1/admin/{path}",
            method="POST" if body is not None else "GET",
            body=json.dumps(body) if body is not None else None,
            headers=ADMIN,
        )
        return json.loads(response.body)


async def proxy_books(proxy: WeChatUser, name: str, id_number: str) -> str:
    first = await proxy.say("帮村里赵大爷预约代办低保")
    if "哪一项" in first:
        await proxy.say("1")
    for line in (name, id_number, "13666667777", next_workday_text()):
        await proxy.say(line)
    done = await proxy.say("1")
    assert "预约成功" in done, done
    return done.split("预约号：")[1].split()[0]


@pytest.fixture
def port() -> int:
    return free_port()


async def test_sigkill_loses_no_booking_proxy_or_message(tmp_path, port):
    data_dir = tmp_path / "data"
    bot = BotProcess(data_dir, port)
    await bot.start()
    daughter = bot.user("o_daughter")
    for line in home_visit_script():
        await daughter.say(line)
    done = await daughter.say("1")
    assert "预约成功" in done
    home_visit = done.split("预约号：")[1].split()[0]
    invite = await bot.admin("invites", {"station": "LDX-002-01", "name": "李春梅", "staff": "李明"})
    proxy = bot.user("o_proxy")
    assert "绑定成功" in await proxy.say(f"绑定 {invite['code']}")
    by_proxy = await proxy_books(proxy, "赵有福", make_id("19520606"))
    await asyncio.sleep(1)  # the message log is journaled within FLUSH_DELAY; bookings at once
    bot.kill()

    await bot.start()
    assert home_visit in await daughter.say("查进度")
    assert by_proxy in await proxy.say("查进度")  # still a proxy of the station
    detail = await bot.admin(f"bookings/{home_visit}?staff=李明")
    assert detail["contact"]["phone"] == "13812345678"  # the persisted data key still decrypts it
    again = await proxy_books(proxy, "钱桂兰", make_id("19480101", seq="456"))
    assert again not in (home_visit, by_proxy)
    await asyncio.sleep(0.5)
    bot.kill()

    client, journal = open_persistent_client(data_dir)
    try:
        db = client["govbot"]
        numbers = [b["number"] async for b in db.bookings.find({}, {"number": 1})]
        assert sorted(numbers) == sorted([home_visit, by_proxy, again])
        said = await db.messages.count_documents({"openid": "o_daughter", "direction": "in"})
        assert said == len(home_visit_script()) + 2
        assert await db.messages.count_documents({"openid": "o_proxy", "direction": "out"}) >= 14
    finally:
        client.close()
        journal.close()


async def test_a_normal_stop_keeps_everything_and_one_directory_serves_one_process(tmp_path, port):
    data_dir = tmp_path / "data"
    bot = BotProcess(data_dir, port)
    await bot.start()
    with pytest.raises(DataDirLocked):
        Journal(data_dir)
    resident = bot.user("o_stop")
    assert "结婚" in await resident.say("结婚登记要带什么")
    bot.stop()
    for name in ("data.key", "snapshot.bson", "."):
        assert (data_dir / name).stat().st_mode & 0o077 == 0, name  # the owner's only
    client, journal = open_persistent_client(data_dir)
    try:
        assert await client["govbot"].messages.count_documents({"openid": "o_stop"}) == 2
    finally:
        client.close()
        journal.close()


def crash(journal: Journal) -> None:
    """What SIGKILL leaves: the journal as written so far, no final snapshot."""
    journal.flush()
    os.close(journal._fd)
    journal._fd = None
    journal._lock.close()


async def test_every_kind_of_write_is_journaled_and_a_torn_tail_is_dropped(tmp_path):
    from datetime import UTC, datetime

    from pymongo import ReturnDocument

    client, journal = open_persistent_client(tmp_path)
    things = client["db"]["things"]
    await things.insert_many([{"_id": i, "n": i} for i in range(5)])
    await things.update_one({"_id": 1}, {"$set": {"n": 10}})
    await things.update_many({"n": {"$gte": 3}}, {"$inc": {"n": 100}})
    await things.replace_one({"_id": 2}, {"_id": 2, "replaced": True})
    await things.delete_one({"_id": 0})
    await things.update_one({"_id": 9}, {"$set": {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}}, upsert=True)
    counter = await client["db"]["counters"].find_one_and_update(
        {"_id": "c"}, {"$inc": {"value": 1}}, upsert=True, return_document=ReturnDocument.AFTER
    )
    assert counter["value"] == 1
    crash(journal)
    with open(tmp_path / f"journal-{journal.generation}.bson", "ab") as fh:
        fh.write(b"\x40\x00\x00\x00partial")  # a record cut short by the kill

    client, journal = open_persistent_client(tmp_path)
    try:
        docs = {d["_id"]: d async for d in client["db"]["things"].find({})}
        assert set(docs) == {1, 2, 3, 4, 9}
        assert docs[1]["n"] == 110 and docs[3]["n"] == 103 and docs[4]["n"] == 104
        assert docs[2] == {"_id": 2, "replaced": True}
        assert docs[9]["at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        assert (await client["db"]["counters"].find_one({"_id": "c"}))["value"] == 1
        await client["db"]["things"].drop()
        journal.flush()
    finally:
        client.close()
        journal.close()
    client, journal = open_persistent_client(tmp_path)
    assert await client["db"]["things"].count_documents({}) == 0
    client.close()
    journal.close()


async def test_a_small_journal_is_appended_to_after_a_crash_not_compacted(tmp_path):
    client, journal = open_persistent_client(tmp_path)
    await client["db"]["things"].insert_many([{"_id": i} for i in range(3)])
    crash(journal)
    with open(tmp_path / f"journal-{journal.generation}.bson", "ab") as fh:
        fh.write(b"\x40\x00\x00\x00partial")  # a record cut short by the kill
    generation = journal.generation

    client, journal = open_persistent_client(tmp_path)  # reads; the torn tail is cut off, nothing rewritten
    assert journal.generation == generation
    await client["db"]["things"].insert_one({"_id": 3})
    crash(journal)

    client, journal = open_persistent_client(tmp_path)
    try:
        assert sorted([d["_id"] async for d in client["db"]["things"].find({})]) == [0, 1, 2, 3]
    finally:
        client.close()
        journal.close()
