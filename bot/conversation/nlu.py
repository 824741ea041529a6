"""Understanding one message: intent (rules from intents.yaml), the service items it is about, and which
part of a guide it asks for (materials, time limit, place ...)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge_base.index import ItemIndex, Result

INTENTS = (
    "ask_item",
    "book_proxy",
    "book_home_visit",
    "query_progress",
    "cancel_booking",
    "human_agent",
    "rate_service",
    "greeting",
    "thanks",
    "out_of_scope",
)

# Which part of a service guide a message asks for. Order matters: the first match wins.
ASPECTS: list[tuple[str, re.Pattern]] = [
    ("materials", re.compile(r"材料|资料|带什么|带啥|带哪些|要带|准备什么|准备啥|需要什么|要什么证|证件")),
    ("time", re.compile(r"多久|好久|多长时间|几天|时限|多快|要等|几个工作日|什么时候能(拿|领|好|到)|多少天")),
    ("fee", re.compile(r"收费|多少钱|要钱|费用|免费|花钱|收钱|交钱|几块钱")),
    ("location", re.compile(r"哪里|哪儿|在哪|地点|地址|去哪|克哪|哪个部门|哪个窗口|哪点|哪个地方")),
    ("phone", re.compile(r"电话|号码|联系方式|热线")),
    ("hours", re.compile(r"几点|上班时间|办公时间|周末|星期六|星期天|节假日")),
    ("online", re.compile(r"网上|手机上|线上|小程序|app|办事通|不用跑")),
    ("conditions", re.compile(r"条件|符合|资格|谁能办|谁可以|能不能办|够不够|本人|亲自|别人代|委托")),
    ("basis", re.compile(r"依据|政策文件|法规|哪条规定|法律规定")),
    ("process", re.compile(r"流程|步骤|程序|怎么办理|手续")),
]

BOOKING_INTENTS = ("book_proxy", "book_home_visit")
# Parts of a guide whose question outweighs a mention of proxies or home visits.
GUIDE_FACTS = {"materials", "time", "fee", "location", "phone", "hours"}
BOOKING_VERB = re.compile(r"预约|约|帮我|帮忙|帮他|帮她|安排|派人|派个人|请.{0,4}(来|帮)|麻烦")
CIRCUMSTANCES = re.compile(
    r"瘫痪在床|瘫痪|卧床不起|卧床|下不了床|出不了门|走不动路?|行动不便|行动不方便|腿脚不好|腿脚不便|坐轮椅|"
    r"重度残疾|不识字|不会弄|走不开|回不来|在外地|在外省|打工"
)
BOOKING_NUMBER = re.compile(r"\b([A-Z]{2}\d{8,13})\b", re.IGNORECASE)
RATING = re.compile(r"([1-5一二三四五])\s*(?:分|星)")
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
RULES_FILE = Path(__file__).with_name("intents.yaml")
# Longer than this and made of several sentences: a pasted article, not a question.
PASTED_TEXT_CHARS = 120
MEANINGFUL = re.compile(r"[\u4e00-\u9fffa-zA-Z0-9⭐👍👎]")


@dataclass
class Understanding:
    text: str
    intent: str
    result: Result
    aspect: str | None = None
    items: list = field(default_factory=list)

    @property
    def confidence(self) -> float:
        return self.result.confidence

    def as_json(self) -> dict:
        """The `python -m bot.understand` contract."""
        return {
            "text": self.text,
            "intent": self.intent,
            "items": [{"code": m.code, "name": m.name, "score": m.score} for m in self.result.matches[:5]],
            "confidence": self.confidence,
        }


@dataclass
class _Rule:
    intent: str
    pattern: re.Pattern
    whole: bool


def _load_rules(path: Path) -> list[_Rule]:
    rules = []
    for block in yaml.safe_load(path.read_text(encoding="utf-8")):
        if block["intent"] not in INTENTS:
            raise ValueError(f"{path}: unknown intent {block['intent']!r}")
        for pattern in block["patterns"]:
            rules.append(_Rule(block["intent"], re.compile(pattern, re.IGNORECASE), bool(block.get("whole"))))
    return rules


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().lower()


class Understander:
    """Intent rules plus the item index: the same object serves the bot and `bot.understand`."""

    def __init__(self, index: ItemIndex, rules_path: Path = RULES_FILE):
        self.index = index
        self.rules = _load_rules(rules_path)

    def rule_intent(self, text: str) -> str | None:
        for rule in self.rules:
            if rule.whole:
                if rule.pattern.fullmatch(text):
                    return rule.intent
            elif rule.pattern.search(text):
                return rule.intent
        return None

    def understand(self, text: str) -> Understanding:
        norm = normalize(text)
        empty = Result(query=text)
        if not MEANINGFUL.search(norm) or _looks_pasted(norm):
            return Understanding(text, "out_of_scope", empty)
        intent = self.rule_intent(self.index.lexicon.normalize(norm))
        if intent == "out_of_scope":
            return Understanding(text, intent, empty)
        if intent in BOOKING_INTENTS:
            # How the person is ("卧床不起", "走不动") says why to book, not what: keep it out of item matching.
            norm = CIRCUMSTANCES.sub(" ", norm)
        result = self.index.search(norm)
        aspect = aspect_of(norm)
        if intent in BOOKING_INTENTS and aspect in GUIDE_FACTS and not BOOKING_VERB.search(norm):
            # "可以委托别人办吗 要带哪些材料" asks about the guide; nobody asked us to book anything.
            intent = "ask_item"
        if intent is None:
            # "要带什么材料" alone still asks about an item: the one under discussion.
            asks_part = aspect is not None and not result.terms
            intent = "ask_item" if result.plausible or asks_part else "out_of_scope"
        return Understanding(text, intent, result, aspect=aspect)


def aspect_of(text: str) -> str | None:
    for name, pattern in ASPECTS:
        if pattern.search(text):
            return name
    return None


def rating_of(text: str) -> int | None:
    m = RATING.search(normalize(text))
    if m:
        return CHINESE_DIGITS.get(m.group(1)) or int(m.group(1))
    stripped = normalize(text)
    if stripped in {"1", "2", "3", "4", "5"}:
        return int(stripped)
    stars = stripped.count("⭐")
    return stars if 1 <= stars <= 5 else None


def _looks_pasted(text: str) -> bool:
    sentences = [s for s in re.split(r"[。！？!?；;]", text) if len(s.strip()) > 4]
    return len(text) > PASTED_TEXT_CHARS and len(sentences) >= 3
