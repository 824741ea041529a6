"""Is a message read as a question in fact a resident's own case, handed in and still waiting?

Residents tell a waiting case as a story whose words rarely repeat ("尘肺那个工伤认定 去年腊月交的 咋个一点信都莫得",
"在昆明住院垫的钱 单子交回来报 三个月了 问哪个都说等"). The word patterns of stories.py find the common shapes; the
intent model, choosing among ten intents, leaves such a story too little weight against the question its item's words
suggest. This model asks the one question that matters there, "my own case is waiting" or "how does this work", and
is trained only on the examples labelled with those two intents, each weighted as much as the other.

It is asked only of messages already read as questions (nlu.Understander) that tell a story (STORY_LENGTH) in which the
intent model hears some waiting (HEARD), and turns one into a case's progress only when it is fairly sure (OWN_CASE).
Short messages are left alone: "高龄津贴的事问下", "我的残疾证快到期了" open a conversation or follow one, and the
model, which has seen few of them, leans to a case there. On the sets no rule or example had seen (progress stories
PQ5 and writer CZ, 768 messages) it found 13 of the 31 waiting stories read as questions and took 1 question for a case;
on the older sets, which it has learnt, it found 21 and took none; over 17,057 conversation turns it took 5 questions
for a case, and found none (conversation sets hold few waiting stories).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from bot.conversation.classifier import CACHE_DIR, IntentClassifier, default_example_files, load_examples

log = logging.getLogger(__name__)

WAITING, QUESTION = "query_progress", "ask_item"
# How sure the model must be to take a question for a waiting case. Chosen on PQ5 and CZ: 0.6 found 14 stories and
# took 1 question; 0.5 found 15 and took 1 question plus 1 older example; 0.7 found 11.
OWN_CASE = 0.6
# ... of a message this long at least (characters, as normalised): every story the model found on PQ5 and CZ was; of
# the turns of the older conversation sets it took for a case, 18 of 23 were shorter.
STORY_LENGTH = 20
# ... and in which the intent model gives a case's progress this chance at least (every story found on PQ5 and CZ had
# 0.33 or more; "你好 我是新来的代办员 问一下老年人优待证的事" 0.02).
HEARD = 0.3


class OwnCase:
    def __init__(self, model: IntentClassifier):
        self.model = model

    def chance(self, text: str) -> float:
        """The probability that the message tells of the asker's own case waiting rather than asks how a service works."""
        return self.model.predict(text)[2][WAITING]

    def waiting(self, text: str, heard: float) -> bool:
        """Is a message read as a question the asker's own case waiting? heard: the intent model's chance of progress."""
        return len(text) >= STORY_LENGTH and heard >= HEARD and self.chance(text) >= OWN_CASE


_SHARED: dict[tuple, OwnCase] = {}
_LOCK = threading.Lock()


def shared_own_case(paths: Iterable[Path] | None = None) -> OwnCase:
    """Trained on the repository's examples once per process, and kept beside the intent model (classifier.py)."""
    from bot.conversation.nlu import standard

    paths = tuple(paths if paths is not None else default_example_files())
    key = tuple((str(p), p.stat().st_mtime_ns) for p in paths)
    with _LOCK:
        if key not in _SHARED:
            started = time.perf_counter()
            examples = [(text, intent) for text, intent in load_examples(paths) if intent in (WAITING, QUESTION)]
            model = IntentClassifier.train(examples, (WAITING, QUESTION), standard, min_count=2, steps=80, cache_dir=CACHE_DIR)
            _SHARED[key] = OwnCase(model)
            log.info("own-case model ready (%d examples) in %.2fs", len(examples), time.perf_counter() - started)
        return _SHARED[key]
