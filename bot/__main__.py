"""`python -m bot`: start the server on BOT_HOST:BOT_PORT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time

from tornado.httpserver import HTTPServer

from bot.app import build_services, make_app, refresh_knowledge_forever
from bot.logconfig import configure_logging, flush_forever
from settings import Settings, SettingsError

log = logging.getLogger("bot")

# Larger bodies are refused before a handler runs; /wechat applies its own, smaller limit.
MAX_BODY_BYTES = 1024 * 1024
# A slow or half-sent request must not hold a connection: idle keep-alive and body upload limits (seconds).
IDLE_TIMEOUT = 60
BODY_TIMEOUT = 15


def http_server(app, **kwargs) -> HTTPServer:
    """The HTTP server with the limits above (tests build theirs here too)."""
    limits = dict(max_body_size=MAX_BODY_BYTES, idle_connection_timeout=IDLE_TIMEOUT, body_timeout=BODY_TIMEOUT)
    return HTTPServer(app, **{**limits, **kwargs})


async def main() -> int:
    log_handler = configure_logging()
    started = time.perf_counter()
    try:
        config = Settings.from_env()
    except SettingsError as exc:
        log.error("%s", exc)
        return 2
    try:
        services = await build_services(config)
    except SettingsError as exc:  # e.g. the console refusing a weak BOT_SECRET, or bad HANDOFF_HOURS
        log.error("%s", exc)
        return 2
    app = make_app(services)
    server = http_server(app, xheaders=True)
    server.listen(config.port, config.host)
    refresher = asyncio.ensure_future(refresh_knowledge_forever(services.knowledge))
    services.console.start()  # unclaimed-chat reminders; the live-queue poll on a real MongoDB
    flusher = asyncio.ensure_future(flush_forever(log_handler))
    log.info(
        "为民服务助手 listening on http://%s:%s (env=%s, store=%s, %d items) in %.2fs",
        config.host,
        config.port,
        config.env,
        "embedded" if config.embedded_store else "mongodb",
        services.knowledge.status()["items"],
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
    flusher.cancel()
    server.stop()
    await services.inbox.drain()
    services.close()
    log_handler.flush()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
