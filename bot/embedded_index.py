"""In-memory indexes for the embedded store (mongomock): the few documents a query can match, from `_id`
and the declared indexes, instead of the whole collection.

mongomock answers every find, update, delete, count and unique-index check by running its filter over
every document of the collection. Here each collection's store (IndexedCollectionStore, a mongomock
CollectionStore) keeps, for each index mongomock was asked to create, a sorted list of the documents'
keys, and mongomock's `_iter_documents` asks it for *candidates* before its own filter runs:

    filter ──► constraints per field (equality, $in, ranges, an anchored regex prefix; $and, $or)
           ──► the index whose leading fields they bound most tightly (counted by bisection)
           ──► candidate documents, in storage order ──► mongomock's filter, sort, projection

Candidates are a superset of the matching documents (whatever the index cannot place exactly, such as
arrays and sub-documents, is always a candidate), so results are mongomock's own, in mongomock's order.
A sorted find with a limit walks the index of its first sort key instead, stopping once enough matched
(`ordered`), and a cursor with a limit copies only what it returns. Queries no index serves scan as before.

Index keys order values as BSON (and mongomock's sort) does: (type rank, value), missing and null alike.
Every write path updates the indexes: inserts, replacements and deletes through the store's item access,
updates in place through hooks around mongomock's update functions, TTL expiry, drop and the journal's
load (`reload`). Indexes are built on first use, so indexes no query uses cost no memory.
"""

from __future__ import annotations

import heapq
import re
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from itertools import islice

import mongomock
from bson import ObjectId
from mongomock import helpers
from mongomock.collection import Collection, Cursor
from mongomock.filtering import _RE_TYPES, filter_applies, resolve_sort_key
from mongomock.store import CollectionStore, DatabaseStore, ServerStore
from sortedcontainers import SortedList

ID_INDEX = "_id_"
MAX_PREFIXES = 64  # equality combinations tried on a compound index before settling for a shorter prefix
WALK_FACTOR = 4  # walk a sorted index when the best candidates exceed 4x the limit and sqrt(4 x limit x documents)
KNOWN_OPERATORS = frozenset("$eq $ne $gt $gte $lt $lte $in $nin $exists $regex $options $elemMatch $size $type $all $not".split())
_REGEX_META = re.compile(r"[.^$*+?{}\[\]\\|()]")


class _Top:
    """Greater than every key: the open upper end of a range."""

    __slots__ = ()

    def __lt__(self, other):
        return False

    def __le__(self, other):
        return other is self

    def __gt__(self, other):
        return other is not self

    def __ge__(self, other):
        return True

    def __eq__(self, other):
        return other is self

    def __hash__(self):
        return 7


TOP = _Top()
OTHER = object()  # a value no key places exactly (array, sub-document, NaN, aware datetime...): always a candidate
NONE_KEY = (5, None)

# ---- keys ----


def scalar_key(value):
    """(BSON type rank, value) for a scalar, as mongomock's sort compares them; OTHER for anything else."""
    t = type(value)
    if t is str:
        return (15, value)
    if value is None:
        return NONE_KEY
    if t is datetime:
        return (45, value) if value.tzinfo is None else OTHER
    if t is int:
        return (10, value)
    if t is bool:
        return (40, value)
    if t is float:
        return (10, value) if value == value else OTHER
    if t is ObjectId:
        return (35, value)
    if isinstance(value, bool):
        return (40, bool(value))
    if isinstance(value, int):
        return (10, value)
    if isinstance(value, float):
        return (10, value) if value == value else OTHER
    if isinstance(value, str):
        return (15, value)
    return OTHER


def field_key(doc, path: list[str]):
    if len(path) == 1 and type(doc) is dict:  # the common case: a top-level field of a stored document
        return scalar_key(doc.get(path[0]))
    value = doc
    for part in path:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, (list, tuple)):
            return OTHER
        else:
            return NONE_KEY  # under a scalar: matches no equality or range, sorts as missing
    return scalar_key(value)


# ---- what a filter asks of each field: sorted, disjoint, inclusive intervals of keys ----
# An interval is (lo, hi): lo is (rank,) or (rank, value); hi is (rank, TOP) or (rank, value, TOP).


def _merge(intervals: list) -> list:
    intervals = sorted(intervals, key=lambda iv: iv[0])
    out: list = []
    for lo, hi in intervals:
        if out and lo <= out[-1][1]:
            if hi > out[-1][1]:
                out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _intersect(a: list, b: list) -> list:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _all_points(intervals) -> bool:
    return all(len(lo) == 2 and len(hi) == 3 and lo[0] == hi[0] and lo[1] == hi[1] for lo, hi in intervals)


def _equal_keys(value):
    """The keys of every scalar mongomock finds equal to `value` (Python equality: 1 == 1.0 == True)."""
    key = scalar_key(value)
    if key is OTHER:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return []  # stored datetimes are naive: an aware one equals none of them
        return None
    if key[0] == 10 and (value == 0 or value == 1):
        return [key, (40, bool(value))]
    if key[0] == 40:
        return [key, (10, int(value))]
    return [key]


def _points(value):
    keys = _equal_keys(value)
    return None if keys is None else _merge([(k, (*k, TOP)) for k in keys])


def _range(op: str, operand):
    key = scalar_key(operand)
    if key is OTHER:
        return None  # mongomock compares it its own way (or raises): leave it to mongomock
    rank = key[0]
    if rank == 5:
        return [((5,), (5, TOP))]
    if op in ("$gt", "$gte"):
        return [(key, (rank, TOP))]
    return [((rank,), (*key, TOP))]


def _prefix(pattern):
    """`^literal`: strings from the literal up to (not including) its successor."""
    if not isinstance(pattern, str) or not pattern.startswith("^") or len(pattern) < 2:
        return None
    literal = pattern[1:]
    if _REGEX_META.search(literal) or ord(literal[-1]) >= 0x10FFFF:
        return None
    return [((15, literal), (15, literal[:-1] + chr(ord(literal[-1]) + 1)))]


class Unplannable(Exception):
    """A filter this module does not read (mongomock alone decides what it means, errors included)."""


def _condition(value):
    """Intervals the field's key must fall in for `{field: value}` to match a scalar; None when unknown."""
    if isinstance(value, dict):
        if not value or not all(isinstance(k, str) and k.startswith("$") for k in value):
            return None  # equality with a sub-document
        result = None
        for op, operand in value.items():
            if op not in KNOWN_OPERATORS:
                raise Unplannable(op)
            bound = None
            if op == "$eq":
                bound = _points(operand)
            elif op == "$in":
                if not isinstance(operand, (list, tuple)):
                    raise Unplannable(op)
                parts = [_points(x) for x in operand]
                bound = None if any(p is None for p in parts) else _merge([iv for p in parts for iv in p])
            elif op in ("$gt", "$gte", "$lt", "$lte"):
                bound = _range(op, operand)
            elif op == "$regex" and "$options" not in value:
                bound = _prefix(operand)
            elif op == "$exists" and not operand:
                bound = _points(None)  # missing sorts (and is keyed) as null
            elif op in ("$nin", "$all") and not isinstance(operand, (list, tuple)):
                raise Unplannable(op)
            elif op == "$not" and not isinstance(operand, (dict, *_RE_TYPES)):
                raise Unplannable(op)
            elif op == "$elemMatch" and not isinstance(operand, dict):
                raise Unplannable(op)
            if bound is not None:
                result = bound if result is None else _intersect(result, bound)
        return result
    if isinstance(value, _RE_TYPES):
        return None
    return _points(value)


class Analysis:
    """A conjunction: intervals per field, and $or groups (each a list of branch analyses)."""

    __slots__ = ("fields", "ors")

    def __init__(self):
        self.fields: dict[str, list] = {}
        self.ors: list[list[Analysis]] = []


def analyze(spec, into: Analysis | None = None) -> Analysis:
    if not isinstance(spec, dict):
        raise Unplannable("filter")
    out = into if into is not None else Analysis()
    for key, value in spec.items():
        if key == "$comment":
            continue
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, (list, tuple)) or not value or not all(isinstance(v, dict) for v in value):
                raise Unplannable(key)
            if key == "$and":
                for clause in value:
                    analyze(clause, out)
            elif key == "$or":
                out.ors.append([analyze(clause) for clause in value])
            else:
                for clause in value:
                    analyze(clause)  # only checked: a $nor excludes, it never narrows the candidates
            continue
        if not isinstance(key, str) or key.startswith("$"):
            raise Unplannable(str(key))
        bound = _condition(value)
        if bound is not None:
            out.fields[key] = _intersect(out.fields[key], bound) if key in out.fields else bound
    return out


def field_bound(analysis: Analysis, field: str):
    """The intervals `field` must fall in, $or groups included; None when unbounded."""
    bound = analysis.fields.get(field)
    for group in analysis.ors:
        branches = [field_bound(branch, field) for branch in group]
        if any(b is None for b in branches):
            continue
        union = _merge([iv for b in branches for iv in b])
        bound = union if bound is None else _intersect(bound, union)
    return bound


# ---- one index ----


class FieldIndex:
    """Sorted entries (key..., seq, document key) for one index, and the documents it cannot place."""

    __slots__ = ("name", "fields", "paths", "spec", "entries", "other")

    def __init__(self, name: str, fields: list[str], spec):
        self.name, self.fields, self.spec = name, fields, spec
        self.paths = [f.split(".") for f in fields]
        self.entries = SortedList()
        self.other: dict = {}  # document key -> seq

    def key(self, doc):
        if len(self.paths) == 1:
            return field_key(doc, self.paths[0])
        out: tuple = ()
        for path in self.paths:
            part = field_key(doc, path)
            if part is OTHER:
                return OTHER
            out += part
        return out

    def build(self, documents, seqs) -> None:
        entries, self.other = [], {}
        for dockey, doc in documents.items():
            k = self.key(doc)
            if k is OTHER:
                self.other[dockey] = seqs[dockey]
            else:
                entries.append((*k, seqs[dockey], dockey))
        self.entries = SortedList(entries)

    def add(self, k, seq, dockey) -> None:
        if k is OTHER:
            self.other[dockey] = seq
        else:
            self.entries.add((*k, seq, dockey))

    def remove(self, k, seq, dockey) -> None:
        if k is OTHER:
            del self.other[dockey]
        else:
            self.entries.remove((*k, seq, dockey))

    def bounds(self, analysis: Analysis):
        """(lo, hi) key ranges covering what `analysis` allows, from the leading fields; None if unbounded."""
        prefixes: list[tuple] = [()]
        for field in self.fields:
            bound = analysis.fields.get(field)
            if bound is None:
                break
            if not _all_points(bound) or len(prefixes) * len(bound) > MAX_PREFIXES:
                return [(p + lo, p + hi) for p in prefixes for lo, hi in bound]
            prefixes = [p + lo for p in prefixes for lo, _hi in bound]
        if prefixes == [()]:
            return None
        return [(p, (*p, TOP)) for p in prefixes]

    def count(self, ranges) -> int:
        entries = self.entries
        return len(self.other) + sum(entries.bisect_right(hi) - entries.bisect_left(lo) for lo, hi in ranges)

    def scan(self, ranges):
        entries = self.entries
        for lo, hi in ranges:
            for entry in entries.islice(entries.bisect_left(lo), entries.bisect_right(hi)):
                yield entry[-2], entry[-1]
        yield from ((seq, dockey) for dockey, seq in self.other.items())


# ---- the collection's store ----


def _first_field(spec) -> str:
    return next(iter(spec["key"]))[0]  # mongomock keeps "key" as a list or as dict items


class IndexedCollectionStore(CollectionStore):
    """mongomock's CollectionStore with in-memory indexes over `_documents` (see the module docstring)."""

    def __init__(self, name):
        self._built: dict[str, FieldIndex] = {}
        self._seq: dict = {}
        self._next_seq = 0
        self._lock = threading.RLock()
        super().__init__(name)

    # -- what mongomock keeps about indexes --

    @property
    def indexes(self):
        return self._indexes

    @indexes.setter
    def indexes(self, value):  # drop_indexes assigns a new dict
        self._indexes = value
        self._built = {}

    def create_index(self, index_name, index_dict):
        super().create_index(index_name, index_dict)
        self._built.pop(index_name, None)

    def drop_index(self, index_name):
        super().drop_index(index_name)
        self._built.pop(index_name, None)

    def drop(self):
        with self._lock:
            super().drop()
            self._seq, self._next_seq, self._built = {}, 0, {}

    def reload(self) -> None:
        """After `_documents` was filled directly (the journal's load): number the documents, drop built indexes."""
        with self._lock:
            self._seq = {dockey: n for n, dockey in enumerate(self._documents)}
            self._next_seq = len(self._seq)
            self._built = {}

    def _index(self, name: str):
        """The built index `name` (building it now if needed); None if mongomock has no such index."""
        spec = {"key": [("_id", 1)]} if name == ID_INDEX else self._indexes.get(name)
        if spec is None:
            return None
        built = self._built.get(name)
        if built is not None and (built.spec is spec or name == ID_INDEX):
            return built
        if len(self._seq) != len(self._documents):
            self.reload()
        built = FieldIndex(name, [field for field, _direction in list(spec["key"])], spec)
        built.build(self._documents, self._seq)
        self._built[name] = built
        return built

    def _index_names(self):
        return [ID_INDEX, *self._indexes]

    # -- writes --

    def __setitem__(self, key, val) -> None:
        with self._lock:
            old = self._documents.get(key)
            super().__setitem__(key, val)
            if old is None:
                seq = self._seq[key] = self._next_seq
                self._next_seq += 1
                for index in self._built.values():
                    index.add(index.key(val), seq, key)
                return
            seq = self._seq[key]
            for index in self._built.values():
                before, after = index.key(old), index.key(val)
                if before != after:
                    index.remove(before, seq, key)
                    index.add(after, seq, key)

    def __delitem__(self, key) -> None:
        with self._lock:
            doc = self._documents.get(key)
            super().__delitem__(key)
            seq = self._seq.pop(key)
            for index in self._built.values():
                index.remove(index.key(doc), seq, key)

    def before_change(self, doc):
        """Before mongomock updates `doc` in place: its current keys (None if `doc` is not stored here)."""
        dockey = doc.get("_id") if isinstance(doc, dict) else None
        if isinstance(dockey, dict):
            dockey = helpers.hashdict(dockey)
        try:
            if self._documents.get(dockey) is not doc:
                return None
        except TypeError:
            return None
        self._lock.acquire()
        return dockey, {name: index.key(doc) for name, index in self._built.items()}

    def after_change(self, doc, token) -> None:
        if token is None:
            return
        try:
            dockey, keys = token
            seq = self._seq[dockey]
            for name, index in self._built.items():
                before, after = keys.get(name, OTHER), index.key(doc)
                if name not in keys:
                    index.build(self._documents, self._seq)
                elif before != after:
                    index.remove(before, seq, dockey)
                    index.add(after, seq, dockey)
        finally:
            self._lock.release()

    # -- TTL expiry from the index, not a scan --

    def _expire_documents(self, index):
        try:
            expiry = int(index["expireAfterSeconds"])
        except ValueError:
            return
        if len(list(index["key"])) > 1:
            return
        name = next((n for n, spec in self._indexes.items() if spec is index), None)
        field = _first_field(index)
        now = mongomock.utcnow()
        with self._lock:
            built = self._index(name) if name is not None else None
            if built is None:
                return super()._expire_documents(index)
            cutoff = now - timedelta(seconds=expiry) + timedelta(seconds=1)
            keys = [k for _seq, k in built.scan([((45,), (45, cutoff, TOP))])]
            expired = [k for k in keys if self._value_meets_expiry(self._documents[k].get(field), expiry, now)]
        for dockey in expired:
            del self[dockey]

    # -- reads --

    def candidates(self, spec):
        """The documents that may match `spec`, in storage order; None when no index narrows them."""
        try:
            analysis = analyze(spec)
        except Unplannable:
            return None
        with self._lock:
            plan = self._plan(analysis)
            if plan is None:
                return None
            found = dict(plan[1]())
            documents = self._documents
            return [documents[k] for _seq, k in sorted((seq, k) for k, seq in found.items())]

    def exact_count(self, spec):
        """How many documents match `spec`, from the index alone, when it answers it exactly: equality or
        $in on non-null scalars over an index's leading fields, every document placed. None otherwise."""
        if spec == {}:
            return len(self)
        if not isinstance(spec, dict) or any(not isinstance(k, str) or k.startswith("$") for k in spec):
            return None
        analysis, combinations = Analysis(), 1
        for field, value in spec.items():
            if isinstance(value, dict):
                if len(value) != 1 or next(iter(value)) not in ("$eq", "$in"):
                    return None
                op, operand = next(iter(value.items()))
                values = operand if op == "$in" and isinstance(operand, list) else [operand] if op == "$eq" else None
            else:
                values = [value]
            if not values or any(v is None or isinstance(v, (dict, list, tuple, *_RE_TYPES)) for v in values):
                return None
            parts = [_points(v) for v in values]
            if any(p is None for p in parts):
                return None
            analysis.fields[field] = _merge([iv for p in parts for iv in p])
            combinations *= len(analysis.fields[field])
        if combinations > MAX_PREFIXES:
            return None
        self._remove_expired_documents()
        with self._lock:
            for name, index_spec in self._indexes.items():
                leading = [f for f, _d in list(index_spec["key"])[: len(spec)]]
                if set(leading) != set(spec) or len(leading) != len(spec):
                    continue
                index = self._index(name)
                if not index.other:
                    return index.count(index.bounds(analysis))
        return None

    def _plan(self, analysis: Analysis):
        """(estimated candidates, a function yielding (document key, seq)) for the cheapest access, or None."""
        best = None
        ids = analysis.fields.get("_id")
        if ids is not None and _all_points(ids):
            values = [lo[1] for lo, _hi in ids]
            if not any(isinstance(v, datetime) for v in values):  # mongomock keys a datetime _id as given
                best = (len(values), lambda: self._by_id(values))
        for name in self._index_names():
            if best is not None and (best[0] <= 1 or name == ID_INDEX):
                continue
            spec = {"key": [("_id", 1)]} if name == ID_INDEX else self._indexes[name]
            if _first_field(spec) not in analysis.fields:
                continue
            index = self._index(name)
            ranges = index.bounds(analysis)
            if ranges is None:
                continue
            cost = index.count(ranges)
            if best is None or cost < best[0]:
                best = (cost, lambda index=index, ranges=ranges: ((k, s) for s, k in index.scan(ranges)))
        for group in analysis.ors:
            plans = [self._plan(branch) for branch in group]
            if any(p is None for p in plans):
                continue
            cost = sum(p[0] for p in plans)
            if best is None or cost < best[0]:
                best = (cost, lambda plans=plans: (pair for p in plans for pair in p[1]()))
        return best

    def _by_id(self, values):
        seqs = self._seq
        for value in values:
            if value in seqs:
                yield value, seqs[value]

    def ordered(self, spec, sort, need: int):
        """The documents matching `spec` in `sort` order, lazily, walking the index of the first sort key;
        None when the candidates are cheaper (or no index is sorted that way)."""
        keys = list(sort.items()) if isinstance(sort, dict) else list(sort)
        if not keys or any(not isinstance(k, str) or k.startswith("$") for k, _d in keys):
            return None
        first = keys[0][0]
        try:
            analysis = analyze(spec)
        except Unplannable:
            return None
        with self._lock:
            found = self._walkable(analysis, first)
            if found is None:
                return None
            index, depth, prefixes = found
            plan = self._plan(analysis)
            total = len(self._documents)
            if plan is not None and (plan[0] <= WALK_FACTOR * need or plan[0] * plan[0] <= WALK_FACTOR * need * total):
                return None
            bound = field_bound(analysis, first)
            runs = [[(p, (*p, TOP))] if bound is None else [(p + lo, p + hi) for lo, hi in bound] for p in prefixes]
        return self._walk(index, depth, runs, spec, keys)

    def _walkable(self, analysis: Analysis, first: str):
        """(index, k, prefixes): an index holding `first` after k leading fields the filter fixes to a few
        values each (the most such fields wins), every document placed; None if there is none."""
        best = None
        for name in [ID_INDEX, *self._indexes]:
            fields = ["_id"] if name == ID_INDEX else [f for f, _d in list(self._indexes[name]["key"])]
            if first not in fields or (best is not None and fields.index(first) <= best[1]):
                continue
            prefixes: list[tuple] = [()]
            for field in fields[: fields.index(first)]:
                bound = analysis.fields.get(field)
                if bound is None or len(prefixes) * len(bound) > MAX_PREFIXES or not _all_points(bound):
                    prefixes = []
                    break
                prefixes = [p + lo for p in prefixes for lo, _hi in bound]
            if not prefixes:
                continue
            index = self._index(name)
            if not index.other:
                best = (index, fields.index(first), prefixes)
        return best

    def _walk(self, index: FieldIndex, depth: int, runs, spec, keys):
        """Entries of each run (one per fixed prefix) merged in the order of the key at `depth`, then
        grouped by that key; each group matched and ordered as mongomock orders documents."""
        descending = keys[0][1] < 0
        entries, documents = index.entries, self._documents
        if self.is_empty:
            filter_applies(spec, {})
        at = 2 * depth
        streams = [self._span(entries, ranges, descending) for ranges in runs]
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda e: e[at : at + 2], reverse=descending)
        group: list = []
        for entry in merged:
            if group and (entry[at] != group[0][at] or entry[at + 1] != group[0][at + 1]):
                yield from self._sorted_group(group, documents, spec, keys)
                group = []
            group.append(entry)
        if group:
            yield from self._sorted_group(group, documents, spec, keys)

    def _span(self, entries, ranges, descending: bool, chunk: int = 256):
        """The entries in `ranges`, a chunk at a time under the lock (the walk itself yields to its caller)."""
        for lo, hi in reversed(ranges) if descending else ranges:
            with self._lock:
                start, stop = entries.bisect_left(lo), entries.bisect_right(hi)
            edges = range(stop, start, -chunk) if descending else range(start, stop, chunk)
            for edge in edges:
                with self._lock:
                    if descending:
                        part = list(entries.islice(max(start, edge - chunk), edge, reverse=True))
                    else:
                        part = list(entries.islice(edge, min(stop, edge + chunk)))
                yield from part

    @staticmethod
    def _sorted_group(group, documents, spec, keys):
        """One run of equal first-sort-key entries, matched and ordered as mongomock orders them."""
        docs = [documents.get(e[-1]) for e in sorted(group, key=lambda e: e[-2])]
        dataset = [d for d in docs if d is not None and filter_applies(spec, d)]
        for sort_key, direction in reversed(keys):
            dataset = sorted(dataset, key=lambda d, k=sort_key: resolve_sort_key(k, d), reverse=direction < 0)
        return dataset


class IndexedDatabaseStore(DatabaseStore):
    collection_class = IndexedCollectionStore

    def __getitem__(self, col_name):
        try:
            return self._collections[col_name]
        except KeyError:
            col = self._collections[col_name] = self.collection_class(col_name)
            return col

    def rename(self, name, new_name):
        col = self._collections.pop(name, None) or self.collection_class(new_name)
        col.name = new_name
        self._collections[new_name] = col


class IndexedServerStore(ServerStore):
    """What `AsyncMongoMockClient(_store=...)` keeps its databases in, with indexed collections."""

    def __getitem__(self, db_name):
        try:
            return self._databases[db_name]
        except KeyError:
            db = self._databases[db_name] = IndexedDatabaseStore()
            return db


# ---- hooks into mongomock's Collection and Cursor (plain mongomock stores behave exactly as before) ----


def _iter_documents(self, filter):
    store = self._store
    if not isinstance(store, IndexedCollectionStore):
        return _ORIGINAL["_iter_documents"](self, filter)
    if store.is_empty:
        filter_applies(filter, {})  # mongomock validates the filter even when nothing can match
    docs = store.candidates(filter)  # after is_empty ran the TTL expiry, as `documents` would
    if docs is None:
        docs = list(store.documents)
    return (doc for doc in docs if filter_applies(filter, doc))


def _tracked(method):
    """mongomock updates stored documents in place: keep the indexes (and the journal) in step."""

    def wrapper(self, existing_document, *args, **kwargs):
        store = self._store
        if not isinstance(store, IndexedCollectionStore):
            return method(self, existing_document, *args, **kwargs)
        token = store.before_change(existing_document)
        try:
            return method(self, existing_document, *args, **kwargs)
        finally:
            store.after_change(existing_document, token)

    wrapper.indexed = True
    return wrapper


def _compute_results(self, with_limit_and_skip=False):
    store = self.collection._store
    if not with_limit_and_skip or not self._limit or not isinstance(store, IndexedCollectionStore):
        return _ORIGINAL["_compute_results"](self, with_limit_and_skip)
    state = (self._factory, self._skip, self._limit)
    cached = self.__dict__.get("_indexed_results")
    if cached is None or cached[0] != state:
        need = self._skip + abs(self._limit)
        walk = store.ordered(self._spec, self._sort, need) if self._sort else None
        if walk is not None:
            docs = (self.collection._copy_only_fields(d, self._projection, dict) for d in walk)
        else:
            docs = self._factory()
        results = list(islice(docs, need))
        if self.collection.codec_options.tz_aware:
            results = [helpers.make_datetime_timezone_aware_in_document(x) for x in results]
        cached = self._indexed_results = (state, results)
    return cached[1][self._skip :]


def _count_documents(self, filter, **kwargs):  # noqa: A002 - mongomock's signature
    store = self._store
    if isinstance(store, IndexedCollectionStore) and not kwargs:
        count = store.exact_count(helpers.patch_datetime_awareness_in_document(filter))
        if count is not None:
            return count
    return _ORIGINAL["count_documents"](self, filter, **kwargs)


def _find_one(self, filter=None, *args, **kwargs):  # noqa: A002 - mongomock's signature
    if not isinstance(self._store, IndexedCollectionStore):
        return _ORIGINAL["find_one"](self, filter, *args, **kwargs)
    if filter is None:
        filter = {}  # noqa: A001
    if not isinstance(filter, Mapping):
        filter = {"_id": filter}  # noqa: A001
    cursor = self.find(filter, *args, **kwargs)
    if not cursor._limit:
        cursor.limit(1)  # the first document is the same; only it is copied
    try:
        return next(cursor)
    except StopIteration:
        return None


_ORIGINAL: dict = {}


def install() -> None:
    """Hook into mongomock once per process (idempotent)."""
    if getattr(Collection._apply_update_document, "indexed", False):
        return
    _ORIGINAL.update(
        _iter_documents=Collection._iter_documents,
        _compute_results=Cursor._compute_results,
        find_one=Collection.find_one,
        count_documents=Collection.count_documents,
    )
    Collection.count_documents = _count_documents
    Collection._iter_documents = _iter_documents
    Collection.find_one = _find_one
    Cursor._compute_results = _compute_results
    Collection._apply_update_document = _tracked(Collection._apply_update_document)
    Collection._apply_update_pipeline = _tracked(Collection._apply_update_pipeline)


install()
