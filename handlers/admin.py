"""/api/v1/admin: staff actions on bookings and proxy invitations, for scripts and the CLI (`python -m bot.admin`).

Authorised by `Authorization: Bearer <BOT_ADMIN_TOKEN>`; every response is JSON. Lists are masked; a booking's
detail shows the beneficiary's full contact to the staff member named in the request, and that view is audited.
"""

from __future__ import annotations

import base64
import hmac
from datetime import datetime
from urllib.parse import urlencode

from bson import ObjectId
from bson.errors import InvalidId

from bot.bookings.invites import InviteError
from bot.bookings.scan import scene_of
from bot.bookings.service import (
    NUMBER_PATTERN,
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    Actor,
    BookingConflict,
    BookingError,
    Forbidden,
    NotFound,
    public_view,
)
from bot.staff.audit import VIA
from bot.wechat.api import WeChatAPIError
from handlers.base import APIError, APIHandler
from settings import DEV_ADMIN_TOKEN

ERROR_STATUS = {NotFound: 404, Forbidden: 403, BookingConflict: 409}
NUMBER = f"({NUMBER_PATTERN})"
MAX_PAGE = 200


class AdminHandler(APIHandler):
    """Authorised by a personal token (an admin creates it in the console for one staff account, which every
    audit row then names), or by the shared BOT_ADMIN_TOKEN, whose `staff` must name an enabled account. The
    dev default token keeps working in dev with any name; its rows say `via: dev-token`."""

    via: str | None = None
    token_account: dict | None = None

    async def prepare(self) -> None:
        expected = self.config.admin_token
        header = self.request.headers.get("Authorization", "")
        given = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        resolved = await self.settings["console"].tokens.resolve(given) if given else None
        if resolved:
            token, self.token_account = resolved
            self.via = f"token:{token['_id']}"
        elif expected and given and hmac.compare_digest(given.encode(), expected.encode()):
            dev = expected == DEV_ADMIN_TOKEN and self.config.env == "dev"
            self.via = "dev-token" if dev else "shared-token"
        elif not expected and not given:
            raise APIError(403, "admin API disabled: set BOT_ADMIN_TOKEN or use a personal token")
        else:
            raise APIError(401, "missing, wrong or revoked admin token")
        VIA.set(self.via)

    @property
    def bookings(self):
        return self.settings["bookings"]

    def text(self, body: dict, name: str, *, required: bool = False, max_len: int = 200) -> str:
        """A string field of the JSON body: absent is "", any other type is a 400 naming the field."""
        value = body.get(name)
        if value is None and not required:
            return ""
        if not isinstance(value, str):
            raise APIError(400, f"'{name}' must be a string")
        value = value.strip()
        if required and not value:
            raise APIError(400, f"'{name}' is required")
        if len(value) > max_len:
            raise APIError(400, f"'{name}' is longer than {max_len} characters")
        return value

    async def staff(self, value: str) -> Actor:
        """Who is acting: the token's own account, or (shared token) the enabled account `staff` names."""
        if self.token_account is not None:  # the token decides who acts, whatever `staff` says
            return Actor("staff", self.token_account["username"])
        if not value:
            raise APIError(400, "'staff' (who is acting) is required")
        if self.via == "dev-token":
            return Actor("staff", value[:40])
        account = await self.settings["console"].accounts.get(value)
        if account is None or account.get("disabled"):
            raise APIError(403, "'staff' must name an enabled staff account")
        return Actor("staff", account["username"])

    def fail(self, exc: BookingError) -> None:
        status = next((code for cls, code in ERROR_STATUS.items() if isinstance(exc, cls)), 400)
        raise APIError(status, exc.message)


def encode_cursor(position: tuple[datetime, ObjectId] | None) -> str | None:
    if position is None:
        return None
    at, oid = position
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{oid}".encode()).decode()


def decode_cursor(raw: str) -> tuple[datetime, ObjectId]:
    try:
        at, _, oid = base64.urlsafe_b64decode(raw.encode()).decode().partition("|")
        return datetime.fromisoformat(at), ObjectId(oid)
    except (ValueError, UnicodeDecodeError, InvalidId, TypeError):
        raise APIError(400, "'cursor' is not one this API returned") from None


class BookingListHandler(AdminHandler):
    """GET ?status=&kind=&station=&item=&number=&limit=&cursor= : a page of bookings, newest first, masked."""

    async def get(self) -> None:
        statuses = self.get_arguments("status") or list(OPEN_STATUSES)
        unknown = [s for s in statuses if s not in STATUS_LABELS]
        if unknown:
            raise APIError(400, f"unknown status {unknown[0]!r}; one of {sorted(STATUS_LABELS)}")
        try:
            limit = int(self.get_argument("limit", "50"))
        except ValueError:
            raise APIError(400, "'limit' must be a whole number") from None
        if not 1 <= limit <= MAX_PAGE:
            raise APIError(400, f"'limit' must be between 1 and {MAX_PAGE}")
        actor = Actor("staff", "api")
        number = self.get_argument("number", "").strip()
        if number:  # lookup by number
            try:
                found = [await self.bookings.get_for(actor, number)]
            except NotFound:
                found = []
            self.write_json({"bookings": [public_view(b) for b in found], "next_cursor": None})
            return
        cursor = self.get_argument("cursor", "")
        found, position = await self.bookings.page(
            actor,
            statuses=statuses,
            kind=self.get_argument("kind", "") or None,
            station=self.get_argument("station", "") or None,
            item_code=self.get_argument("item", "") or None,
            limit=limit,
            after=decode_cursor(cursor) if cursor else None,
        )
        self.write_json({"bookings": [public_view(b) for b in found], "next_cursor": encode_cursor(position)})


class BookingDetailHandler(AdminHandler):
    """GET ?staff=NAME : one booking with the beneficiary's full phone, address and ID, audited."""

    async def get(self, number: str) -> None:
        staff = await self.staff(self.get_argument("staff", "").strip())
        try:
            booking = await self.bookings.get_for(staff, number)
        except BookingError as exc:
            self.fail(exc)
        view = public_view(booking)
        view["contact"] = self.bookings.reveal(booking)
        await self.settings["audit"].record(
            f"staff:{staff.id}", "view_contact", f"booking:{booking['number']}", detail={"via": "admin_api"}
        )
        self.write_json(view)


class BookingActionHandler(AdminHandler):
    async def post(self, number: str, action: str) -> None:
        if action not in TRANSITIONS:
            raise APIError(404, f"unknown action {action!r}; one of {sorted(TRANSITIONS)}")
        body = self.get_json_body()
        staff = await self.staff(self.text(body, "staff", max_len=40))
        reason, assignee = self.text(body, "reason"), self.text(body, "assignee", max_len=40)
        try:
            booking = await self.bookings.transition(number, action, staff, reason=reason, assignee=assignee)
        except BookingError as exc:
            self.fail(exc)
        await self.settings["audit"].record(
            f"staff:{staff.id}", action, f"booking:{booking['number']}", after={"status": booking["status"], "reason": reason}
        )
        self.write_json(public_view(booking))


class BookingMaterialHandler(AdminHandler):
    """GET ?staff=NAME : a material the resident uploaded from the mini-program (the read is audited)."""

    async def get(self, number: str, file_id: str) -> None:
        from bot.miniprogram.materials import MaterialError

        staff = await self.staff(self.get_argument("staff", "").strip())
        try:
            booking = await self.bookings.get_for(staff, number)
            meta, data = await self.settings["miniprogram"].materials.read(file_id, booking, f"staff:{staff.id}")
        except BookingError as exc:
            self.fail(exc)
        except MaterialError as exc:
            raise APIError(exc.status, exc.message) from None
        self.send_file(data, meta["content_type"], meta["filename"])


class InviteHandler(AdminHandler):
    async def post(self) -> None:
        body = self.get_json_body()
        staff = await self.staff(self.text(body, "staff", max_len=40))
        try:
            invite = await self.settings["invites"].create(
                self.text(body, "station"), self.text(body, "name", max_len=20), staff.id
            )
        except InviteError as exc:
            raise APIError(400, str(exc)) from None
        await self.settings["audit"].record(f"staff:{staff.id}", "invite_proxy", f"station:{invite['station']}")
        self.write_json(invite, status=201)


class StationQrHandler(AdminHandler):
    """A village station's permanent QR code (qrcode/create, scene `station:<code>`): scanning it greets the
    resident with the station and presets it in their bookings (bot/bookings/scan.py)."""

    async def post(self, code: str) -> None:
        body = self.get_json_body()
        staff = await self.staff(self.text(body, "staff", max_len=40))
        station = self.bookings.stations.get(code)
        if station is None:
            raise APIError(404, f"no station {code}")
        try:
            made = await self.settings["wechat_api"].create_qrcode(scene_of(code))
        except WeChatAPIError as exc:
            raise APIError(502, f"WeChat refused qrcode/create: {exc.errcode} {exc.errmsg}") from None
        await self.settings["audit"].record(f"staff:{staff.id}", "station_qr", f"station:{code}")
        ticket = made["ticket"]
        self.write_json(
            {
                "station": code,
                "name": station["name"],
                "scene": scene_of(code),
                "ticket": ticket,
                "url": made.get("url"),
                "image": "https://mp.weixin.qq.com/cgi-bin/showqrcode?" + urlencode({"ticket": ticket}),
            },
            status=201,
        )


default_handlers = [
    (r"/api/v1/admin/bookings", BookingListHandler),
    (rf"/api/v1/admin/bookings/{NUMBER}", BookingDetailHandler),
    (rf"/api/v1/admin/bookings/{NUMBER}/materials/([A-Za-z0-9_-]{{8,40}})", BookingMaterialHandler),
    (rf"/api/v1/admin/bookings/{NUMBER}/([a-z_]+)", BookingActionHandler),
    (r"/api/v1/admin/invites", InviteHandler),
    (r"/api/v1/admin/stations/([A-Z]{2,4}-[0-9]{3}(?:-[0-9]{2})?)/qrcode", StationQrHandler),
]
