"""How many materials a user and a booking may upload: per user per day, and per booking over its life.

Uploads are counted when they reach the checks (decoding costs the server whether or not the file is
kept), in `material_quota` counters keyed by `_id` (one indexed operation each; a TTL index removes old
days). Deleting a file does not give its upload back: the per-booking count covers every upload ever
made, so delete-and-upload cannot go round the per-booking file cap. `check` reads without counting and
runs before the request body is read; `take` counts and runs just before the file is decoded.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument

from bot.bookings.service import CHINA

DAILY_PER_USER = 30
LIFETIME_PER_BOOKING_FACTOR = 2  # uploads over a booking's life: this many times its file cap


class QuotaExceeded(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


class UploadQuota:
    def __init__(
        self, collection, *, daily_per_user: int = DAILY_PER_USER, per_booking: int = 40, clock=lambda: datetime.now(UTC)
    ):
        self.collection = collection
        self.daily_per_user = daily_per_user
        self.per_booking = per_booking
        self.clock = clock

    def _keys(self, uploader: str, number: str) -> tuple[str, str]:
        day = self.clock().astimezone(CHINA).strftime("%Y-%m-%d")
        return f"user:{uploader}:{day}", f"booking:{number}"

    def _refuse(self, key: str) -> QuotaExceeded:
        if key.startswith("user:"):
            return QuotaExceeded(429, "upload_quota", f"今天上传的文件已达 {self.daily_per_user} 个，请明天再传。")
        return QuotaExceeded(
            409, "too_many_files", f"这个预约已上传过 {self.per_booking} 次文件，不能再上传了。如需补充请联系工作人员。"
        )

    async def check(self, uploader: str, number: str) -> None:
        """Raise QuotaExceeded when the next upload would be over either limit (counts nothing)."""
        for key, limit in zip(self._keys(uploader, number), (self.daily_per_user, self.per_booking)):
            doc = await self.collection.find_one({"_id": key}, {"n": 1})
            if (doc["n"] if doc else 0) >= limit:
                raise self._refuse(key)

    async def take(self, uploader: str, number: str) -> None:
        """Count one upload against both limits, or raise QuotaExceeded (the attempt still counts)."""
        now = self.clock()
        for key, limit, keep in zip(
            self._keys(uploader, number), (self.daily_per_user, self.per_booking), (timedelta(days=2), timedelta(days=800))
        ):
            doc = await self.collection.find_one_and_update(
                {"_id": key},
                {"$inc": {"n": 1}, "$set": {"expires_at": now + keep}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            if doc["n"] > limit:
                raise self._refuse(key)
