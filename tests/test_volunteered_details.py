"""Details given before the booking form asks for them (bot/bookings/volunteered.py): a phone number, an address
or a day written at "给谁办？" are kept for their own questions, which are then not asked again."""

from __future__ import annotations

from datetime import date

import pytest

from bot.bookings.volunteered import details_in
from bot.conversation import texts
from tests.test_bookings import converse
from tests.test_followups import head
from tests.utils import make_id, next_workday_text, user

FRIDAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    "text, phone, address, day",
    [
        ("礼拜三上午我都在屋头 电话打我孙子的 13887004512", "13887004512", None, date(2026, 12, 9)),
        ("那就喊他们来嘛 我在会仪镇 大坪村三组", None, "会仪镇大坪村三组", None),
        ("地址是彝良县龙街乡小米村四组，联系人就是我这个号", None, "彝良县龙街乡小米村四组", None),
        ("地址威信县旧城镇大河村三组 明天上午他都在家", None, "威信县旧城镇大河村三组", date(2026, 12, 5)),
        ("座机 0870-2212345 下午打", "0870-2212345", None, None),
        # Only a township or a description: no address a worker could find.
        ("地址昭阳区太平街道 电话留我妈的", None, None, None),
        ("我住在布嘎那点就是小学背后那家", None, None, None),
        ("张桂芬", None, None, None),
        # Voice input writes a number out in Chinese; full-width digits come from some keyboards.
        ("电话幺三八七七零零四五幺二 后天来嘛", "13877004512", None, date(2026, 12, 6)),
        ("１３８８７００４５１２", "13887004512", None, None),
        # A day on which the resident does something themselves is not the day wanted.
        ("明天我把材料收齐", None, None, None),
        ("后天我拿过来 电话13887004512", "13887004512", None, None),
        ("一起代办嘛 明天上午他侄儿送材料过来", None, None, None),
        # 弄 is a lane only after its number; alone it is the local "do".
        ("他的抚恤补助也是在退役军人服务站弄不", None, None, None),
        ("昭阳区龙泉路3弄12号", None, "昭阳区龙泉路3弄12号", None),
        # 农村 and the village's people are no place to visit.
        ("她交了十几年农村养老保险的，那些钱还退得到不", None, None, None),
        ("村里的人都说要等", None, None, None),
        # Nor is the town ("街上"), going to it or its market day ("上街", "赶街"); a street is.
        ("在街上买的饲料是假的 喂了猪不长 找哪个告", None, None, None),
        ("礼拜三赶街的时候我送她过来", None, None, None),
        ("昭阳区北门街18号", None, "昭阳区北门街18号", None),
    ],
)
def test_details_found_in_a_message(text, phone, address, day):
    got = details_in(text, FRIDAY)
    assert (got.phone, got.address, got.day) == (phone, address, day)


def test_a_number_with_its_middle_hidden_is_no_phone():
    got = details_in("地址是XX镇XX村五组，我电话139xxxx6621", FRIDAY)
    assert got.phone is None and got.masked_phone
    for hidden in ("13988xxxx51", "158xxxxxxx9", "138****2716"):  # any stretch hidden, as people copy numbers
        assert details_in(f"电话{hidden} 姓王", FRIDAY).masked_phone, hidden
    assert not details_in("电话13812345678", FRIDAY).masked_phone


def test_an_id_number_in_a_sentence_is_found():
    number = make_id("19480312")
    assert details_in(f"他的身份证是{number} 你们看哈", FRIDAY).id_number == number


async def test_details_given_at_the_first_question_are_not_asked_again(server, services):
    resident = user(server, "o_volunteer")
    day = next_workday_text()
    replies = await converse(
        resident,
        "老者领养老金每年要认证 咋个认证",
        "那能不能派人到屋头帮他认",
        f"{day}上午我都在屋头 电话打我孙子的 13887004512",
        "那就喊他们来嘛 我在会仪镇 大坪村三组12号",
    )
    assert "给谁办" in replies[1]
    kept_phone, kept_address = replies[2], replies[3]
    assert kept_phone.startswith("好的，「养老保险待遇领取资格认证」上门服务已记下电话、希望日期")
    assert "给谁办" in kept_phone  # the question still open is asked again
    assert kept_address.startswith("好的，「养老保险待遇领取资格认证」上门服务已记下地址")
    rest = await converse(resident, "2", "1", "周德明", make_id("19450101"))
    asked = "\n".join(replies + rest)
    for question in ("联系电话", "上门地址", "哪个乡镇", "希望哪天办理"):
        assert question not in asked, question
    summary = rest[-1]
    assert "请核对预约信息" in summary and "电话：138****4512" in summary and "地址：会仪镇大坪村**" in summary
    assert f"希望日期：{day}（周" in summary
    assert "预约成功" in await resident.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_volunteer"})
    assert booking["item_code"] == "RS-003" and booking["kind"] == "home_visit" and booking["township"] == "会仪镇"


def next_rest_day_text() -> str:
    """A day after tomorrow on which staff do not work, as a resident would type it."""
    from datetime import timedelta

    from bot.bookings.service import today_in_china
    from bot.bookings.workdays import WorkCalendar

    cal, day = WorkCalendar(), today_in_china() + timedelta(days=2)
    while cal.is_workday(day):
        day += timedelta(days=1)
    return f"{day.month}月{day.day}日"


async def test_a_question_pauses_the_form_and_a_day_given_after_it_takes_the_form_up_again(server):
    resident = user(server, "o_pause")
    await resident.say("我妈的养老认证怎么做")
    assert "上门服务" in await resident.say("我看不见，没办法帮她拍照刷脸，能上门吗")
    fee = await resident.say("等一下，上门要收费吗")
    assert "养老保险待遇领取资格认证" in fee.splitlines()[0] and "回复“继续预约”可以接着填" in fee
    rest = next_rest_day_text()
    said = await resident.say(f"那就约{rest}上午")
    assert said.startswith("好的，「养老保险待遇领取资格认证」上门服务：") and "休息日" in said and "日期稍后再选" in said
    day = next_workday_text()
    said = await resident.say(f"那约{day}上午")
    assert said.startswith(f"好的，「养老保险待遇领取资格认证」上门服务已记下希望日期{day}（周"), said
    # The form goes on where it stopped: at the name, for "我妈" in the first message said for whom.
    assert "请输入办事人的姓名" in said and "给谁办" not in said


async def test_continue_takes_up_a_paused_form_at_its_question(server):
    resident = user(server, "o_continue")
    assert "给谁办" in await resident.say("高龄津贴能上门办不 我走不动")
    assert "回复“继续预约”可以接着填" in await resident.say("要带啥")
    again = await resident.say("继续预约")
    assert again.startswith("好的，接着预约。") and "给谁办" in again
    assert "请输入您的姓名" in await resident.say("1")


async def test_a_township_without_a_house_answers_the_township_question_ahead(server):
    resident = user(server, "o_township_ahead")
    assert "给谁办" in await resident.say("我奶奶身份证过期了 走不了路 能上门嘛😭")
    said = await resident.say("地址昭阳区太平街道 电话留我妈的")
    assert said.startswith("好的，「居民身份证换领」上门服务已记下乡镇（太平街道）。")
    assert "TA是您的" in said  # "我妈的" said it is for a family member
    replies = await converse(resident, "5", "李秀英", make_id("19400101"), "13812345678", "太平村3组8号")
    assert not any("哪个乡镇" in r for r in replies)
    assert "希望哪天办理" in replies[-1]


async def test_a_proxys_remarks_and_a_hidden_number_keep_the_form_open(server):
    """A village proxy at "给谁办": her plan for the papers is no progress question, and a number copied with its
    middle hidden is asked for again whole, not refused."""
    proxy = user(server, "o_proxy_remarks")
    await proxy.say("村头有个老者过世了，他交了好几年城乡养老保险，丧葬补助咋个领")
    assert "给谁办" in await proxy.say("那我帮他家报了，交给中心代办得不得")
    said = await proxy.say("我后天上午把材料送过来")
    assert said == "「城乡居民养老保险丧葬补助金申领」的代办服务预约还没填完。给谁办？请回复 1（给自己办）或 2（给家人办）。"
    said = await proxy.say("电话打我的就得 158xxxx3307")
    assert "电话号码中间被隐藏了，问到电话时请发完整的11位号码。" in said and "给谁办" in said


async def test_a_document_of_the_booked_item_and_a_when_question_pause_the_form(server):
    """ "要带户口本不" during a 高龄津贴 booking asks for its materials (户口 names other items); "好久能来" asks."""
    resident = user(server, "o_form_document")
    await resident.say("我婆婆八十多了 听说有个高龄补贴 咋个领")
    assert "给谁办" in await resident.say("她走不得路 能上门不")
    said = await resident.say("要带户口本不")
    assert head(said) == "【高龄津贴申领】" and "申请材料" in said and texts.FORM_LEFT in said
    assert "给谁办" in await resident.say("继续预约")
    said = await resident.say("好久能来")
    assert head(said) == "这个预约还没有提交，提交后工作人员会在您选的日期前联系您。" and texts.FORM_LEFT in said


async def test_cancelling_with_a_reason_leaves_the_form(server):
    resident = user(server, "o_quit_reason")
    assert "给谁办" in await resident.say("税务登记能代办不")
    said = await resident.say("算了取消 我老公说他明天自己去")
    assert "已退出预约" in said and "休息日" not in said
    assert "给谁办" in await resident.say("发票领用能代办不")
    assert "已退出预约" in await resident.say("算了那个代办取消 会计说她自己会弄")


async def test_who_it_is_for_is_read_from_the_answer_and_the_form_says_what_it_books(server):
    """At "给谁办" residents answer in their own words; what is no answer gets the question again, with the
    service being booked, and asking again for the visit confirms it is underway."""
    resident = user(server, "o_who_words")
    await resident.say("残疾证第一次办要带啥")
    assert "给谁办" in await resident.say("能上门不")
    said = await resident.say("那能不能派人上门来看他 他出不了门")
    assert said.startswith("好的，正在为您预约「残疾人证办理」的上门服务。") and "TA是您的" in said
    other = user(server, "o_who_unclear")
    await other.say("驾照要换证了 能代办不")
    said = await other.say("下周一我带资料过来")
    assert said.startswith("「机动车驾驶证换证」的代办服务预约还没填完。给谁办？")
    assert "请输入您的姓名" in await other.say("我自己的")


async def test_another_item_asked_yes_or_no_at_who_leaves_the_form(server):
    resident = user(server, "o_who_other_item")
    assert "给谁办" in await resident.say("驾照换证能帮我代办不")
    said = await resident.say("对了车子也要年审了 一起整得不")
    assert head(said) == "【机动车检验合格标志核发】" and texts.FORM_LEFT in said


async def test_another_items_question_naming_a_service_station_is_no_address(server):
    resident = user(server, "o_who_station_question")
    await resident.say("我爹是退伍的残疾军人 退役军人优待证咋个办")
    assert "给谁办" in await resident.say("他走不得路 能不能上门")
    said = await resident.say("那顺便问下 他的抚恤补助也是在退役军人服务站弄不")
    assert head(said) == "【优抚对象定期抚恤补助申领】" and texts.FORM_LEFT in said and "地址" not in said


async def test_a_complaint_about_something_bought_in_town_leaves_the_form(server):
    resident = user(server, "o_who_complaint")
    assert "给谁办" in await resident.say("老者的高龄津贴能不能请人代办")
    said = await resident.say("在街上买的饲料是假的 喂了猪不长 找哪个告")
    assert "消费者投诉举报" in said and texts.FORM_LEFT in said and "给谁办" not in said
    assert "给谁办" in await resident.say("继续预约")


def test_next_week_with_a_measure_word_is_a_day():
    from bot.bookings.dateparse import parse_day

    assert parse_day("下个礼拜一 老者叫刘XX", FRIDAY) == date(2026, 12, 7)


async def test_so_long_with_nothing_booked_is_a_goodbye(server):
    resident = user(server, "o_goodbye")
    await resident.say("驾驶证要到期了 在外地换得不")
    assert await resident.say("那算了我自己克 谢谢") == texts.THANKS


async def test_a_question_at_a_step_for_a_value_pauses_the_form(server):
    resident = user(server, "o_value_question")
    assert "给谁办" in await resident.say("我奶奶瘫在床上 老年人优待证能上门办不")
    await resident.say("2")
    await resident.say("2")
    assert "身份证号码" in await resident.say("张桂芬")
    said = await resident.say("她交了十几年农村养老保险的，那些钱还退得到不")
    assert "养老" in said and "回复“继续预约”可以接着填" in said and "身份证号码应为18位" not in said, said
    again = await resident.say("继续预约")
    assert again.startswith("好的，接着预约。") and "身份证号码" in again, again


@pytest.mark.parametrize(
    "text, note",
    [
        # Whom staff should call and when someone is home: kept for staff in the resident's words.
        ("电话打我孙子的 他叫小龙", "电话打我孙子的 他叫小龙"),
        ("下午三点以后家中都有人", "下午三点以后家中都有人"),
        # ... without the number or the place, which their own steps keep (the address only encrypted).
        ("礼拜三上午我都在屋头 电话打我孙子的 13887004512", "礼拜三上午我都在屋头 电话打我孙子的"),
        ("下午两点以后家里有人 大坪村三组12号", "下午两点以后家里有人"),
        # A question is no note.
        ("下午几点有人在家吗", None),
        ("张桂芬", None),
    ],
)
def test_whom_to_call_and_when_someone_is_home_are_a_note_for_staff(text, note):
    assert details_in(text, FRIDAY).note == note


async def test_a_note_for_staff_keeps_the_form_and_reaches_the_booking(server, services):
    """ "电话打我孙子的他叫小龙" right after a booking starts answers no question: it is kept, shown before submitting
    and stored with the booking, and the form asks its question again instead of "答不上来"."""
    resident = user(server, "o_note")
    await resident.say("我八十二了高龄津贴咋个领")
    assert "给谁办" in await resident.say("我不会弄你们帮我代办嘛")
    reply = await resident.say("电话打我孙子的他叫小龙")
    assert reply.startswith("好的，「高龄津贴申领」代办服务已记下留言。") and "给谁办" in reply, reply
    assert "答不上来" not in reply
    replies = await converse(resident, "1", "周德明", make_id("19440101"), "13887004512", "1", next_workday_text())
    summary = replies[-1]
    assert "请核对预约信息" in summary and "留言：电话打我孙子的他叫小龙" in summary, summary
    assert "预约成功" in await resident.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_note"})
    assert booking["resident_note"] == "电话打我孙子的他叫小龙" and booking["beneficiary"]["relation"] == "本人"
