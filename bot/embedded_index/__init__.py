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

from bot.embedded_index import hooks
from bot.embedded_index.store import IndexedCollectionStore, IndexedDatabaseStore, IndexedServerStore

hooks.install()

__all__ = ["IndexedCollectionStore", "IndexedDatabaseStore", "IndexedServerStore"]
