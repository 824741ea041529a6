"""Who a resident's message is about: "我妈瘫痪在床…" speaks for the mother, "我儿子能帮我办不" for the asker.

The booking form reads it so that it does not ask "给谁办" about someone the resident already named, in the
message that starts the booking or earlier in the conversation about the same item.
"""

from __future__ import annotations

import re

# The family member the service is for, as the form's relations name them.
RELATION_WORDS = [
    (re.compile(r"我(妈|母亲|老母亲|老妈|老娘)|帮(妈|母亲)"), "母亲"),
    (re.compile(r"我(爸|父亲|老父亲|老爸|老爹|老者)|帮(爸|父亲)"), "父亲"),
    (re.compile(r"我(老伴|爱人|妻子|老婆|丈夫|老公|媳妇)"), "配偶"),
    (re.compile(r"我(儿子|女儿|孩子|娃娃|家娃)"), "子女"),
]
# "我儿子能帮我办不", "我女儿替我去": the family member is who goes, the service is for the asker.
GOES_FOR_ASKER = re.compile(r"^.{0,4}?(能|可以|可不可以|会|来)?(帮|替|代|陪)我")


def relation_in(text: str) -> str | None:
    """The relation of the person the message is for, when it names one; None otherwise."""
    for pattern, relation in RELATION_WORDS:
        for match in pattern.finditer(text or ""):
            if not GOES_FOR_ASKER.match(text[match.end() :]):
                return relation
    return None
