"""Staff accounts: roles, argon2 password hashes, temporary passwords, disabling.

Hashing and verifying run in a thread pool (argon2 is deliberately slow), never on the event loop.
`session_version` is bumped on every change that must end existing sessions (password change, disable).
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.staff import passwords

log = logging.getLogger(__name__)

# Each role can do everything the roles before it can.
ROLES = ("agent", "supervisor", "admin")
ROLE_LABELS = {"agent": "坐席", "supervisor": "班长", "admin": "管理员"}
MIN_PASSWORD_LENGTH = passwords.MIN_LENGTH
MAX_PASSWORD_LENGTH = passwords.MAX_LENGTH
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")


class StaffError(Exception):
    """A refused staff-account operation; `message` is shown to staff (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AccountExists(StaffError):
    pass


class NoSuchAccount(StaffError):
    pass


def at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def check_password(password: str, username: str = "") -> None:
    """The policy of bot/staff/passwords.py; StaffError saying what is wrong."""
    reason = passwords.problem(password, username)
    if reason:
        raise StaffError(reason)


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def temporary_password() -> str:
    """Readable, 12 characters, no look-alikes (0/O, 1/l)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:  # drawn again in the rare case it misses a character class the policy asks for
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if passwords.problem(candidate) is None:
            return candidate


def public(account: dict) -> dict:
    """An account without its hash, for pages and the audit log."""
    return {k: v for k, v in account.items() if k not in ("password_hash", "_id")}


_DUMMY_HASHES: dict[tuple, str] = {}


def dummy_hash(hasher: PasswordHasher) -> str:
    """A hash of a random password with the hasher's parameters, computed once per process: it costs as
    much as a real one, and tests build the services hundreds of times."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len, hasher.salt_len, hasher.type)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash(secrets.token_hex(16))
    return _DUMMY_HASHES[key]


class StaffAccounts:
    def __init__(self, collection, hasher: PasswordHasher | None = None, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.hasher = hasher or PasswordHasher()
        self.clock = clock
        # Verifying against a dummy hash when the account does not exist makes a wrong username cost as much time
        # as a wrong password; made at the first such login, once per process and argon2 setting (dummy_hash).
        self._dummy: str | None = None

    async def _hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(None, self.hasher.hash, password)

    async def _verify(self, password_hash: str, password: str) -> bool:
        def verify() -> bool:
            try:
                return self.hasher.verify(password_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

        return await asyncio.get_running_loop().run_in_executor(None, verify)

    async def get(self, username: str) -> dict | None:
        return await self.collection.find_one({"username": normalize_username(username)})

    async def any(self) -> bool:
        return await self.collection.find_one({}, {"_id": 1}) is not None

    async def list(self) -> list[dict]:
        return [a async for a in self.collection.find({}, {"password_hash": 0}).sort("username", 1)]

    async def active_usernames(self) -> list[str]:
        return [a["username"] async for a in self.collection.find({"disabled": False}, {"username": 1}).sort("username", 1)]

    async def create(
        self, username: str, role: str, password: str, *, must_change: bool, created_by: str, name: str = ""
    ) -> dict:
        username = normalize_username(username)
        if not USERNAME.match(username):
            raise StaffError("用户名为 2-32 位小写字母、数字、点、横线或下划线。")
        if role not in ROLES:
            raise StaffError(f"角色必须是 {', '.join(ROLES)} 之一。")
        check_password(password, username)
        account = {
            "username": username,
            "name": (name or "").strip()[:20] or username,
            "role": role,
            "password_hash": await self._hash(password),
            "must_change": must_change,
            "disabled": False,
            "session_version": 1,
            "created_at": self.clock(),
            "created_by": created_by,
            "password_changed_at": self.clock(),
        }
        try:
            await self.collection.insert_one(account)
        except DuplicateKeyError:
            raise AccountExists(f"用户名 {username} 已存在。") from None
        log.info("staff account %s created (%s) by %s", username, role, created_by)
        return account

    async def _dummy_hash(self) -> str:
        """A hash of a random password: verifying against it when the account does not exist makes a wrong
        username cost as much time as a wrong password. Made at the first such login, not at start-up."""
        if self._dummy is None:
            self._dummy = await asyncio.get_running_loop().run_in_executor(None, dummy_hash, self.hasher)
        return self._dummy

    async def authenticate(self, username: str, password: str) -> dict | None:
        """The account when the password is right and the account is enabled; None otherwise (same cost)."""
        account = await self.get(username)
        ok = await self._verify(account["password_hash"] if account else await self._dummy_hash(), password or "")
        if not ok or account is None or account.get("disabled"):
            return None
        if self.hasher.check_needs_rehash(account["password_hash"]):
            await self.collection.update_one({"_id": account["_id"]}, {"$set": {"password_hash": await self._hash(password)}})
        return account

    async def change_password(self, username: str, old: str, new: str) -> dict:
        account = await self.get(username)
        if account is None or not await self._verify(account["password_hash"], old or ""):
            raise StaffError("原密码不对。")
        if old == new:
            raise StaffError("新密码不能和原密码相同。")
        return await self._set_password(account["username"], new, must_change=False)

    async def reset_password(self, username: str) -> tuple[dict, str]:
        """A new temporary password the user must change at next login; ends their sessions."""
        temp = temporary_password()
        return await self._set_password(username, temp, must_change=True), temp

    async def _set_password(self, username: str, password: str, *, must_change: bool) -> dict:
        check_password(password, username)
        updated = await self.collection.find_one_and_update(
            {"username": normalize_username(username)},
            {
                "$set": {
                    "password_hash": await self._hash(password),
                    "must_change": must_change,
                    "password_changed_at": self.clock(),
                },
                "$inc": {"session_version": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise NoSuchAccount("没有这个账号。")
        return updated

    async def update(self, username: str, **changes) -> tuple[dict, dict]:
        """Set role, name or disabled; returns (before, after). Disabling ends the account's sessions."""
        allowed = {k: v for k, v in changes.items() if k in ("role", "name", "disabled")}
        if "role" in allowed and allowed["role"] not in ROLES:
            raise StaffError("未知角色。")
        update: dict = {"$set": allowed}
        if allowed.get("disabled"):
            update["$inc"] = {"session_version": 1}
        before = await self.collection.find_one_and_update({"username": normalize_username(username)}, update)
        if before is None:
            raise NoSuchAccount("没有这个账号。")
        after = {**before, **allowed}
        return before, after
