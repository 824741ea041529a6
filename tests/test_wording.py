"""The wording model (knowledge_base/wording.py) reranks BM25's candidates by how residents word each item: it puts
the right item first more often on a writer's set it never read, and never turns a choice into a direct answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import knowledge_base.index as index_module
from bot.conversation.classifier import asked_examples, default_example_files
from knowledge_base.catalog import load_items
from knowledge_base.index import ItemIndex
from knowledge_base.wording import ItemWording
from tests.utils import shared_lexicon

DATA = Path(__file__).resolve().parent / "data"


def test_the_item_whose_examples_read_like_the_message_is_likelier():
    wording = ItemWording(
        ["A", "B"],
        [("A", "老倌走了 丧葬费咋个领"), ("A", "老人去世了 领哪样钱"), ("B", "孤儿生活费"), ("B", "娃娃爹妈都不在了")],
    )
    p = wording.posterior("老人走了 要领钱", np.array([0, 1]))
    assert p.sum() == pytest.approx(1.0) and p[0] > 0.6
    assert wording.posterior("娃娃爹妈不在了", np.array([0, 1]))[1] > 0.6
    # Nothing it has read: no opinion.
    assert list(wording.posterior("🙂🙂", np.array([0, 1]))) == [0.5, 0.5]


@pytest.fixture(scope="module", params=["ae", "ad"])
def left_out(request):
    """An index whose examples leave out one writer's set, and that set's questions about one item."""
    name = request.param
    paths = [p for p in default_example_files() if p.name != f"train_{name}.jsonl"]
    items, problems = load_items()
    assert problems == [] and len(paths) == len(default_example_files()) - 1
    index = ItemIndex(items, shared_lexicon(), asked=asked_examples(paths))
    path = next(DATA.glob(f"*_writer_{name}_questions.jsonl"))
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return index, [c for c in cases if c["intent"] == "ask_item" and c["items"]]


def first_right(index: ItemIndex, cases: list[dict]) -> int:
    return sum(bool(r.matches) and r.matches[0].code in c["items"] for c in cases for r in [index.search(c["text"])])


def test_reranking_puts_the_right_item_first_more_often_on_a_set_it_never_read(left_out, monkeypatch):
    index, cases = left_out
    reranked = first_right(index, cases)
    monkeypatch.setattr(index_module, "WORDING_WEIGHT", 0.0)
    words_only = first_right(index, cases)
    assert len(cases) > 250
    # Measured when this was built: ae 310 -> 324 of 329, ad 290 -> 299 of 304 (search alone, no intent rules).
    assert reranked >= words_only + 0.02 * len(cases), (words_only, reranked)


def test_reranking_never_makes_a_choice_a_direct_answer(left_out, monkeypatch):
    index, cases = left_out
    reranked = [index.search(c["text"]) for c in cases]
    monkeypatch.setattr(index_module, "WORDING_WEIGHT", 0.0)
    moved = 0
    for case, after in zip(cases, reranked):
        before = index.search(case["text"])
        if after.confident:  # sure only where the words alone were, and of the same item
            assert before.confident and before.best.code == after.best.code, case["text"]
        if after.best.code != before.best.code:
            moved += 1
            # The moved item keeps its own word evidence, less than the item it passed.
            assert after.matches[0].score <= before.best.score and after.margin == 0.0, case["text"]
    assert moved > 0
