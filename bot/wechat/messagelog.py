"""The message log (`messages`), written off the reply path: records are queued and inserted in batches.

One long-lived writer task per process inserts whatever queued up since its last round with one
`insert_many(ordered=False)`, so a message costs an append to a list, not a task or a store round trip
before its reply. `drain()` waits until everything queued so far is stored (tests, shutdown).
"""

from __future__ import annotations

import asyncio
import logging

from pymongo.errors import BulkWriteError, PyMongoError

log = logging.getLogger(__name__)

DUPLICATE_KEY = 11000
MAX_BATCH = 500


class MessageLog:
    def __init__(self, collection, fast_insert=None):
        self.collection = collection
        # On the embedded store: bot.embedded.append_only_inserter, the same result for a fraction of the cost.
        self._fast_insert = fast_insert
        self._queue: list[dict] = []
        self._wake: asyncio.Event | None = None
        self._writer: asyncio.Task | None = None
        self._idle: asyncio.Event | None = None

    def append(self, record: dict) -> None:
        """Queue one record (an inbound or outbound message document)."""
        self._queue.append(record)
        if self._writer is None or self._writer.done():
            self._wake = asyncio.Event()
            self._idle = asyncio.Event()
            self._writer = asyncio.ensure_future(self._write_forever())
        self._idle.clear()
        self._wake.set()

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._insert(batch)
            self._idle.set()

    async def _insert(self, batch: list[dict]) -> None:
        if self._fast_insert is not None:
            try:
                self._fast_insert(batch)
                return
            except NotImplementedError:
                self._fast_insert = None
        try:
            await self.collection.insert_many(batch, ordered=False)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            others = [e for e in errors if e.get("code") != DUPLICATE_KEY]
            # A duplicate is a message recorded before (a retry after a restart): nothing lost.
            if others:
                log.error("message log: %d of %d records not stored (%s)", len(others), len(batch), others[0].get("errmsg"))
        except PyMongoError as exc:
            log.error("message log: %d records not stored (%s)", len(batch), type(exc).__name__)

    async def drain(self) -> None:
        if self._writer is not None and not self._writer.done() and (self._queue or not self._idle.is_set()):
            await self._idle.wait()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
