"""Builds the Tornado application: services are created once here and reach handlers via settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from tornado import web

from bot.backoffice import BackOffice, build_backoffice
from bot.bookings.chat import build_booking_services
from bot.bookings.invites import InviteService
from bot.bookings.reminders import BookingReminders
from bot.bookings.scan import StationScan
from bot.bookings.service import BookingService
from bot.console import ConsoleServices, build_console, live_hub
from bot.conversation import texts
from bot.conversation.assistant import Assistant
from bot.conversation.built_indexes import BuiltIndexes
from bot.conversation.dialog import DialogStore
from bot.conversation.knowledge import KnowledgeService
from bot.embedded_index.warm import warm as warm_indexes
from bot.expiring import expiring_map
from bot.handoff.media import MediaKeeper
from bot.handoff.queue import EscalationQueue
from bot.limits import MessageRateLimit
from bot.miniprogram.materials import MaterialError
from bot.miniprogram.services import MiniProgram, build_miniprogram
from bot.notifications.events import NotificationEvents
from bot.notifications.service import NotificationService
from bot.projects.build import Projects, build_projects
from bot.report.figures import fallback_replies
from bot.report.merge import MergedRollups
from bot.report.rollups import Rollups
from bot.staff.audit import AuditLog
from bot.store import Store
from bot.wechat.api import WeChatAPI
from bot.wechat.crypto import FastWeChatCrypto
from bot.wechat.inbox import Inbox
from bot.wechat.replay import replay_guard
from bot.wechat.routing import CallbackRouter
from settings import Settings

log = logging.getLogger(__name__)

# Every process answers from an edited item within this plus the index rebuild (about a second).
KB_REFRESH_SECONDS = 2
# Events a user's phone may send per message allowed (LOCATION reports every 5 s are 12 a minute).
EVENTS_PER_MESSAGE = 4


@dataclass
class Services:
    """Everything a handler may need; tests replace any of them."""

    config: Settings
    store: Store
    knowledge: KnowledgeService
    wechat_api: WeChatAPI
    assistant: Assistant
    inbox: Inbox
    bookings: BookingService
    audit: AuditLog
    invites: InviteService
    notifications: NotificationService
    reminders: BookingReminders
    backoffice: BackOffice | None = None
    console: ConsoleServices | None = None
    miniprogram: MiniProgram | None = None
    projects: Projects | None = None

    def close(self) -> None:
        self.notifications.stop()
        if self.console is not None:
            self.console.stop()
        self.wechat_api.close()
        if self.backoffice is not None and self.backoffice.reports.rollups is not None:
            self.backoffice.reports.rollups.detach()
        self.store.close()


async def build_services(
    config: Settings,
    store: Store | None = None,
    built: BuiltIndexes | None = None,
    password_hasher: PasswordHasher | None = None,
) -> Services:
    """Open the store, seed and index the knowledge base, and wire the conversation.

    `built` shares parsed item files and built indexes between builds (the tests' one per run);
    `password_hasher` sets the staff passwords' argon2 cost (argon2-cffi's defaults when None)."""
    store = store or Store.connect(
        config.mongodb_uri, config.mongodb_db, data_dir=config.data_dir if config.embedded_store else None
    )
    await store.ensure_indexes()
    knowledge = KnowledgeService(store, built)
    await knowledge.seed_if_empty()
    await knowledge.load()
    wechat_api = WeChatAPI(config, store)
    dialogs = DialogStore(expiring_map(store, "conversations"))
    hub = live_hub()
    escalations = EscalationQueue(store.escalations, on_change=hub.publish)
    if store.embedded:  # one process: who has an open hand-off is known here, not scanned for per message
        await escalations.track_open()
    audit = AuditLog(store.audit)
    notifications = NotificationService(store, wechat_api, config)
    console = await build_console(config, store, wechat_api, dialogs, audit, escalations, hub, notifications, password_hasher)
    booking_dialog, stations, bookings, invites, reminders = await build_booking_services(
        config, store, notifications, dialogs, escalations, knowledge
    )
    projects = build_projects(config, store, notifications, knowledge)
    miniprogram = build_miniprogram(config, store, wechat_api, bookings, stations, knowledge, notifications, invites, audit)
    media = MediaKeeper(
        wechat_api, miniprogram.materials, store.escalations, refusals=(MaterialError,), on_change=escalations.changed
    )
    console.desk.media = media
    booking_dialog.form.on_media = media.attach_to_booking
    assistant = Assistant(
        understander=knowledge,
        dialogs=dialogs,
        escalations=escalations,
        base_url=config.base_url,
        bookings=booking_dialog,
        stations=stations,
        handoff=console.desk,
        on_follow=miniprogram.accounts.learn_unionid,
        commands=projects.chat.commands(),
    )
    router = CallbackRouter(
        assistant.answer,
        message_limit=MessageRateLimit(config.rate_per_minute, config.rate_per_hour),
        event_limit=MessageRateLimit(config.rate_per_minute * EVENTS_PER_MESSAGE, config.rate_per_hour * EVENTS_PER_MESSAGE),
        too_fast=texts.TOO_FAST,
    )
    NotificationEvents(notifications, store.users).register(router)
    StationScan(stations, store.users, assistant.answer).register(router)
    router.on("unsubscribe", console.desk.unfollowed)
    inbox = Inbox(store, router.answer, wechat_api.send_text, budget=config.reply_budget)
    if store.embedded:  # daily report counters kept with every write (bot/report/rollups.py)
        rollups = Rollups(store, fallback_replies())
        await rollups.attach()
        warm_indexes(store)  # before the server listens: no resident waits for an index's first build
    else:  # on MongoDB the database merges them in the background (bot/report/merge.py)
        rollups = MergedRollups(store, fallback_replies())
        rollups.start()
    backoffice = build_backoffice(config, store, bookings, stations, knowledge, audit, rollups)
    return Services(
        config,
        store,
        knowledge,
        wechat_api,
        assistant,
        inbox,
        bookings,
        audit,
        invites,
        notifications,
        reminders,
        backoffice,
        console,
        miniprogram,
        projects,
    )


def make_app(services: Services, **overrides) -> web.Application:
    from handlers import default_handlers
    from handlers.log import log_request

    config = services.config
    crypto = FastWeChatCrypto(config.wechat_token, config.wechat_aes_key, config.wechat_appid) if config.wechat_aes_key else None
    settings = dict(
        config=config,
        services=services,
        store=services.store,
        knowledge=services.knowledge,
        inbox=services.inbox,
        wechat_api=services.wechat_api,
        bookings=services.bookings,
        audit=services.audit,
        invites=services.invites,
        console=services.console,
        miniprogram=services.miniprogram,
        projects=services.projects.service if services.projects else None,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Strict"},
        notifications=services.notifications,
        wechat_crypto=crypto,
        replay_guard=replay_guard(services.store, config.wechat_max_skew),
        cookie_secret=config.secret,
        template_path=str(Path(__file__).resolve().parent.parent / "handlers" / "templates"),
        log_function=log_request,
        xsrf_cookies=False,
    )
    settings.update(overrides)
    routes = list(default_handlers)
    if config.uses_sandbox:
        from handlers.wechat_sandbox import SandboxState, sandbox_handlers

        log.warning("dev placeholders: outbound WeChat API calls go to the sandbox at /dev/wechat-api/")
        sandbox = settings["sandbox"] = SandboxState()  # the console's chat page switches its refusals
        routes = sandbox_handlers("/dev/wechat-api/", sandbox) + routes
    from handlers.proxies import Application

    return Application(routes, trusted_proxies=config.trusted_proxies, **settings)


async def refresh_knowledge_forever(knowledge: KnowledgeService, every: float = KB_REFRESH_SECONDS) -> None:
    """Rebuild this process's index when another process (or the console) edited the items."""
    while True:
        await asyncio.sleep(every)
        try:
            await knowledge.refresh_if_changed()
        except Exception:  # noqa: BLE001 - keep serving the old index, try again next tick
            log.exception("knowledge base refresh failed")
