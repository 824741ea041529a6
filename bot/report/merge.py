"""The report's daily rollups on a real MongoDB: aggregation pipelines that compute the rows of
`report_rollups` from the documents and `$merge` them in, and a worker that keeps them fresh.

On the embedded store bot/report/rollups.py keeps the rows with every write (a hook in mongomock's
store). MongoDB has no such hook, so the database computes the same rows itself: for each source
collection one pipeline turns every document into what it contributes (bot/report/rollups.py
`contribution`: which mainland day's cell, which counters, which residents and 差评 documents, which
first-response seconds), sums them per row and cell, and ends with `$merge` into the rollup collection,
replacing the rows of the months it covers. tests/test_rollup_merge.py runs these pipelines (without the
final `$merge`, which mongomock lacks) on random documents and checks they give exactly the rows the
embedded hooks keep.

Only stages and operators both MongoDB 6 and mongomock implement are used: the mainland day is
`$dateToString` of the date minus -8 hours (`$add` on dates and `timezone` are missing in mongomock),
cells are assembled with `$arrayToObject` (no `$mergeObjects` expression there). Values that become part
of a key (codes, reasons, topics, openids) are written as they are: the embedded rollups replace `.`, `$`
and `|` in them, which none of the codes the service writes contain.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime

from bot.ratings import COMPLAINT_AT_OR_BELOW, LEVELS, SATISFIED
from bot.report.periods import CHINA, Period, local_midnight
from bot.report.pipelines import CHANNEL
from bot.report.rollups import COLLECTION, MONTHLY, OPEN_CHATS, OPEN_STATUSES, REPLIED_BY, SOURCES, VERSION
from bot.wechat.events import RESIDENT_TYPES

log = logging.getLogger(__name__)

MAINLAND_MS = -8 * 3600 * 1000  # date - (-8 h): the mainland's wall clock, as a UTC date
REFRESH_SECONDS = 60  # the current and the previous month
FULL_REFRESH_SECONDS = 600  # every month of bookings (a booking received long ago may be completed today)
TIME_FIELDS = {
    "bookings": ("created_at", "completed_at", "rating.at"),
    "escalations": ("created_at", "rating.at"),
    "messages": ("created_at",),
    "hotline_calls": ("at", "rating.at"),
}


def _day(path: str) -> dict:
    """The mainland day ("2026-03-05") of a date field, or null."""
    return {
        "$cond": [
            {"$eq": [{"$ifNull": [path, None]}, None]},
            None,
            {"$dateToString": {"format": "%Y-%m-%d", "date": {"$subtract": [path, MAINLAND_MS]}}},
        ]
    }


def _text(expr) -> dict:
    return {"$toString": {"$ifNull": [expr, ""]}}


def _count_if(condition) -> dict:
    return {"$cond": [condition, 1, 0]}


def _kv(name, value) -> dict:
    return {"k": name, "v": value}


def _list(*items) -> dict | list:
    """An array of expressions. A literal array would do on MongoDB, but mongomock evaluates no expression
    inside one (only inside a `$map`'s `in`): each item is the one element a `$map` over [0] gives."""
    return {"$concatArrays": [{"$map": {"input": [0], "as": "o", "in": item}} for item in items]} if items else []


def _when(condition, entries) -> dict:
    return {"$cond": [condition, entries, []]}


def _add(day: dict, cell, dims, counters, who=None, secs=None) -> dict:
    """One `Contribution.add`: a day, a cell key, its dimensions and counters as arrays of {k, v}."""
    return {"day": day, "cell": cell, "dims": dims, "n": counters, "who": who or [], "secs": secs or []}


def _rating_counts(score: str, prefix: str = "") -> dict:
    is_number = {"$isNumber": score}
    return _list(
        _kv(prefix + "rated", 1),
        _kv(prefix + "satisfied", _count_if({"$in": [score, list(SATISFIED)]})),
        _kv(prefix + "complaints", _count_if({"$and": [is_number, {"$lte": [score, COMPLAINT_AT_OR_BELOW]}]})),
        *[_kv(f"{prefix}s{level}", _count_if({"$eq": [score, level]})) for level in LEVELS],
    )


def _low(score: str) -> dict:
    """The 差评 reference ("low:<_id>") when the score is one."""
    low = {"$and": [{"$isNumber": score}, {"$lte": [score, COMPLAINT_AT_OR_BELOW]}]}
    return _when(low, _list(_kv({"$concat": ["low:", _text("$_id")]}, 1)))


def _booking_adds() -> list:
    dims = _list(_kv("channel", "$_channel"), _kv("item", "$item_code"), _kv("station", "$station"))
    cell = {"$concat": [_text("$_channel"), "|", _text("$item_code"), "|", _text("$station")]}
    is_open = {"$in": ["$status", list(OPEN_STATUSES)]}
    received = _list(
        _kv("received", 1), {"$cond": [is_open, _kv({"$concat": ["open@", _text("$due_date")]}, 1), _kv("open@", 0)]}
    )
    completed = _list(_kv("completed", 1), _kv("on_time", _count_if({"$eq": ["$on_time", True]})))
    has_rating = {"$ne": [{"$ifNull": ["$rating", None]}, None]}
    return [
        _list(_add(_day("$created_at"), cell, dims, received)),
        _when({"$eq": ["$status", "completed"]}, _list(_add(_day("$completed_at"), cell, dims, completed))),
        _when(has_rating, _list(_add(_day("$rating.at"), cell, dims, _rating_counts("$rating.score"), _low("$rating.score")))),
    ]


def _escalation_adds() -> list:
    unanswered = {"$eq": [{"$ifNull": ["$first_response_at", None]}, None]}
    counters = _list(
        _kv("transfers", 1),
        _kv("answered", {"$cond": [unanswered, 0, 1]}),
        _kv("in_time", _count_if({"$eq": ["$answered_in_time", True]})),
        _kv("pending", _count_if({"$and": [{"$in": ["$status", list(OPEN_CHATS)]}, unanswered]})),
        _kv({"$concat": ["reason:", _text("$reason")]}, 1),
    )
    has_seconds = {"$ne": [{"$ifNull": ["$first_response_seconds", None]}, None]}
    secs = _when(has_seconds, _list(_kv(_text("$_id"), "$first_response_seconds")))
    has_rating = {"$ne": [{"$ifNull": ["$rating", None]}, None]}
    rated = _add(_day("$rating.at"), "all", [], _rating_counts("$rating.score", "r:"), _low("$rating.score"))
    return [_list(_add(_day("$created_at"), "all", [], counters, secs=secs)), _when(has_rating, _list(rated))]


def _message_adds(fallbacks: list[str]) -> list:
    wrote = {"$and": [{"$eq": ["$direction", "in"]}, {"$in": ["$type", sorted(RESIDENT_TYPES)]}]}
    inbound = _add(
        _day("$created_at"), "all", [], _list(_kv({"$concat": ["type:", _text("$type")]}, 1)), _list(_kv(_text("$openid"), 1))
    )
    replied = {
        "$and": [
            {"$eq": ["$direction", "out"]},
            {"$regexMatch": {"input": _text("$in_reply_to"), "regex": "^msg:"}},
            {"$in": ["$answered_by", list(REPLIED_BY)]},
        ]
    }
    counters = _list(
        _kv("replies", 1),
        _kv("unanswered", _count_if({"$in": ["$content", list(fallbacks)]})),
        _kv("silent", _count_if({"$in": [{"$ifNull": ["$content", ""]}, [""]]})),
    )
    return [_when(wrote, _list(inbound)), _when(replied, _list(_add(_day("$created_at"), "all", [], counters)))]


def _hotline_adds() -> list:
    dims = _list(_kv("item", "$item_code"))
    cell = _text("$item_code")
    transferred = {"$eq": ["$outcome", "transferred"]}
    score = "$rating.score"
    counters = {
        "$concatArrays": [
            _list(
                _kv("calls", 1),
                _kv("answered", _count_if({"$eq": ["$outcome", "answered"]})),
                _kv("transferred", _count_if(transferred)),
                _kv("transfer_answered", _count_if({"$and": [transferred, {"$eq": ["$transfer_answered", True]}]})),
                _kv({"$concat": ["topic:", _text("$topic")]}, 1),
            ),
            _when({"$and": [{"$isNumber": score}, {"$gte": [score, 1]}]}, _rating_counts(score, "r:")),
        ]
    }
    has_rating = {"$ne": [{"$ifNull": ["$rating", None]}, None]}
    rated = _add(_day("$rating.at"), cell, dims, [], _low(score))
    return [_list(_add(_day("$at"), cell, dims, counters)), _when(has_rating, _list(rated))]


def _adds(collection: str, fallbacks: list[str]) -> list:
    if collection == "bookings":
        return _booking_adds()
    if collection == "escalations":
        return _escalation_adds()
    if collection == "messages":
        return _message_adds(fallbacks)
    if collection == "hotline_calls":
        return _hotline_adds()
    raise ValueError(f"no rollups for {collection}")


def _bounds(months: tuple[str, str] | None) -> dict | None:
    """UTC bounds of the mainland months first..last ("2026-03"), or None for all time."""
    if months is None:
        return None
    first, last = months
    start = local_midnight(date(int(first[:4]), int(first[5:7]), 1))
    end = Period.month(int(last[:4]), int(last[5:7])).end
    return {"$gte": start, "$lt": local_midnight(date.fromordinal(end.toordinal() + 1))}


def pipeline(collection: str, fallbacks: list[str], months: tuple[str, str] | None = None) -> list[dict]:
    """The rollup rows of `collection` (all time, or the mainland months first..last, whole), in the shape
    bot/report/rollups.py keeps them: {_id: "bookings|2026-03-05", src, day, cells: {key: {dims, n, who?, secs?}}}."""
    source = SOURCES[collection]
    stages: list[dict] = []
    bounds = _bounds(months)
    if bounds is not None:  # the documents with any of their dates in the months (each field is indexed)
        stages.append({"$match": {"$or": [{field: bounds} for field in TIME_FIELDS[collection]]}})
    if collection == "bookings":
        stages.append({"$addFields": {"_channel": CHANNEL}})
    stages += [
        {"$project": {"_id": 0, "add": {"$concatArrays": _adds(collection, fallbacks)}}},
        {"$unwind": "$add"},
        {"$replaceRoot": {"newRoot": "$add"}},
        {"$match": {"day": {"$ne": None}}},
    ]
    if months is not None:
        first, last = months
        stages.append({"$match": {"day": {"$gte": f"{first}-01", "$lte": f"{last}-31"}}})
    # Each add becomes its day row's cell and, for the monthly sources, the month's total and one cell per dimension.
    day_row = {
        "row": {"$concat": [source, "|", "$day"]},
        "src": source,
        "day": "$day",
        "cell": {"$cond": [{"$eq": ["$cell", ""]}, "all", "$cell"]},
        "dims": "$dims",
        "n": "$n",
        "who": "$who",
        "secs": "$secs",
    }
    rows: list = [_list(day_row)]
    if source in MONTHLY:
        month = {"$substr": ["$day", 0, 7]}
        row = {"$concat": [f"{source}-m|", month]}
        total = {**day_row, "row": row, "src": f"{source}-m", "day": month, "cell": "total"}
        total["dims"] = _list(_kv("dim", "total"), _kv("key", None))
        per_dim = {
            "$map": {
                "input": "$dims",
                "as": "d",
                "in": {
                    **total,
                    "cell": {"$concat": ["$$d.k", "=", _text("$$d.v")]},
                    "dims": _list(_kv("dim", "$$d.k"), _kv("key", "$$d.v")),
                    "who": [],
                    "secs": [],
                },
            }
        }
        rows += [_list(total), per_dim]

    def tagged(name: str, tag: str) -> dict:
        return {"$map": {"input": f"$e.{name}", "as": "x", "in": {"t": tag, "k": "$$x.k", "v": "$$x.v"}}}

    def entries(tag: str) -> dict:
        chosen = {"$filter": {"input": "$entries", "as": "x", "cond": {"$eq": ["$$x.t", tag]}}}
        return {"$map": {"input": chosen, "as": "x", "in": {"k": "$$x.k", "v": "$$x.v"}}}

    def optional(name: str, tag: str) -> dict:
        return _when({"$gt": [{"$size": entries(tag)}, 0]}, _list(_kv(name, {"$arrayToObject": entries(tag)})))

    return stages + [
        {"$project": {"e": {"$concatArrays": rows}}},
        {"$unwind": "$e"},
        {
            "$project": {
                "row": "$e.row",
                "src": "$e.src",
                "day": "$e.day",
                "cell": "$e.cell",
                "dims": "$e.dims",
                "x": {"$concatArrays": [tagged("n", "n"), tagged("who", "w"), tagged("secs", "s")]},
            }
        },
        {"$unwind": "$x"},
        {
            "$group": {
                "_id": {"row": "$row", "cell": "$cell", "t": "$x.t", "k": "$x.k"},
                "src": {"$first": "$src"},
                "day": {"$first": "$day"},
                "dims": {"$first": "$dims"},
                "v": {"$sum": "$x.v"},
            }
        },
        {"$match": {"$or": [{"_id.t": "s"}, {"v": {"$ne": 0}}]}},  # counters that sum to nothing are left out
        {
            "$group": {
                "_id": {"row": "$_id.row", "cell": "$_id.cell"},
                "src": {"$first": "$src"},
                "day": {"$first": "$day"},
                "dims": {"$first": "$dims"},
                "entries": {"$push": {"t": "$_id.t", "k": "$_id.k", "v": "$v"}},
            }
        },
        {
            "$project": {
                "src": 1,
                "day": 1,
                "cell": {
                    "k": "$_id.cell",
                    "v": {
                        "$arrayToObject": {
                            "$concatArrays": [
                                "$dims",
                                _list(_kv("n", {"$arrayToObject": entries("n")})),
                                optional("who", "w"),
                                optional("secs", "s"),
                            ]
                        }
                    },
                },
            }
        },
        {"$group": {"_id": "$_id.row", "src": {"$first": "$src"}, "day": {"$first": "$day"}, "cells": {"$push": "$cell"}}},
        {"$project": {"_id": 1, "src": 1, "day": 1, "cells": {"$arrayToObject": "$cells"}}},
    ]


def merge_pipeline(collection: str, fallbacks: list[str], stamp: datetime, months: tuple[str, str] | None = None) -> list:
    """`pipeline` ending in `$merge` into the rollup collection (MongoDB 4.2+), each row stamped with this run."""
    return pipeline(collection, fallbacks, months) + [
        {"$addFields": {"at": stamp}},
        {"$merge": {"into": COLLECTION, "on": "_id", "whenMatched": "replace", "whenNotMatched": "insert"}},
    ]


def _month_label(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


class MergedRollups:
    """The rollup rows on MongoDB, recomputed by the database in the background: every row at start when they
    are missing or of another version, the current and previous month every REFRESH_SECONDS, and every
    month of bookings every FULL_REFRESH_SECONDS (a booking received long ago and completed today changes its
    received day's open count; messages, chats and calls change only while recent). Reports read the rows
    as on the embedded store (bot/report/sources.py RollupSource) once the first refresh is done (until then
    the raw pipelines); between two refreshes they lag by at most that long."""

    def __init__(self, store, fallbacks: list[str], clock=lambda: datetime.now(UTC)):
        if getattr(store, "embedded", False):
            raise ValueError("the embedded store keeps its rollups with every write (bot/report/rollups.py)")
        self.store = store
        self.fallbacks = list(fallbacks)
        self.clock = clock
        self.attached = False
        self._task: asyncio.Task | None = None

    async def refresh(self, months: tuple[str, str] | None = None, collections=tuple(SOURCES)) -> None:
        """Recompute the rows of `months` (first, last: "2026-03"), or of all time, and drop the rows of those
        months no document contributes to any more (their stamp is older than this run)."""
        started, stamp = time.perf_counter(), self.clock()
        rows = self.store.db[COLLECTION]
        for collection in collections:
            source = SOURCES[collection]
            async for _ in self.store.db[collection].aggregate(merge_pipeline(collection, self.fallbacks, stamp, months)):
                pass
            sources = [source, f"{source}-m"] if source in MONTHLY else [source]
            stale: dict = {"src": {"$in": sources}, "$or": [{"at": {"$lt": stamp}}, {"at": None}]}
            if months is not None:
                stale["day"] = {"$gte": months[0], "$lte": f"{months[1]}-31"}
            await rows.delete_many(stale)
        log.info("report rollups merged (%s) in %.2fs", "-".join(months) if months else "all", time.perf_counter() - started)

    async def attach(self) -> None:
        """Compute every row when the rows are missing or of another version (else the recent months)."""
        meta = await self.store.meta.find_one({"_id": "report_rollups"})
        if not meta or meta.get("version") != VERSION:
            await self.refresh()
            await self.store.meta.update_one({"_id": "report_rollups"}, {"$set": {"version": VERSION}}, upsert=True)
        else:
            await self.refresh(self.recent_months())
        self.attached = True

    def recent_months(self) -> tuple[str, str]:
        today = self.clock().astimezone(CHINA).date()
        previous = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
        return _month_label(previous), _month_label(today)

    async def run_forever(self, every: float = REFRESH_SECONDS, full_every: float = FULL_REFRESH_SECONDS) -> None:
        while not self.attached:
            try:
                await self.attach()
            except Exception:  # noqa: BLE001 - reports keep using the raw pipelines meanwhile
                log.exception("report rollups could not be computed; trying again")
                await asyncio.sleep(every)
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(every)
            try:
                await self.refresh(self.recent_months())
                if time.monotonic() - last_full >= full_every:
                    await self.refresh(collections=("bookings",))
                    last_full = time.monotonic()
            except Exception:  # noqa: BLE001 - the rows stay as they were; try again next time
                log.exception("report rollups refresh failed")

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.ensure_future(self.run_forever())

    def detach(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.attached = False
