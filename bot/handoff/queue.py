"""Human-handoff queue: residents waiting for staff, with waiting, first-response and closing times.

One open entry per resident: `open_key` holds the openid while the entry is waiting or serving and is
removed on close, and a unique sparse index on it refuses a second open entry across processes.
Every change bumps `rev` and `updated_at`, which the live queue watches (bot/handoff/live.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from bot.privacy import mask_text

OPEN = ("waiting", "serving")
REASON_LABELS = {"asked": "要求人工", "not_understood": "机器人没听懂", "complaint": "投诉", "low_rating": "差评回访"}


class EscalationQueue:
    def __init__(self, collection, on_change=None, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.on_change = on_change  # callable(entry) -> None: tells the live queue
        self.clock = clock
        # Embedded store only (one process): the openids that may have an open entry, so that the check run
        # for every message (handoff desk) does not scan the collection for the many who have none.
        self._maybe_open: set[str] | None = None

    async def track_open(self) -> None:
        """On the embedded store: one pass at start-up; afterwards `enqueue` (the only way an entry opens)
        adds to the set and a lookup that finds nothing removes from it."""
        found = self.collection.find({"status": {"$in": list(OPEN)}}, {"openid": 1})
        self._maybe_open = {e["openid"] async for e in found}

    async def open_for(self, openid: str) -> dict | None:
        if self._maybe_open is not None and openid not in self._maybe_open:
            return None
        entry = await self.collection.find_one({"openid": openid, "status": {"$in": list(OPEN)}})
        if entry is None and self._maybe_open is not None:
            self._maybe_open.discard(openid)
        return entry

    async def enqueue(self, openid: str, reason: str, last_message: str = "") -> tuple[dict, bool]:
        """Put the user in the queue once; returns (entry, created)."""
        existing = await self.open_for(openid)
        if existing:
            return existing, False
        now = self.clock()
        entry = {
            "openid": openid,
            "open_key": openid,
            "reason": reason,  # "asked", "low_rating", "complaint", "not_understood"
            "last_message": mask_text(last_message)[:500],  # what residents type may hold ID or phone numbers
            "last_message_at": now,
            "status": "waiting",
            "created_at": now,
            "updated_at": now,
            "rev": 1,
            "first_response_at": None,
            "closed_at": None,
            "staff": None,
        }
        if self._maybe_open is not None:
            self._maybe_open.add(openid)
        try:
            result = await self.collection.insert_one(entry)
        except DuplicateKeyError:  # a concurrent request queued the same user
            return await self.open_for(openid), False
        entry["_id"] = result.inserted_id
        self.changed(entry)
        return entry, True

    def changed(self, entry: dict | None) -> None:
        if entry is not None and self.on_change is not None:
            self.on_change(entry)
