"""Due-date alerts for key projects: the 代办员 before a step falls due, the supervisors once it is late.

Staff hear through the notification service at the WeChat openid their account carries (set when the
console binds one) and at the duty openids of NOTIFY_STAFF_OPENIDS; each alert is queued once per step
and due date (the notification queue's dedupe key), so the sweep can run as often as it likes.
"""

from __future__ import annotations

import asyncio
import logging

from bot.bookings.dateparse import month_day
from bot.notifications.service import Recipient

log = logging.getLogger(__name__)

DUE_SOON_WORKDAYS = 1  # alert when a step is due within this many working days
SWEEP_SECONDS = 600


class ProjectAlerts:
    def __init__(self, service, notifications, staff_collection, duty_openids=()):
        self.service = service
        self.notifications = notifications
        self.staff = staff_collection
        self.duty_openids = tuple(duty_openids)

    async def _agent(self, project: dict) -> list[Recipient]:
        name = project.get("staff")
        if not name:
            return []
        doc = await self.staff.find_one({"$or": [{"username": name}, {"name": name}]}, {"openid": 1})
        return [Recipient(openid=doc["openid"], role="staff", label=f"代办员{name}")] if doc and doc.get("openid") else []

    async def _supervisors(self) -> list[Recipient]:
        found = self.staff.find({"role": {"$in": ["supervisor", "admin"]}, "openid": {"$ne": None}}, {"openid": 1})
        openids = [doc["openid"] async for doc in found if doc.get("openid")]
        return [Recipient(openid=o, role="staff", label="班长") for o in dict.fromkeys([*openids, *self.duty_openids])]

    async def sweep(self) -> dict:
        """Queue the alerts due now; returns how many of each kind were queued."""
        today = self.service.today()
        soon = self.service.calendar.add_workdays(today, DUE_SOON_WORKDAYS).isoformat()
        counts = {"due_soon": 0, "late": 0}
        async for project in self.service.projects.find({"steps.status": "received"}):
            for step in project["steps"]:
                due = step.get("due_date")
                if step["status"] != "received" or not due or due > soon:
                    continue
                late = due < today.isoformat()
                kind = "late" if late else "due_soon"
                where = f"项目「{project['name']}」（{project['code']}）的 {step['department']} {step['item_name']}"
                text = (
                    f"{where} 已超过办结期限（{month_day(due)}），请督办。"
                    if late
                    else f"{where} 将于{month_day(due)}到期，请跟进。"
                )
                fields = {
                    "number": project["code"],
                    "item": f"{step['department']} {step['item_name']}",
                    "due": due,
                    "status": "已逾期" if late else "即将到期",
                }
                to_list = await self._supervisors() if late else [*await self._agent(project), *await self._duty()]
                for to in to_list:
                    key = f"project_{kind}:{project['code']}:{step['id']}:{due}:{to.openid}"
                    notice = await self.notifications.enqueue(
                        "staff_alert", to, text, fields, subject=f"project:{project['code']}", dedupe=key
                    )
                    counts[kind] += notice is not None
        if any(counts.values()):
            log.info("project alert sweep queued %d due-soon and %d late alerts", counts["due_soon"], counts["late"])
        return counts

    async def _duty(self) -> list[Recipient]:
        return [Recipient(openid=o, role="staff", label="值班工作人员") for o in self.duty_openids]

    async def run_forever(self, every: float = SWEEP_SECONDS) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("project alert sweep failed")
            await asyncio.sleep(every)
