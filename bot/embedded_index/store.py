"""The indexed collection store: mongomock's CollectionStore with in-memory indexes over its documents,
kept in step with every write; candidates for a filter, index walks for sorted pages, exact counts."""

from __future__ import annotations

import heapq
import threading
from datetime import datetime, timedelta

import mongomock
from mongomock import helpers
from mongomock.filtering import _RE_TYPES, filter_applies, resolve_sort_key
from mongomock.store import CollectionStore, DatabaseStore, ServerStore

from bot.embedded_index.field_index import MAX_PREFIXES, FieldIndex
from bot.embedded_index.query import (
    OTHER,
    TOP,
    Analysis,
    Unplannable,
    _all_points,
    _merge,
    _points,
    analyze,
    field_bound,
)

ID_INDEX = "_id_"
WALK_FACTOR = 4  # walk a sorted index when the best candidates exceed 4x the limit and sqrt(4 x limit x documents)


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
            if plan is not None:
                cost = plan[0]
                if depth:  # the walk reads only the fixed prefixes' runs, and sorts nothing: worth it past the page
                    cheaper = cost <= WALK_FACTOR * need / 4
                else:  # the walk may pass many documents that do not match before it fills the page
                    cheaper = cost <= WALK_FACTOR * need or cost * cost <= WALK_FACTOR * need * total
                if cheaper:
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
