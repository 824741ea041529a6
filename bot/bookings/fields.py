"""The booking form's fields, checked the same way in chat and in the mini-program: names, addresses.

Each check returns the cleaned value or raises FieldInvalid with the message a resident reads.
ID numbers and phones are checked by bot/privacy.py (parse_id_number, parse_mobile).
"""

from __future__ import annotations

import re

# Han names are 2-4 characters (a few more for compound surnames); minority names join parts with "·".
NAME = re.compile(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,10}(·[\u4e00-\u9fff]{1,10}){1,3}")
NOT_A_NAME = re.compile(r"什么|怎么|咋|吗|么|哪|多少|要不要|能不能|可以|谢谢|不知道|办理|材料|预约")
ADDRESS_PART = re.compile(r"村|组|号|路|街|道|镇|乡|小区|社区|栋|幢|单元|巷|弄|楼|屯|寨|营|院")
RELATIONS = ["父亲", "母亲", "配偶", "子女", "其他亲属"]

NAME_PROBLEM = "请输入办事人的中文姓名，例如：张桂芬。"
ADDRESS_PROBLEM = "请写上门地址，到村（小区）和门牌，例如：龙头山镇光明村5组12号。"


class FieldInvalid(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def clean_name(text: str) -> str:
    name = re.sub(r"\s+", "", text or "")
    if not NAME.fullmatch(name) or NOT_A_NAME.search(name):
        raise FieldInvalid(NAME_PROBLEM)
    return name


def clean_address(text: str) -> str:
    address = (text or "").strip()
    if not 5 <= len(address) <= 100 or not ADDRESS_PART.search(address) or NOT_A_NAME.search(address):
        raise FieldInvalid(ADDRESS_PROBLEM)
    return address
