"""Bookings from the mini-program: the form's options, create (Idempotency-Key), list (cursor), detail,
cancel and rate. The same BookingService as chat: eligibility, messages, limits and the status machine.

A resident sees the bookings they made (and, with a verified phone, those whose contact phone it is); a proxy
sees their station's. Someone else's booking is the same 404 as one that does not exist."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId

from bot.bookings.service import CANCELLABLE, NUMBER_PATTERN, OPEN_STATUSES, STATUS_LABELS, BookingError, public_view
from bot.conversation.guide import materials_to_bring
from bot.miniprogram.content import SCENE_COMMENT, ContentRejected, keep_verdict
from bot.miniprogram.subscribe import offered, resident_template_ids
from handlers.api.base import ApiError, MiniProgramHandler, Operation
from handlers.api.models import ITEM_CODE, Booking, BookingCreate, BookingForm, BookingPage, CancelRequest, RatingRequest
from handlers.api.openapi_examples import BOOKING_LINKS, EXAMPLE_BOOKING

NUMBER = f"({NUMBER_PATTERN})"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
CLOSED_STATUSES = tuple(s for s in STATUS_LABELS if s not in OPEN_STATUSES)
CURSOR_EXAMPLE = "MTc2NDc0MjQwMDAwMDo2NzRlMWYyYTNiNGM1ZDZlN2Y4YTliMGM"
STATUS_FILTER = {"open": OPEN_STATUSES, "closed": CLOSED_STATUSES, "all": tuple(STATUS_LABELS)}


class BookingHandlerBase(MiniProgramHandler):
    @property
    def service(self):
        return self.api.bookings

    async def view(self, booking: dict, with_materials: bool = False) -> dict:
        item = self.api.knowledge().index.item(booking["item_code"]) or {}
        shown = public_view(booking)
        for staff_only in ("notice_problem", "due_alert"):  # for staff, who phone when nobody could be told
            shown.pop(staff_only, None)
        out = {
            **shown,
            "station_name": self.api.stations.name_of(booking["station"]),
            "channel": "miniprogram" if booking.get("channel") == "miniprogram" else "chat",
            "can_cancel": booking["status"] in CANCELLABLE and self.actor.booked(booking),
            "can_rate": booking["status"] == "completed" and booking.get("rating") is None and self.actor.booked(booking),
            "required_materials": materials_to_bring(item),
        }
        out["materials"] = await self.api.materials.list_for(booking["number"]) if with_materials else []
        return out

    async def booking(self, number: str) -> dict:
        try:
            return await self.service.get_for(self.actor, number)
        except BookingError as exc:
            raise self.domain_error(exc) from None


class BookingFormHandler(BookingHandlerBase):
    operations = {
        "get": Operation(
            "The booking form",
            description="What the booking form asks for an item and kind, whether it is offered, the stations, the "
            "dates, and the subscribe templates to ask for (the booking's status; for home visits the visit reminder).",
            response=BookingForm,
            query={
                "item_code": ({"type": "string", "pattern": ITEM_CODE}, "e.g. MZ-007", True, "MZ-007"),
                "kind": ({"type": "string", "enum": ["proxy", "home_visit"]}, "代办 or 上门", True, "proxy"),
            },
            errors=(400, 401, 404),
        )
    }

    async def get(self) -> None:
        kind = self.query_text("kind", 20, required=True)
        if kind not in ("proxy", "home_visit"):
            raise self._bad_query("kind")
        item = self.api.knowledge().index.item(self.query_text("item_code", 20, required=True))
        if item is None:
            raise ApiError(404, "item_not_found", "没有这个事项，请从事项列表里选择。")
        form = self.api.form.describe(kind, item, self.actor)
        templates = offered(self.config.wxa_subscribe_templates, kind)
        self.respond(BookingForm, {**form, "subscribe_templates": [t["id"] for t in templates], "templates": templates})


class BookingsHandler(BookingHandlerBase):
    operations = {
        "post": Operation(
            "Book a service",
            description="Book proxy (代办) or home-visit (上门) service. The same Idempotency-Key and body give the same "
            "booking; the same key with another body 409 `idempotency_conflict`. Too many open bookings: 409 "
            "`booking_limit`. Fields are checked as the chat checks them (ID checksum, working days…).",
            body=BookingCreate,
            response=Booking,
            status=201,
            headers={"Idempotency-Key": "8-64 letters, digits, - or _; one per form submission (required)"},
            example=EXAMPLE_BOOKING,
            response_headers={"Location": ({"type": "string"}, "the new booking, /api/v1/bookings/{number}")},
            links=BOOKING_LINKS,
            errors=(400, 401, 409, 429),
        ),
        "get": Operation(
            "My bookings",
            description="The user's bookings (a proxy: the station's), newest first, a page at a time.",
            response=BookingPage,
            query={
                "status": ({"type": "string", "enum": ["open", "closed", "all"]}, "default open", False, "open"),
                "limit": ({"type": "integer", "minimum": 1, "maximum": 50}, "default 20", False, 20),
                "cursor": ({"type": "string", "maxLength": 80}, "next_cursor of the previous page", False, CURSOR_EXAMPLE),
            },
            errors=(400, 401),
        ),
    }

    async def post(self) -> None:
        key = self.request.headers.get("Idempotency-Key", "")
        if not IDEMPOTENCY_KEY.match(key):
            raise ApiError(400, "idempotency_key_required", "请求缺少编号，请刷新页面后重新提交。", field="Idempotency-Key")
        body = self.body(BookingCreate)
        data = body.model_dump(exclude_none=True)
        consent = data.pop("subscribe_templates", None) or []
        try:
            request = self.api.form.request(data, self.actor, key, wxa_openid=self.identity.openid)
            review = await self.api.content.check(
                self.identity.openid, {"name": request.name, "address": request.address}, SCENE_COMMENT
            )
            booking = await self.service.create(request)
        except (BookingError, ContentRejected) as exc:
            raise self.domain_error(exc) from None
        await keep_verdict(self.service.bookings, {"number": booking["number"]}, review)
        for template_id in set(consent) & resident_template_ids(self.config.wxa_subscribe_templates):
            await self.api.subscriptions.accept("wxa", self.identity.openid, template_id)
        self.set_header("Location", f"/api/v1/bookings/{booking['number']}")
        self.respond(Booking, await self.view(booking, with_materials=True), status=201)

    async def get(self) -> None:
        status = self.get_query_argument("status", "open")
        if status not in STATUS_FILTER:
            raise self._bad_query("status")
        limit = self.query_int("limit", 20, 1, 50)
        after = decode_cursor(self.query_text("cursor", 80))
        found, nxt = await self.service.page(self.actor, statuses=STATUS_FILTER[status], limit=limit, after=after)
        self.respond(
            BookingPage, {"bookings": [await self.view(b) for b in found], "next_cursor": encode_cursor(nxt) if nxt else None}
        )


class BookingHandler(BookingHandlerBase):
    operations = {
        "get": Operation(
            "One booking",
            description="A booking with its status history and uploaded materials.",
            response=Booking,
            errors=(401, 404),
        )
    }

    async def get(self, number: str) -> None:
        self.respond(Booking, await self.view(await self.booking(number), with_materials=True))


class CancelHandler(BookingHandlerBase):
    operations = {
        "post": Operation(
            "Cancel a booking",
            description="Cancel a booking: by the person who booked, before the work starts (else 409 "
            "`status_conflict`). The body may be `{}`.",
            body=CancelRequest,
            example={"reason": "不需要了"},
            response=Booking,
            errors=(400, 401, 403, 404, 409),
        )
    }

    async def post(self, number: str) -> None:
        body = self.body(CancelRequest)
        booking = await self.booking(number)
        try:
            review = await self.api.content.check(self.identity.openid, {"reason": body.reason or ""}, SCENE_COMMENT)
            updated = await self.service.transition(booking["number"], "cancel", self.actor, reason=body.reason or "")
            await keep_verdict(self.service.bookings, {"number": booking["number"]}, review)
        except (BookingError, ContentRejected) as exc:
            raise self.domain_error(exc) from None
        await self.api.materials.mark_closed(updated)
        self.respond(Booking, await self.view(updated, with_materials=True))


class RatingHandler(BookingHandlerBase):
    operations = {
        "post": Operation(
            "Rate a booking",
            description="Rate a completed booking on the five 好差评 levels, with an optional comment.",
            body=RatingRequest,
            example={"score": 5, "comment": "办得很快，谢谢"},
            response=Booking,
            errors=(400, 401, 403, 404, 409),
        )
    }

    async def post(self, number: str) -> None:
        body = self.body(RatingRequest)
        booking = await self.booking(number)
        try:
            review = await self.api.content.check(self.identity.openid, {"comment": body.comment or ""}, SCENE_COMMENT)
            updated = await self.service.rate(self.actor, booking["number"], body.score, body.comment or "")
            await keep_verdict(self.service.bookings, {"number": booking["number"]}, review)
        except (BookingError, ContentRejected) as exc:
            raise self.domain_error(exc) from None
        self.respond(Booking, await self.view(updated, with_materials=True))


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MS = timedelta(milliseconds=1)


def encode_cursor(position: tuple[datetime, ObjectId]) -> str:
    """The last booking of a page as an opaque cursor: its time in whole milliseconds (BSON's precision) and id."""
    at, oid = position
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return base64.urlsafe_b64encode(f"{(at - EPOCH) // MS}:{oid}".encode()).decode().rstrip("=")


def decode_cursor(raw: str) -> tuple[datetime, ObjectId] | None:
    if not raw:
        return None
    try:
        millis, oid = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode().split(":")
        return EPOCH + int(millis) * MS, ObjectId(oid)
    except (ValueError, InvalidId, UnicodeDecodeError, OverflowError):
        raise ApiError(400, "invalid_query", "翻页位置不对，请回到第一页重新加载。", field="cursor") from None
