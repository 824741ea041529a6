"""Wiring of the staff console's services (accounts, sessions, throttling, the hand-off desk, the live queue).

Called by bot/app.py; the console's pages reach these through `services.console`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.handoff.canned import CannedReplies, seed_if_empty
from bot.handoff.desk import HandoffDesk, HandoffPolicy, summary
from bot.handoff.hours import WorkingHours
from bot.handoff.live import ChangePoller, LiveHub
from bot.handoff.queue import EscalationQueue
from bot.privacy import FieldCipher
from bot.staff.accounts import StaffAccounts
from bot.staff.sessions import SessionStore, check_secret
from bot.staff.throttle import LoginThrottle, ThrottlePolicy
from bot.staff.tokens import StaffTokens
from settings import SettingsError

log = logging.getLogger(__name__)


@dataclass
class ConsoleServices:
    accounts: StaffAccounts
    sessions: SessionStore
    throttle: LoginThrottle
    desk: HandoffDesk
    canned: CannedReplies
    hub: LiveHub
    poller: ChangePoller | None
    tokens: StaffTokens
    tasks: list = field(default_factory=list)

    def start(self) -> None:
        """Background work of a serving process: unclaimed-chat reminders and, on MongoDB, the change poll."""
        self.tasks.append(asyncio.ensure_future(self.desk.remind_forever()))
        if self.poller is not None:
            self.tasks.append(asyncio.ensure_future(self.poller.run()))

    def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        self.tasks.clear()


def live_hub() -> LiveHub:
    return LiveHub(summarize=summary)


async def build_console(
    config, store, wechat_api, dialogs, audit, queue: EscalationQueue, hub: LiveHub, notifications=None, password_hasher=None
) -> ConsoleServices:
    check_secret(config.env, config.secret)
    try:
        hours = WorkingHours(config.handoff_hours)
    except ValueError as exc:
        raise SettingsError(f"HANDOFF_HOURS: {exc}") from None
    policy = HandoffPolicy(
        hours=config.handoff_hours,
        unclaimed_minutes=config.handoff_unclaimed_minutes,
        answer_target_seconds=config.handoff_answer_target,
        phone=config.handoff_phone,
    )
    accounts = StaffAccounts(store.staff, password_hasher)
    desk = HandoffDesk(
        queue,
        store,
        wechat_api,
        dialogs,
        audit,
        policy,
        hours,
        accounts=accounts,
        cipher=FieldCipher(config.data_key),
        notifications=notifications,
    )
    canned = CannedReplies(store.canned_replies)
    await seed_if_empty(canned)
    throttle = LoginThrottle(
        store.login_throttle,
        ThrottlePolicy(
            delay_seconds=config.staff_login_delay, lock_after=config.staff_lock_after, lock_minutes=config.staff_lock_minutes
        ),
    )
    live = config.console_live
    if live == "auto":
        live = "memory" if store.embedded else "poll"
    poller = ChangePoller(store.escalations, hub, every=config.console_poll_seconds) if live == "poll" else None
    log.info("live queue: %s", "in-process" if poller is None else f"poll every {config.console_poll_seconds}s")
    sessions = SessionStore(store.staff_sessions, idle_minutes=config.staff_idle_minutes)
    sessions.on_end.append(hub.end)  # logout, password change and disable close the live sockets at once
    return ConsoleServices(
        accounts=accounts,
        tokens=StaffTokens(store.staff_tokens, accounts),
        sessions=sessions,
        throttle=throttle,
        desk=desk,
        canned=canned,
        hub=hub,
        poller=poller,
    )
