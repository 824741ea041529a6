"""Benchmark: start-up and restart after SIGKILL of `python -m bot` on a data directory filled by seed-demo.

    BOT_DATA_DIR=/tmp/seed30k MONGODB_URI=mongomock:// BOT_DATA_KEY=bench-data-key \\
        .venv/bin/python -m bot.admin seed-demo --bookings 30000        # once: a few minutes
    .venv/bin/python bench/store_startup.py /tmp/seed30k [--starts 3] [--root DIR]

Each run works on a fresh copy of the directory (the seeded one is never changed): the first start, then
SIGKILL and start again, `--starts` times in all. For each start: wall seconds until /healthz answers, the
server's CPU seconds by then (user + system, from /proc: what a loaded machine distorts least), and its
resident memory (VmRSS) and peak (VmHWM) three seconds later. `--root` runs another checkout's code
(e.g. /work/main) on the same copy, for a before/after in one session.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1]) // 1024
    return out


def start(root: Path, data_dir: Path, port: int, log) -> tuple[subprocess.Popen, float, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHAT_", "MONGODB_"))}
    env.update(BOT_PORT=str(port), BOT_DATA_DIR=str(data_dir), BOT_DATA_KEY="bench-data-key", MONGODB_URI="mongomock://")
    env.update(CONTENT_CHECK="off")
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=root, env=env, stdout=log, stderr=log)
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with {proc.returncode}: see {log.name}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            break
        except OSError:
            time.sleep(0.05)
    return proc, time.perf_counter() - started, cpu_seconds(proc.pid)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeded", type=Path, help="a data directory written by seed-demo (copied, not changed)")
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose `python -m bot` runs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="store-startup-"))
    data_dir = work / "data"
    shutil.copytree(args.seeded, data_dir)
    (data_dir / "LOCK").unlink(missing_ok=True)
    port = free_port()
    print(f"{args.root} on a copy of {args.seeded}; wall is noisy on a shared machine, CPU less so")
    try:
        with open(work / "server.log", "ab") as log:
            for n in range(args.starts):
                proc, wall, cpu = start(args.root, data_dir, port, log)
                time.sleep(3)
                mem = memory_mb(proc.pid)
                what = "first start" if n == 0 else "restart after SIGKILL"
                memory = f"RSS {mem['VmRSS']} MB (peak {mem['VmHWM']} MB)"
                print(f"  {what:22} wall {wall:5.1f}s  CPU {cpu:5.1f}s  {memory}", flush=True)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
