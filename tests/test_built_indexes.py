"""What one process shares between services builds: item files parsed once, an index reused while the
items are the same, and rebuilt (answering from the change) when they are not."""

from __future__ import annotations

from argon2 import PasswordHasher

from bot.conversation.built_indexes import BuiltIndexes
from bot.staff.accounts import dummy_hash
from tests.utils import BUILT, TEST_HASHER, catalog_items, shared_lexicon


def test_the_item_files_are_parsed_once_and_each_caller_gets_its_own_items():
    built = BuiltIndexes(lexicon=shared_lexicon())
    first, problems = built.item_files()
    assert first and problems == []
    first[0]["_id"] = "set by the store"
    second, _ = built.item_files()
    assert "_id" not in second[0] and second[0] is not first[0]
    assert second[0]["aliases"] is first[0]["aliases"]  # values are shared, not parsed again


def test_equal_items_share_one_understander_and_changed_items_get_their_own():
    items = catalog_items()
    same = BUILT.understander(items)
    assert BUILT.understander(catalog_items()) is same
    item = next(i for i in items if i["code"] == "MZ-004")
    item["aliases"] = [*item.get("aliases", []), "吃皇粮补助"]
    changed = BUILT.understander(items)
    assert changed is not same
    assert changed.understand("吃皇粮补助").result.best.code == "MZ-004"
    assert "吃皇粮补助" not in same.index.item("MZ-004")["aliases"]  # the shared one is untouched
    assert BUILT.understander(catalog_items()) is same  # the last few item sets are kept


def test_only_the_last_item_sets_are_kept():
    built = BuiltIndexes(lexicon=shared_lexicon(), keep=1)
    items = catalog_items()
    first = built.understander(items)
    built.understander(items[1:])
    assert built.understander(items) is not first


def test_the_dummy_password_hash_is_made_once_per_set_of_argon2_parameters():
    assert dummy_hash(TEST_HASHER) is dummy_hash(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    assert dummy_hash(TEST_HASHER) != dummy_hash(PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1))
