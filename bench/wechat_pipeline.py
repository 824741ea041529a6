"""Benchmark: the full /wechat pipeline under wrk, plain and safe mode, next to a bare Tornado handler.

Every server runs as one process on 127.0.0.1, the pipeline on the embedded store kept on disk (what
`make run` does). Callbacks are distinct text messages (own MsgId, timestamp and nonce each, so every
request is processed, not replayed) from U distinct users, pre-signed and cycled by a Lua script. For
each store size the bare handler is measured again, in the same run, and the pipeline is given as a
ratio to it.

    .venv/bin/python bench/wechat_pipeline.py [--seconds 10] [--connections 50] [--users 20,2000,20000]
                                              [--stored 100000] [--no-profile]

Before each run the server is asked every labelled question once (ask_item lines of the dev set), as
a warm-up that fills the understanding cache; the run then sends the questions it answered ("questions":
answered/asked). A second pair of runs sends only messages the server has never seen (the questions
wrapped in everyday openings and endings, each text once), so every one is understood anew: the cold
case, next to the cached one measured in the same run. Needs `wrk` (Debian package). Prints, per case:
requests/s, ratio to bare, p50/p99, the server's CPU
time per request (and the ratio of the bare handler's to it, steadier than throughput on a shared machine),
replies that were not a real answer (wrk counts every reply that is not 200, "success", not a text or
encrypted message, or in plain mode the error, "too fast" or "don't know" text), and what the store
held. Then a per-message profile of the pipeline (cProfile in the server process, a separate run: the
profiler slows everything, so read the shares, not the absolute figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.simulate import WeChatUser  # noqa: E402

TOKEN = "bench-token"
APPID = "wxbench0000000000"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
THREADS = 2
# The not-a-real-answer texts: the bot's error, "too fast" and "don't know" replies.
NOT_ANSWERS = ("抱歉，系统开小差", "发消息太快", "这个问题我还答不上来")


def questions() -> list[str]:
    """Questions residents ask about service items (the labelled dev set's ask_item lines)."""
    path = ROOT / "tests" / "data" / "dev_questions.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows if r["intent"] == "ask_item"]


# Ways residents wrap the same question; every (prefix, question, suffix) is a text the server has not seen.
PREFIXES = ["", "请问", "你好，", "我想问一下", "麻烦问下，", "同志，", "打扰一下 ", "问一下 ", "老师好，", "您好 "]
SUFFIXES = ["", "？", "呢", " 谢谢", "啊", "嘛", "？？", " 急", "哦", "。"]


def unseen(texts: list[str], n: int, seed: int) -> list[str]:
    """n distinct messages made from the questions, none of them the bare question the warm-up asked: every
    one misses the understanding cache (the cold case)."""
    combos = [(p, t, s) for t in texts for p in PREFIXES for s in SUFFIXES if p or s]
    random.Random(seed).shuffle(combos)
    return [p + t + s for p, t, s in combos[:n]]


BARE_SERVER = """
import asyncio, tornado.web
class H(tornado.web.RequestHandler):
    def post(self): self.finish("success")
async def main():
    tornado.web.Application([(r"/wechat", H)]).listen({port}, "127.0.0.1")
    await asyncio.Event().wait()
asyncio.run(main())
"""

# The server under cProfile, from SIGUSR2 (sent once it is up: start-up is not profiled) until SIGUSR1,
# which writes the stats and exits.
PROFILED_SERVER = """
import cProfile, os, runpy, signal, sys
profile = cProfile.Profile()
def dump(*_):
    profile.disable()
    profile.dump_stats({path!r})
    os._exit(0)
signal.signal(signal.SIGUSR2, lambda *_: profile.enable())
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["bot"]
runpy.run_module("bot", run_name="__main__")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, timeout: float = 120) -> None:
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


def lua_script(requests: list[tuple[str, str]], safe: bool) -> str:
    """wrk script cycling through (path, body) pairs; each wrk thread takes its own share, so no request
    is sent twice (which would measure the retry path instead of the pipeline). Counts replies that are
    not an answer: "success", neither a text reply (plain) nor an encrypted one (safe), or (plain) the
    error, "too fast" or "don't know" text."""
    entries = ",\n".join(f"{{{json.dumps(p)},{json.dumps(b, ensure_ascii=False)}}}" for p, b in requests)
    marker = "<Encrypt>" if safe else "<MsgType><![CDATA[text]]></MsgType>"
    needles = "" if safe else ", ".join(json.dumps(t, ensure_ascii=False) for t in NOT_ANSWERS)
    return f"""
local reqs = {{
{entries}
}}
local next_id = 0
local threads = {{}}
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
local i = nil
bad = 0
request = function()
  if i == nil then i = tid end
  local r = reqs[(i % #reqs) + 1]
  i = i + {THREADS}
  return wrk.format("POST", r[1], {{["Content-Type"] = "text/xml"}}, r[2])
end
local needles = {{ {needles} }}
response = function(status, headers, body)
  if status ~= 200 or not string.find(body, {json.dumps(marker)}, 1, true) then
    bad = bad + 1
    return
  end
  for _, t in ipairs(needles) do
    if string.find(body, t, 1, true) then
      bad = bad + 1
      return
    end
  end
end
done = function(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("NOT_ANSWERS %d\\n", total))
end
"""


def build_requests(
    n: int, users: int, safe: bool, offset: int, texts: list[str], distinct: bool = False
) -> list[tuple[str, str]]:
    """n signed callbacks; with `distinct`, texts[i] is message i (no text twice), else drawn at random."""
    people = [WeChatUser("http://x", f"o_bench_{i:05d}", TOKEN, APPID, AES_KEY, safe=safe) for i in range(users)]
    ts = str(int(time.time()))
    rng = random.Random(offset)
    reqs = []
    for i in range(n):
        u = people[i % users]
        xml = u.text_xml(texts[i] if distinct else rng.choice(texts), msg_id=offset + i)
        url, body = u.signed_request(xml, timestamp=ts, nonce=f"{offset + i}")
        reqs.append((url[len("http://x") :], body))
    return reqs


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(url: str, script: str, seconds: int, connections: int, pid: int | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
        fh.write(script)
    cpu_before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", fh.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(fh.name)
    cpu = cpu_seconds(pid) - cpu_before if pid else None
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+\w+)", out, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = re.search(r"NOT_ANSWERS (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return {
        "cpu_us": 1e6 * cpu / requests if cpu is not None and requests else None,
        "rps": rps,
        "p50": lat.get("50"),
        "p99": lat.get("99"),
        "requests": requests,
        "non_2xx": int(errors.group(1)) if errors else 0,
        "not_answers": int(bad.group(1)) if bad else -1,
    }


def start(cmd: list[str], env: dict, name: str) -> subprocess.Popen:
    # The server logs every request: send that to a file (an unread pipe would fill up and stall it).
    log = open(Path(tempfile.gettempdir()) / f"bench-{name}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=log, cwd=ROOT)


def stop(proc: subprocess.Popen, sig=signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pipeline_env(port: int, data_dir: Path) -> dict:
    return dict(
        os.environ,
        BOT_PORT=str(port),
        WECHAT_TOKEN=TOKEN,
        WECHAT_APPID=APPID,
        WECHAT_AES_KEY=AES_KEY,
        MONGODB_URI="mongomock://",
        BOT_DATA_DIR=str(data_dir),
        # A benchmark is a script: lift the per-user rate limit that would otherwise answer "too fast".
        BOT_RATE_PER_MINUTE="1000000000",
        BOT_RATE_PER_HOUR="1000000000",
    )


def prefill(data_dir: Path, messages: int) -> None:
    """A data directory whose store already holds `messages` messages (half inbound, half replies)."""
    from bot.embedded import open_persistent_client
    from bot.wechat.inbox import outbound_record

    async def fill():
        client, journal = open_persistent_client(data_dir)
        coll = client["govbot"]["messages"]
        now = datetime.now(UTC) - timedelta(days=1)
        batch = []
        for i in range(messages // 2):
            key = f"msg:{i}"
            openid = f"o_old_{i % 5000:04d}"
            batch.append(
                {"_id": key, "direction": "in", "openid": openid, "type": "text", "content": "低保怎么申请", "created_at": now}
            )
            batch.append(outbound_record(openid, "最低生活保障申请……" * 8, "passive", _id="reply:" + key, in_reply_to=key))
            if len(batch) >= 10_000:
                await coll.insert_many(batch)
                batch = []
        if batch:
            await coll.insert_many(batch)
        journal.flush()
        client.close()
        journal.close()

    asyncio.run(fill())


def warm_up(url: str, safe: bool) -> list[str]:
    """Ask every question once, one by one, reading the replies (decrypted in safe mode): fills the
    understanding cache, as a running server's would be, and returns the questions the bot answers
    (the benchmark sends only those, so a reply that is not an answer means the pipeline failed, not
    the matching). Prints how many of the labelled questions were answered."""

    async def ask():
        answered = []
        texts = questions()
        for i, text in enumerate(texts):
            u = WeChatUser(url, f"o_warm_{i}", TOKEN, APPID, AES_KEY, safe=safe)
            reply = await u.say(text)
            if reply and not any(t in reply for t in NOT_ANSWERS):
                answered.append(text)
        return answered, len(texts)

    answered, asked = asyncio.run(ask())
    return answered, asked


def measure_bare(args) -> dict:
    port = free_port()
    bare = start([sys.executable, "-c", BARE_SERVER.format(port=port)], dict(os.environ), "bare")
    try:
        wait_up(f"http://127.0.0.1:{port}/wechat")
        script = lua_script(build_requests(2000, 20, False, 10**9, questions()), False)
        return run_wrk(f"http://127.0.0.1:{port}", script, args.seconds, args.connections, pid=bare.pid)
    finally:
        stop(bare)


def measure_pipeline(args, users: int, stored: int, safe: bool, n: int, profile: str | None = None, cold: bool = False) -> dict:
    port = free_port()
    # The store may still be compacting its files as the server stops: a leftover file must not end the benchmark.
    with tempfile.TemporaryDirectory(prefix="bench-data-", ignore_cleanup_errors=True) as tmp:
        data_dir = Path(tmp) / "data"
        if stored:
            prefill(data_dir, stored)
        env = pipeline_env(port, data_dir)
        cmd = [sys.executable, "-c", PROFILED_SERVER.format(path=profile)] if profile else [sys.executable, "-m", "bot"]
        server = start(cmd, env, "pipeline")
        try:
            wait_up(f"http://127.0.0.1:{port}/healthz")
            answered, asked = warm_up(f"http://127.0.0.1:{port}", safe)
            if profile:
                server.send_signal(signal.SIGUSR2)
            offset = (2 if safe else 3) * 10**9 + users * 10**5 + stored + (7 * 10**8 if cold else 0)
            if cold:
                texts = unseen(answered, n, offset)
                n = len(texts)
                reqs = build_requests(n, users, safe, offset, texts, distinct=True)
            else:
                reqs = build_requests(n, users, safe, offset, answered)
            result = run_wrk(f"http://127.0.0.1:{port}", lua_script(reqs, safe), args.seconds, args.connections, pid=server.pid)
            result["questions"] = f"{len(answered)}/{asked}"
            result["stored_after"] = stored + 2 * (result["requests"] + asked)
        finally:
            stop(server, signal.SIGUSR1 if profile else signal.SIGTERM)
    return result


# Where a message's time goes: (label, function name as "file:function" suffix) measured by cumulative time.
PROFILE_PARTS = [
    ("HTTP handler total (post)", "handlers/wechat.py", "post"),
    ("  signature check", "wechatpy/utils.py", "check_signature"),
    ("  safe mode: decrypt", "bot/wechat/crypto.py", "decrypt_message"),
    ("  parse XML", "bot/wechat/parse.py", "parse_message"),
    ("  replay guard", "bot/wechat/replay.py", "first_use"),
    ("  inbox.receive", "bot/wechat/inbox.py", "receive"),
    ("    claim", "bot/wechat/inbox.py", "_claim"),
    ("  render reply", "wechatpy/replies.py", "render"),
    ("  safe mode: encrypt", "bot/wechat/crypto.py", "encrypt_message"),
    ("answer (its own task)", "bot/conversation/assistant.py", "answer"),
    ("  dialog state get", "bot/conversation/dialog.py", "get"),
    ("  dialog state set", "bot/conversation/dialog.py", "set"),
    ("  understanding (cache)", "bot/conversation/knowledge.py", "understand"),
    ("    uncached understand", "bot/conversation/nlu.py", "understand"),
    ("message log insert_many", "bot/wechat/messagelog.py", "_insert"),
    ("journal flush (disk)", "bot/embedded.py", "flush"),
    ("access log line", "handlers/log.py", "log_request"),
    ("log handler emit", "bot/logconfig.py", "emit"),
]


def profile_table(path: str, messages: int) -> list[str]:
    stats = pstats.Stats(path)
    total = stats.total_tt
    rows = [f"profile: {messages} messages, {total / messages * 1e6:.0f} us of server CPU per message under cProfile"]
    for label, file_suffix, func in PROFILE_PARTS:
        cum = sum(v[3] for (f, _line, name), v in stats.stats.items() if name == func and f.endswith(file_suffix))
        rows.append(f"  {label:32} {cum / messages * 1e6:8.1f} us/msg  {100 * cum / total:5.1f}%")
    rows.append("  top functions by own time:")
    own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:12]
    for (f, line, name), v in own:
        short = "/".join(Path(f).parts[-2:]) if f != "~" else ""
        rows.append(f"    {v[2] / messages * 1e6:7.1f} us/msg  {short}:{line}({name})")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--users", default="20,2000,20000")
    parser.add_argument("--stored", type=int, default=100_000, help="messages already stored, for the last case (0: skip)")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    n = 2500 * args.seconds  # distinct messages per run: more than the pipeline answers in that time
    cases = [(int(u), 0) for u in args.users.split(",")]
    if args.stored:
        cases.append((max(u for u, _ in cases), args.stored))
    print(
        f"embedded store kept on disk; {args.connections} connections, {args.seconds}s per run, {os.cpu_count()} cores",
        flush=True,
    )
    header = (
        f"{'case':46} {'req/s':>6} {'x bare':>6} {'p50':>8} {'p99':>8} {'reqs':>6} {'cpu us':>6} {'x (cpu)':>7} "
        f"{'not answers':>11} {'questions':>9} {'stored after':>12}"
    )
    print(header, flush=True)
    ratios: dict[str, list[float]] = {"plain": [], "safe": []}
    cpu_ratios: dict[str, list[float]] = {"plain": [], "safe": []}
    for users, stored in cases:
        bare = measure_bare(args)
        label = f"{users} users" + (f", {stored} stored" if stored else "")
        name = f"bare tornado handler ({label})"
        print(
            f"{name:46} {bare['rps']:6.0f} {1.0:6.2f} {bare['p50']:>8} {bare['p99']:>8} {bare['requests']:6d} "
            f"{bare['cpu_us']:6.0f} {1.0:7.2f}",
            flush=True,
        )
        for mode, safe in (("plain", False), ("safe", True)):
            r = measure_pipeline(args, users, stored, safe, n)
            ratio, cpu_ratio = r["rps"] / bare["rps"], bare["cpu_us"] / r["cpu_us"]
            ratios[mode].append(ratio)
            cpu_ratios[mode].append(cpu_ratio)
            print(
                f"{mode + ' pipeline (' + label + ')':46} {r['rps']:6.0f} {ratio:6.2f} {r['p50']:>8} {r['p99']:>8} "
                f"{r['requests']:6d} {r['cpu_us']:6.0f} {cpu_ratio:7.2f} {r['not_answers'] + r['non_2xx']:11d} "
                f"{r['questions']:>9} {r['stored_after']:12d}",
                flush=True,
            )
    # Cold understanding (2000 users): every message is a text the server has never seen, so each is understood anew
    # (segmentation, classifier, BM25, naming) instead of coming from the cache.
    bare = measure_bare(args)
    for mode, safe in (("plain", False), ("safe", True)):
        warm = measure_pipeline(args, 2000, 0, safe, n)
        cold = measure_pipeline(args, 2000, 0, safe, n, cold=True)
        for label, r in (("cached understanding", warm), ("cold understanding", cold)):
            name = f"{mode} pipeline, {label}"
            print(
                f"{name:46} {r['rps']:6.0f} {r['rps'] / bare['rps']:6.2f} {r['p50']:>8} {r['p99']:>8} "
                f"{r['requests']:6d} {r['cpu_us']:6.0f} {bare['cpu_us'] / r['cpu_us']:7.2f} "
                f"{r['not_answers'] + r['non_2xx']:11d} {r['questions']:>9} {r['stored_after']:12d}",
                flush=True,
            )
        print(
            f"{mode}: understanding a new message costs about {cold['cpu_us'] - warm['cpu_us']:.0f} us of server CPU"
            " more than a cached one (same run, cold minus cached CPU per request)",
            flush=True,
        )
    print(
        "x bare: requests/s against the bare handler's in the same run; x (cpu): the bare handler's server CPU time"
        " per request over the pipeline's, which other load on the machine disturbs less"
    )
    for mode in ratios:
        for what, values in (("throughput", ratios[mode]), ("cpu", cpu_ratios[mode])):
            spread = (max(values) - min(values)) / max(values) if values else 0
            print(f"{mode}: {what} ratio {min(values):.2f}-{max(values):.2f}x bare, spread across sizes {100 * spread:.0f}%")
    if not args.no_profile:
        for mode, safe in (("plain", False), ("safe", True)):
            with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as fh:
                path = fh.name
            r = measure_pipeline(args, 2000, 0, safe, n, profile=path)
            print(f"\n{mode} mode, 2000 users, " + "\n".join(profile_table(path, r["requests"])))
            os.unlink(path)
        with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as fh:
            path = fh.name
        r = measure_pipeline(args, 2000, 0, False, n, profile=path, cold=True)
        print("\nplain mode, 2000 users, cold understanding, " + "\n".join(profile_table(path, r["requests"])))
        os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
