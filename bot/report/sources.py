"""Where the report's counts come from: the raw aggregation pipelines (the reference; a real MongoDB), or the
daily rollups (kept with every write on the embedded store, bot/report/rollups.py; merged in by MongoDB,
bot/report/merge.py). Both answer in the pipelines' result shapes, so
bot/report/figures.py assembles the report the same way from either."""

from __future__ import annotations

import copy

from bson import ObjectId

from bot.report import pipelines as P
from bot.report.periods import Period
from bot.report.rollups import COLLECTION, _collection_store
from bot.store import _aware_utc

RATING_KEYS = ("rated", "satisfied", "complaints", "s1", "s2", "s3", "s4", "s5")


def _first(rows: list[dict]) -> dict:
    return rows[0] if rows else {}


class RawSource:
    """Every figure by its aggregation pipeline over the documents."""

    def __init__(self, store, fallbacks: list[str]):
        self.run = store.aggregate
        self.fallbacks = fallbacks

    async def received(self, period: Period, filters: P.Filters, today: str) -> dict:
        return _first(await self.run("bookings", P.bookings_received(period, filters, today)))

    async def completed(self, period: Period, filters: P.Filters) -> dict:
        return _first(await self.run("bookings", P.bookings_completed(period, filters)))

    async def rated(self, period: Period, filters: P.Filters) -> dict:
        return _first(await self.run("bookings", P.bookings_rated(period, filters)))

    async def chat_rated(self, period: Period) -> dict:
        return _first(await self.run("escalations", P.escalations_rated(period)))

    async def hotline(self, period: Period, item_codes: tuple[str, ...]) -> dict:
        return _first(await self.run("hotline_calls", P.hotline_calls(period, item_codes)))

    async def inbound(self, period: Period) -> dict:
        return _first(await self.run("messages", P.messages_inbound(period)))

    async def replies(self, period: Period) -> dict:
        return _first(await self.run("messages", P.bot_replies(period, self.fallbacks)))

    async def queued(self, period: Period) -> dict:
        return _first(await self.run("escalations", P.escalations_queued(period)))

    async def low_ratings(self, period: Period, filters: P.Filters) -> dict[str, list[dict]]:
        """差评 documents of the period by collection, newest first (at most 500 each)."""
        out = {"bookings": await self.run("bookings", P.low_ratings()(period, filters.match()))}
        if not filters.active:
            out["escalations"] = await self.run("escalations", P.low_ratings()(period))
        if not (filters.station or filters.channel):
            match = {"item_code": {"$in": list(filters.item_codes)}} if filters.item_codes else None
            out["hotline_calls"] = await self.run("hotline_calls", P.low_ratings()(period, match))
        return out


class _Sums:
    """Counters summed by group key (None for the total), in the shape of a `$group` stage's output."""

    def __init__(self):
        self.groups: dict = {}

    def add(self, key, counters: dict, names: tuple[str, ...], prefix: str = "") -> None:
        row = self.groups.setdefault(key, {"_id": key})
        for name in names:
            row[name] = row.get(name, 0) + counters.get(prefix + name, 0)

    def rows(self) -> list[dict]:
        return list(self.groups.values())


class RollupSource:
    """The same figures summed from the daily rollup rows of the period."""

    def __init__(self, store):
        self.store = store
        self._rows: dict = {}
        self._by_source: dict[str, list[dict]] | None = None

    async def rows(self, source: str, period: Period, skip_months: frozenset = frozenset()) -> list[dict]:
        """The period's rows of one source (day rows; month rows for source "bookings-m"), leaving out the
        days of `skip_months`. Read in place, not copied: a report build runs in a forked snapshot
        (bot/offloop.py) or, on the loop, without awaiting in between; nothing here writes to them."""
        key = (source, period, skip_months)
        if key not in self._rows:
            first, last = period.start.isoformat(), period.end.isoformat()
            if source.endswith("-m"):
                first, last = first[:7], last[:7]
            if not getattr(self.store, "embedded", False):  # MongoDB: the rows bot/report/merge.py merged in
                query = {"src": source, "day": {"$gte": first, "$lte": last}}
                documents = [r async for r in self.store.db[COLLECTION].find(query)]
            else:
                if self._by_source is None:  # one pass over the rollups; a report reads them for each month too
                    self._by_source = {}
                    for r in _collection_store(self.store.db[COLLECTION])._documents.values():
                        self._by_source.setdefault(r["src"], []).append(r)
                documents = self._by_source.get(source, ())
            self._rows[key] = [r for r in documents if first <= r["day"] <= last and r["day"][:7] not in skip_months]
        return self._rows[key]

    @staticmethod
    def whole_months(period: Period) -> frozenset:
        """The months ("2026-03") the period covers entirely."""
        out = set()
        for label, _start in period.months():
            year, month = int(label[:4]), int(label[5:])
            whole = Period.month(year, month)
            if period.start <= whole.start and whole.end <= period.end:
                out.add(label)
        return frozenset(out)

    def _booking_cells(self, rows: list[dict], filters: P.Filters):
        codes = set(filters.item_codes)
        for row in rows:
            for cell in row["cells"].values():
                if codes and cell.get("item") not in codes:
                    continue
                if filters.station and cell.get("station") != filters.station:
                    continue
                if filters.channel and cell.get("channel") != filters.channel:
                    continue
                yield row["day"], cell

    async def _facets(self, period: Period, filters: P.Filters, names: tuple[str, ...], derive=None) -> dict:
        """Sums by dimension of the booking cells that count any of `names`: one pass over the cells, first
        summed per (item, station, channel), then per dimension."""
        combos: dict[tuple, dict] = {}
        months_whole = frozenset() if filters.active else self.whole_months(period)
        for row in await self.rows("bookings-m", period) if months_whole else ():
            if row["day"] not in months_whole:
                continue
            for cell in row["cells"].values():
                counters = derive(cell["n"]) if derive else cell["n"]
                if any(counters.get(name) for name in names):
                    # A month total by one dimension: the other dimensions' keys are "*" (never a real value).
                    key = {"item": "*", "station": "*", "channel": "*", "total": "*"}
                    key[cell["dim"]] = cell["key"]
                    target = combos.setdefault((cell["dim"], key["item"], key["station"], key["channel"]), {})
                    for name in names:
                        target[name] = target.get(name, 0) + counters.get(name, 0)
        for _day, cell in self._booking_cells(await self.rows("bookings", period, months_whole), filters):
            counters = derive(cell["n"]) if derive else cell["n"]
            if not any(counters.get(name) for name in names):
                continue
            key = ("cell", cell.get("item"), cell.get("station"), cell.get("channel"))
            target = combos.setdefault(key, dict.fromkeys(names, 0))
            for name in names:
                target[name] += counters.get(name, 0)
        facets = {dim: _Sums() for dim in P.DIMENSIONS}
        for (kind, item, station, channel), counters in combos.items():
            if kind == "cell":  # one (item, station, channel) of a day: counts in every dimension
                dims = {"total": None, "item": item, "station": station, "channel": channel}
            elif kind == "total":
                dims = {"total": None}
            else:  # a month total by one dimension: counts in that dimension only
                dims = {kind: {"item": item, "station": station, "channel": channel}[kind]}
            for dim, value in dims.items():
                facets[dim].add(value, counters, names)
        return {dim: sums.rows() for dim, sums in facets.items()}

    async def received(self, period: Period, filters: P.Filters, today: str) -> dict:
        def derive(n: dict) -> dict:
            opened = {k[5:]: v for k, v in n.items() if k.startswith("open@")}
            return {
                "received": n.get("received", 0),
                "open": sum(opened.values()),
                "overdue_open": sum(v for due, v in opened.items() if due < today),
            }

        return await self._facets(period, filters, ("received", "open", "overdue_open"), derive)

    async def completed(self, period: Period, filters: P.Filters) -> dict:
        return await self._facets(period, filters, ("completed", "on_time"))

    async def rated(self, period: Period, filters: P.Filters) -> dict:
        return await self._facets(period, filters, RATING_KEYS)

    async def _counts(self, source: str, period: Period, item_codes: tuple[str, ...] = ()) -> tuple[dict, list[dict]]:
        """Every counter of a source summed over the period, and the cells (for what is not a sum)."""
        total: dict = {}
        cells = []
        codes = set(item_codes)
        for row in await self.rows(source, period):
            for cell in row["cells"].values():
                if codes and cell.get("item") not in codes:
                    continue
                cells.append((row["day"], cell))
                for k, v in cell["n"].items():
                    total[k] = total.get(k, 0) + v
        return total, cells

    async def chat_rated(self, period: Period) -> dict:
        total, _ = await self._counts("chat", period)
        return {k: total.get("r:" + k, 0) for k in RATING_KEYS} if total.get("r:rated") else {}

    async def hotline(self, period: Period, item_codes: tuple[str, ...]) -> dict:
        total, _ = await self._counts("hotline", period, item_codes)
        if not total.get("calls"):
            return {}
        names = ("calls", "answered", "transferred", "transfer_answered")
        return {
            "total": [{"_id": None, **{k: total.get(k, 0) for k in names}}],
            "rated": [{"_id": None, **{k: total.get("r:" + k, 0) for k in RATING_KEYS}}] if total.get("r:rated") else [],
            "by_topic": _prefixed(total, "topic:"),
        }

    async def inbound(self, period: Period) -> dict:
        total, cells = await self._counts("messages", period)
        residents = set()
        for _day, cell in cells:
            residents.update(cell.get("who") or ())
        by_type = _prefixed(total, "type:")
        if not by_type:
            return {}
        return {"by_type": by_type, "residents": [{"n": len(residents)}] if residents else []}

    async def replies(self, period: Period) -> dict:
        total, _ = await self._counts("messages", period)
        if not total.get("replies"):
            return {}
        return {"_id": None, **{k: total.get(k, 0) for k in ("replies", "unanswered", "silent")}}

    async def queued(self, period: Period) -> dict:
        total, cells = await self._counts("chat", period)
        if not total.get("transfers"):
            return {}
        seconds = []
        for _day, cell in cells:
            seconds += (cell.get("secs") or {}).values()
        names = ("transfers", "answered", "in_time", "pending")
        return {
            "total": [{"_id": None, **{k: total.get(k, 0) for k in names}}],
            "by_reason": _prefixed(total, "reason:"),
            "response_seconds": [{"_id": None, "seconds": seconds}] if seconds else [],
        }

    async def low_ratings(self, period: Period, filters: P.Filters) -> dict[str, list[dict]]:
        """The same 差评 documents, found by the references the rollup cells keep ("low:<_id>")."""
        wanted: dict[str, set] = {"bookings": set()}
        months_whole = frozenset() if filters.active else self.whole_months(period)
        for row in await self.rows("bookings-m", period) if months_whole else ():
            if row["day"] in months_whole:
                total = row["cells"].get("total") or {}
                wanted["bookings"].update(k for k in total.get("who") or () if k.startswith("low:"))
        for row in await self.rows("bookings", period, months_whole):
            for cell in row["cells"].values():
                if filters.item_codes and cell.get("item") not in filters.item_codes:
                    continue
                if filters.station and cell.get("station") != filters.station:
                    continue  # as the pipeline: the channel does not narrow the 差评 list
                wanted["bookings"].update(k for k in cell.get("who") or () if k.startswith("low:"))
        if not filters.active:
            wanted["escalations"] = {
                k for r in await self.rows("chat", period) for c in r["cells"].values() for k in c.get("who") or ()
            }
        if not (filters.station or filters.channel):
            wanted["hotline_calls"] = {
                k
                for r in await self.rows("hotline", period)
                for c in r["cells"].values()
                if not filters.item_codes or c.get("item") in filters.item_codes
                for k in c.get("who") or ()
            }
        out = {}
        for name, keys in wanted.items():
            ids = [_document_id(k) for k in keys]
            if getattr(self.store, "embedded", False):
                documents = _collection_store(self.store.db[name])._documents
                docs = [_aware(documents[i]) for i in ids if i in documents]
            else:
                docs = [d async for d in self.store.db[name].find({"_id": {"$in": ids}})]
            docs.sort(key=lambda d: d["rating"]["at"], reverse=True)
            out[name] = docs[:500]
        return out


def _document_id(key: str):
    raw = key[4:]
    return ObjectId(raw) if ObjectId.is_valid(raw) else raw


def _aware(doc: dict) -> dict:
    """A copy of a stored document with its datetimes in UTC, as a tz-aware client reads it."""
    return _aware_utc(copy.deepcopy(doc))


def _prefixed(total: dict, prefix: str) -> list[dict]:
    """Counters named prefix + value, as `$group` rows by that value (an empty value was null)."""
    return [{"_id": k[len(prefix) :] or None, "n": v} for k, v in total.items() if k.startswith(prefix) and v]
