"""Personal admin-API tokens: each tied to one staff account, created and revoked by an admin in the console.

The raw token is shown once, at creation; `staff_tokens` keeps its SHA-256 and the account it acts as. A
token works while it is not revoked and its account is enabled; the audit rows of its requests name the
account and the token (`via`). The shared BOT_ADMIN_TOKEN stays for the operator's scripts, under stricter
rules (handlers/admin.py).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime

PREFIX = "govbot_"
MAX_LABEL = 40


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class StaffTokens:
    def __init__(self, collection, accounts, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.accounts = accounts
        self.clock = clock

    async def create(self, username: str, label: str, created_by: str) -> tuple[dict, str]:
        """(the stored token without its hash, the raw token to show once)."""
        raw = PREFIX + secrets.token_urlsafe(32)
        doc = {
            "_id": secrets.token_hex(6),
            "digest": _digest(raw),
            "username": username,
            "label": (label or "").strip()[:MAX_LABEL] or "API",
            "created_at": self.clock(),
            "created_by": created_by,
            "revoked_at": None,
            "revoked_by": None,
        }
        await self.collection.insert_one(doc)
        return {k: v for k, v in doc.items() if k != "digest"}, raw

    async def list(self) -> list[dict]:
        return [t async for t in self.collection.find({}, {"digest": 0}).sort("created_at", -1)]

    async def revoke(self, token_id: str, by: str) -> dict | None:
        doc = await self.collection.find_one({"_id": token_id, "revoked_at": None}, {"digest": 0})
        if doc:
            await self.collection.update_one({"_id": token_id}, {"$set": {"revoked_at": self.clock(), "revoked_by": by}})
        return doc

    async def resolve(self, raw: str) -> tuple[dict, dict] | None:
        """(token, account) when `raw` is a live personal token of an enabled account; None otherwise."""
        if not raw.startswith(PREFIX):
            return None
        token = await self.collection.find_one({"digest": _digest(raw), "revoked_at": None})
        if token is None:
            return None
        account = await self.accounts.get(token["username"])
        if account is None or account.get("disabled"):
            return None
        return token, account
