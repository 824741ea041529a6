"""Canned replies: short standard answers supervisors maintain and agents insert with a keystroke."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId

from bot.handoff.desk import HandoffError

MAX_TITLE = 30
MAX_TEXT = 600


def _clean(title: str, text: str) -> tuple[str, str]:
    title, text = (title or "").strip(), (text or "").strip()
    if not title or not text:
        raise HandoffError("标题和内容都要填写。")
    if len(title) > MAX_TITLE or len(text) > MAX_TEXT:
        raise HandoffError(f"标题最多 {MAX_TITLE} 字，内容最多 {MAX_TEXT} 字。")
    return title, text


def _oid(reply_id: str) -> ObjectId:
    try:
        return ObjectId(reply_id)
    except (InvalidId, TypeError):
        raise HandoffError("没有这条常用语。") from None


class CannedReplies:
    def __init__(self, collection, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.clock = clock

    async def list(self) -> list[dict]:
        return [r async for r in self.collection.find({}).sort([("position", 1), ("_id", 1)]).limit(200)]

    async def create(self, title: str, text: str, by: str) -> dict:
        title, text = _clean(title, text)
        doc = {
            "title": title,
            "text": text,
            "position": await self.collection.count_documents({}),
            "updated_by": by,
            "updated_at": self.clock(),
        }
        doc["_id"] = (await self.collection.insert_one(doc)).inserted_id
        return doc

    async def update(self, reply_id: str, title: str, text: str, by: str) -> tuple[dict, dict]:
        title, text = _clean(title, text)
        before = await self.collection.find_one_and_update(
            {"_id": _oid(reply_id)}, {"$set": {"title": title, "text": text, "updated_by": by, "updated_at": self.clock()}}
        )
        if before is None:
            raise HandoffError("没有这条常用语。")
        after = await self.collection.find_one({"_id": before["_id"]})
        return before, after

    async def delete(self, reply_id: str) -> dict:
        doc = await self.collection.find_one_and_delete({"_id": _oid(reply_id)})
        if doc is None:
            raise HandoffError("没有这条常用语。")
        return doc


DEFAULTS = [
    ("问候", "您好，我是为民服务中心的工作人员，请问有什么可以帮您？"),
    ("稍等", "好的，我帮您查一下，请稍等。"),
    ("材料", "需要的材料以办事指南为准，我把清单发给您；有不清楚的地方随时问我。"),
    ("结束", "还有其他问题吗？没有的话本次服务就先到这里，祝您生活愉快。"),
]


async def seed_if_empty(canned: CannedReplies) -> None:
    if await canned.collection.count_documents({}) == 0:
        for title, text in DEFAULTS:
            await canned.create(title, text, "system")
