"""Reminder sweeps over bookings: the day before a home visit, and bookings nearing their due date without progress.

Every server process may run the sweep; each reminder carries a dedupe key (a unique index on
`notifications.dedupe`), so two sweeps queue it once. Quiet hours hold what a night sweep queues until morning.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.offloop import off_loop

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
        """Queue what is due now; returns how many notifications each kind queued.

        Which bookings are due is read off the event loop (a forked snapshot on the embedded store, where a
        query holds the loop for as long as it runs); then each one is read again by `_id` (it may have
        moved on since), handled, and the loop serves others before the next: thousands of due-date alerts
        after a long weekend never make a resident wait."""
        today = self.service.today()
        tomorrow = (today + timedelta(days=1)).isoformat()
        horizon = self.service.calendar.add_workdays(today, DUE_SOON_WORKDAYS).isoformat()
        visits_query = {"kind": "home_visit", "preferred_date": tomorrow, "status": {"$in": list(VISIT_STATUSES)}}
        due_query = {"status": {"$in": list(STALLED)}, "due_date": {"$lte": horizon}}
        bookings = self.service.bookings

        async def due_now() -> tuple[list, list]:
            visits = [b["_id"] async for b in bookings.find(visits_query, {"_id": 1})]
            stalled = [
                b["_id"]
                async for b in bookings.find(due_query, {"due_date": 1, "due_alert": 1})
                if (b.get("due_alert") or {}).get("due_date") != b["due_date"]
            ]
            return visits, stalled

        visit_ids, stalled_ids = await off_loop(self.service.store, due_now)
        visits = alerts = 0
        for booking_id in visit_ids:
            booking = await bookings.find_one({"_id": booking_id, **visits_query})
            if booking is not None:
                visits += await self.notices.visit_reminder(booking)
            await asyncio.sleep(0)
        for booking_id in stalled_ids:
            booking = await bookings.find_one({"_id": booking_id, **due_query})
            if booking is not None and (booking.get("due_alert") or {}).get("due_date") != booking["due_date"]:
                alerts += await self.notices.due_alert(booking)
            await asyncio.sleep(0)
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
