"""Knowledge-base editing: the form validated by the catalog's schema, versions with who and a diff,
revert, and import with a preview and a line-numbered error report before anything is written."""

from __future__ import annotations

import csv
import io

import pytest

from bot.catalog.editor import EditConflict, EditError, diff, field_names, parse_form, to_text
from knowledge_base import catalog


def form_of(item: dict) -> dict[str, str]:
    return {name: to_text(name, item.get(name)) for name in field_names() if name in item}


async def first_item(services) -> dict:
    return await services.backoffice.editor.get(sorted(services.knowledge().index.items)[0])


async def test_form_errors_name_the_field(services):
    item = await first_item(services)
    values = form_of(item)
    values.update(promised_limit_days="很快", name="", materials="[not json")
    _parsed, errors = parse_form(values, item["code"])
    assert "name" in errors and "必填" in errors["name"][0]
    assert "promised_limit_days" in errors and "materials" in errors


async def test_save_history_diff_and_revert(services):
    editor = services.backoffice.editor
    item = await first_item(services)
    values = form_of(item)
    values["phone"] = "0870-9999999"
    edited, errors = parse_form(values, item["code"])
    assert errors == {}
    version = await editor.save(item["code"], edited, "zhaolei", base_version=0, note="更新咨询电话")
    assert version["version"] == 2 and version["changes"] == ["phone"]
    history = await editor.history(item["code"])
    assert [(v["version"], v["by"]) for v in history] == [(2, "zhaolei"), (1, "seed")]
    assert services.knowledge().index.item(item["code"])["phone"] == "0870-9999999"  # this process rebuilt at once
    # What the history page shows: the old and the new line, no raw hunk header ("@@ -1 +1 @@").
    [change] = diff(item, edited)
    assert change["label"] and change["lines"] == [f"-{item['phone']}", "+0870-9999999"]
    with pytest.raises(EditConflict):
        await editor.save(item["code"], {**edited, "fee": "不收费"}, "wangfang", base_version=0)
    with pytest.raises(EditError, match="没有改动"):
        await editor.save(item["code"], edited, "zhaolei")
    await editor.revert(item["code"], 1, "zhaolei")
    assert (await editor.get(item["code"]))["phone"] == item["phone"]
    latest = (await editor.history(item["code"]))[0]
    assert latest["version"] == 3 and latest["note"] == "恢复到第 1 版"
    audit = await services.audit.recent(target=f"item:{item['code']}")
    assert audit[-1]["before"] == {"phone": item["phone"]} and audit[-1]["after"] == {"phone": "0870-9999999"}


def catalog_csv(items: list[dict]) -> bytes:
    cols = catalog._columns()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([catalog.FIELDS[c][1] if c in catalog.FIELDS else c for c in cols])
    for item in items:
        writer.writerow([catalog._to_cell(c, item.get(c)) for c in cols])
    return out.getvalue().encode("utf-8-sig")


async def test_import_preview_reports_broken_lines_and_writes_nothing(services):
    editor = services.backoffice.editor
    codes = sorted(services.knowledge().index.items)[:3]
    items = [await editor.get(c) for c in codes]
    changed = {**items[0], "hours": "周一至周五 8:30-17:00"}
    broken = {**items[1], "promised_limit_days": "十天"}
    preview = await editor.preview_import("目录.csv", catalog_csv([changed, broken, items[2]]), "zhaolei")
    assert not preview.writable
    assert [(p.line, p.column) for p in preview.problems] == [(3, "承诺时限")]  # the header is line 1
    with pytest.raises(EditError):
        await editor.apply_import(preview.token, "zhaolei")
    assert (await editor.get(codes[0]))["hours"] == items[0]["hours"]


async def test_import_applies_a_clean_file_once(services):
    editor = services.backoffice.editor
    codes = sorted(services.knowledge().index.items)[:2]
    items = [await editor.get(c) for c in codes]
    new_item = {**items[1], "code": "ZZ-001", "name": "测试新事项"}
    preview = await editor.preview_import("目录.csv", catalog_csv([{**items[0], "hours": "全天"}, items[1], new_item]), "zhaolei")
    assert preview.writable and [r["action"] for r in preview.rows] == ["update", "same", "new"]
    assert preview.rows[0]["changes"] == [catalog.FIELDS["hours"][1]]
    counts = await editor.apply_import(preview.token, "zhaolei")
    assert counts == {"new": 1, "updated": 1, "unchanged": 1}
    assert services.knowledge().index.item("ZZ-001")["name"] == "测试新事项"
    with pytest.raises(EditError):
        await editor.apply_import(preview.token, "zhaolei")  # a preview is applied once


async def test_a_file_that_is_not_a_catalog_is_reported(services):
    preview = await services.backoffice.editor.preview_import("x.xlsx", b"not a workbook", "zhaolei")
    assert preview.problems and not preview.writable
    with pytest.raises(EditError):
        await services.backoffice.editor.preview_import("x.txt", b"", "zhaolei")


async def test_another_server_process_answers_from_the_edit_within_5_seconds(services, config):
    """Two processes on one database: the second rebuilds from the version counter, as in production."""
    import asyncio
    import time

    from bot.app import KB_REFRESH_SECONDS, refresh_knowledge_forever
    from tests.utils import build_test_services

    other = await build_test_services(config, services.store)
    refresher = asyncio.ensure_future(refresh_knowledge_forever(other.knowledge, KB_REFRESH_SECONDS))
    try:
        item = await first_item(services)
        await services.backoffice.editor.save(item["code"], {**item, "hours": "周一至周日 8:00-20:00"}, "zhaolei")
        saved = time.monotonic()
        while other.knowledge().index.item(item["code"])["hours"] != "周一至周日 8:00-20:00":
            assert time.monotonic() - saved < 5, "the other process still answers from the old version"
            await asyncio.sleep(0.1)
    finally:
        refresher.cancel()


async def test_a_conditional_material_is_edited_with_its_condition_and_shown_to_residents(services):
    from bot.conversation.guide import section

    editor = services.backoffice.editor
    item = await editor.get("RS-017")
    materials = [dict(m) for m in item["materials"]]
    materials[1].pop("condition")
    values = {**form_of(item), "materials": to_text("materials", materials)}
    _parsed, errors = parse_form(values, "RS-017")
    assert errors == {
        "materials": ["第 2 项材料的 condition（提供情形）：按情形提供的材料须写明提供情形（condition），例如“他人代办时提供”"]
    }
    materials[1]["condition"] = "亲属代查代打时提供"
    edited, errors = parse_form({**values, "materials": to_text("materials", materials)}, "RS-017")
    assert errors == {}
    await editor.save("RS-017", edited, "zhaolei", base_version=0, note="改提供情形")
    shown = section(services.knowledge().index.item("RS-017"), "materials", "u")
    assert "2. 授权委托书及受托人居民身份证（原件1份）（亲属代查代打时提供）" in shown
