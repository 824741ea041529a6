"""Attempt limits with lockout, shared through MongoDB: wrong invite codes (and anything else guessable).

A key (e.g. "invite:user:<openid>") counts failures in a fixed window; at `max_failures` it is locked
for `lockout`, and while locked even a right answer is refused. One indexed document per key.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument


class AttemptLimiter:
    def __init__(self, collection, *, max_failures: int, window: timedelta, lockout: timedelta, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock

    async def locked_until(self, key: str) -> datetime | None:
        doc = await self.collection.find_one({"_id": key}, {"locked_until": 1})
        until = _aware((doc or {}).get("locked_until"))
        return until if until and until > self.clock() else None

    async def failed(self, key: str) -> bool:
        """Count one failure; True when this failure locked the key."""
        now = self.clock()
        doc = await self.collection.find_one_and_update(
            {"_id": key, "window_start": {"$gt": now - self.window}},
            {"$inc": {"failures": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:  # no window open: start one (keeps a lock that is still running)
            doc = await self.collection.find_one_and_update(
                {"_id": key},
                {"$set": {"window_start": now, "failures": 1}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        if doc["failures"] >= self.max_failures:
            await self.collection.update_one({"_id": key}, {"$set": {"locked_until": now + self.lockout, "failures": 0}})
            return True
        return False

    async def unlock(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})


def _aware(value):
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) and value.tzinfo is None else value
