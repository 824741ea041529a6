"""Benchmark: how long a resident waits for a WeChat reply while staff work, on a store seed-demo filled.

    .venv/bin/python bench/loop_busy.py --data-dir DIR      # a directory `seed-demo --bookings 30000` wrote (copied)
    .venv/bin/python bench/loop_busy.py --bookings 30000    # seed one first (about 1.5 minutes per 30k)

The server runs in this process as `python -m bot` assembles it (build_services, the collector freeze, the
app and its HTTP server), with a bare Tornado handler on the same event loop as the baseline. A separate
process (this file with --ping) sends a signed WeChat text message (POST /wechat, rotating residents) and
a GET of the bare handler every 100 ms each, and records every round trip. One by one, with pauses
between, this process then runs what staff do:

    idle              nothing (the baseline of the baseline)
    year report       GET /console/report for this year, uncached
    report exports    GET /console/report.csv and .xlsx for that year (the report itself cached)
    bookings exports  GET /console/bookings/export.csv and .xlsx (every booking, up to the export limit)
    catalog import    POST /console/items/import: an .xlsx of the catalog with one change in each item, its
                      preview, then applying it (every item a new version, the knowledge index rebuilt, and
                      the collector freeze the server runs after a rebuild)
    reminder sweep    the sweep a server runs at start and every 10 minutes (due-date alerts to 2 staff)
    queue drain       sending every queued notification through the dev WeChat API sandbox

For each: how long it took, and the slowest and median WeChat reply and bare-handler round trip among the
pings in flight meanwhile. The machine is shared (2 cores, other work running): the wall figures are
noisy; compare a row with the idle row and the bare handler of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PING_EVERY = 0.1
RESIDENTS = 300  # the pinger rotates openids (each stays far below the per-minute message limit)
PASSWORD = "Loop busy bench 2026"


# ---- the pinger (a separate process) ----


async def ping_main(url: str, bare: str, token: str, appid: str, log_path: str) -> None:
    from tornado.httpclient import AsyncHTTPClient

    from bot.simulate import WeChatUser

    residents = [WeChatUser(url, f"o_ping_{i}", token, appid, None) for i in range(RESIDENTS)]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: stop.set() if not sys.stdin.readline() else None)
    out = open(log_path, "w")  # noqa: SIM115 - open until both loops end (a pipe would fill up and block)

    async def wechat() -> None:
        n = 0
        while not stop.is_set():
            sent = time.time()
            answer = await residents[n % RESIDENTS].say("身份证丢了怎么补")
            out.write(json.dumps({"kind": "wechat", "sent": sent, "back": time.time(), "ok": bool(answer)}) + "\n")
            n += 1
            await asyncio.sleep(PING_EVERY)

    async def plain() -> None:
        client = AsyncHTTPClient()
        while not stop.is_set():
            sent = time.time()
            r = await client.fetch(bare, raise_error=False, request_timeout=120)
            out.write(json.dumps({"kind": "bare", "sent": sent, "back": time.time(), "ok": r.code == 200}) + "\n")
            await asyncio.sleep(PING_EVERY)

    await asyncio.gather(wechat(), plain())
    out.close()


# ---- the server and the staff work (this process) ----


def seed(bookings: int, data_dir: str) -> None:
    env = {**os.environ, "BOT_DATA_DIR": data_dir, "BOT_ENV": "dev", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "bot.admin", "seed-demo", "--bookings", str(bookings)]
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True)


def catalog_upload(items: list[dict]) -> bytes:
    """The catalog as .xlsx, each item's fee note changed (so the import writes a version of every item)."""
    from knowledge_base.catalog import export_items

    stamp = datetime.now().strftime("%H%M%S")
    changed = [{**item, "fee": f"{item.get('fee') or '免费'}（{stamp}）"} for item in items]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "items.xlsx"
        export_items(changed, path)
        return path.read_bytes()


def multipart(fields: dict, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = "----loopbusy" + os.urandom(8).hex()
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    body.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
    )
    body.write(data + f"\r\n--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


async def run(args) -> int:
    from tornado import web
    from tornado.httpclient import AsyncHTTPClient
    from tornado.httpserver import HTTPServer
    from tornado.testing import bind_unused_port

    work = tempfile.mkdtemp(prefix="loop-busy-")
    data_dir = str(Path(work) / "data")
    if args.data_dir:
        shutil.copytree(args.data_dir, data_dir, ignore=shutil.ignore_patterns("LOCK"))
    else:
        print(f"seeding {args.bookings} bookings ...", flush=True)
        seed(args.bookings, data_dir)
    sock, port = bind_unused_port()
    bare_sock, bare_port = bind_unused_port()
    os.environ.update(
        BOT_DATA_DIR=data_dir,
        BOT_ENV="dev",
        BOT_HOST="127.0.0.1",
        BOT_PORT=str(port),
        NOTIFY_STAFF_OPENIDS="o_staff_duty_1,o_staff_duty_2",
        NOTIFY_QUIET_HOURS="off",
        NOTIFY_COALESCE_SECONDS="0",
    )
    from bot.__main__ import freeze_long_lived, http_server, with_persisted_keys
    from bot.app import build_services, make_app
    from settings import Settings
    from tests.console_utils import http_login
    from tests.staff_http import StaffBrowser

    config = with_persisted_keys(Settings.from_env())
    started = time.perf_counter()
    services = await build_services(config)
    await freeze_long_lived(services.knowledge)
    server = http_server(make_app(services))
    server.add_sockets([sock])
    startup = time.perf_counter() - started

    class Bare(web.RequestHandler):
        def get(self) -> None:
            self.write("ok")

    bare = HTTPServer(web.Application([(r"/", Bare)]))
    bare.add_sockets([bare_sock])
    url = f"http://127.0.0.1:{port}"
    bookings = await services.store.bookings.count_documents({})
    messages = await services.store.messages.count_documents({})
    print(f"store: embedded, {bookings} bookings, {messages} messages; in-process start-up {startup:.1f}s", flush=True)

    await services.console.accounts.create("loopbench", "supervisor", PASSWORD, must_change=False, created_by="bench")
    staff = SimpleNamespace(url=url)
    cookie = await http_login(staff, "loopbench", PASSWORD)
    browser = StaffBrowser(staff)
    await browser.login("loopbench", PASSWORD)
    client = AsyncHTTPClient()
    year = datetime.now().year

    async def get(path: str) -> int:
        r = await client.fetch(url + path, headers={"Cookie": cookie}, request_timeout=1800, raise_error=False)
        assert r.code == 200, (path, r.code, r.body[:300])
        return len(r.body)

    async def year_report() -> str:
        size = await get(f"/console/report?kind=year&value={year}")
        return f"{size // 1024} KB page"

    async def report_exports() -> str:
        sizes = [await get(f"/console/report.{fmt}?kind=year&value={year}") for fmt in ("csv", "xlsx")]
        return f"{sizes[0] // 1024} KB csv, {sizes[1] // 1024} KB xlsx"

    async def bookings_exports() -> str:
        sizes = [await get(f"/console/bookings/export.{fmt}") for fmt in ("csv", "xlsx")]
        return f"{sizes[0] // 1024} KB csv, {sizes[1] // 1024} KB xlsx"

    async def catalog_import() -> str:
        items = [i async for i in services.store.items.find({}, {"_id": 0})]
        await browser.get("/console/items/import")
        body, content_type = multipart({"_xsrf": browser.cookies["_xsrf"]}, "items.xlsx", catalog_upload(items))
        r = await client.fetch(
            url + "/console/items/import",
            method="POST",
            body=body,
            headers={"Content-Type": content_type, **browser._cookie_header()},
            request_timeout=1800,
            raise_error=False,
        )
        assert r.code == 200, (r.code, r.body[:500])
        html = r.body.decode()
        token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
        before = services.knowledge.version
        r = await browser.post("/console/items/import", {"token": token})
        assert r.code == 200 and services.knowledge.version != before, (r.code, r.body[:300])
        await freeze_long_lived(services.knowledge)  # what the server does after every rebuild
        return f"{len(items)} items"

    async def sweep() -> str:
        counts = await services.reminders.sweep()
        queued = await services.store.notifications.count_documents({"status": "pending"})
        return f"{counts}, {queued} pending"

    async def drain() -> str:
        return f"{await services.notifications.drain()} sent"

    operations = [
        ("idle", lambda: asyncio.sleep(3, "3 s")),
        ("year report", year_report),
        ("report exports", report_exports),
        ("bookings exports", bookings_exports),
        ("catalog import", catalog_import),
        ("reminder sweep", sweep),
        ("queue drain", drain),
    ]
    pinger = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--ping",
            url,
            f"http://127.0.0.1:{bare_port}/",
            config.wechat_token,
            config.wechat_appid,
            str(Path(work) / "pings.jsonl"),
        ],
        stdin=subprocess.PIPE,
        cwd=ROOT,
        text=True,
    )
    windows = []
    try:
        await asyncio.sleep(3)  # the pinger's first replies (each new resident's first turn)
        for name, operation in operations:
            if args.only and name not in args.only.split(","):
                continue
            if pinger.poll() is not None:
                raise RuntimeError("the pinger stopped")
            cpu, wall = time.process_time(), time.time()
            note = await operation()
            windows.append((name, wall, time.time(), time.process_time() - cpu, note))
            print(f"  {name}: {windows[-1][2] - wall:.2f}s ({note})", flush=True)
            await asyncio.sleep(2)
    finally:
        pinger.stdin.close()
        await asyncio.get_running_loop().run_in_executor(None, pinger.wait)
    pings_out = (Path(work) / "pings.jsonl").read_text()
    pings = [json.loads(line) for line in pings_out.splitlines() if line.strip()]
    assert all(p["ok"] for p in pings), "a ping got no reply"
    print()
    print("| while | took | server CPU | WeChat reply: slowest / median (n) | bare handler: slowest / median |")
    print("|---|---|---|---|---|")
    for name, start, end, cpu, _note in windows:
        row = [f"{name}", f"{end - start:.2f} s", f"{cpu:.2f} s"]
        for kind in ("wechat", "bare"):
            took = [p["back"] - p["sent"] for p in pings if p["kind"] == kind and p["sent"] < end and p["back"] > start]
            if took:
                count = f" ({len(took)})" if kind == "wechat" else ""
                row.append(f"{max(took) * 1000:.0f} / {statistics.median(took) * 1000:.0f} ms{count}")
            else:
                row.append("-")
        print("| " + " | ".join(row) + " |")
    server.stop()
    bare.stop()
    services.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--ping"]:
        asyncio.run(ping_main(*sys.argv[2:7]))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", help="a directory seed-demo filled (copied, never changed)")
    parser.add_argument("--bookings", type=int, default=30000, help="seed this many when no --data-dir")
    parser.add_argument("--only", help="comma-separated operations to run (default: all)")
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
