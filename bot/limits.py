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


class MessageRateLimit:
    """Per-user message rate in this process: generous for a person typing, a wall for a script.

    Over the limit a user gets one polite reply, then silence ("success") until the window ends. Kept in
    process memory: it runs on every message and must not touch the store; with several processes the
    limit applies per process, which is still far below what would hurt.
    """

    def __init__(self, per_minute: int = 30, per_hour: int = 600, clock=None):
        import time

        self.limits = ((60.0, per_minute), (3600.0, per_hour))
        self.clock = clock or time.monotonic
        self._windows: dict[tuple[str, float], tuple] = {}  # (openid, span) -> (window start, count, warned)
        self._next_sweep = 0.0

    def check(self, openid: str) -> str:
        """ "ok", "warn" (first refusal in this window) or "drop"."""
        now = self.clock()
        if now >= self._next_sweep:
            self._windows = {k: w for k, w in self._windows.items() if now - w[0] < k[1]}
            self._next_sweep = now + 60
        verdict = "ok"
        for span, limit in self.limits:
            window = self._windows.get((openid, span))
            if window is None or now - window[0] >= span:
                window = (now, 0, False)
            start, count, warned = window[0], window[1] + 1, window[2]
            if count > limit and verdict == "ok":
                verdict = "drop" if warned else "warn"
                warned = True
            # Tuples, not lists: tens of thousands of users' windows the garbage collector need not walk.
            self._windows[(openid, span)] = (start, count, warned)
        return verdict


class RequestRateLimit:
    """Requests per key (a user, a client address) in a fixed one-minute window, in process memory: the API's
    limits run on every request and must not cost a store write. With several processes each counts its own."""

    def __init__(self, per_minute: int, clock=None):
        import time

        self.per_minute = per_minute
        self.clock = clock or time.monotonic
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, count)
        self._next_sweep = 0.0

    def retry_after(self, key: str) -> int | None:
        """Count one request; None when allowed, else the whole seconds until the window ends."""
        now = self.clock()
        if now >= self._next_sweep:
            self._windows = {k: w for k, w in self._windows.items() if now - w[0] < 60}
            self._next_sweep = now + 60
        start, count = self._windows.get(key, (now, 0))
        if now - start >= 60:
            start, count = now, 0
        self._windows[key] = (start, count + 1)
        if count + 1 > self.per_minute:
            return max(1, int(60 - (now - start)) + 1)
        return None
