"""Benchmark: the year report and a resident's WeChat reply while it builds, on stores of 1k, 10k and 30k
bookings written by `python -m bot.admin seed-demo`, measured from outside against a real server process.

    .venv/bin/python bench/report_scale.py [--sizes 1000,10000,30000] [--messages 8] [--pipelines]

For each size: seed a temporary BOT_DATA_DIR, start `python -m bot` on it (start-up time), create a
supervisor through the admin API and sign in over HTTP, then
  - a WeChat text message's reply time with nothing else going on (median of --messages),
  - the year report, uncached (this year; then the last 365 days as a custom period, another cache key),
  - a WeChat message sent every 100 ms while that second report builds: the slowest and median replies,
    and whether the first reply came back before the report did,
  - the server's RSS after all that.
--pipelines also times, in this process on the same data (server stopped), the report from the raw
aggregation pipelines against the one from the daily rollups: the "before" (the pipelines are what every
report ran on before the rollups) and the "after", in one run.

This machine is shared by several engineers (2 cores): absolute figures are noisy, ratios in one run less so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tornado.httpclient import AsyncHTTPClient, HTTPClientError  # noqa: E402

from bot.report.periods import CHINA  # noqa: E402
from bot.simulate import WeChatUser  # noqa: E402
from settings import Settings  # noqa: E402
from tests.console_utils import http_login  # noqa: E402

PASSWORD = "Report scale 2026"  # the password policy: 10+ characters, three classes, not the username


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait_up(url: str, proc: subprocess.Popen, timeout: float = 1800) -> None:
    client = AsyncHTTPClient()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            r = await client.fetch(url + "/healthz", raise_error=False, request_timeout=2)
            if r.code == 200:
                return
        except (OSError, HTTPClientError):  # not listening yet, or busy starting
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def sign_in(url: str, token: str) -> str:
    client = AsyncHTTPClient()
    body = json.dumps({"username": "bench", "role": "supervisor", "password": PASSWORD, "staff": "bench"})
    r = await client.fetch(
        url + "/api/v1/admin/staff",
        method="POST",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        raise_error=False,
    )
    assert r.code in (200, 201), (r.code, r.body[:200])
    return await http_login(SimpleNamespace(url=url), "bench", PASSWORD)


async def timed_reply(resident: WeChatUser, text: str) -> float:
    started = time.perf_counter()
    answer = await resident.say(text)
    assert answer, "no reply"
    return time.perf_counter() - started


async def report(url: str, cookie: str, query: str) -> float:
    started = time.perf_counter()
    r = await AsyncHTTPClient().fetch(f"{url}/console/report?{query}", headers={"Cookie": cookie}, request_timeout=900)
    assert r.code == 200 and "接件" in r.body.decode()
    return time.perf_counter() - started


async def one_size(n: int, args) -> dict:
    out: dict = {"bookings": n}
    with tempfile.TemporaryDirectory(prefix=f"report-scale-{n}-") as data_dir:
        if args.data_dir:  # a directory seed-demo already filled with n bookings
            data_dir = args.data_dir
        env = {**os.environ, "BOT_DATA_DIR": data_dir, "BOT_ENV": "dev", "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        seeded = args.data_dir or subprocess.run(
            [sys.executable, "-m", "bot.admin", "seed-demo", "--bookings", str(n)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        out["seed_s"] = time.perf_counter() - started
        if not args.data_dir:
            print(f"[{n}] seed-demo {out['seed_s']:.1f}s: " + " / ".join(s.strip() for s in seeded.stdout.splitlines()[1:3]))
        port = free_port()
        env.update(BOT_PORT=str(port), BOT_HOST="127.0.0.1")
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            await wait_up(url, proc)
            out["startup_s"] = time.perf_counter() - started
            config = Settings()
            cookie = await sign_in(url, config.admin_token or "dev-admin-token")
            resident = WeChatUser(url, "o_bench_resident", config.wechat_token, config.wechat_appid, None)
            await timed_reply(resident, "你好")
            idle = [await timed_reply(resident, "身份证丢了怎么补") for _ in range(args.messages)]
            out["reply_idle_ms"] = statistics.median(idle) * 1000
            year = datetime.now(CHINA).year
            out["year_report_s"] = await report(url, cookie, f"kind=year&value={year}")
            today = datetime.now(CHINA).date()
            query = f"kind=custom&start={(today - timedelta(days=364)).isoformat()}&end={today.isoformat()}"
            building = asyncio.ensure_future(report(url, cookie, query))
            replies, first_before_report = [], None
            while not building.done():
                took = await timed_reply(resident, "低保怎么办")
                replies.append(took)
                if first_before_report is None:
                    first_before_report = not building.done()
                await asyncio.sleep(0.1)
            out["custom_365d_report_s"] = await building
            out["reply_while_building_max_ms"] = max(replies) * 1000 if replies else None
            out["reply_while_building_median_ms"] = statistics.median(replies) * 1000 if replies else None
            out["replies_while_building"] = len(replies)
            out["first_reply_before_report"] = first_before_report
            out["rss_mb"] = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=120)
        if args.pipelines:
            out.update(await domain_compare(data_dir))
    return out


async def domain_compare(data_dir: str) -> dict:
    """The year report from the raw pipelines (before) and from the rollups (after), same data, same run."""
    from bot.bookings.workdays import WorkCalendar
    from bot.report.figures import ReportService, fallback_replies
    from bot.report.periods import Period
    from bot.report.rollups import Rollups
    from bot.store import Store

    store = Store.connect("mongomock://", "govbot", data_dir=Path(data_dir))
    try:
        rollups = Rollups(store, fallback_replies())
        await rollups.attach()
        reports = ReportService(store, WorkCalendar(), rollups=rollups)
        period = Period.year(datetime.now(CHINA).year)
        out = {}
        for label, raw in (("rollups", False), ("pipelines", True)):
            reports.raw = raw
            started = time.perf_counter()
            report = await reports.build(period, fresh=True)
            out[f"domain_{label}_s"] = time.perf_counter() - started
            out[f"domain_{label}_received"] = report.bookings["received"]
        return out
    finally:
        store.close()


async def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,30000")
    parser.add_argument("--messages", type=int, default=8)
    parser.add_argument("--pipelines", action="store_true", help="also time the raw pipelines against the rollups")
    parser.add_argument("--data-dir", help="reuse a directory seed-demo filled (one size given in --sizes)")
    args = parser.parse_args()
    print(f"store: embedded (mongomock + daily rollups), report builds in a forked child; {date.today()}")
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        r = await one_size(n, args)
        results.append(r)
        print(f"[{n}] " + ", ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    print()
    print(
        "| bookings | start-up | year report (uncached) | 365-day report | WeChat reply idle "
        "| reply while building (max / median) | RSS |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['bookings']} | {r['startup_s']:.1f} s | {r['year_report_s']:.2f} s | {r['custom_365d_report_s']:.2f} s "
            f"| {r['reply_idle_ms']:.0f} ms | {r['reply_while_building_max_ms'] or 0:.0f} / "
            f"{r['reply_while_building_median_ms'] or 0:.0f} ms ({r['replies_while_building']} sent) | {r['rss_mb']:.0f} MB |"
        )
    if args.pipelines:
        print()
        print("| bookings | year report, raw pipelines (before) | from rollups (after) | ratio |")
        print("|---|---|---|---|")
        for r in results:
            ratio = r["domain_pipelines_s"] / max(r["domain_rollups_s"], 1e-9)
            print(f"| {r['bookings']} | {r['domain_pipelines_s']:.2f} s | {r['domain_rollups_s']:.2f} s | {ratio:.0f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
