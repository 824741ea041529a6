"""Long reads off the event loop: run a function against a copy-on-write snapshot of this process (a fork).

The embedded store (mongomock) lives in this process's memory and is not thread-safe: its updates change
documents in place, so a thread reading while the loop writes can see half an update or have a dict change
size under it. A fork is a consistent snapshot instead, taken between two steps of the event loop (every
embedded-store operation runs synchronously on the loop thread, so none is half done at that instant),
for the price of copying the page tables (milliseconds). The child runs on another core, so the GIL is not
shared with the server: the reply path keeps its whole core while a year's report is counted.

The child may only read. It never touches the journal, the sockets or the parent's event loop: it runs the
function in a fresh loop, pickles the result into a pipe and leaves with os._exit (no atexit handlers, no
final compaction of the data directory). A real MongoDB needs none of this: the database does the work and
motor awaits it, so callers run the same function on the loop there (`forked=False`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import pickle
import signal
import time
import traceback

log = logging.getLogger(__name__)

TIMEOUT = 600.0


class OffLoopError(RuntimeError):
    """The child failed; the message carries its traceback."""


def _child(fn, write_fd: int) -> None:
    """In the forked child: run `fn` (a coroutine function) in a fresh loop and send back its result."""
    status = 0
    try:
        signal.set_wakeup_fd(-1)  # the parent's loop owns the wake-up pipe
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        asyncio.events._set_running_loop(None)  # forked inside the parent's running loop
        loop = asyncio.new_event_loop()
        try:
            payload = ("ok", loop.run_until_complete(fn()))
        finally:
            asyncio.events._set_running_loop(None)
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except BaseException:  # noqa: BLE001 - whatever happens, the parent hears about it and the child exits
        status = 1
        data = pickle.dumps(("error", traceback.format_exc()))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(write_fd, view) :]
    finally:
        os._exit(status)


async def run_forked(fn, *, timeout: float = TIMEOUT):
    """`await fn()` in a forked child of this process and return its (picklable) result."""
    loop = asyncio.get_running_loop()
    read_fd, write_fd = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        os.close(read_fd)
        _child(fn, write_fd)
    os.close(write_fd)
    forked_in = time.perf_counter() - started
    os.set_blocking(read_fd, False)
    chunks: list[bytes] = []
    done = loop.create_future()

    def readable() -> None:
        try:
            while True:
                chunk = os.read(read_fd, 1 << 20)
                if not chunk:
                    if not done.done():
                        done.set_result(None)
                    return
                chunks.append(chunk)
        except BlockingIOError:
            return

    loop.add_reader(read_fd, readable)
    try:
        await asyncio.wait_for(done, timeout)
    except (TimeoutError, asyncio.CancelledError):
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        loop.remove_reader(read_fd)
        os.close(read_fd)
        await loop.run_in_executor(None, os.waitpid, pid, 0)  # reap; the child has written and is leaving
    log.debug("forked child %d: fork %.1f ms, total %.3fs", pid, forked_in * 1000, time.perf_counter() - started)
    if not chunks:
        raise OffLoopError("the child process ended without an answer")
    kind, value = pickle.loads(b"".join(chunks))
    if kind != "ok":
        raise OffLoopError(value)
    return value


async def off_loop(store, fn):
    """`await fn()` off the event loop when `store` is the embedded one (a forked snapshot), else as is."""
    if getattr(store, "embedded", False):
        return await run_forked(fn)
    return await fn()


async def compute_off_loop(store, fn, *args):
    """`fn(*args)`, pure CPU work (a spreadsheet written or parsed), where it does not hold the server's GIL:
    a forked child next to the embedded store (which forks for its reads already), a thread on MongoDB."""
    if getattr(store, "embedded", False):

        async def call():
            return fn(*args)

        return await run_forked(call)
    return await asyncio.to_thread(fn, *args)


LONG_WORK_BUSY = "您已有导出或导入正在进行，请稍候再试。"


class Busy(Exception):
    """A staff member asked for more long work than they may run at once; the message is for them (HTTP 429)."""

    def __init__(self, message: str = LONG_WORK_BUSY):
        super().__init__(message)
        self.message = message


class PerUser:
    """At most `limit` pieces of long work (exports, imports) running at once per staff member: one person
    clicking 导出 five times does not take every core from the residents' replies."""

    def __init__(self, limit: int = 1, message: str = LONG_WORK_BUSY):
        self.limit = limit
        self.message = message
        self.running: dict[str, int] = {}

    def acquire(self, user: str) -> None:
        if self.running.get(user, 0) >= self.limit:
            raise Busy(self.message)
        self.running[user] = self.running.get(user, 0) + 1

    def release(self, user: str) -> None:
        left = self.running.pop(user, 1) - 1
        if left > 0:
            self.running[user] = left

    @contextlib.asynccontextmanager
    async def slot(self, user: str):
        self.acquire(user)
        try:
            yield
        finally:
            self.release(user)
