"""The customer-service window, tracked from our own `messages` records.

WeChat lets an account send customer-service messages only after the user interacted: for 48 hours
after a message from the user (bot.wechat.events.RESIDENT_TYPES; a platform report such as a
subscribe notification's result is no interaction), at most 5 of them; after a menu click, a follow or a
scan, 3 within one minute. Sending beyond that fails with 45015 / 45047. We count from what we stored: the user's inbound
records, and the outbound ones that were customer-service messages (notifications and late replies;
passive replies inside WeChat's 5 s do not count).

WeChat has the last word: once it refused a customer-service message with 45015 / 45047 (recorded on the
outbound record as `delivery.errcode`), the window is closed until the user writes again, whatever our
count says; so no further call is spent that can only fail, and staff see it before they type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import DESCENDING

from bot.wechat.events import RESIDENT_TYPES

MESSAGE_WINDOW = timedelta(hours=48)
MESSAGE_ALLOWANCE = 5
EVENT_WINDOW = timedelta(minutes=1)
EVENT_ALLOWANCE = 3
WINDOW_EVENTS = {"subscribe", "subscribe_scan", "click", "scan", "scancode_push", "scancode_waitmsg"}
COUNTED = {"customer_service", "notification"}  # outbound records that spent the allowance
SENT_BY_STAFF = {"agent", "handoff"}  # hand-off messages spend it too, when they went out
# WeChat's refusals that mean "the window is closed", as staff read them.
REFUSALS = {
    45015: "微信拒收了上一条客服消息（45015）：用户超过48小时没有发消息",
    45047: "微信拒收了上一条客服消息（45047）：48小时内的客服消息条数已用完",
}
PROJECTION = {
    "direction": 1,
    "type": 1,
    "content": 1,
    "answered_by": 1,
    "created_at": 1,
    "delivery.status": 1,
    "delivery.errcode": 1,
}
LOOKBACK = 200  # records read, newest first (one indexed query on messages.by_user)


@dataclass(frozen=True)
class WindowState:
    open: bool
    reason: str  # why it is closed (Chinese, for staff), or "" when open
    used: int = 0
    allowance: int = 0
    until: datetime | None = None  # when an open window closes

    @property
    def left(self) -> int:
        return max(self.allowance - self.used, 0)


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class CustomerServiceWindow:
    def __init__(self, messages):
        self.messages = messages

    async def state(self, openid: str, now: datetime) -> WindowState:
        cursor = (
            self.messages.find(
                {"openid": openid, "created_at": {"$gte": now - MESSAGE_WINDOW}},
                PROJECTION,
            )
            .sort("created_at", DESCENDING)
            .limit(LOOKBACK)
        )
        used = 0
        async for doc in cursor:
            if doc.get("direction") == "out":
                refused = (doc.get("delivery") or {}).get("errcode")
                if refused in REFUSALS:  # refused after the user's last message: closed until they write
                    return WindowState(False, REFUSALS[refused], used, MESSAGE_ALLOWANCE)
                how = doc.get("answered_by")
                used += how in COUNTED or (how in SENT_BY_STAFF and (doc.get("delivery") or {}).get("status") == "sent")
                continue
            if doc.get("type") == "event":
                event = (doc.get("content") or "").split(" ")[0].lower()
                if event == "unsubscribe":
                    return WindowState(False, "用户已取消关注")
                if event in WINDOW_EVENTS and now - doc["created_at"] <= EVENT_WINDOW and used < EVENT_ALLOWANCE:
                    return WindowState(True, "", used, EVENT_ALLOWANCE, aware(doc["created_at"]) + EVENT_WINDOW)
                continue  # other events open no window; an older message may have
            if doc.get("type") not in RESIDENT_TYPES:
                continue  # not a resident writing (a type WeChat added that we do not know)
            if used >= MESSAGE_ALLOWANCE:
                return WindowState(False, f"48小时内客服消息已用完（{used}/{MESSAGE_ALLOWANCE}）", used, MESSAGE_ALLOWANCE)
            return WindowState(True, "", used, MESSAGE_ALLOWANCE, aware(doc["created_at"]) + MESSAGE_WINDOW)
        return WindowState(False, "用户48小时内没有发过消息")
