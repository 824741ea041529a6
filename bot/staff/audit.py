"""The audit log: who did what, when, to which record, with before/after for edits.

Entries never hold a password, a full ID number or a full phone number: values are masked on the way in.
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from datetime import UTC, datetime

from pymongo import DESCENDING

from bot.privacy import mask_text

log = logging.getLogger(__name__)

# Keys whose values are never written, whatever the caller passes.
SECRET_KEYS = frozenset({"password", "new_password", "old_password", "password_hash", "token", "secret", "session_key"})


def scrub(value):
    """A copy of `value` safe to store: secrets dropped, ID and phone numbers masked in every string."""
    if isinstance(value, dict):
        return {k: ("[hidden]" if k in SECRET_KEYS else scrub(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


# How the acting request was authorised when that is not a console session ("token:<id>" for a personal
# admin-API token, "shared-token", "dev-token"): set per request by the admin API, written on every row.
VIA: ContextVar[str | None] = ContextVar("audit_via", default=None)


class AuditLog:
    def __init__(self, collection, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.clock = clock

    async def record(self, actor: str, action: str, target: str, *, before=None, after=None, detail=None) -> dict:
        """Append one entry; `actor` is e.g. "staff:liming", `target` e.g. "booking:SM202612020001"."""
        entry = {
            "at": self.clock(),
            "actor": actor,
            "action": action,
            "target": target,
            "before": scrub(before),
            "after": scrub(after),
            "detail": scrub(detail),
        }
        if VIA.get():
            entry["via"] = VIA.get()
        await self.collection.insert_one(entry)
        log.info("audit: %s %s %s", actor, action, target)
        return entry

    async def recent(self, *, limit: int = 50, actor: str | None = None, target: str | None = None, before=None) -> list[dict]:
        """Newest first; `before` (a datetime) pages back through older entries."""
        query: dict = {}
        if actor:
            query["actor"] = actor
        if target:
            query["target"] = target
        if before is not None:
            query["at"] = {"$lt": before}
        cursor = self.collection.find(query).sort("at", DESCENDING).limit(min(limit, 500))
        return [e async for e in cursor]
