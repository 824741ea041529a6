"""Multi-turn conversation through /wechat: summaries, follow-ups, numbered choices, honesty, handoff, guide page."""

from __future__ import annotations

from tornado.httpclient import AsyncHTTPClient

from bot.conversation import texts
from tests.console_utils import open_all_day
from tests.utils import user


async def test_broad_question_gets_short_summary_with_numbered_follow_ups_and_link(server):
    reply = await user(server).say("低保怎么申请")
    assert reply.startswith("【最低生活保障申请】")
    assert "1 要带什么材料" in reply and "/guide/MZ-004" in reply
    assert len(reply) < 400  # a phone screen, not a wall of text


async def test_follow_ups_answer_that_part_of_the_item_under_discussion(server):
    resident = user(server, "o_follow")
    await resident.say("社保卡丢了怎么补")
    materials = await resident.say("要带什么材料")
    assert "【社会保障卡补换】" in materials and "申请材料" in materials and "1." in materials
    assert "承诺时限" in await resident.say("多久能办好")
    assert "办理地点" in await resident.say("在哪里办")
    assert "收费标准" in await resident.say("收费吗")


async def test_a_number_answers_the_last_numbered_list(server):
    resident = user(server, "o_numbers")
    await resident.say("结婚登记")
    assert "办理流程" in await resident.say("2")
    assert "1 到 6" in await resident.say("9")


async def test_unsure_match_offers_numbered_choices_and_number_picks_one(server):
    resident = user(server, "o_unsure")
    reply = await resident.say("残疾证")
    if "哪一项" in reply:
        assert "1 " in reply
        picked = await resident.say("1")
        assert picked.startswith("【残疾人证")
    else:
        assert reply.startswith("【残疾人证")


async def test_honest_when_it_does_not_know(server):
    reply = await user(server).say("帮我查一下明天的天气")
    assert "答不上来" in reply and "人工" in reply


async def test_follow_up_without_item_asks_which(server):
    assert "哪个事项" in await user(server, "o_fresh").say("要带什么材料")


async def test_greeting_thanks_and_human_handoff(server, services):
    open_all_day(services)  # the queue answer, at any hour the suite runs
    resident = user(server, "o_polite")
    assert "您好" in await resident.say("你好")
    assert "不客气" in await resident.say("谢谢")
    assert "转接人工" in await resident.say("转人工")
    assert "排队" in await resident.say("人工客服")
    assert await services.store.escalations.count_documents({"openid": "o_polite"}) == 1


async def test_guide_page_shows_the_whole_guide_in_readable_type(server):
    response = await AsyncHTTPClient().fetch(f"{server.url}/guide/GA-003")
    page = response.body.decode()
    assert response.code == 200 and "width=device-width" in page and "font-size: 20px" in page
    for part in ("居民身份证补领", "申请材料", "办理流程", "承诺时限", "常见问题", "样例内容"):
        assert part in page
    missing = await AsyncHTTPClient().fetch(f"{server.url}/guide/XX-999", raise_error=False)
    assert missing.code == 404 and "没有找到" in missing.body.decode()


async def test_knowledge_base_edit_in_mongodb_rebuilds_the_index(services):
    await services.store.items.update_one({"code": "MZ-004"}, {"$push": {"aliases": "吃皇粮补助"}})
    await services.knowledge.bump_version()
    assert await services.knowledge.refresh_if_changed()
    result = services.knowledge().understand("吃皇粮补助")
    assert result.result.best.code == "MZ-004"


async def test_a_near_tie_between_sibling_items_is_asked_not_guessed(server):
    resident = user(server, "o_tie")
    reply = await resident.say("公积金")
    options = reply.splitlines()[1:4]
    assert reply.startswith("您问的是下面哪一项") and all("公积金" in line for line in options)
    assert (await resident.say("1")).startswith("【住房公积金")


async def test_two_failed_answers_in_a_row_offer_a_person_who_can_be_accepted_with_1(server, services):
    resident = user(server, "o_lost")
    first = await resident.say("阿巴阿巴咕噜")
    assert "答不上来" in first
    second = await resident.say("咕噜咕噜阿巴")
    assert "工作人员" in second and "回复 1" in second and second != first
    assert await services.store.escalations.count_documents({"openid": "o_lost"}) == 0
    assert "转接人工" in await resident.say("1")
    entry = await services.store.escalations.find_one({"openid": "o_lost"})
    assert entry["reason"] == "not_understood" and entry["status"] == "waiting"


async def test_the_offer_of_a_person_can_be_accepted_in_words(server, services):
    resident = user(server, "o_lost2")
    await resident.say("阿巴阿巴咕噜")
    await resident.say("咕噜咕噜阿巴")
    assert "转接人工" in await resident.say("转人工")
    assert (await services.store.escalations.find_one({"openid": "o_lost2"}))["reason"] == "not_understood"


async def test_an_answer_in_between_resets_the_count_of_failures(server, services):
    resident = user(server, "o_lost3")
    assert "答不上来" in await resident.say("阿巴阿巴咕噜")
    assert (await resident.say("低保怎么申请")).startswith("【最低生活保障申请】")
    assert "答不上来" in await resident.say("今天天气怎么样")


async def test_a_bare_number_from_a_new_user_picks_nothing(server):
    reply = await user(server, "o_new_number").say("3")
    assert reply == texts.NUMBER_STALE and "【" not in reply
