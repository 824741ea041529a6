"""The embedded store's in-memory indexes (bot/embedded_index/) give mongomock's own answers: random
documents and operations run on plain mongomock and on the indexed store side by side, and every result,
error and the final contents (in storage order) must agree. Fixed seed, bounded examples."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import mongomock
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymongo import ReturnDocument

from bot.embedded import Journal, open_persistent_client
from bot.embedded_index import IndexedServerStore
from bot.embedded_index import store as index_store
from bot.embedded_index.query import analyze

INDEXES = [
    ([("a", 1)], {}),
    ([("b", 1), ("c", -1)], {}),
    ([("d.e", 1)], {"sparse": True}),
    ([("u", 1)], {"unique": True, "sparse": True}),
    ([("b", 1), ("a", 1)], {"unique": True}),
    ([("c", -1)], {}),
]
FIELDS = ["a", "b", "c", "d.e", "u", "_id"]
DAY = datetime(2026, 3, 1)

scalars = st.one_of(
    st.integers(0, 4),
    st.sampled_from([0.0, 1.0, 2.5, float("nan")]),
    st.booleans(),
    st.none(),
    st.sampled_from(["x", "xy", "y", "", "xz"]),
    st.sampled_from([DAY, DAY + timedelta(hours=1), DAY + timedelta(days=1)]),
)
values = st.one_of(scalars, scalars, st.lists(scalars, max_size=2), st.fixed_dictionaries({"k": st.integers(0, 2)}))
# Scalars only (no arrays, sub-documents or NaN): every document has a place in every index, so sorted
# finds with a limit walk the index instead of falling back to the candidates.
tame = st.one_of(st.integers(0, 4), st.sampled_from([1.0, 2.5]), st.none(), st.sampled_from(["x", "xy", "y"]))


@st.composite
def documents(draw, key, wild=True):
    doc = {"_id": key}
    for field in ("a", "b", "c", "u"):
        if draw(st.booleans()):
            doc[field] = draw((values if wild else tame) if field != "u" else st.one_of(st.integers(0, 30), st.none()))
    shape = draw(st.integers(0, 4))
    if shape == 1:
        doc["d"] = {"e": draw(values if wild else tame)}
    elif shape == 2:
        doc["d"] = None
    elif shape == 3 and wild:
        doc["d"] = [{"e": draw(scalars)}]
    return doc


def condition():
    ops = st.sampled_from(["$gt", "$gte", "$lt", "$lte"])
    return st.one_of(
        values,
        st.builds(lambda v: {"$eq": v}, values),
        st.builds(lambda vs: {"$in": vs}, st.lists(scalars, max_size=3)),
        st.builds(lambda op, v: {op: v}, ops, scalars),
        st.builds(lambda lo, hi: {"$gte": lo, "$lt": hi}, scalars, scalars),
        st.builds(lambda v: {"$ne": v}, scalars),
        st.builds(lambda v: {"$exists": v}, st.booleans()),
        st.builds(lambda v: {"$regex": v}, st.sampled_from(["^x", "^xy", "y", "^x.", "^"])),
    )


def filters():
    leaf = st.dictionaries(st.sampled_from(FIELDS), condition(), max_size=3)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda cs: {"$or": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda cs: {"$and": cs}, st.lists(inner, min_size=1, max_size=3)),
            st.builds(lambda f, cs: {**f, "$or": cs}, leaf, st.lists(inner, min_size=1, max_size=2)),
        ),
        max_leaves=6,
    )


sorts = st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from([1, -1])), min_size=1, max_size=2, unique_by=lambda t: t[0])
updates = st.one_of(
    st.builds(lambda f, v: {"$set": {f: v}}, st.sampled_from(["a", "b", "c", "d.e", "u", "d"]), values),
    st.builds(lambda f: {"$unset": {f: ""}}, st.sampled_from(["a", "b", "u", "d"])),
    st.builds(lambda f: {"$inc": {f: 1}}, st.sampled_from(["a", "u"])),
    st.builds(lambda v: {"$push": {"a": v}}, scalars),
)


KINDS = "find find page page count find_one update_one update_many fau replace delete_one delete_many insert insert_many distinct"
KINDS = KINDS.split()


@st.composite
def operations(draw, wild=True):
    ops, next_key = [], 0
    for doc_count in range(draw(st.integers(5, 40))):
        ops.append(("insert", draw(documents(doc_count, wild))))
        next_key = doc_count + 1
    for _ in range(draw(st.integers(5, 30))):
        kind = draw(st.sampled_from(KINDS))
        if kind == "find":
            ops.append(
                (
                    kind,
                    draw(filters()),
                    draw(st.one_of(st.none(), sorts)),
                    draw(st.integers(0, 3)),
                    draw(st.integers(0, 6)),
                    draw(st.sampled_from([None, {"a": 1}, {"d": 0}])),
                )
            )
        elif kind == "page":
            ops.append(("find", draw(filters()), draw(sorts), draw(st.integers(0, 3)), draw(st.integers(1, 6)), None))
        elif kind in ("count", "find_one", "delete_one", "delete_many", "distinct"):
            ops.append((kind, draw(filters())))
        elif kind in ("update_one", "update_many"):
            ops.append((kind, draw(filters()), draw(updates)))
        elif kind == "fau":
            upsert = draw(st.booleans())
            spec = draw(filters())
            if upsert:
                spec = {**spec, "_id": 1000 + len(ops)}  # upserted _ids must not be random ObjectIds
            ops.append((kind, spec, draw(updates), draw(st.one_of(st.none(), sorts)), upsert, draw(st.booleans())))
        elif kind == "replace":
            ops.append((kind, draw(filters()), {k: v for k, v in draw(documents(0, wild)).items() if k != "_id"}))
        elif kind == "insert":
            ops.append((kind, draw(documents(draw(st.integers(0, next_key + 2)), wild))))
        else:
            batch = [draw(documents(draw(st.integers(0, next_key + 5)), wild)) for _ in range(draw(st.integers(1, 3)))]
            ops.append((kind, batch))
    return ops


def run(collection, op):
    kind, *args = op
    if kind == "insert":
        return collection.insert_one(dict(args[0])).inserted_id
    if kind == "insert_many":
        return collection.insert_many([dict(d) for d in args[0]], ordered=False).inserted_ids
    if kind == "find":
        spec, sort, skip, limit, projection = args
        return list(collection.find(spec, projection, sort=sort, skip=skip, limit=limit))
    if kind == "count":
        return collection.count_documents(args[0])
    if kind == "find_one":
        return collection.find_one(args[0])
    if kind == "distinct":
        return sorted(map(repr, collection.distinct("b", args[0])))
    if kind == "update_one":
        return collection.update_one(*args).raw_result
    if kind == "update_many":
        return collection.update_many(*args).raw_result
    if kind == "fau":
        spec, update, sort, upsert, after = args
        return collection.find_one_and_update(
            spec, update, sort=sort, upsert=upsert, return_document=ReturnDocument.AFTER if after else ReturnDocument.BEFORE
        )
    if kind == "replace":
        return collection.replace_one(*args).raw_result
    if kind == "delete_one":
        return collection.delete_one(args[0]).raw_result
    if kind == "delete_many":
        return collection.delete_many(args[0]).raw_result
    raise AssertionError(kind)


def outcome(collection, op):
    try:
        result = run(collection, op)
    except Exception as exc:  # noqa: BLE001 - both stores must fail alike
        return ("error", type(exc).__name__)
    if isinstance(result, dict):
        result = {k: v for k, v in result.items() if k != "connectionId"}
    return ("ok", repr(result))  # repr: NaN compares unequal to itself, its repr does not


def pair():
    plain = mongomock.MongoClient().db.c
    indexed = mongomock.MongoClient(_store=IndexedServerStore()).db.c
    for keys, options in INDEXES:
        plain.create_index(keys, **options)
        indexed.create_index(keys, **options)
    return plain, indexed


@pytest.fixture(params=[index_store.WALK_FACTOR, 0], ids=["planner", "always-walk"])
def walk_factor(request, monkeypatch):
    monkeypatch.setattr(index_store, "WALK_FACTOR", request.param)


BOUNDED = settings(max_examples=30, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


@BOUNDED
@given(ops=operations())
def test_same_results_as_plain_mongomock(walk_factor, ops):
    compare(ops)


@BOUNDED
@given(ops=operations(wild=False))
def test_same_results_on_scalar_documents(walk_factor, ops):
    compare(ops)


def compare(ops):
    plain, indexed = pair()
    for op in ops:
        assert outcome(indexed, op) == outcome(plain, op), op
    assert repr(list(indexed.find())) == repr(list(plain.find()))
    # and the indexes still agree with the documents: a fresh build answers the same
    indexed._store.reload()
    for field in FIELDS:
        for value in (0, 1, "x", None, DAY):
            spec = {field: value}
            assert repr(list(indexed.find(spec))) == repr(list(plain.find(spec))), spec


def test_queries_read_only_the_candidates():
    indexed = mongomock.MongoClient(_store=IndexedServerStore()).db.c
    indexed.create_index("a")
    indexed.create_index([("b", 1), ("c", -1)])
    indexed.create_index([("b", 1), ("a", 1), ("c", 1)], unique=True)
    indexed.create_index([("c", -1)])
    docs = [{"_id": n, "a": n % 50, "b": f"s{n % 7}", "c": DAY + timedelta(minutes=n)} for n in range(5000)]
    indexed.insert_many(docs)
    store = indexed._store
    assert len(store.candidates({"a": 3})) == 100
    # b, then a's range on the (b, a, c) index (bounds are inclusive: a == 12 is a candidate mongomock drops)
    found = store.candidates({"a": {"$gte": 10, "$lt": 12}, "b": "s1"})
    assert len(found) == 42 and sorted({d["a"] for d in found}) == [10, 11, 12]
    assert len(store.candidates({"b": "s1", "c": {"$gte": DAY, "$lt": DAY + timedelta(minutes=70)}})) == 10
    assert len(store.candidates({"$or": [{"a": 1}, {"b": "s0", "c": DAY}]})) == 101
    assert len(store.candidates({"_id": {"$in": [4, 5, 99999]}})) == 2
    assert store.candidates({"z": 1}) is None and store.candidates({"a": {"$ne": 1}}) is None
    with pytest.raises(mongomock.DuplicateKeyError):
        indexed.insert_one({"_id": "dup", "a": 0, "b": "s0", "c": DAY})  # the unique index, checked through it
    assert indexed.count_documents({}) == 5000
    # a newest-first page walks the sort index: it stops after the page instead of sorting 5,000
    walk = store.ordered({"b": {"$in": ["s1", "s2", "s3", "s4", "s5", "s6"]}}, [("c", -1), ("_id", -1)], 10)
    assert walk is not None
    assert [d["_id"] for _n, d in zip(range(3), walk, strict=False)] == [4999, 4997, 4996]  # 4998 is in "s0"


def test_ttl_expiry_reads_the_index(monkeypatch):
    collection = mongomock.MongoClient(_store=IndexedServerStore()).db.sessions
    collection.create_index("expires_at", expireAfterSeconds=0)
    now = datetime(2026, 6, 1, 12, 0)
    monkeypatch.setattr(mongomock, "utcnow", lambda: now)
    collection.insert_many([{"_id": n, "expires_at": now + timedelta(minutes=n - 5)} for n in range(10)])
    assert sorted(d["_id"] for d in collection.find({})) == [6, 7, 8, 9]
    now = now + timedelta(minutes=3)
    assert collection.count_documents({}) == 1
    assert collection.find_one({"_id": 9})["_id"] == 9 and collection.find_one({"_id": 7}) is None


async def test_indexes_are_rebuilt_from_the_journal(tmp_path):
    client, journal = open_persistent_client(tmp_path)
    bookings = client["govbot"]["bookings"]
    await bookings.create_index("number", unique=True)
    await bookings.insert_many([{"number": f"N{n:05d}", "at": datetime(2026, 1, 1, tzinfo=UTC)} for n in range(300)])
    await bookings.update_one({"number": "N00007"}, {"$set": {"number": "X00007"}})
    journal.flush()
    journal._fd, fd = None, journal._fd  # SIGKILL: no final compaction
    import os

    os.close(fd)
    journal._lock.close()
    await asyncio.sleep(0)
    client, journal = open_persistent_client(tmp_path)
    bookings = client["govbot"]["bookings"]
    await bookings.create_index("number", unique=True)
    assert (await bookings.find_one({"number": "X00007"}))["at"] == datetime(2026, 1, 1, tzinfo=UTC)
    assert await bookings.find_one({"number": "N00007"}) is None
    assert await bookings.count_documents({"number": {"$regex": "^N001"}}) == 100
    with pytest.raises(mongomock.DuplicateKeyError):
        await bookings.insert_one({"number": "N00299"})
    journal.close()
    assert isinstance(Journal, type)


def test_counts_the_index_answers_exactly_read_no_document():
    plain = mongomock.MongoClient().db.c
    indexed = mongomock.MongoClient(_store=IndexedServerStore()).db.c
    for collection in (plain, indexed):
        collection.create_index("a")
        collection.create_index([("b", 1), ("a", 1)])
    docs = [{"_id": n, "a": n % 5, "b": ["x", "y"][n % 2], "c": n} for n in range(200)]
    plain.insert_many([dict(d) for d in docs])
    indexed.insert_many(docs)
    store = indexed._store
    for spec in ({}, {"a": 1}, {"a": {"$in": [1, 2.0, True]}}, {"b": "x", "a": {"$in": [0, 3]}}, {"a": {"$eq": 4}}):
        assert store.exact_count(spec) == plain.count_documents(spec) == indexed.count_documents(spec), spec
    assert store.exact_count({"a": None}) is None  # null also matches what is missing under a scalar
    assert store.exact_count({"c": 3}) is None  # no index leads with c
    indexed.insert_one({"_id": "list", "a": [1, 2], "b": "x"})
    assert store.exact_count({"a": 1}) is None  # an array: only mongomock's filter can say
    assert indexed.count_documents({"a": 1}) == 41


def test_a_page_sorted_after_fixed_fields_merges_their_runs():
    plain = mongomock.MongoClient().db.c
    indexed = mongomock.MongoClient(_store=IndexedServerStore()).db.c
    indexed.create_index([("b", 1), ("c", -1)])  # the queue's shape: status, then the time it is sorted by
    docs = [{"_id": n, "b": f"s{n % 4}", "c": DAY + timedelta(minutes=n // 3)} for n in range(3000)]
    plain.insert_many([dict(d) for d in docs])
    indexed.insert_many(docs)
    spec, sort = {"b": {"$in": ["s1", "s3"]}}, [("c", -1), ("_id", 1)]
    index, depth, prefixes = indexed._store._walkable(analyze(spec), "c")
    assert (index.name, depth, len(prefixes)) == ("b_1_c_-1", 1, 2)
    for skip, limit in ((0, 5), (7, 11), (0, 60)):
        expected = list(plain.find(spec, sort=sort, skip=skip, limit=limit))
        assert list(indexed.find(spec, sort=sort, skip=skip, limit=limit)) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    docs=st.lists(st.integers(0, 10**6), min_size=1, max_size=25).flatmap(
        lambda keys: st.tuples(*[documents(k) for k in dict.fromkeys(keys)])
    ),
    keys=st.sampled_from([[("a", 1)], [("u", 1)], [("d.e", 1)], [("b", 1), ("a", 1)], [("a", 1), ("d.e", -1)]]),
    sparse=st.booleans(),
)
def test_declaring_a_unique_index_accepts_and_refuses_what_mongomock_does(docs, keys, sparse):
    """The indexed store checks a new unique index's values itself (a faster read of the same fields)."""
    outcomes = []
    for client in (mongomock.MongoClient(), mongomock.MongoClient(_store=IndexedServerStore())):
        collection = client.db.c
        collection.insert_many([dict(d) for d in docs])
        try:
            outcomes.append(collection.create_index(keys, unique=True, sparse=sparse, name="u_idx"))
        except mongomock.DuplicateKeyError:
            outcomes.append("duplicate")
        except TypeError:  # mongomock's own check, on a duplicate array or sub-document: its throw() is wrong
            outcomes.append("duplicate")
        outcomes.append(collection.index_information().get("u_idx"))
    assert outcomes[:2] == outcomes[2:]
