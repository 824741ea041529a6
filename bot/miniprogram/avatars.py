"""Avatars a mini-program user chose with chooseAvatar: the wxfile:// path exists only on the phone, so the file
is uploaded, re-encoded without metadata, cut down to a small square-bounded image, and served from an id
nobody can guess (`wxa_avatars`, one _id lookup per read). A new avatar replaces the old one."""

from __future__ import annotations

import asyncio
import io
import secrets
from datetime import UTC, datetime

from PIL import Image

from bot.miniprogram.materials import MaterialError, clean_image, sniff

AVATAR_MAX_BYTES = 2 * 1024 * 1024
AVATAR_SIDE = 256
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


def shrink(data: bytes, kind: str) -> tuple[bytes, str]:
    """A clean (metadata-free, upright) copy no larger than AVATAR_SIDE on either side."""
    data, kind = clean_image(data, kind)
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((AVATAR_SIDE, AVATAR_SIDE))
        out = io.BytesIO()
        image.save(out, "PNG" if kind == "image/png" else "JPEG", quality=85)
    return out.getvalue(), kind


class Avatars:
    def __init__(self, store, clock=lambda: datetime.now(UTC)):
        self.avatars = store.wxa_avatars
        self.users = store.wxa_users
        self.clock = clock

    async def save(self, openid: str, data: bytes, url_of) -> str:
        """Store the user's new avatar; returns its URL (`url_of(avatar_id)`)."""
        if not data:
            raise MaterialError(400, "file_empty", "文件是空的，请重新选择。")
        if len(data) > AVATAR_MAX_BYTES:
            raise MaterialError(413, "file_too_large", "头像图片太大了，请不要超过 2 MB。")
        kind = sniff(data)
        if kind not in IMAGE_TYPES:
            raise MaterialError(415, "file_type", "头像只能是照片（JPG、PNG、WebP）。")
        small, kind = await asyncio.to_thread(shrink, data, kind)
        avatar_id = secrets.token_urlsafe(16)
        await self.avatars.insert_one(
            {"_id": avatar_id, "openid": openid, "data": small, "content_type": kind, "created_at": self.clock()}
        )
        url = url_of(avatar_id)
        before = await self.users.find_one_and_update(
            {"_id": openid}, {"$set": {"avatar_id": avatar_id, "avatar_url": url}}, {"avatar_id": 1}
        )
        if before and before.get("avatar_id"):
            await self.avatars.delete_one({"_id": before["avatar_id"]})
        return url

    async def read(self, avatar_id: str) -> tuple[bytes, str] | None:
        found = await self.avatars.find_one({"_id": avatar_id})
        return (bytes(found["data"]), found["content_type"]) if found else None
