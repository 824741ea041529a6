"""Fixtures: the app built by the production factory on a fresh embedded store per test, served over real
HTTP, next to a fake WeChat API server on 127.0.0.1.

All tests and fixtures share one event loop per test process (pyproject.toml), so one Chromium serves
every browser test; what is read-only and costly (the item index, jieba) is built once per process
(tests/utils.py). Tests are independent of each other and of their order: pytest-xdist runs them in
parallel processes (`make test`)."""

from __future__ import annotations

import os

import pytest
from tornado.testing import bind_unused_port

from bot.__main__ import http_server
from bot.app import make_app
from bot.store import Store
from handlers.wechat_sandbox import make_sandbox_app
from settings import Settings
from tests.utils import AES_KEY, APPID, TOKEN, FakeClock, Server, build_test_services, db_name


async def serve(app) -> Server:
    sock, port = bind_unused_port()
    server = http_server(app)
    server.add_sockets([sock])
    return Server(server, f"http://127.0.0.1:{port}", app)


@pytest.fixture
def clock() -> FakeClock:
    """Time for the code under test that the test moves with `clock.advance(seconds)` instead of sleeping."""
    return FakeClock()


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
        mongodb_db=db_name(),
        secret="test-cookie-secret",
        data_key="test-data-key",
        # Tests run at any hour; the quiet-hours tests set them on the notification service explicitly.
        notify_quiet_hours=None,
    )


@pytest.fixture
async def services(config):
    store = Store.connect(config.mongodb_uri, config.mongodb_db)
    await store.client.drop_database(config.mongodb_db)
    services = await build_test_services(config, store)
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


@pytest.fixture(scope="session")
async def chromium():
    """One Chromium per test process (starting one costs about a second of CPU)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


class TestBrowser:
    """The shared Chromium as a test sees it: what the test opens (contexts, pages) is closed after it,
    so no page of one test outlives it (cookies, storage and live sockets stay the test's own)."""

    def __init__(self, chromium):
        self.chromium = chromium
        self.contexts = []

    async def new_context(self, **options):
        context = await self.chromium.new_context(**options)
        self.contexts.append(context)
        return context

    async def new_page(self, **options):
        return await (await self.new_context(**options)).new_page()

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def browser(chromium):
    opened = TestBrowser(chromium)
    yield opened
    await opened.close()
