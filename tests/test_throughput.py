"""The hot path's shortcuts keep their promises: understanding is cached per text for one index version,
per-message state stays in memory on the embedded store, and the message log is written off the reply path."""

from __future__ import annotations

from pathlib import Path

from bot.expiring import MemoryMap
from tests.utils import user


async def test_understanding_is_cached_per_text_until_the_knowledge_base_changes(services):
    knowledge = services.knowledge
    first = knowledge().understand("身份证丢了怎么补")
    assert knowledge().understand("身份证丢了怎么补") is first
    assert knowledge().understand(" 身份证丢了怎么补 ").result.best.code == first.result.best.code
    # An edit: the item gets a new name; every process sees the version move and rebuilds.
    code, renamed = first.result.best.code, first.result.best.name + "（新）"
    await services.store.items.update_one({"code": code}, {"$set": {"name": renamed}})
    await knowledge.bump_version()
    assert await knowledge.refresh_if_changed()
    again = knowledge().understand("身份证丢了怎么补")
    assert again is not first and again.result.best.name == renamed


async def test_embedded_store_answers_without_touching_per_message_collections(server, services):
    assert isinstance(services.inbox.claims, MemoryMap) and isinstance(services.assistant.dialogs.states, MemoryMap)
    resident = user(server, "o_fast")
    assert "结婚" in await resident.say("结婚登记要带什么")
    assert "结婚" in await resident.say("要多久")  # the item under discussion, from the dialog state
    await services.inbox.drain()
    for name in ("conversations", "claims", "replies"):
        assert await services.store.db[name].count_documents({}) == 0
    assert await services.store.messages.count_documents({"openid": "o_fast"}) == 4


def test_data_dir_and_processes_settings(tmp_path):
    import pytest

    from settings import Settings, SettingsError

    assert Settings.from_env({}, dotenv=tmp_path / ".env").data_dir == Path("var")
    assert Settings.from_env({"BOT_DATA_DIR": ":memory:"}, dotenv=tmp_path / ".env").data_dir is None
    assert Settings().data_dir is None  # what tests build: in memory unless a test asks for a directory
    with pytest.raises(SettingsError, match="one process"):
        Settings.from_env({"BOT_PROCESSES": "2"}, dotenv=tmp_path / ".env")
    real = {"BOT_PROCESSES": "4", "MONGODB_URI": "mongodb://db/", "BOT_DATA_KEY": "k" * 40}
    assert Settings.from_env(real, dotenv=tmp_path / ".env").processes == 4


async def test_the_mongodb_path_of_per_message_state_works_end_to_end(config):
    """What a real MongoDB deployment runs: state in collections (here mongomock standing in), saved after
    the reply; a retry answered from `replies`; a follow-up reading the saved dialog state."""
    from bot.app import make_app
    from bot.expiring import MongoMap
    from bot.store import Store
    from tests.conftest import serve
    from tests.utils import build_test_services

    store = Store.connect("mongomock://", config.mongodb_db)
    store.embedded = False  # take the multi-process code paths
    services = await build_test_services(config, store)
    server = await serve(make_app(services))
    try:
        assert isinstance(services.inbox.claims, MongoMap) and not services.assistant.dialogs.instant
        resident = user(server, "o_multi")
        xml = resident.text_xml("结婚登记要带什么", msg_id=880001)
        first = await resident.send(xml)
        await services.inbox.drain()
        assert "结婚" in first and await resident.send(xml) == first  # the retry, from `replies`
        assert "结婚" in await resident.say("要多久")  # the dialog state, from `conversations`
        await services.inbox.drain()
        assert await store.db["conversations"].count_documents({"_id": "o_multi"}) == 1
        assert await store.db["claims"].count_documents({}) == 2
        assert await store.messages.count_documents({"openid": "o_multi"}) == 4
    finally:
        server.http_server.stop()
        await store.client.drop_database(config.mongodb_db)
        services.close()


async def test_the_per_message_hand_off_check_does_not_scan_for_residents_without_one(server, services, monkeypatch):
    queue = services.assistant.escalations
    calls = []
    real_find_one = queue.collection.find_one

    async def counting_find_one(*args, **kwargs):
        calls.append(args)
        return await real_find_one(*args, **kwargs)

    monkeypatch.setattr(queue.collection, "find_one", counting_find_one)
    assert "结婚" in await user(server, "o_plain").say("结婚登记要带什么")
    assert calls == []  # nobody queued: no look-up at all
    await queue.enqueue("o_queued", "asked", "转人工")
    assert (await queue.open_for("o_queued"))["status"] == "waiting" and len(calls) == 1
