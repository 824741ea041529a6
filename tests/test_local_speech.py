"""Local speech (knowledge_base/data/local_speech.yaml): every entry's example message is understood as the
entry says, and the table is consistent (no standard form is itself rewritten)."""

from __future__ import annotations

import re

import pytest
import yaml

from bot.conversation.nlu import INTENTS, Understander
from bot.conversation.pinyin import spell_initials
from knowledge_base.catalog import DATA_DIR
from knowledge_base.text import Lexicon, local_speech
from tests.utils import catalog_understander, user

TABLE = yaml.safe_load((DATA_DIR / "local_speech.yaml").read_text(encoding="utf-8"))
ENTRIES = [e for section in ("dialect", "slips") for e in TABLE[section]]
INITIALS = TABLE["initials"]
CODE = re.compile(r"^[A-Z]{2,3}-\d{3}$")


@pytest.fixture(scope="module")
def understander() -> Understander:
    return catalog_understander()


def test_standard_forms_are_left_alone():
    speech = local_speech()
    for entry in ENTRIES:
        assert speech.standard(entry["means"]) == entry["means"], entry


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["say"] for e in ENTRIES])
def test_each_entry_is_understood(understander, entry):
    assert entry["say"] in entry["example"], "the example must use the spelling"
    assert entry["means"] in local_speech().standard(entry["example"])
    u = understander.understand(entry["example"])
    gives = entry["gives"]
    if gives.startswith("aspect:"):
        assert u.aspect == gives.split(":", 1)[1], (u.intent, u.aspect, entry)
    elif CODE.match(gives):
        assert u.intent in ("ask_item", "book_proxy", "book_home_visit") and u.result.best.code == gives, (
            u.intent,
            [m.code for m in u.result.matches[:3]],
            entry,
        )
    else:
        assert gives in INTENTS and u.intent == gives, (u.intent, entry)


TRADITIONAL = TABLE["traditional"].split()


def test_every_traditional_character_becomes_simplified():
    speech = local_speech()
    assert all(len(pair) == 2 for pair in TRADITIONAL)
    wrong = [pair for pair in TRADITIONAL if speech.standard(pair[0]) != pair[1]]
    assert wrong == [] and len(TRADITIONAL) > 2000


def test_a_traditional_full_width_question_finds_its_item(understander):
    u = understander.understand("身份證丟了怎麼補辦？")
    assert u.intent == "ask_item" and u.result.best.code == "GA-003"
    assert understander.understand("本人預約之上門認證，至今未見回覆，請問進度如何？").intent == "query_progress"


@pytest.mark.parametrize("entry", INITIALS, ids=[e["say"] for e in INITIALS])
def test_each_initial_is_spelled_out(understander, entry):
    assert entry["say"] in entry["example"].split(), "the example must use the letters as a word"
    u = understander.understand(entry["example"])
    gives = entry["gives"]
    if gives.startswith("aspect:"):
        assert u.aspect == gives.split(":", 1)[1], (u.intent, u.aspect, entry)
    elif CODE.match(gives):
        assert u.intent == "ask_item" and u.result.best.code == gives, (u.intent, u.result.matches[:3], entry)
    else:
        assert u.intent == gives, (u.intent, entry)


@pytest.mark.parametrize(
    "text,code",
    [("sfz diule zm bu", "GA-003"), ("yb zai na jiao", "YB-001"), ("wo nainai 80 duo le gaoling jintie zm ling", "MZ-007")],
)
def test_a_message_of_pinyin_and_initials_reads_whole(understander, text, code):
    u = understander.understand(text)
    assert u.intent == "ask_item" and u.result.best.code == code, (u.intent, u.result.matches[:3])


def test_a_lone_letter_is_a_word_only_in_a_message_all_in_letters(understander):
    # "l" for 了 lets the rest read as pinyin; among characters a lone letter is a letter ("C级危房")
    spelled = spell_initials("sfz kuai guo qi l zm huan a", understander.index.lexicon.initials)
    assert " ".join(spelled.split()) == "shen fen zheng kuai guo qi le zen me huan a"
    assert spell_initials("鉴定是c级危房", understander.index.lexicon.initials) == "鉴定是c级危房"


async def test_a_grandson_typing_initials_gets_the_item_through_wechat(server):
    reply = await user(server, "o_ls_initials").say("gaoling jintie zm ling")
    assert reply.startswith("【高龄津贴申领】"), reply


NOT_VARIANTS = [
    line.strip()
    for line in (DATA_DIR / "not_variants.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]


@pytest.mark.parametrize("phrase", NOT_VARIANTS)
def test_each_phrase_hiding_a_variant_is_left_as_written(phrase):
    lexicon = Lexicon()
    assert any(variant in phrase for variant, canonical in lexicon.fold if variant != phrase), "no variant hides in it"
    assert phrase in lexicon.normalize(f"{phrase}是在过户之前还是之后交")
