"""The hand-off desk: residents asking for staff, and staff claiming, answering, transferring and closing chats.

Resident side: `request` queues a chat and says where the resident stands; `intercept` routes everything
a resident with an open chat sends to the staff (the bot stays quiet); `rate` takes the rating after close.
Staff side: every change is one conditional update (two agents claiming the same chat: one wins), is
audited, and is published to the live queue.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import secrets
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import DESCENDING, ReturnDocument

from bot import ratings
from bot.handoff import texts
from bot.handoff.hours import WorkingHours
from bot.handoff.queue import OPEN, REASON_LABELS, EscalationQueue
from bot.notifications.service import Recipient
from bot.notifications.templates import china_time
from bot.notifications.window import CustomerServiceWindow
from bot.privacy import mask_name, mask_text
from bot.wechat.api import WeChatAPIError
from bot.wechat.events import is_resident_message
from bot.wechat.inbox import dedupe_key, describe

log = logging.getLogger(__name__)

EXIT = re.compile(r"^\s*(退出人工|结束人工|退出人工服务|不要人工了?|返回机器人|回到机器人)\s*[。.!！]?\s*$")
ASKS_FOR_PERSON = re.compile(r"人工|客服|真人|工作人员|有人吗|人呢")
RESOLUTIONS = {"solved": "已解决", "answered": "已答复", "referred": "已转办", "no_reply": "居民未回复", "other": "其他"}
NETWORK_RETRY_DELAY = 1.0
# WeChat refusals that only the resident's next message lifts: the reply is held until then, never retried.
WINDOW_CLOSED = (45015, 45047)
HELD_NOTE = "已保存，居民下次发消息时自动送达。"
HELD_FIELD = "messages.held"
RECENT_FOR_ESTIMATE = 20
# A waiting resident is told where they stand at most this often (asking for a person again always answers).
ACK_EVERY = timedelta(minutes=5)


class HandoffError(Exception):
    """A refused staff action; `message` is shown to staff (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ChatNotFound(HandoffError):
    pass


class AlreadyClaimed(HandoffError):
    def __init__(self, by: str):
        super().__init__(f"这个会话已被 {by} 接待。")
        self.by = by


class NotYours(HandoffError):
    pass


@dataclass(frozen=True)
class HandoffPolicy:
    hours: str = "09:00-17:30"
    unclaimed_minutes: int = 10
    answer_target_seconds: int = 180
    phone: str = "96128"  # the city's government information line (政务信息专线)


def refusal_text(errcode: int | None, errmsg: str = "") -> str:
    """What the agent reads next to a message WeChat refused."""
    if errcode == 45015:
        return "未送达（45015）：居民超过 48 小时没有发消息，微信不允许再发客服消息。"
    if errcode == 45047:
        return "未送达（45047）：48 小时内的客服消息条数已用完。"
    if errcode is None:
        return "发送失败：网络故障，没能连上微信服务器。可以点“重试”。"
    return f"发送失败（{errcode}）：微信拒绝了这条消息：{errmsg[:80]}"


def as_id(chat_id) -> ObjectId:
    if isinstance(chat_id, ObjectId):
        return chat_id
    try:
        return ObjectId(str(chat_id))
    except (InvalidId, TypeError):
        raise ChatNotFound("没有这个会话。") from None


def aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def resident_label(entry: dict) -> str:
    """Who the resident is, as staff read it: a name when one is known (masked), never just an openid tail."""
    return entry.get("resident_name") or "微信居民 " + entry["openid"][-4:]


URGENT_REASONS = ("complaint", "low_rating")


def waiting_order(entry: dict, now: datetime, target_seconds: float) -> tuple:
    """Complaints first, then chats waiting longer than the answer target, then the rest; oldest first in each."""
    created = aware(entry.get("created_at")) or now
    if entry.get("reason") in URGENT_REASONS:
        return (0, created)
    return (1 if (now - created).total_seconds() > target_seconds else 2, created)


def summary(entry: dict) -> dict:
    """A chat as the queue shows it (JSON-ready)."""

    def iso(v):
        v = aware(v)
        return v.isoformat() if v else None

    rating = entry.get("rating") or {}
    return {
        "id": str(entry["_id"]),
        "rev": entry.get("rev", 0),
        "status": entry["status"],
        "reason": entry.get("reason"),
        "reason_label": REASON_LABELS.get(entry.get("reason"), entry.get("reason") or ""),
        "resident": resident_label(entry),
        "last_message": entry.get("last_message") or "",
        "last_message_at": iso(entry.get("last_message_at") or entry.get("created_at")),
        "created_at": iso(entry.get("created_at")),
        "staff": entry.get("staff"),
        "claimed_at": iso(entry.get("claimed_at")),
        "closed_at": iso(entry.get("closed_at")),
        "unread": entry.get("unread", 0),
        "complaint": entry.get("reason") in URGENT_REASONS,
        "rating": ratings.label(rating["score"]) if rating.get("score") else None,
        "undelivered": entry.get("undelivered"),
        "undelivered_count": entry.get("undelivered_count", 0),
    }


class HandoffDesk:
    def __init__(
        self,
        queue: EscalationQueue,
        store,
        wechat_api,
        dialogs,
        audit,
        policy: HandoffPolicy,
        hours: WorkingHours | None = None,
        accounts=None,
        cipher=None,
        notifications=None,
    ):
        self.queue = queue
        self.escalations = queue.collection
        self.messages = store.messages
        self.users = store.users
        self.bookings = store.bookings
        self.wechat_api = wechat_api
        self.dialogs = dialogs
        self.audit = audit
        self.policy = policy
        self.hours = hours or WorkingHours(policy.hours)
        self.clock = queue.clock
        self.accounts = accounts  # bot.staff.accounts.StaffAccounts: the name residents are told on a claim
        self.cipher = cipher  # bot.privacy.FieldCipher: held replies are kept encrypted until delivered
        self.notifications = notifications  # bot.notifications.service.NotificationService: reach a resident elsewhere
        self.window = CustomerServiceWindow(store.messages)
        self._background: set[asyncio.Task] = set()

    # ---- resident side ----

    async def request(self, openid: str, reason: str, text: str = "") -> str:
        entry, created = await self.queue.enqueue(openid, reason, text)
        now = self.clock()
        if created:
            await self._describe_resident(entry)
        if not created:
            position = await self.position(entry) if entry["status"] == "waiting" else None
            return texts.already(position)
        if not self.hours.is_open(now):
            return texts.closed_hours(self.hours.describe_next(now), self.hours.describe(), self.policy.phone)
        position = await self.position(entry)
        return texts.queued(position, await self.estimate_minutes(position))

    async def _describe_resident(self, entry: dict) -> None:
        """Remember on the chat what staff need after a restart too: a name for the resident (a proxy's name,
        or the masked name from their latest booking) and the item they were asking about."""
        user = await self.users.find_one({"openid": entry["openid"]}, {"role": 1, "name": 1})
        name = None
        if user and user.get("role") == "proxy":
            name = f"代办员 {user.get('name') or ''}".strip()
        else:
            booking = await self.bookings.find_one(
                {"booked_by": entry["openid"]}, {"beneficiary.name": 1, "beneficiary.relation": 1}, sort=[("created_at", -1)]
            )
            if booking:
                person = booking["beneficiary"]
                relation = person.get("relation") or "本人"
                name = f"居民 {mask_name(person['name'])}" if relation == "本人" else f"{mask_name(person['name'])}的家属"
        item = (await self.dialogs.get(entry["openid"])).get("item")
        changes = {k: v for k, v in (("resident_name", name), ("item", item)) if v}
        if changes:
            entry.update(changes)
            self.queue.changed(
                await self.escalations.find_one_and_update(
                    {"_id": entry["_id"]}, {"$set": changes, "$inc": {"rev": 1}}, return_document=ReturnDocument.AFTER
                )
            )

    async def position(self, entry: dict) -> int:
        return await self.escalations.count_documents({"status": "waiting", "created_at": {"$lte": entry["created_at"]}})

    async def estimate_minutes(self, position: int) -> int | None:
        """Median of recent first-response times (working time), times the place in the queue."""
        cursor = (
            self.escalations.find({"first_response_at": {"$ne": None}}, {"first_response_seconds": 1})
            .sort("first_response_at", DESCENDING)
            .limit(RECENT_FOR_ESTIMATE)
        )
        recent = [e["first_response_seconds"] async for e in cursor if e.get("first_response_seconds") is not None]
        if not recent:
            return None
        return max(1, math.ceil(statistics.median(recent) * max(position, 1) / 60))

    async def intercept(self, message, answer_question=None) -> str | None:
        """None: not with staff, let the bot answer. "": forwarded to staff, the bot stays quiet. Otherwise the
        reply: while the chat waits for staff, `answer_question(openid, text)` (the bot) answers service
        questions, marked as the assistant's; other messages get the queue place and the wait, in full at most
        once every `ACK_EVERY` and as a one-line receipt in between, so that nobody writes into silence. Only what a resident
        writes reaches the agent; events (and types we do not know) never do."""
        if not is_resident_message(message):
            return None
        entry = await self.queue.open_for(message.source)
        if entry is None:
            return None
        text = describe(message) or f"[{message.type}]"
        if message.type == "text" and EXIT.match(message.content or ""):
            await self._close(entry, actor=None, resolution="resident_left", ask_rating=False)
            return texts.LEFT
        now = self.clock()
        updated = await self.escalations.find_one_and_update(
            {"_id": entry["_id"], "status": {"$in": list(OPEN)}},
            {"$set": {"last_message": text[:500], "last_message_at": now, "updated_at": now}, "$inc": {"rev": 1, "unread": 1}},
            return_document=ReturnDocument.AFTER,
        )
        self.queue.changed(updated)
        if updated is not None and self.media is not None:
            self.media.keep_for_chat(updated, message, dedupe_key(message))
        if updated is not None and updated.get("undelivered"):
            self._spawn(self.release_held(updated))  # the resident wrote: WeChat lets us send again
        if updated is None or updated["status"] != "waiting":
            return ""  # an agent is serving: they answer
        asks_person = bool(ASKS_FOR_PERSON.search(text))
        question = message.content if message.type == "text" else getattr(message, "recognition", None)
        if not asks_person and question and answer_question is not None:
            answer = await answer_question(message.source, question)
            if answer:
                item = (await self.dialogs.get(message.source)).get("item")
                if item and item != updated.get("item"):  # what the agent sees as 正在问的事项, kept across restarts
                    await self.escalations.update_one({"_id": updated["_id"]}, {"$set": {"item": item}})
                return texts.assistant_answer(answer)
        return await self.acknowledge(updated, force=asks_person)

    async def acknowledge(self, entry: dict, *, force: bool = False) -> str:
        """Where a waiting resident stands (or when staff are back); a short receipt when told within `ACK_EVERY`."""
        now = self.clock()
        last = aware(entry.get("acknowledged_at"))
        if not force and last is not None and now - last < ACK_EVERY:
            return texts.RECEIVED
        await self.escalations.update_one({"_id": entry["_id"]}, {"$set": {"acknowledged_at": now}})
        if not self.hours.is_open(now):
            return texts.waiting_closed_note(self.hours.describe_next(now), self.policy.phone)
        position = await self.position(entry)
        waited = int(self.hours.working_seconds(aware(entry["created_at"]), now) // 60)
        return texts.waiting_note(position, waited, await self.estimate_minutes(position))

    async def unfollowed(self, message) -> None:
        """`unsubscribe`: the resident cannot be answered any more, so their open chat closes (no rating asked)."""
        entry = await self.queue.open_for(message.source)
        if entry is not None:
            try:
                await self._close(entry, actor=None, resolution="unsubscribed", ask_rating=False)
            except HandoffError:
                pass  # closed meanwhile by staff
        return None

    async def rate(self, openid: str, chat_id: str, score: int) -> str:
        updated = await self.escalations.find_one_and_update(
            {"_id": as_id(chat_id), "openid": openid, "status": "closed", "rating": None},
            {"$set": {"rating": {"score": score, "at": self.clock()}, "updated_at": self.clock()}, "$inc": {"rev": 1}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            return "这次服务已经评价过了，谢谢您！"
        self.queue.changed(updated)
        if ratings.is_complaint(score):
            entry, created = await self.queue.enqueue(openid, "complaint", f"对人工服务的评价：{ratings.label(score)}")
            if created:
                await self._describe_resident(entry)
        return texts.rated(score)

    async def remind_unclaimed(self) -> int:
        """Tell residents nobody has picked up for `unclaimed_minutes` of working time; they stay queued."""
        now = self.clock()
        if not self.hours.is_open(now):
            return 0
        limit = timedelta(minutes=self.policy.unclaimed_minutes)
        cursor = self.escalations.find({"status": "waiting", "created_at": {"$lt": now - limit}}).limit(500)
        sent = 0
        async for entry in cursor:
            if (
                entry.get("unclaimed_notice_at")
                or self.hours.working_seconds(aware(entry["created_at"]), now) < limit.total_seconds()
            ):
                continue
            taken = await self.escalations.find_one_and_update(
                {"_id": entry["_id"], "status": "waiting", "unclaimed_notice_at": None},
                {"$set": {"unclaimed_notice_at": now}},
            )
            if taken is None:
                continue  # another process sent it
            text = texts.unclaimed(self.policy.phone)
            delivery = await self._send(entry["openid"], text, retry=True)
            await self.messages.insert_one(self._outbound(entry, text, "handoff", None, delivery))
            sent += 1
        return sent

    # ---- staff side: reading ----

    async def get(self, chat_id) -> dict:
        entry = await self.escalations.find_one({"_id": as_id(chat_id)})
        if entry is None:
            raise ChatNotFound("没有这个会话。")
        return entry

    async def waiting(self, limit: int = 200) -> list[dict]:
        found = [e async for e in self.escalations.find({"status": "waiting"}).sort("created_at", 1).limit(limit)]
        now = self.clock()
        return sorted(found, key=lambda e: waiting_order(e, now, self.policy.answer_target_seconds))

    async def serving(self, staff: str | None = None, limit: int = 200) -> list[dict]:
        query: dict = {"status": "serving"}
        if staff:
            query["staff"] = staff
        return [e async for e in self.escalations.find(query).sort("created_at", 1).limit(limit)]

    async def closed(self, limit: int = 50) -> list[dict]:
        return [e async for e in self.escalations.find({"status": "closed"}).sort("closed_at", DESCENDING).limit(limit)]

    async def count_waiting(self) -> int:
        return await self.escalations.count_documents({"status": "waiting"})

    async def transcript(self, openid: str, limit: int = 60) -> list[dict]:
        """The resident's recent conversation, oldest first: their messages, the bot's answers, staff replies."""
        cursor = self.messages.find({"openid": openid}).sort("created_at", DESCENDING).limit(limit)
        found = [m async for m in cursor if m.get("content")]
        return list(reversed(found))

    async def item_under_discussion(self, entry: dict) -> str | None:
        """From the live conversation, else from the chat itself (the conversation may be gone after a restart)."""
        return (await self.dialogs.get(entry["openid"])).get("item") or entry.get("item")

    # ---- staff side: acting ----

    async def claim(self, chat_id, staff: str) -> dict:
        now = self.clock()
        updated = await self.escalations.find_one_and_update(
            {"_id": as_id(chat_id), "status": "waiting"},
            {
                "$set": {"status": "serving", "staff": staff, "claimed_at": now, "updated_at": now, "unread": 0},
                "$inc": {"rev": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            current = await self.get(chat_id)
            if current["status"] == "serving":
                raise AlreadyClaimed(current["staff"])
            raise HandoffError("这个会话已结束。")
        await self.audit.record(f"staff:{staff}", "claim", f"escalation:{updated['_id']}")
        self.queue.changed(updated)
        await self._tell_claimed(updated, staff)
        return updated

    async def _tell_claimed(self, entry: dict, staff: str) -> None:
        """The resident learns that a person (surname and 工号) has taken the chat."""
        account = await self.accounts.get(staff) if self.accounts is not None else None
        text = texts.claimed(texts.agent_label(staff, (account or {}).get("name", "")))
        delivery = await self._send(entry["openid"], text, retry=False)
        delivery.pop("tries", None)
        await self.messages.insert_one(self._outbound(entry, text, "handoff", staff, delivery))

    async def _mine(self, chat_id, staff: str, supervisor: bool) -> dict:
        entry = await self.get(chat_id)
        if entry["status"] != "serving":
            raise HandoffError("请先接待这个会话。" if entry["status"] == "waiting" else "这个会话已结束。")
        if entry["staff"] != staff and not supervisor:
            raise NotYours(f"这个会话由 {entry['staff']} 接待。")
        return entry

    async def reply(self, chat_id, staff: str, text: str, *, supervisor: bool = False) -> dict:
        text = (text or "").strip()
        if not text:
            raise HandoffError("回复不能为空。")
        if len(text) > 600:
            raise HandoffError("一条回复最多 600 字，请分几条发。")
        current = await self.get(chat_id)
        if current["status"] == "waiting":
            await self.claim(current["_id"], staff)  # answering an unclaimed chat takes it (or says who did)
        entry = await self._mine(chat_id, staff, supervisor)
        record = self._outbound(entry, text, "agent", staff, {"status": "sending", "attempts": 0})
        window = await self.window.state(entry["openid"], self.clock())
        if not window.open:  # known closed: do not spend a call that can only fail; hold it for their next message
            record["delivery"] = {"status": "held", "error": f"未送达：{window.reason}。{HELD_NOTE}", "at": self.clock()}
            record["held_enc"] = self.cipher.encrypt(text, HELD_FIELD)
            await self.messages.insert_one(record)
            await self._flag_undelivered(entry)
        else:
            await self.messages.insert_one(record)
            record = await self._deliver(record, text, entry, staff)
        await self.audit.record(
            f"staff:{staff}",
            "reply",
            f"escalation:{entry['_id']}",
            detail={"message": record["_id"], "text": text[:200], "delivery": record["delivery"]["status"]},
        )
        return record

    async def retry(self, message_id: str, staff: str, text: str, *, supervisor: bool = False) -> dict:
        record = await self.messages.find_one({"_id": message_id, "answered_by": "agent"})
        if record is None:
            raise ChatNotFound("没有这条消息。")
        if record["delivery"]["status"] == "sent":
            return record
        if record["delivery"]["status"] == "held":
            raise HandoffError("微信现在不让发：这条回复已保存，居民下次发消息时自动送达。")
        entry = await self._mine(record["escalation"], staff, supervisor)
        # The stored copy is masked; the agent's page sends back what was typed.
        record = await self._deliver(record, text or record["content"], entry, staff)
        await self.audit.record(f"staff:{staff}", "retry", f"escalation:{entry['_id']}", detail={"message": message_id})
        return record

    async def _deliver(self, record: dict, text: str, entry: dict, staff: str) -> dict:
        delivery = await self._send(entry["openid"], text, retry=True)
        delivery["attempts"] = record["delivery"].get("attempts", 0) + delivery.pop("tries")
        changes: dict = {"delivery": delivery}
        if delivery["status"] == "failed" and delivery.get("errcode") in WINDOW_CLOSED:
            delivery["status"] = "held"
            delivery["error"] += HELD_NOTE
            changes["held_enc"] = self.cipher.encrypt(text, HELD_FIELD)
        record = await self.messages.find_one_and_update(
            {"_id": record["_id"]}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        if delivery["status"] == "held":
            await self._flag_undelivered(entry)
        now = self.clock()
        update: dict = {"$set": {"updated_at": now}, "$inc": {"rev": 1}}
        if delivery["status"] == "sent":
            update["$set"]["unread"] = 0
            if entry.get("first_response_at") is None:
                seconds = self.hours.working_seconds(aware(entry["created_at"]), now)
                answered = await self.escalations.find_one_and_update(
                    {"_id": entry["_id"], "first_response_at": None},
                    {
                        "$set": {
                            "first_response_at": now,
                            "first_response_by": staff,
                            "first_response_seconds": seconds,
                            "answered_in_time": seconds <= self.policy.answer_target_seconds,
                        }
                    },
                )
                if answered is not None:
                    log.info("escalation %s first answered after %.0fs of working time", entry["_id"], seconds)
        self.queue.changed(
            await self.escalations.find_one_and_update({"_id": entry["_id"]}, update, return_document=ReturnDocument.AFTER)
        )
        return record

    async def _flag_undelivered(self, entry: dict) -> None:
        """The queue row says how many replies wait for the resident's next message (None when none)."""
        held = await self.messages.count_documents(
            {"openid": entry["openid"], "escalation": str(entry["_id"]), "delivery.status": "held"}
        )
        note = f"{held} 条回复未送达，居民下次发消息时送出" if held else None
        self.queue.changed(
            await self.escalations.find_one_and_update(
                {"_id": entry["_id"]},
                {"$set": {"undelivered": note, "undelivered_count": held, "updated_at": self.clock()}, "$inc": {"rev": 1}},
                return_document=ReturnDocument.AFTER,
            )
        )

    async def release_held(self, entry: dict) -> int:
        """Send, in order, the replies held while WeChat refused them; called when the resident writes again."""
        sent = 0
        cursor = self.messages.find({"openid": entry["openid"], "escalation": str(entry["_id"]), "delivery.status": "held"}).sort(
            "created_at", 1
        )
        for record in [r async for r in cursor]:
            taken = await self.messages.find_one_and_update(
                {"_id": record["_id"], "delivery.status": "held"}, {"$set": {"delivery.status": "sending"}}
            )
            if taken is None:
                continue  # another process is sending it
            text = self.cipher.decrypt(record["held_enc"], HELD_FIELD)
            record = await self._deliver(record, text, entry, record.get("staff") or "")
            if record["delivery"]["status"] == "sent":
                await self.messages.update_one({"_id": record["_id"]}, {"$unset": {"held_enc": ""}})
                sent += 1
        await self._flag_undelivered(entry)
        return sent

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def window_state(self, openid: str):
        return await self.window.state(openid, self.clock())

    async def notify_elsewhere(self, chat_id, staff: str, phone: str | None) -> dict:
        """The window is closed: ask the resident (template or subscribe notice, else SMS) to write to us."""
        entry = await self._mine(chat_id, staff, True)
        if self.notifications is None:
            raise HandoffError("没有配置通知服务。")
        now = self.clock()
        n = await self.notifications.enqueue(
            "chat_reply",
            Recipient(openid=entry["openid"], phone=phone, label="居民"),
            texts.CHAT_REPLY_NOTICE,
            {"note": texts.CHAT_REPLY_NOTICE_SHORT, "time": china_time(now)},
            subject=f"escalation:{entry['_id']}",
            urgent=True,
            dedupe=f"chat_reply:{entry['_id']}:{now:%Y%m%d%H}",
        )
        if n is None:
            raise HandoffError("这一小时内已经通知过居民了。")
        await self.audit.record(f"staff:{staff}", "notify_elsewhere", f"escalation:{entry['_id']}", detail={"sms": bool(phone)})
        return n

    async def _send(self, openid: str, text: str, retry: bool) -> dict:
        """Send a customer-service message; a network failure is retried once. Never raises."""
        tries = 0
        while True:
            tries += 1
            try:
                await self.wechat_api.send_text(openid, text)
                return {"status": "sent", "at": self.clock(), "tries": tries}
            except WeChatAPIError as exc:
                if exc.errcode is None and retry and tries == 1:
                    await asyncio.sleep(NETWORK_RETRY_DELAY)
                    continue
                log.warning("customer-service message to %s refused: %s %s", openid[-6:], exc.errcode, exc.errmsg)
                return {
                    "status": "failed",
                    "errcode": exc.errcode,
                    "error": refusal_text(exc.errcode, exc.errmsg),
                    "at": self.clock(),
                    "tries": tries,
                }

    def _outbound(self, entry: dict, text: str, how: str, staff: str | None, delivery: dict) -> dict:
        return {
            "_id": f"{how}:{secrets.token_hex(8)}",
            "direction": "out",
            "openid": entry["openid"],
            "type": "text",
            "content": mask_text(text),
            "answered_by": how,
            "staff": staff,
            "escalation": str(entry["_id"]),
            "created_at": self.clock(),
            "delivery": delivery,
        }

    async def note(self, chat_id, staff: str, text: str, *, supervisor: bool = False) -> dict:
        """A note on a chat: an agent's on the chats they serve, a supervisor's on any."""
        text = mask_text((text or "").strip())[:1000]
        if not text:
            raise HandoffError("备注不能为空。")
        entry = await self.get(chat_id) if supervisor else await self._mine(chat_id, staff, False)
        now = self.clock()
        updated = await self.escalations.find_one_and_update(
            {"_id": entry["_id"]},
            {"$push": {"notes": {"by": staff, "at": now, "text": text}}, "$set": {"updated_at": now}, "$inc": {"rev": 1}},
            return_document=ReturnDocument.AFTER,
        )
        await self.audit.record(f"staff:{staff}", "note", f"escalation:{entry['_id']}", after={"note": text})
        self.queue.changed(updated)
        return updated

    async def transfer(self, chat_id, staff: str, to: str, *, supervisor: bool = False) -> dict:
        entry = await self._mine(chat_id, staff, supervisor)
        if to == entry["staff"]:
            raise HandoffError("已经是这位同事在接待。")
        now = self.clock()
        updated = await self.escalations.find_one_and_update(
            {"_id": entry["_id"], "status": "serving", "staff": entry["staff"]},
            {
                "$set": {"staff": to, "updated_at": now},
                "$push": {"transfers": {"from": entry["staff"], "to": to, "by": staff, "at": now}},
                "$inc": {"rev": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise HandoffError("会话刚刚有了变化，请刷新后再试。")
        await self.audit.record(
            f"staff:{staff}", "transfer", f"escalation:{entry['_id']}", before={"staff": entry["staff"]}, after={"staff": to}
        )
        self.queue.changed(updated)
        return updated

    async def close(self, chat_id, staff: str, resolution: str, *, supervisor: bool = False) -> dict:
        if resolution not in RESOLUTIONS:
            raise HandoffError("请选择处理结果。")
        entry = await self._mine(chat_id, staff, supervisor)
        return await self._close(entry, actor=staff, resolution=resolution, ask_rating=True)

    async def _close(self, entry: dict, *, actor: str | None, resolution: str, ask_rating: bool) -> dict:
        now = self.clock()
        updated = await self.escalations.find_one_and_update(
            {"_id": entry["_id"], "status": {"$in": list(OPEN)}},
            {
                "$set": {
                    "status": "closed",
                    "closed_at": now,
                    "closed_by": actor or "resident",
                    "resolution": resolution,
                    "rating": None,
                    "updated_at": now,
                },
                "$unset": {"open_key": ""},
                "$inc": {"rev": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise HandoffError("这个会话已结束。")
        if actor:
            await self.audit.record(
                f"staff:{actor}",
                "close",
                f"escalation:{entry['_id']}",
                before={"status": entry["status"]},
                after={"resolution": resolution},
            )
        if ask_rating:
            await self.dialogs.merge(
                entry["openid"],
                {"choices": {"kind": "handoff_rating", "options": [1, 2, 3, 4, 5], "escalation": str(entry["_id"])}},
            )
            text = texts.rate_request()
            delivery = await self._send(entry["openid"], text, retry=True)
            delivery.pop("tries", None)
            await self.messages.insert_one(self._outbound(entry, text, "handoff", actor, delivery))
            updated = await self.escalations.find_one_and_update(
                {"_id": entry["_id"]},
                {"$set": {"rating_asked": delivery, "updated_at": self.clock()}, "$inc": {"rev": 1}},
                return_document=ReturnDocument.AFTER,
            )
        self.queue.changed(updated)
        return updated

    # ---- background ----

    async def remind_forever(self, every: float = 30.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.remind_unclaimed()
            except Exception:  # noqa: BLE001 - try again next tick
                log.exception("unclaimed-chat reminder failed")
