"""The 96128 government-service hotline's call log: staff record each call, so the report can give the
line's own figures (查询, 转接, 转接成功率, 满意率) beside the chat's."""

from __future__ import annotations

from datetime import UTC, datetime

from pymongo import DESCENDING

from bot.privacy import mask_text

TOPICS = ("办事指南", "政策咨询", "进度查询", "预约代办上门", "投诉建议", "其他")
OUTCOMES = {"answered": "直接解答", "transferred": "转接"}


class HotlineError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class HotlineLog:
    def __init__(self, collection, audit, clock=lambda: datetime.now(UTC), on_change=None):
        self.collection = collection
        self.audit = audit
        self.clock = clock
        self.on_change = on_change  # the report's cache

    async def record(
        self,
        staff: str,
        *,
        topic: str,
        outcome: str,
        item_code: str = "",
        item_name: str = "",
        transfer_to: str = "",
        transfer_answered: bool | None = None,
        score: int | None = None,
        note: str = "",
        at: datetime | None = None,
    ) -> dict:
        if topic not in TOPICS:
            raise HotlineError("请选择来电事由。")
        if outcome not in OUTCOMES:
            raise HotlineError("请选择处理方式：直接解答或转接。")
        if outcome == "transferred" and transfer_answered is None:
            raise HotlineError("转接的来电请选择转接后是否有人接听处理。")
        if score is not None and not 1 <= score <= 5:
            raise HotlineError("评价须是 1 到 5。")
        now = self.clock()
        call = {
            "at": at or now,
            "logged_at": now,
            "staff": staff,
            "topic": topic,
            "item_code": item_code or None,
            "item_name": item_name or None,
            "outcome": outcome,
            "transfer_to": mask_text(transfer_to.strip())[:60] or None,
            "transfer_answered": transfer_answered if outcome == "transferred" else None,
            "rating": {"score": score, "at": at or now} if score else None,
            # What callers say may hold ID or phone numbers: masked like every stored text.
            "note": mask_text(note.strip())[:500],
        }
        result = await self.collection.insert_one(call)
        call["_id"] = result.inserted_id
        if self.on_change:
            self.on_change()
        await self.audit.record(
            f"staff:{staff}", "log_call", f"hotline:{result.inserted_id}", after={k: v for k, v in call.items() if k != "_id"}
        )
        return call

    async def recent(self, limit: int = 20, staff: str | None = None) -> list[dict]:
        query = {"staff": staff} if staff else {}
        return [c async for c in self.collection.find(query).sort("at", DESCENDING).limit(limit)]
