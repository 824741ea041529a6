"""The bookings desk: the filtered list, one booking (history, deadline, actions), exports, agents' stations."""

from __future__ import annotations

from datetime import datetime

from bot.bookings.desk import DeskFilter
from bot.bookings.service import (
    ACTION_LABELS,
    KIND_LABELS,
    NUMBER_PATTERN,
    STATUS_LABELS,
    BookingConflict,
    BookingError,
    Forbidden,
    NotFound,
)
from bot.miniprogram.content import REVIEW_LABELS
from bot.offloop import compute_off_loop, off_loop
from bot.report import export
from handlers.console.backoffice import BackOfficeHandler
from handlers.console.base import ConsoleError

DONE = {
    "accept": "已受理，已通知居民。",
    "assign": "已派单，已通知居民。",
    "start": "已开始办理，已通知居民。",
    "complete": "已办结，已通知居民并请居民评价。",
    "reject": "已退回，已把原因告诉居民。",
    "reassign": "已改派。",
}


def refuse(exc: BookingError) -> ConsoleError:
    status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 409
    return ConsoleError(status, exc.message)


class BookingsMixin:
    def desk_filter(self) -> DeskFilter:
        return DeskFilter.from_args(lambda name: self.get_argument(name, "") or "")


class BookingListHandler(BookingsMixin, BackOfficeHandler):
    async def get(self) -> None:
        desk = self.backoffice.desk
        f = self.desk_filter()
        scope = desk.scope(self.account)
        page = await desk.page(f, scope, after=self.arg("after"))
        self.render(
            "bookings.html",
            f=f,
            page=page,
            total=await desk.count(f, scope),
            scope=scope,
            statuses=STATUS_LABELS,
            kinds=KIND_LABELS,
            stations=[s for s in self.station_choices() if scope.allows(s["code"])],
            items=await self.item_choices(),
            departments=await self.departments(),
            args=f.args(),
        )


class BookingExportHandler(BookingsMixin, BackOfficeHandler):
    async def get(self, fmt: str) -> None:
        desk = self.backoffice.desk
        f = self.desk_filter()
        reveal = self.arg("full") == "1"
        if reveal and not self.is_role("supervisor"):
            raise ConsoleError(403, "只有班长可以导出完整联系方式。")
        scope = desk.scope(self.account)
        write = export.bookings_xlsx if fmt == "xlsx" else export.bookings_csv

        async def build() -> tuple[int, bytes]:
            rows = await desk.export_rows(f, scope, reveal=reveal)
            return len(rows), write(rows)

        # Up to MAX_EXPORT bookings read and a spreadsheet written: on the embedded store both in a forked
        # snapshot (bot/offloop.py), so neither the reads nor the writing holds the server's event loop or GIL.
        async with self.long_work():
            if getattr(self.store, "embedded", False):
                count, data = await off_loop(self.store, build)
            else:
                rows = await desk.export_rows(f, scope, reveal=reveal)
                count, data = len(rows), await compute_off_loop(self.store, write, rows)
        await self.audit.record(
            self.actor,
            "export_bookings",
            "bookings",
            detail={"filter": f.args(), "rows": count, "format": fmt, "full_contact": reveal},
        )
        stamp = datetime.now().strftime("%Y%m%d-%H%M")
        self.download(f"预约-{stamp}.{fmt}", data, fmt)


# What the booking page's 操作记录 says for each audited action.
AUDIT_LABELS = {
    **ACTION_LABELS,
    "reassign": "改派",
    "view_contact": "查看了完整联系方式",
    "note": "添加备注",
    "export_bookings": "导出",
    "follow_up": "回访",
}


class BookingHandler(BackOfficeHandler):
    async def page(self, number: str, *, error: str | None = None, contact: dict | None = None) -> None:
        desk = self.backoffice.desk
        scope = desk.scope(self.account)
        try:
            booking = await desk.get(number, scope)
        except BookingError as exc:
            raise refuse(exc) from None
        audit = await self.audit.recent(target=f"booking:{booking['number']}", limit=30)
        names = await desk.people(booking, [e["actor"] for e in audit])
        self.render(
            "booking.html",
            b=booking,
            row=desk.row(booking),
            history=desk.history(booking, names),
            names=names,
            booker=names.get(f"{booking.get('booked_by_kind')}:{booking.get('booked_by')}", ""),
            audit_labels=AUDIT_LABELS,
            actions=desk.actions(booking, scope),
            assignees=await desk.assignees(booking),
            error=error,
            done=DONE.get(self.arg("done")),
            contact=contact,
            station_name=self.stations.name_of(booking.get("station")),
            item=await self.store.items.find_one({"code": booking["item_code"]}, {"department": 1, "name": 1}),
            audit=audit,
            review_labels=REVIEW_LABELS,
        )

    async def get(self, number: str) -> None:
        await self.page(number)

    async def post(self, number: str) -> None:
        desk = self.backoffice.desk
        action = self.get_body_argument("action", "")
        if action == "contact":  # the full phone, ID and address, for a call or a visit: audited
            try:
                booking = await desk.get(number, desk.scope(self.account))
            except BookingError as exc:  # not in this agent's stations: the same 404 as a missing one
                raise refuse(exc) from None
            await self.audit.record(self.actor, "view_contact", f"booking:{booking['number']}")
            await self.page(number, contact=self.backoffice.desk.service.reveal(booking))
            return
        try:
            updated = await desk.act(
                number,
                action,
                self.account,
                note=self.get_body_argument("note", ""),
                reason=self.get_body_argument("reason", ""),
                assignee=self.get_body_argument("assignee", ""),
            )
        except (BookingConflict, Forbidden, NotFound) as exc:
            self.set_status(409 if isinstance(exc, BookingConflict) else 403 if isinstance(exc, Forbidden) else 404)
            await self.page(number, error=exc.message)
            return
        except BookingError as exc:
            self.set_status(400)
            await self.page(number, error=exc.message)
            return
        self.done({"status": updated["status"]}, back=f"/console/bookings/{updated['number']}?done={action}")


class ScopesHandler(BackOfficeHandler):
    """Supervisors say which stations each agent works."""

    need = "supervisor"

    async def get(self) -> None:
        agents = [a async for a in self.store.db["staff"].find({"role": "agent"}, {"password_hash": 0}).sort("username", 1)]
        self.render(
            "desk_scopes.html", agents=agents, stations=self.station_choices(), see_all=self.backoffice.desk.agents_see_all
        )

    async def post(self) -> None:
        username = self.get_body_argument("username", "")
        try:
            await self.backoffice.desk.set_stations(username, self.get_body_arguments("stations"), by=self.username)
        except BookingError as exc:
            raise refuse(exc) from None
        self.done(back="/console/bookings/scopes")


default_handlers = [
    (r"/console/bookings", BookingListHandler),
    (r"/console/bookings/export\.(csv|xlsx)", BookingExportHandler),
    (r"/console/bookings/scopes", ScopesHandler),
    (rf"/console/bookings/({NUMBER_PATTERN})", BookingHandler),
]
