"""The staff bookings desk: the filtered list, one booking with its history and deadline, staff actions
(through BookingService's atomic rules), assignment to staff or village proxies, role scoping, export rows.

Who sees what: supervisors and admins every booking; an agent the bookings of their own stations
(`stations` on their staff account), or every booking when the centre configures agents so.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import ASCENDING, DESCENDING

from bot.bookings.service import (
    ACTION_LABELS,
    CHINA,
    KIND_LABELS,
    NUMBER_PATTERN,
    OPEN_STATUSES,
    STATUS_LABELS,
    TRANSITIONS,
    Actor,
    BookingError,
    Forbidden,
    NotFound,
    name_key,
)
from bot.privacy import mask_name, parse_id_number, parse_mobile

log = logging.getLogger(__name__)

BOOKING_NUMBER = re.compile(rf"^{NUMBER_PATTERN}$")
STAFF_ACTIONS = ("accept", "assign", "start", "complete", "reject")
PAGE_SIZE = 50
MAX_EXPORT = 10_000
SUPERVISING = ("supervisor", "admin")


@dataclass(frozen=True)
class Scope:
    """The stations a staff member acts on; None means all."""

    stations: tuple[str, ...] | None
    supervisor: bool = False

    def allows(self, station: str | None) -> bool:
        return self.stations is None or station in self.stations

    def match(self) -> dict:
        return {} if self.stations is None else {"station": {"$in": list(self.stations)}}


def scope_for(account: dict, agents_see_all: bool = False) -> Scope:
    supervisor = account.get("role") in SUPERVISING
    if supervisor or agents_see_all:
        return Scope(None, supervisor)
    return Scope(tuple(account.get("stations") or ()), False)


@dataclass
class DeskFilter:
    status: str = "open"  # "open", "all" or one status
    kind: str = ""
    station: str = ""
    item_code: str = ""
    department: str = ""
    since: date | None = None  # received on or after (mainland day)
    until: date | None = None  # received on or before
    overdue: bool = False
    q: str = ""  # booking number, beneficiary phone, ID number or name
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, get) -> DeskFilter:
        """From query arguments (`get(name) -> str`); bad values are dropped and listed in `errors`."""
        f = cls(
            status=get("status") or "open",
            kind=get("kind"),
            station=get("station"),
            item_code=get("item"),
            department=get("department"),
            overdue=get("overdue") in ("1", "on", "true"),
            q=(get("q") or "").strip()[:40],
        )
        if f.status not in ("open", "all", *STATUS_LABELS):
            f.errors.append("未知状态。")
            f.status = "open"
        if f.kind and f.kind not in KIND_LABELS:
            f.errors.append("未知类型。")
            f.kind = ""
        for name in ("since", "until"):
            raw = (get(name) or "").strip()
            if raw:
                try:
                    setattr(f, name, date.fromisoformat(raw))
                except ValueError:
                    f.errors.append("日期格式应为 2026-12-02。")
        return f

    def args(self) -> dict:
        """The non-default values, for links (next page, export) that keep the filter."""
        out = {
            "status": self.status if self.status != "open" else "",
            "kind": self.kind,
            "station": self.station,
            "item": self.item_code,
            "department": self.department,
            "since": self.since.isoformat() if self.since else "",
            "until": self.until.isoformat() if self.until else "",
            "overdue": "1" if self.overdue else "",
            "q": self.q,
        }
        return {k: v for k, v in out.items() if v}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, CHINA)


class BookingDesk:
    def __init__(self, service, store, stations, audit, *, agents_see_all: bool = False, on_change=None):
        self.service = service
        self.store = store
        self.bookings = store.bookings
        self.calendar = service.calendar
        self.cipher = service.cipher
        self.stations = stations
        self.audit = audit
        self.agents_see_all = agents_see_all
        self.on_change = on_change  # the report's cache

    def scope(self, account: dict) -> Scope:
        return scope_for(account, self.agents_see_all)

    # ---- the list ----

    async def department_items(self, department: str) -> list[str]:
        return [i["code"] async for i in self.store.items.find({"department": department}, {"code": 1})]

    def search_clause(self, q: str) -> dict:
        """Booking number, or a keyed hash of the beneficiary's phone, ID number or name: never a text scan."""
        text = "".join(q.split()).upper()
        if BOOKING_NUMBER.match(text):
            return {"number": text}
        try:
            return {"beneficiary.phone_hash": self.cipher.blind_index(parse_mobile(text))}
        except ValueError:
            pass
        try:
            return {"beneficiary.id_hash": self.cipher.blind_index(parse_id_number(text).number)}
        except ValueError:
            pass
        key = name_key(q)
        if len(key) >= 2:  # a whole name or part of one ("桂芬"); one character would match half a village
            return {"beneficiary.name_parts": self.cipher.blind_index(key)}
        return {"beneficiary.name_hash": self.cipher.blind_index(key)}

    async def query(self, f: DeskFilter, scope: Scope) -> dict:
        query: dict = dict(scope.match())
        if f.status == "open":
            query["status"] = {"$in": list(OPEN_STATUSES)}
        elif f.status != "all":
            query["status"] = f.status
        if f.kind:
            query["kind"] = f.kind
        if f.station:
            if not scope.allows(f.station):
                return {"_id": None}  # nothing: not one of this agent's stations
            query["station"] = f.station
        if f.item_code:
            query["item_code"] = f.item_code
        elif f.department:
            query["item_code"] = {"$in": await self.department_items(f.department)}
        if f.since or f.until:
            created: dict = {}
            if f.since:
                created["$gte"] = _midnight(f.since)
            if f.until:
                created["$lt"] = _midnight(f.until + timedelta(days=1))
            query["created_at"] = created
        if f.overdue:
            today = self.service.today().isoformat()
            query["due_date"] = {"$lt": today}
            if f.status in ("open", "all"):
                query["status"] = {"$in": list(OPEN_STATUSES)}
        if f.q:
            query.update(self.search_clause(f.q))
        return query

    async def page(self, f: DeskFilter, scope: Scope, *, limit: int = PAGE_SIZE, after: str = "") -> dict:
        """One page, newest first; `after` is the cursor of the previous page's last row."""
        query = await self.query(f, scope)
        if after:
            position = _decode_cursor(after)
            if position:
                at, oid = position
                query = {"$and": [query, {"$or": [{"created_at": {"$lt": at}}, {"created_at": at, "_id": {"$lt": oid}}]}]}
        projection = {"beneficiary.id_enc": 0, "beneficiary.phone_enc": 0, "beneficiary.address_enc": 0}
        cursor = self.bookings.find(query, projection).sort([("created_at", DESCENDING), ("_id", DESCENDING)]).limit(limit + 1)
        found = [b async for b in cursor]
        more = len(found) > limit
        found = found[:limit]
        today = self.service.today()
        return {
            "rows": [self.row(b, today) for b in found],
            "next": _encode_cursor(found[-1]) if more else "",
        }

    async def count(self, f: DeskFilter, scope: Scope) -> int:
        return await self.bookings.count_documents(await self.query(f, scope))

    def deadline(self, booking: dict, today: date | None = None) -> dict:
        """Working days left until the due date, or how late it is (for completed ones: how it ended)."""
        today = today or self.service.today()
        due = date.fromisoformat(booking["due_date"])
        status = booking["status"]
        if status == "completed" and booking.get("completed_at"):
            done = booking["completed_at"].astimezone(CHINA).date()
            late = self.calendar.workdays_between(due, done)
            return {
                "state": "late_done" if late else "on_time",
                "days": late,
                "text": f"超时 {late} 个工作日办结" if late else "按时办结",
            }
        if status not in OPEN_STATUSES:
            return {"state": "closed", "days": 0, "text": ""}
        if today > due:
            late = max(self.calendar.workdays_between(due, today), 1)
            return {"state": "overdue", "days": late, "text": f"已逾期 {late} 个工作日"}
        left = self.calendar.workdays_between(today, due)
        return {"state": "due", "days": left, "text": "今天到期" if left == 0 else f"剩 {left} 个工作日"}

    def row(self, b: dict, today: date | None = None) -> dict:
        ben = b["beneficiary"]
        return {
            "number": b["number"],
            "kind": b["kind"],
            "kind_label": KIND_LABELS.get(b["kind"], b["kind"]),
            "item_code": b["item_code"],
            "item_name": b["item_name"],
            "beneficiary": mask_name(ben["name"]),
            "phone": ben.get("phone_masked", ""),
            "station": b.get("station"),
            "station_name": self.stations.name_of(b.get("station")),
            "status": b["status"],
            "status_label": STATUS_LABELS.get(b["status"], b["status"]),
            "created_at": b["created_at"].astimezone(CHINA),
            "due_date": b["due_date"],
            "assignee": b.get("assignee") or "",
            "deadline": self.deadline(b, today),
        }

    # ---- one booking ----

    async def get(self, number: str, scope: Scope) -> dict:
        booking = await self.bookings.find_one({"number": (number or "").upper()})
        if booking is None or not scope.allows(booking.get("station")):
            raise NotFound(f"没有找到预约 {number}，或不在您负责的服务站。")
        return booking

    async def people(self, booking: dict, actors=()) -> dict[str, str]:
        """Display names for "staff:USERNAME", "proxy:OPENID" and "resident:OPENID" as staff read them:
        工作人员 李明（sup1）, 代办员 李春梅; a resident by their relation to the beneficiary, never an openid."""
        keys = {h.get("by", "") for h in booking.get("history", [])} | set(actors)
        keys.add(f"{booking.get('booked_by_kind')}:{booking.get('booked_by')}")
        staff = [k.split(":", 1)[1] for k in keys if k.startswith("staff:")]
        proxies = [k.split(":", 1)[1] for k in keys if k.startswith("proxy:")]
        names: dict[str, str] = {}
        async for a in self.store.db["staff"].find({"username": {"$in": staff}}, {"username": 1, "name": 1}):
            name = a.get("name") or a["username"]
            names[f"staff:{a['username']}"] = f"工作人员 {name}" + (f"（{a['username']}）" if name != a["username"] else "")
        async for p in self.store.users.find({"openid": {"$in": proxies}}, {"openid": 1, "name": 1}):
            names[f"proxy:{p['openid']}"] = f"代办员 {p.get('name') or '（未登记姓名）'}"
        relation = booking["beneficiary"].get("relation") or "本人"
        for key in keys:
            kind, _, ident = key.partition(":")
            if key in names or not ident:
                continue
            if kind == "resident":
                names[key] = "居民本人" if relation == "本人" else f"居民（为{relation}预约）"
            else:
                names[key] = {"staff": "工作人员", "proxy": "代办员"}.get(kind, kind) + f" {ident}"
        return names

    def history(self, booking: dict, names: dict[str, str] | None = None) -> list[dict]:
        out = []
        for h in booking.get("history", []):
            who = h.get("by", "")
            kind, _, ident = who.partition(":")
            label = {"staff": "工作人员", "resident": "居民", "proxy": "代办员"}.get(kind, kind)
            if kind in ("resident", "proxy"):
                ident = ident[-6:]
            out.append(
                {
                    "at": h["at"].astimezone(CHINA),
                    "status_label": STATUS_LABELS.get(h["status"], h["status"]),
                    "who": (names or {}).get(who) or f"{label} {ident}".strip(),
                    "reason": h.get("reason", ""),
                    "note": h.get("note", ""),
                    "assignee": h.get("assignee", ""),
                }
            )
        return out

    def actions(self, booking: dict, scope: Scope) -> list[tuple[str, str]]:
        """(action, label) the desk offers for this booking now."""
        out = [(a, ACTION_LABELS[a]) for a in STAFF_ACTIONS if booking["status"] in TRANSITIONS[a][0]]
        if scope.supervisor and booking["status"] in ("assigned", "in_progress"):
            out.append(("reassign", "改派"))
        return out

    async def assignees(self, booking: dict) -> list[dict]:
        """Staff accounts, and the village proxies of the booking's station."""
        people = [
            {"kind": "staff", "id": a["username"], "label": f"{a.get('name') or a['username']}（工作人员）"}
            async for a in self.store.db["staff"]
            .find({"disabled": {"$ne": True}}, {"username": 1, "name": 1})
            .sort("username", ASCENDING)
        ]
        proxies = self.store.users.find({"role": "proxy", "station": booking.get("station")}, {"openid": 1, "name": 1})
        people += [
            {
                "kind": "proxy",
                "id": p["openid"],
                "label": f"{p.get('name') or '代办员'}（{self.stations.name_of(booking.get('station'))}代办员）",
            }
            async for p in proxies
        ]
        return people

    async def act(self, number: str, action: str, account: dict, *, note: str = "", reason: str = "", assignee: str = "") -> dict:
        """A staff action on a booking: scope checked, BookingService's rules applied, audited."""
        scope = self.scope(account)
        booking = await self.get(number, scope)
        actor = Actor("staff", account["username"])
        ref, label = None, ""
        if action in ("assign", "reassign"):
            ref, label = await self._assignee(booking, assignee)
        if action == "reassign":
            if not scope.supervisor:
                raise Forbidden("只有班长可以改派。")
            updated = await self.service.reassign(booking["number"], actor, label, ref, note)
        elif action in STAFF_ACTIONS:
            updated = await self.service.transition(
                booking["number"], action, actor, reason=reason, assignee=label, note=note, assignee_ref=ref
            )
        else:
            raise BookingError("未知操作。")
        await self.audit.record(
            f"staff:{account['username']}",
            action,
            f"booking:{booking['number']}",
            before={"status": booking["status"], "assignee": booking.get("assignee")},
            after={"status": updated["status"], "assignee": updated.get("assignee")},
            detail={"note": note, "reason": reason} if (note or reason) else None,
        )
        if self.on_change:
            self.on_change()
        return updated

    async def _assignee(self, booking: dict, chosen: str) -> tuple[dict, str]:
        """`chosen` is "staff:<username>" or "proxy:<openid>" from the desk's list."""
        for person in await self.assignees(booking):
            if f"{person['kind']}:{person['id']}" == chosen:
                name = person["label"].split("（")[0]
                return {"kind": person["kind"], "id": person["id"]}, name
        raise BookingError("请选择负责人：本中心工作人员或本站代办员。")

    async def set_stations(self, username: str, stations: list[str], by: str) -> dict:
        """Which stations an agent acts on (supervisors set it on the desk)."""
        known = [s for s in stations if self.stations.get(s)]
        before = await self.store.db["staff"].find_one_and_update({"username": username}, {"$set": {"stations": known}})
        if before is None:
            raise NotFound("没有这个账号。")
        await self.audit.record(
            f"staff:{by}",
            "set_stations",
            f"staff:{username}",
            before={"stations": before.get("stations")},
            after={"stations": known},
        )
        return {**before, "stations": known}

    # ---- export ----

    async def export_rows(self, f: DeskFilter, scope: Scope, *, reveal: bool) -> list[dict]:
        """Every booking the filter selects (up to MAX_EXPORT), masked unless `reveal` (supervisors)."""
        query = await self.query(f, scope)
        today = self.service.today()
        out = []
        async for b in self.bookings.find(query).sort([("created_at", DESCENDING)]).limit(MAX_EXPORT):
            row = self.row(b, today)
            if reveal:
                contact = self.service.reveal(b)
                row.update(beneficiary=b["beneficiary"]["name"], phone=contact["phone"])
            out.append(row)
        return out


def _encode_cursor(b: dict) -> str:
    return f"{round(b['created_at'].timestamp() * 1_000_000)}-{b['_id']}"


def _decode_cursor(raw: str) -> tuple[datetime, ObjectId] | None:
    from datetime import UTC

    try:
        micros, oid = raw.split("-", 1)
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros)), ObjectId(oid)
    except (ValueError, InvalidId):
        return None
