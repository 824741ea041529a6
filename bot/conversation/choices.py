""" "Did you mean" choices: which candidate items an unsure question is offered, and in what order.

Only candidates the message points at are offered, never three unrelated items. Until a number is picked,
follow-ups ("要好多钱") are about the first choice, so the order matters as much as the set.
"""

from __future__ import annotations

from bot.conversation import followup
from bot.conversation.nlu import GUIDE_FACTS, WEAK_QUESTION, Understanding, normalize
from bot.conversation.questions import asks
from knowledge_base.siblings import item_stages, message_stage

# A plausible match is offered as a choice when the message names one of the candidates, or scores this.
CHOICES_SCORE = 15.0
# The classifier this sure that a message asks about a service lets it choose among the items it names.
SURE_QUESTION = 0.9
# Candidates offered at most.
OFFERED = 3


def theme_kin_named_alike(index, u: Understanding, current_item: dict | None) -> bool:
    """Is a candidate of the discussed item's theme named by every word that names the best match, which is of
    another theme? "发票要原件吗" after 医保异地就医备案: 发票 names the tax office's invoices and 零星医疗费用报销
    alike, so the message is no sure question about the tax office; the choices, the theme's first, say so."""
    if current_item is None or u.result.best is None:
        return False
    best, theme = u.result.best.code, current_item.get("theme")
    if best not in u.named or index.item(best).get("theme") == theme:
        return False
    return any(
        m.code in u.named
        and m.code != current_item["code"]
        and index.item(m.code).get("theme") == theme
        and not followup.named_apart(u, best, m.code)
        for m in u.result.matches[1:OFFERED]
    )


def first_issue_first(index, options: list[str], text: str) -> list[str]:
    """Choices among kin items ("烧烤摊 执照咋办": 注销 / 设立 / 变更) with the first issue first when the message says
    no stage: someone asking how to get one wants one."""
    if len(options) < 2 or message_stage(text) is not None:
        return options
    names = {c: index.item(c)["name"] for c in options}
    top = names[options[0]]
    first = [c for c in options if "first" in item_stages(names[c]) and followup.kin(names[c], top)]
    return first[:1] + [c for c in options if c not in first[:1]]


def offered(index, u: Understanding, current: str | None, current_item: dict | None) -> list[str]:
    """The candidates to offer for this unsure question, in order, or [] when none is plausible enough to offer."""
    result = u.result
    options = first_issue_first(index, [m.code for m in result.matches[:OFFERED]], u.text)
    if current in options:
        # "一级残疾 但不是低保户 领得到不" after 重度残疾人护理补贴: the item under discussion is the likeliest of the
        # choices, and follow-ups ("申请表在哪点拿") stay with it until another is picked; unless a word names
        # another choice apart from it ("上完户口医保也要交吧" after 出生登记: 医保), which then comes last.
        others = [c for c in options if c != current]
        apart = any(
            followup.named_beyond_standing(u, c, current) and not followup.named_apart(u, current, c, narrowly=True)
            for c in others
        )
        options = others + [current] if apart else [current] + others
    # "顺便问下 娃的医保也是一起弄？": a sure question naming a few candidates (医保: five), though none matches well;
    # not a broad word ("要公司办还是自己" after 生育津贴: 公司 names nine).
    sure_question = u.guess == "ask_item" and u.sure >= SURE_QUESTION and len(u.named) < followup.BROAD_NAMING
    # "低保新申 材料清单麻烦发一下": a part of the guide asked of an item the message names, though it matches weakly.
    named_part = u.aspect in GUIDE_FACTS and bool(u.named & set(options))
    # "要发票原件吗 丢了一张" while 医保异地就医备案 is discussed: a question naming a few of the choices gets them,
    # those of the discussed item's theme first (零星医疗费用报销 before the tax office's invoices).
    named_question = bool(current_item and u.named & set(options)) and asks(normalize(u.text))
    if named_question and current not in options:
        theme = current_item.get("theme")
        options = sorted(options, key=lambda c: index.item(c).get("theme") != theme)
    # "我爸腿不行 走路要拄拐 糖尿病搞的 能评残疾不": a question whose story dilutes its match gets the candidates,
    # unless an item is under discussion ("要公司办还是自己" after 生育津贴 is about it, answered elsewhere).
    weak_question = current_item is None and u.guess == "ask_item" and u.sure >= WEAK_QUESTION
    plausible = result.plausible or sure_question or named_part or named_question or weak_question
    if options and plausible and (u.named & set(options) or result.best.score >= CHOICES_SCORE):
        return options
    return []


def only_guessed(state: dict) -> bool:
    """Is the item under discussion only the likeliest of pending "did you mean" choices (Assistant.intent_ask_item
    remembers options[0] until a number is picked)? The choices a failed answer offers ("related") leave the
    discussed item among none of them."""
    pending = state.get("choices") or {}
    return pending.get("kind") == "items" and state.get("item") in (pending.get("options") or [])
