"""Refusing a replayed callback signature: a captured signature/timestamp/nonce with a new body.

A signature covers token, timestamp and nonce but not the body (plain mode), so within the allowed clock
skew it could be reused to post any message. Each (timestamp, nonce) is remembered with a digest of the
message it came with; the same pair with another message is refused. The same pair with the same message
is WeChat's own retry and passes (the inbox answers it once).

Shared through MongoDB on a real deployment (several processes); process memory on the embedded store,
which is one process by definition and would otherwise scan a collection per message.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

from pymongo.errors import DuplicateKeyError


def digest(message_xml: bytes | str) -> str:
    raw = message_xml.encode() if isinstance(message_xml, str) else message_xml
    return hashlib.sha256(raw).hexdigest()


class MemoryReplayGuard:
    def __init__(self, ttl: int, clock=time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._seen: dict[str, tuple[str, float]] = {}
        self._next_sweep = clock() + ttl

    async def first_use(self, timestamp: str, nonce: str, message_digest: str) -> bool:
        now = self.clock()
        if now >= self._next_sweep:  # amortised: one pass per ttl, never per message
            self._seen = {k: v for k, v in self._seen.items() if v[1] > now}
            self._next_sweep = now + self.ttl
        key = f"{timestamp}:{nonce}"
        seen = self._seen.get(key)
        if seen and seen[1] > now:
            return seen[0] == message_digest
        self._seen[key] = (message_digest, now + self.ttl)
        return True


class StoreReplayGuard:
    """One indexed insert per callback (the _id); the TTL index removes pairs after the skew window."""

    def __init__(self, collection, ttl: int):
        self.collection = collection
        self.ttl = ttl

    async def first_use(self, timestamp: str, nonce: str, message_digest: str) -> bool:
        key = f"{timestamp}:{nonce}"
        expires = datetime.now(UTC) + timedelta(seconds=self.ttl)
        try:
            await self.collection.insert_one({"_id": key, "digest": message_digest, "expires_at": expires})
            return True
        except DuplicateKeyError:
            seen = await self.collection.find_one({"_id": key}, {"digest": 1})
            return seen is None or seen["digest"] == message_digest


def replay_guard(store, max_skew: int):
    # Pairs must be remembered as long as their timestamp is accepted: the skew either way.
    ttl = 2 * max_skew if max_skew else 600
    return MemoryReplayGuard(ttl) if store.embedded else StoreReplayGuard(store.nonces, ttl)
