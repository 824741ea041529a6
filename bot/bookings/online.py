"""A booking submitted in one go (the mini-program's form), checked field by field with the chat form's rules
and messages (bot/bookings/fields.py, bot/privacy.py, BookingService), so chat and mini-program never disagree."""

from __future__ import annotations

import hashlib
import json
from datetime import date

from bot.bookings.fields import RELATIONS, FieldInvalid, clean_address, clean_name
from bot.bookings.service import KIND_LABELS, Actor, BookingError, BookingRequest, BookingService, NotEligible
from bot.bookings.stations import StationDirectory
from bot.privacy import InvalidIDNumber, parse_id_number, parse_mobile


class FieldProblem(BookingError):
    """One field of the form is wrong; `field` names it for the mini-program to highlight."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def request_hash(body: dict) -> str:
    """The same form, whatever the key order: what an Idempotency-Key is compared against."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class OnlineBookingForm:
    def __init__(self, service: BookingService, stations: StationDirectory, index_provider):
        self.service = service
        self.stations = stations
        self._index = index_provider

    def describe(self, kind: str, item: dict, actor: Actor) -> dict:
        """What the form asks for this item and kind, and whether it can be booked at all."""
        try:
            self.service.check_offered(kind, item)
            refusal = None
        except NotEligible as exc:
            refusal = exc.message
        today = self.service.today()
        return {
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "item": {"code": item["code"], "name": item["name"]},
            "offered": refusal is None,
            "refusal": refusal,
            "needs_address": kind == "home_visit",
            "needs_station": actor.kind != "proxy",
            "relations": ["本人", *RELATIONS] if actor.kind != "proxy" else ["居民", *RELATIONS],
            "home_visit_min_age": self.service.rules["home_visit"]["min_age"] if kind == "home_visit" else None,
            "qualifications": [{"key": r["key"], "label": r["label"]} for r in self.service.declared_reasons()]
            if kind == "home_visit"
            else [],
            "stations": [
                {"code": s["code"], "name": s["name"], "county": s.get("county", "")} for s in self.stations.townships()
            ],
            "earliest_date": self.service.calendar.next_workday(today).isoformat(),
            "max_days_ahead": self.service.rules["max_days_ahead"],
        }

    def request(self, body: dict, actor: Actor, key: str, wxa_openid: str | None = None) -> BookingRequest:
        """A BookingRequest from the form, or FieldProblem naming the first wrong field."""
        kind = body.get("kind")
        if kind not in KIND_LABELS:
            raise FieldProblem("kind", "请选择代办服务或上门服务。")
        item = self._index().index.item(str(body.get("item_code") or ""))
        if item is None:
            raise FieldProblem("item_code", "没有找到这个事项，请从事项列表里选择。")
        try:
            self.service.check_offered(kind, item)
            name = clean_name(body.get("name", ""))
        except NotEligible as exc:
            raise FieldProblem("kind", exc.message) from None
        except FieldInvalid as exc:
            raise FieldProblem("name", exc.message) from None
        try:
            card = parse_id_number(str(body.get("id_number", "")), self.service.today())
        except InvalidIDNumber as exc:
            raise FieldProblem("id_number", str(exc)) from None
        try:
            phone = parse_mobile(str(body.get("phone", "")))
        except ValueError as exc:
            raise FieldProblem("phone", str(exc)) from None
        address = ""
        if kind == "home_visit":
            try:
                address = clean_address(body.get("address", ""))
            except FieldInvalid as exc:
                raise FieldProblem("address", exc.message) from None
        return BookingRequest(
            kind=kind,
            item=item,
            booked_by=actor,
            name=name,
            id_card=card,
            phone=phone,
            preferred_date=self._date(body),
            station=self._station(body, actor),
            relation=self._relation(body, actor),
            address=address,
            qualification=self._qualification(body, kind, card, item),
            request_key=f"api:{actor.id}:{key}",
            request_hash=request_hash(body),
            channel="miniprogram",
            wxa_openid=wxa_openid,
        )

    def _relation(self, body: dict, actor: Actor) -> str:
        default = "居民" if actor.kind == "proxy" else "本人"
        relation = body.get("relation") or default
        if relation not in (default, *RELATIONS):
            raise FieldProblem("relation", f"请选择与办事人的关系：{'、'.join([default, *RELATIONS])}。")
        return relation

    def _qualification(self, body: dict, kind: str, card, item: dict) -> str:
        if kind != "home_visit":
            return ""
        if self.service.home_visit_by_age(card):
            return "age"
        declared = body.get("qualification")
        if declared in {r["key"] for r in self.service.declared_reasons()}:
            return declared
        raise FieldProblem("qualification", self.service.not_qualified_message(item))

    def _station(self, body: dict, actor: Actor) -> str:
        if actor.kind == "proxy":
            return actor.station
        code = body.get("station")
        if not any(s["code"] == code for s in self.stations.townships()):
            raise FieldProblem("station", "请选择办理的乡镇（街道）为民服务中心。")
        return code

    def _date(self, body: dict) -> date:
        try:
            day = date.fromisoformat(str(body.get("preferred_date", "")))
        except ValueError:
            raise FieldProblem("preferred_date", "请选择希望办理的日期。") from None
        problem = self.service.check_date(day)
        if problem:
            raise FieldProblem("preferred_date", problem)
        return day
