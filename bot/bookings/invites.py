"""Proxy invitations: staff create a one-time code for a station; the proxy sends it to the account to bind.

Codes are long enough that guessing is hopeless (31^8 ≈ 8.5e11), expire, and wrong attempts are limited
per user and overall, with lockout: while locked, even the right code does not bind.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.limits import AttemptLimiter

log = logging.getLogger(__name__)

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
VALID_FOR = timedelta(days=7)
PER_USER = dict(max_failures=10, window=timedelta(hours=1), lockout=timedelta(hours=1))
OVERALL = dict(max_failures=200, window=timedelta(hours=1), lockout=timedelta(hours=1))


class InviteError(ValueError):
    """Shown to staff (create) or, via `message`, to the person binding."""


class InviteService:
    def __init__(self, invites, users, limits, stations, clock=lambda: datetime.now(UTC)):
        self.invites = invites
        self.users = users
        self.stations = stations
        self.clock = clock
        self.per_user = AttemptLimiter(limits, clock=clock, **PER_USER)
        self.overall = AttemptLimiter(limits, clock=clock, **OVERALL)

    async def create(self, station_code: str, name: str, created_by: str) -> dict:
        station = self.stations.get(station_code)
        if station is None:
            raise InviteError("unknown station code")
        now = self.clock()
        for _ in range(5):
            code = "YQ" + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
            doc = {
                "code": code,
                "station": station["code"],
                "name": name,
                "created_by": created_by,
                "created_at": now,
                "expires_at": now + VALID_FOR,
                "used_by": None,
            }
            try:
                await self.invites.insert_one(doc)
            except DuplicateKeyError:
                continue
            return {"code": code, "station": station["code"], "station_name": station["name"], "expires_at": doc["expires_at"]}
        raise InviteError("could not allocate an invite code, try again")

    async def redeem(self, openid: str, code: str) -> dict:
        """Bind `openid` as the code's station proxy; raises InviteError with a Chinese message."""
        user_key, overall_key = f"invite:user:{openid}", "invite:all"
        if await self.per_user.locked_until(user_key) or await self.overall.locked_until(overall_key):
            raise InviteError("邀请码输错次数太多，请1小时后再试，或请服务站工作人员帮忙。")
        invite = await self.invites.find_one_and_update(
            {"code": code.upper(), "used_by": None, "expires_at": {"$gt": self.clock()}},
            {"$set": {"used_by": openid, "used_at": self.clock()}},
            return_document=ReturnDocument.AFTER,
        )
        if invite is None:
            await self.overall.failed(overall_key)
            if await self.per_user.failed(user_key):
                log.warning("invite codes: a user was locked out after repeated wrong codes")
            raise InviteError("邀请码无效、已过期或已经用过了，请向服务站工作人员重新获取。")
        await self.users.update_one(
            {"openid": openid},
            {
                "$set": {"role": "proxy", "station": invite["station"], "name": invite.get("name", "")},
                "$setOnInsert": {"openid": openid},
            },
            upsert=True,
        )
        return invite
