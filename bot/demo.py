"""Demo data: N bookings over the last 18 months with their chats, hand-offs, 96128 calls and ratings.

Written straight into the store (as the services would have left it, not through them: 30,000 bookings
through the booking form would take an hour), for supervisors trying the console and for benchmarks and
tests that need a store of a realistic size. `python -m bot.admin seed-demo --bookings N` runs it against
the configured store while no server runs on it.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bson import ObjectId
from mongomock import helpers
from mongomock.collection import Collection
from pymongo.errors import DuplicateKeyError

from bot.bookings.service import CHINA, KIND_PREFIX, OPEN_STATUSES, SEARCH_HASHES_DONE, name_key, name_parts
from bot.conversation import texts
from bot.privacy import mask_id, mask_phone
from bot.store import INDEXES

SPAN_DAYS = 548  # 18 months
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN = "桂芬国华建国秀英志强春梅海燕玉兰德明小平永红文华丽娟振华淑珍金凤德胜光辉凤英学军玉珍"
QUESTIONS = [
    "低保怎么办",
    "身份证过期了怎么换",
    "社保卡丢了怎么补",
    "要带什么材料",
    "多久能办好",
    "在哪里办",
    "能上门办吗",
    "查进度",
]
REPLY = "办理需要带身份证和户口簿，到所在乡镇便民服务中心办理，承诺时限以事项指南为准。"
ADDRESS = "昭阳区凤凰街道示例社区1号"
TOPICS = ("办事指南", "政策咨询", "进度查询", "预约代办上门", "投诉建议", "其他")
BATCH = 5000


@dataclass
class DemoCounts:
    bookings: int = 0
    messages: int = 0
    escalations: int = 0
    hotline_calls: int = 0
    users: int = 0
    ratings: int = 0
    statuses: Counter | None = None

    def lines(self) -> list[str]:
        statuses = ", ".join(f"{k} {v}" for k, v in sorted((self.statuses or {}).items()))
        return [
            f"bookings       {self.bookings}  ({statuses})",
            f"messages       {self.messages}",
            f"hand-offs      {self.escalations}",
            f"96128 calls    {self.hotline_calls}",
            f"users          {self.users}",
            f"ratings        {self.ratings}",
        ]


class Demo:
    """Generates the documents; `write` inserts them in batches."""

    def __init__(
        self,
        cipher,
        calendar,
        items: list[dict],
        stations: list[str],
        *,
        seed: int = 19,
        now: datetime | None = None,
        numbers_used: dict | None = None,
    ):
        self.rng = random.Random(seed)
        self.cipher = cipher
        self.calendar = calendar
        self.items = [i for i in items if i.get("promised_limit_days") is not None] or items
        self.stations = stations
        self.now = now or datetime.now(UTC)
        self.start = self.now - timedelta(days=SPAN_DAYS)
        self._numbers: Counter = Counter(numbers_used or {})  # day -> last booking number used that day
        self._msg = 0
        self.run = f"{int(self.now.timestamp()):x}{seed}"  # a second seeding adds to the first, never collides

    def _time(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.uniform(0, max((end - start).total_seconds(), 1)))

    def _person(self, n: int) -> tuple[str, str, str]:
        rng = self.rng
        name = rng.choice(SURNAMES) + rng.choice(GIVEN[::2]) + rng.choice(GIVEN[1::2])
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        area = rng.choice(["530602", "530621", "530622", "530623", "530624", "530625", "530626", "530627", "530628"])
        body = f"{area}{rng.randrange(1935, 1965)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{n % 1000:03d}"
        weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
        id_number = body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        return name, phone, id_number

    def booking(self, n: int, booker: str, booker_kind: str) -> dict:
        rng, cipher = self.rng, self.cipher
        item = rng.choice(self.items)
        created = self._time(self.start, self.now - timedelta(minutes=5))
        kind = "home_visit" if item.get("home_visit") and rng.random() < 0.35 else "proxy"
        day = created.astimezone(CHINA).date()
        self._numbers[day] += 1
        days = int(item.get("promised_limit_days") or 5)
        due = self.calendar.add_workdays(day, days)
        age_days = (self.now - created).days
        # Old bookings are finished; recent ones still move through the desk.
        if age_days > days * 2 + 10:
            status = rng.choices(["completed", "cancelled", "rejected", "in_progress"], [86, 8, 4, 2])[0]
        else:
            status = rng.choices(["completed", "cancelled", "rejected", *OPEN_STATUSES], [30, 5, 2, 20, 15, 13, 15])[0]
        name, phone, id_number = self._person(n)
        history = [{"status": "submitted", "at": created, "by": f"{booker_kind}:{booker}"}]
        at = created
        path = {"accepted": 1, "assigned": 2, "in_progress": 3, "completed": 4}.get(status, 0)
        for step in ("accepted", "assigned", "in_progress", "completed")[:path]:
            at = at + timedelta(hours=rng.uniform(1, 24 * days * (0.5 if step != "completed" else 0.9)))
            at = min(at, self.now - timedelta(minutes=1))
            entry = {"status": step, "at": at, "by": "staff:demo"}
            if step == "assigned":
                entry["assignee"] = "李明"
            history.append(entry)
        if status in ("cancelled", "rejected"):
            at = min(created + timedelta(hours=rng.uniform(1, 72)), self.now - timedelta(minutes=1))
            entry = {"status": status, "at": at, "by": f"{booker_kind}:{booker}" if status == "cancelled" else "staff:demo"}
            if status == "rejected":
                entry["reason"] = "材料不全"
            history.append(entry)
        completed_at = on_time = rating = None
        if status == "completed":
            completed_at = history[-1]["at"]
            on_time = completed_at.astimezone(CHINA).date().isoformat() <= due.isoformat()
            if rng.random() < 0.6:
                rated_at = min(completed_at + timedelta(hours=rng.uniform(0.5, 72)), self.now)
                rating = {"score": rng.choices([5, 4, 3, 2, 1], [62, 24, 8, 4, 2])[0], "comment": "", "at": rated_at}
        doc = {
            "number": f"{KIND_PREFIX[kind]}{day:%Y%m%d}{self._numbers[day]:04d}",
            "request_key": f"demo:{self.run}:{n}",
            "kind": kind,
            "item_code": item["code"],
            "item_name": item["name"],
            "promised_days": days,
            "beneficiary": {
                "name": name,
                "relation": rng.choice(["本人", "本人", "父亲", "母亲", "配偶"]),
                "id_enc": cipher.encrypt(id_number, "beneficiary.id_number"),
                "id_hash": cipher.blind_index(id_number),
                "id_masked": mask_id(id_number),
                "phone_enc": cipher.encrypt(phone, "beneficiary.phone"),
                "phone_masked": mask_phone(phone),
                "phone_hash": cipher.blind_index(phone),
                "name_hash": cipher.blind_index(name_key(name)),
                "name_parts": [cipher.blind_index(p) for p in name_parts(name)],
                "address_enc": cipher.encrypt(ADDRESS, "beneficiary.address") if kind == "home_visit" else None,
                "birth_year": int(id_number[6:10]),
            },
            "qualification": None,
            "booked_by": booker,
            "booked_by_kind": booker_kind,
            "on_behalf": booker_kind == "proxy",
            "station": rng.choice(self.stations),
            "preferred_date": day.isoformat(),
            "due_date": due.isoformat(),
            "status": status,
            "history": history,
            "created_at": created,
            "completed_at": completed_at,
            "on_time": on_time,
            "rating": rating,
        }
        if path >= 2:
            doc["assignee"] = "李明"
        return doc

    def chat(self, openid: str, around: datetime, pairs: int) -> list[dict]:
        """A resident's conversation: `pairs` messages and the bot's replies (some it could not answer)."""
        out = []
        at = around - timedelta(minutes=pairs * 2)
        for _ in range(pairs):
            self._msg += 1
            at = at + timedelta(seconds=self.rng.uniform(20, 200))
            key = f"msg:demo{self.run}:{self._msg}"
            kind = self.rng.choices(["text", "voice", "image", "location"], [85, 10, 3, 2])[0]
            question = self.rng.choice(QUESTIONS)
            out.append({"_id": key, "direction": "in", "openid": openid, "type": kind, "content": question, "created_at": at})
            content = texts.DONT_KNOW if self.rng.random() < 0.1 else REPLY
            out.append(
                {
                    "_id": "reply:" + key,
                    "direction": "out",
                    "openid": openid,
                    "type": "text",
                    "content": content,
                    "answered_by": "passive",
                    "in_reply_to": key,
                    "created_at": at + timedelta(milliseconds=300),
                }
            )
        return out

    def escalation(self, n: int, openid: str) -> dict:
        rng = self.rng
        created = self._time(self.start, self.now - timedelta(minutes=10))
        recent = self.now - created < timedelta(hours=2)
        status = rng.choice(["waiting", "serving"]) if recent else "closed"
        answered = status != "waiting" and rng.random() < 0.93
        seconds = rng.expovariate(1 / 150) if answered else None
        doc = {
            "openid": openid,
            "reason": rng.choices(["asked", "not_understood", "complaint", "low_rating"], [60, 25, 10, 5])[0],
            "last_message": "转人工",
            "last_message_at": created,
            "status": status,
            "created_at": created,
            "updated_at": created,
            "rev": 3,
            "first_response_at": created + timedelta(seconds=seconds) if answered else None,
            "closed_at": created + timedelta(minutes=rng.uniform(5, 40)) if status == "closed" else None,
            "staff": "demo" if answered else None,
            "rating": None,
        }
        if answered:
            doc.update(first_response_by="demo", first_response_seconds=seconds, answered_in_time=seconds <= 180)
        if status != "closed":
            doc["open_key"] = openid
        elif answered and rng.random() < 0.5:
            score = rng.choices([5, 4, 3, 2, 1], [55, 25, 10, 6, 4])[0]
            doc["rating"] = {"score": score, "at": doc["closed_at"] + timedelta(minutes=1)}
            doc["closed_by"] = "demo"
        return doc

    def call(self) -> dict:
        rng = self.rng
        at = self._time(self.start, self.now)
        transferred = rng.random() < 0.3
        item = rng.choice(self.items) if rng.random() < 0.7 else None
        score = rng.choices([5, 4, 3, 2, 1], [60, 25, 8, 5, 2])[0] if rng.random() < 0.4 else None
        return {
            "at": at,
            "logged_at": at,
            "staff": "demo",
            "topic": rng.choice(TOPICS),
            "item_code": item["code"] if item else None,
            "item_name": item["name"] if item else None,
            "outcome": "transferred" if transferred else "answered",
            "transfer_to": "民政局" if transferred else None,
            "transfer_answered": (rng.random() < 0.9) if transferred else None,
            "rating": {"score": score, "at": at} if score else None,
            "note": "",
        }


async def _insert(collection, docs: list[dict]) -> None:
    """insert_many; on the embedded store a bulk load instead: mongomock checks each unique index by scanning
    the whole collection per document (hours at 30,000 bookings), so the unique keys are checked here once,
    against a set, and the documents go straight into mongomock's store (journaled like any insert)."""
    sync = getattr(collection, "_AsyncMongoMockCollection__collection", None)
    if not isinstance(sync, Collection):
        for start in range(0, len(docs), BATCH):
            await collection.insert_many(docs[start : start + BATCH], ordered=False)
        return
    store = sync._store
    for model in INDEXES.get(collection.name, []):
        spec = model.document
        if not spec.get("unique"):
            continue
        fields = list(spec["key"])
        sparse = spec.get("sparse", False)

        def key(doc, fields=fields, sparse=sparse):
            values = tuple(helpers.get_value_by_dot(doc, f) if _has(doc, f) else None for f in fields)
            if sparse and all(not _has(doc, f) for f in fields):
                return None
            return values

        seen = {k for k in map(key, store._documents.values()) if k is not None}
        for doc in docs:
            k = key(doc)
            if k is None:
                continue
            if k in seen:
                raise DuplicateKeyError(f"E11000 duplicate key in {collection.name}.{spec['name']}: {k}", 11000)
            seen.add(k)
    for doc in docs:
        doc.setdefault("_id", ObjectId())
        if doc["_id"] in store._documents:
            raise DuplicateKeyError(f"E11000 duplicate key in {collection.name}._id: {doc['_id']}", 11000)
        store[doc["_id"]] = helpers.patch_datetime_awareness_in_document(doc)


def _has(doc: dict, path: str) -> bool:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return False
        doc = doc[part]
    return True


async def seed_demo(store, cipher, calendar, n_bookings: int, *, seed: int = 19, now: datetime | None = None) -> DemoCounts:
    """Write N bookings, about 10 messages each, N/4 hand-offs and N/5 96128 calls into `store`."""
    items = [i async for i in store.items.find({}, {"_id": 0, "code": 1, "name": 1, "promised_limit_days": 1, "home_visit": 1})]
    stations = [s["code"] async for s in store.stations.find({}, {"code": 1})]
    if not items or not stations:
        raise ValueError("the store has no service items or stations to book")
    used = {}
    async for c in store.counters.find({"_id": {"$regex": "^booking:"}}):
        used[date.fromisoformat(c["_id"].split(":", 1)[1])] = int(c["value"])
    demo = Demo(cipher, calendar, items, stations, seed=seed, now=now, numbers_used=used)
    rng = demo.rng
    residents = [f"o_demo_r{i}" for i in range(max(n_bookings // 2, 1))]
    proxies = [f"o_demo_p{i}" for i in range(max(n_bookings // 200, 1))]
    counts = DemoCounts(statuses=Counter())
    bookings, messages = [], []
    for n in range(n_bookings):
        by_proxy = rng.random() < 0.4
        booker = rng.choice(proxies if by_proxy else residents)
        b = demo.booking(n, booker, "proxy" if by_proxy else "resident")
        bookings.append(b)
        counts.statuses[b["status"]] += 1
        counts.ratings += b["rating"] is not None
        messages += demo.chat(booker, b["created_at"], rng.choice([4, 5, 5, 6]))
    escalations = [demo.escalation(n, f"o_demo_h{demo.run}_{n}") for n in range(n_bookings // 4)]
    counts.ratings += sum(e["rating"] is not None for e in escalations)
    calls = [demo.call() for _ in range(n_bookings // 5)]
    counts.ratings += sum(c["rating"] is not None for c in calls)
    users = [{"openid": o, "role": "resident", "created_at": demo.start} for o in residents]
    users += [{"openid": o, "role": "proxy", "station": rng.choice(stations), "created_at": demo.start} for o in proxies]
    existing = {u["openid"] async for u in store.users.find({"openid": {"$in": [u["openid"] for u in users]}}, {"openid": 1})}
    users = [u for u in users if u["openid"] not in existing]
    # Into a store without bookings, every booking there is then ours and carries its keyed search hashes: the
    # server's first start need not scan them all for missing ones (BookingService.backfill_search_hashes).
    all_hashed = await store.bookings.find_one({}, {"_id": 1}) is None
    await _insert(store.bookings, bookings)
    await _insert(store.messages, messages)
    await _insert(store.escalations, escalations)
    await _insert(store.hotline_calls, calls)
    if users:
        await _insert(store.users, users)
    if all_hashed:
        await store.meta.update_one({"_id": SEARCH_HASHES_DONE}, {"$set": {"at": datetime.now(UTC)}}, upsert=True)
    # Booking numbers go on from the highest one seeded for each day.
    for day, last in demo._numbers.items():
        await store.counters.update_one({"_id": f"booking:{day.isoformat()}"}, {"$max": {"value": last}}, upsert=True)
    counts.bookings, counts.messages = len(bookings), len(messages)
    counts.escalations, counts.hotline_calls, counts.users = len(escalations), len(calls), len(users)
    return counts
