"""差评 follow-up (整改): staff record that a low rating was followed up, and each one is judged against
the configured number of working days from the day it was given."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ReturnDocument

from bot.privacy import mask_text
from bot.ratings import COMPLAINT_AT_OR_BELOW, label
from bot.report.periods import CHINA

STATE_LABELS = {"in_time": "已按时整改", "late": "超期整改", "overdue": "超期未整改", "open": "期限内未整改"}
COLLECTIONS = {"booking": "bookings", "escalation": "escalations", "hotline": "hotline_calls"}


class FollowUpError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def judge(kind: str, key: str, doc: dict, what: str, calendar, workdays: int, now: datetime) -> dict:
    """One 差评 as the report lists it, with its follow-up deadline and state."""
    rating = doc["rating"]
    rated_at = _aware(rating["at"])
    deadline = calendar.add_workdays(rated_at.astimezone(CHINA).date(), workdays)
    followup = rating.get("followup")
    if followup:
        done = _aware(followup["at"]).astimezone(CHINA).date()
        state = "in_time" if done <= deadline else "late"
    else:
        state = "overdue" if now.astimezone(CHINA).date() > deadline else "open"
    return {
        "kind": kind,
        "key": key,
        "what": what,
        "score": rating["score"],
        "level": label(rating["score"]),
        "comment": rating.get("comment", ""),
        "rated_at": rated_at,
        "deadline": deadline,
        "followup": followup,
        "state": state,
        "state_label": STATE_LABELS[state],
    }


class FollowUps:
    def __init__(self, store, audit, clock=lambda: datetime.now(UTC), on_change=None):
        self.store = store
        self.audit = audit
        self.clock = clock
        self.on_change = on_change  # the report's cache

    async def record(self, kind: str, key: str, staff: str, note: str) -> dict:
        """Mark the 差评 on a booking (key: its number), a chat (escalation id) or a hotline call (id) followed up."""
        note = mask_text((note or "").strip())[:300]
        if kind not in COLLECTIONS:
            raise FollowUpError("未知的评价来源。")
        if not note:
            raise FollowUpError("请写明整改、回访情况。")
        if kind == "booking":
            query: dict = {"number": key}
        else:
            try:
                query = {"_id": ObjectId(key)}
            except (InvalidId, TypeError):
                raise FollowUpError("没有找到这条评价。") from None
        query.update({"rating.score": {"$lte": COMPLAINT_AT_OR_BELOW}, "rating.followup": None})
        followup = {"at": self.clock(), "by": staff, "note": note}
        updated = await self.store.db[COLLECTIONS[kind]].find_one_and_update(
            query, {"$set": {"rating.followup": followup}}, return_document=ReturnDocument.AFTER
        )
        if updated is None:
            raise FollowUpError("没有找到这条差评，或已经登记过整改。")
        if self.on_change:
            self.on_change()
        await self.audit.record(f"staff:{staff}", "follow_up", f"{kind}:{key}", after={"note": note})
        return updated
