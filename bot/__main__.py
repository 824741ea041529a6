"""`python -m bot`: start the server on BOT_HOST:BOT_PORT.

BOT_PROCESSES=N (a real MongoDB only) binds the port once and forks N server processes that share it,
as Tornado's multi-process start does; the parent forwards SIGTERM/SIGINT to them and exits when they
have. A process manager starting several `python -m bot` on different ports behind a proxy works too.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import os
import signal
import sys
import time

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from bot.app import build_services, make_app, refresh_knowledge_forever
from bot.embedded import DataDirLocked
from bot.logconfig import configure_logging, flush_forever
from bot.miniprogram.services import sweep_materials_forever
from settings import Settings, SettingsError

log = logging.getLogger("bot")

# Larger bodies are refused before a handler runs; /wechat applies its own, smaller limit.
MAX_BODY_BYTES = 1024 * 1024
# A slow or half-sent request must not hold a connection: idle keep-alive and body upload limits (seconds).
IDLE_TIMEOUT = 60
BODY_TIMEOUT = 15
FREEZE_CHECK_EVERY = 5.0


def with_persisted_keys(config: Settings) -> Settings:
    """On the embedded store kept on disk, keys that were not set are generated once and kept next to the
    data, so encrypted fields stay readable and sessions valid across restarts."""
    if not (config.embedded_store and config.data_dir):
        return config
    from bot.embedded import persisted_secret

    keys = {}
    if "BOT_DATA_KEY" not in config.secrets_given:
        keys["data_key"] = persisted_secret(config.data_dir, "data.key")
    if "BOT_SECRET" not in config.secrets_given:
        keys["secret"] = persisted_secret(config.data_dir, "cookie.key")
    return dataclasses.replace(config, **keys)


async def freeze_long_lived(knowledge) -> None:
    """Move what start-up built (dictionaries, the index, the pinyin reader: some 400,000 objects) out of
    the cyclic garbage collector's way, so its full collections, which otherwise walk all of them, stop
    pausing the server for hundreds of milliseconds. Frozen objects are still freed when unreferenced;
    only a reference cycle alive at a freeze and dropped later is never collected (such as a connection
    open at that moment: a few kilobytes per freeze)."""
    await asyncio.get_running_loop().run_in_executor(None, knowledge().warm)
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    log.info(
        "%d long-lived objects frozen for the collector in %.0f ms", gc.get_freeze_count(), 1000 * (time.perf_counter() - started)
    )


async def freeze_after_rebuilds(knowledge) -> None:
    """The same after each knowledge-base rebuild (an edit): one short pause per edit."""
    frozen_at = knowledge.version
    while True:
        await asyncio.sleep(FREEZE_CHECK_EVERY)
        if knowledge.version != frozen_at:
            frozen_at = knowledge.version
            await freeze_long_lived(knowledge)


def http_server(app, **kwargs) -> HTTPServer:
    """The HTTP server with the limits above (tests build theirs here too)."""
    limits = dict(max_body_size=MAX_BODY_BYTES, idle_connection_timeout=IDLE_TIMEOUT, body_timeout=BODY_TIMEOUT)
    return HTTPServer(app, **{**limits, **kwargs})


async def main(config: Settings, log_handler, sockets=None) -> int:
    started = time.perf_counter()
    try:
        services = await build_services(config)
    except DataDirLocked as exc:
        log.error("%s", exc)
        return 2
    except SettingsError as exc:  # e.g. the console refusing a weak BOT_SECRET, or bad HANDOFF_HOURS
        log.error("%s", exc)
        return 2
    await freeze_long_lived(services.knowledge)
    freezer = asyncio.ensure_future(freeze_after_rebuilds(services.knowledge))
    app = make_app(services)
    server = http_server(app)  # forwarding headers only from BOT_TRUSTED_PROXIES (handlers/proxies.py)
    if sockets:
        server.add_sockets(sockets)
    else:
        server.listen(config.port, config.host)
    refresher = asyncio.ensure_future(refresh_knowledge_forever(services.knowledge))
    services.console.start()  # unclaimed-chat reminders; the live-queue poll on a real MongoDB
    flusher = asyncio.ensure_future(flush_forever(log_handler))
    # The notification queue's workers and the reminder sweep (NOTIFY_WORKERS=0 leaves them to other processes).
    workers = sweeper = None
    if config.notify_workers > 0:
        workers = asyncio.ensure_future(services.notifications.run_forever())
        sweeper = asyncio.ensure_future(services.reminders.run_forever())
        project_alerts = asyncio.ensure_future(services.projects.alerts.run_forever())
    retention = asyncio.ensure_future(sweep_materials_forever(services.miniprogram))
    log.info(
        "为民服务助手 listening on http://%s:%s (env=%s, store=%s, %d items, pid %d) in %.2fs",
        config.host,
        config.port,
        config.env,
        f"embedded, kept in {config.data_dir}"
        if config.embedded_store and config.data_dir
        else "embedded, in memory"
        if config.embedded_store
        else "mongodb",
        services.knowledge.status()["items"],
        os.getpid(),
        time.perf_counter() - started,
    )
    log_handler.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    refresher.cancel()
    retention.cancel()
    flusher.cancel()
    freezer.cancel()
    server.stop()
    await services.inbox.drain()
    if workers:
        sweeper.cancel()
        project_alerts.cancel()
        services.notifications.stop()  # a send in flight finishes; what is queued waits in MongoDB
        await asyncio.gather(workers, sweeper, project_alerts, return_exceptions=True)
    services.close()
    log_handler.flush()
    return 0


def run() -> int:
    log_handler = configure_logging()
    try:
        config = with_persisted_keys(Settings.from_env())
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    if config.processes == 1:
        return asyncio.run(main(config, log_handler))
    # Bind before forking, and fork before any event loop or thread exists.
    sockets = bind_sockets(config.port, config.host)
    children = []
    for _ in range(config.processes or os.cpu_count() or 1):
        pid = os.fork()
        if pid == 0:
            os._exit(asyncio.run(main(config, log_handler, sockets)))
        children.append(pid)
    log.info("started %d server processes: %s", len(children), " ".join(map(str, children)))
    log_handler.flush()

    def forward(signum, _frame) -> None:
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    worst = 0
    for child in children:
        _pid, status = os.waitpid(child, 0)
        worst = max(worst, os.waitstatus_to_exitcode(status))
    return worst


if __name__ == "__main__":
    sys.exit(run())
