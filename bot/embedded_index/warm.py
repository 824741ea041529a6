"""Build, at start-up, the in-memory indexes the server's per-message and background paths query.

An index is otherwise built on its first use (bot/embedded_index/store.py), synchronously on the event
loop: the notification queue's first 48-hour-window check builds `messages.by_user` over every message
ever stored (some 300,000 at 30,000 bookings: seconds during which no resident is answered). Built here,
before the server listens, they cost start-up time instead, once, and are kept in step with every write
from then on; forked snapshots (reports, exports, sweeps) inherit them too. Indexes no hot path uses
(the raw report pipelines' time indexes, say) stay unbuilt, so they cost no memory.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

# collection -> index names (None: all its indexes); bot/store.py INDEXES declares them.
HOT: dict[str, tuple[str, ...] | None] = {
    "messages": ("by_user",),  # the 48-hour customer-service window (bot/notifications/window.py)
    "notifications": None,  # the queue: claims, coalescing, order, dedupe, WeChat's reports
    "subscriptions": None,
    "users": None,
    "escalations": ("by_user", "one_open", "queue"),  # is this resident talking to staff
    "bookings": ("due_by", "visits_on", "received", "by_booker"),  # the sweep, the desk, "my bookings"
}


def warm(store, hot: dict = HOT) -> dict[str, float]:
    """Build the `hot` indexes of the embedded `store`; returns seconds per collection."""
    took = {}
    for name, wanted in hot.items():
        started = time.perf_counter()
        # mongomock's store of documents behind the mongomock-motor collection
        documents = store.db[name]._AsyncMongoMockCollection__collection._store
        build = getattr(documents, "_index", None)
        if build is None:  # not the indexed store
            continue
        for index in wanted if wanted is not None else tuple(documents.indexes):
            if index in documents.indexes:
                build(index)
        took[name] = time.perf_counter() - started
    log.info("embedded indexes built: %s", ", ".join(f"{k} {v:.2f}s" for k, v in took.items()))
    return took
