"""Receiving WeChat messages exactly once, within WeChat's 5-second budget, and recording them.

WeChat retries a callback up to three times when it has no answer within 5 s. Each message is
claimed under its dedupe key in an expiring map (bot/expiring.py: process memory on the embedded
store, the `claims` collection on a real MongoDB, where an insert on `_id` makes the claim hold across
server processes). A retry of a message already answered gets the same reply from `replies`; a retry
that arrives while the first run is still working waits for that run instead of starting another.
When the answer is not ready within the budget we answer "success" (an empty reply) and deliver it
later as a customer-service message. The message log (`messages`) is written off the reply path.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from pymongo.errors import PyMongoError

from bot.conversation import texts
from bot.expiring import ExpiringMap, expiring_map
from bot.privacy import mask_text
from bot.wechat.messagelog import MessageLog

log = logging.getLogger(__name__)

POLL_INTERVAL = 0.2
# How long a claim and its reply are remembered: WeChat retries within about 15 s of the first attempt.
CLAIM_TTL = 120


# Platform reports about the account's own sends and consent, and the phone's background location reports:
# what they mean is recorded where it belongs (notifications, subscriptions), not in the chat log, where a
# LOCATION report every five seconds would bury what the resident wrote (and push it out of the window's look-back).
UNLOGGED_EVENTS = frozenset(
    {
        "location",
        "templatesendjobfinish",
        "masssendjobfinish",
        "subscribe_msg_popup_event",
        "subscribe_msg_change_event",
        "subscribe_msg_sent_event",
    }
)


MEDIA_LABELS = {"image": "[图片]", "video": "[视频]", "shortvideo": "[小视频]"}


def dedupe_key(message) -> str:
    """MsgId for messages; sender + CreateTime + event (+ key, + MsgID of a send report) for events."""
    if message.type == "event":
        event = getattr(message, "event", "") or ""
        key = getattr(message, "key", "") or getattr(message, "scene_id", "") or ""
        sent = f":{message.id}" if message.id else ""
        return f"ev:{message.source}:{message.time}:{event}:{key}{sent}"
    if message.id:
        return f"msg:{message.id}"
    return f"ev:{message.source}:{message.time}:{message.type}"


def outbound_record(openid: str, content: str | None, how: str, **extra) -> dict:
    """A message we sent, as stored in `messages`; `how` is passive, customer_service, notification or undelivered."""
    return {
        "direction": "out",
        "openid": openid,
        "type": "text",
        "content": content,
        "answered_by": how,
        "created_at": datetime.now(UTC),
        **extra,
    }


def inbound_record(key: str, message) -> dict:
    """A message we received, as stored in `messages`: the dedupe key is its _id."""
    return {
        "_id": key,
        "direction": "in",
        "openid": message.source,
        "type": message.type,
        "content": describe(message),
        "wechat_time": message.time,
        "created_at": datetime.now(UTC),
    }


def reply_id(key: str) -> str:
    return "reply:" + key


def describe(message) -> str:
    """The message's content as stored (text, recognised speech, coordinates, event and key), with ID
    and phone numbers masked: the chat log must not become a plaintext copy of booking forms."""
    return mask_text(_content(message))


def _content(message) -> str:
    kind = message.type
    if kind == "text":
        return message.content or ""
    if kind == "voice":
        return message.recognition or "[语音]"
    if kind in MEDIA_LABELS:
        return MEDIA_LABELS[kind]
    if kind == "location":
        return f"{message.location_x},{message.location_y} {message.label or ''}".strip()
    if kind == "event":
        return f"{message.event} {getattr(message, 'key', '') or getattr(message, 'scene_id', '') or ''}".strip()
    if kind == "file":
        return f"[文件] {message.title or ''}".strip()
    if kind == "link":
        return f"[链接] {message.title or ''} {message.url or ''}".strip()
    return ""


def logged(message) -> bool:
    """Whether the message belongs in the chat log (`messages`): all but the platform's reports."""
    return message.type != "event" or (getattr(message, "event", "") or "").lower() not in UNLOGGED_EVENTS


def _embedded_inserter(store):
    if not store.embedded:
        return None
    from bot.embedded import append_only_inserter

    return append_only_inserter(store.messages)


async def _until_done(run: asyncio.Future, timeout: float) -> None:
    """Wait until `run` is done or `timeout` seconds passed, whichever is first; never cancels `run`.
    (asyncio.wait with one future, without its sets and extra callbacks: this runs for every message.)"""
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def wake(_arg=None) -> None:
        if not waiter.done():
            waiter.set_result(None)

    run.add_done_callback(wake)
    timer = loop.call_later(timeout, wake)
    try:
        await waiter
    finally:
        timer.cancel()
        run.remove_done_callback(wake)


class Inbox:
    """Claims, answers (through `answer`) and records each inbound message once."""

    def __init__(self, store, answer, deliver, budget: float = 4.0, *, claims=None, replies=None, message_log=None):
        self.store = store
        self._answer = answer  # async (message) -> reply text or None
        self._deliver = deliver  # async (openid, text) -> None, the customer-service path
        self.budget = budget
        self.claims: ExpiringMap = claims or expiring_map(store, "claims")
        self.replies: ExpiringMap = replies or expiring_map(store, "replies")
        self.message_log = message_log or MessageLog(store.messages, fast_insert=_embedded_inserter(store))
        self._in_flight: dict[str, asyncio.Future] = {}
        self._background: set[asyncio.Task] = set()

    async def receive(self, message) -> str | None:
        """The passive reply text for WeChat, or None for "success"."""
        started = time.monotonic()
        key = dedupe_key(message)
        first = self._in_flight.get(key)
        if first is not None:  # a retry reaching the same process: share the first run
            return await self._await_first(first, started)
        if not await self._claim(key):
            return await self._replay(key, started)
        if logged(message):
            self.message_log.append(inbound_record(key, message))
        run = asyncio.ensure_future(self._answer(message))
        self._in_flight[key] = run
        run.add_done_callback(lambda _f: self._in_flight.pop(key, None))
        # The budget counts from arrival: a slow claim (store trouble) leaves less time to answer.
        remaining = max(self.budget - (time.monotonic() - started), 0.05)
        if not run.done():
            await _until_done(run, remaining)
        if not run.done():
            log.warning("reply to %s not ready within %.1fs: answering later by customer-service message", key, self.budget)
            self._spawn(self._deliver_late(key, message, run))
            return None
        try:
            reply = run.result()
        except Exception:
            log.exception("answering %s failed", key)
            reply = texts.ERROR
        await self._record_reply(key, message, reply, "passive")
        return reply

    async def _claim(self, key: str) -> bool:
        try:
            if await self.claims.add(key, {}, CLAIM_TTL) is None:
                return True
            log.info("retry of %s: not processing it again", key)
            return False
        except PyMongoError as exc:
            # Answering matters more than the record: go on, deduping only within this process.
            log.error("message store unavailable (%s): answering %s without a stored claim", type(exc).__name__, key)
            return True

    async def _await_first(self, run: asyncio.Future, started: float) -> str | None:
        remaining = self.budget - (time.monotonic() - started)
        try:
            return await asyncio.wait_for(asyncio.shield(run), max(remaining, 0.01))
        except TimeoutError:
            return None
        except Exception:  # the first run logged it and answered
            return None

    async def _replay(self, key: str, started: float) -> str | None:
        """Answer a retry with the first run's reply, waiting for it while it is still being made."""
        while True:
            try:
                doc = await self.replies.get(key)
            except PyMongoError:
                doc = None
            if doc is not None:
                return doc["content"] if doc["answered_by"] == "passive" else None
            if time.monotonic() - started + POLL_INTERVAL >= self.budget:
                return None  # the first run will deliver by customer-service message
            await asyncio.sleep(POLL_INTERVAL)

    async def _deliver_late(self, key: str, message, run: asyncio.Future) -> None:
        try:
            reply = await run
        except Exception:
            log.exception("answering %s failed after the budget", key)
            reply = texts.ERROR
        if reply:
            try:
                await self._deliver(message.source, reply)
            except Exception:  # noqa: BLE001 - logged; the record below says it was not delivered
                log.exception("customer-service delivery of %s failed", key)
                await self._record_reply(key, message, reply, "undelivered")
                return
        await self._record_reply(key, message, reply, "customer_service")

    async def _record_reply(self, key: str, message, reply: str | None, how: str) -> None:
        """Remember the reply for retries, and log it as an outbound message whose _id derives from the inbound one
        (an event answered with silence leaves no record)."""
        if reply or message.type != "event":
            self.message_log.append(outbound_record(message.source, reply, how, _id=reply_id(key), in_reply_to=key))
        recent = {"content": reply, "answered_by": how}
        if self.replies.instant:
            await self.replies.put(key, recent, CLAIM_TTL)
        else:  # a store round trip: after the reply has left
            self._spawn(self._remember_reply(key, recent))

    async def _remember_reply(self, key: str, recent: dict) -> None:
        try:
            await self.replies.put(key, recent, CLAIM_TTL)
        except PyMongoError:
            log.exception("could not remember the reply to %s", key)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Wait for background records and late deliveries (tests, shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
        await self.message_log.drain()
