"""Wiring of the console's back-office services: the bookings desk, knowledge-base editing, the report,
the 96128 call log and 差评 follow-up. Called by bot/app.py; pages reach these through `services.backoffice`."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.bookings.desk import BookingDesk
from bot.catalog.editor import ItemEditor
from bot.offloop import PerUser
from bot.report.complaints import FollowUps
from bot.report.figures import ReportService
from bot.report.hotline import HotlineLog


@dataclass
class BackOffice:
    desk: BookingDesk
    editor: ItemEditor
    reports: ReportService
    hotline: HotlineLog
    followups: FollowUps
    long_work: PerUser = field(default_factory=PerUser)  # exports and imports: one at a time per staff member


def build_backoffice(config, store, bookings, stations, knowledge, audit, rollups=None) -> BackOffice:
    reports = ReportService(store, bookings.calendar, followup_workdays=config.report_followup_workdays, rollups=rollups)
    return BackOffice(
        desk=BookingDesk(
            bookings, store, stations, audit, agents_see_all=config.desk_agents_see_all, on_change=reports.invalidate
        ),
        editor=ItemEditor(store, knowledge, audit),
        reports=reports,
        hotline=HotlineLog(store.hotline_calls, audit, on_change=reports.invalidate),
        followups=FollowUps(store, audit, on_change=reports.invalidate),
    )
