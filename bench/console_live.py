"""Benchmark: the live queue and the queue page of the staff console.

    .venv/bin/python bench/console_live.py [--messages 200] [--escalations 10000] [--store-messages 100000]

1. Live latency: a resident's message posted to the real /wechat callback, until its text appears in an
   agent's open queue page in headless Chromium (a MutationObserver reports back through a Playwright
   binding). Messages alternate between new chats (转人工) and follow-ups in waiting chats.
2. Queue page load: GET /console/ for a signed-in agent (server time over HTTP, and the browser's load
   event), on a store holding the given escalations and messages, at a tenth of that size and at full size.

Runs on the embedded store (mongomock: no indexes, every query scans its collection) unless MONGODB_URI is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.web import create_signed_value  # noqa: E402

from bot.app import build_services, make_app  # noqa: E402
from bot.store import Store  # noqa: E402
from handlers.console.base import SESSION_COOKIE  # noqa: E402
from handlers.wechat_sandbox import make_sandbox_app  # noqa: E402
from settings import Settings  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, serve  # noqa: E402
from tests.console_utils import AlwaysOpen  # noqa: E402
from tests.utils import AES_KEY, APPID, TOKEN, user  # noqa: E402

OBSERVER = """
() => {
  const seen = new Set();
  const report = () => document.querySelectorAll('.chat .last').forEach(el => {
    const t = el.textContent;
    if (t.startsWith('BENCH ') && !seen.has(t)) { seen.add(t); window.benchSeen(t); }
  });
  new MutationObserver(report).observe(document.getElementById('waiting'), {childList: true, subtree: true, characterData: true});
}
"""


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def setup(store_uri: str):
    fake = await serve(make_sandbox_app())
    config = Settings(
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="bench-secret",
        wechat_aes_key=AES_KEY,
        wechat_api_base=fake.url + "/",
        mongodb_uri=store_uri,
        mongodb_db="govbot_bench_console",
        secret="bench-cookie-secret",
        data_key="bench-data-key",
    )
    store = Store.connect(config.mongodb_uri, config.mongodb_db)
    await store.client.drop_database(config.mongodb_db)
    services = await build_services(config, store=store)
    services.console.desk.hours = AlwaysOpen()
    services.console.start()
    server = await serve(make_app(services))
    await services.console.accounts.create("bench", "agent", "Console-live-2026", must_change=False, created_by="bench")
    account = await services.console.accounts.get("bench")
    token = await services.console.sessions.start(account, "127.0.0.1")
    cookie = create_signed_value(config.secret, SESSION_COOKIE, token).decode()
    return services, server, cookie


async def live_latency(browser, services, server, cookie: str, n: int) -> list[float]:
    context = await browser.new_context(viewport={"width": 1366, "height": 800})
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server.url + "/console/"}])
    page = await context.new_page()
    arrived: dict[str, float] = {}
    waiters: dict[str, asyncio.Future] = {}

    def seen(_source, text: str) -> None:
        arrived[text] = time.perf_counter()
        fut = waiters.get(text)
        if fut and not fut.done():
            fut.set_result(None)

    await page.expose_binding("benchSeen", seen)
    await page.goto(server.url + "/console/")
    await page.wait_for_selector("#live-status.on")
    await page.evaluate(OBSERVER)
    latencies = []
    residents = max(1, n // 4)
    for i in range(n):
        openid = f"o_bench_{i % residents:04d}"
        first = i < residents
        text = f"BENCH {i} " + ("转人工" if first else "还在等")
        waiters[text] = asyncio.get_running_loop().create_future()
        sent = time.perf_counter()
        await user(server, openid).say(text)
        try:
            await asyncio.wait_for(waiters[text], 5)
            latencies.append((arrived[text] - sent) * 1000)
        except TimeoutError:
            latencies.append(5000.0)
    await context.close()
    return latencies


async def seed(services, escalations: int, messages: int, rng: random.Random, offset: int = 0) -> None:
    store = services.store
    now = datetime.now(UTC)
    docs = []
    for i in range(escalations):
        created = now - timedelta(minutes=rng.uniform(1, 60 * 24 * 300))
        status = "waiting" if i % 50 == 0 else ("serving" if i % 50 == 1 else "closed")
        doc = {
            "openid": f"o_seed_{offset + i:06d}",
            "reason": rng.choice(["asked", "not_understood", "complaint"]),
            "last_message": rng.choice(["我想问问低保怎么办", "社保卡丢了", "转人工", "材料不全怎么办"]),
            "last_message_at": created,
            "status": status,
            "created_at": created if status == "closed" else now - timedelta(minutes=rng.uniform(1, 30)),
            "updated_at": created,
            "rev": 1,
            "staff": None if status == "waiting" else rng.choice(["bench", "li", "wang"]),
            "first_response_at": None if status == "waiting" else created + timedelta(seconds=90),
            "first_response_seconds": None if status == "waiting" else rng.uniform(20, 400),
            "closed_at": created + timedelta(minutes=10) if status == "closed" else None,
        }
        if status != "closed":
            doc["open_key"] = doc["openid"]
        docs.append(doc)
    for start in range(0, len(docs), 5000):
        await store.escalations.insert_many(docs[start : start + 5000])
    batch = []
    for i in range(messages):
        batch.append(
            {
                "_id": f"msg:seed{offset}-{i}",
                "direction": "in" if i % 2 == 0 else "out",
                "openid": f"o_seed_{offset + rng.randrange(escalations):06d}",
                "type": "text",
                "content": "历史消息",
                "created_at": now - timedelta(minutes=rng.uniform(1, 60 * 24 * 300)),
            }
        )
        if len(batch) == 10000:
            await store.messages.insert_many(batch)
            batch = []
    if batch:
        await store.messages.insert_many(batch)


async def page_load(browser, server, cookie: str, runs: int = 15) -> tuple[list[float], list[float]]:
    http = AsyncHTTPClient()
    server_ms = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await http.fetch(
            server.url + "/console/", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, follow_redirects=False
        )
        server_ms.append((time.perf_counter() - started) * 1000)
        assert response.code == 200 and "等待接待" in response.body.decode()
    context = await browser.new_context()
    await context.add_cookies([{"name": SESSION_COOKIE, "value": cookie, "url": server.url + "/console/"}])
    page = await context.new_page()
    browser_ms = []
    for _ in range(5):
        started = time.perf_counter()
        await page.goto(server.url + "/console/", wait_until="load")
        browser_ms.append((time.perf_counter() - started) * 1000)
    await context.close()
    return server_ms, browser_ms


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--escalations", type=int, default=10_000)
    parser.add_argument("--store-messages", type=int, default=100_000)
    args = parser.parse_args()
    from playwright.async_api import async_playwright

    uri = os.environ.get("MONGODB_URI", "mongomock://")
    services, server, cookie = await setup(uri)
    store_kind = "embedded (mongomock)" if services.store.embedded else "MongoDB"
    print(f"store: {store_kind}")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        lat = await live_latency(browser, services, server, cookie, args.messages)
        print(
            f"live queue, resident message -> agent's browser, {len(lat)} messages: "
            f"median {statistics.median(lat):.0f} ms, p99 {pct(lat, 99):.0f} ms, max {max(lat):.0f} ms"
        )
        rng = random.Random(9)
        seeded_e = seeded_m = 0
        for e, m in ((args.escalations // 10, args.store_messages // 10), (args.escalations, args.store_messages)):
            await seed(services, e - seeded_e, m - seeded_m, rng, offset=seeded_e)
            seeded_e, seeded_m = e, m
            n_esc = await services.store.escalations.count_documents({})
            n_msg = await services.store.messages.count_documents({})
            waiting = await services.store.escalations.count_documents({"status": "waiting"})
            server_ms, browser_ms = await page_load(browser, server, cookie)
            print(
                f"queue page with {n_esc} escalations ({waiting} waiting) and {n_msg} messages: "
                f"HTTP median {statistics.median(server_ms):.0f} ms (p90 {pct(server_ms, 90):.0f}), "
                f"browser load median {statistics.median(browser_ms):.0f} ms"
            )
        await browser.close()
    services.close()


if __name__ == "__main__":
    asyncio.run(main())
