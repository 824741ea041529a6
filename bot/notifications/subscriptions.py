"""Which subscribe templates a user accepted, per app ("oa" Official Account, "wxa" mini-program).

One-time subscriptions (一次性订阅) allow one message per acceptance; long-term ones (长期订阅, offered to
government services) allow messages until the user turns them off. The mini-program collects consent with
wx.requestSubscribeMessage in the booking form and calls `accept`; Official Account consent arrives as a
subscribe_msg_popup_event (or from the console).
"""

from __future__ import annotations


class Subscriptions:
    def __init__(self, collection, clock):
        self.collection = collection
        self.clock = clock

    @staticmethod
    def _id(app: str, openid: str, template_id: str) -> str:
        return f"{app}:{openid}:{template_id}"

    async def accept(self, app: str, openid: str, template_id: str, long_term: bool = False, count: int = 1) -> None:
        await self.collection.update_one(
            {"_id": self._id(app, openid, template_id)},
            {
                "$set": {
                    "app": app,
                    "openid": openid,
                    "template_id": template_id,
                    "status": "accept",
                    "long_term": long_term,
                    "updated_at": self.clock(),
                },
                "$inc": {"remaining": count},
            },
            upsert=True,
        )

    async def refused(self, app: str, openid: str, template_id: str) -> None:
        await self.collection.update_one(
            {"_id": self._id(app, openid, template_id)},
            {
                "$set": {
                    "app": app,
                    "openid": openid,
                    "template_id": template_id,
                    "status": "reject",
                    "remaining": 0,
                    "updated_at": self.clock(),
                }
            },
            upsert=True,
        )

    async def allows(self, app: str, openid: str, template_id: str) -> bool:
        doc = await self.collection.find_one({"_id": self._id(app, openid, template_id)})
        return bool(doc and doc.get("status") == "accept" and (doc.get("long_term") or doc.get("remaining", 0) > 0))

    async def take(self, app: str, openid: str, template_id: str) -> bool:
        """Reserve one message under the subscription, atomically (two workers cannot spend one acceptance)."""
        key = self._id(app, openid, template_id)
        if await self.collection.find_one({"_id": key, "status": "accept", "long_term": True}, {"_id": 1}):
            return True
        taken = await self.collection.find_one_and_update(
            {"_id": key, "status": "accept", "remaining": {"$gt": 0}}, {"$inc": {"remaining": -1}}
        )
        return taken is not None

    async def give_back(self, app: str, openid: str, template_id: str) -> None:
        """The reserved message was not sent."""
        await self.collection.update_one(
            {"_id": self._id(app, openid, template_id), "long_term": False}, {"$inc": {"remaining": 1}}
        )
