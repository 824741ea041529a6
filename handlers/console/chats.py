"""The queue of escalated chats and the chat page: claim, reply, notes, transfer, close."""

from __future__ import annotations

from bot.bookings.service import STATUS_LABELS, Actor, public_view
from bot.handoff.desk import RESOLUTIONS, AlreadyClaimed, ChatNotFound, HandoffError, NotYours, resident_label, summary
from bot.handoff.queue import REASON_LABELS
from bot.miniprogram.materials import MaterialError
from handlers.console.base import ConsoleError, ConsoleHandler

ACTIONS = ("claim", "reply", "note", "transfer", "close", "notify")


def refuse(exc: HandoffError) -> ConsoleError:
    if isinstance(exc, ChatNotFound):
        return ConsoleError(404, exc.message)
    if isinstance(exc, AlreadyClaimed):
        return ConsoleError(409, exc.message, by=exc.by)
    if isinstance(exc, NotYours):
        return ConsoleError(403, exc.message)
    return ConsoleError(409, exc.message)


class ChatsMixin:
    @property
    def desk(self):
        return self.console.desk

    async def visible_chats(self) -> dict:
        desk = self.desk
        supervisor = self.is_role("supervisor")
        return {
            "waiting": await desk.waiting(),
            "serving": await desk.serving(None if supervisor else self.username),
            "closed": await desk.closed(20) if supervisor else [],
            "waiting_total": await desk.count_waiting(),
        }

    async def load_chat(self, chat_id: str) -> dict:
        try:
            entry = await self.desk.get(chat_id)
        except HandoffError as exc:
            raise refuse(exc) from None
        if entry["status"] == "serving" and entry["staff"] != self.username and not self.is_role("supervisor"):
            raise ConsoleError(403, f"这个会话由 {entry['staff']} 接待。")
        return entry

    def sandbox_refuses(self, entry: dict) -> int | bool | None:
        """Dev sandbox only: the errcode it answers this resident's customer-service messages with (False: none);
        None when there is no sandbox (production, or a server pointed at another WeChat API)."""
        sandbox = self.settings.get("sandbox")
        return None if sandbox is None else sandbox.refuse_openids.get(entry["openid"], False)

    async def resident_bookings(self, entry: dict) -> list[dict]:
        return await self.settings["bookings"].list_for(Actor("resident", entry["openid"]), list(STATUS_LABELS), limit=5)

    async def live_context(self, entry: dict) -> dict:
        window = await self.desk.window_state(entry["openid"]) if entry["status"] != "closed" else None
        phones = [public_view(b)["beneficiary"]["phone"] for b in await self.resident_bookings(entry)]
        return {
            "window": window,
            "phone_on_file": phones[0] if phones else None,
            "chat": entry,
            "chat_summary": summary(entry),
            "transcript": await self.desk.transcript(entry["openid"]),
            "mine": entry["status"] == "serving" and entry["staff"] == self.username,
            "resident": resident_label(entry),
            "reason_labels": REASON_LABELS,
            "resolutions": RESOLUTIONS,
            "media": {m["message"]: m for m in entry.get("media") or []},
        }


class QueueHandler(ChatsMixin, ConsoleHandler):
    async def get(self) -> None:
        chats = await self.visible_chats()
        self.render("queue.html", reason_labels=REASON_LABELS, summary=summary, **chats)


class QueueJSONHandler(ChatsMixin, ConsoleHandler):
    async def get(self) -> None:
        chats = await self.visible_chats()
        everything = chats["waiting"] + chats["serving"] + chats["closed"]
        self.done({"chats": [summary(c) for c in everything], "me": self.username})


class ChatHandler(ChatsMixin, ConsoleHandler):
    async def get(self, chat_id: str) -> None:
        entry = await self.load_chat(chat_id)
        bookings = await self.resident_bookings(entry)
        code = await self.desk.item_under_discussion(entry)
        item = self.knowledge().index.item(code) if code else None
        self.render(
            "chat.html",
            bookings=[public_view(b) for b in bookings],
            item=item,
            canned=await self.console.canned.list(),
            colleagues=[u for u in await self.console.accounts.active_usernames() if u != entry.get("staff")],
            sandbox_refuses=self.sandbox_refuses(entry),
            **await self.live_context(entry),
        )


class ChatLiveHandler(ChatsMixin, ConsoleHandler):
    """The parts of the chat page that change (status, conversation, notes), re-fetched on live events."""

    async def get(self, chat_id: str) -> None:
        entry = await self.load_chat(chat_id)
        self.render("chat_live.html", **await self.live_context(entry))


class ChatActionHandler(ChatsMixin, ConsoleHandler):
    async def post(self, chat_id: str, action: str) -> None:
        if action not in ACTIONS:
            raise ConsoleError(404, "没有这个操作。")
        desk, me, supervisor = self.desk, self.username, self.is_role("supervisor")
        arg = self.get_body_argument
        back = f"/console/chats/{chat_id}"
        try:
            if action == "claim":
                entry = await desk.claim(chat_id, me)
                self.done({"chat": summary(entry), "url": back}, back=back)
            elif action == "reply":
                record = await desk.reply(chat_id, me, arg("text", ""), supervisor=supervisor)
                self.done({"message": record["_id"], "delivery": record["delivery"]}, back=back)
            elif action == "notify":
                found = await self.resident_bookings(await desk.get(chat_id))
                phone = self.settings["bookings"].reveal(found[0])["phone"] if found else None
                await desk.notify_elsewhere(chat_id, me, phone)
                self.done({"notified": True}, back=back)
            elif action == "note":
                await desk.note(chat_id, me, arg("text", ""), supervisor=supervisor)
                self.done(back=back)
            elif action == "transfer":
                to = arg("to", "").strip().lower()
                target = await self.console.accounts.get(to)
                if target is None or target.get("disabled"):
                    raise ConsoleError(400, "请选择一位在岗的同事。")
                entry = await desk.transfer(chat_id, me, to, supervisor=supervisor)
                self.done({"chat": summary(entry)}, back="/console/")
            else:
                entry = await desk.close(chat_id, me, arg("resolution", ""), supervisor=supervisor)
                self.done({"chat": summary(entry), "rating_asked": entry.get("rating_asked")}, back="/console/")
        except HandoffError as exc:
            raise refuse(exc) from None


class ChatMediaHandler(ChatsMixin, ConsoleHandler):
    """A photo or file the resident sent in the chat, for staff who may see the chat; every read is audited."""

    async def get(self, chat_id: str, file_id: str) -> None:
        entry = await self.load_chat(chat_id)
        if self.desk.media is None or not any(m.get("file") == file_id for m in entry.get("media") or []):
            raise ConsoleError(404, "没有这个文件。")
        try:
            meta, data = await self.desk.media.read(entry["_id"], file_id, f"staff:{self.username}")
        except MaterialError as exc:
            raise ConsoleError(exc.status, exc.message) from None
        self.set_header("Content-Type", meta["content_type"])
        self.set_header("Cache-Control", "private, no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        if meta["content_type"] == "application/pdf":
            self.set_header("Content-Disposition", "inline")
        self.finish(data)


class SandboxSwitchHandler(ChatsMixin, ConsoleHandler):
    """Development only: make the WeChat sandbox refuse (or accept again) customer-service messages to this
    chat's resident, as WeChat does once the 48-hour window closed, so the closed window can be tried with
    `make run`. The console has no such switch when the server talks to WeChat itself."""

    async def post(self, chat_id: str) -> None:
        sandbox = self.settings.get("sandbox")
        if sandbox is None:
            raise ConsoleError(404, "只有开发沙箱（make run）里才有这个开关。")
        entry = await self.load_chat(chat_id)
        errcode = self.get_body_argument("errcode", "")
        if errcode in ("45015", "45047"):
            sandbox.refuse_openids[entry["openid"]] = int(errcode)
        else:
            sandbox.refuse_openids.pop(entry["openid"], None)
        await self.audit.record(self.actor, "sandbox_refuse", f"escalation:{entry['_id']}", detail={"errcode": errcode or None})
        self.done({"refused": sandbox.refuse_openids.get(entry["openid"])}, back=f"/console/chats/{chat_id}")


class RetryHandler(ChatsMixin, ConsoleHandler):
    async def post(self, message_id: str) -> None:
        try:
            record = await self.desk.retry(message_id, self.username, "", supervisor=self.is_role("supervisor"))
        except HandoffError as exc:
            raise refuse(exc) from None
        self.done({"message": record["_id"], "delivery": record["delivery"]}, back=f"/console/chats/{record['escalation']}")


CHAT = r"([0-9a-f]{24})"
default_handlers = [
    (r"/console/?", QueueHandler),
    (r"/console/queue\.json", QueueJSONHandler),
    (rf"/console/chats/{CHAT}", ChatHandler),
    (rf"/console/chats/{CHAT}/live", ChatLiveHandler),
    (rf"/console/chats/{CHAT}/sandbox", SandboxSwitchHandler),
    (rf"/console/chats/{CHAT}/([a-z]+)", ChatActionHandler),
    (rf"/console/chats/{CHAT}/media/([A-Za-z0-9_-]{{8,40}})", ChatMediaHandler),
    (r"/console/messages/([a-z]+:[0-9a-f]{16})/retry", RetryHandler),
]
