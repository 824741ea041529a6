"""Service stations (city centre, county-level centres, townships, village stations): seed data and nearest lookup."""

from __future__ import annotations

import math
from pathlib import Path

from bot.conversation import texts
from knowledge_base.yamlfile import read_yaml

STATIONS_FILE = Path(__file__).parent / "data" / "stations.yaml"
EARTH_RADIUS_KM = 6371.0
# Beyond this the nearest station is no use to the sender (the city is about 200 km across; from Kunming,
# 170 km away, residents working away still get the list, with a note).
MAX_OFFER_KM = 300.0


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def load_station_file(path: Path = STATIONS_FILE) -> list[dict]:
    return read_yaml(path)


class StationDirectory:
    """Stations live in MongoDB (seeded from the file); the list is small and cached per process."""

    def __init__(self, collection):
        self.collection = collection
        self._stations: list[dict] = []

    async def seed_if_empty(self, path: Path = STATIONS_FILE) -> None:
        if not await self.collection.count_documents({}, limit=1):
            await self.collection.insert_many(load_station_file(path))
        await self.reload()

    async def reload(self) -> None:
        self._stations = [s async for s in self.collection.find({}, {"_id": 0})]

    def get(self, code: str) -> dict | None:
        return next((s for s in self._stations if s["code"] == code), None)

    def name_of(self, code: str | None) -> str:
        station = self.get(code) if code else None
        return station["name"] if station else "（未选择）"

    def townships(self) -> list[dict]:
        return [s for s in self._stations if s["level"] == "乡镇"]

    def county_centre(self) -> dict | None:
        """The top-level centre residents are pointed to: the city centre (市), else a county-level one."""
        for level in ("市", "县"):
            centre = next((s for s in self._stations if s["level"] == level), None)
            if centre:
                return centre
        return None

    def centre_of(self, county: str | None) -> dict | None:
        """The county-level centre of `county`, else the city's."""
        found = next((s for s in self._stations if s["level"] == "县" and s.get("county") == county), None)
        return found or self.county_centre()

    def townships_by_county(self) -> list[tuple[str, list[dict]]]:
        """Townships grouped by county-level division, in file order: [(county, [station, ...]), ...]."""
        groups: dict[str, list[dict]] = {}
        for s in self.townships():
            groups.setdefault(s.get("county", ""), []).append(s)
        return list(groups.items())

    def nearest(self, lat: float, lng: float, k: int = 3) -> list[tuple[float, dict]]:
        ranked = sorted((distance_km(lat, lng, s["lat"], s["lng"]), s) for s in self._stations if "lat" in s)
        return ranked[:k]

    async def nearest_text(self, lat: float, lng: float) -> str:
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            return texts.LOCATION_UNCLEAR
        nearest = self.nearest(lat, lng)
        if nearest and nearest[0][0] > MAX_OFFER_KM:
            return (
                f"您发来的位置离昭通市的服务站都很远（最近的也有约{nearest[0][0]:.0f}公里），我只能办理昭通市的政务服务。"
                "外地的事项请找当地政务服务中心，或拨打当地12345热线。"
            )
        lines = ["离您最近的服务站："]
        for i, (km, s) in enumerate(nearest, 1):
            dist = f"{km * 1000:.0f}米" if km < 1 else f"{km:.1f}公里"
            lines.append(f"{i}. {s['name']}（约{dist}）\n   {s['address']}\n   电话 {s['phone']}\n   {s['hours']}")
        if nearest and nearest[0][0] > 50:
            lines.append("您离昭通市较远，以上为本市服务站，请以当地政务服务中心为准。")
        return "\n".join(lines)
