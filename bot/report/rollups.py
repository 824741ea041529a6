"""Daily rollups of the report's counters, kept up to date with every write on the embedded store.

One document per source and mainland day in `report_rollups` (`_id` "bookings|2026-03-05"), holding cells
keyed by the dimensions the report breaks down and filters by (bookings: item, station, channel; the 96128
line: item; chats and messages: none); for bookings also one per month ("bookings-m|2026-03") with the
month's totals by each dimension alone, which is what the whole months of an unfiltered report read.
A cell holds counters (`n`), and where a figure is not a sum, what it needs: the residents who wrote that
day (`who`, openid -> messages) for 服务群众, the 差评 documents to list (`who`, "low:<_id>"), and each
hand-off's first-response seconds (`secs`, id -> seconds) for the median and 90th percentile. A year's
report reads 12 month rows and 3 x 365 day rows instead of every booking and message (bot/report/sources.py
sums them; a filtered report reads the day cells).

How they stay right: what a document contributes (`contribution`: which day's cell it counts in, for what)
is a pure function of the document. On the embedded store every change of a booking, hand-off, message or
96128 call passes through mongomock's collection store (insert, replace, delete) or its in-place update; a
hook there subtracts the document's old contribution and adds the new one, in the same synchronous step as
the write itself (no await in between, so no report ever sees one without the other, and a forked report
build sees both or neither). `rebuild` recomputes every row from the documents (a store written before
rollups existed, or after a crash between the journal's flush of a document and of its rollup); a test
checks that the rows kept by the hooks equal a rebuild, and that reports from rollups equal the raw
pipelines (bot/report/pipelines.py, the reference, still used on a real MongoDB).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import UTC, datetime

from mongomock.collection import Collection
from mongomock.store import CollectionStore

from bot.ratings import COMPLAINT_AT_OR_BELOW, LEVELS, SATISFIED
from bot.report.periods import CHINA
from bot.wechat.events import RESIDENT_TYPES

log = logging.getLogger(__name__)

COLLECTION = "report_rollups"
VERSION = 4  # bump when a contribution changes: the rows are rebuilt at start-up
SOURCES = {"bookings": "bookings", "escalations": "chat", "messages": "messages", "hotline_calls": "hotline"}
MONTHLY = ("bookings",)  # sources that also keep month rows of totals by dimension ("bookings-m|2026-03")
OPEN_STATUSES = ("submitted", "accepted", "assigned", "in_progress")
OPEN_CHATS = ("waiting", "serving")
REPLIED_BY = ("passive", "customer_service", "undelivered")
_UNSAFE = re.compile(r"[.$|]")


def _safe(value) -> str:
    """A value as part of a key or a field name (MongoDB field names take no dots or leading $)."""
    return _UNSAFE.sub("_", "" if value is None else str(value))


def mainland_day(value) -> str | None:
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).date().isoformat()


def channel_of(doc: dict) -> str:
    """The booking's channel exactly as the pipelines' CHANNEL expression computes it."""
    if doc.get("channel") is not None:
        return doc["channel"]
    if doc.get("booked_by_kind") == "proxy":
        return "proxy"
    if doc.get("kind") == "home_visit":
        return "home_visit"
    return "chat"


def rating_counts(score) -> dict[str, int]:
    counts = {"rated": 1, "satisfied": int(score in SATISFIED)}
    counts["complaints"] = int(isinstance(score, int | float) and score <= COMPLAINT_AT_OR_BELOW)
    for level in LEVELS:
        if score == level:
            counts[f"s{level}"] = 1
    return counts


class Contribution:
    """What one document adds to the rollups: {(row id, cell key): (dims, counters, who, secs)}. `who` holds
    counted keys (openids of residents who wrote; "low:<id>" for a 差评 document to list), `secs` values."""

    def __init__(self):
        self.cells: dict[tuple[str, str], tuple[dict, dict, dict, dict]] = {}

    def add(self, source: str, day: str | None, dims: dict, counters: dict, who=None, secs=None) -> None:
        if day is None:
            return
        self._add(f"{source}|{day}", "|".join(_safe(dims[k]) for k in sorted(dims)) or "all", dims, counters, who, secs)
        if source in MONTHLY:
            # The month's totals by each dimension: what a whole month of an unfiltered report reads.
            row = f"{source}-m|{day[:7]}"
            self._add(row, "total", {"dim": "total", "key": None}, counters, who, secs)
            for name, value in dims.items():
                self._add(row, f"{name}={_safe(value)}", {"dim": name, "key": value}, counters, None, None)

    def _add(self, row: str, cell: str, dims: dict, counters: dict, who, secs) -> None:
        _, n, w, s = self.cells.setdefault((row, cell), (dims, {}, {}, {}))
        for k, v in counters.items():
            n[k] = n.get(k, 0) + v
        for k, v in (who or {}).items():
            w[k] = w.get(k, 0) + v
        s.update(secs or {})


def low_rating(doc: dict, rating) -> dict | None:
    """The reference that lists a 差评's document in the report (its _id), or None."""
    score = rating.get("score") if isinstance(rating, dict) else None
    if isinstance(score, int | float) and score <= COMPLAINT_AT_OR_BELOW:
        return {"low:" + _safe(doc.get("_id")): 1}
    return None


def booking(doc: dict, add: Contribution) -> None:
    dims = {"item": doc.get("item_code"), "station": doc.get("station"), "channel": channel_of(doc)}
    received = {"received": 1}
    status = doc.get("status")
    if status in OPEN_STATUSES:
        due = doc.get("due_date")
        received["open@" + _safe(due if isinstance(due, str) else "")] = 1
    add.add("bookings", mainland_day(doc.get("created_at")), dims, received)
    if status == "completed":
        add.add(
            "bookings",
            mainland_day(doc.get("completed_at")),
            dims,
            {"completed": 1, "on_time": int(doc.get("on_time") is True)},
        )
    rating = doc.get("rating")
    if isinstance(rating, dict):
        counts = rating_counts(rating.get("score"))
        add.add("bookings", mainland_day(rating.get("at")), dims, counts, who=low_rating(doc, rating))


def escalation(doc: dict, add: Contribution) -> None:
    answered = doc.get("first_response_at") is not None
    counters = {
        "transfers": 1,
        "answered": int(answered),
        "in_time": int(doc.get("answered_in_time") is True),
        "pending": int(doc.get("status") in OPEN_CHATS and not answered),
        "reason:" + _safe(doc.get("reason")): 1,
    }
    seconds = doc.get("first_response_seconds")
    secs = {_safe(doc.get("_id")): seconds} if seconds is not None else None
    add.add("chat", mainland_day(doc.get("created_at")), {}, counters, secs=secs)
    rating = doc.get("rating")
    if isinstance(rating, dict):
        counts = {"r:" + k: v for k, v in rating_counts(rating.get("score")).items()}
        add.add("chat", mainland_day(rating.get("at")), {}, counts, who=low_rating(doc, rating))


def message(doc: dict, add: Contribution, fallbacks: Iterable[str]) -> None:
    day = mainland_day(doc.get("created_at"))
    if doc.get("direction") == "in":
        kind = doc.get("type")
        if kind in RESIDENT_TYPES:  # what residents wrote; events (follows, menu clicks) never count
            add.add("messages", day, {}, {"type:" + _safe(kind): 1}, who={_safe(doc.get("openid")): 1})
    elif doc.get("direction") == "out":
        reply_to = doc.get("in_reply_to")
        if isinstance(reply_to, str) and reply_to.startswith("msg:") and doc.get("answered_by") in REPLIED_BY:
            content = doc.get("content")
            counters = {"replies": 1, "unanswered": int(content in fallbacks), "silent": int(content in (None, ""))}
            add.add("messages", day, {}, counters)


def hotline_call(doc: dict, add: Contribution) -> None:
    outcome = doc.get("outcome")
    counters = {
        "calls": 1,
        "answered": int(outcome == "answered"),
        "transferred": int(outcome == "transferred"),
        "transfer_answered": int(outcome == "transferred" and doc.get("transfer_answered") is True),
        "topic:" + _safe(doc.get("topic")): 1,
    }
    rating = doc.get("rating")
    score = rating.get("score") if isinstance(rating, dict) else None
    if isinstance(score, int | float) and score >= 1:
        counters.update({"r:" + k: v for k, v in rating_counts(score).items()})
    add.add("hotline", mainland_day(doc.get("at")), {"item": doc.get("item_code")}, counters)
    if isinstance(rating, dict):
        add.add("hotline", mainland_day(rating.get("at")), {"item": doc.get("item_code")}, {}, who=low_rating(doc, rating))


class Rollups:
    """Keeps `report_rollups` of one embedded database in step with its documents."""

    def __init__(self, store, fallbacks: list[str]):
        self.store = store
        self.fallbacks = tuple(fallbacks)
        self.rows: CollectionStore | None = None
        self._meta: CollectionStore | None = None
        self.attached = False

    def contribution(self, collection: str, doc: dict | None) -> Contribution:
        add = Contribution()
        if doc is not None:
            if collection == "bookings":
                booking(doc, add)
            elif collection == "escalations":
                escalation(doc, add)
            elif collection == "messages":
                message(doc, add, self.fallbacks)
            elif collection == "hotline_calls":
                hotline_call(doc, add)
        return add

    # ---- keeping them in step ----

    async def attach(self, rebuild: bool = False) -> None:
        """Hook the embedded store's rolled-up collections; rebuild the rows when they are missing or stale
        (or when asked: after a bulk load written before the hooks were attached)."""
        self.rows = _collection_store(self.store.db[COLLECTION])
        self._meta = _collection_store(self.store.meta)
        for name in SOURCES:
            target = _collection_store(self.store.db[name])
            target.__dict__["_rollup"] = (self, name)
        self.attached = True
        meta = await self.store.meta.find_one({"_id": "report_rollups"})
        # "running" still set: the last process did not stop cleanly, and the journal may hold a document's
        # change without its rollup's (they are flushed apart): count again, unless the journal ended on a
        # settled mark (bot/embedded.py: documents and rows were on disk together).
        journal = getattr(self.store, "journal", None)
        crashed = meta and meta.get("running") and not (journal is not None and journal.settled)
        if rebuild or not meta or meta.get("version") != VERSION or crashed:
            await self.rebuild()
        await self.store.meta.update_one({"_id": "report_rollups"}, {"$set": {"running": True}}, upsert=True)

    def detach(self) -> None:
        """At a clean stop (before the store's final snapshot): the rows are complete."""
        if self.attached:
            self._meta["report_rollups"] = {"_id": "report_rollups", "version": VERSION, "running": False}
            self.attached = False

    def changed(self, collection: str, before: dict | None, after: dict | None) -> None:
        old, new = self.contribution(collection, before), self.contribution(collection, after)
        if old.cells == new.cells:
            return
        for key, (dims, n, who, secs) in old.cells.items():
            self._apply(key, dims, n, who, secs, -1)
        for key, (dims, n, who, secs) in new.cells.items():
            self._apply(key, dims, n, who, secs, +1)

    def _apply(self, key, dims: dict, n: dict, who: dict, secs: dict, sign: int) -> None:
        row_id, cell_key = key
        rows = self.rows
        row = rows._documents.get(row_id)
        source, day = row_id.split("|", 1)
        row = dict(row) if row else {"_id": row_id, "src": source, "day": day, "cells": {}}
        cells = row["cells"] = dict(row["cells"])
        old = cells.get(cell_key) or {**dims, "n": {}}
        cell = {**old, "n": dict(old["n"])}
        for k, v in n.items():
            left = cell["n"].get(k, 0) + sign * v
            if left:
                cell["n"][k] = left
            else:
                cell["n"].pop(k, None)
        if who:
            cell["who"] = dict(cell.get("who") or {})
            for k, v in who.items():
                left = cell["who"].get(k, 0) + sign * v
                if left:
                    cell["who"][k] = left
                else:
                    cell["who"].pop(k, None)
        if secs:
            cell["secs"] = dict(cell.get("secs") or {})
            for k, v in secs.items():
                if sign > 0:
                    cell["secs"][k] = v
                else:
                    cell["secs"].pop(k, None)
        for name in ("who", "secs"):
            if name in cell and not cell[name]:
                del cell[name]
        if cell["n"] or cell.get("who") or cell.get("secs"):
            cells[cell_key] = cell
        else:
            cells.pop(cell_key, None)
        if cells:
            rows[row_id] = row
        elif row_id in rows._documents:
            del rows[row_id]

    async def rebuild(self) -> int:
        """Recompute every row from the documents; returns how many rows there are."""
        started = time.perf_counter()
        rows = self.rows or _collection_store(self.store.db[COLLECTION])
        for key in list(rows._documents):
            del rows[key]
        total = Contribution()
        for name in SOURCES:
            for doc in list(_collection_store(self.store.db[name])._documents.values()):
                for key, (dims, n, who, secs) in self.contribution(name, doc).cells.items():
                    total.cells.setdefault(key, (dims, {}, {}, {}))
                    _, tn, tw, ts = total.cells[key]
                    for k, v in n.items():
                        tn[k] = tn.get(k, 0) + v
                    for k, v in who.items():
                        tw[k] = tw.get(k, 0) + v
                    ts.update(secs)
        built: dict[str, dict] = {}
        for (row_id, cell_key), (dims, n, who, secs) in total.cells.items():
            source, day = row_id.split("|", 1)
            row = built.setdefault(row_id, {"_id": row_id, "src": source, "day": day, "cells": {}})
            cell = {**dims, "n": {k: v for k, v in n.items() if v}}
            who = {k: v for k, v in who.items() if v}
            if who:
                cell["who"] = who
            if secs:
                cell["secs"] = secs
            if cell["n"] or who or secs:
                row["cells"][cell_key] = cell
        for row_id, row in built.items():
            if row["cells"]:
                rows[row_id] = row
        await self.store.meta.update_one({"_id": "report_rollups"}, {"$set": {"version": VERSION}}, upsert=True)
        log.info("report rollups rebuilt: %d rows in %.2fs", len(built), time.perf_counter() - started)
        return len(built)


def _collection_store(collection) -> CollectionStore:
    """mongomock's store of documents behind a mongomock-motor collection."""
    sync = collection._AsyncMongoMockCollection__collection
    return sync._store


# ---- the hooks (installed once; they act only on collection stores a Rollups attached to) ----


def _hook_of(store) -> tuple[Rollups, str] | None:
    return store.__dict__.get("_rollup")


def _install() -> None:
    if getattr(CollectionStore.__setitem__, "rollups", False):
        return
    set_item, del_item, drop = CollectionStore.__setitem__, CollectionStore.__delitem__, CollectionStore.drop

    def __setitem__(self, key, val):
        hook = _hook_of(self)
        before = self._documents.get(key) if hook else None
        set_item(self, key, val)
        if hook:
            hook[0].changed(hook[1], before, val)

    def __delitem__(self, key):
        hook = _hook_of(self)
        before = self._documents.get(key) if hook else None
        del_item(self, key)
        if hook:
            hook[0].changed(hook[1], before, None)

    def drop_all(self):
        hook = _hook_of(self)
        if hook:
            for doc in list(self._documents.values()):
                hook[0].changed(hook[1], doc, None)
        drop(self)

    def in_place(method):
        def wrapper(self, existing_document, *args, **kwargs):
            store = self._store
            hook = _hook_of(store)
            # An upsert's new document is updated before it is inserted: the insert counts it, not this.
            stored = hook and store._documents.get(existing_document.get("_id")) is existing_document
            before = _copy(existing_document) if stored else None
            result = method(self, existing_document, *args, **kwargs)
            if stored:
                hook[0].changed(hook[1], before, existing_document)
            return result

        for attr in ("journaled",):
            if getattr(method, attr, False):
                setattr(wrapper, attr, True)
        return wrapper

    __setitem__.rollups = True
    CollectionStore.__setitem__ = __setitem__
    CollectionStore.__delitem__ = __delitem__
    CollectionStore.drop = drop_all
    Collection._apply_update_document = in_place(Collection._apply_update_document)
    Collection._apply_update_pipeline = in_place(Collection._apply_update_pipeline)


def _copy(doc: dict) -> dict:
    """Enough of a copy for `contribution`: nested dicts it reads (rating) copied, lists shared."""
    return {k: dict(v) if isinstance(v, dict) else v for k, v in doc.items()}


_install()
