"""Console sessions: a random token in a signed cookie, its hash in `staff_sessions`.

A session ends after `idle` of inactivity (checked on every request; a TTL index removes the rest),
on logout, and when the account's `session_version` moves on (password change, account disabled).
Whatever holds a session open besides requests (the console's live sockets) registers in `on_end` and
hears of logouts and of every session of an account ending.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from settings import SettingsError, weak_key

# Seen-times are written at most this often per session, to keep writes off every request.
TOUCH_EVERY = timedelta(seconds=30)


class WeakSecret(SettingsError):
    pass


def check_secret(env: str, secret: str) -> None:
    """Under BOT_ENV=production the console refuses a dev, short or guessable BOT_SECRET (it signs the
    session cookies). settings.py checks the environment too; this also covers Settings built in code."""
    if env != "production":
        return
    problem = weak_key(secret)
    if problem:
        raise WeakSecret(f"BOT_ENV=production: BOT_SECRET signs console cookies and {problem}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    def __init__(self, collection, idle_minutes: int = 30, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.idle = timedelta(minutes=idle_minutes)
        self.clock = clock
        self.on_end: list = []  # callables(session=key) / (username=name)

    @staticmethod
    def key(token: str) -> str:
        return _digest(token)

    async def start(self, account: dict, address: str, agent: str = "") -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        await self.collection.insert_one(
            {
                "_id": _digest(token),
                "username": account["username"],
                "version": account["session_version"],
                "created_at": now,
                "seen_at": now,
                "expires_at": now + self.idle,
                "address": address,
                "agent": agent[:200],
            }
        )
        return token

    async def resume(self, token: str | None, accounts, *, touch: bool = True) -> tuple[dict, dict] | None:
        """(session, account) while the session is live and its account still allows it. `touch=False`
        checks without counting as activity (a live socket must not keep an idle session alive)."""
        if not token:
            return None
        key = _digest(token)
        session = await self.collection.find_one({"_id": key})
        now = self.clock()
        if session is None or _aware(session["expires_at"]) <= now:
            return None
        account = await accounts.get(session["username"])
        if account is None or account.get("disabled") or account["session_version"] != session["version"]:
            await self.collection.delete_one({"_id": key})
            return None
        if touch and now - _aware(session["seen_at"]) >= TOUCH_EVERY:
            await self.collection.update_one({"_id": key}, {"$set": {"seen_at": now, "expires_at": now + self.idle}})
        return session, account

    async def end(self, token: str | None) -> None:
        if token:
            await self.collection.delete_one({"_id": _digest(token)})
            for listener in self.on_end:
                listener(session=_digest(token))

    async def end_all(self, username: str) -> int:
        result = await self.collection.delete_many({"username": username})
        for listener in self.on_end:
            listener(username=username)
        return result.deleted_count


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
