"""Photos and files residents send on WeChat, fetched at once (media ids expire after 3 days) and kept encrypted.

In a chat with staff, a photo of a document is fetched through cgi-bin/media/get as soon as it arrives,
stored like an uploaded material (bot/miniprogram/materials.py: type read from the bytes, images re-encoded
without their metadata, voice and video kept as sent, AES-GCM at rest) under the chat (`chat-<id>`, purged
after the materials' retention period), and listed on the chat (`media`) for the console to show. A photo
sent in the middle of a booking form is fetched when the booking is submitted and kept with the booking as a
material.
"""

from __future__ import annotations

import asyncio
import logging

from pymongo import ReturnDocument
from pymongo.errors import PyMongoError

from bot.wechat.api import WeChatAPIError

log = logging.getLogger(__name__)

KEPT_TYPES = ("image", "file", "voice", "video", "shortvideo")
AS_SENT = ("voice", "video", "shortvideo")  # kept as received (MaterialStore.save_media); photos are re-encoded
LABELS = {
    "image": "居民在微信发来的照片",
    "file": "居民在微信发来的文件",
    "voice": "居民在微信发来的语音",
    "video": "居民在微信发来的视频",
    "shortvideo": "居民在微信发来的视频",
}


def chat_key(chat_id) -> str:
    """The material store's owner key of a chat's files (a booking's is its number)."""
    return f"chat-{chat_id}"


class MediaKeeper:
    def __init__(self, wechat_api, materials, escalations, *, refusals: tuple = (), on_change=None):
        self.wechat_api = wechat_api
        self.materials = materials  # bot.miniprogram.materials.MaterialStore
        self.refusals = refusals  # the store's error for a file it will not keep (its .message says why)
        self.escalations = escalations  # the `escalations` collection
        self.on_change = on_change  # the live queue's publish: the chat page shows the photo when it is in
        self._background: set[asyncio.Task] = set()

    def keep_for_chat(self, entry: dict, message, message_id: str) -> None:
        """Fetch and store the media of `message` (received in chat `entry`), off the reply path."""
        if message.type not in KEPT_TYPES or not getattr(message, "media_id", None):
            return
        self._spawn(self._keep_for_chat(entry, message, message_id))

    async def _keep_for_chat(self, entry: dict, message, message_id: str) -> None:
        record = {"message": message_id, "kind": message.type}
        owner = {"number": chat_key(entry["_id"]), "status": "submitted"}
        try:
            name = getattr(message, "title", "") or ""
            saved = await self._fetch_and_save(owner, message.source, message.type, message.media_id, name)
            record.update(file=saved["id"], content_type=saved["content_type"], filename=saved["filename"])
            await self.materials.purge_later(saved["id"])  # no booking will close: the retention clock starts now
        except (WeChatAPIError, MediaRefused) as exc:
            record["error"] = str(exc)
        try:
            updated = await self.escalations.find_one_and_update(
                {"_id": entry["_id"]}, {"$push": {"media": record}, "$inc": {"rev": 1}}, return_document=ReturnDocument.AFTER
            )
        except PyMongoError:
            log.exception("could not list a resident's photo on chat %s", entry["_id"])
            return
        if updated is not None and self.on_change is not None:
            self.on_change(updated)

    def attach_to_booking(self, booking: dict, openid: str, media: list[dict]) -> None:
        """`keep_for_booking`, off the reply path (the form's last answer is not slowed down)."""
        self._spawn(self.keep_for_booking(booking, openid, media))

    async def keep_for_booking(self, booking: dict, openid: str, media: list[dict]) -> int:
        """Store the media sent during the booking form with the booking; returns how many were kept."""
        kept = 0
        for item in media:
            if item.get("type") not in KEPT_TYPES:
                continue
            try:
                await self._fetch_and_save(booking, openid, item["type"], item["media_id"], item.get("name", ""))
                kept += 1
            except (WeChatAPIError, MediaRefused) as exc:
                log.warning("booking %s: a photo sent in the form was not kept: %s", booking["number"], exc)
        return kept

    async def _fetch_and_save(self, owner: dict, openid: str, kind: str, media_id: str, name: str) -> dict:
        try:
            data, _declared = await self.wechat_api.download_media(media_id, self.materials.max_bytes)
        except WeChatAPIError as exc:
            raise MediaRefused(f"未能从微信取回（{exc.errcode or '网络'}）") from None
        save = self.materials.save_media if kind in AS_SENT else self.materials.save
        try:
            return await save(owner, f"wechat:{openid}", LABELS[kind], name or LABELS[kind], data)
        except self.refusals as exc:
            raise MediaRefused(getattr(exc, "message", str(exc))) from None

    async def read(self, chat_id, file_id: str, reader: str) -> tuple[dict, bytes]:
        """A chat's stored file for staff (audited by the material store)."""
        return await self.materials.read(file_id, {"number": chat_key(chat_id)}, reader)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


class MediaRefused(Exception):
    """The media could not be fetched or kept; the message says why, for staff."""
