"""The home-visit form's township step: free text against the full list of 昭通's townships, the county's
centre for a township without its own online centre, a choice when a name is ambiguous, and 其他."""

from __future__ import annotations

from bot.bookings.stations import load_station_file
from bot.bookings.townships import TownshipList
from tests.test_bookings import converse
from tests.utils import home_visit_script, user


def test_the_list_covers_every_county_and_every_township_with_a_service_centre():
    places = TownshipList()
    assert places.counties == [
        "昭阳区", "鲁甸县", "巧家县", "盐津县", "大关县", "永善县", "绥江县", "镇雄县", "彝良县", "威信县", "水富市",
    ]  # fmt: skip
    assert len(places.all) > 140
    names = {t.name for t in places.all}
    for station in load_station_file():
        if station["level"] == "乡镇":
            assert station["name"].replace("为民服务中心", "") in names, station["name"]
    assert [t.name for t in places.match("我家在北闸")] == ["北闸镇"]
    assert [t.name for t in places.match("小龙洞")] == ["小龙洞回族彝族乡"]
    assert {t.county for t in places.match("太平")} == {"昭阳区", "水富市"}  # 太平街道 and 太平镇
    assert [t.county for t in places.match("水富太平")] == ["水富市"]


def until_station() -> list[str]:
    """The answers before the township question (an address that names no township)."""
    return home_visit_script(township="")[:-2]


async def test_a_township_without_its_own_centre_goes_to_its_county(server, services):
    resident = user(server, "o_beizha")
    replies = await converse(resident, *until_station())
    assert "请直接写乡镇名" in replies[-1] and "其他" in replies[-1]
    date_question = await resident.say("北闸镇")
    assert "希望哪天办理" in date_question
    summary = await resident.say(home_visit_script()[-1])
    assert "服务站：昭阳区政务服务中心（北闸镇）" in summary
    assert "预约成功" in await resident.say("1")
    booking = await services.store.bookings.find_one({"booked_by": "o_beizha"})
    assert booking["station"] == "ZYQ-000"


async def test_an_ambiguous_or_unknown_place_gets_a_choice_and_a_county_fallback(server, services):
    resident = user(server, "o_taiping")
    await converse(resident, *until_station())
    choice = await resident.say("太平")
    assert "1 昭阳区太平街道" in choice and "2 水富市太平镇" in choice
    assert "希望哪天办理" in await resident.say("2")
    other = user(server, "o_nowhere")
    await converse(other, *until_station())
    fallback = await other.say("火星镇")
    assert "没找到“火星镇”" in fallback and "1 昭阳区" in fallback and "12 其他" in fallback
    assert "希望哪天办理" in await other.say("8")  # 镇雄县
    summary = await other.say(home_visit_script()[-1])
    assert "服务站：镇雄县政务服务中心" in summary


async def test_an_address_that_names_its_township_answers_the_township_question(server, services):
    resident = user(server, "o_dashanbao")
    replies = await converse(resident, *home_visit_script())  # 大山包镇大山包村5组12号
    assert not any("请直接写乡镇名" in r for r in replies)
    assert "服务站：大山包镇为民服务中心" in replies[-1]
    assert "预约成功" in await resident.say("1")
    assert (await services.store.bookings.find_one({"booked_by": "o_dashanbao"}))["station"] == "ZYQ-003"
    # Only a village's name (大山包村, not 大山包镇): the form still asks, the village may sit elsewhere.
    other = user(server, "o_village_only")
    script = home_visit_script(township="")[:-2]
    script[-1] = "大山包村5组12号"
    assert "请直接写乡镇名" in (await converse(other, *script))[-1]
