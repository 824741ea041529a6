"""/console/ws: the live queue. Pushes every changed chat (bot/handoff/live.py) to the staff member's page.

Same-origin only (Tornado's default check_origin), and only with a live staff session; the session is
checked again every heartbeat, so logout, a password change or disabling the account ends the socket.
"""

from __future__ import annotations

import asyncio
import json
import logging

from tornado import websocket

from handlers.console.base import SESSION_COOKIE

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 20
SESSION_ENDED = 4001


class LiveSocket(websocket.WebSocketHandler):
    account: dict | None = None

    @property
    def console(self):
        return self.settings["console"]

    async def _session(self):
        raw = self.get_signed_cookie(SESSION_COOKIE)
        return await self.console.sessions.resume(raw.decode() if raw else None, self.console.accounts)

    async def get(self, *args, **kwargs):
        resumed = await self._session()
        if not resumed or resumed[1].get("must_change"):
            self.set_status(401)
            self.finish("login required")
            return
        self.account = resumed[1]
        await super().get(*args, **kwargs)

    def open(self) -> None:
        self.queue = self.console.hub.subscribe()
        self.pump = asyncio.ensure_future(self._pump())
        self.write_message(json.dumps({"type": "hello", "me": self.account["username"], "role": self.account["role"]}))

    async def _pump(self) -> None:
        hub = self.console.hub
        try:
            while True:
                try:
                    event = await asyncio.wait_for(self.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    if not hub.subscribed(self.queue):
                        self.close(1013, "fell behind; reconnect")
                        return
                    if not await self._session():
                        self.close(SESSION_ENDED, "session ended")
                        return
                    event = {"type": "heartbeat"}
                await self.write_message(json.dumps(event, ensure_ascii=False))
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
