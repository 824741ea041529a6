"""The knowledge base at run time: items live in MongoDB (seeded from the files), every process
keeps its own index and rebuilds it when the items' version counter moves."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import OrderedDict

from bot.conversation.built_indexes import BuiltIndexes
from bot.conversation.nlu import Understander, Understanding, normalize

log = logging.getLogger(__name__)

VERSION_ID = "items_version"
# Distinct message texts whose understanding is kept (residents ask the same few hundred things).
CACHE_SIZE = 20_000


class CachedUnderstander:
    """An Understander whose `understand` is cached per normalised text for one index version.

    Understanding depends only on the normalised text and the index, so a repeated question costs a dict
    look-up. The cache belongs to one index version: a knowledge-base edit builds a new index and with it
    an empty cache. Everything else is the wrapped Understander's.
    """

    def __init__(self, understander: Understander, version, size: int = CACHE_SIZE):
        self.understander = understander
        self.version = version
        self.size = size
        self._cache: OrderedDict[str, Understanding] = OrderedDict()

    def __getattr__(self, name: str):
        return getattr(self.understander, name)

    def understand(self, text: str, **kwargs) -> Understanding:
        if kwargs:
            return self.understander.understand(text, **kwargs)
        key = normalize(text)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = self.understander.understand(text)
            if len(self._cache) > self.size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return cached if cached.text == text else dataclasses.replace(cached, text=text)


class KnowledgeService:
    def __init__(self, store, built: BuiltIndexes | None = None):
        self.store = store
        self.built = built or BuiltIndexes()
        self.version = None
        self._understander: CachedUnderstander | None = None
        self.built_at = 0.0
        self.build_seconds = 0.0

    def __call__(self) -> CachedUnderstander:
        return self._understander

    @property
    def ready(self) -> bool:
        return self._understander is not None

    async def seed_if_empty(self) -> int:
        """Copy the item files into an empty `items` collection; returns how many were inserted."""
        if await self.store.items.count_documents({}, limit=1):
            return 0
        items, problems = self.built.item_files()
        for problem in problems:
            log.error("knowledge base file skipped: %s", problem)
        if items:
            await self.store.items.insert_many(items)
            await self.bump_version()
        log.info("seeded %d service items from files", len(items))
        return len(items)

    async def bump_version(self) -> int:
        doc = await self.store.meta.find_one_and_update(
            {"_id": VERSION_ID}, {"$inc": {"value": 1}}, upsert=True, return_document=True
        )
        return doc["value"]

    async def current_version(self) -> int:
        doc = await self.store.meta.find_one({"_id": VERSION_ID})
        return doc["value"] if doc else 0

    async def load(self) -> None:
        """Build the index from MongoDB (index building is CPU work: done in a thread)."""
        version = await self.current_version()
        items = [doc async for doc in self.store.items.find({}, {"_id": 0})]
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        # The intent classifier trains on first use (once per process): in the thread too.
        understander: Understander = await loop.run_in_executor(None, self.built.understander, items)
        # The pinyin reader too, before the new index answers anyone: built while messages wait, it held the first
        # replies after a start up to ten seconds (the old index, if any, answers meanwhile).
        await loop.run_in_executor(None, understander.warm)
        self._understander = CachedUnderstander(understander, version)
        self.version = version
        self.build_seconds = time.perf_counter() - started
        self.built_at = time.time()
        log.info("knowledge base index built: %d items, version %s, %.2fs", len(items), version, self.build_seconds)

    async def refresh_if_changed(self) -> bool:
        if await self.current_version() != self.version:
            await self.load()
            return True
        return False

    def status(self) -> dict:
        return {
            "ok": self.ready,
            "items": len(self._understander.index) if self.ready else 0,
            "version": self.version,
            "build_seconds": round(self.build_seconds, 3),
        }
