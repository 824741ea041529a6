"""Benchmark: notifications per second through the durable queue and the fake WeChat API, per channel.

    .venv/bin/python bench/notification_queue.py [--count 500] [--rounds 3] [--workers 1,4,8]

Queues `count` notifications to distinct users and drains them, for each channel path: customer-service
(window open), template message (window closed), SMS (template refused: one failed call first). The fake
WeChat API (handlers/wechat_sandbox.py) runs in the same process and event loop, on 127.0.0.1, so each
send is a real HTTP round trip through wechatpy in the thread pool. Rounds repeat on the same store, so
the figures show how they move as `notifications` and `messages` grow (the embedded store scans).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tornado.httpserver import HTTPServer  # noqa: E402
from tornado.testing import bind_unused_port  # noqa: E402

from bot.notifications.service import NotificationService, Recipient  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.wechat.api import WeChatAPI  # noqa: E402
from handlers.wechat_sandbox import make_sandbox_app  # noqa: E402
from settings import Settings  # noqa: E402

FIELDS = {
    "number": "SM202612020001",
    "item": "最低生活保障申请",
    "status": "已受理",
    "time": "2026年12月02日 10:00",
    "note": "预计12月9日前办结",
}


async def run_path(service, sandbox, store, path: str, count: int, tag: str) -> float:
    sandbox.refuse.clear()
    if path == "sms":
        sandbox.refuse["template"] = 43101
    now = datetime.now(UTC)
    for i in range(count):
        openid = f"o_{tag}_{i}"
        if path == "custom":  # the user wrote to the account: the window is open
            await store.messages.insert_one(
                {
                    "_id": f"msg:{tag}{i}",
                    "direction": "in",
                    "openid": openid,
                    "type": "text",
                    "content": "你好",
                    "created_at": now,
                }
            )
        to = Recipient(openid=openid, phone=f"138{i % 100000000:08d}", role="booker")
        await service.enqueue("booking_status", to, "您的预约已受理。", FIELDS, subject=f"booking:{tag}{i}")
    before = len(sandbox.outbox)
    start = time.perf_counter()
    processed = await service.drain()
    elapsed = time.perf_counter() - start
    assert processed == count and len(sandbox.outbox) - before == count, (processed, len(sandbox.outbox) - before)
    return count / elapsed


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="1,4,8")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # every SMS-path notification logs its refused template
    sandbox_app = make_sandbox_app()
    sock, port = bind_unused_port()
    http = HTTPServer(sandbox_app)
    http.add_sockets([sock])
    config = Settings(wechat_api_base=f"http://127.0.0.1:{port}/", notify_quiet_hours=None, notify_coalesce_seconds=0)
    store = Store.connect(config.mongodb_uri, "bench_notify")
    await store.ensure_indexes()
    api = WeChatAPI(config, store)
    print(f"store: {'embedded (mongomock)' if store.embedded else 'MongoDB'}; fake WeChat API in process")
    print(f"{'workers':>7} {'round':>5} {'queued before':>13} {'custom/s':>9} {'template/s':>10} {'sms/s':>7}")
    for workers in [int(w) for w in args.workers.split(",")]:
        service = NotificationService(store, api, Settings(**{**config.__dict__, "notify_workers": workers}))
        for r in range(args.rounds):
            held = await store.notifications.count_documents({})
            tag = f"w{workers}r{r}"
            rates = [
                await run_path(service, sandbox_app.sandbox, store, p, args.count, f"{tag}{p}")
                for p in ("custom", "template", "sms")
            ]
            print(f"{workers:>7} {r + 1:>5} {held:>13} {rates[0]:>9.0f} {rates[1]:>10.0f} {rates[2]:>7.0f}")
    held, messages = await store.notifications.count_documents({}), await store.messages.count_documents({})
    print(f"notifications stored at the end: {held}, messages: {messages}")
    api.close()
    http.stop()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
