"""Telling people about their bookings: customer-service messages, recorded like every outbound message."""

from __future__ import annotations

import logging

from pymongo.errors import PyMongoError

from bot.bookings import STATUS_LABELS
from bot.dateparse import month_day
from bot.inbox import outbound_record
from bot.wechat_api import WeChatAPIError

log = logging.getLogger(__name__)


def rating_choices(number: str) -> dict:
    """Dialog state that makes a bare "1".."5" rate booking `number`."""
    return {"kind": "rating", "options": [1, 2, 3, 4, 5], "number": number}


class Notifier:
    def __init__(self, wechat_api, store, dialogs):
        self.wechat_api = wechat_api
        self.store = store
        self.dialogs = dialogs

    async def send(self, openid: str, text: str, kind: str = "notification") -> bool:
        """Send a customer-service text; never raises (a failed notice is recorded as undelivered)."""
        delivered = True
        try:
            await self.wechat_api.send_text(openid, text)
        except WeChatAPIError as exc:
            delivered = False
            log.warning("notification to a user failed: errcode %s", exc.errcode)
        try:
            await self.store.messages.insert_one(outbound_record(openid, text, kind if delivered else "undelivered"))
        except PyMongoError:
            log.exception("could not record a notification")
        return delivered

    async def status_changed(self, booking: dict, entry: dict) -> None:
        status = booking["status"]
        lines = [f"您的预约 {booking['number']}（{booking['item_name']}）{STATUS_LABELS[status]}。"]
        if entry.get("reason"):
            lines.append(f"原因：{entry['reason']}")
        if status in ("accepted", "assigned", "in_progress"):
            lines.append(f"预计 {month_day(booking['due_date'])} 前办结。")
        if status == "assigned" and booking.get("assignee"):
            lines.append(f"负责人：{booking['assignee']}")
        if status == "completed":
            lines.append("请为本次服务打分：回复1-5（5分最满意），也可以说说意见。")
        text = "\n".join(lines)
        await self.send(booking["booked_by"], text)
        if status == "completed":
            await self.dialogs.merge(booking["booked_by"], {"choices": rating_choices(booking["number"])})
        # The beneficiary, when they follow the account themselves and someone else booked.
        beneficiary = await self.store.users.find_one({"id_hash": booking["beneficiary"]["id_hash"]}, {"openid": 1})
        if beneficiary and beneficiary["openid"] != booking["booked_by"]:
            await self.send(beneficiary["openid"], text.replace("您的预约", "为您办理的预约"))
