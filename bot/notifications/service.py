"""One outbound notification service: a durable queue in MongoDB, the channel choice, every attempt recorded.

A notification (a booking's status change, a rating request, a reminder, an alert to staff) is a
document in `notifications`. Workers claim due ones atomically (find_one_and_update, so two server
processes never send one twice; a crashed worker's claim expires after LEASE_SECONDS), then try the
channels in order, skipping those that cannot reach the person now:

    custom         customer-service text, while the 48 h window is open and its allowance lasts
    template       Official Account template message (WECHAT_TEMPLATES)
    subscribe      Official Account subscribe notification, where the user subscribed
    wxa_subscribe  mini-program subscribe message, where the user accepted the template
    sms            SMS to the contact phone (SMS_PROVIDER)

Transient errors (WeChat busy, network) are retried on the same channel with backoff; permanent ones
move on. When nothing reaches the person the notification fails with a reason staff can read, and
listeners (bookings) flag it. Callers pass what to say; this module never imports bookings.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError, PyMongoError

from bot.notifications.quiet import QuietHours
from bot.notifications.sms import SMSError, build_sms
from bot.notifications.subscriptions import Subscriptions
from bot.notifications.templates import render, sms_params
from bot.notifications.window import REFUSALS, CustomerServiceWindow
from bot.privacy import FieldCipher, mask_phone
from bot.wechat.api import WeChatAPIError
from bot.wechat.inbox import outbound_record

log = logging.getLogger(__name__)

CHANNELS = ("custom", "template", "subscribe", "wxa_subscribe", "sms")
CHANNEL_LABELS = {
    "custom": "客服消息",
    "template": "模板消息",
    "subscribe": "订阅通知",
    "wxa_subscribe": "小程序订阅消息",
    "sms": "短信",
}
# WeChat: -1 system busy, 45009/45011 call frequency limits; None: the network or WeChat unreachable.
TRANSIENT_ERRCODES = {-1, 45009, 45011, None}
ERRCODE_LABELS = {
    -1: "微信系统繁忙",
    None: "网络不通",
    43004: "用户未关注公众号",
    43101: "用户拒收",
    45015: "超过48小时未互动",
    45047: "客服消息条数已用完",
    40003: "用户标识无效",
    40037: "模板ID无效",
    47003: "模板字段不符合要求",
    48001: "接口未授权",
}
BACKOFF_SECONDS = (30, 120, 600, 1800)  # between tries on one channel; then the next channel
LEASE_SECONDS = 120
POLL_SECONDS = 1.0
COALESCE_LIMIT = 10
ORDER_WAIT_SECONDS = 1

SECRET_FIELD = "notification.phone"


@dataclass
class Recipient:
    """Who to tell. `phone` is plaintext here and stored encrypted; `role` is shown to staff."""

    openid: str | None = None
    phone: str | None = None
    wxa_openid: str | None = None
    role: str = "resident"  # booker, beneficiary, proxy, staff...
    label: str = ""  # e.g. "预约人", shown to staff


@dataclass
class Outcome:
    """What happened to one notification in one pass (for logs and listeners)."""

    status: str  # sent, failed, retry, deferred
    channel: str | None = None
    reason: str = ""
    attempts: list[dict] = field(default_factory=list)


def describe_error(errcode) -> str:
    return ERRCODE_LABELS.get(errcode, f"错误码{errcode}")


def report_label(report: str) -> str:
    """A delivery report WeChat sent after a send (`failed:user block`, `failed: system failed`), for staff."""
    text = (report or "").lower()
    if "user block" in text:
        return "已发出但用户拒收"
    if "system failed" in text:
        return "已发出但微信投递失败"
    return f"已发出但未送达（{report[:40]}）"


class NotificationService:
    def __init__(self, store, wechat_api, config, sms=None, clock=None, name: str | None = None):
        self.store = store
        self.collection = store.notifications
        self.wechat_api = wechat_api
        self.config = config
        self.cipher = FieldCipher(config.data_key)
        self.sms = sms if sms is not None else build_sms(config)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.name = name or secrets.token_hex(4)  # this worker, in claims
        self.window = CustomerServiceWindow(store.messages)
        self.quiet = QuietHours(config.notify_quiet_hours)
        self.subscriptions = Subscriptions(store.subscriptions, self.clock)
        self.coalesce = timedelta(seconds=config.notify_coalesce_seconds)
        self.concurrency = max(config.notify_workers, 1)
        self.templates = {
            "template": config.wechat_templates,
            "subscribe": config.wechat_subscribe_templates,
            "wxa_subscribe": config.wxa_subscribe_templates,
            "sms": config.sms_templates,
        }
        self.listeners: list = []  # async (notification, outcome) on sent / failed
        self._stopping = asyncio.Event()

    # ---- enqueue ----

    async def enqueue(
        self,
        kind: str,
        to: Recipient,
        text: str,
        fields: dict | None = None,
        *,
        subject: str | None = None,
        template: str | None = None,
        urgent: bool = False,
        dedupe: str | None = None,
        after: dict | None = None,
    ) -> dict | None:
        """Queue one notification; returns it, or None when `dedupe` was queued before.

        `template` is the logical template (settings) used off the customer-service window, `fields`
        its logical values; `after` is a notification this one must follow (a rating request follows
        the completion notice). Nothing is sent here: replies to residents are never slowed down."""
        now = self.clock()
        due = now + (timedelta(0) if urgent else self.coalesce)
        if not urgent:
            due = self.quiet.end_after(due)
        doc = {
            "kind": kind,
            "template": template or kind,
            "subject": subject,
            "to": {
                # Who this reaches, for coalescing and ordering: the openid, else a keyed hash of the phone.
                "key": to.openid or (f"phone:{self.cipher.blind_index(to.phone)}" if to.phone else None),
                "openid": to.openid,
                "wxa_openid": to.wxa_openid,
                "phone_enc": self.cipher.encrypt(to.phone, SECRET_FIELD) if to.phone else None,
                "phone_masked": mask_phone(to.phone) if to.phone else None,
                "role": to.role,
                "label": to.label,
            },
            "text": text,
            "fields": fields or {},
            "urgent": urgent,
            "status": "pending",
            "next_attempt_at": due,
            "channel_index": 0,
            "tries": 0,
            "attempts": [],
            "created_at": now,
            "sent_at": None,
            "channel": None,
            "failure": None,
        }
        if after is not None:
            doc["blocked_by"] = after["_id"]
        if dedupe:
            doc["dedupe"] = dedupe
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            return None
        return doc

    # ---- claim ----

    async def claim(self, horizon: timedelta = timedelta(0)) -> dict | None:
        """Take one due notification for this worker, atomically; an expired claim counts as due."""
        now = self.clock()
        return await self.collection.find_one_and_update(
            {"status": {"$in": ["pending", "sending"]}, "next_attempt_at": {"$lte": now + horizon}, "blocked_by": None},
            {"$set": {"status": "sending", "claimed_by": self.name, "next_attempt_at": now + timedelta(seconds=LEASE_SECONDS)}},
            sort=[("next_attempt_at", ASCENDING), ("_id", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        )

    async def _coalesce(self, n: dict, any_kind: bool, quiet: bool) -> list[dict]:
        """Pending notifications to the same person about the same subject, merged into `n`.

        In the customer-service window several changes become one message (the allowance is small);
        on other channels only notifications of the same kind merge and the newest fields win."""
        key = n["to"].get("key") or n["to"].get("openid")
        if not n.get("subject") or not key:
            return []
        query = {
            "status": "pending",
            "to.key": key,
            "subject": n["subject"],
            "_id": {"$ne": n["_id"]},
            "blocked_by": {"$in": [None, n["_id"]]},
        }
        if not any_kind:
            query["kind"] = n["kind"]
        if quiet:
            query["urgent"] = True
        merged = []
        async for other in self.collection.find(query).sort("_id", ASCENDING).limit(COALESCE_LIMIT):
            taken = await self.collection.find_one_and_update(
                {"_id": other["_id"], "status": "pending"},
                {"$set": {"status": "merged", "merged_into": n["_id"], "claimed_by": self.name}},
            )
            if taken is not None:
                merged.append(taken)
        if merged:
            texts = [n["text"]] + [m["text"] for m in merged if m["text"] not in (n["text"],)]
            n["text"] = "\n\n".join(texts) if any_kind else merged[-1]["text"]
            n["fields"] = merged[-1]["fields"] if not any_kind else n["fields"]
            n["merged"] = n.get("merged", []) + [m["_id"] for m in merged]
            await self.collection.update_one(
                {"_id": n["_id"]}, {"$set": {"text": n["text"], "fields": n["fields"], "merged": n["merged"]}}
            )
        return merged

    # ---- deliver ----

    async def process(self, n: dict) -> Outcome:
        """One pass over the channels for a claimed notification."""
        now = self.clock()
        quiet = self.quiet.active(now)
        if quiet and not n.get("urgent"):
            await self._release(n, {"next_attempt_at": self.quiet.end_after(now)})
            return Outcome("deferred", reason="quiet hours")
        earlier = await self._earlier_unsent(n)
        if earlier is not None:  # one person hears about one subject in order: wait for the earlier notice
            await self._release(n, {"next_attempt_at": max(now, earlier) + timedelta(seconds=ORDER_WAIT_SECONDS)})
            return Outcome("deferred", reason="an earlier notice to the same person is not sent yet")
        attempts: list[dict] = []
        index = n.get("channel_index", 0)
        tries = n.get("tries", 0)
        window_checked = False
        while index < len(CHANNELS):
            channel = CHANNELS[index]
            skip = await self._unavailable(channel, n, now)
            if channel == "custom" and not window_checked:
                window_checked = True
                await self._coalesce(n, any_kind=skip is None, quiet=quiet)
            if skip:
                attempts.append(self._attempt(channel, n, now, skipped=skip))
                index, tries = index + 1, 0
                continue
            try:
                msgid = await self._send(channel, n)
            except (WeChatAPIError, SMSError) as exc:
                code = exc.errcode
                transient = exc.transient if isinstance(exc, SMSError) else code in TRANSIENT_ERRCODES
                attempts.append(self._attempt(channel, n, now, errcode=code, error=exc.errmsg[:200]))
                log.warning("notification %s via %s failed: errcode %s", n["_id"], channel, code)
                if transient and tries < len(BACKOFF_SECONDS):
                    retry_at = now + timedelta(seconds=BACKOFF_SECONDS[tries])
                    await self._release(n, {"next_attempt_at": retry_at, "channel_index": index, "tries": tries + 1}, attempts)
                    return Outcome("retry", channel, describe_error(code), attempts)
                await self._after_refusal(channel, n, code)
                index, tries = index + 1, 0
                continue
            attempts.append(self._attempt(channel, n, now, errcode=0, msgid=msgid))
            await self._finish(n, "sent", attempts, channel=channel, msgid=msgid)
            return Outcome("sent", channel, attempts=attempts)
        reason = failure_reason(n.get("attempts", []) + attempts)
        await self._finish(n, "failed", attempts, failure=reason)
        return Outcome("failed", reason=reason, attempts=attempts)

    async def _earlier_unsent(self, n: dict) -> datetime | None:
        """When an older notice to the same person about the same subject still waits, its due time."""
        key = n["to"].get("key")
        if not key or not n.get("subject"):
            return None
        earlier = await self.collection.find_one(
            {"to.key": key, "subject": n["subject"], "status": {"$in": ["pending", "sending"]}, "_id": {"$lt": n["_id"]}},
            {"next_attempt_at": 1, "status": 1},
        )
        if earlier is None:
            return None
        if earlier["status"] == "sending":  # another worker has it now (its lease time is no due time)
            return self.clock()
        due = earlier["next_attempt_at"]
        return due if due.tzinfo else due.replace(tzinfo=UTC)

    def _template(self, channel: str, n: dict) -> dict | None:
        return self.templates[channel].get(n["template"]) if channel in self.templates else None

    async def _unavailable(self, channel: str, n: dict, now: datetime) -> str | None:
        """Why `channel` cannot reach this person now (Chinese, for staff), or None when it can be tried."""
        to = n["to"]
        if channel in ("custom", "template", "subscribe") and to.get("openid") and await self._unfollowed(to["openid"]):
            return "用户已取消关注"
        if channel == "custom":
            if not to.get("openid"):
                return "没有微信"
            state = await self.window.state(to["openid"], now)
            return None if state.open else state.reason
        if channel in ("template", "subscribe") and not to.get("openid"):
            return "没有微信"
        if channel == "wxa_subscribe" and not to.get("wxa_openid"):
            return "未用小程序"
        if channel == "sms":
            if not to.get("phone_enc"):
                return "没有联系电话"
            if self.sms is None:
                return "未配置短信服务"
        template = self._template(channel, n)
        if template is None:
            return "未配置模板"
        # A subscription is spent when taken here; _send gives it back if the message does not go out.
        if channel == "subscribe" and not await self.subscriptions.take("oa", to["openid"], template["id"]):
            return "用户未订阅"
        if channel == "wxa_subscribe" and not await self.subscriptions.take("wxa", to["wxa_openid"], template["id"]):
            return "用户未授权订阅"
        return None

    async def _unfollowed(self, openid: str) -> bool:
        """The person unfollowed the account (bot/notifications/events.py): WeChat would refuse every message."""
        user = await self.store.users.find_one({"openid": openid}, {"unsubscribed_at": 1})
        return bool(user and user.get("unsubscribed_at"))

    async def _send(self, channel: str, n: dict) -> str | None:
        """Send on `channel`; the platform's msgid when it gives one (template sends: their job report names it)."""
        to = n["to"]
        if channel == "custom":
            await self.wechat_api.send_text(to["openid"], n["text"])
            await self._record(to["openid"], n["text"], "notification", n)
            return None
        template = self._template(channel, n)
        if channel == "sms":
            phone = self.cipher.decrypt(to["phone_enc"], SECRET_FIELD)
            await self.sms.send(phone, template["id"], sms_params(template, n["fields"]))
            return None
        data = render(template, n["fields"])
        result: dict | None = None
        if channel == "template":
            result = await self.wechat_api.send_template(to["openid"], template["id"], data)
        else:
            app, openid = ("oa", to["openid"]) if channel == "subscribe" else ("wxa", to["wxa_openid"])
            try:
                if channel == "subscribe":
                    result = await self.wechat_api.send_subscribe(openid, template["id"], data)
                else:
                    result = await self.wechat_api.send_wxa_subscribe(openid, template["id"], data, state=self.config.wxa_state)
            except WeChatAPIError as exc:
                if exc.errcode != 43101:
                    await self.subscriptions.give_back(app, openid, template["id"])
                raise
            if channel == "wxa_subscribe":
                return None  # a mini-program openid: not in the Official Account's message records
        await self._record(to["openid"], " / ".join(v["value"] for v in data.values()), channel, n)
        msgid = (result or {}).get("msgid") if isinstance(result, dict) else None
        return str(msgid) if msgid not in (None, "") else None

    async def _after_refusal(self, channel: str, n: dict, errcode) -> None:
        if channel == "custom" and errcode in REFUSALS:
            # The window is closed (bot/notifications/window.py reads this): no more customer-service tries.
            record = outbound_record(n["to"]["openid"], None, "refused", notification=n["_id"], kind=n["kind"])
            record["delivery"] = {"status": "failed", "errcode": errcode}
            try:
                await self.store.messages.insert_one(record)
            except PyMongoError:
                log.exception("could not record the refusal of notification %s", n["_id"])
        if errcode == 43101 and channel in ("subscribe", "wxa_subscribe"):
            app, openid = ("oa", n["to"]["openid"]) if channel == "subscribe" else ("wxa", n["to"]["wxa_openid"])
            await self.subscriptions.refused(app, openid, self._template(channel, n)["id"])

    async def _record(self, openid: str, text: str, how: str, n: dict) -> None:
        try:
            await self.store.messages.insert_one(outbound_record(openid, text, how, notification=n["_id"], kind=n["kind"]))
        except PyMongoError:
            log.exception("could not record notification %s in messages", n["_id"])

    def _attempt(
        self, channel: str, n: dict, at: datetime, errcode=None, error: str = "", skipped: str = "", msgid: str | None = None
    ) -> dict:
        template = self._template(channel, n) if channel != "custom" else None
        entry = {"channel": channel, "template": template["id"] if template else None, "errcode": errcode, "at": at}
        if skipped:
            entry["skipped"] = skipped
        if error:
            entry["error"] = error
        if msgid:
            entry["msgid"] = msgid
        return entry

    async def _release(self, n: dict, changes: dict, attempts: list | None = None) -> None:
        update: dict = {"$set": {"status": "pending", **changes}, "$unset": {"claimed_by": ""}}
        if attempts:
            update["$push"] = {"attempts": {"$each": attempts}}
        await self.collection.update_one({"_id": n["_id"], "claimed_by": self.name}, update)

    async def _finish(
        self, n: dict, status: str, attempts: list, channel: str | None = None, failure: str | None = None, msgid=None
    ) -> None:
        now = self.clock()
        update = {
            "$set": {"status": status, "channel": channel, "failure": failure, "finished_at": now},
            "$push": {"attempts": {"$each": attempts}},
            "$unset": {"claimed_by": ""},
        }
        if status == "sent":
            update["$set"]["sent_at"] = now
        if msgid:
            update["$set"]["msgid"] = msgid  # found again by WeChat's report on the send (bot/notifications/events.py)
        done = await self.collection.find_one_and_update(
            {"_id": n["_id"], "claimed_by": self.name}, update, return_document=ReturnDocument.AFTER
        )
        if done is None:
            log.warning("notification %s: claim lost before it finished", n["_id"])
            return
        ids = [n["_id"], *n.get("merged", [])]
        if n.get("merged"):
            await self.collection.update_many(
                {"_id": {"$in": n["merged"]}}, {"$set": {"channel": channel, "sent_at": done.get("sent_at"), "failure": failure}}
            )
        # What waited for this one (a rating request after the completion notice) may go now.
        await self.collection.update_many({"blocked_by": {"$in": ids}}, {"$set": {"blocked_by": None}})
        await self._tell_listeners(done, status)

    async def _tell_listeners(self, done: dict, status: str) -> None:
        for listener in self.listeners:
            try:
                await listener(done, status)
            except Exception:  # noqa: BLE001 - a listener's trouble must not stop the queue
                log.exception("notification listener failed for %s", done["_id"])

    # ---- what WeChat reports after a send ----

    async def sent_elsewhere_failed(self, n: dict, report: str, errcode=None) -> bool:
        """WeChat reported after the fact that a message it accepted did not reach the person (a template job's
        `failed:user block`, a subscribe notification's error): the notification goes back to the queue on the
        channel after that one, and fails (flagging the booking) when none is left. False when it was no longer
        counted as sent (a report repeated, or one that came after a later change)."""
        channel = n.get("channel")
        if channel not in CHANNELS:
            return False
        now = self.clock()
        attempt = self._attempt(channel, n, now, errcode=errcode, msgid=n.get("msgid"))
        attempt["reported"] = report_label(report)
        reopened = await self.collection.find_one_and_update(
            {"_id": n["_id"], "status": "sent", "channel": channel},
            {
                "$set": {
                    "status": "pending",
                    "channel_index": CHANNELS.index(channel) + 1,
                    "tries": 0,
                    "next_attempt_at": now,
                    "channel": None,
                    "sent_at": None,
                    "delivery": {"status": "failed", "report": report[:100], "at": now},
                },
                "$push": {"attempts": attempt},
            },
            return_document=ReturnDocument.AFTER,
        )
        if reopened is None:
            return False
        log.warning("notification %s: WeChat reported %r after a send via %s; next channel", n["_id"], report, channel)
        if reopened.get("merged"):  # what was merged into it was not delivered either
            await self.collection.update_many({"_id": {"$in": reopened["merged"]}}, {"$set": {"channel": None, "sent_at": None}})
        return True

    async def delivered(self, n: dict, msgid: str | None = None) -> None:
        """WeChat confirmed delivery (a subscribe notification's sent event)."""
        delivery = {"status": "delivered", "msgid": msgid, "at": self.clock()}
        await self.collection.update_one({"_id": n["_id"], "status": "sent"}, {"$set": {"delivery": delivery}})

    # ---- workers ----

    async def _work_once(self, horizon: timedelta) -> bool:
        n = await self.claim(horizon)
        if n is None:
            return False
        try:
            await self.process(n)
        except Exception:  # noqa: BLE001 - the claim expires and another pass retries it
            log.exception("notification %s: processing failed", n["_id"])
        return True

    async def drain(self, horizon: timedelta | None = None) -> int:
        """Send everything due now, treating the coalescing delay as over; returns how many were processed.
        For tests and benchmarks; servers run `run_forever`."""
        horizon = self.coalesce if horizon is None else horizon
        count = 0

        async def worker() -> None:
            nonlocal count
            while await self._work_once(horizon):
                count += 1

        await asyncio.gather(*(worker() for _ in range(self.concurrency)))
        return count

    async def run_forever(self, poll: float = POLL_SECONDS) -> None:
        """The worker loop of a server process: `concurrency` sends at a time until stop()."""

        async def worker() -> None:
            while not self._stopping.is_set():
                try:
                    busy = await self._work_once(timedelta(0))
                except PyMongoError:
                    log.exception("notification queue unavailable")
                    busy = False
                if not busy:
                    try:
                        await asyncio.wait_for(self._stopping.wait(), poll)
                    except TimeoutError:
                        pass

        log.info("notification worker %s started (%d at a time)", self.name, self.concurrency)
        await asyncio.gather(*(worker() for _ in range(self.concurrency)))

    def stop(self) -> None:
        self._stopping.set()

    # ---- for staff ----

    async def history(self, subject: str) -> list[dict]:
        """Who was told what about `subject`, when, on which channel, with every attempt; oldest first."""
        out = []
        async for n in self.collection.find({"subject": subject}).sort("created_at", ASCENDING):
            out.append(staff_view(n))
        return out


def staff_view(n: dict) -> dict:
    to = n["to"]
    return {
        "id": str(n["_id"]),
        "kind": n["kind"],
        "to": {
            "role": to.get("role"),
            "label": to.get("label"),
            "openid": to.get("openid"),
            "phone": to.get("phone_masked"),
        },
        "text": n["text"],
        "status": n["status"],
        "status_label": STATUS_LABELS.get(n["status"], n["status"]),
        "channel": n.get("channel"),
        "channel_label": CHANNEL_LABELS.get(n.get("channel"), ""),
        "urgent": n.get("urgent", False),
        "created_at": n["created_at"],
        "sent_at": n.get("sent_at"),
        "next_attempt_at": n.get("next_attempt_at") if n["status"] in ("pending", "sending") else None,
        "merged_into": str(n["merged_into"]) if n.get("merged_into") else None,
        "failure": n.get("failure"),
        "attempts": [
            {
                "channel": a["channel"],
                "channel_label": CHANNEL_LABELS[a["channel"]],
                "template": a.get("template"),
                "errcode": a.get("errcode"),
                "result": attempt_result(a),
                "at": a["at"],
            }
            for a in n.get("attempts", [])
        ],
    }


STATUS_LABELS = {"pending": "等待发送", "sending": "发送中", "sent": "已送达", "failed": "未能通知", "merged": "已合并发送"}


def attempt_result(a: dict) -> str:
    if a.get("reported"):
        return a["reported"]
    return "已发送" if a.get("errcode") == 0 else a.get("skipped") or describe_error(a.get("errcode"))


def failure_reason(attempts: list[dict]) -> str:
    """Why nobody could be reached, one clause per channel (Chinese, for the staff member who will phone)."""
    last: dict[str, str] = {}
    for a in attempts:
        last[a["channel"]] = a.get("reported") or a.get("skipped") or describe_error(a.get("errcode"))
    return "；".join(f"{CHANNEL_LABELS[c]}：{why}" for c, why in last.items()) or "没有可用的通知方式"
