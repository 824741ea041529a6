"""Who a resident's message says a service is for: "我妈瘫痪在床…", "我爸81了", "爸爸的养老金认证" speak for a
parent; "我儿子能帮我办不", "我儿子在外头", "周三我妈都在" name a family member who is not the one served.

The booking form reads it so that it does not ask "给谁办" about someone the resident already named, in the
message that starts the booking or earlier in the conversation about the same item.
"""

from __future__ import annotations

import re

# The family member, as the form's relations name them.
RELATION_WORDS = [
    (r"(我|我家)?(妈|母亲|老母亲|老妈|老娘|妈妈)", "母亲"),
    (r"(我|我家)?(爸|父亲|老父亲|老爸|老爹|爸爸)|(我|我家)(老者|老汉)", "父亲"),
    (r"(我|我家)(老伴|爱人|妻子|老婆|丈夫|老公|媳妇)", "配偶"),
    (r"(我|我家)(儿子|女儿|孩子|娃娃)", "子女"),
]
# How a message says the service is for that person: "给我妈办", "帮我爸", "我妈的…", or the person's state
# ("瘫痪在床", "81了", "中风", "走不动"), which is why someone else asks; not "我妈的电话".
FOR_THEM_BEFORE = r"(给|帮|替|为)"
FOR_THEM_AFTER = (
    r"(的(?!电话|手机|号|地址)|要办|想办|需要|[0-9一二三四五六七八九十]{2,4}(岁|了)|今年|年纪|岁数|瘫|卧床|躺|中风|偏瘫|病|住院|残疾|走不|"
    r"下不了|出不了|行动不便|腿脚|眼睛|耳朵|糊涂|痴呆|一个人|独居|身体)"
)
# "电话留我妈的": whose phone it is.
OF_PHONE = re.compile(r"电话|手机|号码")
PATTERNS = [
    (re.compile(FOR_THEM_BEFORE + "(" + words + ")" + "|(" + words + ")" + FOR_THEM_AFTER), relation)
    for words, relation in RELATION_WORDS
]


def relation_in(text: str) -> str | None:
    """The relation of the person the message says the service is for; None when it says of no one."""
    text = text or ""
    found = [
        (m.start(), relation)
        for pattern, relation in PATTERNS
        for m in pattern.finditer(text)
        if not OF_PHONE.search(text[max(0, m.start() - 4) : m.start()])
    ]
    return min(found)[1] if found else None
