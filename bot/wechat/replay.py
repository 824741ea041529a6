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

from bot.expiring import ExpiringMap, expiring_map


def digest(message_xml: bytes | str) -> str:
    raw = message_xml.encode() if isinstance(message_xml, str) else message_xml
    return hashlib.sha256(raw).hexdigest()


class ReplayGuard:
    """One claim per (timestamp, nonce) in an expiring map (bot/expiring.py): an `_id` insert on MongoDB,
    a dict entry in process memory; pairs are forgotten after `ttl` seconds."""

    def __init__(self, seen: ExpiringMap, ttl: int):
        self.seen = seen
        self.ttl = ttl

    async def first_use(self, timestamp: str, nonce: str, message_digest: str) -> bool:
        earlier = await self.seen.add(f"{timestamp}:{nonce}", {"digest": message_digest}, self.ttl)
        return earlier is None or earlier.get("digest") == message_digest


def replay_guard(store, max_skew: int) -> ReplayGuard:
    # Pairs must be remembered as long as their timestamp is accepted: the skew either way.
    ttl = 2 * max_skew if max_skew else 600
    return ReplayGuard(expiring_map(store, "nonces"), ttl)
