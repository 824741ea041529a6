"""What a booking's status change tells the people concerned (composed here, queued and sent by notifications).

Recipients of a booking's notices:
- the person who booked (WeChat; and the contact phone when a resident booked, for SMS);
- the beneficiary, when someone else booked: through WeChat if their identity is verified and they follow
  the account, and by SMS to the contact phone when a station proxy booked for a villager without WeChat.
A notice nobody could receive flags the booking "未能通知" with the reason, for staff to phone.
"""

from __future__ import annotations

from datetime import timedelta

from bot.bookings.dateparse import month_day
from bot.bookings.service import STATUS_LABELS
from bot.notifications.service import Recipient
from bot.notifications.templates import china_date, china_time

# Template `phrase` keywords take at most 5 characters.
STATUS_PHRASES = {
    "submitted": "待受理",
    "accepted": "已受理",
    "assigned": "已派人",
    "in_progress": "办理中",
    "completed": "已办结",
    "cancelled": "已取消",
    "rejected": "未通过",
}
RATING_TEXT = "请为本次服务打分：回复1-5（5分最满意），也可以说说意见。"
# A villager who cannot answer in WeChat (SMS only, or no phone): the proxy who booked asks them and records it.
PROXY_RATING_TEXT = "请当面或电话问问服务对象对本次服务是否满意，再替TA回复1-5（5分最满意）代为记录。"
RESIDENT_ROLES = ("booker", "beneficiary")


def rating_choices(number: str) -> dict:
    """Dialog state that makes a bare "1".."5" rate booking `number`."""
    return {"kind": "rating", "options": [1, 2, 3, 4, 5], "number": number}


def subject_of(booking: dict) -> str:
    return f"booking:{booking['number']}"


class BookingNotices:
    """The `notifier` BookingService calls on every status change; also reminders and due-date alerts."""

    def __init__(self, notifications, store, dialogs, cipher, config=None):
        self.notifications = notifications
        self.store = store
        self.dialogs = dialogs
        self.cipher = cipher
        self.staff_openids = tuple(getattr(config, "notify_staff_openids", ()) or ())
        notifications.listeners.append(self.on_outcome)

    # ---- who hears about a booking ----

    def contact_phone(self, booking: dict) -> str | None:
        enc = booking["beneficiary"].get("phone_enc")
        return self.cipher.decrypt(enc, "beneficiary.phone") if enc else None

    def sms_phone(self, booking: dict) -> str | None:
        """The beneficiary's own mobile: a landline, or the station's number for someone without a phone, gets no SMS."""
        return self.contact_phone(booking) if booking["beneficiary"].get("phone_kind", "mobile") == "mobile" else None

    async def residents(self, booking: dict) -> list[tuple[Recipient, str]]:
        """(recipient, how the text addresses them) for the booker and, when someone else booked, the beneficiary."""
        phone = self.sms_phone(booking)
        by_proxy = booking.get("booked_by_kind") == "proxy"
        # A mini-program user with no Official Account link booked under their mini-program openid, which the
        # Official Account's channels cannot address.
        in_wxa_only = booking.get("wxa_openid") and booking["booked_by"] == booking["wxa_openid"]
        booker = Recipient(
            openid=None if in_wxa_only else booking["booked_by"],
            phone=None if by_proxy else phone,
            wxa_openid=booking.get("wxa_openid"),
            role="booker",
            label="代办员" if by_proxy else "预约人",
        )
        out = [(booker, "您的预约")]
        if not booking.get("on_behalf"):
            return out
        # Only a verified identity counts: an ID number someone typed for "myself" proves nothing (README, identity).
        follower = await self.store.users.find_one({"verified_id_hash": booking["beneficiary"]["id_hash"]}, {"openid": 1})
        openid = follower["openid"] if follower and follower["openid"] != booking["booked_by"] else None
        if openid or by_proxy:
            beneficiary = Recipient(openid=openid, phone=phone if by_proxy else None, role="beneficiary", label="服务对象")
            out.append((beneficiary, "为您办理的预约"))
        return out

    # ---- status changes ----

    async def status_changed(self, booking: dict, entry: dict) -> None:
        status = booking["status"]
        lines = [f"您的预约 {booking['number']}（{booking['item_name']}）{STATUS_LABELS[status]}。"]
        note = ""
        if entry.get("reason"):
            lines.append(f"原因：{entry['reason']}")
            note = entry["reason"]
        if status in ("accepted", "assigned", "in_progress"):
            lines.append(f"预计 {month_day(booking['due_date'])} 前办结。")
            note = note or f"预计{month_day(booking['due_date'])}前办结"
        if status == "assigned" and booking.get("assignee"):
            lines.append(f"负责人：{booking['assignee']}")
            note = f"负责人{booking['assignee']}，预计{month_day(booking['due_date'])}前办结"
        if status == "completed":
            note = "感谢您的耐心等待"
        fields = {
            "number": booking["number"],
            "item": booking["item_name"],
            "status": STATUS_PHRASES[status],
            "time": china_time(entry["at"]),
            "note": note or STATUS_LABELS[status],
        }
        text = "\n".join(lines)
        subject = subject_of(booking)
        urgent = status in ("cancelled", "rejected") and self._visit_is_imminent(booking, entry)
        recipients = await self.residents(booking)
        # Who is asked to rate: the person served when they can answer here (a verified follower), else whoever
        # booked; a proxy books for villagers who cannot answer here, so the proxy asks them and records it.
        served = next((to for to, _a in recipients if to.role == "beneficiary" and to.openid), None)
        rater = "beneficiary" if served else "booker"
        for to, address in recipients:
            notice = await self.notifications.enqueue(
                "booking_status", to, text.replace("您的预约", address), fields, subject=subject, urgent=urgent
            )
            if status == "completed" and to.role == rater:
                proxy = rater == "booker" and booking.get("booked_by_kind") == "proxy"
                await self.notifications.enqueue(
                    "rating_request",
                    to,
                    PROXY_RATING_TEXT if proxy else RATING_TEXT,
                    {**fields, "note": "请问服务对象后代为打分" if proxy else "回复1-5为服务打分"},
                    subject=subject,
                    after=notice,
                )
        if status == "completed" and served:
            await self.store.bookings.update_one({"number": booking["number"]}, {"$set": {"rating_from": served.openid}})
            await self.dialogs.merge(served.openid, {"choices": rating_choices(booking["number"])})
        elif status == "completed":
            await self.dialogs.merge(booking["booked_by"], {"choices": rating_choices(booking["number"])})

    def _visit_is_imminent(self, booking: dict, entry: dict) -> bool:
        """A home visit today or tomorrow was called off: someone may be waiting at home, tell them at once."""
        if booking.get("kind") != "home_visit":
            return False
        from bot.bookings.service import today_in_china

        return booking["preferred_date"] <= (today_in_china(entry["at"]) + timedelta(days=1)).isoformat()

    # ---- reminders ----

    async def visit_reminder(self, booking: dict) -> int:
        """The day before a home visit: the resident(s), the station's proxies and the assigned staff member."""
        day = booking["preferred_date"]
        when = f"明天（{month_day(day)}）"
        fields = {
            "number": booking["number"],
            "item": booking["item_name"],
            "date": china_date(day),
            "note": "请家中留人并备好证件",
        }
        queued = 0
        what = f"「{booking['item_name']}」（预约 {booking['number']}）"
        resident_text = f"提醒：{when}工作人员上门办理{what}。请家中留人，备好身份证件。"
        for i, (to, _address) in enumerate(await self.residents(booking)):
            queued += await self._remind(to, resident_text, fields, booking["number"], day, i)
        staff_text = f"{when}有上门服务：{what}，地址和电话请在工作台查看。"
        staff_fields = {**fields, "note": "地址电话请在工作台查看"}
        for i, to in enumerate(await self._station_and_assignee(booking)):
            queued += await self._remind(to, staff_text, staff_fields, booking["number"], day, i)
        return queued

    async def _remind(self, to: Recipient, text: str, fields: dict, number: str, day: str, position: int) -> int:
        # The booking number and the recipient's role (and openid, or place in the list for SMS-only
        # recipients): never a phone number, which would sit in the store in the clear.
        key = f"visit:{number}:{day}:{to.role}:{to.openid or f'#{position}'}"
        queued = await self.notifications.enqueue("visit_reminder", to, text, fields, subject=f"booking:{number}", dedupe=key)
        return int(queued is not None)

    async def _station_and_assignee(self, booking: dict) -> list[Recipient]:
        out = []
        assignee = await self._assignee(booking)
        async for proxy in self.store.users.find({"role": "proxy", "station": booking["station"]}, {"openid": 1}):
            if proxy["openid"] not in (booking["booked_by"], assignee and assignee.openid):
                out.append(Recipient(openid=proxy["openid"], role="proxy", label="服务站代办员"))
        if assignee:
            out.append(assignee)
        return out

    async def _assignee(self, booking: dict) -> Recipient | None:
        """Whoever the booking is assigned to (the desk's `assignee_ref`): a village proxy, or a staff member
        whose account carries a WeChat openid (staff accounts have none unless the console binds one)."""
        ref = booking.get("assignee_ref") or {}
        label = booking.get("assignee") or ""
        if ref.get("kind") == "proxy":
            return Recipient(openid=ref["id"], role="proxy", label=f"负责代办员{label}")
        query = {"username": ref["id"]} if ref.get("kind") == "staff" else ({"name": label} if label else None)
        if query is None:
            return None
        doc = await self.store.db["staff"].find_one(query, {"openid": 1})
        if doc and doc.get("openid"):
            return Recipient(openid=doc["openid"], role="staff", label=f"负责人{label}")
        return None

    async def due_alert(self, booking: dict) -> int:
        """A booking nearing its due date without progress: staff hear of it, and the booking carries the alert."""
        await self.store.bookings.update_one(
            {"_id": booking["_id"]},  # by _id: the sweep alerts many bookings in a row
            {"$set": {"due_alert": {"due_date": booking["due_date"], "status": booking["status"]}}},
        )
        text = (
            f"预约 {booking['number']}「{booking['item_name']}」将于{month_day(booking['due_date'])}到期，"
            f"目前仍是“{STATUS_LABELS[booking['status']]}”，请尽快办理。"
        )
        fields = {
            "number": booking["number"],
            "item": booking["item_name"],
            "due": china_date(booking["due_date"]),
            "status": STATUS_PHRASES[booking["status"]],
        }
        recipients = [Recipient(openid=o, role="staff", label="值班工作人员") for o in self.staff_openids]
        assignee = await self._assignee(booking)
        if assignee and assignee.openid not in self.staff_openids:
            recipients.append(assignee)
        queued = 0
        for to in recipients:
            key = f"due:{booking['number']}:{booking['due_date']}:{to.openid}"
            queued += (
                await self.notifications.enqueue("staff_alert", to, text, fields, subject=subject_of(booking), dedupe=key)
                is not None
            )
        return queued

    # ---- outcomes ----

    async def on_outcome(self, notification: dict, status: str) -> None:
        """Flag a booking whose resident could not be told; clear the flag when a later notice reaches them."""
        subject = notification.get("subject") or ""
        if not subject.startswith("booking:") or notification["to"].get("role") not in RESIDENT_ROLES:
            return
        number = subject.split(":", 1)[1]
        if status == "failed":
            problem = {
                "reason": notification.get("failure"),
                "at": notification.get("finished_at"),
                "kind": notification["kind"],
                "to": notification["to"].get("label"),
                "text": notification["text"],
            }
            await self.store.bookings.update_one({"number": number}, {"$set": {"notice_problem": problem}})
        elif status == "sent":
            await self.store.bookings.update_one(
                {"number": number, "notice_problem.to": notification["to"].get("label")}, {"$unset": {"notice_problem": ""}}
            )
