"""Fixtures: the app built by the production factory on a fresh embedded store per test, served over real
HTTP, next to a fake WeChat API server on 127.0.0.1."""

from __future__ import annotations

import os

import pytest
from tornado.testing import bind_unused_port

from bot.__main__ import http_server
from bot.app import build_services, make_app
from bot.store import Store
from handlers.wechat_sandbox import make_sandbox_app
from knowledge_base.text import Lexicon
from settings import Settings
from tests.utils import AES_KEY, APPID, TOKEN, Server

_LEXICON = None


def shared_lexicon() -> Lexicon:
    """jieba's dictionary takes most of a second to load: share one across tests (it is read-only)."""
    global _LEXICON
    if _LEXICON is None:
        _LEXICON = Lexicon()
    return _LEXICON


async def serve(app) -> Server:
    sock, port = bind_unused_port()
    server = http_server(app)
    server.add_sockets([sock])
    return Server(server, f"http://127.0.0.1:{port}", app)


@pytest.fixture
async def wechat_api():
    """The fake WeChat API; `wechat_api.state` holds what it received."""
    server = await serve(make_sandbox_app())
    server.state = server.app.sandbox
    yield server
    server.http_server.stop()


@pytest.fixture
def config(wechat_api) -> Settings:
    return Settings(
        wechat_token=TOKEN,
        wechat_appid=APPID,
        wechat_secret="test-secret",
        wechat_aes_key=AES_KEY,
        wechat_api_base=wechat_api.url + "/",
        mongodb_uri=os.environ.get("MONGODB_TEST_URI", "mongomock://"),
        mongodb_db="govbot_test",
        secret="test-cookie-secret",
        data_key="test-data-key",
        # Tests run at any hour; the quiet-hours tests set them on the notification service explicitly.
        notify_quiet_hours=None,
    )


@pytest.fixture
async def services(config):
    store = Store.connect(config.mongodb_uri, config.mongodb_db)
    await store.client.drop_database(config.mongodb_db)
    services = await build_services(config, store=store, lexicon=shared_lexicon())
    yield services
    await services.inbox.drain()
    await store.client.drop_database(config.mongodb_db)
    services.close()


@pytest.fixture
async def server(services):
    srv = await serve(make_app(services))
    yield srv
    srv.http_server.stop()


# ---- the staff console in a real headless Chromium (Debian's; Playwright's download is never used) ----

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()
