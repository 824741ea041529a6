"""Knowledge-base editing: search items, edit one field by field, its version history with diffs and
revert, and catalog import (CSV/XLSX) with a preview and a line-numbered error report."""

from __future__ import annotations

from bot.catalog.editor import (
    EditConflict,
    EditError,
    diff,
    field_kind,
    field_label,
    field_names,
    parse_form,
    to_text,
)
from handlers.console.backoffice import BackOfficeHandler
from handlers.console.base import ConsoleError


class ItemsHandler(BackOfficeHandler):
    need = "supervisor"

    async def get(self) -> None:
        q = self.arg("q")
        self.render("items.html", q=q, items=await self.backoffice.editor.search(q, limit=200))


class ItemHandler(BackOfficeHandler):
    need = "supervisor"

    async def form(self, code: str, values: dict, *, errors=None, error=None, base_version=None, saved=None) -> None:
        editor = self.backoffice.editor
        self.render(
            "item_edit.html",
            code=code,
            fields=[(n, field_label(n), field_kind(n)) for n in field_names()],
            values=values,
            errors=errors or {},
            error=error,
            base_version=base_version if base_version is not None else await editor.current_version(code),
            saved=saved,
        )

    async def get(self, code: str) -> None:
        try:
            item = await self.backoffice.editor.get(code)
        except EditError as exc:
            raise ConsoleError(404, exc.message) from None
        saved = self.arg("saved")
        await self.form(code, {n: to_text(n, item.get(n)) for n in field_names() if n in item}, saved=saved)

    async def post(self, code: str) -> None:
        editor = self.backoffice.editor
        try:
            await editor.get(code)  # new items come by import, not by typing a code into the address bar
        except EditError as exc:
            raise ConsoleError(404, exc.message) from None
        values = {n: self.get_body_argument(n, "") for n in field_names()}
        for name in field_names():  # an unchecked box sends nothing
            if field_kind(name) == "bool":
                values[name] = "是" if self.get_body_argument(name, "") == "是" else "否"
        base = int(self.get_body_argument("base_version", "0") or 0)
        item, errors = parse_form(values, code)
        if errors:
            self.set_status(400)
            names = "、".join(field_label(n) for n in errors)
            await self.form(
                code, values, errors=errors, error=f"有 {len(errors)} 处需要修改（{names}），见标红的字段。", base_version=base
            )
            return
        try:
            version = await editor.save(code, item, self.username, base_version=base, note=self.get_body_argument("note", ""))
        except EditConflict as exc:
            self.set_status(409)
            await self.form(code, values, error=exc.message, base_version=base)
            return
        except EditError as exc:
            self.set_status(400)
            await self.form(code, values, error=exc.message, base_version=base)
            return
        self.done({"version": version["version"]}, back=f"/console/items/{code}?saved={version['version']}")


class ItemHistoryHandler(BackOfficeHandler):
    need = "supervisor"

    async def get(self, code: str) -> None:
        editor = self.backoffice.editor
        versions = await editor.history(code)
        diffs = {}
        for newer, older in zip(versions, versions[1:] + [None]):
            a = (await editor.version(code, older["version"]))["item"] if older else None
            b = (await editor.version(code, newer["version"]))["item"]
            diffs[newer["version"]] = diff(a, b) if older else []
        self.render("item_history.html", code=code, versions=versions, diffs=diffs, item=await editor.get(code))

    async def post(self, code: str) -> None:
        try:
            version = await self.backoffice.editor.revert(code, int(self.get_body_argument("version", "0")), self.username)
        except EditError as exc:
            raise ConsoleError(409, exc.message) from None
        self.done({"version": version["version"]}, back=f"/console/items/{code}/history")


class ImportHandler(BackOfficeHandler):
    need = "supervisor"

    async def get(self) -> None:
        self.render("item_import.html", preview=None, error=None, applied=None)

    async def post(self) -> None:
        editor = self.backoffice.editor
        token = self.get_body_argument("token", "")
        if token:
            try:
                async with self.long_work():
                    counts = await editor.apply_import(token, self.username)
            except EditError as exc:
                self.set_status(409)
                self.render("item_import.html", preview=None, error=exc.message, applied=None)
                return
            self.render("item_import.html", preview=None, error=None, applied=counts)
            return
        upload = (self.request.files.get("file") or [None])[0]
        if upload is None:
            self.set_status(400)
            self.render("item_import.html", preview=None, error="请选择要导入的 CSV 或 Excel 文件。", applied=None)
            return
        try:
            async with self.long_work():
                preview = await editor.preview_import(upload["filename"], upload["body"], self.username)
        except EditError as exc:
            self.set_status(400)
            self.render("item_import.html", preview=None, error=exc.message, applied=None)
            return
        await self.audit.record(
            self.actor,
            "preview_import",
            f"catalog:{preview.filename}",
            detail={"rows": len(preview.rows), "problems": len(preview.problems)},
        )
        self.render("item_import.html", preview=preview, error=None, applied=None)


default_handlers = [
    (r"/console/items", ItemsHandler),
    (r"/console/items/import", ImportHandler),
    (r"/console/items/([A-Za-z0-9_-]{1,40})", ItemHandler),
    (r"/console/items/([A-Za-z0-9_-]{1,40})/history", ItemHistoryHandler),
]
