"""The report page and its printed page in a real Chromium, at phone (390) and laptop (1280) widths: one 时段
control whose 自定义 option reveals the two dates, a 季度 period, a monthly trend whose 合计 row is the cards,
and an A4 printed page with ruled tables, one column per figure and a 制表单位 / 制表人 / 制表日期 footer.
Screenshots and the PDF go to tests/artifacts/."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from bot.demo import seed_demo
from bot.report.periods import CHINA
from tests.console_utils import ARTIFACTS, PASSWORD, login, new_page

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def config(config):
    """REPORT_ISSUER set, as a centre would set it."""
    return dataclasses.replace(config, report_issuer="昭阳区为民服务中心")


async def screenshots(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for label, size in (("390", PHONE), ("1280", LAPTOP)):
        await page.set_viewport_size(size)
        await page.wait_for_timeout(100)
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)


async def no_sideways_scroll(page) -> bool:
    """The page itself never scrolls sideways (wide tables scroll inside their own box)."""
    return await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


async def supervisor_page(server, services, browser, size, *, seed: int, now: datetime):
    """150 demo bookings up to `now`, and a page signed in as supervisor 赵磊."""
    await seed_demo(services.store, services.bookings.cipher, services.bookings.calendar, 150, seed=seed, now=now)
    await services.console.accounts.create("zhaolei", "supervisor", PASSWORD, must_change=False, created_by="test", name="赵磊")
    page = await new_page(browser, size)
    await login(page, server, "zhaolei")
    return page


async def test_one_period_control_a_quarter_and_the_trend_total_equal_to_the_cards(server, services, browser):
    now = datetime.now(UTC)
    page = await supervisor_page(server, services, browser, PHONE, seed=7, now=now)
    await page.goto(server.url + "/console/report")
    # One control: 自定义 is one of 时段's options, and only it shows the two dates.
    assert await page.locator("input[name=start]").is_hidden() and await page.locator("input[name=value]").is_visible()
    await page.select_option("#report-kind", "custom")
    assert await page.locator("input[name=start]").is_visible() and await page.locator("input[name=end]").is_visible()
    assert await page.locator("input[name=value]").is_hidden()
    await page.select_option("#report-kind", "quarter")
    assert await page.locator("input[name=start]").is_hidden()
    assert await page.get_attribute("input[name=value]", "placeholder") == "2026-Q4"
    assert await page.inner_text(".period-value .value-name") == "季度"
    today = now.astimezone(CHINA).date()
    quarter = (today.month - 1) // 3 + 1
    await page.fill("input[name=value]", f"{today.year}-Q{quarter}")
    await page.click("#report-filters button[type=submit]")
    await page.wait_for_load_state()
    assert f"{today.year}年第{quarter}季度" in await page.inner_text("h1")
    assert "start=" not in page.url  # the hidden dates are not sent

    # The trend: one row a month of the quarter, then 合计, which reads what the cards read.
    months = await page.locator("#trend tbody tr").evaluate_all("rows => rows.map(r => r.dataset.month)")
    assert months == [f"{today.year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)] + ["合计"]
    for key in ("received", "completed", "on_time", "satisfaction", "transfers", "transfer_success", "hotline_calls"):
        card = await page.locator(f".figure[data-key={key}] .value").inner_text()
        total = await page.locator(f"#trend tr.total td[data-key={key}]").inner_text()
        assert " ".join(total.split()) == card, key
    assert int(await page.locator(".figure[data-key=received] .value").inner_text()) > 0
    assert await no_sideways_scroll(page)
    await screenshots(page, "report-quarter")

    # 自定义 from the same control.
    await page.select_option("#report-kind", "custom")
    await page.fill("input[name=start]", f"{today.year}-01-01")
    await page.fill("input[name=end]", today.isoformat())
    await page.click("#report-filters button[type=submit]")
    await page.wait_for_load_state()
    assert f"{today.year}-01-01 至 {today.isoformat()}" in await page.inner_text("h1")
    assert await page.locator("input[name=start]").is_visible() and await page.locator("input[name=value]").is_hidden()


async def test_the_printed_page_is_ruled_a4_with_month_columns_and_a_signed_footer(server, services, browser):
    now = datetime.now(UTC)
    page = await supervisor_page(server, services, browser, LAPTOP, seed=9, now=now)
    year = now.astimezone(CHINA).year
    await page.goto(server.url + f"/console/report/print?kind=year&value={year}")
    foot = await page.inner_text("#print-foot")
    today = now.astimezone(CHINA).date()
    assert "制表单位：昭阳区为民服务中心" in foot and "制表人：赵磊" in foot
    assert f"制表日期：{today.year}年{today.month}月{today.day}日" in foot

    # Ruled tables: every cell has its own border, and each figure its own column, one row a month.
    style = await page.locator("#summary td").first.evaluate(
        "td => { const s = getComputedStyle(td); return [s.borderTopStyle, s.borderLeftStyle, s.borderTopWidth]; }"
    )
    assert style == ["solid", "solid", "1px"]
    trends = page.locator("table.trend")
    assert await trends.count() == 2
    for i, columns in enumerate((7, 6)):  # 预约服务与群众评价; 在线咨询、转人工与 96128
        table = trends.nth(i)
        headers = await table.locator("thead th").all_inner_texts()
        assert headers[0] == "月份" and len(headers) == 1 + columns
        assert await table.locator("tbody tr").count() == 13  # twelve months and 合计
        # Neighbouring month cells do not touch: each has padding inside its border.
        padding = await table.locator("tbody td").first.evaluate("td => parseFloat(getComputedStyle(td).paddingLeft)")
        assert padding >= 3
    december = await trends.nth(0).locator(f"tr[data-month='{year}-12'] td").all_inner_texts()
    assert len(december) == 7
    summary = await page.inner_text("#summary")
    assert "满意率（全部渠道）" in summary and "转接成功率" in summary
    await screenshots(page, "report-print")
    await page.set_viewport_size(PHONE)
    assert await no_sideways_scroll(page)  # on a phone the tables scroll in their own box

    # As printed: A4 at print media, and the PDF the browser would save.
    await page.emulate_media(media="print")
    await page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    await page.screenshot(path=str(ARTIFACTS / "report-print-a4.png"), full_page=True)
    assert await no_sideways_scroll(page)
    pdf = await page.pdf(format="A4", print_background=True, path=str(ARTIFACTS / "report-print.pdf"))
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert pdf.startswith(b"%PDF") and 1 <= pages <= 8
    assert await page.locator(".no-print").is_hidden()
