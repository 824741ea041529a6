"""Short-lived per-message state behind one small interface: dialog state, dedupe claims, recent replies,
replayed signatures.

Two backends with the same contract (tests/test_expiring.py runs it against both):

- `MemoryMap`: process memory, for the embedded store (one process by definition). Expiry is checked on
  read; each write drops the oldest expired entries, and a full sweep runs at most once per `sweep_every`
  seconds, so no access walks the map.
- `MongoMap`: one document per key in a MongoDB collection (`_id` = key, TTL index on `expires_at`), for a
  real server, so several processes share it. Every access is one `_id` lookup or write; expiry is also
  checked on read because MongoDB's TTL monitor runs only once a minute.

Values are small BSON-compatible dicts; each access works on its own copy (the memory map keeps values
pickled: a copy for free, and bytes the garbage collector never has to walk).
"""

from __future__ import annotations

import pickle
import time
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Protocol

from pymongo.errors import DuplicateKeyError

SWEEP_EVERY = 600.0


class ExpiringMap(Protocol):
    # True when writes cost nothing worth deferring (process memory): callers then write inline.
    instant: bool

    async def get(self, key: str) -> dict | None:
        """The value, or None when absent or expired."""

    async def put(self, key: str, value: dict, ttl: float) -> None:
        """Set the value; it expires `ttl` seconds from now."""

    async def add(self, key: str, value: dict, ttl: float) -> dict | None:
        """Set the value only if the key is absent (or expired): None when it was added, else the value
        already there. One atomic step, so exactly one of several concurrent callers wins (claims)."""

    async def delete(self, key: str) -> None:
        """Remove the key (no error when absent)."""


def _pack(value: dict) -> bytes:
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


_unpack = pickle.loads


class MemoryMap:
    """Entries in expiry order (an OrderedDict; a write moves its key to the end). Each write first drops
    a few expired entries from the front, so with one ttl per map (how every caller uses it) memory is
    bounded without ever walking the map; a full sweep every `sweep_every` seconds catches mixed ttls."""

    instant = True
    TRIM = 4  # expired entries dropped per write: more than one, so the map shrinks after a burst

    def __init__(self, *, sweep_every: float = SWEEP_EVERY, clock=time.time):
        self.clock = clock
        self.sweep_every = sweep_every
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._next_sweep = clock() + sweep_every

    def __len__(self) -> int:
        return len(self._entries)

    def values(self):
        """Every value held, expired or not (tests that scan what is kept)."""
        return (_unpack(v) for _expires, v in self._entries.values())

    async def get(self, key: str) -> dict | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self.clock():
            del self._entries[key]
            return None
        return _unpack(entry[1])

    async def put(self, key: str, value: dict, ttl: float) -> None:
        now = self._tick()
        self._entries[key] = (now + ttl, _pack(value))
        self._entries.move_to_end(key)

    async def add(self, key: str, value: dict, ttl: float) -> dict | None:
        now = self._tick()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return _unpack(entry[1])
        self._entries[key] = (now + ttl, _pack(value))
        self._entries.move_to_end(key)
        return None

    async def delete(self, key: str) -> None:
        self._entries.pop(key, None)

    def _tick(self) -> float:
        now = self.clock()
        entries = self._entries
        for _ in range(self.TRIM):
            if not entries:
                break
            oldest = next(iter(entries.values()))
            if oldest[0] > now:
                break
            entries.popitem(last=False)
        if now >= self._next_sweep:
            self.sweep(now)
        return now

    def sweep(self, now: float | None = None) -> int:
        """Drop every expired entry; returns how many. Runs once per `sweep_every`, never per access."""
        now = self.clock() if now is None else now
        expired = [k for k, (expires, _v) in self._entries.items() if expires <= now]
        for key in expired:
            del self._entries[key]
        self._next_sweep = now + self.sweep_every
        return len(expired)


class MongoMap:
    """Documents {_id: key, value: {...}, expires_at: datetime}; the collection has a TTL index on expires_at."""

    instant = False

    def __init__(self, collection, *, clock=time.time):
        self.collection = collection
        self.clock = clock

    def _expiry(self, ttl: float) -> datetime:
        return datetime.fromtimestamp(self.clock() + ttl, UTC)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    async def get(self, key: str) -> dict | None:
        doc = await self.collection.find_one({"_id": key})
        if doc is None or _aware(doc["expires_at"]) <= self._now():
            return None
        return doc.get("value", {})

    async def put(self, key: str, value: dict, ttl: float) -> None:
        await self.collection.replace_one(
            {"_id": key}, {"_id": key, "value": value, "expires_at": self._expiry(ttl)}, upsert=True
        )

    async def add(self, key: str, value: dict, ttl: float) -> dict | None:
        doc = {"_id": key, "value": value, "expires_at": self._expiry(ttl)}
        for _attempt in range(3):
            try:
                await self.collection.insert_one(doc)
                return None
            except DuplicateKeyError:
                pass
            # Taken, unless what holds the key has expired and the TTL monitor has not removed it yet:
            # then replace it, on the condition that it is still expired (another process may win).
            taken = await self.collection.find_one({"_id": key, "expires_at": {"$gt": self._now()}})
            if taken is not None:
                return taken.get("value", {})
            result = await self.collection.replace_one({"_id": key, "expires_at": {"$lte": self._now()}}, doc)
            if result.matched_count:
                return None
            # Removed or renewed meanwhile: try again.
        return {}

    async def delete(self, key: str) -> None:
        await self.collection.delete_one({"_id": key})


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def expiring_map(store, name: str) -> ExpiringMap:
    """Process memory on the embedded store, the `name` collection on a real MongoDB."""
    return MemoryMap() if store.embedded else MongoMap(store.db[name])
