"""Routing each callback by kind: resident messages to the conversation (behind the rate limit), events to
the handlers registered for them (WeRoBot's and wechatpy's registry by event name, not an if/elif chain).

Capabilities register what they do with an event at composition (bot/app.py): notifications take the
template and subscribe-notification results, the hand-off desk takes `unsubscribe`, the conversation
greets on `subscribe` and answers menu clicks. Several handlers may listen to one event; the reply is the
first one's that says something, and when none does the conversation's own registry answers (the
welcome on `subscribe`, nothing on a send report). An event never counts against the resident's message
limit: a LOCATION report every five seconds must not silence their next question. Events have their own,
generous limit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.wechat.events import is_resident_message

log = logging.getLogger(__name__)

Handler = Callable[[object], Awaitable[str | None]]


def event_name(message) -> str:
    return (getattr(message, "event", "") or "").lower()


class CallbackRouter:
    def __init__(self, conversation: Handler, *, message_limit=None, event_limit=None, too_fast: str = ""):
        self.conversation = conversation  # async (message) -> reply: the assistant
        self.message_limit = message_limit  # bot.limits.MessageRateLimit for resident messages
        self.event_limit = event_limit  # a separate, generous one for events
        self.too_fast = too_fast
        self.by_event: dict[str, list[Handler]] = {}

    def on(self, event: str, handler: Handler) -> None:
        """Register `handler` for events named `event` (lower case, as wechatpy names them)."""
        self.by_event.setdefault(event.lower(), []).append(handler)

    async def answer(self, message) -> str | None:
        if is_resident_message(message):
            verdict = self.message_limit.check(message.source) if self.message_limit else "ok"
            if verdict != "ok":
                return self.too_fast if verdict == "warn" else None
            return await self.conversation(message)
        if self.event_limit is not None and self.event_limit.check(message.source) != "ok":
            log.info("events from %s over the event limit: %s ignored", message.source[-6:], event_name(message))
            return None
        reply = None
        for handler in self.by_event.get(event_name(message), ()):
            said = await handler(message)
            if reply is None and said:
                reply = said
        return reply if reply is not None else await self.conversation(message)
