"""/api/v1/admin/bookings/<number>/notifications: who was told what about a booking, when and how.

For the staff console's booking page (and `python -m bot.admin notices`): every notification with its
channel, text, status and attempts (channel, template, WeChat errcode, time), and the booking's
"未能通知" flag with the reason when nobody could be reached.
"""

from __future__ import annotations

from bot.bookings.notices import subject_of
from bot.bookings.service import NUMBER_PATTERN, Actor, BookingError
from handlers.admin import AdminHandler


class BookingNotificationsHandler(AdminHandler):
    async def get(self, number: str) -> None:
        try:
            booking = await self.bookings.get_for(Actor("staff", "api"), number)
        except BookingError as exc:
            self.fail(exc)
        history = await self.settings["notifications"].history(subject_of(booking))
        self.write_json({"number": booking["number"], "notice_problem": booking.get("notice_problem"), "notifications": history})


default_handlers = [
    (rf"/api/v1/admin/bookings/({NUMBER_PATTERN})/notifications", BookingNotificationsHandler),
]
