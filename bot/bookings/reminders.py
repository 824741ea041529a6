"""Reminder sweeps over bookings: the day before a home visit, and bookings nearing their due date without progress.

Every server process may run the sweep; each reminder carries a dedupe key (a unique index on
`notifications.dedupe`), so two sweeps queue it once. Quiet hours hold what a night sweep queues until morning.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

log = logging.getLogger(__name__)

SWEEP_SECONDS = 600
DUE_SOON_WORKDAYS = 2  # alert staff when this few working days are left
STALLED = ("submitted", "accepted", "assigned")  # not yet being worked on
VISIT_STATUSES = ("accepted", "assigned", "in_progress")


class BookingReminders:
    def __init__(self, service, notices):
        self.service = service  # BookingService: its clock and working-day calendar
        self.notices = notices

    async def sweep(self) -> dict:
        """Queue what is due now; returns how many notifications each kind queued."""
        today = self.service.today()
        tomorrow = (today + timedelta(days=1)).isoformat()
        visits = alerts = 0
        async for booking in self.service.bookings.find(
            {"kind": "home_visit", "preferred_date": tomorrow, "status": {"$in": list(VISIT_STATUSES)}}
        ):
            visits += await self.notices.visit_reminder(booking)
        horizon = self.service.calendar.add_workdays(today, DUE_SOON_WORKDAYS).isoformat()
        async for booking in self.service.bookings.find({"status": {"$in": list(STALLED)}, "due_date": {"$lte": horizon}}):
            if (booking.get("due_alert") or {}).get("due_date") == booking["due_date"]:
                continue
            alerts += await self.notices.due_alert(booking)
        if visits or alerts:
            log.info("reminder sweep queued %d visit reminders, %d due-date alerts", visits, alerts)
        return {"visit_reminders": visits, "due_alerts": alerts}

    async def run_forever(self, every: float = SWEEP_SECONDS) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # noqa: BLE001 - try again next time
                log.exception("reminder sweep failed")
            await asyncio.sleep(every)
