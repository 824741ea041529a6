"""Human-handoff queue: residents waiting for staff, with waiting, first-response and closing times."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from bot.privacy import mask_text


class EscalationQueue:
    def __init__(self, collection):
        self.collection = collection

    async def open_for(self, openid: str) -> dict | None:
        return await self.collection.find_one({"openid": openid, "status": {"$in": ["waiting", "serving"]}})

    async def enqueue(self, openid: str, reason: str, last_message: str = "") -> tuple[dict, bool]:
        """Put the user in the queue once; returns (entry, created)."""
        existing = await self.open_for(openid)
        if existing:
            return existing, False
        entry = {
            "openid": openid,
            "reason": reason,  # "asked", "low_rating", "complaint", "not_understood"
            "last_message": mask_text(last_message)[:500],  # what residents type may hold ID or phone numbers
            "status": "waiting",
            "created_at": datetime.now(UTC),
            "first_response_at": None,
            "closed_at": None,
            "staff": None,
        }
        try:
            result = await self.collection.insert_one(entry)
        except DuplicateKeyError:  # a concurrent request queued the same user
            return await self.open_for(openid), False
        entry["_id"] = result.inserted_id
        return entry, True
