"""Catalog import checks the whole uploaded file: every error by line and column in plain Chinese, nothing
written while any remains, a GBK CSV (Excel on a Chinese Windows) read as well as UTF-8; and the console page
that lists them (Playwright, screenshots at both widths)."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook

from bot.catalog.messages import plain
from bot.catalog.sheet import read_sheet
from knowledge_base import catalog
from tests.console_utils import login, make_staff, new_page, shoot, upload_catalog

HEADER = [catalog.FIELDS[c][1] if c in catalog.FIELDS else c for c in catalog._columns()]
# English that may appear in a message: the JSON keys staff type in structured cells, and JSON itself.
KEYS = set(catalog.MATERIAL_KEYS) | {"q", "a", "days", "unit", "status", "reviewer", "date", "reviewed", "draft"}
KEYS |= {"true", "false", "conditional", "JSON", "YYYY-MM-DD"}


class Raw(str):
    """A cell written as is (not as the exporter would write the value)."""


def seed_items(n: int = 4) -> list[dict]:
    items, problems = catalog.load_items()
    assert not problems
    return items[:n]


def table_csv(items: list[dict], encoding: str = "utf-8-sig", header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for item in items:
        cells = [item.get(c) for c in catalog._columns()]
        writer.writerow([v if isinstance(v, Raw) else catalog._to_cell(c, v) for c, v in zip(catalog._columns(), cells)])
    return out.getvalue().encode(encoding)


def english_words(text: str) -> set[str]:
    """English words in a message, apart from the keys staff type and the value it quotes back."""
    return set(re.findall(r"[A-Za-z][A-Za-z_-]{2,}", re.sub(r"“[^”]*”", "", text))) - KEYS


def test_every_error_of_the_file_is_listed_by_line_and_column_in_plain_chinese():
    one, two, three, four = seed_items()
    upload = table_csv(
        [one, {**two, "promised_limit_days": "二十"}, three, {**four, "case_type": "急办件", "proxy": "可以", "visits": 5}]
    )
    items, errors = read_sheet("目录.csv", upload)
    assert items == []  # all or nothing
    assert [str(e) for e in errors] == [
        "第 3 行「承诺时限」：须为整数（阿拉伯数字，例如 20），现在是“二十”",
        "第 5 行「可代办」：须填 是 或 否，现在是“可以”",
        "第 5 行「办件类型」：须为 即办件 或 承诺件，现在是“急办件”",
        "第 5 行「到现场次数」：须为 0、1 或 2，现在是“5”",
    ]


def test_rules_across_fields_are_checked_in_the_same_pass_and_said_in_chinese():
    one, two, three, four = seed_items()
    promised = {**one, "case_type": "承诺件", "promised_limit_days": 400, "legal_limit_days": 20}
    promised["promised_limit_unit"] = promised["legal_limit_unit"] = "工作日"
    material = {**two["materials"][0], "form": "传真"}
    rows = [
        promised,
        {**two, "materials": [material], "fee": "依据《某某条例》每件收取 10 元", "fee_basis": []},
        {**three, "review": {"status": "reviewed"}, "faq": Raw("[{'q': 1")},
        {**four, "level": "省", "aliases": []},
    ]
    items, errors = read_sheet("目录.csv", table_csv(rows))
    said = [str(e) for e in errors]
    assert not items
    assert "第 2 行「承诺时限」：承诺时限（400 个工作日）不能长于法定时限（20 个工作日）" in said
    assert any(s.startswith("第 3 行「申请材料」：第 1 项材料的 form（形式）：须为") and "现在是“传真”" in s for s in said)
    assert "第 3 行「收费标准」：写了法规依据：请把依据移到「收费依据」，这里只写收费金额" in said
    assert any(s.startswith("第 4 行「常见问题」：不是有效的 JSON") for s in said)
    assert "第 5 行「办理层级」：须为 乡镇、县、市 或 村，现在是“省”" in said
    assert "第 5 行「常用叫法」：必填，现在是空的" in said
    for text in said:
        assert not english_words(text), text


def test_no_schema_finding_reaches_staff_in_english():
    """Break items in every way the schema checks; each finding has a Chinese text."""
    base = seed_items(1)[0]
    material = base["materials"][0]
    broken = [
        {**base, "item_type": "许可", "scope": "全国", "legal_limit_unit": "月"},
        {**base, "legal_limit_days": 400, "promised_limit_days": -1},
        {**base, "case_type": "即办件", "promised_limit_days": 3},
        {**base, "special_steps": [{"days": -1, "unit": "月", "x": 1}, {"name": ""}]},
        {**base, "fee": "每件 10 元", "fee_basis": []},
        {**base, "item_type": "行政许可", "remedy": ["向部门反映"]},
        {**base, "item_type": "行政裁决", "remedy": ["协商解决"]},
        {**base, "visits": 3, "faq": []},
        {**base, "materials": []},
        {**base, "materials": [{"form": "原件"}, {**material, "count": 0, "required": "maybe", "x": 1}]},
        {**base, "materials": [{**material, "required": "conditional"}, {**material, "required": True, "condition": "若"}]},
        {**base, "materials": [{**material, "required": False, "note": ""}]},
        {**base, "materials": [{**material, "required": True, "note": "他人代办时提供"}]},
        {**base, "faq": [{"q": "怎么办理？", "a": "可以。到窗口办理"}, {"q": "x"}]},
        {**base, "review": {"status": "reviewed", "date": "2099-01-01", "x": 1}},
        {**base, "review": {"status": "reviewed", "date": "昨天"}},
        {**base, "review": {"status": "maybe"}},
        {**base, "home_visit": False, "proxy": False, "summary": "可预约上门，也可找代办员预约代办。"},
        {**base, "name": "=HYPERLINK(1)", "aliases": ["@x"]},
        {**base, "phone": "12345", "faq": [{"q": "要多久？", "a": "7 个自然日内办结。打 12345 咨询。"}]},
        {**base, "unknown": 1, "name": None, "proxy": "yes", "visits": "2"},
    ]
    findings = [p for item in broken for p in catalog.validate_item(item, "t")]
    assert len(findings) > 30
    for problem in findings:
        text = plain(problem.field, problem.message)
        assert not english_words(text), f"{problem.field}: {problem.message} -> {text}"


def test_a_gbk_csv_from_excel_is_read_like_utf8():
    items = seed_items(2)
    got, errors = read_sheet("目录.csv", table_csv(items, encoding="gbk"))
    assert errors == [] and [i["code"] for i in got] == [i["code"] for i in items]
    assert got[0]["name"] == items[0]["name"]


def test_headers_that_are_not_the_catalogs_are_named_with_a_suggestion():
    header = [("承诺时间" if h == "承诺时限" else h) for h in HEADER]
    _items, errors = read_sheet("目录.csv", table_csv(seed_items(1), header=header))
    said = [str(e) for e in errors]
    assert said == ["第 1 行「承诺时间」：不是事项目录的列，是不是「承诺时限」？", "第 1 行：缺少「承诺时限」列"]


def test_an_xlsx_with_numbers_as_excel_stores_them_and_a_wrong_cell():
    items = seed_items(2)
    book = Workbook()
    sheet = book.active
    sheet.title = "事项目录"
    sheet.append(HEADER)
    for item in items:
        row = [catalog._to_cell(c, item.get(c)) for c in catalog._columns()]
        row[catalog._columns().index("visits")] = float(item["visits"])  # Excel keeps numbers as floats
        sheet.append(row)
    sheet.cell(row=3, column=catalog._columns().index("legal_limit_days") + 1, value="二十天")
    data = io.BytesIO()
    book.save(data)
    got, errors = read_sheet("目录.xlsx", data.getvalue())
    assert got == [] and [str(e) for e in errors] == ["第 3 行「法定时限」：须为整数（阿拉伯数字，例如 20），现在是“二十天”"]
    assert read_sheet("目录.xlsx", b"PK not really")[1][0].message.startswith("文件无法作为 Excel 工作簿打开")


async def test_the_import_page_lists_every_error_then_imports_the_fixed_file(server, services, browser, tmp_path):
    await make_staff(services, "zhaolei", "supervisor")
    editor = services.backoffice.editor
    codes = sorted(services.knowledge().index.items)[:3]
    items = [await editor.get(c) for c in codes]
    first = {**items[0], "hours": "周一至周六 8:30-17:00"}
    wrong = [first, {**items[1], "promised_limit_days": "二十"}, {**items[2], "case_type": "急办件", "level": "省"}]
    path = tmp_path / "事项目录.csv"
    path.write_bytes(table_csv(wrong, encoding="gbk"))

    page = await new_page(browser)
    await login(page, server, "zhaolei")
    await page.goto(server.url + "/console/items/import")
    await upload_catalog(page, path)
    assert "发现 3 处错误，没有写入任何内容" in await page.inner_text("p.error")
    rows = [await r.inner_text() for r in await page.locator("#import-errors tbody tr").all()]
    assert [r.strip().split("\t") for r in rows] == [
        ["第 3 行", "承诺时限", "须为整数（阿拉伯数字，例如 20），现在是“二十”"],
        ["第 4 行", "办理层级", "须为 乡镇、县、市 或 村，现在是“省”"],
        ["第 4 行", "办件类型", "须为 即办件 或 承诺件，现在是“急办件”"],
    ]
    assert await page.locator("text=确认导入").count() == 0
    await shoot(page, "item-import-errors")
    assert (await editor.get(codes[0]))["hours"] == items[0]["hours"]  # the good row was not written either

    # Fixed in one go, the same file imports.
    path.write_bytes(table_csv([first, items[1], items[2]], encoding="gbk"))
    await upload_catalog(page, path)
    assert "修改：办理时间" in await page.inner_text("#import-rows")
    await page.click("text=确认导入")
    await page.wait_for_load_state()
    assert "新增 0 项，更新 1 项，未变 2 项" in await page.inner_text("p.ok")
    assert (await editor.get(codes[0]))["hours"] == "周一至周六 8:30-17:00"
