"""Helpers for the console tests: staff accounts, signing in through the browser, screenshots."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
PASSWORD = "Correct horse battery 9"  # the policy: 10+ characters, three classes


class AlwaysOpen:
    """Working hours around the clock, so tests do not depend on when they run."""

    spec = "00:00-24:00"

    def is_open(self, when: datetime) -> bool:
        return True

    def next_open(self, when: datetime) -> datetime:
        return when

    def working_seconds(self, start: datetime, end: datetime) -> float:
        return max((end - start).total_seconds(), 0.0)

    def describe_next(self, when: datetime) -> str:
        return "今天 9:00"

    def describe(self) -> str:
        return "全天"


class ClosedToday(AlwaysOpen):
    def is_open(self, when: datetime) -> bool:
        return False

    def describe_next(self, when: datetime) -> str:
        return "明天（12月3日 周四）9:00"

    def describe(self) -> str:
        return "工作日 9:00-17:30"


def open_all_day(services) -> None:
    services.console.desk.hours = AlwaysOpen()


async def make_staff(services, username: str, role: str = "agent", password: str = PASSWORD, must_change: bool = False) -> dict:
    return await services.console.accounts.create(username, role, password, must_change=must_change, created_by="test")


async def new_page(browser, size=LAPTOP):
    context = await browser.new_context(viewport=size, locale="zh-CN")
    return await context.new_page()


async def login(page, server, username: str, password: str = PASSWORD) -> None:
    await page.goto(server.url + "/console/")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.press("input[name=password]", "Enter")
    await page.wait_for_load_state()


async def upload_catalog(page, path) -> None:
    """On the catalog import page: upload the file at `path` and wait for the preview."""
    await page.set_input_files("input[type=file]", str(path))
    await page.click("text=上传并预览")
    await page.wait_for_load_state()


async def shoot(page, name: str) -> None:
    """Save the page at phone and laptop widths under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    original = page.viewport_size
    for label, size in (("phone", PHONE), ("laptop", LAPTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(100)
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)
    await page.set_viewport_size(original)


def ago(minutes: float) -> datetime:
    from datetime import UTC

    return datetime.now(UTC) - timedelta(minutes=minutes)


async def http_login(server, username: str, password: str = PASSWORD) -> str:
    """Sign in over plain HTTP (no browser); returns the Cookie header of the session."""
    from tornado.httpclient import AsyncHTTPClient

    client = AsyncHTTPClient()
    form = await client.fetch(server.url + "/console/login")
    cookies = {c.split("=", 1)[0]: c.split(";")[0].split("=", 1)[1] for c in form.headers.get_list("Set-Cookie")}
    xsrf = cookies.get("_xsrf", "")
    response = await client.fetch(
        server.url + "/console/login",
        method="POST",
        body=f"username={username}&password={password.replace(' ', '+')}&_xsrf={xsrf}",
        headers={"Cookie": f"_xsrf={xsrf}"},
        follow_redirects=False,
        raise_error=False,
    )
    assert response.code in (302, 303), response.code
    for c in response.headers.get_list("Set-Cookie"):
        cookies[c.split("=", 1)[0]] = c.split(";")[0].split("=", 1)[1]
    return "; ".join(f"{k}={v}" for k, v in cookies.items())
