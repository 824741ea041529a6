"""A message read as a question, read again by a model that knows only two answers: the question, or one other intent.

The intent model chooses among ten intents, and where a message names a service it leaves a story too little weight
against the question the service's words suggest. Two such stories are common, and each is asked a second time, of a
model trained only on the examples labelled with the question (ask_item) or the other intent, each weighted as much
as the other:

- **A resident's own case, handed in and still waiting** (query_progress). Residents tell it in words that rarely
  repeat ("尘肺那个工伤认定 去年腊月交的 咋个一点信都莫得", "在昆明住院垫的钱 单子交回来报 三个月了 问哪个都说等");
  the word patterns of stories.py find the common shapes. Asked only of a story (STORY_LENGTH) in which the intent
  model hears some waiting (HEARD), and turned to progress only when fairly sure (OWN_CASE). Short messages are left
  alone: "高龄津贴的事问下", "我的残疾证快到期了" open a conversation or follow one, and the model, which has seen few of
  them, leans to a case there. On the sets no rule or example had seen (progress stories PQ5 and writer CZ, 768
  messages) it found 13 of the 31 waiting stories read as questions and took 1 question for a case; on the older
  sets, which it has learnt, it found 21 and took none; over 17,057 conversation turns it took 5 questions for a case.
- **How a service went** (rate_service): praise or a complaint that names the service ("上户口那个姐姐好好哦😍 一次就给
  我弄完了 谢谢哈", "去卫生院办接种证 等了一上午😩 抱起娃娃手都酸了"). Turned to a rating when fairly sure
  (HOW_IT_WENT), of a story only (STORY_LENGTH). On progress-story set PQ6 and writer DA (768 messages, run once
  before) it found 6 of the 10 ratings read as questions and took no question for a rating.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from bot.conversation.classifier import IntentClassifier, shared_model

QUESTION = "ask_item"
# How sure the model must be to take a question for a waiting case. Chosen on PQ5 and CZ: 0.6 found 14 stories and
# took 1 question; 0.5 found 15 and took 1 question plus 1 older example; 0.7 found 11.
OWN_CASE = 0.6
# ... of a message this long at least (characters, as normalised): every story the model found on PQ5 and CZ was; of
# the turns of the older conversation sets it took for a case, 18 of 23 were shorter.
STORY_LENGTH = 20
# ... and in which the intent model gives a case's progress this chance at least (every story found on PQ5 and CZ had
# 0.33 or more; "你好 我是新来的代办员 问一下老年人优待证的事" 0.02).
HEARD = 0.3
# How sure the model must be to take a question (a story, STORY_LENGTH) for a rating. Chosen on PQ6 and DA: 0.6, 0.5
# and 0.4 all found 8 (6 of them stories) and took no question; 0.5 took 2 more older messages labelled neither.
# Without the story's length it took 8 short follow-ups of the conversation sets ("一个月 给 好多") for ratings.
HOW_IT_WENT = 0.6
# A message that says it asks ("你好 我是新来的代办员 问一下老年人优待证的事") is no account of how a service went, however
# the rating model leans: it has seen few openers, and an introduction reads to it like a story.
SAYS_IT_ASKS = re.compile(r"问(一)?[下哈]|请问|想问")


class Rereading:
    def __init__(self, model: IntentClassifier, other: str):
        self.model = model
        self.other = other

    def chance(self, text: str) -> float:
        """The probability that the message is the other intent rather than a question about a service."""
        return self.model.predict(text)[2][self.other]


def own_case(rereading: Rereading, text: str, heard: float) -> bool:
    """Is a message read as a question the asker's own case waiting? heard: the intent model's chance of progress."""
    return len(text) >= STORY_LENGTH and heard >= HEARD and rereading.chance(text) >= OWN_CASE


def how_it_went(rereading: Rereading, text: str) -> bool:
    """Does a message read as a question tell, as a story, how a service went?"""
    return len(text) >= STORY_LENGTH and not SAYS_IT_ASKS.search(text) and rereading.chance(text) >= HOW_IT_WENT


def shared_rereading(other: str, paths: Iterable[Path] | None = None) -> Rereading:
    """Trained on the repository's examples once per process, and kept beside the intent model (classifier.py)."""
    return Rereading(shared_model((other, QUESTION), steps=80, paths=paths), other)
