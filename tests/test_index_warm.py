"""The indexes the per-message and background paths query are built at start-up, before the server listens,
and kept in step with writes from then on (so no resident's reply waits for an index's first build)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.embedded_index.warm import HOT, warm
from bot.notifications.window import CustomerServiceWindow
from bot.store import Store


def built(store, name: str) -> set[str]:
    return set(store.db[name]._AsyncMongoMockCollection__collection._store._built)


async def test_the_hot_indexes_are_built_at_start_and_answer_like_a_scan():
    store = Store.connect("mongomock://", "warm_test")
    try:
        await store.ensure_indexes()
        now = datetime(2026, 11, 20, 6, tzinfo=UTC)
        message = {"direction": "in", "type": "text", "content": "你好"}
        await store.messages.insert_many(
            [{**message, "openid": f"o_{i % 50}", "created_at": now - timedelta(hours=i)} for i in range(400)]
        )
        assert "by_user" not in built(store, "messages")
        took = warm(store)
        assert set(took) == set(HOT)
        assert "by_user" in built(store, "messages") and "by_direction" not in built(store, "messages")
        assert {"due", "dedupe", "coalesce"} <= built(store, "notifications")
        # Written after the build: the index follows, and the window reads it.
        await store.messages.insert_one({"openid": "o_new", "direction": "in", "type": "text", "created_at": now})
        state = await CustomerServiceWindow(store.messages).state("o_new", now + timedelta(hours=1))
        assert state.open and state.until == now + timedelta(hours=48)
        closed = await CustomerServiceWindow(store.messages).state("o_nobody", now)
        assert not closed.open
    finally:
        store.close()
