"""Failed-login throttling per account name and per client address, with a lockout an admin can lift.

Counts are kept for any name typed, existing or not, so the answers never reveal whether an account
exists. One document per key in `login_throttle` (`_id` is "account:<name>" or "address:<ip>").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int = 3  # failures in a row before each attempt must wait
    delay_seconds: float = 15  # the first wait; it doubles with each further failure
    max_delay_seconds: float = 300
    lock_after: int = 6  # failures in a row that lock the account name
    lock_minutes: int = 30  # a lock lifts itself after this, or when an admin lifts it
    window_minutes: int = 15  # failures older than this are forgotten
    address_free_failures: int = 20
    address_lock_after: int = 50


@dataclass(frozen=True)
class Decision:
    allowed: bool
    wait_seconds: int = 0
    locked: bool = False

    @property
    def message(self) -> str:
        if self.locked:
            return "尝试次数太多，登录已暂停。请联系管理员解锁，或稍后再试。"
        if not self.allowed:
            return f"尝试次数太多，请 {self.wait_seconds} 秒后再试。"
        return ""


class LoginThrottle:
    def __init__(self, collection, policy: ThrottlePolicy | None = None, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.policy = policy or ThrottlePolicy()
        self.clock = clock

    @staticmethod
    def keys(username: str, address: str) -> tuple[str, str]:
        return f"account:{(username or '').strip().lower()[:64]}", f"address:{address}"

    def _limits(self, key: str) -> tuple[int, int]:
        p = self.policy
        if key.startswith("address:"):
            return p.address_free_failures, p.address_lock_after
        return p.free_failures, p.lock_after

    def _decide(self, key: str, doc: dict | None, now: datetime) -> Decision:
        if not doc:
            return Decision(True)
        last = _aware(doc["last_failure"])
        if doc.get("locked"):
            if now < last + timedelta(minutes=self.policy.lock_minutes):
                return Decision(False, locked=True)
            return Decision(True)
        if now - last > timedelta(minutes=self.policy.window_minutes):
            return Decision(True)
        free, _lock = self._limits(key)
        extra = doc["failures"] - free
        if extra < 0:
            return Decision(True)
        delay = min(self.policy.delay_seconds * 2**extra, self.policy.max_delay_seconds)
        ready = last + timedelta(seconds=delay)
        if now >= ready:
            return Decision(True)
        return Decision(False, wait_seconds=max(1, int((ready - now).total_seconds() + 0.999)))

    async def check(self, username: str, address: str) -> Decision:
        """May this attempt be checked at all? Locks win over waits."""
        now = self.clock()
        decisions = []
        for key in self.keys(username, address):
            decisions.append(self._decide(key, await self.collection.find_one({"_id": key}), now))
        for d in decisions:
            if d.locked:
                return d
        refused = [d for d in decisions if not d.allowed]
        return max(refused, key=lambda d: d.wait_seconds) if refused else Decision(True)

    async def failed(self, username: str, address: str) -> Decision:
        """Record a failure; returns what the next attempt will meet (for the message shown now)."""
        now = self.clock()
        for key in self.keys(username, address):
            doc = await self.collection.find_one({"_id": key})
            if doc and (doc.get("locked") or now - _aware(doc["last_failure"]) > timedelta(minutes=self.policy.window_minutes)):
                if not self._decide(key, doc, now).locked:  # stale or expired lock: start over
                    await self.collection.delete_one({"_id": key})
            doc = await self.collection.find_one_and_update(
                {"_id": key},
                {"$inc": {"failures": 1}, "$set": {"last_failure": now}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            _free, lock_after = self._limits(key)
            if doc["failures"] >= lock_after and not doc.get("locked"):
                await self.collection.update_one({"_id": key}, {"$set": {"locked": True, "locked_at": now}})
        return await self.check(username, address)

    async def succeeded(self, username: str) -> None:
        await self.collection.delete_one({"_id": self.keys(username, "")[0]})

    async def locks(self) -> list[dict]:
        """Current locks and throttles, for the admin's staff page."""
        now = self.clock()
        found = []
        async for doc in self.collection.find({}).sort("last_failure", -1).limit(200):
            d = self._decide(doc["_id"], doc, now)
            if not d.allowed:
                kind, _, name = doc["_id"].partition(":")
                found.append({"key": doc["_id"], "kind": kind, "name": name, "failures": doc["failures"], "locked": d.locked})
        return found

    async def lift(self, key: str) -> bool:
        result = await self.collection.delete_one({"_id": key})
        return result.deleted_count == 1


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
