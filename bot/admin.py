"""`python -m bot.admin`: staff actions against a running server's admin API.

    python -m bot.admin list --status submitted --limit 20
    python -m bot.admin show DB202611250001 --staff 李明
    python -m bot.admin accept DB202611250001 --staff 李明
    python -m bot.admin reject DB202611250001 --staff 李明 --reason "材料不全"
    python -m bot.admin invite LDX-002-01 --name 李春梅 --staff 李明
    python -m bot.admin station-qr LDX-002-01 --staff 李明
    python -m bot.admin create-staff liming --role admin --password 'A long passphrase 1'
    python -m bot.admin seed-demo --bookings 10000
    python -m bot.admin sandbox-refuse o_resident_1           # dev sandbox: WeChat refuses 客服消息 (45015)
    python -m bot.admin sandbox-refuse o_resident_1 --off     # ... and accepts them again

Uses BOT_ADMIN_TOKEN (the dev default when unset) and --url (default http://BOT_HOST:BOT_PORT).
`seed-demo` is the exception: it writes demo data (bot/demo.py) straight into the configured store, so no
server may be running on it (the embedded store's data directory is locked), and refuses in production.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

from bot.bookings.service import TRANSITIONS
from settings import Settings


def call(url: str, token: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def seed_demo(bookings: int, seed: int) -> int:
    """Fill the configured store with demo data and say what was written."""
    import asyncio
    import time

    if os.environ.get("BOT_ENV", "dev").strip().lower() == "production":
        print("seed-demo refuses to run with BOT_ENV=production: demo data would mix with residents' records.", file=sys.stderr)
        return 2
    if bookings < 1:
        print("--bookings must be at least 1", file=sys.stderr)
        return 2
    from bot.__main__ import with_persisted_keys
    from bot.embedded import DataDirLocked

    config = with_persisted_keys(Settings.from_env())
    started = time.perf_counter()
    try:
        store, counts = asyncio.run(_seed(config, bookings, seed))
    except DataDirLocked as exc:
        print(f"seed-demo: {exc}; stop the server first.", file=sys.stderr)
        return 2
    where = f"embedded store in {config.data_dir}" if config.embedded_store and config.data_dir else config.mongodb_uri
    if config.embedded_store and not config.data_dir:
        where = "embedded in-memory store (BOT_DATA_DIR=:memory:): nothing is kept"
    print(f"seed-demo wrote into {where}, database {config.mongodb_db}, in {time.perf_counter() - started:.1f}s:")
    for line in counts.lines():
        print("  " + line)
    return 0


async def _seed(config: Settings, bookings: int, seed: int):
    from bot.bookings.stations import StationDirectory
    from bot.bookings.workdays import WorkCalendar
    from bot.conversation.knowledge import KnowledgeService
    from bot.demo import seed_demo as write_demo
    from bot.privacy import FieldCipher
    from bot.report.figures import fallback_replies
    from bot.report.rollups import Rollups
    from bot.store import Store

    store = Store.connect(config.mongodb_uri, config.mongodb_db, data_dir=config.data_dir if config.embedded_store else None)
    try:
        await store.ensure_indexes()
        await KnowledgeService(store).seed_if_empty()
        await StationDirectory(store.stations).seed_if_empty()
        counts = await write_demo(store, FieldCipher(config.data_key), WorkCalendar(), bookings, seed=seed)
        if store.embedded:  # the report's daily counters, counted once over everything (faster than per write)
            rollups = Rollups(store, fallback_replies())
            await rollups.attach(rebuild=True)
            rollups.detach()
    finally:
        store.close()  # on the embedded store: a fresh snapshot, and the data directory released
    return store, counts


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["seed-demo"]:
        demo = argparse.ArgumentParser(prog="python -m bot.admin seed-demo", description="Write demo data (no server running).")
        demo.add_argument("--bookings", type=int, default=1000, help="bookings over the last 18 months (default 1000)")
        demo.add_argument("--seed", type=int, default=19, help="random seed (the same seed gives the same data)")
        args = demo.parse_args(argv[1:])
        return seed_demo(args.bookings, args.seed)
    config = Settings.from_env()
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=f"http://{config.host}:{config.port}")
    common.add_argument("--staff", default=os.environ.get("USER", "staff"), help="who is acting (recorded)")
    common.add_argument(
        "--token",
        default=os.environ.get("BOT_STAFF_TOKEN"),
        help="your personal API token from the console (账号 → API 令牌); default BOT_STAFF_TOKEN, else BOT_ADMIN_TOKEN",
    )
    parser = argparse.ArgumentParser(prog="python -m bot.admin", description="Staff actions on bookings.")
    sub = parser.add_subparsers(dest="command", required=True)
    lst = sub.add_parser("list", help="bookings, newest first (open ones unless --status)", parents=[common])
    lst.add_argument("--status", action="append", default=[])
    lst.add_argument("--kind", choices=["proxy", "home_visit"])
    lst.add_argument("--station")
    lst.add_argument("--limit", type=int, default=50)
    lst.add_argument("--cursor", help="next_cursor of the previous page")
    show = sub.add_parser("show", help="one booking with the beneficiary's full contact (audited)", parents=[common])
    show.add_argument("number")
    for action in TRANSITIONS:
        p = sub.add_parser(action, help=f"{action} a booking", parents=[common])
        p.add_argument("number")
        p.add_argument("--reason", default="")
        p.add_argument("--assignee", default="")
    inv = sub.add_parser("invite", help="one-time code that binds a WeChat user as a station's proxy", parents=[common])
    inv.add_argument("station")
    inv.add_argument("--name", default="")
    qr = sub.add_parser("station-qr", help="a station's permanent WeChat QR code", parents=[common])
    qr.add_argument("station")
    cs = sub.add_parser(
        "create-staff", help="a staff account for the console (the first admin, or scripted ones)", parents=[common]
    )
    cs.add_argument("username")
    cs.add_argument("--role", required=True, choices=["agent", "supervisor", "admin"])
    cs.add_argument("--password", required=True)
    cs.add_argument("--name", default="")
    sub.add_parser("seed-demo", help="demo data into the configured store, no server running (--bookings N)")
    sr = sub.add_parser(
        "sandbox-refuse",
        help="dev sandbox only: make customer-service messages to OPENID fail, as after 48 hours of silence",
        parents=[common],
    )
    sr.add_argument("openid")
    sr.add_argument("--errcode", type=int, default=45015, help="45015 (window closed) or 45047 (allowance used)")
    sr.add_argument("--off", action="store_true", help="accept them again")
    sr.add_argument("--sandbox-url", help="the sandbox's base URL (default: URL/dev/wechat-api)")
    args = parser.parse_args(argv)
    token = args.token or config.admin_token or ""
    base = args.url.rstrip("/") + "/api/v1/admin"
    if args.command == "list":
        params = [("status", s) for s in args.status] + [("limit", args.limit)]
        params += [(k, v) for k, v in (("kind", args.kind), ("station", args.station), ("cursor", args.cursor)) if v]
        status, data = call(f"{base}/bookings?{urlencode(params)}", token)
    elif args.command == "show":
        status, data = call(f"{base}/bookings/{args.number}?{urlencode({'staff': args.staff})}", token)
    elif args.command == "create-staff":
        status, data = call(
            f"{base}/staff",
            token,
            "POST",
            {"username": args.username, "role": args.role, "password": args.password, "name": args.name, "staff": args.staff},
        )
    elif args.command == "station-qr":
        status, data = call(f"{base}/stations/{args.station}/qrcode", token, "POST", {"staff": args.staff})
    elif args.command == "sandbox-refuse":
        sandbox = (args.sandbox_url or args.url.rstrip("/") + "/dev/wechat-api").rstrip("/")
        try:
            status, data = call(
                f"{sandbox}/sandbox/refuse", token, "POST", {"openid": args.openid, "errcode": args.errcode, "off": args.off}
            )
        except (urllib.error.URLError, ValueError):
            print("没有找到开发沙箱：只有用占位凭据运行的开发服务器（make run）才有。")
            return 1
    elif args.command == "invite":
        status, data = call(f"{base}/invites", token, "POST", {"station": args.station, "name": args.name, "staff": args.staff})
    else:
        status, data = call(
            f"{base}/bookings/{args.number}/{args.command}",
            token,
            "POST",
            {"staff": args.staff, "reason": args.reason, "assignee": args.assignee},
        )
    print(json.dumps(data, ensure_ascii=False, indent=1, default=str))
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
