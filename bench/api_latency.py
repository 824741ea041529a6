"""Benchmark: the mini-program API's search and booking creation, in process and over HTTP.

    .venv/bin/python bench/api_latency.py [--searches 500] [--bookings 300] [--stored 2000]

In process: the domain calls the handlers make (understanding + result shaping; OnlineBookingForm.request +
BookingService.create). Over HTTP: GET /api/v1/search and POST /api/v1/bookings on the real server with a
signed-in user, one request at a time. The store holds `--stored` bookings first (the embedded store scans
its collections: figures move with its size). Prints median and p99 in milliseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tornado.httpclient import AsyncHTTPClient  # noqa: E402

from bot.app import build_services, make_app  # noqa: E402
from bot.bookings.service import Actor  # noqa: E402
from bot.store import Store  # noqa: E402
from handlers.wechat_sandbox import make_sandbox_app  # noqa: E402
from settings import Settings  # noqa: E402
from tests.conftest import serve  # noqa: E402
from tests.utils import AES_KEY, APPID, TOKEN, make_id  # noqa: E402

QUESTIONS = [
    "身份证丢了怎么补",
    "社宝卡丢了咋个补",
    "办低保要什么材料",
    "高龄津贴每月多少钱",
    "老人医保报销去哪里",
    "yanglao baoxian zenme jiao",
    "营业执照怎么办",
    "残疾证在哪里办",
    "户口迁移需要什么手续",
    "不动产证丢了怎么补",
]
NAMES = ["张桂芬", "李春梅", "王志华", "赵玉兰", "陈国强", "刘秀英", "杨德明", "黄丽华"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def line(label: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"{label:<44} median {statistics.median(ms):7.2f} ms   p99 {pct(ms, 99):7.2f} ms   (n={len(ms)})"


def form(services, n: int) -> dict:
    svc = services.bookings
    day = svc.calendar.next_workday(svc.today() + timedelta(days=1 + n % 10))
    while svc.check_date(day):
        day = svc.calendar.next_workday(day + timedelta(days=1))
    return {
        "kind": "proxy",
        "item_code": "MZ-007",
        "name": NAMES[n % len(NAMES)],
        "id_number": make_id("19430815", seq=f"{n % 1000:03d}"),
        "phone": f"139{n:08d}",
        "preferred_date": day.isoformat(),
        "station": services.miniprogram.stations.townships()[0]["code"],
        "relation": "母亲",
    }


async def main(args) -> None:
    fake = await serve(make_sandbox_app())
    config = Settings(
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="bench-secret",
        wechat_aes_key=AES_KEY,
        wechat_api_base=fake.url + "/",
        mongodb_db="govbot_bench_api",
        secret="bench-cookie-secret",
        data_key="bench-data-key",
        api_rate_per_minute=10**9,
        api_address_rate_per_minute=10**9,
        content_check="off",
        notify_workers=0,
    )
    store = Store.connect(config.mongodb_uri, config.mongodb_db)
    await store.client.drop_database(config.mongodb_db)
    services = await build_services(config, store=store)
    services.bookings.rules = {**services.bookings.rules, "max_open_per_resident": 10**9, "max_per_proxy_per_day": 10**9}
    mp = services.miniprogram
    proxy = Actor("proxy", "o_bench_proxy", mp.stations.townships()[0]["code"])
    for n in range(args.stored):  # the store holds bookings of other people first
        await services.bookings.create(mp.form.request(form(services, n), proxy, f"seed-{n}"))
    print(f"embedded store (mongomock), {await store.bookings.count_documents({})} bookings stored")

    understander = mp.knowledge()
    samples = []
    for n in range(args.searches):
        q = QUESTIONS[n % len(QUESTIONS)] + ("" if n < len(QUESTIONS) else f" {n}")  # mostly uncached texts
        started = time.perf_counter()
        u = understander.understand(q)
        [understander.index.item(m.code) for m in u.result.matches[:5]]
        samples.append(time.perf_counter() - started)
    print(line("search, in process (understand + shape)", samples))

    resident = Actor("resident", "o_bench_resident")
    samples = []
    for n in range(args.bookings):
        started = time.perf_counter()
        await services.bookings.create(mp.form.request(form(services, args.stored + n), resident, uuid.uuid4().hex))
        samples.append(time.perf_counter() - started)
    print(line("booking creation, in process", samples))

    server = await serve(make_app(services))
    client = AsyncHTTPClient()
    fake.app.sandbox.wxa_codes["bench"] = {"openid": "o_wxa_bench"}
    login = await client.fetch(server.url + "/api/v1/login", method="POST", body=json.dumps({"code": "bench"}))
    auth = {"Authorization": "Bearer " + json.loads(login.body)["access_token"], "Content-Type": "application/json"}
    samples = []
    for n in range(args.searches):
        q = QUESTIONS[n % len(QUESTIONS)] + f" {n + args.searches}"
        started = time.perf_counter()
        reply = await client.fetch(server.url + "/api/v1/search?q=" + quote(q), raise_error=False)
        samples.append(time.perf_counter() - started)
        assert reply.code == 200, reply.body
    print(line("GET /api/v1/search over HTTP", samples))
    samples = []
    for n in range(args.bookings):
        body = json.dumps(form(services, args.stored + args.bookings + n), ensure_ascii=False)
        started = time.perf_counter()
        reply = await client.fetch(
            server.url + "/api/v1/bookings",
            method="POST",
            body=body,
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            raise_error=False,
        )
        samples.append(time.perf_counter() - started)
        assert reply.code == 201, reply.body
    print(line("POST /api/v1/bookings over HTTP", samples))
    print(f"store after the run: {await store.bookings.count_documents({})} bookings")
    services.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--bookings", type=int, default=300)
    parser.add_argument("--stored", type=int, default=2000)
    asyncio.run(main(parser.parse_args()))
