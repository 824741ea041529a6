"""A load cache for the embedded store (bot/embedded.py): its documents pickled as loaded, so a start-up reads
them back in one C call instead of decoding and sharing every BSON record again (several times faster).

    load-cache.pickle        MAGIC, a JSON header line, then the pickled documents of every collection
    load-cache.pickle.lock   held by a writer while it checks that no newer cache is there and replaces it

The header names what the documents are: the snapshot's generation and id (a random token written in the
snapshot's header at each compaction), how many bytes of that generation's journal were applied, and whether
the files had ended on a settled mark there. The journal is append-only, so a start-up that finds a cache
of its snapshot reads the cache and then the journal from that offset on. Anything else (another snapshot,
a journal shorter than the offset, a damaged or truncated file, one that does not unpickle) is no cache:
the caller loads the snapshot and journal as before. The header's checksum covers the pickled bytes.

The cache is written by a forked copy of the process (copy-on-write: the documents as they are at the fork,
for the price of copying page tables), so neither a start-up nor a compaction waits for the pickling.
Like the rest of the data directory it is readable by the owner only; pickle runs code from what it reads,
so the cache is trusted exactly as far as the directory is (whoever can write there can already change
every resident's record).
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import logging
import os
import pickle
import time
import zlib
from pathlib import Path

log = logging.getLogger(__name__)

CACHE = "load-cache.pickle"
MAGIC = b"govbot-load-cache 1\n"


def read(data_dir: Path, generation: int, snapshot_id: str | None, journal_size: int) -> tuple[dict, dict] | None:
    """(header, {(db, collection): documents}) when the cache holds the snapshot `generation`/`snapshot_id`
    plus a prefix of a journal now `journal_size` bytes long; None otherwise."""
    path = Path(data_dir) / CACHE
    if snapshot_id is None or not path.exists():
        return None
    try:
        with open(path, "rb") as fh:
            header = _header(fh)
            if header.get("gen") != generation or header.get("id") != snapshot_id:
                return None  # a cache of another snapshot: stale, not damaged
            if not 0 <= header["journal"] <= journal_size:
                return None
            payload = fh.read()
        if len(payload) != header["size"] or zlib.crc32(payload) != header["crc"]:
            raise ValueError("checksum mismatch")
        collecting = gc.isenabled()
        gc.disable()  # hundreds of thousands of new documents, none in a cycle
        try:
            documents = pickle.loads(payload)
        finally:
            if collecting:
                gc.enable()
        if not isinstance(documents, dict):
            raise ValueError("not a dict of collections")
        return header, documents
    except Exception as exc:  # noqa: BLE001 - any damage means no cache: the snapshot is the truth
        log.warning("embedded store load cache in %s not used (%s: %s): loading the snapshot", data_dir, type(exc).__name__, exc)
        return None


def remove_leftovers(data_dir: Path, older_than: float = 600.0) -> None:
    """Temporary files of writers that were killed before they finished (each as large as the cache)."""
    for tmp in Path(data_dir).glob(f"{CACHE}.*.tmp"):
        with contextlib.suppress(OSError):
            if time.time() - tmp.stat().st_mtime > older_than:
                tmp.unlink()


def write(data_dir: Path, header: dict, documents: dict) -> None:
    """Write the cache now (atomically: a reader sees the old file or the new one). Writers run detached and at
    a low priority, so an older one can finish after a newer one: it never replaces a newer cache."""
    payload = pickle.dumps(documents, protocol=pickle.HIGHEST_PROTOCOL)
    header = {**header, "size": len(payload), "crc": zlib.crc32(payload)}
    path = Path(data_dir) / CACHE
    tmp = path.with_name(f"{CACHE}.{os.getpid()}.tmp")
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as fh:
        fh.write(MAGIC)
        fh.write(json.dumps(header).encode() + b"\n")
        fh.write(payload)
    lock = os.open(path.with_name(f"{CACHE}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the check and the replace, one writer at a time
        if _newer(_header_of(path), header):
            os.unlink(tmp)
        else:
            os.replace(tmp, path)
    finally:
        os.close(lock)


def _header(fh) -> dict:
    """The JSON header of an open cache file, after its magic line."""
    if fh.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a load cache")
    return json.loads(fh.readline())


def _header_of(path: Path) -> dict | None:
    with contextlib.suppress(OSError, ValueError), open(path, "rb") as fh:
        return _header(fh)
    return None


def _newer(current: dict | None, ours: dict) -> bool:
    """Does the cache on disk hold a later state than ours (a later generation, or more of the same journal)?"""
    if not current:
        return False
    return (current.get("gen", -1), current.get("journal", -1)) > (ours["gen"], ours["journal"])


def write_in_background(data_dir: Path, header: dict, documents: dict, share=None) -> None:
    """Write the cache from a forked copy of this process (detached: a grandchild, so nothing is left to
    reap), with the documents as they are now. The copy first lets go of every descriptor it inherited (the
    data directory's lock, the listening socket): a restart never waits for it. `share(doc, shared)`: a
    copy of a document with its repeated strings made one object (documents written by this process
    rather than loaded share fewer), done by the copy so the cache is read back as compact as a load."""
    try:
        pid = os.fork()
    except OSError as exc:
        log.warning("embedded store load cache not written: %s", exc)
        return
    if pid:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)  # the child forks the writer and leaves at once
        return
    status = 1
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # nor a caller's pipes (a script run with its output captured ends at once)
            os.dup2(null, fd)
        os.closerange(3, os.sysconf("SC_OPEN_MAX"))
        if os.fork() == 0:
            gc.disable()  # the copy only pickles and exits
            with contextlib.suppress(OSError):
                os.nice(10)  # after the server, which is starting or serving meanwhile
            if share is not None:
                documents = _shared(documents, share)
            write(data_dir, header, documents)
        status = 0
    except BaseException:  # noqa: BLE001 - never return into the server's code from a forked copy
        status = 1
    finally:
        os._exit(status)


def _shared(documents: dict, share) -> dict:
    shared: dict = {}
    out = {}
    for name, docs in documents.items():
        copies = type(docs)()
        for key, doc in docs.items():
            copies[shared.get(key, key) if type(key) is str else key] = share(doc, shared) if type(doc) is dict else doc
        out[name] = copies
    return out
