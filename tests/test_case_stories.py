"""Residents telling of their own case rather than asking about a service (issue 18): a case handed in at a window and
still waiting is a progress question whose answer says how to look it up; a complaint or praise about how a service
went is a rating, and a complaint with nothing booked reaches staff; asking for a department's person is a hand-off.
At unit level for the understanding, through /wechat for what the resident reads."""

from __future__ import annotations

import pytest

from bot.conversation.nlu import Understander, standard, waiting_story
from tests.utils import catalog_understander, user


@pytest.fixture(scope="module")
def understander() -> Understander:
    return catalog_understander()


def head(reply: str) -> str:
    return reply.splitlines()[0] if reply else ""


# Handed in (or booked, or inspected) before, and nothing back yet: the asker's own case, though the service is named.
WAITING = [
    "我妈的高龄津贴三个月前就叫村上报上去了 到现在卡上还没得钱",
    "残疾证的材料上个月交到残联了 一直没得消息 是不是搞掉了",
    "营业执照变更 交了材料说五个工作日 今天第九天了",
    "医保报销的单子暑假就交上去了 钱一直没退回来",
    "户口本上改名字 我爸去派出所弄的 说要审批 这都三个礼拜了",
    "托村上代办员代办的老年证 说半个月 现在一个多月了还没拿到",
    "公租房申请交到住建局两个月了 名单里咋个没得我",
    # ... a payment after something handed in, or plainly overdue, is the case's, not the guide's payment day
    "退役补助的材料上个月已交齐 钱好久发",
    "我的养老金以往都是五号到 这个月都十二号了还没到",
    # ... told when to expect it, and the time is past, though the handing in is not told
    "派出所说户口迁移三个工作日办好 今天都第七天了",
    # ... a booking made before and overdue, though it says 代办
    "驾照换证委托中心代办 五月交的材料 新证至今未到",
    # ... where it is stuck is its state, not a place to go
    "网上申请的生育登记 一直显示审核中 卡在哪个环节了",
    "临时救助申请交上去一个多月 到现在还没批",
]
# ... and what sounds close but asks how the service works, or how to go on: the guide answers.
GENERAL = [
    "低保交上去一般好久批得下来",
    "高龄津贴每个月几号发",
    "身份证交上去换了 新的还没下来 能先开个临时的不",
    "老伴走了大半年了 当时不晓得有丧葬补助 现在还能申请不",
    "我四十五了一直没交过养老保险 现在交还来得及不",
    "健康证去年办的 好久过期",
    # ... a benefit's payment day, a rule's time limit, contributions counted, a document lost or past its date
    "抚恤金这个季度咋个还没到账",
    "材料提交后五个工作日内能批下来吗",
    "想查一下我交了几年社保 能打个单子不",
    "身份证搞丢了 补办要带啥",
    "养老金认证过了期会不会停发",
]


# Waiting told in words no pattern of stories.py knows: the model that only tells a waiting case from a question
# (bot/conversation/rereading.py) hears it in the story. Written for the test.
WAITING_IN_NEW_WORDS = [
    "寄给残联的护理补贴申请 快递显示签收了的 到今天电话都莫得一个",
    "残疾证换证的照片在残联拍了 喊我回来等 等到现在过年都要到了",
    "娃娃的预防接种证卫生院说本子到了通知我 一个多月了莫人打电话",
    "营业执照注销的材料递到市场监管所了 网上查还是存续状态",
]
# ... while a short message that names a service is a question, whatever its words share with waiting cases: it opens
# a conversation or follows one.
SHORT_QUESTIONS = [
    "高龄津贴的事问下",
    "我的残疾证快到期了",
    "帮我妈问下低保",
    "你好 我是新来的代办员 问一下老年人优待证的事",  # ... nor a rating: it says it asks (rereading.SAYS_IT_ASKS)
]


@pytest.mark.parametrize("text", WAITING_IN_NEW_WORDS)
def test_a_case_told_in_new_words_is_heard_by_the_rereading(understander, text):
    assert not waiting_story(standard(text))  # no pattern finds it
    u = understander.understand(text)
    assert u.intent == "query_progress" and u.waiting


@pytest.mark.parametrize("text", SHORT_QUESTIONS)
def test_a_short_message_naming_a_service_is_a_question(understander, text):
    assert understander.understand(text).intent == "ask_item"


@pytest.mark.parametrize("text", WAITING)
def test_a_case_handed_in_and_still_waiting_is_a_progress_question(understander, text):
    assert waiting_story(standard(text))
    assert understander.understand(text).intent == "query_progress"


@pytest.mark.parametrize("text", GENERAL)
def test_how_a_service_goes_in_general_or_how_to_go_on_is_a_question(understander, text):
    assert understander.understand(text).intent == "ask_item"


async def test_a_case_handed_in_at_a_window_is_shown_how_to_look_up_its_progress(server):
    resident = user(server, "o_story_window")
    said = await resident.say("我妈的高龄津贴三个月前就叫村上报上去了 到现在卡上还没得钱")
    assert "没有办理中的预约" in said and "【高龄津贴申领】的办理进度可以这样查：" in said, said
    # the guide's ways to look it up, its promised time, and whom to call; not "reply 查进度 here", just done
    assert "我的办件" in said and "承诺时限：15个工作日" in said and "0870-2212580" in said and "96128" in said, said
    assert "本公众号" not in said, said
    # ... and the service is then under discussion
    said = await resident.say("要带啥材料")
    assert head(said) == "【高龄津贴申领】", said


async def test_a_case_told_as_waiting_after_a_question_about_its_service(server):
    resident = user(server, "o_story_current")
    assert "最低生活保障申请" in head(await resident.say("低保咋个申请"))
    said = await resident.say("上个月就交上去了 到现在还没得消息")
    assert "【最低生活保障申请】的办理进度可以这样查：" in said and "承诺时限：20个工作日" in said, said
    # how long it takes, asked in general, is still the guide's time limit
    said = await resident.say("交上去好久批得下来")
    assert head(said) == "【最低生活保障申请】" and "法定时限" in said, said


async def test_a_case_told_in_new_words_is_shown_how_to_look_up_its_progress(server):
    resident = user(server, "o_story_new_words")
    said = await resident.say("娃娃的预防接种证卫生院说本子到了通知我 一个多月了莫人打电话")
    assert "没有办理中的预约" in said and "【预防接种证办理】的办理进度可以这样查：" in said, said
    # ... and in the middle of a conversation about the service
    resident = user(server, "o_story_new_words_current")
    assert head(await resident.say("残疾证到期了咋个换")) == "【残疾人证换领】"
    said = await resident.say("残疾证换证的照片在残联拍了 喊我回来等 等到现在过年都要到了")
    assert "【残疾人证换领】的办理进度可以这样查：" in said, said


@pytest.mark.parametrize(
    "openid,text,said_of_it",
    [
        ("o_story_complaint", "去镇上办社保卡 排了一上午队 轮到我了说系统坏了明天再来 老火得很", "系统坏了"),
        # ... and one naming its service, read again as a rating, in no complaint's words
        ("o_story_named_complaint", "改造的师傅来装扶手，装歪了，她扶都扶不稳，这个怎么搞嘛", "装歪了"),
    ],
)
async def test_a_complaint_with_nothing_booked_reaches_staff(server, services, openid, text, said_of_it):
    said = await user(server, openid).say(text)
    assert "已转给工作人员跟进" in said, said
    entry = await services.store.escalations.find_one({"openid": openid})
    assert entry["reason"] == "complaint" and said_of_it in entry["last_message"]


async def test_praise_for_a_window_is_thanked_not_answered_with_a_guide(server, services):
    resident = user(server, "o_story_praise")
    said = await resident.say("窗口那个大姐好暖心 看我抱着娃让我先办 太给力了")
    assert said.startswith("谢谢您的评价"), said
    assert await services.store.escalations.count_documents({"openid": "o_story_praise"}) == 0


async def test_asking_for_a_departments_person_is_a_hand_off(server, services):
    resident = user(server, "o_story_person")
    said = await resident.say("我这事一两句说不清 想找民政局的人当面谈 咋个联系")
    assert "人工" in said, said
    assert await services.store.escalations.count_documents({"openid": "o_story_person", "reason": "asked"}) == 1


# How a service went, praised or regretted, in words the rules know ("值得肯定", "颇为感动", "下次能不能准时点").
RATINGS = [
    "上门的同志很细致 值得肯定",
    "代办员小杨跑前跑后帮我把手续办完了 我很感动",
    "约的上午上门 下午四点才来 下次能不能准时点",
    "排了两个钟头才轮到我 就开一个窗口",
]
# Asking for a person, in words the rules know ("值班人员", "是不是机器人", "哪位工作人员").
PERSONS = [
    "想跟中心值班人员通个电话",
    "你们是不是机器人 我要找管低保的那个人",
    "事情有点复杂 想请一位工作人员详细说一下",
    "我该找哪位工作人员问残疾证的事",
]


# ... and in words the intent model reads as a question about the service they name, though it has learnt them (from
# progress-story sets PQ and PQ4): the model that only tells how a service went from a question
# (bot/conversation/rereading.py) hears them.
RATINGS_NAMING_THE_SERVICE = [
    "派出所的姐姐好温柔 帮我加急开了无犯罪证明 赶上报名了 爱了爱了",
    "改造的师傅来装扶手，装歪了，她扶都扶不稳，这个怎么搞嘛",
]


@pytest.mark.parametrize("text", RATINGS_NAMING_THE_SERVICE)
def test_how_a_named_service_went_is_heard_by_the_rereading(understander, text):
    u = understander.understand(text)
    assert u.intent == "rate_service", (u.guess, u.intent)


@pytest.mark.parametrize("text", RATINGS)
def test_how_a_service_went_is_a_rating(understander, text):
    assert understander.understand(text).intent == "rate_service"


@pytest.mark.parametrize("text", PERSONS)
def test_asking_for_a_person_is_a_hand_off(understander, text):
    assert understander.understand(text).intent == "human_agent"
