"""Benchmark: how the embedded store's costs move with its size, on a real `python -m bot` process.

    .venv/bin/python bench/store_scale.py [--bookings 1000,10000] [--repeat 7] [--keep DIR]

For each size N the bench fills a data directory (BOT_DATA_DIR) with N bookings over 2026, ~10 messages
per booking, N/4 hand-off chats and N/5 96128 calls (bench/desk_report.py's filler, written straight into
the store), then, with the fake WeChat API of handlers/wechat_sandbox.py in this process:

  notifications/s       in process, on the filled store: 200 customer-service notifications queued and drained
  start-up              `python -m bot` started on the directory, until /healthz answers
  POST /api/v1/bookings a signed-in mini-program user books (a new user each time: the per-user limits)
  chat confirmation     a resident's home-visit booking over WeChat callbacks: the last turn ("1")
  console bookings      GET /console/bookings as a supervisor (open bookings, newest first, with the count)
  RSS                   the server's resident memory after those requests
  restart               SIGKILL, then started again until /healthz answers

Minimum and median in milliseconds: on a shared machine the minimum is the least disturbed figure, and
ratios between sizes within one run say more than figures across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import desk_report  # noqa: E402
from api_latency import form  # noqa: E402
from tornado.httpclient import AsyncHTTPClient  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.notifications.service import Recipient  # noqa: E402
from bot.simulate import WeChatUser  # noqa: E402
from bot.store import Store  # noqa: E402
from handlers.wechat_sandbox import make_sandbox_app  # noqa: E402
from settings import Settings  # noqa: E402
from tests.conftest import serve  # noqa: E402
from tests.utils import home_visit_script  # noqa: E402

DATA_KEY = "bench-data-key"
PASSWORD = "Store-scale-2026"  # the password policy: 10+ characters, three classes, not the username


async def put_directly(collection, docs: list[dict]) -> None:
    """The filler's writes: straight into the embedded store's documents (what the journal's load does), so a
    store without indexes fills in seconds too; the snapshot written at close keeps them."""
    from bson import ObjectId
    from mongomock import helpers

    store = collection._AsyncMongoMockCollection__collection._store
    for doc in docs:
        doc.setdefault("_id", ObjectId())
        store._documents[doc["_id"]] = helpers.patch_datetime_awareness_in_document(doc)
    reload = getattr(store, "reload", None)  # the indexed store numbers its documents again
    if reload is not None:
        reload()


def settings_for(data_dir: Path, api_base: str) -> Settings:
    return Settings(
        wechat_api_base=api_base,
        mongodb_uri="mongomock://",
        data_dir=data_dir,
        data_key=DATA_KEY,
        notify_quiet_hours=None,
        notify_coalesce_seconds=0,
    )


async def fill(data_dir: Path, n: int, api_base: str, repeat: int) -> tuple[list[dict], float, dict]:
    """Fill `data_dir`; returns mini-program booking forms for later, notifications/s, and the counts."""
    config = settings_for(data_dir, api_base)
    store = Store.connect(config.mongodb_uri, config.mongodb_db, data_dir=data_dir)
    services = await build_services(config, store=store)
    await desk_report.seed(services, n, 10 * n, random.Random(19), insert=put_directly)
    await services.console.accounts.create("bench", "supervisor", PASSWORD, must_change=False, created_by="bench")
    forms = [form(services, n + i) for i in range(repeat)]
    counts = {c: await store.db[c].count_documents({}) for c in ("bookings", "messages", "escalations", "hotline_calls")}
    await notifications_per_second(services, 20, "warm")  # the first queries build the indexes they use
    rate = await notifications_per_second(services, 200)
    services.close()
    return forms, rate, counts


async def notifications_per_second(services, count: int, tag: str = "n") -> float:
    now = datetime.now(UTC)
    for i in range(count):
        openid = f"o_notify_{tag}{i}"
        await services.store.messages.insert_one(
            {
                "_id": f"msg:notify{tag}{i}",
                "direction": "in",
                "openid": openid,
                "type": "text",
                "content": "你好",
                "created_at": now,
            }
        )
        to = Recipient(openid=openid, phone=f"138{i:08d}", role="booker")
        await services.notifications.enqueue(
            "booking_status", to, "您的预约已受理。", {"number": "x"}, subject=f"booking:{tag}{i}"
        )
    started = time.perf_counter()
    done = await services.notifications.drain()
    return done / (time.perf_counter() - started)


class Server:
    def __init__(self, data_dir: Path, port: int, api_base: str):
        self.data_dir, self.port, self.api_base = data_dir, port, api_base
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    async def start(self) -> float:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHAT_", "MONGODB_"))}
        env.update(
            BOT_PORT=str(self.port),
            BOT_DATA_DIR=str(self.data_dir),
            BOT_DATA_KEY=DATA_KEY,
            MONGODB_URI="mongomock://",
            WECHAT_API_BASE=self.api_base,
            API_RATE_PER_MINUTE="1000000",
            API_ADDRESS_RATE_PER_MINUTE="1000000",
            API_LOGIN_PER_MINUTE="1000000",
            CONTENT_CHECK="off",
        )
        log = open(self.data_dir.parent / f"server-{self.port}.log", "ab")  # noqa: SIM115 - the child keeps it
        started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=env, stdout=log, stderr=log)
        client = AsyncHTTPClient()
        while time.perf_counter() - started < 600:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir.parent / f"server-{self.port}.log").read_text()[-3000:])
            try:
                await client.fetch(self.url + "/healthz", request_timeout=2)
                return time.perf_counter() - started
            except Exception:  # noqa: BLE001 - not up yet
                await asyncio.sleep(0.05)
        raise RuntimeError("server did not start")

    def store_load_seconds(self) -> float:
        """From the server's log: how long its last start spent reading the store (the rest is the
        knowledge base's index and the intent classifier, which do not grow with the store)."""
        lines = (self.data_dir.parent / f"server-{self.port}.log").read_text(errors="replace").splitlines()
        loaded = [line for line in lines if "embedded store loaded from" in line]
        return float(loaded[-1].rsplit(" in ", 1)[1].rstrip("s")) if loaded else float("nan")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)


async def timed(fn, repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        started = time.perf_counter()
        await fn(i)
        samples.append(time.perf_counter() - started)
    return samples


def ms(samples: list[float]) -> str:
    return f"{min(samples) * 1000:5.0f} / {statistics.median(samples) * 1000:5.0f}"


async def api_bookings(server: Server, sandbox, forms: list[dict], repeat: int) -> list[float]:
    client = AsyncHTTPClient()

    async def book(i: int) -> None:
        code = f"bench-{time.time_ns()}"  # a login code is good once
        sandbox.wxa_codes[code] = {"openid": f"o_wxa_{code}"}
        login = await client.fetch(server.url + "/api/v1/login", method="POST", body=json.dumps({"code": code}))
        auth = {"Authorization": "Bearer " + json.loads(login.body)["access_token"], "Content-Type": "application/json"}
        body = json.dumps(forms[i], ensure_ascii=False)
        started = time.perf_counter()
        reply = await client.fetch(
            server.url + "/api/v1/bookings",
            method="POST",
            body=body,
            headers={**auth, "Idempotency-Key": f"bench-{i}-{time.time_ns()}"},
            raise_error=False,
        )
        book.samples.append(time.perf_counter() - started)
        assert reply.code == 201, reply.body

    book.samples = []
    await timed(book, repeat)
    return book.samples


async def chat_confirmations(server: Server, repeat: int) -> list[float]:
    samples = []
    for i in range(repeat):
        user = WeChatUser(server.url, f"o_chat_bench_{i}_{time.time_ns()}", "dev-token")
        for line in home_visit_script(birth=f"194{i % 10}0312"):
            await user.say(line)
        started = time.perf_counter()
        done = await user.say("1")
        samples.append(time.perf_counter() - started)
        assert "预约成功" in (done or ""), done
    return samples


async def console_list(server: Server, repeat: int) -> list[float]:
    client = AsyncHTTPClient()
    login = await client.fetch(server.url + "/console/login", raise_error=False)
    cookies = {c.split("=", 1)[0]: c.split(";")[0].split("=", 1)[1] for c in login.headers.get_list("Set-Cookie")}
    xsrf = cookies.get("_xsrf", "")
    reply = await client.fetch(
        server.url + "/console/login",
        method="POST",
        body=f"username=bench&password={PASSWORD}&_xsrf={xsrf}",
        headers={"Cookie": f"_xsrf={xsrf}"},
        follow_redirects=False,
        raise_error=False,
    )
    for c in reply.headers.get_list("Set-Cookie"):
        cookies[c.split("=", 1)[0]] = c.split(";")[0].split("=", 1)[1]
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())

    async def page(_i: int) -> None:
        reply = await client.fetch(server.url + "/console/bookings", headers={"Cookie": cookie}, raise_error=False)
        assert reply.code == 200, reply.code

    return await timed(page, repeat)


async def one_size(n: int, base: Path, sandbox_url: str, sandbox, repeat: int) -> dict:
    data_dir = base / f"n{n}" / "data"
    data_dir.mkdir(parents=True)
    started = time.perf_counter()
    forms, rate, counts = await fill(data_dir, n, sandbox_url, repeat)
    print(f"  filled {counts} in {time.perf_counter() - started:.0f}s; notifications {rate:.1f}/s", flush=True)
    from tornado.testing import bind_unused_port

    sock, port = bind_unused_port()
    sock.close()
    server = Server(data_dir, port, sandbox_url)
    try:
        return await measure(server, n, rate, sandbox, forms, repeat)
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.kill()


async def measure(server: Server, n: int, rate: float, sandbox, forms: list[dict], repeat: int) -> dict:
    row = {"n": n, "notify": rate, "startup": await server.start()}
    row["load"] = server.store_load_seconds()
    await asyncio.sleep(1)
    row["api"] = await api_bookings(server, sandbox, forms, repeat)
    row["chat"] = await chat_confirmations(server, repeat)
    row["console"] = await console_list(server, repeat)
    row["rss"] = server.rss_mb()
    await asyncio.sleep(0.5)  # the message log is journaled within FLUSH_DELAY
    server.kill()
    row["restart"] = await server.start()
    row["reload"] = server.store_load_seconds()
    server.stop()
    print(
        f"  start-up {row['startup']:.1f}s (store {row['load']:.1f}s), restart after SIGKILL {row['restart']:.1f}s "
        f"(store {row['reload']:.1f}s), RSS {row['rss']:.0f} MB",
        flush=True,
    )
    return row


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", default="1000,10000", help="comma-separated store sizes")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keep", help="fill under this directory and keep it")
    args = parser.parse_args()
    fake = await serve(make_sandbox_app())
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="store-scale-"))
    rows = []
    try:
        for n in [int(x) for x in args.bookings.split(",")]:
            print(f"{n} bookings:", flush=True)
            rows.append(await one_size(n, base, fake.url + "/", fake.app.sandbox, args.repeat))
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("\nembedded store (mongomock, kept on disk), one server process; min / median ms (min: least disturbed)")
    print(f"{'bookings':>9} {'POST /api/v1/bookings':>22} {'chat confirmation':>18} {'console list':>15} "
          f"{'notif/s':>8} {'start-up (store)':>17} {'restart (store)':>16} {'RSS MB':>7}")  # fmt: skip
    for r in rows:
        print(
            f"{r['n']:>9} {ms(r['api']):>22} {ms(r['chat']):>18} {ms(r['console']):>15} {r['notify']:>8.1f} "
            f"{r['startup']:>9.1f}s ({r['load']:>4.1f}s) {r['restart']:>8.1f}s ({r['reload']:>4.1f}s) {r['rss']:>7.0f}"
        )
    first = rows[0]
    for r in rows[1:]:
        ratio = {k: min(r[k]) / min(first[k]) for k in ("api", "chat", "console")}
        print(f"  {r['n']} vs {first['n']}: " + ", ".join(f"{k} x{v:.1f}" for k, v in ratio.items()))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
