"""The mini-program's services, built once by bot/app.py and reached by handlers/api through settings."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot.bookings.online import OnlineBookingForm
from bot.bookings.service import OPEN_STATUSES
from bot.limits import RequestRateLimit
from bot.miniprogram.accounts import MiniProgramAccounts
from bot.miniprogram.avatars import Avatars
from bot.miniprogram.content import NoContentCheck, WeChatContentCheck
from bot.miniprogram.materials import MaterialStore
from bot.privacy import FieldCipher

log = logging.getLogger(__name__)


@dataclass
class MiniProgram:
    config: object
    accounts: MiniProgramAccounts
    content: object  # WeChatContentCheck | NoContentCheck
    materials: MaterialStore
    avatars: Avatars
    form: OnlineBookingForm
    bookings: object  # BookingService
    stations: object  # StationDirectory
    knowledge: object  # KnowledgeService
    subscriptions: object  # bot.notifications.subscriptions.Subscriptions
    invites: object  # InviteService
    user_limit: RequestRateLimit
    address_limit: RequestRateLimit
    login_limit: RequestRateLimit


def build_miniprogram(config, store, wechat_api, bookings, stations, knowledge, notifications, invites, audit) -> MiniProgram:
    accounts = MiniProgramAccounts(
        store,
        wechat_api,
        config.secret,
        FieldCipher(config.data_key),
        access_minutes=config.api_token_minutes,
        refresh_days=config.api_refresh_days,
    )
    materials = MaterialStore(
        store,
        config.data_key,
        audit,
        max_bytes=config.materials_max_mb * 1024 * 1024,
        retention_days=config.materials_retention_days,
        daily_per_user=config.materials_daily_per_user,
    )
    return MiniProgram(
        config=config,
        accounts=accounts,
        content=WeChatContentCheck(wechat_api) if config.content_check == "wechat" else NoContentCheck(),
        materials=materials,
        avatars=Avatars(store),
        form=OnlineBookingForm(bookings, stations, knowledge),
        bookings=bookings,
        stations=stations,
        knowledge=knowledge,
        subscriptions=notifications.subscriptions,
        invites=invites,
        user_limit=RequestRateLimit(config.api_rate_per_minute),
        address_limit=RequestRateLimit(config.api_address_rate_per_minute),
        login_limit=RequestRateLimit(config.api_login_per_minute),
    )


RETENTION_SWEEP_SECONDS = 3600


async def sweep_materials(miniprogram: MiniProgram) -> int:
    """Start the retention clock of materials whose booking closed (however it closed: desk, chat, API), and
    delete those past it. Returns how many files were deleted."""
    store = miniprogram.materials
    numbers = await store.files.distinct("booking", {"purge_after": None})
    for number in numbers:
        booking = await miniprogram.bookings.bookings.find_one({"number": number})
        if booking is not None and booking["status"] not in OPEN_STATUSES:
            await store.mark_closed(booking)
    return await store.purge_expired()


async def sweep_materials_forever(miniprogram: MiniProgram, every: float = RETENTION_SWEEP_SECONDS) -> None:
    while True:
        try:
            deleted = await sweep_materials(miniprogram)
            if deleted:
                log.info("materials past retention deleted: %d", deleted)
        except Exception:  # noqa: BLE001 - try again next hour
            log.exception("materials retention sweep failed")
        await asyncio.sleep(every)
