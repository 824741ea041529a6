"""The report's MongoDB aggregation pipelines, as plain data so benchmarks can `explain` them.

Each pipeline starts with a `$match` on one indexed time field (see bot/store.py INDEXES), so the database
reads only the period's documents; the rest is `$group`, `$facet` and `$bucket` over those. Only stages
and operators that both MongoDB 6 and the embedded mongomock store implement are used: no `$percentile`
(MongoDB 7), no date arithmetic with `$add` and no `timezone` in `$dateToString` (mongomock). Months are
cut in the mainland's time zone with `$bucket` on UTC boundaries instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.ratings import COMPLAINT_AT_OR_BELOW, LEVELS, SATISFIED
from bot.report.periods import Period
from bot.wechat.events import RESIDENT_TYPES

OPEN_STATUSES = ["submitted", "accepted", "assigned", "in_progress"]  # bot.bookings.service.OPEN_STATUSES
OPEN_CHATS = ["waiting", "serving"]  # bot.handoff.queue.OPEN

CHANNEL_LABELS = {"chat": "微信对话", "proxy": "代办员代办", "home_visit": "上门服务", "miniprogram": "小程序"}
# A booking's channel: an explicit `channel` field (the mini-program sets one), else who booked and how.
CHANNEL = {
    "$ifNull": [
        "$channel",
        {
            "$switch": {
                "branches": [
                    {"case": {"$eq": ["$booked_by_kind", "proxy"]}, "then": "proxy"},
                    {"case": {"$eq": ["$kind", "home_visit"]}, "then": "home_visit"},
                ],
                "default": "chat",
            }
        },
    ]
}
# Booking figures are broken down by these; departments are rolled up from items (an item has one department).
DIMENSIONS = {"total": None, "item": "$item_code", "station": "$station", "channel": CHANNEL}


def count_if(condition) -> dict:
    return {"$sum": {"$cond": [condition, 1, 0]}}


def is_null(path: str) -> dict:
    """True when the field is null or missing (a bare `$eq: [path, null]` is false for a missing field)."""
    return {"$eq": [{"$ifNull": [path, None]}, None]}


def is_set(path: str) -> dict:
    return {"$ne": [{"$ifNull": [path, None]}, None]}


def level_counts(path: str) -> dict:
    return {f"s{score}": count_if({"$eq": [path, score]}) for score in LEVELS}


def rating_fields(path: str) -> dict:
    return {
        "rated": {"$sum": 1},
        "satisfied": count_if({"$in": [path, list(SATISFIED)]}),
        "complaints": count_if({"$lte": [path, COMPLAINT_AT_OR_BELOW]}),
        **level_counts(path),
    }


@dataclass(frozen=True)
class Filters:
    """Narrow the booking figures (and the hotline's by item). Empty means the whole centre."""

    item_codes: tuple[str, ...] = ()  # one item, or every item of a department
    station: str = ""
    channel: str = ""

    def match(self) -> dict:
        query: dict = {}
        if self.item_codes:
            query["item_code"] = self.item_codes[0] if len(self.item_codes) == 1 else {"$in": list(self.item_codes)}
        if self.station:
            query["station"] = self.station
        return query

    @property
    def active(self) -> bool:
        return bool(self.item_codes or self.station or self.channel)


def _bookings(time_field: str, period: Period, filters: Filters) -> list[dict]:
    stages: list[dict] = [{"$match": {time_field: period.bounds(), **filters.match()}}]
    if filters.channel:
        stages += [{"$addFields": {"channel_of": CHANNEL}}, {"$match": {"channel_of": filters.channel}}]
    return stages


def _facet(fields: dict) -> dict:
    """The same counts in total and by item, station and channel (a month's are its own report's)."""
    return {"$facet": {name: [{"$group": {"_id": key, **fields}}] for name, key in DIMENSIONS.items()}}


def bookings_received(period: Period, filters: Filters, today: str) -> list[dict]:
    """接件 by created_at, with what is still open and overdue (`today` is the mainland day, ISO)."""
    is_open = {"$in": ["$status", OPEN_STATUSES]}
    fields = {
        "received": {"$sum": 1},
        "open": count_if(is_open),
        "overdue_open": count_if({"$and": [is_open, {"$lt": ["$due_date", today]}]}),
        "cancelled": count_if({"$eq": ["$status", "cancelled"]}),
        "rejected": count_if({"$eq": ["$status", "rejected"]}),
    }
    return _bookings("created_at", period, filters) + [_facet(fields)]


def bookings_completed(period: Period, filters: Filters) -> list[dict]:
    """办结 by completed_at, and how many of them on or before the due date."""
    fields = {"completed": {"$sum": 1}, "on_time": count_if({"$eq": ["$on_time", True]})}
    stages = _bookings("completed_at", period, filters)
    stages[0]["$match"]["status"] = "completed"
    return stages + [_facet(fields)]


def bookings_rated(period: Period, filters: Filters) -> list[dict]:
    """Ratings of bookings given in the period."""
    return _bookings("rating.at", period, filters) + [_facet(rating_fields("$rating.score"))]


def escalations_queued(period: Period) -> list[dict]:
    """Transfers to staff (转人工) queued in the period: answered, answered in time, still pending, by reason."""
    unanswered = is_null("$first_response_at")
    return [
        {"$match": {"created_at": period.bounds()}},
        {
            "$facet": {
                "total": [
                    {
                        "$group": {
                            "_id": None,
                            "transfers": {"$sum": 1},
                            "answered": count_if(is_set("$first_response_at")),
                            "in_time": count_if({"$eq": ["$answered_in_time", True]}),
                            "pending": count_if({"$and": [{"$in": ["$status", OPEN_CHATS]}, unanswered]}),
                        }
                    }
                ],
                "by_reason": [{"$group": {"_id": "$reason", "n": {"$sum": 1}}}],
                "response_seconds": [
                    {"$match": {"first_response_seconds": {"$ne": None}}},
                    {"$group": {"_id": None, "seconds": {"$push": "$first_response_seconds"}}},
                ],
            }
        },
    ]


def escalations_rated(period: Period) -> list[dict]:
    return [{"$match": {"rating.at": period.bounds()}}, {"$group": {"_id": None, **rating_fields("$rating.score")}}]


def messages_inbound(period: Period) -> list[dict]:
    """Messages residents sent (what they wrote, never events: follows, menu clicks, location reports), by
    type, and how many distinct residents sent them."""
    return [
        {"$match": {"direction": "in", "created_at": period.bounds(), "type": {"$in": sorted(RESIDENT_TYPES)}}},
        {
            "$facet": {
                "by_type": [{"$group": {"_id": "$type", "n": {"$sum": 1}}}],
                "residents": [{"$group": {"_id": "$openid"}}, {"$count": "n"}],
            }
        },
    ]


def bot_replies(period: Period, fallbacks: list[str]) -> list[dict]:
    """The bot's replies to residents' messages (`in_reply_to` a "msg:" key, not an event): answered, could not
    answer, silent (the chat was with staff, so the message went to the agent)."""
    return [
        {
            "$match": {
                "direction": "out",
                "created_at": period.bounds(),
                "in_reply_to": {"$regex": "^msg:"},
                "answered_by": {"$in": ["passive", "customer_service", "undelivered"]},
            }
        },
        {
            "$group": {
                "_id": None,
                "replies": {"$sum": 1},
                "unanswered": count_if({"$in": ["$content", fallbacks]}),
                "silent": count_if({"$in": [{"$ifNull": ["$content", ""]}, [""]]}),
            }
        },
    ]


def hotline_calls(period: Period, item_codes: tuple[str, ...] = ()) -> list[dict]:
    """The 96128 line's calls as staff logged them."""
    match: dict = {"at": period.bounds()}
    if item_codes:
        match["item_code"] = {"$in": list(item_codes)}
    return [
        {"$match": match},
        {
            "$facet": {
                "total": [
                    {
                        "$group": {
                            "_id": None,
                            "calls": {"$sum": 1},
                            "answered": count_if({"$eq": ["$outcome", "answered"]}),
                            "transferred": count_if({"$eq": ["$outcome", "transferred"]}),
                            "transfer_answered": count_if(
                                {"$and": [{"$eq": ["$outcome", "transferred"]}, {"$eq": ["$transfer_answered", True]}]}
                            ),
                        }
                    }
                ],
                "rated": [{"$match": {"rating.score": {"$gte": 1}}}, {"$group": {"_id": None, **rating_fields("$rating.score")}}],
                "by_topic": [{"$group": {"_id": "$topic", "n": {"$sum": 1}}}],
            }
        },
    ]


def low_ratings(time_field: str = "rating.at") -> callable:
    """差评 of one collection in the period, newest first (few documents: returned whole, then judged in Python)."""

    def pipeline(period: Period, extra: dict | None = None) -> list[dict]:
        match = {time_field: period.bounds(), "rating.score": {"$lte": COMPLAINT_AT_OR_BELOW}, **(extra or {})}
        return [{"$match": match}, {"$sort": {time_field: -1}}, {"$limit": 500}]

    return pipeline
