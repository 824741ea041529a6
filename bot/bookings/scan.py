"""Station QR codes: a resident who scans a village station's code is greeted by that station, and books there.

Each station's permanent QR code (`python -m bot.admin station-qr CODE`, WeChat's qrcode/create with the
scene `station:<code>`) arrives as `subscribe` with EventKey `qrscene_station:<code>` (not yet following;
wechatpy calls it subscribe_scan) or as `SCAN` with `station:<code>` (following already). The resident is
told the station's name, its proxy and phone; the station is remembered on the user (`scanned_station`)
and preset in their next booking forms.
"""

from __future__ import annotations

SCENE_PREFIX = "station:"


def scene_of(code: str) -> str:
    return SCENE_PREFIX + code


class StationScan:
    def __init__(self, stations, users, welcome):
        self.stations = stations  # bot.bookings.stations.StationDirectory
        self.users = users  # the `users` collection
        self._welcome = welcome  # async (message) -> the conversation's own answer (the welcome, for a new follower)

    def register(self, router) -> None:
        router.on("subscribe_scan", self.scanned)
        router.on("scan", self.scanned)

    async def scanned(self, message) -> str | None:
        scene = getattr(message, "scene_id", "") or ""
        station = self.stations.get(scene[len(SCENE_PREFIX) :]) if scene.startswith(SCENE_PREFIX) else None
        if station is None:
            return None  # another QR code: the conversation answers as usual
        await self.users.update_one(
            {"openid": message.source},
            {"$set": {"scanned_station": station["code"]}, "$setOnInsert": {"role": "resident"}},
            upsert=True,
        )
        greeting = await self.greeting(station)
        if message.event == "subscribe_scan":
            welcome = await self._welcome(message)
            return greeting + ("\n\n" + welcome if welcome else "")
        return greeting

    async def greeting(self, station: dict) -> str:
        proxies = list(station.get("proxies") or [])
        async for proxy in self.users.find({"station": station["code"], "role": "proxy"}, {"name": 1}).limit(5):
            if proxy.get("name") and proxy["name"] not in proxies:
                proxies.append(proxy["name"])
        lines = [f"欢迎来到{station['name']}！"]
        if proxies:
            lines.append(f"代办员：{'、'.join(proxies[:3])}")
        lines.append(f"电话：{station['phone']}（{station.get('hours', '')}）".replace("（）", ""))
        lines.append("在这里说“预约代办”，就由本站为您办理。")
        return "\n".join(lines)

    async def scanned_station(self, openid: str) -> str | None:
        user = await self.users.find_one({"openid": openid}, {"scanned_station": 1})
        return (user or {}).get("scanned_station")
