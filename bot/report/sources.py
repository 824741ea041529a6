"""Where the report's counts come from: the raw aggregation pipelines (the reference; a real MongoDB), or the
daily rollups (the embedded store, bot/report/rollups.py). Both answer in the pipelines' result shapes, so
bot/report/figures.py assembles the report the same way from either."""

from __future__ import annotations

from datetime import date

from bot.report import pipelines as P
from bot.report.periods import Period, local_midnight
from bot.report.rollups import COLLECTION

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


def _month_start(day: str):
    return local_midnight(date(int(day[:4]), int(day[5:7]), 1))


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

    async def rows(self, source: str, period: Period) -> list[dict]:
        key = (source, period)
        if key not in self._rows:
            query = {"src": source, "day": {"$gte": period.start.isoformat(), "$lte": period.end.isoformat()}}
            self._rows[key] = [r async for r in self.store.db[COLLECTION].find(query)]
        return self._rows[key]

    async def _booking_cells(self, period: Period, filters: P.Filters):
        codes = set(filters.item_codes)
        for row in await self.rows("bookings", period):
            for cell in row["cells"].values():
                if codes and cell.get("item") not in codes:
                    continue
                if filters.station and cell.get("station") != filters.station:
                    continue
                if filters.channel and cell.get("channel") != filters.channel:
                    continue
                yield row["day"], cell

    async def _facets(self, period: Period, filters: P.Filters, names: tuple[str, ...], derive=None) -> dict:
        facets = {dim: _Sums() for dim in P.DIMENSIONS}
        months = _Sums()
        async for day, cell in self._booking_cells(period, filters):
            counters = derive(cell["n"]) if derive else cell["n"]
            if not any(counters.get(name) for name in names):
                continue
            facets["total"].add(None, counters, names)
            facets["item"].add(cell.get("item"), counters, names)
            facets["station"].add(cell.get("station"), counters, names)
            facets["channel"].add(cell.get("channel"), counters, names)
            months.add(_month_start(day), counters, names)
        out = {dim: sums.rows() for dim, sums in facets.items()}
        out["by_month"] = months.rows()
        return out

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
        months = _Sums()
        seconds = []
        for day, cell in cells:
            if cell["n"].get("transfers"):
                months.add(_month_start(day), cell["n"], ("transfers", "in_time"))
            seconds += (cell.get("secs") or {}).values()
        names = ("transfers", "answered", "in_time", "pending")
        return {
            "total": [{"_id": None, **{k: total.get(k, 0) for k in names}}],
            "by_reason": _prefixed(total, "reason:"),
            "by_month": months.rows(),
            "response_seconds": [{"_id": None, "seconds": seconds}] if seconds else [],
        }


def _prefixed(total: dict, prefix: str) -> list[dict]:
    """Counters named prefix + value, as `$group` rows by that value (an empty value was null)."""
    return [{"_id": k[len(prefix) :] or None, "n": v} for k, v in total.items() if k.startswith(prefix) and v]
