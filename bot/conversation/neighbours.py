"""Neighbouring domains (neighbours.yaml): bank loans, commercial insurance, a company's bookkeeping, shopping
and delivery, e-bikes, sick livestock, health, family quarrels, bus and train tickets. A message using one of
their words is out of scope unless the item it matches best holds the word itself, and the refusal says
honestly what the assistant cannot do, where to turn, and what it can do."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

NEIGHBOURS_FILE = Path(__file__).with_name("neighbours.yaml")


@dataclass(frozen=True)
class Neighbour:
    domain: str
    label: str
    ask: str
    example: str
    words: tuple[str, ...]
    # Refused even when the message names a service ("有人打电话说我有生育补贴没领 让我报验证码" asks about the call).
    whatever_named: bool = False
    # Regular expressions for what words cannot say ("电话说交300块手续费": an amount between the words).
    patterns: tuple[str, ...] = ()
    # Words that are mostly where a story happens ("信用社不给她取钱"): they refuse only a message naming no service.
    story_words: tuple[str, ...] = ()
    # The whole answer, where "抱歉…帮不上忙" would be the wrong words (someone in despair).
    reply: str = ""

    def refusal(self, template: str) -> str:
        return self.reply or template.format(label=self.label, ask=self.ask)


# The entry whose words look like a neighbour's but are part of government services ("村会计"): longer, so they
# match before the neighbour's word inside them.
OURS = "ours"


class Neighbours:
    def __init__(self, domains: list[Neighbour]):
        self.domains = domains
        self._by_word = {w.lower(): d for d in domains for w in d.words}
        words = sorted(self._by_word, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, words))) if words else None
        self._phrases = [(re.compile(p), d) for d in domains for p in d.patterns]

    @classmethod
    def load(cls, path: Path = NEIGHBOURS_FILE) -> Neighbours:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return cls(
            [
                Neighbour(
                    e["domain"],
                    e["label"],
                    e["ask"],
                    e["example"],
                    tuple(map(str, e["words"])),
                    bool(e.get("whatever_named")),
                    tuple(map(str, e.get("patterns") or ())),
                    tuple(map(str, e.get("story_words") or ())),
                    str(e.get("reply") or ""),
                )
                for e in entries
            ]
        )

    def found(self, text: str) -> list[tuple[str, Neighbour]]:
        """(word, domain) for every neighbouring-domain word in a standardised, lower-case message. Words of the
        `ours` entry match first and name no neighbour ("村会计" collects 医保 in the village; "会计" alone is a firm's)."""
        found = [(m.group(0), self._by_word[m.group(0)]) for m in self._pattern.finditer(text)] if self._pattern else []
        found += [(m.group(0), d) for pattern, d in self._phrases for m in pattern.finditer(text)]
        return [(w, d) for w, d in found if d.domain != OURS]

    def outside(self, text: str, item_texts: Iterable[str]) -> Neighbour | None:
        """The neighbouring domain the message is about, unless the items' own texts hold its word."""
        texts = list(item_texts)
        # A domain refused whatever is named speaks first ("电话说…喊我转钱克解冻" is a scam before a bank's matter).
        for word, domain in sorted(self.found(text), key=lambda found: not found[1].whatever_named):
            if not any(word in t for t in texts):
                return domain
        return None

    def domain(self, name: str) -> Neighbour | None:
        return next((d for d in self.domains if d.domain == name), None)


@cache
def shared_neighbours() -> Neighbours:
    return Neighbours.load()


def item_text(item: dict) -> str:
    """Every string of an item (name, aliases, keywords, summary, FAQ, materials ...), joined."""
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(item)
    return "\n".join(out)
