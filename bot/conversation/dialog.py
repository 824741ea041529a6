"""Per-user conversation state (item under discussion, numbered choices, forms), keyed by openid.

A small get/set/delete store over an expiring map (bot/expiring.py): process memory on the embedded
store, the `conversations` collection on a real MongoDB. State expires after `ttl` seconds of silence so
an abandoned form does not surprise the user days later.
"""

from __future__ import annotations

import logging

from pymongo.errors import PyMongoError

from bot.expiring import ExpiringMap

log = logging.getLogger(__name__)

DEFAULT_TTL = 30 * 60


class DialogStore:
    def __init__(self, states: ExpiringMap, ttl: int = DEFAULT_TTL):
        self.states = states
        self.ttl = ttl

    @property
    def instant(self) -> bool:
        """Writes cost nothing (process memory): save inline rather than after the reply."""
        return self.states.instant

    @property
    def clock(self):
        return self.states.clock

    @clock.setter
    def clock(self, value) -> None:
        self.states.clock = value

    async def get(self, openid: str) -> dict:
        """The user's state, or {} when there is none, it expired, or the store is down."""
        try:
            state = await self.states.get(openid)
        except PyMongoError as exc:
            log.error("dialog store unavailable (%s): answering without context", type(exc).__name__)
            return {}
        return state or {}

    async def set(self, openid: str, state: dict) -> None:
        await self.states.put(openid, state, self.ttl)

    async def merge(self, openid: str, values: dict) -> None:
        """Set some keys of the user's state (used by notifications, outside a conversation turn)."""
        state = await self.get(openid)
        state.update(values)
        await self.set(openid, state)

    async def delete(self, openid: str) -> None:
        await self.states.delete(openid)
