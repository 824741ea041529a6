"""Per-user conversation state (item under discussion, numbered choices, forms), keyed by openid.

A small get/set/delete store over the `conversations` collection; state expires after
`ttl` seconds of silence so an abandoned form does not surprise the user days later.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError

log = logging.getLogger(__name__)

DEFAULT_TTL = 30 * 60


class DialogStore:
    def __init__(self, collection, ttl: int = DEFAULT_TTL, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.ttl = ttl
        self.clock = clock

    async def get(self, openid: str) -> dict:
        """The user's state, or {} when there is none, it expired, or the store is down."""
        try:
            doc = await self.collection.find_one({"_id": openid})
        except PyMongoError as exc:
            log.error("dialog store unavailable (%s): answering without context", type(exc).__name__)
            return {}
        if not doc or _aware(doc["expires_at"]) <= self.clock():
            return {}
        return doc.get("state", {})

    async def set(self, openid: str, state: dict) -> None:
        expires = self.clock() + timedelta(seconds=self.ttl)
        await self.collection.replace_one({"_id": openid}, {"_id": openid, "state": state, "expires_at": expires}, upsert=True)

    async def merge(self, openid: str, values: dict) -> None:
        """Set some keys of the user's state (used by notifications, outside a conversation turn)."""
        state = await self.get(openid)
        state.update(values)
        await self.set(openid, state)

    async def delete(self, openid: str) -> None:
        await self.collection.delete_one({"_id": openid})


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
