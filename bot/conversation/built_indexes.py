"""What every services build in one process can share: the item files, parsed once, and the understander
(item index + intent rules) built over a set of items, reused while the items are the same.

A server builds its services once and rebuilds the index only when an item changes, so it keeps one
build. The test suite builds services for hundreds of tests on the same seeded items: one BuiltIndexes
per test run makes each of those builds a comparison instead of a parse and an index build.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

from bot.conversation.classifier import asked_examples
from bot.conversation.nlu import Understander
from knowledge_base.catalog import ITEMS_DIR, Problem, load_items
from knowledge_base.index import ItemIndex
from knowledge_base.text import Lexicon


class BuiltIndexes:
    def __init__(self, items_dir: Path = ITEMS_DIR, lexicon: Lexicon | None = None, keep: int = 1):
        self.items_dir = items_dir
        self.keep = keep  # how many distinct item sets keep their understander
        self._lexicon = lexicon
        self._files: tuple[list[dict], list[Problem]] | None = None
        self._built: list[tuple[list[dict], Understander]] = []
        self._lock = threading.Lock()
        self._asked: dict[str, list[str]] | None = None

    @property
    def asked(self) -> dict[str, list[str]]:
        """Residents' example messages per item (bot/conversation/data), read once."""
        if self._asked is None:
            self._asked = asked_examples()
        return self._asked

    @property
    def lexicon(self) -> Lexicon:
        """jieba's dictionary (most of a second to load), shared by every index built here."""
        with self._lock:
            if self._lexicon is None:
                self._lexicon = Lexicon()
            return self._lexicon

    def item_files(self) -> tuple[list[dict], list[Problem]]:
        """The valid items of the item files and the problems of the others, parsed on first use.

        Each item is a new dict (inserting one adds its `_id`) over values shared with later callers:
        to be stored, not changed (the store keeps its own copy)."""
        with self._lock:
            if self._files is None:
                self._files = load_items(self.items_dir)
            items, problems = self._files
        return [dict(item) for item in items], list(problems)

    def understander(self, items: list[dict]) -> Understander:
        """The understander over exactly these items (CPU work: call it from a thread)."""
        lexicon = self.lexicon
        with self._lock:
            for n, (known, understander) in enumerate(self._built):
                if known == items:
                    self._built.append(self._built.pop(n))
                    return understander
            # Built under the lock: two builds of the same items at once would only waste a core. The index
            # keeps the items it is given: its own copy, which no caller can change under other callers.
            understander = Understander(ItemIndex(copy.deepcopy(items), lexicon, self.asked))
            self._built.append((copy.deepcopy(items), understander))
            del self._built[: -self.keep]
            return understander
