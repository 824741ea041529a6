"""Quiet hours: between 21:00 and 08:00 China time only urgent notifications go out; others wait for morning."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.notifications.templates import CHINA


class QuietHours:
    def __init__(self, hours: tuple[int, int] | None):
        self.hours = hours  # (start, end) in whole hours, China time; None: never quiet

    def active(self, now: datetime) -> bool:
        if not self.hours:
            return False
        start, end = self.hours
        hour = now.astimezone(CHINA).hour
        return hour >= start or hour < end if start > end else start <= hour < end

    def end_after(self, now: datetime) -> datetime:
        """When the quiet period `now` falls in ends (now itself when it is not quiet)."""
        if not self.active(now):
            return now
        local = now.astimezone(CHINA)
        morning = local.replace(hour=self.hours[1], minute=0, second=0, microsecond=0)
        if morning <= local:
            morning += timedelta(days=1)
        return morning.astimezone(now.tzinfo)
