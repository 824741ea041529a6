"""One in-memory index: its documents' keys in a sorted list, and the documents no key places."""

from __future__ import annotations

from sortedcontainers import SortedList

from bot.embedded_index.query import OTHER, TOP, Analysis, _all_points, field_key

MAX_PREFIXES = 64  # equality combinations tried on a compound index before settling for a shorter prefix


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
