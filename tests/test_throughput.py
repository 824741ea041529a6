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
