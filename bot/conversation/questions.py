"""The shapes of residents' questions, and of saying yes, in one place: read by the booking dialog (details given
after a question, "那约下周二上午", take a paused form up again; "哪天能来" does not; "要得" confirms a booking) and by
follow-ups (a remark keeps a form open, a question leaves it; an either-or question needs a surer refusal)."""

from __future__ import annotations

import re

# A question mark, a yes-no form, or asking how long, how much or when (好久, 哪天, 咋个 in 昭通 speech), and the
# written forms older residents use ("等级变更能一并办理否", "需几日可取", "如何").
ASKS = re.compile(
    r"[吗么？?]|能不能|可不可以|可以不|行不行|有没有|几点|多久|好久|多少|几时|啥时候|什么时候|哪天|咋个|怎么|咋(整|办|弄|搞)"
    r"|可否|能否|是否|否[?？。!！\s]*$|如何|何时|何处|几日|几(科|门|项)"  # "要考几科"
)
# Asking what or which, as 昭通 speech does too ("有哪样补贴", "要哪些病历", "是不是还有个补贴", "有没得补助").
ASKS_WHAT = re.compile(r"哪样|哪些|哪个|啥子|什么|是不是|有没得|有莫得")  # 有没有 is in ASKS

# A yes-no question about the item ("她户口在大姐家 能领不", "户口在镇雄 能交吗").
ASKS_IF = re.compile(
    r"能(领|交|办|报|补|申请)?(不|吗|么|没)|得不得|行不行|可以(吗|不)|要得不|得了?不([\s,，。!！~]|$)|能.{0,6}(领|办|上|交|补)不$"
)
# A yes-no question in 昭通 speech ending with 不 or 没 ("派出所能上门拍照不").
YES_NO_ENDING = re.compile(r"[不没][?？!！。\s]*$")
# A yes-no question of the form "A不A" or "A没A" ("落不落雨", "来不来", "路垮没垮").
A_NOT_A = re.compile(r"([\u4e00-\u9fff])[不没]\1")
# Either-or questions ("会不会罚款", "要不要带户口本").
ASKS_EITHER = re.compile(r"会不会|能不能|要不要|是不是|可不可以|有没有|得不得|算不算")


# Where a message's clauses part.
CLAUSES = re.compile(r"[,，。;；!！?？\s]+")


def clauses(text: str) -> list[str]:
    """The message's non-empty clauses, split at punctuation and spaces ("户口在镇雄，能交吗" -> two)."""
    return [c for c in CLAUSES.split(text) if c]


def asks(text: str) -> bool:
    """Does the (normalised) message ask something: a question mark, a yes-or-no form, what or which?"""
    return bool(ASKS.search(text) or ASKS_IF.search(text) or ASKS_WHAT.search(text))


def asks_or_ends_yes_no(text: str) -> bool:
    """asks(), or a yes-no question ending in 不 or 没 in 昭通 speech ("病历在县医院，复印件行不"), or of the form
    "A不A" ("路垮没垮")."""
    return asks(text) or YES_NO_ENDING.search(text) is not None or A_NOT_A.search(text) is not None


# Saying yes in a resident's words ("好的", "要得", "嗯", "可以"): at a form's confirmation, or to an offer.
AGREEING = "好|好的|好嘛|好吧|好滴|要得|可以|行|嗯|嗯嗯|是|是的|对|对的|没问题|ok|okay"
AGREES = re.compile(rf"^({AGREEING})[的吧啊呀嘛哦了!！。.~\s]*$")
