"""Builds the key-project services for bot/app.py (the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.bookings.workdays import WorkCalendar
from bot.privacy import FieldCipher
from bot.projects.alerts import ProjectAlerts
from bot.projects.chat import ProjectChat
from bot.projects.notices import ProjectNotices
from bot.projects.service import ProjectService


@dataclass
class Projects:
    service: ProjectService
    chat: ProjectChat
    alerts: ProjectAlerts


def build_projects(config, store, notifications, knowledge) -> Projects:
    def item_lookup(text: str) -> dict | None:
        """The catalogue item named by code or exact name; None for free text (not every approval is listed)."""
        index = knowledge().index
        found = index.item(text.strip().upper())
        return found or next((item for item in index.items.values() if item.get("name") == text.strip()), None)

    service = ProjectService(store, FieldCipher(config.data_key), WorkCalendar(), item_lookup)
    service.notices = ProjectNotices(notifications, service.contact)
    alerts = ProjectAlerts(service, notifications, store.db["staff"], config.notify_staff_openids)
    return Projects(service, ProjectChat(service), alerts)
