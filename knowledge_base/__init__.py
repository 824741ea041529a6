"""Service-item knowledge base: data files, validation and matching, usable without a server."""

from __future__ import annotations

from knowledge_base.catalog import load_items
from knowledge_base.index import ItemIndex


def build_index_from_files(asked: dict[str, list[str]] | None = None) -> ItemIndex:
    """The index over the seed files, as the server builds it on an empty store (asked: see ItemIndex)."""
    items, problems = load_items()
    if problems:
        raise ValueError("knowledge base has invalid items:\n" + "\n".join(map(str, problems)))
    return ItemIndex(items, asked=asked)
