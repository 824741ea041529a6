"""Shared parts of the back-office pages (bookings desk, items, report, 96128): services and downloads."""

from __future__ import annotations

import contextlib
from urllib.parse import urlencode

from bot.offloop import Busy
from handlers.console.base import ConsoleError, ConsoleHandler

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class BackOfficeHandler(ConsoleHandler):
    @property
    def backoffice(self):
        return self.settings["services"].backoffice

    @property
    def stations(self):
        return self.backoffice.desk.stations

    def get_template_namespace(self) -> dict:
        ns = super().get_template_namespace()
        ns["url_query"] = lambda args: urlencode({k: v for k, v in args.items() if v})
        from bot.catalog.editor import field_label

        ns.update(field_label=field_label)
        return ns

    def arg(self, name: str, default: str = "") -> str:
        return (self.get_argument(name, default) or "").strip()

    @contextlib.asynccontextmanager
    async def long_work(self):
        """One export or import at a time per staff member; beyond that HTTP 429 with the reason."""
        limit = self.backoffice.long_work
        try:
            limit.acquire(self.username)
        except Busy as exc:
            raise ConsoleError(429, exc.message) from None
        try:
            yield
        finally:
            limit.release(self.username)

    def download(self, filename: str, data: bytes, fmt: str) -> None:
        self.send_file(data, XLSX if fmt == "xlsx" else "text/csv; charset=utf-8", filename)

    async def item_choices(self) -> list[dict]:
        return [i async for i in self.store.items.find({}, {"_id": 0, "code": 1, "name": 1, "department": 1}).sort("code", 1)]

    async def departments(self) -> list[str]:
        return sorted({i.get("department") for i in await self.item_choices() if i.get("department")})

    def station_choices(self) -> list[dict]:
        return sorted(self.stations._stations, key=lambda s: s["code"])
