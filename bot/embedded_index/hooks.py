"""Hooks into mongomock's Collection and Cursor: candidates before its filter, index walks and short copies
for limited cursors, exact counts, and in-place updates kept in step. Plain mongomock stores behave exactly
as before (every hook checks the store's class first)."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice

from mongomock import DuplicateKeyError, OperationFailure, helpers
from mongomock.collection import Collection, Cursor
from mongomock.filtering import filter_applies

from bot.embedded_index.store import IndexedCollectionStore


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


def _create_index(self, key_or_list, cache_for=300, session=None, **kwargs):
    """mongomock's create_index, whose check that a unique index's values are unique (every document, at
    every start-up) reads top-level fields directly instead of through get_value_by_dot: same result, a
    fraction of the time on a large collection."""
    if session or not isinstance(self._store, IndexedCollectionStore) or not kwargs.get("unique"):
        return _ORIGINAL["create_index"](self, key_or_list, cache_for, session, **kwargs)
    index_list = helpers.create_index_list(key_or_list)
    is_sparse = kwargs.pop("sparse", False)
    kwargs.pop("unique")
    index_name = kwargs.pop("name", helpers.gen_index_name(index_list))
    index_dict = {"key": index_list}
    if is_sparse:
        index_dict["sparse"] = True
    index_dict["unique"] = True
    if kwargs.get("expireAfterSeconds") is not None:
        index_dict["expireAfterSeconds"] = kwargs.pop("expireAfterSeconds")
    if kwargs.get("partialFilterExpression") is not None:
        index_dict["partialFilterExpression"] = kwargs.pop("partialFilterExpression")
    existing_index = self._store.indexes.get(index_name)
    if existing_index and index_dict != existing_index:
        raise OperationFailure(f"Index with name: {index_name} already exists with different options")
    _check_unique(self._store, index_list, is_sparse)
    self._store.create_index(index_name, index_dict)
    return index_name


def _check_unique(store, index_list, is_sparse: bool) -> None:
    """mongomock's uniqueness check (missing is None unless sparse; a sparse index skips documents with none
    of its fields; unhashable values compared by equality), over the stored documents as they are."""
    store._remove_expired_documents()
    fields = [(key, "." not in key) for key, _order in index_list]
    indexed: set = set()
    indexed_list: list = []
    for doc in list(store._documents.values()):
        index = []
        for key, top_level in fields:
            try:
                index.append(doc[key] if top_level and type(doc) is dict else helpers.get_value_by_dot(doc, key))
            except KeyError:
                if is_sparse:
                    continue
                index.append(None)
        if is_sparse and not index:
            continue
        index = tuple(index)
        try:
            if index in indexed:
                raise DuplicateKeyError("E11000 Duplicate Key Error", 11000)
            indexed.add(index)
        except TypeError:
            if index in indexed_list:
                raise DuplicateKeyError("E11000 Duplicate Key Error", 11000) from None
            indexed_list.append(index)


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
        create_index=Collection.create_index,
    )
    Collection.create_index = _create_index
    Collection.count_documents = _count_documents
    Collection._iter_documents = _iter_documents
    Collection.find_one = _find_one
    Cursor._compute_results = _compute_results
    Collection._apply_update_document = _tracked(Collection._apply_update_document)
    Collection._apply_update_pipeline = _tracked(Collection._apply_update_pipeline)
