"""Outbound notifications: customer-service messages, recorded like every outbound message.

Callers say what to tell whom; this module never imports bookings (DESIGN.md layers).
"""

from __future__ import annotations

import logging

from pymongo.errors import PyMongoError

from bot.wechat.api import WeChatAPIError
from bot.wechat.inbox import outbound_record

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, wechat_api, store):
        self.wechat_api = wechat_api
        self.store = store

    async def send(self, openid: str, text: str, kind: str = "notification") -> bool:
        """Send a customer-service text; never raises (a failed notice is recorded as undelivered)."""
        delivered, extra = True, {}
        try:
            await self.wechat_api.send_text(openid, text)
        except WeChatAPIError as exc:
            delivered, extra = False, {"delivery": {"status": "failed", "errcode": exc.errcode}}
            log.warning("notification to a user failed: errcode %s", exc.errcode)
        try:
            await self.store.messages.insert_one(outbound_record(openid, text, kind if delivered else "undelivered", **extra))
        except PyMongoError:
            log.exception("could not record a notification")
        return delivered
