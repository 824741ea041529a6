"""One source for every figure: on random data, each figure reads the same on the report page's cards, in the
monthly trend's 合计 row, in the CSV, in the XLSX and on the printed page; each month's trend row is that
month's own report; and the issue's December (转接成功率 1/1 on the card but 1/10 in the trend, 满意率 1/2
against 0/0) can no longer happen."""

from __future__ import annotations

import csv
import html
import io
import random
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from bot.demo import seed_demo
from bot.report.hotline import HotlineLog
from bot.report.measures import MEASURES, MONTHLY, Figure
from bot.report.periods import Period
from bot.report.rates import Rate
from tests.console_utils import PASSWORD
from tests.staff_http import StaffBrowser
from tests.test_report import cst, escalation
from tests.test_rollups import NOW, random_writes

MONTHLY_IDS = [m.id for m in MONTHLY]


def _text(fragment: str) -> str:
    """A cell's text as a reader sees it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def page_cards(page: str) -> dict[str, str]:
    found = re.findall(r'<div class="figure" data-key="(\w+)"><div class="label">.*?</div><div class="value">(.*?)</div>', page)
    return {key: _text(value) for key, value in found}


def trend_rows(page: str) -> dict[str, dict[str, str]]:
    """Every trend table's rows by month (合计 included); the printed page splits the columns over two tables."""
    rows: dict[str, dict[str, str]] = {}
    for month, cells in re.findall(r'<tr(?: class="total")? data-month="([^"]+)">(.*?)</tr>', page, re.S):
        row = rows.setdefault(month, {})
        row.update({key: _text(value) for key, value in re.findall(r'<td data-key="(\w+)" class="num">(.*?)</td>', cells, re.S)})
    return rows


def print_summary(page: str) -> dict[str, str]:
    return {key: _text(value) for key, value in re.findall(r'<td class="num" data-key="(\w+)">(.*?)</td>', page, re.S)}


def csv_sections(data: bytes) -> dict[str, list[list[str]]]:
    """The CSV's sections by title: the summary first ("汇总"), then each titled block."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    sections, title = {"汇总": []}, "汇总"
    for line in lines[1:]:
        if not line:
            title = None
            continue
        if title is None:
            title = line[0]
            sections[title] = []
            continue
        sections[title].append(line)
    assert lines[0][0].startswith("为民服务助手 统计报表")
    return sections


def figure_texts(report) -> dict[str, str]:
    return {key: figure.text for key, figure in report.figures.items()}


async def open_report(browser: StaffBrowser, query: str) -> tuple[str, str, bytes, bytes]:
    pages = []
    for path in ("/console/report", "/console/report/print", "/console/report.csv", "/console/report.xlsx"):
        response = await browser.get(f"{path}?{query}")
        assert response.code == 200, (path, response.code, response.body[:300])
        pages.append(response.body)
    return pages[0].decode(), pages[1].decode(), pages[2], pages[3]


def assert_one_source(report, page: str, printed: str, csv_data: bytes, xlsx_data: bytes) -> None:
    expected = figure_texts(report)
    assert set(expected) == {m.id for m in MEASURES}
    cards = page_cards(page)
    for m in MEASURES:
        if not m.id.startswith("level_"):  # the five levels are the levels table's 全部 row
            assert cards[m.id] == expected[m.id], m.id
    levels = dict(re.findall(r'<td data-key="(level_\d)">(\d+)</td>', page))
    assert {k: v for k, v in expected.items() if k.startswith("level_")} == levels

    for rows in (trend_rows(page), trend_rows(printed)):
        assert {k: rows["合计"][k] for k in MONTHLY_IDS} == {k: expected[k] for k in MONTHLY_IDS}
        assert [m for m in rows if m != "合计"] == [label for label, _ in report.period.months()]

    assert print_summary(printed) == expected

    sections = csv_sections(csv_data)
    summary = sections["汇总"][1:]  # after the header
    assert len(summary) == len(MEASURES)
    for m, line in zip(MEASURES, summary, strict=True):
        figure = report.figures[m.id]
        assert line[1] == m.title(report) and line[2] == figure.text, m.id
        assert line[3:5] == [str(figure.num), str(figure.den)], m.id
    trend = sections["月度趋势"][1:]  # after the header
    assert trend[-1][0] == "合计" and trend[-1][1:] == [expected[k] for k in MONTHLY_IDS]

    book = load_workbook(io.BytesIO(xlsx_data))
    sheet = list(book["汇总"].iter_rows(values_only=True))[1:]
    for m, line in zip(MEASURES, sheet, strict=True):
        figure = report.figures[m.id]
        cells = tuple("" if v is None else v for v in line[3:5])
        assert line[2] == figure.text and cells == (figure.num, figure.den), m.id
    last = list(book["月度趋势"].iter_rows(values_only=True))[-1]
    assert last[0] == "合计" and [str(v) for v in last[1:]] == [expected[k] for k in MONTHLY_IDS]
    assert trend[:-1] == [[str(v) for v in row] for row in list(book["月度趋势"].iter_rows(values_only=True))[1:-1]]


def assert_months_add_up(report) -> None:
    """Counts and each rate's numerator and denominator sum over the months to the 合计 row."""
    for key in MONTHLY_IDS:
        values = [row[key] for row in report.trend]
        total = report.trend_total[key]
        if isinstance(total, Rate):
            assert Rate(sum(v.num for v in values), sum(v.den for v in values)) == total, key
        else:
            assert sum(values) == total, key


@pytest.fixture
async def staff(server, services):
    await services.console.accounts.create("zhaolei", "supervisor", PASSWORD, must_change=False, created_by="test", name="赵磊")
    browser = StaffBrowser(server)
    await browser.login("zhaolei")
    return browser


@pytest.mark.parametrize("seed", [5, 23, 61])
async def test_every_figure_reads_the_same_everywhere_on_random_data(services, staff, seed):
    rng = random.Random(seed)
    await seed_demo(services.store, services.bookings.cipher, services.bookings.calendar, 160, seed=seed, now=NOW)
    await random_writes(services, rng, 60)
    reports = services.backoffice.reports
    reports.clock = lambda: NOW
    year = 2026 if rng.random() < 0.5 else 2025
    queries = [
        (f"kind=year&value={year}", Period.year(year)),
        (f"kind=quarter&value={year}-Q{rng.randint(1, 4)}", None),
        ("kind=custom&start=2025-11-17&end=2026-02-09", Period.custom(date(2025, 11, 17), date(2026, 2, 9))),
    ]
    seen_rates = 0
    for query, period in queries:
        period = period or Period.parse("quarter", query.rsplit("=", 1)[1])
        report = await reports.build(period, fresh=True)
        page, printed, csv_data, xlsx_data = await open_report(staff, query)
        assert_one_source(report, page, printed, csv_data, xlsx_data)
        assert_months_add_up(report)
        seen_rates += sum(1 for f in report.figures.values() if isinstance(f.value, Rate) and f.value.den)
        # Each month's row is that month's own report (a part month: its days within the period).
        for (label, month), row in zip(period.month_slices(), report.trend, strict=True):
            own = await reports.build(month, fresh=True)
            assert row["month"] == label
            assert {k: Figure(row[k]).text for k in MONTHLY_IDS} == {k: own.figures[k].text for k in MONTHLY_IDS}, label
    assert report.figures["received"].value > 10 and seen_rates > 10  # not an empty comparison


async def test_the_decembers_transfer_and_satisfaction_rates_agree_on_card_and_trend(services, staff):
    """The issue's case: 10 hand-offs in December, one answered in time and nine still waiting; one chat rated
    满意 and one 96128 call rated 不满意, no booking rated. Card and trend both read 100% (1/1) and 50% (1/2)."""
    await escalation(services, "o_d0", cst("2026-12-01", 9), seconds=60, in_time=True, score=4)
    for i in range(1, 10):
        await escalation(services, f"o_d{i}", cst("2026-12-02", 9, i), seconds=None, status="waiting")
    hotline = HotlineLog(services.store.hotline_calls, services.audit)
    await hotline.record("liming", topic="办事指南", outcome="answered", score=2, at=cst("2026-12-02", 10))
    reports = services.backoffice.reports
    reports.clock = lambda: cst("2026-12-03")
    page, printed, csv_data, xlsx_data = await open_report(staff, "kind=year&value=2026")
    report = await reports.build(Period.year(2026))
    assert_one_source(report, page, printed, csv_data, xlsx_data)
    december = trend_rows(page)["2026-12"]
    assert page_cards(page)["transfer_success"] == december["transfer_success"] == "100% (1/1)"
    assert page_cards(page)["satisfaction"] == december["satisfaction"] == "50% (1/2)"
    assert trend_rows(printed)["2026-12"]["satisfaction"] == "50% (1/2)"
    assert page_cards(page)["transfers"] == december["transfers"] == "10"
    assert "制表单位：为民服务中心" in printed and "制表人：赵磊" in printed and "制表日期：2026年12月3日" in printed
    assert len(report.trend) == 12
