"""The embedded store kept on disk: mongomock's documents, saved as a snapshot plus an append-only journal.

For development, demos and a single-station pilot on `make run` (one server process; production runs on
a real MongoDB). Under the data directory (BOT_DATA_DIR):

    snapshot.bson      every document at the last compaction, BSON records, with a header naming its generation
    journal-<g>.bson   document changes since the snapshot of generation g, appended as they happen, and
                       "settled" marks: everything the process held in memory was on disk at that point
    load-cache.pickle  the documents as last loaded or compacted, read at start-up instead of the snapshot
                       when they are its own (bot/embedded_cache.py); anything else falls back to the snapshot
    data.key           the field-encryption key generated on first start (BOT_DATA_KEY when not set)
    LOCK               held while a server runs: a second process on the same directory refuses to start

Every insert, update and delete marks its document dirty (hooks on mongomock's collection store); the
document's state is appended to the journal shortly after (FLUSH_DELAY, coalescing repeated changes),
at once for the collections in IMMEDIATE (booking counters and bookings: a number a resident was given
is on disk before the reply leaves). Appends are plain write() calls, so they survive a crash of the
process (SIGKILL); fsync runs every FSYNC_EVERY seconds, so a power cut loses at most that much.
At start the snapshot (or its load cache) and its journal are read back (a torn last record is dropped),
with one object for each repeated field name and short string (most of a document log's memory); a journal past
COMPACT_AT_START_BYTES is compacted into a new snapshot, a smaller one appended to from where it ends.
Compaction also runs at a normal stop and when the journal grows past COMPACT_BYTES.

A write can change two documents in one step (a booking and its report rollup row, bot/report/rollups.py)
and the immediate flush of the first may reach the journal before the deferred flush of the second. A
flush run between two steps of the event loop writes every dirty document, so the files then hold a
consistent state: it appends a "settled" mark (and a snapshot written then says so in its header).
`Journal.settled` tells whether the files ended on such a state when they were loaded; derived data kept in
the store itself (the rollups) need not be counted again after a crash when they did.
"""

from __future__ import annotations

import asyncio
import fcntl
import gc
import logging
import os
import secrets
import time
from pathlib import Path

import bson
from mongomock.collection import Collection

from bot import embedded_cache
from bot.embedded_index import IndexedCollectionStore, IndexedDatabaseStore, IndexedServerStore

log = logging.getLogger(__name__)

FLUSH_DELAY = 0.2
FSYNC_EVERY = 1.0
COMPACT_BYTES = 128 * 1024 * 1024  # a compaction pauses the server about 0.6 s per 100,000 documents
COMPACT_AT_START_BYTES = 16 * 1024 * 1024  # a smaller journal is read and then appended to, not compacted
CACHE_AGAIN_BYTES = 4 * 1024 * 1024  # journal read past the load cache before a start-up writes it again
IMMEDIATE = frozenset({"counters", "bookings", "users"})
SNAPSHOT = "snapshot.bson"
SETTLED_MARK = bson.encode({"o": "s"})


class DataDirLocked(RuntimeError):
    """Another server process is using the data directory."""


# ---- capturing changes inside mongomock ----


class _JournaledCollection(IndexedCollectionStore):
    def __init__(self, name: str, db_name: str, journal: Journal):
        super().__init__(name)
        self._db_name = db_name
        self._journal = journal

    def __setitem__(self, key, val) -> None:
        super().__setitem__(key, val)
        self._journal.mark(self._db_name, self.name, key)

    def __delitem__(self, key) -> None:
        super().__delitem__(key)
        self._journal.mark(self._db_name, self.name, key)

    def after_change(self, doc, token) -> None:
        """mongomock updated a stored document in place (bot/embedded_index/hooks.py): index and journal it."""
        super().after_change(doc, token)
        if token is not None:
            self._journal.mark(self._db_name, self.name, token[0])

    def drop(self) -> None:
        super().drop()
        self._journal.dropped(self._db_name, self.name)


class _JournaledDatabase(IndexedDatabaseStore):
    def __init__(self, name: str, journal: Journal):
        super().__init__()
        self._name = name
        self._journal = journal

    def collection_class(self, col_name):
        return _JournaledCollection(col_name, self._name, self._journal)


class JournaledServerStore(IndexedServerStore):
    def __init__(self, journal: Journal):
        super().__init__()
        self.journal = journal

    def __getitem__(self, db_name):
        try:
            return self._databases[db_name]
        except KeyError:
            db = self._databases[db_name] = _JournaledDatabase(db_name, self.journal)
            return db


# ---- the files ----


def _records(data: bytes, offset: int = 0):
    """BSON records from `data` (from `offset`), stopping at a torn or damaged tail; yields (record, end offset)."""
    while offset + 4 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "little")
        if size < 5 or offset + size > len(data):
            return
        try:
            record = bson.decode(data[offset : offset + size])
        except bson.errors.BSONError:
            return
        offset += size
        yield record, offset


SHARED_UP_TO = 100  # characters: field names, openids, codes, statuses, keyed hashes of name parts, replies


def _shared_copy(doc: dict, shared: dict) -> dict:
    """`doc` with one object for each repeated field name and short string value, at every depth. BSON's
    decoder makes a new string for every field name of every document: for a message log that is most
    of its memory."""
    out = {}
    for key, value in doc.items():
        kind = type(value)
        if kind is str:
            if len(value) <= SHARED_UP_TO:
                value = shared.setdefault(value, value)
        elif kind is dict:
            value = _shared_copy(value, shared)
        elif kind is list:
            value = _shared_list(value, shared)
        out[shared.setdefault(key, key)] = value
    return out


def _shared_list(values: list, shared: dict) -> list:
    # The per-value branch is written out here and in _shared_copy on purpose: one helper called per value made
    # sharing 200,000 message-log documents 20-40 % slower (measured), and this runs for every stored document.
    out = []
    for value in values:
        kind = type(value)
        if kind is str:
            if len(value) <= SHARED_UP_TO:
                value = shared.setdefault(value, value)
        elif kind is dict:
            value = _shared_copy(value, shared)
        elif kind is list:
            value = _shared_list(value, shared)
        out.append(value)
    return out


class Journal:
    """The snapshot and journal of one data directory, and the dirty set between flushes."""

    def __init__(self, data_dir: Path):
        self.dir = Path(data_dir)
        self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)  # residents' data: the owner only
        self._lock = open(self.dir / "LOCK", "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise DataDirLocked(f"{self.dir} is used by another server process (the embedded store is one process)") from None
        self.server: JournaledServerStore | None = None
        self.generation = 0
        self._fd: int | None = None
        self._dirty: dict[tuple[str, str], set] = {}
        self._drops: list[tuple[str, str]] = []
        self._loading = False
        self._shared: dict = {}  # while loading: repeated short strings, one object each
        self._timer: asyncio.TimerHandle | None = None
        self._fsync_task: asyncio.Task | None = None
        self._unsynced = False
        self.journal_bytes = 0
        self.settled = False  # the files ended on a consistent state when loaded (see the module's docstring)
        self.snapshot_id: str | None = None  # a random token in the snapshot's header: what a load cache names
        self.cached_at: int | None = None  # the journal offset the load cache covers (None: no cache)
        self.loaded_from_cache = False
        self._settled_on_disk = False

    # -- marking --

    def mark(self, db: str, coll: str, key) -> None:
        if self._loading:
            return
        self._dirty.setdefault((db, coll), set()).add(key)
        if coll in IMMEDIATE:
            self._write(settle=False)  # inside a write: the step's other changes may not be made yet
        self._schedule()  # the deferred flush then marks the files settled

    def dropped(self, db: str, coll: str) -> None:
        if self._loading:
            return
        self._dirty.pop((db, coll), None)
        self._drops.append((db, coll))
        self._schedule()

    def _schedule(self) -> None:
        if self._timer is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous caller): write now
            self._write(settle=False)
            return
        self._timer = loop.call_later(FLUSH_DELAY, self.flush)

    # -- writing --

    def flush(self) -> None:
        """Append the current state of every dirty document to the journal, then a "settled" mark: called
        between two steps of the event loop (its timer, a stop), never from inside a write."""
        self._write(settle=True)

    def _write(self, settle: bool) -> None:
        if self._timer is not None and settle:
            self._timer.cancel()
            self._timer = None
        if self._fd is None or not (self._dirty or self._drops or (settle and not self._settled_on_disk)):
            return
        out = []
        for db, coll in self._drops:
            out.append(bson.encode({"o": "x", "db": db, "c": coll}))
        self._drops = []
        dirty, self._dirty = self._dirty, {}
        for (db, coll), keys in dirty.items():
            documents = self.server[db][coll]._documents
            for key in keys:
                doc = documents.get(key)
                if doc is None:
                    out.append(bson.encode({"o": "d", "db": db, "c": coll, "k": key}))
                else:
                    out.append(bson.encode({"o": "p", "db": db, "c": coll, "d": doc}))
        if settle:
            out.append(SETTLED_MARK)  # in the same write: a torn tail loses the mark with the documents
        data = b"".join(out)
        os.write(self._fd, data)
        self._settled_on_disk = settle
        self.journal_bytes += len(data)
        self._unsynced = True
        if self._fsync_task is None:
            try:
                self._fsync_task = asyncio.get_running_loop().create_task(self._fsync_soon())
            except RuntimeError:
                os.fsync(self._fd)
                self._unsynced = False
        if self.journal_bytes > COMPACT_BYTES:
            self.compact(settled=settle)

    async def _fsync_soon(self) -> None:
        try:
            await asyncio.sleep(FSYNC_EVERY)
            if self._unsynced and self._fd is not None:
                self._unsynced = False
                await asyncio.get_running_loop().run_in_executor(None, os.fsync, self._fd)
        finally:
            self._fsync_task = None

    # -- loading and compacting --

    def load(self, server: JournaledServerStore) -> int:
        """Fill `server` from the snapshot and journal; returns how many documents were loaded."""
        self.server = server
        self._loading = True
        collecting = gc.isenabled()
        gc.disable()  # hundreds of thousands of new documents, none in a cycle: no collection needed
        try:
            snapshot = self.dir / SNAPSHOT
            start = self._load_cache(server)
            if start is None:
                start = 0
                if snapshot.exists():
                    for record, _end in _records(snapshot.read_bytes()):  # one record alive at a time
                        if record["o"] == "h":
                            self._read_header(record)
                        else:
                            self._apply(record)
            journal = self._journal_path(self.generation)
            self.journal_bytes = start  # where the last whole record ends
            if journal.exists():
                for record, end in _records(journal.read_bytes(), start):
                    self.settled = record["o"] == "s"
                    if not self.settled:
                        self._apply(record)
                    self.journal_bytes = end
            self._settled_on_disk = self.settled
        finally:
            self._loading = False
            self._shared = {}
            if collecting:
                gc.enable()
        for db in server._databases.values():
            for collection in db._collections.values():
                collection.reload()  # filled directly: number the documents for the indexes
        return sum(len(c._documents) for d in server._databases.values() for c in d._collections.values())

    def _read_header(self, record: dict) -> None:
        self.generation = record["gen"]
        self.settled = record.get("settled", False)
        self.snapshot_id = record.get("id")
        if self.snapshot_id is None:  # a snapshot written before ids: its size and time of writing
            st = (self.dir / SNAPSHOT).stat()
            self.snapshot_id = f"file:{st.st_size}:{st.st_mtime_ns}"

    def _load_cache(self, server: JournaledServerStore) -> int | None:
        """Fill `server` from the load cache when it holds this snapshot (bot/embedded_cache.py); returns the
        journal offset it covers, None when there is no usable cache."""
        snapshot = self.dir / SNAPSHOT
        if not snapshot.exists():
            return None
        embedded_cache.remove_leftovers(self.dir)
        with open(snapshot, "rb") as fh:
            header = next(_records(fh.read(4096)), (None, 0))[0]  # the header record, first and small
        if not header or header.get("o") != "h":
            return None
        self._read_header(header)
        journal = self._journal_path(self.generation)
        cached = embedded_cache.read(
            self.dir, self.generation, self.snapshot_id, journal.stat().st_size if journal.exists() else 0
        )
        if cached is None:
            return None
        cache_header, documents = cached
        for (db, coll), docs in documents.items():
            server[db][coll]._documents = docs
        self.settled = cache_header["settled"]
        self.cached_at = cache_header["journal"]
        self.loaded_from_cache = True
        return self.cached_at

    def write_cache(self) -> None:
        """Keep the documents as they are now (the files' state: nothing pending) in the load cache, from a
        forked copy of the process."""
        if self.snapshot_id is None or self.server is None:
            return
        header = {"gen": self.generation, "id": self.snapshot_id, "journal": self.journal_bytes, "settled": self._settled_on_disk}
        documents = {
            (db_name, coll_name): coll._documents
            for db_name, db in self.server._databases.items()
            for coll_name, coll in db._collections.items()
            if coll._documents
        }
        embedded_cache.write_in_background(self.dir, header, documents, share=_shared_copy)
        self.cached_at = self.journal_bytes

    def _apply(self, record: dict) -> None:
        collection = self.server[record["db"]][record["c"]]
        if record["o"] == "p":
            doc = _shared_copy(record["d"], self._shared)
            collection._documents[doc["_id"]] = doc
        elif record["o"] == "d":
            collection._documents.pop(record["k"], None)
        elif record["o"] == "x":
            collection._documents.clear()

    def resume(self) -> None:
        """Go on appending to the loaded generation's journal (a torn tail cut off) instead of compacting:
        a start-up after a crash then costs the reading only."""
        fd = os.open(self._journal_path(self.generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.ftruncate(fd, self.journal_bytes)
        self._fd = fd

    def _journal_path(self, generation: int) -> Path:
        return self.dir / f"journal-{generation}.bson"

    def compact(self, settled: bool = True) -> None:
        """Write every document to a new snapshot and start an empty journal for it. `settled`: memory holds
        a consistent state (False when called from inside a write)."""
        started = time.perf_counter()
        self._flush_pending_marks_into_snapshot()
        generation = self.generation + 1
        tmp = self.dir / (SNAPSHOT + ".tmp")
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
            snapshot_id = secrets.token_hex(8)
            fh.write(bson.encode({"o": "h", "gen": generation, "settled": settled, "id": snapshot_id}))
            count = 0
            for db_name, db in self.server._databases.items():
                for coll_name, coll in db._collections.items():
                    for doc in coll._documents.values():
                        fh.write(bson.encode({"o": "p", "db": db_name, "c": coll_name, "d": doc}))
                        count += 1
            fh.flush()
            os.fsync(fh.fileno())
        new_fd = os.open(self._journal_path(generation), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.replace(tmp, self.dir / SNAPSHOT)  # the switch: from here on the new generation is the truth
        _fsync_dir(self.dir)
        old_fd, self._fd = self._fd, new_fd
        if old_fd is not None:
            os.close(old_fd)
        self._journal_path(self.generation).unlink(missing_ok=True)
        self.generation = generation
        self.snapshot_id = snapshot_id
        self.journal_bytes = 0
        self._settled_on_disk = settled
        self.write_cache()
        log.info("embedded store compacted: %d documents in %.2fs (%s)", count, time.perf_counter() - started, self.dir)

    def _flush_pending_marks_into_snapshot(self) -> None:
        # The snapshot holds the current state of every document: pending marks are included in it.
        self._dirty, self._drops = {}, []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """At a normal stop: everything into a fresh snapshot, then release the directory."""
        if self.server is not None and self._fd is not None:
            self.flush()
            self.compact()
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        if self._fsync_task is not None:
            self._fsync_task.cancel()
        self._lock.close()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_persistent_client(data_dir: Path):
    """An AsyncMongoMockClient whose data lives in `data_dir`; returns (client, journal)."""
    from mongomock_motor import AsyncMongoMockClient

    journal = Journal(data_dir)
    server = JournaledServerStore(journal)
    started = time.perf_counter()
    count = journal.load(server)
    if (journal.dir / SNAPSHOT).exists() and journal.journal_bytes <= COMPACT_AT_START_BYTES:
        journal.resume()
        if journal.cached_at is None or journal.journal_bytes - journal.cached_at > CACHE_AGAIN_BYTES:
            journal.write_cache()
    else:
        journal.compact(settled=journal.settled)  # writes the load cache too
    log.info("embedded store loaded from %s: %d documents in %.2fs", data_dir, count, time.perf_counter() - started)
    return AsyncMongoMockClient(tz_aware=True, _store=server), journal


def persisted_secret(data_dir: Path, name: str) -> str:
    """A key generated once and kept in the data directory (mode 0600), e.g. the dev BOT_DATA_KEY."""
    path = Path(data_dir) / name
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    Path(data_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(value + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return value


# ---- a cheaper insert for the message log ----


def append_only_inserter(collection):
    """For an embedded (mongomock) collection: a function inserting a batch of new documents with the
    semantics of `insert_many(ordered=False)` (a duplicate _id is skipped and counted), minus mongomock's
    per-document validation, locks and wrappers, which cost more than the rest of a message's bookkeeping.
    Falls back to None (use insert_many) for anything else, and whenever the collection has a unique
    index other than _id, whose check this would skip."""
    sync = getattr(collection, "_AsyncMongoMockCollection__collection", None)
    if not isinstance(sync, Collection):
        return None
    from mongomock import helpers

    def insert(docs: list[dict]) -> int:
        """Returns how many were duplicates (not inserted)."""
        store = sync._store
        if any(index.get("unique") for index in store.indexes.values()):
            raise NotImplementedError("unique index: use insert_many")
        documents = store._documents
        duplicates = 0
        for doc in docs:
            key = doc["_id"]
            if key in documents:
                duplicates += 1
                continue
            store[key] = helpers.patch_datetime_awareness_in_document(doc)
        return duplicates

    return insert
