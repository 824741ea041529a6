"""The live queue: every change to an escalation reaches every open console page within 2 seconds.

Within one process, a change is published to the local subscribers (the console WebSockets) as it is
made. Several processes share a real MongoDB, so each process also runs `ChangePoller`: every
`every` seconds (0.5 s by default) it reads the escalations whose `updated_at` is newer than what it
has seen, minus an overlap that covers clock skew between servers and writes committed out of order,
through the `updated_at` index. `rev` (bumped on every change) lets the hub drop what it already
published, so a change is delivered once per page whichever path brings it first. The poll works on a
standalone server and on a replica set alike and costs one indexed query per interval per process;
change streams would need a replica set and a resumable cursor per process for the same result.

The embedded store lives in one process, so there the local path is the whole story.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

SEEN_LIMIT = 20_000  # (id -> rev) pairs remembered for dedupe


# At most this many live sockets per console session (browser tabs); a newer one ends the oldest.
MAX_PER_SESSION = 3
SESSION_ENDED = 4001  # close codes the page understands: 4001 sends it to the login form
TOO_MANY = 4002


@dataclass
class Subscriber:
    """One open console socket: whose session it rides on and what that account may see."""

    session: str | None = None
    username: str | None = None
    role: str = "supervisor"
    opened: int = 0


def for_viewer(chat: dict, username: str | None, role: str) -> dict:
    """What a staff member may see of a changed chat. Agents see waiting chats and their own in full;
    of any other chat only that it moved (id, rev, status), so their page can drop its row."""
    if role in ("supervisor", "admin") or chat["status"] == "waiting" or chat.get("staff") == username:
        return chat
    return {"id": chat["id"], "rev": chat["rev"], "status": chat["status"]}


class LiveHub:
    def __init__(self, summarize=None):
        self._subscribers: dict[asyncio.Queue, Subscriber] = {}
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._opened = 0
        self.summarize = summarize or (lambda entry: entry)

    def subscribe(self, session: str | None = None, username: str | None = None, role: str = "supervisor") -> asyncio.Queue:
        """A queue of events for one socket. A session past MAX_PER_SESSION sockets loses its oldest."""
        if session is not None:
            mine = sorted((s.opened, q) for q, s in self._subscribers.items() if s.session == session)
            for _opened, queue in mine[: max(len(mine) - MAX_PER_SESSION + 1, 0)]:
                self._end(queue, TOO_MANY, "too many live pages for this session")
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._opened += 1
        self._subscribers[queue] = Subscriber(session, username, role, self._opened)
        return queue

    def subscribed(self, queue: asyncio.Queue) -> bool:
        return queue in self._subscribers

    def unsubscribe(self, queue: asyncio.Queue | None) -> None:
        self._subscribers.pop(queue, None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def _matching(self, session: str | None, username: str | None) -> list[asyncio.Queue]:
        return [
            q for q, s in self._subscribers.items() if (session and s.session == session) or (username and s.username == username)
        ]

    def sockets_of(self, session: str | None = None, username: str | None = None) -> int:
        return len(self._matching(session, username))

    def end(self, session: str | None = None, username: str | None = None) -> int:
        """End the sockets of a session (logout) or of every session of an account (password change,
        disable); each gets an `end` event its socket turns into a close with SESSION_ENDED."""
        doomed = self._matching(session, username)
        for queue in doomed:
            self._end(queue, SESSION_ENDED, "session ended")
        return len(doomed)

    def _end(self, queue: asyncio.Queue, code: int, reason: str) -> None:
        self._subscribers.pop(queue, None)
        while queue.full():
            queue.get_nowait()
        queue.put_nowait({"type": "end", "code": code, "reason": reason})

    def publish(self, entry: dict) -> bool:
        """Send a changed escalation to every subscriber unless this revision already went out."""
        key = str(entry["_id"])
        rev = entry.get("rev", 0)
        if self._seen.get(key, -1) >= rev:
            return False
        self._seen[key] = rev
        self._seen.move_to_end(key)
        while len(self._seen) > SEEN_LIMIT:
            self._seen.popitem(last=False)
        chat = self.summarize(entry)
        for queue, sub in list(self._subscribers.items()):
            try:
                queue.put_nowait({"type": "chat", "chat": for_viewer(chat, sub.username, sub.role)})
            except asyncio.QueueFull:  # a stuck page: drop it; its socket reconnects and reloads the list
                self._subscribers.pop(queue, None)
        return True


class ChangePoller:
    """Brings changes made by other server processes into this process's hub (real MongoDB only)."""

    def __init__(self, collection, hub: LiveHub, every: float = 0.5, overlap: float = 5.0, clock=lambda: datetime.now(UTC)):
        self.collection = collection
        self.hub = hub
        self.every = every
        self.overlap = timedelta(seconds=overlap)
        self.clock = clock
        self.watermark = clock()

    async def poll_once(self) -> int:
        since = self.watermark - self.overlap
        published = 0
        cursor = self.collection.find({"updated_at": {"$gt": since}}).sort("updated_at", 1).limit(500)
        async for entry in cursor:
            updated = entry["updated_at"] if entry["updated_at"].tzinfo else entry["updated_at"].replace(tzinfo=UTC)
            self.watermark = max(self.watermark, updated)
            published += self.hub.publish(entry)
        return published

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            if not self.hub.subscribers:
                self.watermark = max(self.watermark, self.clock() - self.overlap)
                continue
            try:
                await self.poll_once()
            except Exception:  # noqa: BLE001 - a store hiccup must not stop the live queue
                log.exception("live queue poll failed")
