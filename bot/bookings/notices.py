"""What a booking's status change tells the people concerned (text composed here, sent by notifications)."""

from __future__ import annotations

from bot.bookings.dateparse import month_day
from bot.bookings.service import STATUS_LABELS


def rating_choices(number: str) -> dict:
    """Dialog state that makes a bare "1".."5" rate booking `number`."""
    return {"kind": "rating", "options": [1, 2, 3, 4, 5], "number": number}


class BookingNotices:
    """The `notifier` BookingService calls on every status change."""

    def __init__(self, notifier, store, dialogs):
        self.notifier = notifier
        self.store = store
        self.dialogs = dialogs

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
        await self.notifier.send(booking["booked_by"], text)
        if status == "completed":
            await self.dialogs.merge(booking["booked_by"], {"choices": rating_choices(booking["number"])})
        # The beneficiary, when they follow the account themselves and someone else booked. Only a verified
        # identity counts: an ID number someone typed for "myself" proves nothing (README, identity).
        beneficiary = await self.store.users.find_one({"verified_id_hash": booking["beneficiary"]["id_hash"]}, {"openid": 1})
        if beneficiary and beneficiary["openid"] != booking["booked_by"]:
            await self.notifier.send(beneficiary["openid"], text.replace("您的预约", "为您办理的预约"))
