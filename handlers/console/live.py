"""/console/ws: the live queue. Pushes changed chats (bot/handoff/live.py) to the staff member's page.

Same-origin only (Tornado's default check_origin), and only with a live staff session. Each socket is
registered under its session and account: logout, a password change or disabling the account close it
at once (in this process), and the session is checked again every CHECK_SECONDS whatever the traffic
(covering expiry and changes made by other processes). What a socket receives is filtered by role on
the server; a session keeps at most a few sockets.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from tornado import websocket

from bot.handoff.live import SESSION_ENDED
from handlers.console.base import SESSION_COOKIE

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20
CHECK_SECONDS = 3.0


class LiveSocket(websocket.WebSocketHandler):
    account: dict | None = None
    session: dict | None = None
    check_seconds = CHECK_SECONDS

    @property
    def console(self):
        return self.settings["console"]

    async def _session(self, touch: bool = False):
        raw = self.get_signed_cookie(SESSION_COOKIE)
        return await self.console.sessions.resume(raw.decode() if raw else None, self.console.accounts, touch=touch)

    async def get(self, *args, **kwargs):
        resumed = await self._session(touch=True)
        if not resumed or resumed[1].get("must_change"):
            self.set_status(401)
            self.finish("login required")
            return
        self.session, self.account = resumed
        await super().get(*args, **kwargs)

    def open(self) -> None:
        self.queue = self.console.hub.subscribe(
            session=self.session["_id"], username=self.account["username"], role=self.account["role"]
        )
        self.pump = asyncio.ensure_future(self._pump())
        self.write_message(json.dumps({"type": "hello", "me": self.account["username"], "role": self.account["role"]}))

    async def _still_valid(self) -> bool:
        resumed = await self._session()
        return bool(resumed) and resumed[0]["_id"] == self.session["_id"] and resumed[1]["role"] == self.account["role"]

    async def _pump(self) -> None:
        hub = self.console.hub
        next_check = time.monotonic() + self.check_seconds
        last_sent = time.monotonic()
        try:
            while True:
                try:
                    event = await asyncio.wait_for(self.queue.get(), max(next_check - time.monotonic(), 0.01))
                except TimeoutError:
                    event = None
                if event is not None and event["type"] == "end":
                    self.close(event["code"], event["reason"])
                    return
                if time.monotonic() >= next_check:
                    if not hub.subscribed(self.queue):
                        self.close(1013, "fell behind; reconnect")
                        return
                    if not await self._still_valid():  # expired, ended elsewhere, disabled or role changed
                        self.close(SESSION_ENDED, "session ended")
                        return
                    next_check = time.monotonic() + self.check_seconds
                if event is None:
                    if time.monotonic() - last_sent < HEARTBEAT_SECONDS:
                        continue
                    event = {"type": "heartbeat"}
                await self.write_message(json.dumps(event, ensure_ascii=False))
                last_sent = time.monotonic()
        except websocket.WebSocketClosedError:
            pass
        except asyncio.CancelledError:
            raise

    def on_message(self, message) -> None:
        pass  # the page only listens

    def on_close(self) -> None:
        self.console.hub.unsubscribe(getattr(self, "queue", None))
        pump = getattr(self, "pump", None)
        if pump is not None:
            pump.cancel()


default_handlers = [(r"/console/ws", LiveSocket)]
