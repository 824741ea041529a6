"""/api/v1/admin: staff actions on bookings and proxy invitations, until the staff console replaces them.

Authorised by `Authorization: Bearer <BOT_ADMIN_TOKEN>`; every response is JSON.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from bot.bookings.service import (
    OPEN_STATUSES,
    TRANSITIONS,
    Actor,
    BookingConflict,
    BookingError,
    Forbidden,
    NotFound,
    public_view,
)
from handlers.base import APIError, APIHandler

ERROR_STATUS = {NotFound: 404, Forbidden: 403, BookingConflict: 409}


class AdminHandler(APIHandler):
    def prepare(self) -> None:
        expected = self.config.admin_token
        header = self.request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        if not expected:
            raise APIError(403, "admin API disabled: set BOT_ADMIN_TOKEN")
        if not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise APIError(401, "missing or wrong admin token")

    @property
    def bookings(self):
        return self.settings["bookings"]

    def staff(self, body: dict) -> Actor:
        name = str(body.get("staff") or "").strip()
        if not name:
            raise APIError(400, "'staff' (who is acting) is required")
        return Actor("staff", name[:40])

    def fail(self, exc: BookingError) -> None:
        status = next((code for cls, code in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
        raise APIError(status, exc.message)


class BookingListHandler(AdminHandler):
    async def get(self) -> None:
        statuses = self.get_arguments("status") or list(OPEN_STATUSES)
        found = await self.bookings.list_for(Actor("staff", "api"), statuses, limit=100)
        self.write_json({"bookings": [public_view(b) for b in found]})


class BookingActionHandler(AdminHandler):
    async def post(self, number: str, action: str) -> None:
        if action not in TRANSITIONS:
            raise APIError(404, f"unknown action {action!r}; one of {sorted(TRANSITIONS)}")
        body = self.get_json_body()
        try:
            booking = await self.bookings.transition(
                number, action, self.staff(body), reason=str(body.get("reason", "")), assignee=str(body.get("assignee", ""))
            )
        except BookingError as exc:
            self.fail(exc)
        self.write_json(public_view(booking))


class InviteHandler(AdminHandler):
    async def post(self) -> None:
        body = self.get_json_body()
        staff = self.staff(body)
        station = self.bookings.stations.get(str(body.get("station", "")))
        if station is None:
            raise APIError(400, "unknown station code")
        for _ in range(5):
            code = f"YQ{secrets.randbelow(10**6):06d}"
            try:
                await self.store.invites.insert_one(
                    {
                        "code": code,
                        "station": station["code"],
                        "name": str(body.get("name", ""))[:20],
                        "created_by": staff.id,
                        "created_at": datetime.now(UTC),
                        "used_by": None,
                    }
                )
                break
            except DuplicateKeyError:
                continue
        else:
            raise APIError(503, "could not allocate an invite code, try again")
        self.write_json({"code": code, "station": station["code"], "station_name": station["name"]}, status=201)


default_handlers = [
    (r"/api/v1/admin/bookings", BookingListHandler),
    (r"/api/v1/admin/bookings/([A-Za-z]{2}\d{12})/([a-z_]+)", BookingActionHandler),
    (r"/api/v1/admin/invites", InviteHandler),
]
