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
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

SEEN_LIMIT = 20_000  # (id -> rev) pairs remembered for dedupe


class LiveHub:
    def __init__(self, summarize=None):
        self._subscribers: set[asyncio.Queue] = set()
        self._seen: OrderedDict[str, int] = OrderedDict()
        self.summarize = summarize or (lambda entry: entry)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        self._subscribers.add(queue)
        return queue

    def subscribed(self, queue: asyncio.Queue) -> bool:
        return queue in self._subscribers

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

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
        event = {"type": "chat", "chat": self.summarize(entry)}
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:  # a stuck page: drop it; its socket reconnects and reloads the list
                self._subscribers.discard(queue)
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
