"""Benchmark: the full /wechat pipeline under wrk, plain and safe mode, next to a bare Tornado handler.

Each server runs as one process on 127.0.0.1. Callbacks are distinct text messages (distinct MsgIds,
so every request is processed, not replayed), pre-signed and cycled by a Lua script.

    .venv/bin/python bench/wechat_pipeline.py [--seconds 10] [--connections 50]

Needs `wrk` (Debian package). Prints requests/s and p50/p99 latency, and how many messages the
store held after each run (the embedded store scans its collections, so figures move with its size).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.simulate import WeChatUser  # noqa: E402

TOKEN = "bench-token"
APPID = "wxbench0000000000"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
QUESTIONS = [
    "身份证丢了怎么补",
    "办低保要什么材料",
    "社保卡在哪里办",
    "结婚登记要带什么",
    "高龄津贴怎么领",
    "驾照到期换证",
    "医保异地备案怎么弄",
    "公积金租房提取多久到账",
    "残疾证怎么办理",
    "出生登记要什么",
]

BARE_SERVER = """
import asyncio, tornado.web
class H(tornado.web.RequestHandler):
    def post(self): self.finish("success")
async def main():
    tornado.web.Application([(r"/wechat", H)]).listen({port}, "127.0.0.1")
    await asyncio.Event().wait()
asyncio.run(main())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError as exc:
            if getattr(exc, "code", None):
                return
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def lua_script(requests: list[tuple[str, str]], threads: int) -> str:
    """wrk script cycling through (path, body) pairs; each wrk thread takes its own share, so no
    request is sent twice (which would measure the retry path instead of the pipeline)."""
    entries = ",\n".join(f"{{{json.dumps(p)},{json.dumps(b, ensure_ascii=False)}}}" for p, b in requests)
    return f"""
local reqs = {{
{entries}
}}
local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
local i = nil
request = function()
  if i == nil then i = tid end
  local r = reqs[(i % #reqs) + 1]
  i = i + {threads}
  return wrk.format("POST", r[1], {{["Content-Type"] = "text/xml"}}, r[2])
end
"""


def build_requests(n: int, safe: bool, offset: int) -> list[tuple[str, str]]:
    reqs = []
    users = [WeChatUser("http://x", f"o_bench_{i}", TOKEN, APPID, AES_KEY, safe=safe) for i in range(200)]
    ts = str(int(time.time()))
    for i in range(n):
        u = users[i % len(users)]
        xml = u.text_xml(random.choice(QUESTIONS), msg_id=offset + i)
        url, body = u.signed_request(xml, timestamp=ts, nonce=str(i))
        reqs.append((url[len("http://x") :], body))
    return reqs


def run_wrk(url: str, script: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
        fh.write(script)
    out = subprocess.run(
        ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", fh.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "requests": total,
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def start(cmd: list[str], env: dict) -> subprocess.Popen:
    # The server logs every request: send that to a file (an unread pipe would fill up and stall it).
    log = open(tempfile.gettempdir() + "/bench-server.log", "ab")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=ROOT)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    n = 4000 * args.seconds  # enough distinct messages for the run at the bare handler's rate
    results = {}

    port = free_port()
    bare = start([sys.executable, "-c", BARE_SERVER.format(port=port)], dict(os.environ))
    try:
        wait_up(f"http://127.0.0.1:{port}/wechat")
        results["bare tornado handler"] = run_wrk(
            f"http://127.0.0.1:{port}",
            lua_script(build_requests(2000, False, 10**9), min(2, args.connections)),
            args.seconds,
            args.connections,
        )
    finally:
        bare.terminate()

    for mode, safe in (("plaintext pipeline", False), ("safe-mode pipeline", True)):
        port = free_port()
        env = dict(
            os.environ,
            BOT_PORT=str(port),
            WECHAT_TOKEN=TOKEN,
            WECHAT_APPID=APPID,
            WECHAT_AES_KEY=AES_KEY,
            MONGODB_URI="mongomock://",
        )
        server = start([sys.executable, "-m", "bot"], env)
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            script = lua_script(build_requests(n, safe, 2 * 10**9 if safe else 3 * 10**9), min(2, args.connections))
            results[mode] = run_wrk(f"http://127.0.0.1:{port}", script, args.seconds, args.connections)
            # Messages stored after the run: each request writes one inbound and one outbound record.
            results[mode]["store"] = "embedded (mongomock)"
            results[mode]["messages_after"] = 2 * results[mode]["requests"]
        finally:
            server.terminate()
            server.wait()

    base = results["bare tornado handler"]["rps"]
    print(f"{'':24} {'req/s':>8} {'x bare':>7} {'p50':>9} {'p99':>9} {'requests':>9} {'non-2xx':>8}")
    for name, r in results.items():
        store = f"  store: {r['store']}, ~{r['messages_after']} messages after" if "store" in r else ""
        print(
            f"{name:24} {r['rps']:8.0f} {r['rps'] / base:7.2f} {r['p50']:>9} {r['p99']:>9} "
            f"{r['requests']:9d} {r['non_2xx']:8d}{store}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
