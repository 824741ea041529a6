"""Benchmark: the bookings desk list and the accountability report on a store holding 10,000 bookings and
100,000 messages (plus hand-off chats and 96128 calls), and which index each report pipeline uses.

    .venv/bin/python bench/desk_report.py [--bookings 10000] [--messages 100000] [--http]
    MONGODB_URI=mongodb://... BOT_DATA_KEY=... .venv/bin/python bench/desk_report.py   # on a real MongoDB

Domain timings call the same code the console pages call; --http also logs a supervisor in and times the
pages themselves over HTTP. On a real MongoDB each pipeline is `explain`ed and the winning plan's index is
printed; the embedded store (mongomock) implements no `explain` and no indexes (it scans every collection),
so there the index MongoDB's planner would pick is derived from the pipeline's first $match and INDEXES.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bot.app import build_services  # noqa: E402
from bot.bookings.desk import DeskFilter, Scope  # noqa: E402
from bot.bookings.service import CHINA, KIND_PREFIX, OPEN_STATUSES  # noqa: E402
from bot.conversation import texts  # noqa: E402
from bot.report import pipelines as P  # noqa: E402
from bot.report.periods import Period  # noqa: E402
from bot.store import INDEXES  # noqa: E402
from settings import Settings  # noqa: E402

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "桂芬国华建国秀英志强春梅海燕玉兰德明小平"


def rand_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


async def _insert_many(collection, docs: list[dict]) -> None:
    await collection.insert_many(docs)


async def seed(services, n_bookings: int, n_messages: int, rng: random.Random, insert=_insert_many) -> None:
    """Bookings, messages (half in, half replies), N/4 closed hand-offs and N/5 96128 calls over 2026;
    `insert(collection, docs)` writes each batch (insert_many unless told otherwise)."""
    store, cipher, cal = services.store, services.bookings.cipher, services.bookings.calendar
    items = [i async for i in store.items.find({}, {"_id": 0, "code": 1, "name": 1, "promised_limit_days": 1, "proxy": 1})]
    stations = [s["code"] async for s in store.stations.find({}, {"code": 1})]
    start, end = datetime(2026, 1, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    docs, per_day = [], {}
    for n in range(n_bookings):
        item = rng.choice(items)
        created = rand_time(rng, start, end)
        day = created.astimezone(CHINA).date()
        per_day[day] = seq = per_day.get(day, 0) + 1  # numbered per local day, as the service does
        kind = rng.choice(["proxy", "home_visit"])
        due = cal.add_workdays(created.astimezone(CHINA).date(), int(item["promised_limit_days"]))
        status = rng.choices(["completed", "cancelled", "rejected", *OPEN_STATUSES], [70, 6, 3, 5, 5, 5, 6])[0]
        completed_at = on_time = rating = None
        if status == "completed":
            completed_at = created + timedelta(days=rng.uniform(0.5, int(item["promised_limit_days"]) * 1.6 + 1))
            on_time = completed_at.astimezone(CHINA).date() <= due
            if rng.random() < 0.7:
                rating = {
                    "score": rng.choices([5, 4, 3, 2, 1], [70, 20, 6, 3, 1])[0],
                    "at": completed_at + timedelta(hours=3),
                    "comment": "",
                }
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)[:1]
        phone = f"13{rng.randrange(10**9):09d}"
        docs.append(
            {
                "number": f"{KIND_PREFIX[kind]}{day:%Y%m%d}{seq:04d}",
                "kind": kind,
                "item_code": item["code"],
                "item_name": item["name"],
                "promised_days": int(item["promised_limit_days"]),
                "beneficiary": {
                    "name": name,
                    "relation": "本人",
                    "id_hash": cipher.blind_index(f"id{n}"),
                    "id_masked": "5303**********0000",
                    "phone_enc": cipher.encrypt(phone, "beneficiary.phone"),
                    "phone_masked": phone[:3] + "****" + phone[-4:],
                    "phone_hash": cipher.blind_index(phone),
                    "name_hash": cipher.blind_index(name),
                    "id_enc": cipher.encrypt(f"id{n}", "beneficiary.id_number"),
                },
                "booked_by": f"o_{rng.randrange(4000)}",
                "booked_by_kind": rng.choices(["resident", "proxy"], [60, 40])[0],
                "station": rng.choice(stations),
                "preferred_date": created.date().isoformat(),
                "due_date": due.isoformat(),
                "status": status,
                "history": [{"status": "submitted", "at": created, "by": "resident:o_x"}],
                "created_at": created,
                "completed_at": completed_at,
                "on_time": on_time,
                "rating": rating,
            }
        )
    await insert(store.bookings, docs)
    msgs = []
    for n in range(n_messages // 2):
        at = rand_time(rng, start, end)
        openid = f"o_{rng.randrange(6000)}"
        key = f"msg:{n}"
        msgs.append({"_id": key, "direction": "in", "openid": openid, "type": "text", "content": "低保怎么办", "created_at": at})
        content = texts.DONT_KNOW if rng.random() < 0.12 else "低保办理需要……"
        msgs.append(
            {
                "_id": "reply:" + key,
                "direction": "out",
                "openid": openid,
                "type": "text",
                "content": content,
                "answered_by": "passive",
                "in_reply_to": key,
                "created_at": at,
            }
        )
    await insert(store.messages, msgs)
    chats = []
    for n in range(n_bookings // 4):
        at = rand_time(rng, start, end)
        seconds = rng.expovariate(1 / 120)
        chats.append(
            {
                "openid": f"o_{n}",
                "reason": rng.choice(["asked", "not_understood", "complaint"]),
                "status": "closed",
                "created_at": at,
                "first_response_at": at + timedelta(seconds=seconds),
                "first_response_seconds": seconds,
                "answered_in_time": seconds <= 180,
                "closed_at": at + timedelta(minutes=20),
                "rating": {"score": rng.choice([5, 5, 5, 4, 3, 2]), "at": at + timedelta(minutes=21)}
                if rng.random() < 0.5
                else None,
            }
        )
    await insert(store.escalations, chats)
    calls = []
    for _n in range(n_bookings // 5):
        at = rand_time(rng, start, end)
        transferred = rng.random() < 0.3
        calls.append(
            {
                "at": at,
                "staff": "bench",
                "topic": "办事指南",
                "item_code": rng.choice(items)["code"],
                "outcome": "transferred" if transferred else "answered",
                "transfer_answered": (rng.random() < 0.9) if transferred else None,
                "rating": {"score": rng.choice([5, 5, 4, 3]), "at": at} if rng.random() < 0.4 else None,
            }
        )
    await insert(store.hotline_calls, calls)


def timed(samples: list[float]) -> str:
    s = sorted(samples)
    return f"median {statistics.median(s) * 1000:.0f} ms, max {s[-1] * 1000:.0f} ms (n={len(s)})"


async def measure(label: str, fn, repeat: int) -> None:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - started)
    print(f"  {label:<48} {timed(samples)}")


def predicted_index(collection: str, pipeline: list[dict]) -> str:
    """The index MongoDB's planner can use for the pipeline's first $match: the one whose leading keys are
    the match's equality fields followed by at most one range field (the ESR rule)."""
    match = pipeline[0].get("$match", {})
    equality = {
        k
        for k, v in match.items()
        if not (isinstance(v, dict) and any(op in v for op in ("$gte", "$lt", "$in", "$exists", "$ne")))
    }
    ranges = {k for k in match if k not in equality}
    best, best_len = "COLLSCAN", 0
    for model in INDEXES.get(collection, []):
        keys = [k for k, _ in model.document["key"].items()]
        used = 0
        for key in keys:
            if key in equality:
                used += 1
                continue
            if key in ranges:
                used += 1
            break
        if used > best_len:
            best, best_len = f"{model.document['name']} {keys[:used]}", used
    return best


async def explain(services, collection: str, pipeline: list[dict]) -> str:
    if services.store.embedded:
        return "embedded store: no explain (scans)"
    plan = await services.store.db.command(
        "explain", {"aggregate": collection, "pipeline": pipeline, "cursor": {}}, verbosity="queryPlanner"
    )
    text = str(plan)
    import re

    names = sorted(set(re.findall(r"'indexName': '([^']+)'", text)))
    return ("IXSCAN " + ",".join(names)) if names else ("COLLSCAN" if "COLLSCAN" in text else "?")


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--http", action="store_true", help="also time the console pages over HTTP")
    args = parser.parse_args()
    uri = os.environ.get("MONGODB_URI", "mongomock://")
    config = Settings(
        wechat_api_base="http://127.0.0.1:9/",
        mongodb_uri=uri,
        mongodb_db="govbot_bench",
        data_key=os.environ.get("BOT_DATA_KEY", "bench-key"),
    )
    services = await build_services(config)
    if not services.store.embedded:
        await services.store.client.drop_database("govbot_bench")
        services = await build_services(config)
    rng = random.Random(14)
    started = time.perf_counter()
    await seed(services, args.bookings, args.messages, rng)
    counts = {
        name: await services.store.db[name].count_documents({})
        for name in ("bookings", "messages", "escalations", "hotline_calls")
    }
    kind = "embedded (mongomock)" if services.store.embedded else "MongoDB"
    print(f"store: {kind}; holds {counts}; seeded in {time.perf_counter() - started:.1f}s")
    desk, reports = services.backoffice.desk, services.backoffice.reports
    everyone = Scope(None, True)
    station = (await services.store.bookings.find_one({}))["station"]
    some = await services.store.bookings.find_one({"status": "completed"})
    print("bookings desk (domain, one page of 50):")
    await measure("open bookings, newest first", lambda: desk.page(DeskFilter(), everyone), args.repeat)
    await measure("all statuses", lambda: desk.page(DeskFilter(status="all"), everyone), args.repeat)
    await measure("one station, open", lambda: desk.page(DeskFilter(station=station), everyone), args.repeat)
    await measure("overdue", lambda: desk.page(DeskFilter(overdue=True), everyone), args.repeat)
    await measure(
        "search by name (keyed hash)",
        lambda: desk.page(DeskFilter(status="all", q=some["beneficiary"]["name"]), everyone),
        args.repeat,
    )
    await measure(
        "search by booking number", lambda: desk.page(DeskFilter(status="all", q=some["number"]), everyone), args.repeat
    )
    await measure("count of open bookings", lambda: desk.count(DeskFilter(), everyone), args.repeat)
    print("report (domain, every pipeline):")
    await measure("year 2026", lambda: reports.build(Period.year(2026), fresh=True), args.repeat)
    await measure("year 2026, again within a minute (cached)", lambda: reports.build(Period.year(2026)), args.repeat)
    await measure("month 2026-06", lambda: reports.build(Period.month(2026, 6), fresh=True), args.repeat)
    await measure("day 2026-06-15", lambda: reports.build(Period.day(date(2026, 6, 15)), fresh=True), args.repeat)
    await measure("year 2026, one station", lambda: _filtered(reports, station), args.repeat)
    print("report pipelines: the index each uses")
    year, filters = Period.year(2026), P.Filters()
    pipelines = [
        ("bookings", "bookings_received", P.bookings_received(year, filters, "2026-12-02")),
        ("bookings", "bookings_completed", P.bookings_completed(year, filters)),
        ("bookings", "bookings_rated", P.bookings_rated(year, filters)),
        ("bookings", "bookings_received (station filter)", P.bookings_received(year, P.Filters(station=station), "2026-12-02")),
        ("bookings", "low_ratings", P.low_ratings()(year)),
        ("escalations", "escalations_queued", P.escalations_queued(year)),
        ("escalations", "escalations_rated", P.escalations_rated(year)),
        ("messages", "messages_inbound", P.messages_inbound(year)),
        ("messages", "bot_replies", P.bot_replies(year, [texts.DONT_KNOW])),
        ("hotline_calls", "hotline_calls", P.hotline_calls(year)),
    ]
    for collection, name, pipeline in pipelines:
        started = time.perf_counter()
        await services.store.aggregate(collection, pipeline)
        took = (time.perf_counter() - started) * 1000
        planned, explained = predicted_index(collection, pipeline), await explain(services, collection, pipeline)
        print(f"  {collection + '.' + name:<50} {took:7.0f} ms  planner would use: {planned:<40} {explained}")
    if args.http:
        await http_pages(services, station, some["number"], args.repeat)
    services.close()
    return 0


async def _filtered(reports, station):
    return await reports.build(Period.year(2026), await reports.filters(station=station), fresh=True)


async def http_pages(services, station: str, number: str, repeat: int) -> None:
    from tornado.httpclient import AsyncHTTPClient
    from tornado.testing import bind_unused_port

    from bot.__main__ import http_server
    from bot.app import make_app

    sock, port = bind_unused_port()
    server = http_server(make_app(services))
    server.add_sockets([sock])
    base = f"http://127.0.0.1:{port}"
    await services.console.accounts.create("bench", "supervisor", "Desk-report-2026", must_change=False, created_by="bench")
    client = AsyncHTTPClient()
    login = await client.fetch(base + "/console/login", raise_error=False)
    cookies = {c.split("=", 1)[0]: c.split(";")[0].split("=", 1)[1] for c in login.headers.get_list("Set-Cookie")}
    xsrf = cookies.get("_xsrf", "")
    body = f"username=bench&password=Desk-report-2026&_xsrf={xsrf}"
    resp = await client.fetch(
        base + "/console/login",
        method="POST",
        body=body,
        headers={"Cookie": f"_xsrf={xsrf}"},
        follow_redirects=False,
        raise_error=False,
    )
    for c in resp.headers.get_list("Set-Cookie"):
        cookies[c.split("=", 1)[0]] = c.split(";")[0].split("=", 1)[1]
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    print("console pages over HTTP (supervisor):")
    for label, path in (
        ("bookings list", "/console/bookings"),
        ("bookings list, one station", f"/console/bookings?station={station}"),
        ("booking page", f"/console/bookings/{number}"),
        ("report, year 2026", "/console/report?kind=year&value=2026"),
        ("report, month 2026-06", "/console/report?kind=month&value=2026-06"),
        ("annual report, printable", "/console/report/print?kind=year&value=2026"),
    ):
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            page = await client.fetch(base + path, headers={"Cookie": cookie}, raise_error=False, request_timeout=300)
            samples.append(time.perf_counter() - started)
            assert page.code == 200, (path, page.code)
        print(f"  {label:<48} {timed(samples)}")
    server.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
