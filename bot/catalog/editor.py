"""Editing service items in the console: a form validated field by field with the catalog's own schema
(knowledge_base.catalog.validate_item, the same check as `python -m knowledge_base validate`), every saved
version kept in `item_versions` (who, when, what changed), revert, and CSV/XLSX import with a preview and a
line-numbered error report before anything is written.

After a save the items' version counter moves: this process rebuilds its index at once, every other server
process within its refresh interval (bot/app.py KB_REFRESH_SECONDS).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pymongo import DESCENDING
from pymongo.errors import DuplicateKeyError

from bot.catalog.messages import plain
from bot.catalog.sheet import SheetError, read_cell, read_sheet
from bot.offloop import compute_off_loop
from knowledge_base import catalog

log = logging.getLogger(__name__)

IMPORT_TTL = timedelta(hours=2)
MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_SUFFIXES = (".csv", ".xlsx")


class EditError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class EditConflict(EditError):
    """Someone saved this item after the form was opened."""


def field_names() -> list[str]:
    return list(catalog.FIELDS) + sorted(catalog.OPTIONAL)


def field_label(name: str) -> str:
    return catalog.FIELDS[name][1] if name in catalog.FIELDS else name


def field_kind(name: str) -> str:
    """How the form shows a field: text, longtext, lines (one per line), json, bool or int."""
    if name in catalog.STRUCTURED:
        return "json"
    kind = catalog.FIELDS[name][0] if name in catalog.FIELDS else list
    if kind is bool:
        return "bool"
    if kind is int:
        return "int"
    if kind is list:
        return "lines"
    if kind is dict:
        return "json"
    return "longtext" if name in ("summary", "online_how", "result", "fee") else "text"


def to_text(name: str, value) -> str:
    if field_kind(name) == "json":
        return json.dumps(value if value is not None else [], ensure_ascii=False, indent=1)
    return catalog._to_cell(name, value)


def problem_field(problem: catalog.Problem) -> str:
    """materials[2].form -> materials"""
    return re.split(r"[\[.]", problem.field, maxsplit=1)[0]


def parse_form(values: dict[str, str], code: str) -> tuple[dict, dict[str, list[str]]]:
    """An item from the form's texts, and the problems by field (empty when valid)."""
    item, errors = {}, {}
    for name in field_names():
        raw = values.get(name)
        if raw is None:
            continue
        if field_kind(name) == "bool":
            value = raw in ("是", "1", "on", "true", "yes")
        else:
            try:
                value = read_cell(name, raw)  # the import's reading: the same checks, the same Chinese
            except ValueError as exc:
                errors.setdefault(name, []).append(str(exc))
                continue
        if value is not None:
            item[name] = value
    item["code"] = code
    unreadable = set(errors)
    for problem in catalog.validate_item(item, code):
        if problem_field(problem) in unreadable:
            continue  # already told why it could not be read
        errors.setdefault(problem_field(problem), []).append(plain(problem.field, problem.message))
    return item, errors


def diff(before: dict | None, after: dict) -> list[dict]:
    """Changed fields with a line diff of their text forms."""
    before = before or {}
    out = []
    for name in field_names():
        if before.get(name) == after.get(name):
            continue
        old = to_text(name, before.get(name)).splitlines() if name in before else []
        new = to_text(name, after.get(name)).splitlines() if name in after else []
        raw = list(difflib.unified_diff(old, new, lineterm="", n=1))[2:]
        # Hunk headers ("@@ -1 +1 @@") mean nothing to staff: the first goes, later ones become a gap.
        lines = [("⋯" if i else None) if line.startswith("@@") else line for i, line in enumerate(raw)]
        lines = [line for line in lines if line is not None]
        out.append({"field": name, "label": field_label(name), "lines": lines})
    return out


@dataclass
class ImportPreview:
    token: str
    filename: str
    rows: list[dict]  # code, name, action (new/update/same), changed labels
    problems: list[SheetError]  # every error in the file; when there is one, `rows` is empty

    @property
    def writable(self) -> bool:
        return not self.problems and any(r["action"] != "same" for r in self.rows)


class ItemEditor:
    def __init__(self, store, knowledge, audit, clock=lambda: datetime.now(UTC)):
        self.store = store
        self.items = store.items
        self.versions = store.item_versions
        self.imports = store.item_imports
        self.knowledge = knowledge
        self.audit = audit
        self.clock = clock

    # ---- read ----

    async def search(self, q: str = "", limit: int = 50) -> list[dict]:
        q = (q or "").strip().lower()
        found = []
        async for item in self.items.find({}, {"_id": 0, "code": 1, "name": 1, "department": 1, "aliases": 1}).sort("code", 1):
            text = " ".join([item["code"], item["name"], item.get("department", ""), *item.get("aliases", [])]).lower()
            if not q or q in text:
                found.append(item)
        return found[:limit]

    async def get(self, code: str) -> dict:
        item = await self.items.find_one({"code": code}, {"_id": 0})
        if item is None:
            raise EditError(f"没有事项 {code}。")
        return item

    async def current_version(self, code: str) -> int:
        latest = await self.versions.find_one({"code": code}, {"version": 1}, sort=[("version", DESCENDING)])
        return latest["version"] if latest else 0

    async def history(self, code: str, limit: int = 50) -> list[dict]:
        cursor = self.versions.find({"code": code}, {"item": 0}).sort("version", DESCENDING).limit(limit)
        return [v async for v in cursor]

    async def version(self, code: str, number: int) -> dict:
        found = await self.versions.find_one({"code": code, "version": number})
        if found is None:
            raise EditError(f"事项 {code} 没有第 {number} 版。")
        return found

    # ---- write ----

    async def save(
        self, code: str, item: dict, staff: str, *, base_version: int | None = None, note: str = "", publish: bool = True
    ) -> dict:
        """Store a valid item as the next version; refuses an invalid one and a stale form."""
        problems = catalog.validate_item(item, code)
        if problems:
            raise EditError("；".join(str(p) for p in problems[:5]))
        before = await self.items.find_one({"code": code}, {"_id": 0})
        current = await self.current_version(code)
        if base_version is not None and base_version != current:
            raise EditConflict(f"事项 {code} 在您打开后被别人改过（现在是第 {current} 版），请重新打开再改。")
        changes = diff(before, item)
        if before is not None and not changes:
            raise EditError("没有改动。")
        now = self.clock()
        try:
            if before is not None and current == 0:
                # The first edit keeps the seeded content as version 1, so it can be restored.
                await self.versions.insert_one(
                    {"code": code, "version": 1, "item": before, "by": "seed", "at": now, "note": "初始内容", "changes": []}
                )
                current = 1
            version = {
                "code": code,
                "version": current + 1,
                "item": item,
                "by": staff,
                "at": now,
                "note": note.strip()[:200],
                "changes": [c["field"] for c in changes],
            }
            await self.versions.insert_one(version)
        except DuplicateKeyError:
            raise EditConflict(f"事项 {code} 刚被别人保存，请重新打开再改。") from None
        await self.items.replace_one({"code": code}, dict(item), upsert=True)
        await self.audit.record(
            f"staff:{staff}",
            "edit_item",
            f"item:{code}",
            before={c["field"]: (before or {}).get(c["field"]) for c in changes},
            after={c["field"]: item.get(c["field"]) for c in changes},
            detail={"version": version["version"], "note": version["note"]},
        )
        if publish:
            await self.published()
        log.info("item %s saved as version %d by %s (%s)", code, version["version"], staff, ", ".join(version["changes"]))
        return version

    async def revert(self, code: str, number: int, staff: str) -> dict:
        old = await self.version(code, number)
        return await self.save(code, old["item"], staff, note=f"恢复到第 {number} 版")

    async def published(self) -> None:
        """Move the items' version counter (every process rebuilds) and rebuild this process's index now."""
        await self.knowledge.bump_version()
        await self.knowledge.refresh_if_changed()

    # ---- import ----

    async def preview_import(self, filename: str, data: bytes, staff: str) -> ImportPreview:
        """Check an uploaded catalog as a whole (bot.catalog.sheet); keep it for `apply_import`."""
        suffix = Path(filename or "").suffix.lower()
        if suffix not in IMPORT_SUFFIXES:
            raise EditError("请上传 .csv 或 .xlsx 文件。")
        if len(data) > MAX_IMPORT_BYTES:
            raise EditError("文件太大（最大 5 MB）。")
        name = Path(filename).stem[:60] + suffix
        # Reading a spreadsheet of hundreds of items takes a while: off the loop and its GIL (the reader is pure).
        items, problems = await compute_off_loop(self.store, read_sheet, name, data)
        rows = []
        for item in items:
            before = await self.items.find_one({"code": item["code"]}, {"_id": 0})
            changes = diff(before, item)
            action = "new" if before is None else ("update" if changes else "same")
            rows.append({"code": item["code"], "name": item["name"], "action": action, "changes": [c["label"] for c in changes]})
        token = secrets.token_urlsafe(16)
        await self.imports.insert_one(
            {"_id": token, "by": staff, "at": self.clock(), "filename": name, "items": items, "ok": not problems}
        )
        return ImportPreview(token, name, rows, problems)

    async def apply_import(self, token: str, staff: str) -> dict:
        """Write a previewed import (only one without problems): each changed item becomes a new version."""
        staged = await self.imports.find_one_and_delete({"_id": token, "by": staff})
        if staged is None or self.clock() - _aware(staged["at"]) > IMPORT_TTL:
            raise EditError("这次导入的预览已失效，请重新上传。")
        if not staged["ok"]:
            raise EditError("文件有错误，请修正后重新上传。")
        counts = {"new": 0, "updated": 0, "unchanged": 0}
        for item in staged["items"]:
            await asyncio.sleep(0)  # hundreds of items: residents' replies go in between two
            existed = await self.items.find_one({"code": item["code"]}, {"_id": 1}) is not None
            try:
                await self.save(item["code"], item, staff, note=f"导入 {staged['filename']}", publish=False)
            except EditConflict:
                raise
            except EditError:
                counts["unchanged"] += 1
                continue
            counts["updated" if existed else "new"] += 1
        await self.audit.record(f"staff:{staff}", "import_items", f"catalog:{staged['filename']}", after=counts)
        await self.published()
        return counts


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
