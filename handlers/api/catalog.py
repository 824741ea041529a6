"""The catalog (browse by theme, department and audience), a whole guide, search with the bot's matching,
and stations (nearest by coordinates, one station)."""

from __future__ import annotations

import hashlib

from bot.conversation.guide import material_need
from handlers.api.base import ApiError, MiniProgramHandler, Operation
from handlers.api.models import CatalogPage, ItemDetail, NearbyStations, SearchResult, Station

DONT_KNOW = "抱歉，没有找到相关的事项。请换个说法再搜，或拨打 12345 咨询。"
# Fields of an item that serve matching, not residents: kept out of the guide.
INTERNAL_FIELDS = ("_id", "aliases", "keywords")
CODE = r"([A-Z]{2,4}-\d{3})"
STATION_CODE = r"([A-Za-z0-9_-]{1,40})"


def card(item: dict) -> dict:
    return {
        "code": item["code"],
        "name": item["name"],
        "department": item.get("department", ""),
        "theme": item.get("theme", ""),
        "audience": item.get("audience", ""),
        "summary": item.get("summary", ""),
        "proxy": bool(item.get("proxy")),
        "home_visit": bool(item.get("home_visit")),
    }


class CatalogHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "Browse service items",
            description="Service items by theme, department and audience (个人/法人), a page at a time, with the facets "
            "to filter by.",
            auth="public",
            response=CatalogPage,
            query={
                "theme": ({"type": "string", "maxLength": 40}, "e.g. 户籍", False, "社会保障"),
                "department": ({"type": "string", "maxLength": 40}, "e.g. 公安局", False, "公安局"),
                "audience": ({"type": "string", "maxLength": 10}, "个人 or 法人", False, "个人"),
                "page": ({"type": "integer", "minimum": 1, "maximum": 1000}, "from 1", False, 1),
                "limit": ({"type": "integer", "minimum": 1, "maximum": 50}, "items per page (default 20)", False, 20),
            },
            errors=(400,),
        )
    }

    async def get(self) -> None:
        wanted = {k: self.query_text(k, 10 if k == "audience" else 40) for k in ("theme", "department", "audience")}
        page, limit = self.query_int("page", 1, 1, 1000), self.query_int("limit", 20, 1, 50)
        items = sorted(self.api.knowledge().index.items.values(), key=lambda i: i["code"])
        facets = {
            "themes": sorted({i.get("theme", "") for i in items} - {""}),
            "departments": sorted({i.get("department", "") for i in items} - {""}),
            "audiences": sorted({a for i in items for a in str(i.get("audience", "")).split("/") if a}),
        }
        chosen = [
            i
            for i in items
            if (not wanted["theme"] or i.get("theme") == wanted["theme"])
            and (not wanted["department"] or i.get("department") == wanted["department"])
            and (not wanted["audience"] or wanted["audience"] in str(i.get("audience", "")))
        ]
        start = (page - 1) * limit
        self.respond(
            CatalogPage,
            {
                "items": [card(i) for i in chosen[start : start + limit]],
                "page": page,
                "limit": limit,
                "total": len(chosen),
                "has_more": start + limit < len(chosen),
                "facets": facets,
            },
        )


class ItemHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "One item's guide",
            description="A service item's whole guide (办事指南) in typed fields, with version and updated_at. Send "
            "If-None-Match with the ETag (weak W/ tags match too) to get 304 when it has not changed.",
            auth="public",
            response=ItemDetail,
            headers={"If-None-Match": "the ETag of a cached copy"},
            response_headers={
                "ETag": ({"type": "string"}, "the guide's version tag"),
                "Cache-Control": ({"type": "string", "const": "no-cache"}, "keep it, but ask again with If-None-Match"),
            },
            errors=(304, 404),
        )
    }

    async def get(self, code: str) -> None:
        item = self.api.knowledge().index.item(code)
        if item is None:
            raise ApiError(404, "item_not_found", "没有这个事项，可能已经调整，请回到列表重新选择。")
        version = await self.api.knowledge.store.item_versions.find_one(
            {"code": code}, {"version": 1, "at": 1}, sort=[("version", -1)]
        )
        detail = {k: v for k, v in item.items() if k not in INTERNAL_FIELDS}
        detail["materials"] = [{**m, "need": material_need(m)} for m in item.get("materials", [])]
        detail.update(
            version=(version or {}).get("version", 1),
            updated_at=(version or {}).get("at"),
            guide_url=f"{self.config.base_url}/guide/{code}",
        )
        body = ItemDetail.model_validate(detail).model_dump_json()
        self.set_header("ETag", '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')
        self.set_header("Cache-Control", "no-cache")  # cache, but ask again: a 304 costs nothing to send
        if self.check_etag_header():  # weak comparison: W/"…" (a gzip proxy's) matches too
            self.set_status(304)
            self.clear_header("Content-Type")
            self.finish()
            return
        self.finish(body)


class SearchHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "Search items",
            description="Search with the bot's own matching (typos, synonyms, dialect, pinyin): the matched terms to "
            "highlight, and honest choices when it is not sure.",
            auth="public",
            response=SearchResult,
            query={
                "q": (
                    {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"\S"},
                    "what the resident typed",
                    True,
                    "社保卡丢了怎么补",
                ),
                "limit": ({"type": "integer", "minimum": 1, "maximum": 10}, "default 5", False, 5),
            },
            errors=(400,),
        )
    }

    async def get(self) -> None:
        q = self.query_text("q", 100, required=True)
        limit = self.query_int("limit", 5, 1, 10)
        understander = self.api.knowledge()
        u = understander.understand(q)
        index = understander.index

        def hit(m) -> dict:
            item = index.item(m.code) or {}
            return {"code": m.code, "name": m.name, "score": m.score, "summary": item.get("summary", "")}

        result = u.result
        about_items = u.intent != "out_of_scope"
        hits = [hit(m) for m in result.matches[:limit]] if about_items else []
        confident = about_items and result.confident
        plausible = about_items and result.plausible
        self.respond(
            SearchResult,
            {
                "query": q,
                "intent": u.intent,
                "confident": confident,
                "terms": [t for t in result.terms if len(t) > 1 or not confident][:10] if hits else [],
                "results": hits if plausible else [],
                "did_you_mean": hits[:3] if plausible and not confident else [],
                "message": None if plausible else DONT_KNOW,
            },
        )


def station_view(s: dict) -> dict:
    return {k: v for k, v in s.items() if k != "_id"}


class NearbyStationsHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "Nearest stations",
            description="The nearest service stations to a point (wx.getLocation; GCJ-02 is close enough at this scale).",
            auth="public",
            response=NearbyStations,
            query={
                "lat": ({"type": "number", "minimum": -90, "maximum": 90}, "latitude", True, 27.3381),
                "lng": ({"type": "number", "minimum": -180, "maximum": 180}, "longitude", True, 103.7172),
                "limit": ({"type": "integer", "minimum": 1, "maximum": 20}, "default 5", False, 3),
            },
            errors=(400,),
        )
    }

    async def get(self) -> None:
        lat, lng = self.query_float("lat", -90, 90), self.query_float("lng", -180, 180)
        limit = self.query_int("limit", 5, 1, 20)
        nearest = self.api.stations.nearest(lat, lng, k=limit)
        self.respond(NearbyStations, {"stations": [{**station_view(s), "distance_km": round(km, 2)} for km, s in nearest]})


class StationHandler(MiniProgramHandler):
    operations = {
        "get": Operation(
            "One station",
            description="A service station: level, address, phone, opening hours, coordinates.",
            auth="public",
            response=Station,
            errors=(404,),
        )
    }

    async def get(self, code: str) -> None:
        station = self.api.stations.get(code)
        if station is None:
            raise ApiError(404, "station_not_found", "没有这个服务站。")
        self.respond(Station, station_view(station))
