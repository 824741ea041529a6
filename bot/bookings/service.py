"""Proxy (代办) and home-visit (上门) bookings: eligibility, the status machine, due dates, notifications.

Status machine (every change is one conditional update, so concurrent staff actions cannot both win):

    submitted -> accepted -> assigned -> in_progress -> completed
    submitted | accepted | assigned            -> cancelled   (by the person who booked)
    submitted | accepted | assigned | in_progress -> rejected (by staff, with a reason)
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from bot.bookings.dateparse import month_day
from bot.privacy import FieldCipher, IDCard, mask_id, mask_name, mask_phone, mask_text
from knowledge_base.yamlfile import read_yaml

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8))  # no daylight saving on the mainland
RULES_FILE = Path(__file__).parent / "data" / "booking_rules.yaml"

KIND_LABELS = {"proxy": "代办服务", "home_visit": "上门服务"}
KIND_PREFIX = {"proxy": "DB", "home_visit": "SM"}
# A booking number: prefix, local date, then a sequence of at least four digits (more on a busy day).
NUMBER_PATTERN = r"(?:DB|SM|db|sm)\d{12,14}"
NOTE_LIMIT = 300  # characters of the resident's note to staff that a booking keeps
STATUS_LABELS = {
    "submitted": "已提交，等待受理",
    "accepted": "已受理",
    "assigned": "已安排工作人员",
    "in_progress": "正在办理",
    "completed": "已办结",
    "cancelled": "已取消",
    "rejected": "未通过",
}
OPEN_STATUSES = ("submitted", "accepted", "assigned", "in_progress")
CANCELLABLE = ("submitted", "accepted", "assigned")
# action -> (statuses it may start from, status it leads to, who may do it)
TRANSITIONS = {
    "accept": (("submitted",), "accepted", "staff"),
    "assign": (("accepted",), "assigned", "staff"),
    "start": (("assigned",), "in_progress", "staff"),
    "complete": (("in_progress",), "completed", "staff"),
    "reject": (("submitted", "accepted", "assigned", "in_progress"), "rejected", "staff"),
    "cancel": (CANCELLABLE, "cancelled", "booker"),
}


class BookingError(Exception):
    """Base of booking errors; `message` is safe to show to the user (Chinese)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class NotFound(BookingError):
    pass


class Forbidden(BookingError):
    pass


class BookingConflict(BookingError):
    """The booking is no longer in a status the action can start from."""


class NotEligible(BookingError):
    pass


class LimitReached(BookingError):
    """The booker has too many bookings open (or made too many today). `message` is for the chat;
    `screen_message` for an app screen (no "回复…")."""

    def __init__(self, message: str, screen_message: str | None = None):
        super().__init__(message)
        self.screen_message = screen_message or message


class IdempotencyConflict(BookingError):
    """A request key already used for a different booking request."""


@dataclass(frozen=True)
class Actor:
    """Who is acting: a resident, a station proxy, or staff."""

    kind: str  # "resident" | "proxy" | "staff"
    id: str  # openid, or the staff member's name
    station: str | None = None
    # A mini-program user is also the person behind these ids (their own mini-program openid, bookings made
    # before a unionid link) and, once their phone is verified, the contact of bookings with its keyed hash.
    aliases: tuple[str, ...] = ()
    phone_hash: str | None = None

    def booked(self, booking: dict) -> bool:
        """Did this person make the booking (and so may cancel or rate it)?"""
        return booking.get("booked_by") in (self.id, *self.aliases)

    @property
    def label(self) -> str:
        return {"resident": "居民", "proxy": "代办员", "staff": "工作人员"}[self.kind]


@dataclass
class BookingRequest:
    kind: str
    item: dict
    booked_by: Actor
    name: str
    id_card: IDCard
    phone: str
    preferred_date: date
    station: str
    relation: str = "本人"
    address: str = ""
    qualification: str = ""
    request_key: str = field(default_factory=lambda: secrets.token_hex(8))
    request_hash: str = ""  # the mini-program's Idempotency-Key: same key, other body -> IdempotencyConflict
    channel: str | None = None  # "miniprogram"; chat bookings have none (the report derives theirs)
    # "mobile" (texts reach it), "landline", or "station"/"proxy": the person has no phone and this is whose
    # number staff call instead. Only a mobile gets the beneficiary's SMS notices.
    phone_kind: str = "mobile"
    township: str = ""  # where the person lives when the station is their county's centre (form: 北闸镇)
    wxa_openid: str | None = None  # reached by mini-program subscribe messages too
    note: str = ""  # the resident's words to staff: whom to call, when someone is home (IDs and phones masked)


def load_rules(path: Path = RULES_FILE) -> dict:
    return read_yaml(path)


SEARCH_HASHES_DONE = "search_hashes_backfilled"  # meta record: every booking has its keyed search hashes


def name_key(name: str) -> str:
    """A name as its keyed hash is computed: no spaces (staff type "张 桂芬" as often as "张桂芬")."""
    return "".join((name or "").split())


def name_parts(name: str) -> list[str]:
    """Every run of two or more characters of a name, so staff find 张桂芬 by "桂芬" or "张桂" too."""
    key = name_key(name)
    return sorted({key[i:j] for i in range(len(key)) for j in range(i + 2, len(key) + 1)})


def today_in_china(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(CHINA).date()


class BookingService:
    def __init__(
        self, store, cipher: FieldCipher, calendar, stations, notifier, rules: dict | None = None, clock=lambda: datetime.now(UTC)
    ):
        self.store = store
        self.bookings = store.bookings
        self.cipher = cipher
        self.calendar = calendar
        self.stations = stations
        self.notifier = notifier
        self.rules = rules or load_rules()
        self.clock = clock
        self.started_at = clock()

    # ---- rules ----

    def check_offered(self, kind: str, item: dict) -> None:
        """Is this kind of service offered for this item? Raises NotEligible with the nearest alternative."""
        if item.get(kind):
            return
        where = f"可到{at_place(item['location'])}，咨询电话 {item['phone']}。"
        if kind == "proxy":
            reason = f"「{item['name']}」需要本人到场办理，暂不能代办。"
            other = "行动不便的可预约上门服务，回复“预约上门”。" if item.get("home_visit") else ""
        else:
            reason = f"「{item['name']}」暂不提供上门服务。"
            other = "可以请村（社区）代办员代办，回复“预约代办”。" if item.get("proxy") else ""
        raise NotEligible("\n".join(x for x in (reason, other, where) if x))

    def today(self) -> date:
        """The mainland calendar day now, by the service's clock (tests move it)."""
        return today_in_china(self.clock())

    def home_visit_by_age(self, id_card: IDCard) -> bool:
        return id_card.age_on(self.today()) >= self.rules["home_visit"]["min_age"]

    def declared_reasons(self) -> list[dict]:
        return self.rules["home_visit"]["declared"]

    def not_qualified_message(self, item: dict) -> str:
        age = self.rules["home_visit"]["min_age"]
        lines = [f"抱歉，上门服务只面向{age}岁以上老人、残疾人、卧床失能、优抚对象等行动不便的群众。"]
        if item.get("proxy"):
            lines.append("可以请村（社区）代办员代办，回复“预约代办”。")
        lines.append(f"也可到{at_place(item['location'])}，电话 {item['phone']}。")
        return "\n".join(lines)

    def check_date(self, day: date) -> str | None:
        """None when `day` can be booked, else the reason (Chinese)."""
        today = self.today()
        if day <= today:
            return "请选一个今天以后的日期。"
        if (day - today).days > self.rules["max_days_ahead"]:
            return f"只能预约{self.rules['max_days_ahead']}天以内的日期。"
        if not self.calendar.is_workday(day):
            return f"{month_day(day)}是休息日，工作人员不上班。"
        return None

    def due_date(self, item: dict, preferred: date) -> date:
        """The promised limit counted from the day the service starts (the preferred date), in its unit:
        working days on the official calendar, or calendar days (自然日) where the item says so. A calendar-day
        limit ending on a rest day ends on the next working day (民法典第二百零三条)."""
        start = max(preferred, self.today())
        days = int(item["promised_limit_days"])
        if item.get("promised_limit_unit") != "自然日":
            return self.calendar.add_workdays(start, days)
        end = start + timedelta(days=days)
        while not self.calendar.is_workday(end):
            end += timedelta(days=1)
        return end

    # ---- create ----

    async def create(self, req: BookingRequest) -> dict:
        """Create the booking once: the same request_key (a retried confirmation) returns the first one."""
        existing = await self.bookings.find_one({"request_key": req.request_key})
        if existing:
            return self._same_request(existing, req)
        self.check_offered(req.kind, req.item)
        await self.check_limits(req.booked_by)
        now = self.clock()
        local_day = today_in_china(now)
        seq = await self.store.next_sequence(f"booking:{local_day.isoformat()}", floor=lambda: self._numbers_used(local_day))
        c = self.cipher
        doc = {
            "number": f"{KIND_PREFIX[req.kind]}{local_day:%Y%m%d}{seq:04d}",
            "request_key": req.request_key,
            "kind": req.kind,
            "item_code": req.item["code"],
            "item_name": req.item["name"],
            "promised_days": int(req.item["promised_limit_days"]),
            "beneficiary": {
                "name": req.name,
                "relation": req.relation,
                "id_enc": c.encrypt(req.id_card.number, "beneficiary.id_number"),
                "id_hash": c.blind_index(req.id_card.number),
                "id_masked": mask_id(req.id_card.number),
                "phone_enc": c.encrypt(req.phone, "beneficiary.phone"),
                "phone_masked": mask_phone(req.phone),
                "phone_kind": req.phone_kind,
                # Keyed hash: a mini-program user with this verified phone sees their own chat bookings.
                "phone_hash": c.blind_index(req.phone),
                # Keyed hash of the name: the staff desk finds a booking by name without a text scan.
                "name_hash": c.blind_index(name_key(req.name)),
                "name_parts": [c.blind_index(p) for p in name_parts(req.name)],
                "address_enc": c.encrypt(req.address, "beneficiary.address") if req.address else None,
                "birth_year": req.id_card.birth.year,
            },
            "qualification": req.qualification or None,
            "booked_by": req.booked_by.id,
            "booked_by_kind": req.booked_by.kind,
            "on_behalf": req.booked_by.kind == "proxy" or req.relation != "本人",
            "station": req.station,
            "township": req.township or None,
            "preferred_date": req.preferred_date.isoformat(),
            "due_date": self.due_date(req.item, req.preferred_date).isoformat(),
            "status": "submitted",
            "history": [{"status": "submitted", "at": now, "by": f"{req.booked_by.kind}:{req.booked_by.id}"}],
            "created_at": now,
            "completed_at": None,
            "on_time": None,
            "rating": None,
        }
        for key in ("request_hash", "channel", "wxa_openid"):
            if getattr(req, key):
                doc[key] = getattr(req, key)
        if req.note.strip():
            doc["resident_note"] = mask_text(req.note.strip())[:NOTE_LIMIT]
        try:
            await self.bookings.insert_one(doc)
        except DuplicateKeyError:
            return self._same_request(await self.bookings.find_one({"request_key": req.request_key}), req)
        log.info("booking %s created (%s, %s) by %s", doc["number"], req.kind, req.item["code"], req.booked_by.kind)
        return doc

    @staticmethod
    def _same_request(existing: dict, req: BookingRequest) -> dict:
        if existing.get("request_hash", "") != req.request_hash:
            raise IdempotencyConflict("这个请求编号已经用于另一个预约，请刷新页面后重新提交。")
        return existing

    async def check_limits(self, booker: Actor) -> None:
        """Refuse a booking over the per-user limits (booking_rules.yaml), politely."""
        if booker.kind == "proxy":
            since = datetime.combine(self.today(), datetime.min.time(), CHINA)
            made = await self.bookings.count_documents({"booked_by": booker.id, "created_at": {"$gte": since}})
            if made >= self.rules["max_per_proxy_per_day"]:
                raise LimitReached(f"今天已提交{made}个预约，达到每天的上限。明天再提交，急事请打服务站电话。")
        elif booker.kind == "resident":
            open_count = await self.bookings.count_documents({"booked_by": booker.id, "status": {"$in": list(OPEN_STATUSES)}})
            if open_count >= self.rules["max_open_per_resident"]:
                raise LimitReached(
                    f"您已有{open_count}个预约正在办理，办结后再约新的吧。回复“查进度”看看，或取消不需要的预约。",
                    f"您已有{open_count}个预约正在办理，办结后再约新的吧。可以在“我的预约”里查看，或取消不需要的预约。",
                )

    async def _numbers_used(self, day: date) -> int:
        """The highest sequence number already used on `day`, plus a start-up component on a volatile store:
        after a restart of the in-memory store the bookings are gone but residents still hold their numbers.
        Six per minute of the day keeps the sequence at four digits (1439 * 6 < 10000)."""
        highest = 0
        for prefix in KIND_PREFIX.values():
            last = await self.bookings.find_one(
                {"number": {"$regex": f"^{prefix}{day:%Y%m%d}"}}, {"number": 1}, sort=[("created_at", DESCENDING)]
            )
            if last:
                highest = max(highest, int(last["number"][10:]))
        if getattr(self.store, "volatile", False):
            started = self.started_at.astimezone(CHINA)
            highest = max(highest, (started.hour * 60 + started.minute) * 6)
        return highest

    # ---- read ----

    def _visible_filter(self, actor: Actor) -> dict:
        if actor.kind == "staff":
            return {}
        mine: dict = {"booked_by": {"$in": [actor.id, *actor.aliases]}} if actor.aliases else {"booked_by": actor.id}
        if actor.kind == "proxy":
            return {"$or": [{"station": actor.station}, mine]}
        if actor.phone_hash:
            return {"$or": [mine, {"beneficiary.phone_hash": actor.phone_hash}]}
        return mine

    async def list_for(self, actor: Actor, statuses=OPEN_STATUSES, limit: int = 10) -> list[dict]:
        query = {**self._visible_filter(actor), "status": {"$in": list(statuses)}}
        cursor = self.bookings.find(query).sort("created_at", DESCENDING).limit(limit)
        return [b async for b in cursor]

    async def page(
        self,
        actor: Actor,
        *,
        statuses=OPEN_STATUSES,
        kind: str | None = None,
        station: str | None = None,
        item_code: str | None = None,
        limit: int = 50,
        after: tuple[datetime, ObjectId] | None = None,
    ) -> tuple[list[dict], tuple[datetime, ObjectId] | None]:
        """One page of bookings, newest first, and the position to continue `after` (None on the last page)."""
        query: dict = {**self._visible_filter(actor), "status": {"$in": list(statuses)}}
        for key, value in (("kind", kind), ("station", station), ("item_code", item_code)):
            if value:
                query[key] = value
        if after is not None:
            at, oid = after
            query = {"$and": [query, {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": oid}}]}]}
        cursor = self.bookings.find(query).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(limit + 1)
        found = [b async for b in cursor]
        more = len(found) > limit
        found = found[:limit]
        return found, ((found[-1]["created_at"], found[-1]["_id"]) if more else None)

    async def get_for(self, actor: Actor, number: str) -> dict:
        booking = await self.bookings.find_one({"number": number.upper(), **self._visible_filter(actor)})
        if booking is None:
            # Same answer whether it does not exist or belongs to someone else: no enumeration.
            raise NotFound(f"没有找到预约 {number}。")
        return booking

    # ---- change ----

    async def transition(
        self, number: str, action: str, actor: Actor, reason: str = "", assignee: str = "", note: str = "", assignee_ref=None
    ) -> dict:
        """`reason` is told to the resident; `note` is for staff only. `assignee_ref` ({"kind", "id"}) says
        which staff member or village proxy `assignee` names."""
        if action not in TRANSITIONS:
            raise BookingError(f"unknown action {action!r}")
        sources, target, who = TRANSITIONS[action]
        booking = await self.get_for(actor, number)
        if who == "staff" and actor.kind != "staff":
            raise Forbidden("只有工作人员可以办理这一步。")
        if who == "booker" and actor.kind != "staff" and not actor.booked(booking):
            raise Forbidden("只有预约人可以取消这个预约。")
        if action == "reject" and not reason.strip():
            raise BookingError("退回预约需要填写原因。")
        now = self.clock()
        entry = {"status": target, "at": now, "by": f"{actor.kind}:{actor.id}"}
        if reason:
            entry["reason"] = mask_text(reason.strip())[:200]
        if note.strip():
            entry["note"] = mask_text(note.strip())[:300]
        update: dict = {"$set": {"status": target}, "$push": {"history": entry}}
        if assignee:
            update["$set"]["assignee"] = assignee[:40]
            entry["assignee"] = assignee[:40]
            if assignee_ref:
                update["$set"]["assignee_ref"] = assignee_ref
        if target == "completed":
            on_time = today_in_china(now).isoformat() <= booking["due_date"]
            update["$set"].update(completed_at=now, on_time=on_time)
        updated = await self.bookings.find_one_and_update(
            {"number": booking["number"], "status": {"$in": list(sources)}},
            update,
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            current = await self.bookings.find_one({"number": booking["number"]}, {"status": 1})
            raise BookingConflict(
                f"预约 {booking['number']} 当前状态是“{STATUS_LABELS[current['status']]}”，不能{ACTION_LABELS[action]}。"
            )
        log.info("booking %s: %s -> %s by %s", updated["number"], booking["status"], target, actor.kind)
        await self.notifier.status_changed(updated, entry)
        return updated

    async def reassign(self, number: str, actor: Actor, assignee: str, assignee_ref=None, note: str = "") -> dict:
        """Hand an assigned or started booking to someone else (staff only; the status does not change)."""
        if actor.kind != "staff":
            raise Forbidden("只有工作人员可以改派。")
        booking = await self.get_for(actor, number)
        entry = {"status": booking["status"], "at": self.clock(), "by": f"staff:{actor.id}", "assignee": assignee[:40]}
        if note.strip():
            entry["note"] = mask_text(note.strip())[:300]
        updated = await self.bookings.find_one_and_update(
            {"number": booking["number"], "status": {"$in": ["assigned", "in_progress"]}},
            {"$set": {"assignee": assignee[:40], "assignee_ref": assignee_ref}, "$push": {"history": entry}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise BookingConflict(f"预约 {booking['number']} 还没派单或已经结束，不能改派。")
        log.info("booking %s reassigned by staff", updated["number"])
        return updated

    async def rate(self, actor: Actor, number: str, score: int, comment: str = "") -> dict:
        if not 1 <= score <= 5:
            raise BookingError("请打1到5分。")
        # The person served rates when they were asked (a verified follower the booking was made for).
        asked = await self.bookings.find_one({"number": (number or "").upper(), "rating_from": actor.id})
        booking = asked or await self.get_for(actor, number)
        if asked is None and not actor.booked(booking):
            raise Forbidden("只有预约人可以评价。")
        updated = await self.bookings.find_one_and_update(
            {"number": booking["number"], "status": "completed", "rating": None},
            {"$set": {"rating": {"score": score, "comment": mask_text(comment)[:300], "at": self.clock()}}},
            return_document=ReturnDocument.AFTER,
        )
        if updated is None:
            raise BookingConflict("这个预约还没办结，或已经评价过了。")
        return updated

    async def unrated_completed(self, actor: Actor) -> dict | None:
        return await self.bookings.find_one(
            {"booked_by": actor.id, "status": "completed", "rating": None}, sort=[("completed_at", DESCENDING)]
        )

    async def backfill_search_hashes(self) -> int:
        """Give bookings stored before the desk's keyed-hash search their name and phone hashes (start-up,
        idempotent). Without them staff could not find those bookings. Every booking written since carries
        them, so once done a meta record says so and later starts skip the search (a scan of every booking
        on the embedded store: no index serves a missing field)."""
        if await self.store.meta.find_one({"_id": SEARCH_HASHES_DONE}):
            return 0
        done = 0
        missing = {
            "$or": [
                {"beneficiary.name_hash": {"$exists": False}},
                {"beneficiary.phone_hash": {"$exists": False}},
                {"beneficiary.name_parts": {"$exists": False}},
            ]
        }
        async for b in self.bookings.find(missing, {"beneficiary": 1}):
            person = b["beneficiary"]
            phone = self.cipher.decrypt(person["phone_enc"], "beneficiary.phone")
            hashes = {
                "beneficiary.name_hash": self.cipher.blind_index(name_key(person.get("name", ""))),
                "beneficiary.name_parts": [self.cipher.blind_index(p) for p in name_parts(person.get("name", ""))],
                "beneficiary.phone_hash": self.cipher.blind_index(phone),
            }
            await self.bookings.update_one({"_id": b["_id"]}, {"$set": hashes})
            done += 1
        if done:
            log.info("keyed search hashes added to %d older bookings", done)
        await self.store.meta.update_one({"_id": SEARCH_HASHES_DONE}, {"$set": {"at": datetime.now(UTC)}}, upsert=True)
        return done

    def reveal(self, booking: dict) -> dict:
        """Decrypted beneficiary contact, for staff who need to call or visit."""
        b = booking["beneficiary"]
        return {
            "id_number": self.cipher.decrypt(b["id_enc"], "beneficiary.id_number"),
            "phone": self.cipher.decrypt(b["phone_enc"], "beneficiary.phone"),
            "address": self.cipher.decrypt(b["address_enc"], "beneficiary.address") if b.get("address_enc") else "",
        }


def at_place(location: str) -> str:
    """ "派出所" -> "派出所办理"; a location that already says 办理 ("…窗口办理") is not given a second one."""
    return location if location.endswith(("办理", "办")) else f"{location}办理"


ACTION_LABELS = {"accept": "受理", "assign": "派单", "start": "开始办理", "complete": "办结", "reject": "退回", "cancel": "取消"}


def public_view(booking: dict) -> dict:
    """What may be shown outside the staff console: masked, no ciphertext."""
    b = booking["beneficiary"]
    return {
        "number": booking["number"],
        "kind": booking["kind"],
        "item": {"code": booking["item_code"], "name": booking["item_name"]},
        "status": booking["status"],
        "status_label": STATUS_LABELS[booking["status"]],
        "beneficiary": {
            "name": mask_name(b["name"]),
            "relation": b["relation"],
            "id": b["id_masked"],
            "phone": b["phone_masked"],
        },
        "station": booking["station"],
        "preferred_date": booking["preferred_date"],
        "due_date": booking["due_date"],
        "on_time": booking.get("on_time"),
        "rating": (booking.get("rating") or {}).get("score"),
        "history": [{"status": h["status"], "at": h["at"], "reason": h.get("reason")} for h in booking["history"]],
        # Set when no channel reached the resident: staff should phone (GET .../notifications has the detail).
        "notice_problem": (f"未能通知：{booking['notice_problem']['reason']}" if booking.get("notice_problem") else None),
        "due_alert": bool(booking.get("due_alert")),
    }
