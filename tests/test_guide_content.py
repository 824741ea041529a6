"""Guide content and schema: every field a 办事指南 carries is checked, the fixes stay fixed, summaries cut whole sentences."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from bot.bookings.service import BookingService
from bot.bookings.stations import load_station_file
from bot.bookings.workdays import WorkCalendar
from bot.conversation.guide import materials_to_bring, section, shorten, summary
from knowledge_base.catalog import dump_item, export_items, import_items, load_items, validate_item
from tests.utils import home_visit_script, user

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def items():
    items, problems = load_items()
    assert problems == []
    return {i["code"]: i for i in items}


def test_validate_passes_on_all_items_including_copied_answers():
    result = subprocess.run([sys.executable, "-m", "knowledge_base", "validate"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout
    assert result.stdout.strip().endswith("120 valid items, 0 problems")


def _break(item, change):
    broken = copy.deepcopy(item)
    change(broken)
    return broken


BROKEN = [
    # (what to break, the field named in the report, words of the problem)
    (lambda i: i.update(case_type="加急件"), "case_type", "is not one of"),
    (lambda i: i.update(case_type="即办件"), "case_type", "即办件 means promised_limit_days 0"),
    (lambda i: i.update(legal_limit_unit="月"), "legal_limit_unit", "is not one of"),
    (
        lambda i: i.update(legal_limit_days=3, legal_limit_unit="自然日", promised_limit_days=5),
        "promised_limit_days",
        "longer than the legal limit",
    ),
    (lambda i: i.update(fee="工本费40元（依据发改价格〔2003〕2322号）"), "fee", "cites a legal basis"),
    (lambda i: i.update(fee_basis=[]), "fee_basis", "a fee is charged"),
    (lambda i: i.update(delivery=[]), "delivery", "non-empty list"),
    (lambda i: i.update(progress_query=[""]), "progress_query", "non-empty list"),
    (lambda i: i.update(refusal_cases=[]), "refusal_cases", "non-empty list"),
    (lambda i: i.update(scope="全国"), "scope", "is not one of"),
    (lambda i: i.update(remedy=["可拨打12345投诉"]), "remedy", "行政复议"),
    (lambda i: i["materials"][0].pop("required"), "materials[1].required", "must be true"),
    (lambda i: i["materials"][0].update(source="网上下载"), "materials[1].source", "is not one of"),
    (lambda i: i["materials"][1].update(required=False, note=""), "materials[2].note", "optional material"),
    # GA-003's second material (相片) is always needed; its first (户口簿) only when replacing in the home county.
    (lambda i: i["materials"][1].update(required="yes"), "materials[2].required", "conditional (needed when"),
    (lambda i: i["materials"][1].update(required="conditional"), "materials[2].condition", "says when it is needed"),
    (lambda i: i["materials"][1].update(condition="他人代办时提供"), "materials[2].condition", "only a conditional"),
    (
        lambda i: i["materials"][1].update(note="可现场采集；他人代办时提供"),
        "materials[2].required",
        "only when '他人代办时提供': mark it required: conditional",
    ),
    (
        lambda i: i["faq"].append({"q": "补办要多久？", "a": "60个工作日内办好。"}),
        "faq[5]",
        "says 60 工作日 but the item's limit is 60 自然日",
    ),
    (
        lambda i: i["faq"].append({"q": "多久能拿到新证？", "a": "一般15个工作日内制好。"}),
        "faq[5]",
        "says 15 工作日, which is none of the item's limits (promised 20 工作日, legal 60 自然日)",
    ),
    (lambda i: i["faq"].append({"q": "不懂的找谁？", "a": "拨打12345咨询。"}), "faq[5]", "information line is 96128"),
    (lambda i: i.update(phone="12345"), "phone", "12345 takes complaints"),
    (lambda i: i.update(special_steps=[{"name": "公示", "days": -1, "unit": "自然日"}]), "special_steps[1].days", "whole number"),
    (lambda i: i.update(special_steps=[{"name": "公示", "days": 7, "unit": "周"}]), "special_steps[1].unit", "is not one of"),
    (lambda i: i.update(review={"status": "reviewed"}), "review.reviewer", "names its reviewer"),
    (
        lambda i: i.update(review={"status": "reviewed", "reviewer": "市公安局 张三", "date": "2999-01-01"}),
        "review.date",
        "future",
    ),
    (lambda i: i.update(review={"status": "approved"}), "review.status", "is not one of"),
    (lambda i: i.update(home_visit=False), "faq[4]", "home_visit is false"),
    (lambda i: i["faq"].append({"q": "怎么补办？", "a": "可以。"}), "faq[5]", "how-question"),
    (lambda i: i["faq"].append({"q": "能让家人代办吗？", "a": "可以委托家人代为办理。"}), "faq[5]", "proxy is false"),
]


def test_each_broken_field_is_reported_as_file_field_problem(items, tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    expected = []
    for n, (change, field, words) in enumerate(BROKEN, 1):
        code = f"XX-{n:03d}"
        broken = _break(items["GA-003"], change)  # 身份证补领: a fee, a home visit, no proxy, 行政确认
        broken["code"] = code
        (folder / f"{code}.yaml").write_text(dump_item(broken), encoding="utf-8")
        expected.append((f"items/{code}.yaml: {field}: ", words))
    result = subprocess.run(
        [sys.executable, "-m", "knowledge_base", "validate", "--dir", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    for prefix, words in expected:
        assert any(line.startswith(prefix) and words in line for line in lines), (prefix, words, result.stdout)
    assert f"0 valid items, {len(lines) - 1} problems" == lines[-1]


def test_answers_copied_across_departments_are_reported(items, tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    first, second = copy.deepcopy(items["MZ-004"]), copy.deepcopy(items["RS-002"])
    second["faq"][0]["a"] = first["faq"][0]["a"]
    for item in (first, second):
        (folder / f"{item['code']}.yaml").write_text(dump_item(item), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "knowledge_base", "validate", "--dir", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 1
    assert "items/MZ-004.yaml: faq[1]: answer nearly identical to RS-002 faq[1]" in result.stdout


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json"])
def test_export_and_import_carry_every_new_field(items, tmp_path, suffix):
    chosen = [items[c] for c in ("BDC-001", "GA-005", "MZ-002", "RS-013", "SF-003", "RS-017", "WJ-004")]
    path = tmp_path / f"items{suffix}"
    export_items(chosen, path)
    back, problems = import_items(path)
    assert problems == []
    for original, imported in zip(chosen, back):
        for field in (
            "case_type",
            "legal_limit_unit",
            "promised_limit_unit",
            "special_steps",
            "fee_basis",
            "delivery",
            "progress_query",
            "scope",
            "refusal_cases",
            "remedy",
            "review",
            "materials",
        ):
            assert imported[field] == original[field], (original["code"], field)


def test_summaries_cut_whole_sentences_and_leave_citations_to_the_guide_page(items):
    for item in items.values():
        card = summary(item, "https://example/guide")
        fee_line = next(line for line in card.splitlines() if line.startswith("承诺时限："))
        assert not re.search(r"〔|依据", card), item["code"]
        shown = fee_line.split("收费：", 1)[1]
        if shown.endswith("（其他情形见完整指南）"):
            kept = shown.removesuffix("（其他情形见完整指南）")
            rest = item["fee"][len(kept) :]
            # Cut after a whole sentence, or before an aside the cut would have left open ("不收费（…；").
            assert item["fee"].startswith(kept) and rest[:1] in "。；！？（", (item["code"], shown)
            assert kept.count("（") == kept.count("）"), (item["code"], shown)
        else:
            assert shown == item["fee"], item["code"]
    assert (
        shorten("工本费40元（依据《国家发展改革委 财政部关于居民身份证收费标准》）。损坏换领40元。", 20)
        == "工本费40元。损坏换领40元。"
    )
    assert shorten("有效期满换领20元；损坏换领40元；低保对象免收工本费", 12) == "有效期满换领20元（其他情形见完整指南）"
    assert shorten("一句很长很长很长很长的话没有标点也不能从中间截断", 5) == "一句很长很长很长很长的话没有标点也不能从中间截断"


def test_limits_show_their_unit(items):
    assert "承诺时限：当场办结（法定时限3个自然日）" in section(items["ZJ-001"], "time", "u")
    assert "法定时限60个自然日" in section(items["GA-003"], "time", "u")
    assert "另有离婚冷静期30个自然日" in summary(items["MZ-002"], "u")


async def test_chat_summary_shows_the_amount_without_the_citation(server):
    reply = await user(server, "o_fee").say("身份证丢了怎么补")
    assert "收费：工本费40元" in reply and "《" not in reply and "〔" not in reply


async def test_guide_page_shows_the_new_fields(server):
    from tornado.httpclient import AsyncHTTPClient

    page = (await AsyncHTTPClient().fetch(f"{server.url}/guide/GA-003")).body.decode()
    for part in (
        "办件类型",
        "承诺件",
        "60个自然日",
        "收费依据",
        "发改价格〔2003〕2322号",
        "结果送达方式",
        "办理进度查询",
        "通办范围",
        "跨省通办",
        "不予受理情形",
        "救济途径",
        "行政复议",
        "必须提供",
        "来源：",
        "审核状态",
        "草稿",
        "96128",
    ):
        assert part in page, part


def _service(today: date) -> BookingService:
    clock = lambda: datetime(today.year, today.month, today.day, 4, tzinfo=UTC)  # noqa: E731
    return BookingService(SimpleNamespace(bookings=None), None, WorkCalendar(), None, None, rules={}, clock=clock)


def test_due_date_counts_calendar_days_when_the_limit_is_in_calendar_days():
    service = _service(date(2026, 12, 1))
    calendar_item = {"promised_limit_days": 40, "promised_limit_unit": "自然日"}
    working_item = {"promised_limit_days": 40, "promised_limit_unit": "工作日"}
    # 40 calendar days after Tue 1 Dec 2026 is Sun 10 Jan 2027: a limit ending on a rest day ends the next working day.
    assert service.due_date(calendar_item, date(2026, 12, 1)) == date(2027, 1, 11)
    assert service.due_date(working_item, date(2026, 12, 1)) > date(2027, 1, 20)
    assert service.due_date({"promised_limit_days": 3, "promised_limit_unit": "自然日"}, date(2026, 12, 1)) == date(2026, 12, 4)


CONTENT = [
    ("BDC-003", lambda i: "由抵押权人（银行等）缴纳" in i["fee"] and "约定" not in i["fee"]),
    ("MZ-008", lambda i: "第二代或第三代" in i["conditions"][0] and "次月" not in yaml.safe_dump(i, allow_unicode=True)),
    ("MZ-009", lambda i: "第二代或第三代" in i["conditions"][0] and "次月" not in yaml.safe_dump(i, allow_unicode=True)),
    ("GA-005", lambda i: any("亲子鉴定" in m["name"] for m in i["materials"]) and "亲子鉴定" in i["faq"][2]["a"]),
    ("WS-001", lambda i: i["online"] and "在线申请" in i["online_how"]),
    ("GA-001", lambda i: (i["legal_limit_days"], i["legal_limit_unit"]) == (60, "自然日")),
    ("GA-003", lambda i: (i["legal_limit_days"], i["legal_limit_unit"]) == (60, "自然日")),
    ("ZJ-001", lambda i: (i["legal_limit_days"], i["legal_limit_unit"]) == (3, "自然日")),
    ("RS-013", lambda i: (i["legal_limit_days"], i["legal_limit_unit"]) == (45, "自然日") and "人民法院" in i["remedy"][0]),
    ("GA-007", lambda i: i["location"].startswith("迁入地公安派出所")),
    ("GA-008", lambda i: i["location"].startswith("迁入地公安派出所")),
    ("BDC-002", lambda i: not i["proxy"] and "不提供代办服务" in i["faq"][2]["a"]),
    ("SF-003", lambda i: not i["proxy"] and "不提供代办服务" in i["faq"][1]["a"]),
    # issue 18: the outside audit's wrong facts
    *[
        (code, lambda i: "第二代或第三代" in i["conditions"][0] and "持有第三代" not in yaml.safe_dump(i, allow_unicode=True))
        for code in ("CL-005", "CL-006", "CL-008")
    ],
    ("MZ-008", lambda i: "从申请当月起计发" in i["process"][-1]),
    ("MZ-009", lambda i: "从申请当月起计发" in i["process"][-1]),
    ("ZJ-001", lambda i: "3日内" in i["faq"][3]["a"] and "工作日作出" not in i["faq"][3]["a"]),
    ("SF-002", lambda i: (i["legal_limit_days"], i["legal_limit_unit"]) == (30, "自然日")),
    ("NY-004", lambda i: "科目四" in i["conditions"][3]),
]


@pytest.mark.parametrize("code, check", CONTENT, ids=[c for c, _ in CONTENT])
def test_content_fixes_stay_fixed(items, code, check):
    assert check(items[code])


def test_the_sample_setting_is_zhaotong_and_stays_marked(items):
    for item in items.values():
        text = yaml.safe_dump(item, allow_unicode=True)
        assert not re.search(r"陆良|曲靖|麒麟|0874", text), item["code"]
        assert "本服务号" not in text and "本账号" not in text, item["code"]
        assert item["sample"] is True and item["review"]["status"] == "draft"
        assert re.fullmatch(r"0870-\d{7}|\d{5}", item["phone"]), item["code"]
    assert items["MZ-004"]["implementing_body"] == "昭阳区民政局"


def test_stations_cover_the_city_centre_and_all_eleven_counties():
    stations = load_station_file()
    by_code = {s["code"]: s for s in stations}
    assert len(by_code) == len(stations)
    city = [s for s in stations if s["level"] == "市"]
    assert [(s["name"], s["windows"], s["phone"]) for s in city] == [("昭通市政务服务中心", 24, "96128")]
    counties = {s["county"] for s in stations if s["level"] == "县"}
    assert counties == {
        "昭阳区",
        "鲁甸县",
        "巧家县",
        "盐津县",
        "大关县",
        "永善县",
        "绥江县",
        "镇雄县",
        "彝良县",
        "威信县",
        "水富市",
    }
    for s in stations:
        assert 26.3 < s["lat"] < 28.8 and 102.5 < s["lng"] < 105.5, s["code"]
        if s["level"] == "乡镇":
            assert by_code[s["parent"]]["level"] == "县" and s["name"].endswith("为民服务中心")
        if s["level"] == "村":
            assert by_code[s["parent"]]["level"] == "乡镇" and s["proxies"]


async def test_booking_form_lists_townships_by_county(server):
    resident = user(server, "o_towns")
    script = home_visit_script(township="3")
    replies = [await resident.say(line) for line in script[:5]]
    assert "昭阳区：1 龙泉街道　2 旧圃镇　3 大山包镇" in replies[-1]
    assert "水富市：" in replies[-1] and "威信县：" in replies[-1]


async def test_location_far_from_zhaotong_says_so(server):
    resident = user(server, "o_far")
    reply = await resident.send(resident.location_xml(25.04, 102.71, "昆明"))
    assert "您离昭通市较远" in reply


def test_validate_item_reports_every_problem_not_just_the_first(items):
    broken = _break(items["GA-003"], lambda i: i.update(scope="全国", case_type="加急件"))
    assert {p.field for p in validate_item(broken, "x")} == {"scope", "case_type"}


def test_review_report_shows_what_each_department_signed_off(items, tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    signed = copy.deepcopy(items["GA-003"])
    signed["review"] = {"status": "reviewed", "reviewer": "市公安局户政科 王敏", "date": "2026-11-30"}
    for item in (signed, items["GA-002"], items["MZ-004"]):
        (folder / f"{item['code']}.yaml").write_text(dump_item(item), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "knowledge_base", "review", "--dir", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout
    assert "公安局: 1/2 reviewed" in result.stdout and "GA-003 居民身份证补领: 市公安局户政科 王敏 2026-11-30" in result.stdout
    assert "民政局: 0/1 reviewed" in result.stdout and result.stdout.strip().endswith("1 of 3 items reviewed, 2 draft")


def test_siblings_that_accept_fewer_card_generations_are_reported(items, tmp_path):
    folder = tmp_path / "items"
    folder.mkdir()
    narrow = copy.deepcopy(items["CL-008"])
    narrow["conditions"][0] = "本县户籍，持有第三代残疾人证的重度残疾人"
    for item in (items["MZ-008"], narrow, items["CL-002"]):  # CL-002 changes 第二代 cards into 第三代: not a requirement
        (folder / f"{item['code']}.yaml").write_text(dump_item(item), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "knowledge_base", "validate", "--dir", str(folder)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "items/CL-008.yaml: conditions[1]: accepts only the 第三代 残疾人证, while MZ-008 conditions[1] accepts 第二代或第三代: "
        "siblings must agree on which cards qualify",
        "3 valid items, 1 problems",
    ]


def test_materials_to_bring_name_conditions_and_leave_out_optional_ones(items):
    assert materials_to_bring(items["RS-017"]) == ["居民身份证或社会保障卡", "授权委托书及受托人居民身份证（他人代办时提供）"]
    assert "专项附加扣除、大病医疗等扣除相关资料" not in " ".join(materials_to_bring(items["SW-001"]))


def test_conditional_materials_survive_the_file_format(items):
    condition = items["RS-017"]["materials"][1]
    assert (condition["required"], condition["condition"]) == ("conditional", "他人代办时提供")
    assert validate_item(yaml.safe_load(dump_item(items["RS-017"])), "x") == []


async def test_chat_guide_shows_conditions_and_the_city_information_line(server):
    resident = user(server, "o_cond")
    assert "社会保险个人权益记录查询打印" in await resident.say("打印社保缴费证明")
    materials = await resident.say("1")
    assert "1. 居民身份证或社会保障卡（原件1份）：" in materials
    assert "2. 授权委托书及受托人居民身份证（原件1份）（他人代办时提供）" in materials
    phones = await resident.say("6")
    assert "咨询电话：0870-" in phones and "全市政务信息专线：96128" in phones and "投诉电话：12345" in phones


async def test_chat_guides_state_the_fixed_facts(server):
    """Each fact the outside audit found wrong, as the bot now sends it."""
    resident = user(server, "o_facts")
    reply = await resident.say("无障碍改造要什么条件")
    assert "持有有效的残疾人证（第二代或第三代智能化残疾人证均可）的重度残疾人" in reply and "第三代残疾人证的" not in reply
    birth = await resident.say("上户口要带什么")
    assert "3. 母亲居民身份证（原件1份）" in birth
    assert "4. 父亲居民身份证（原件1份）（已婚的，或非婚生育随父落户的提供）：非婚生育随母落户的只需母亲身份证" in birth
    assert "父母双方居民身份证" not in birth and "无《出生医学证明》的也需提供" not in birth
    assert "法定时限3个自然日" in await resident.say("住房公积金租房提取多久到账")
    assert "承诺时限：15个工作日（法定时限30个自然日）" in await resident.say("调解要多久")
    assert "拖拉机和联合收割机驾驶证申领" in await resident.say("拖拉机驾驶证考几科")
    assert "科目四（道路驾驶技能）" in await resident.say("5")
    assert "重度残疾人护理补贴申领" in await resident.say("残疾人护理补贴从哪个月开始发")
    assert "从申请当月起计发" in await resident.say("2")


GUIDE_PAGES = {
    "CL-005": ["持有有效的残疾人证（第二代或第三代智能化残疾人证均可）", "补贴打卡发放时提供"],
    "CL-006": ["持有有效的残疾人证（第二代或第三代智能化残疾人证均可）的下肢残疾人"],
    "CL-008": ["第二代、第三代智能化残疾人证均可"],
    "GA-005": [
        "母亲居民身份证（原件 1 份，必须提供）",
        "父亲居民身份证（原件 1 份，已婚的，或非婚生育随父落户的提供）",
        "亲子鉴定证明（原件 1 份，非婚生育随父落户的提供）",
        "孩子是在家里生的，没有出生证，怎么上户口？",
        "要先给孩子办《出生医学证明》",
        "可拨打全市政务信息专线 96128 咨询",
    ],
    "ZJ-001": ["法定3个自然日", "自受理之日起3日内作出准予提取或者不准提取的决定"],
    "NY-004": ["共四个科目", "科目四道路驾驶技能"],
    "SF-002": ["法定30个自然日", "一般在一个月内调结"],
    "MZ-008": ["从申请当月起计发", "从提出申请的当月起计发"],
    "MZ-009": ["从申请当月起计发", "从提出申请的当月起计发"],
    "RS-017": ["授权委托书及受托人居民身份证（原件 1 份，他人代办时提供）"],
    "WJ-004": ["计划生育手术并发症鉴定结论（复印件 1 份，计划生育手术并发症人员申请时提供）"],
    "MZ-005": ["残疾人证（原件和复印件 1 份，残疾人申请时提供）"],
    "WS-003": ["遗属申请时提供"],
    "SW-001": ["非必须，有就带上"],
}
# What the pages said before the audit, and must not say again.
WRONG_ON_PAGES = {
    "CL-005": ["持有第三代残疾人证"],
    "CL-006": ["持有第三代残疾人证"],
    "CL-008": ["持有第三代残疾人证"],
    "GA-005": ["父母双方居民身份证", "无《出生医学证明》的也需提供"],
    "ZJ-001": ["3个工作日作出决定"],
    "NY-004": ["科目三（挂接"],
    "SF-002": ["法定30个工作日"],
    "MZ-008": ["以县民政局书面审定通知为准"],
    "MZ-009": ["以县民政局书面审定通知为准"],
    "WJ-004": ["鉴定结论（复印件 1 份，必须提供）"],
}


async def test_guide_pages_state_the_fixed_facts_and_the_information_line(server):
    from tornado.httpclient import AsyncHTTPClient

    for code, parts in GUIDE_PAGES.items():
        page = (await AsyncHTTPClient().fetch(f"{server.url}/guide/{code}")).body.decode()
        for part in [*parts, "全市政务信息专线：", 'href="tel:96128"']:
            assert part in page, (code, part)
        for wrong in WRONG_ON_PAGES.get(code, []):
            assert wrong not in page, (code, wrong)
