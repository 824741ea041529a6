"""Facts a guide states twice must agree: material conditions, time limits in FAQ answers, the information
line, and the card generations sibling items accept.

`check_item` runs inside `catalog.validate_item` (so the console editor and imports apply it too);
`check_siblings` compares items with each other and runs in `python -m knowledge_base validate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

Report = Callable[[str, str], None]

# ---- materials: a note that says "only in this case" belongs in `condition` ----

CLAUSE_SPLIT = re.compile(r"[；;。，,]")
# "已婚的提供", "他人代办时提供", "手术并发症人员提供", "上下班途中交通事故等情形提供"
CONDITION_CLAUSE = re.compile(r"(的|时|人员|情形)(须|需|必须)?提供$")


def condition_clause(note: str) -> str | None:
    """The clause of a material's note that makes it conditional, if there is one."""
    for clause in CLAUSE_SPLIT.split(note or ""):
        clause = clause.strip()
        if CONDITION_CLAUSE.search(clause):
            return clause
    return None


def _check_materials(item: dict, bad: Report) -> None:
    for i, m in enumerate(item["materials"], 1):
        if not isinstance(m, dict) or m.get("required") not in (True, False) or isinstance(m.get("required"), str):
            continue
        clause = condition_clause(m.get("note", ""))
        if clause:
            state = "required: true (always needed)" if m["required"] else "required: false (optional)"
            bad(
                f"materials[{i}].required",
                f"marked {state} but its note says it is needed only when {clause!r}: "
                f"mark it required: conditional with that condition",
            )


# ---- time limits: an FAQ answer about how long it takes states the item's own limits ----

TIME_QUESTION = re.compile(r"多久|多长时间|几天|多少天|什么时候|啥时候|要等")
NOT_PROCESSING = re.compile(r"有效期|冷静期")
# "20个工作日内", "3日内", "45 日（按日历天计算）内"
DEADLINE = re.compile(r"(\d+)\s*个?\s*(工作日|自然日|日|天)(?:（[^）]*）)?\s*内")


def _unit(word: str) -> str:
    return "工作日" if word == "工作日" else "自然日"  # 日 and 天 in a rule are calendar days


def _limits(item: dict) -> set[tuple[int, str]]:
    limits = {
        (item["legal_limit_days"], item["legal_limit_unit"]),
        (item["promised_limit_days"], item["promised_limit_unit"]),
    }
    return limits | {(s["days"], s["unit"]) for s in item["special_steps"] if isinstance(s, dict)}


def _check_time_answers(item: dict, bad: Report) -> None:
    limits = _limits(item)
    stated = (
        f"promised {item['promised_limit_days']} {item['promised_limit_unit']}, "
        f"legal {item['legal_limit_days']} {item['legal_limit_unit']}"
    )
    for i, qa in enumerate(item["faq"], 1):
        if not TIME_QUESTION.search(qa["q"]) or NOT_PROCESSING.search(qa["q"]):
            continue
        for match in DEADLINE.finditer(qa["a"]):
            days, unit = int(match[1]), _unit(match[2])
            if (days, unit) in limits:
                continue
            other = "自然日" if unit == "工作日" else "工作日"
            if (days, other) in limits:
                bad(f"faq[{i}]", f"says {days} {unit} but the item's limit is {days} {other}: use the limit's unit")
            else:
                bad(f"faq[{i}]", f"says {days} {unit}, which is none of the item's limits ({stated}): make them agree")


# ---- phones: 12345 takes complaints; the city's information line is 96128 ----

INFO_LINE = "96128"
INFO_ON_12345 = re.compile(r"咨询[^；。]*12345|12345[^；。]*咨询")


def _check_phones(item: dict, bad: Report) -> None:
    if item["phone"] == "12345":
        bad("phone", f"12345 takes complaints: give the department's number ({INFO_LINE} is the city's information line)")
    for i, qa in enumerate(item["faq"], 1):
        if INFO_ON_12345.search(qa["a"]):
            bad(f"faq[{i}]", f"sends residents to 12345 for information: the city's information line is {INFO_LINE}")


def check_item(item: dict, bad: Report) -> None:
    """The checks within one item that passed the schema checks."""
    _check_materials(item, bad)
    _check_time_answers(item, bad)
    _check_phones(item, bad)


# ---- siblings: every item that asks for a card accepts the same generations ----

CARDS = {"残疾人证": ("残疾人证", "残疾证"), "社会保障卡": ("社会保障卡", "社保卡")}
GENERATION = re.compile(r"第?([一二三])代(?!以内)")
SENTENCE = re.compile(r"[。；\n]")


def _requirement_texts(item: dict) -> Iterator[tuple[str, str]]:
    """(field, text) where an item says what a resident must hold."""
    for i, text in enumerate(item["conditions"], 1):
        yield f"conditions[{i}]", text
    for i, m in enumerate(item["materials"], 1):
        yield f"materials[{i}]", " ".join(str(m.get(k, "")) for k in ("name", "condition", "note"))
    for i, text in enumerate(item["refusal_cases"], 1):
        yield f"refusal_cases[{i}]", text
    for i, qa in enumerate(item["faq"], 1):
        if "持" in qa["a"]:
            yield f"faq[{i}]", qa["a"]


def card_mentions(item: dict) -> list[tuple[str, str, frozenset[str]]]:
    """(card, field, generations) for each sentence that says which generations of a card it accepts."""
    mentions = []
    for field, text in _requirement_texts(item):
        for sentence in SENTENCE.split(text):
            if "换" in sentence:
                continue  # "第二代证换发为第三代证" describes a change, not what is accepted
            generations = frozenset(GENERATION.findall(sentence))
            if not generations:
                continue
            for card, words in CARDS.items():
                if any(w in sentence for w in words):
                    mentions.append((card, field, generations))
    return mentions


def _generations_text(generations: frozenset[str]) -> str:
    return "或".join(f"第{g}代" for g in sorted(generations, key="一二三".index))


def check_siblings(items: list[dict]) -> list[tuple[str, str, str]]:
    """(code, field, message) wherever an item accepts fewer generations of a card than a sibling (or another
    of its own fields) does: a resident holding the other card would be turned away by one text, let in by another."""
    mentions = [(item["code"], *mention) for item in items for mention in card_mentions(item)]
    problems, reported = [], set()
    for code, card, field, generations in mentions:
        wider = [(other != code, other, where, g) for other, c, where, g in mentions if c == card and generations < g]
        if not wider or (code, field) in reported:
            continue
        reported.add((code, field))
        _sibling, other, where, broader = max(wider, key=lambda w: w[0])  # another item first
        problems.append(
            (
                code,
                field,
                f"accepts only the {_generations_text(generations)} {card}, while {other} {where} accepts "
                f"{_generations_text(broader)}: siblings must agree on which cards qualify",
            )
        )
    return problems
