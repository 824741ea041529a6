"""Benchmark: booking dialog turn latency and booking creation latency, in process on the embedded store.

    .venv/bin/python bench/booking_turns.py [--bookings 300]

Drives the real Assistant (the code behind /wechat, without HTTP) through complete home-visit forms
and reports per-turn and per-creation latency, with how many bookings the store held, because the
embedded store scans collections and its figures grow with them.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_services  # noqa: E402
from settings import Settings  # noqa: E402
from tests.utils import home_visit_script  # noqa: E402


def pct(samples: list[float], q: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * q))] * 1000


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=300)
    args = parser.parse_args()
    services = await build_services(Settings(wechat_api_base="http://127.0.0.1:9/"))
    assistant = services.assistant
    turns, creations = [], []
    checkpoints = []
    for n in range(args.bookings):
        openid = f"o_bench_{n}"
        script = home_visit_script()
        for text in script:
            start = time.perf_counter()
            await assistant.converse(openid, text)
            turns.append(time.perf_counter() - start)
        start = time.perf_counter()
        reply = await assistant.converse(openid, "1")
        creations.append(time.perf_counter() - start)
        assert "预约成功" in reply, reply
        if (n + 1) in (args.bookings // 10, args.bookings):
            checkpoints.append((n + 1, statistics.median(creations[-20:]) * 1000))
    store = "embedded (mongomock)" if services.config.embedded_store else "MongoDB"
    print(f"store: {store}; {args.bookings} bookings, {len(turns)} form turns")
    print(f"dialog turn: median {statistics.median(turns) * 1000:.2f} ms, p99 {pct(turns, 0.99):.2f} ms")
    print(f"confirm + create booking: median {statistics.median(creations) * 1000:.2f} ms, p99 {pct(creations, 0.99):.2f} ms")
    for count, median in checkpoints:
        print(f"  creation median of the last 20 with {count} bookings stored: {median:.2f} ms")
    services.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
