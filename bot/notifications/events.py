"""What WeChat's events mean for notifications: consent to subscribe notifications, send reports, follows.

- `subscribe_msg_popup_event`: the resident answered the subscribe popup; per template `accept` records a
  subscription (one message, or long-term when the template is configured `"long_term": true`), `reject`
  records the refusal (that template is not tried again).
- `subscribe_msg_change_event`: the resident changed a subscription in the account's settings; `reject`
  turns it off.
- `subscribe_msg_sent_event`: the result of a bizsend; success is recorded on the notification, a failure
  sends the notification on to the next channel.
- `TEMPLATESENDJOBFINISH`: the result of a template send, found by the msgid the send returned; a failure
  (`failed:user block`, `failed: system failed`) sends it on to the next channel, or fails it.
- `unsubscribe` / `subscribe`: nothing more goes to that openid on WeChat until they follow again.

None of these is a resident writing: each handler answers None (WeChat gets "success").
"""

from __future__ import annotations

import logging

from pymongo import DESCENDING

log = logging.getLogger(__name__)

OA = "oa"


class NotificationEvents:
    def __init__(self, service, users):
        self.service = service  # bot.notifications.service.NotificationService
        self.users = users  # the `users` collection: who stopped following
        self.subscriptions = service.subscriptions
        self.clock = service.clock

    def register(self, router) -> None:
        """Register the handlers on a bot.wechat.routing.CallbackRouter."""
        router.on("subscribe_msg_popup_event", self.consent)
        router.on("subscribe_msg_change_event", self.changed)
        router.on("subscribe_msg_sent_event", self.sent)
        router.on("templatesendjobfinish", self.template_job_finished)
        router.on("unsubscribe", self.unfollowed)
        for event in ("subscribe", "subscribe_scan"):
            router.on(event, self.followed)

    def _long_term(self, template_id: str) -> bool:
        return any(
            t.get("id") == template_id and t.get("long_term") for t in self.service.config.wechat_subscribe_templates.values()
        )

    async def consent(self, message) -> None:
        await self._record(message, from_popup=True)
        log.info("subscribe popup answered by %s: %d templates", message.source[-6:], len(message.subscribes))

    async def changed(self, message) -> None:
        await self._record(message, from_popup=False)

    async def _record(self, message, from_popup: bool) -> None:
        """Each template's answer: `reject` is recorded (and never tried again); `accept` allows one message from
        the popup, or messages until turned off for a long-term template (which only that one can turn back on)."""
        for item in message.subscribes:
            template_id, status = item.get("TemplateId"), (item.get("SubscribeStatusString") or "").lower()
            if not template_id:
                continue
            long_term = self._long_term(template_id)
            if status == "reject":
                await self.subscriptions.refused(OA, message.source, template_id)
            elif status == "accept" and (from_popup or long_term):
                await self.subscriptions.accept(OA, message.source, template_id, long_term=long_term, count=0 if long_term else 1)

    async def sent(self, message) -> None:
        for item in message.subscribes:
            template_id, msgid = item.get("TemplateId"), item.get("MsgID")
            n = await self._sent_notification(message.source, "subscribe", template_id, msgid)
            if n is None:
                log.info("subscribe notification report for an unknown send (template %s)", template_id)
                continue
            code = str(item.get("ErrorCode") or "0")
            if code == "0":
                await self.service.delivered(n, msgid)
            else:
                await self.service.sent_elsewhere_failed(n, item.get("ErrorStatus") or f"failed: {code}", errcode=int(code))
        return None

    async def template_job_finished(self, message) -> None:
        status = (message.status or "").strip()
        n = await self._sent_notification(message.source, "template", None, str(message.id)) if message.id else None
        if n is None:
            log.info("template job report %s for a send we did not record", message.id)
            return None
        if status.lower() == "success":
            await self.service.delivered(n, str(message.id))
        else:
            await self.service.sent_elsewhere_failed(n, status or "failed")
        return None

    async def _sent_notification(self, openid: str, channel: str, template_id: str | None, msgid: str | None):
        """The notification a report is about: by msgid when the send returned one, else the newest one sent to
        `openid` on `channel` with that template and no delivery report yet."""
        collection = self.service.collection
        if msgid:
            found = await collection.find_one({"msgid": msgid, "to.openid": openid})
            if found is not None or channel == "template":  # a template send always returned its msgid
                return found
        query = {"to.openid": openid, "status": "sent", "channel": channel, "delivery": None}
        cursor = collection.find(query).sort("sent_at", DESCENDING).limit(20)
        async for n in cursor:
            if template_id is None or any(a.get("template") == template_id for a in n.get("attempts", [])):
                return n
        return None

    async def unfollowed(self, message) -> None:
        now = self.clock()
        await self.users.update_one(
            {"openid": message.source}, {"$set": {"unsubscribed_at": now}, "$setOnInsert": {"role": "resident"}}, upsert=True
        )
        return None

    async def followed(self, message) -> None:
        again = {"openid": message.source, "unsubscribed_at": {"$ne": None}}
        await self.users.update_one(again, {"$unset": {"unsubscribed_at": ""}})
        return None
