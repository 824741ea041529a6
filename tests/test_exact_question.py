"""The exact question answered (issue: answers residents can trust): a new question is never answered as a
follow-up on the previous item; benefit amounts, eligibility and hours find their answer; a missing item
is not answered with another one."""

from __future__ import annotations

import pytest

from tests.utils import user

# (first question, second question, the item the second answer must be about, one it must not be about)
PAIRS = [
    ("社保卡丢了怎么补办", "残疾证怎么办理", "残疾人证", "社会保障卡"),
    ("不动产证丢了怎么补", "户口迁移需要什么手续", "户口迁移", "不动产"),
    ("低保怎么申请", "身份证在哪里办", "身份证", "最低生活保障"),
    ("高龄津贴怎么领", "营业执照怎么办", "营业执照", "高龄津贴"),
    ("结婚登记要带什么", "医保怎么报销", "医", "结婚"),
    ("残疾证怎么办", "社保卡丢了要带什么材料", "社会保障卡", "残疾人证"),
    ("身份证过期了咋个整", "低保要带哪些材料", "最低生活保障", "居民身份证"),
    ("公积金怎么提取", "出生证明在哪里办", "出生", "公积金"),
    ("营业执照怎么办", "高龄补贴多久能办好", "高龄津贴", "营业"),
    ("养老保险怎么交", "结婚证丢了在哪里补", "婚姻", "养老"),
    ("医保报销要什么材料", "驾驶证到期了怎么换", "驾驶证", "医"),
    ("户口迁移怎么办", "老年人优待证多久能办好", "优待", "户口"),
]


@pytest.mark.parametrize("first,second,about,not_about", PAIRS)
async def test_a_new_question_is_about_its_own_item(server, first, second, about, not_about):
    resident = user(server, "o_pair")
    await resident.say(first)
    reply = await resident.say(second)
    head = reply.splitlines()[0] if reply else ""
    assert not_about not in head, reply
    assert about in reply, reply


async def test_benefit_amount_is_not_answered_with_the_fee(server):
    reply = await user(server, "o_amount").say("高龄津贴每月多少钱")
    assert "不收费" not in reply.splitlines()[0], reply


async def test_a_missing_item_is_not_answered_confidently(server):
    reply = await user(server, "o_missing").say("户口本丢了")
    assert "【" not in reply.splitlines()[0] or "哪一项" in reply or "户口" in reply, reply
