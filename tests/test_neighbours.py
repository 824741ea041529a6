"""Neighbouring domains (bot/conversation/neighbours.yaml): bank loans, insurance claims, a company's bookkeeping,
delivery, e-bikes, sick livestock, health, family quarrels and timetables are out of scope with an honest refusal
that says where to turn and what the assistant can do; an item that itself speaks of the word keeps the question."""

from __future__ import annotations

import re

import pytest

from bot.conversation.neighbours import OURS, shared_neighbours
from bot.conversation.nlu import Understander
from tests.utils import catalog_understander, user

DOMAINS = [d for d in shared_neighbours().domains if d.domain != OURS]
OURS_WORDS = shared_neighbours().domain(OURS).words


@pytest.fixture(scope="module")
def understander() -> Understander:
    return catalog_understander()  # as the server builds it: residents' own wording in the item index too


def test_every_domain_lists_words_or_patterns_and_no_word_twice():
    words = [w for d in DOMAINS for w in d.words] + list(OURS_WORDS)
    assert len(DOMAINS) >= 9 and all((d.words or d.patterns) and d.label and (d.ask or d.reply) for d in DOMAINS)
    assert len(words) == len(set(words))
    # a story word is one of the domain's own words; a pattern compiles
    assert all(set(d.story_words) <= set(d.words) for d in DOMAINS)
    assert all(re.compile(p) for d in DOMAINS for p in d.patterns)


@pytest.mark.parametrize("domain", DOMAINS, ids=[d.domain for d in DOMAINS])
def test_each_domain_example_is_out_of_scope(understander, domain):
    u = understander.understand(domain.example)
    assert u.intent == "out_of_scope" and u.outside is not None and u.outside.domain == domain.domain, (u.intent, u.outside)


@pytest.mark.parametrize(
    "text, code",
    [
        ("公积金贷款利率现在好多", "ZJ-004"),  # the item speaks of 利率
        ("娃娃读大学的助学贷款利息咋个算", "JY-003"),
        ("高血压糖尿病 慢病卡咋个办", "YB-004"),
        ("我的身分证过期了好久了 前几天克信用社取钱人家不给取 换身分证要到哪点换嘛", "GA-002"),
        ("租房子能取公基金吗", "ZJ-001"),
        # A service named well above any other outweighs a neighbouring word the item does not hold.
        ("商业保险我不懂，就问个体户自己交养老保险咋个交", "RS-010"),
        ("想贷点款扩大店面，创业担保贷款个体户能贷不，要担保人不", "RS-009"),
        ("有个顾客说吃了我家的拉肚子，说要去投诉我，投诉了是咋个处理的", "SJ-008"),
        ("我跟隔壁为个水沟吵了几年了村上能不能帮着调解哈", "SF-002"),
        # Where the asker works is the story; wages and tax are the question.
        ("去年在物流公司开了八个月工资 听人说能退税 咋个弄", "SW-001"),
        ("店里员工工资都不高，个税那个年度汇算是他们各人搞，还是我这个老板帮他们搞", "SW-001"),
        ("孩子被人收养了还能领孤儿生活费吗", "MZ-013"),
        # A fake product is a consumer complaint, whatever the product (its FAQ: 买到假化肥、假种子、假农药怎么办).
        ("买的化肥是假的 撒下去一点用都没有 去哪点告他", "SJ-008"),
    ],
)
def test_a_service_that_speaks_of_the_word_keeps_the_question(understander, text, code):
    u = understander.understand(text)
    assert u.intent == "ask_item" and u.result.best.code == code, (u.intent, [m.code for m in u.result.matches[:3]])


@pytest.mark.parametrize(
    "text, intent",
    [
        # Help asked of the government for what looks like a repair.
        ("我屋头那个老房子墙裂起好宽的缝缝 一下雨就漏 怕哪天垮了 政府有莫得补助给我们修", "ask_item"),
        # A government document the catalogue has no guide for is refused with where to get it, here or in another
        # city; a service that asks for one as a material is answered.
        ("在昭阳区打工 居住证咋个办", "out_of_scope"),
        ("成都社区要我们去登记居住证，在哪里办？", "out_of_scope"),
        ("租客叫我帮他办居住证，说要房东出个证明，我要给他出哪样，在哪点办？", "out_of_scope"),
        ("娃娃今年6岁要读一年级 我们户口不在水富 是租房住的 入学报名要哪些材料啊 居住证也要吗", "ask_item"),
        # A brand's "subsidy" and a game's real-name check are not services.
        ("某品牌奶粉说二胎有补贴，能领吗？是政府发的吗", "out_of_scope"),
        ("游戏实名认证能用奶奶身份证吗", "out_of_scope"),
        # An item far ahead of any other, with no neighbouring trade's word, takes a very sure model to refuse.
        ("老家那边野猪多得很 我爹种的洋芋快挖的时候遭野猪拱得稀巴烂 听说政府会赔 找哪个部门", "ask_item"),
        ("jiayou ka zen me ban you youhui ma", "out_of_scope"),
        # Courts and lawyers' fees, a bank's queue, a platform's review: not services; a licence for a farm stay is.
        ("起诉前夫要抚养费 法院立案要交好多诉讼费", "out_of_scope"),
        ("工商银行每月发养老金那几日排队甚长，能否建议多开几个窗口？", "out_of_scope"),
        ("有个客人在网上给我们打了一星差评说床单不干净 能不能让平台删掉", "out_of_scope"),
        ("我们准备开农家乐 营业执照要咋个办", "ask_item"),
        # 公交 inside 老公交了 / 公公交过 is no bus; a benefit promised for a fee first is a scam.
        ("公公交过养老保险 人不在了 钱退得回来不", "ask_item"),
        ("我老公交了十五年养老保险 现在能领了不", "ask_item"),
        ("网上说 填表领国家补贴三千 要先交手续费两百，真的不", "out_of_scope"),
        ("刚才有个电话说是退役军人事务局的，说我爸还有一笔抚恤金没领，要先往一个账户打800块手续费", "out_of_scope"),
        ("领残疾人补贴要先交工本费不", "ask_item"),  # a fee a service may charge is no scam
        # Medicines, phone repairs and market prices, however they are asked.
        ("我那个药吃了头昏 换哪样药好", "out_of_scope"),
        ("县城哪里换手机屏幕便宜点", "out_of_scope"),
        ("今天街上猪肉好多钱一斤", "out_of_scope"),
        ("收到个短信说老公驾驶证要被注销 喊点链接处理 是真的假的", "out_of_scope"),
        ("请问雨露计划的职业教育补助怎么申请？村里有个孩子在读中职", "out_of_scope"),
        # Government matters the catalogue lacks, asked as a city information line is asked them.
        ("县里老年大学在哪里报名 想学写毛笔字打发时间", "out_of_scope"),
        ("驾照扣了9分 能不能找人消分", "out_of_scope"),
        ("网上说交198就能领国家发的养老补贴 是真的吗", "out_of_scope"),
        ("村民问野猪能不能自己下夹子打", "out_of_scope"),
        ("助听器哪个牌子好点 网上几百的那种能用不", "out_of_scope"),
        ("想收养个娃娃 要哪些手续", "out_of_scope"),
        # ... and their look-alikes: a visit booked for a check-up, a wild boar's damage.
        ("预约的上门体检定了哪天来 还没得人通知我", "query_progress"),
        ("野猪把苞谷拱完了 政府赔不赔 咋个申请", "ask_item"),
        ("城管说要办了营业执照才能摆摊 咋个办", "ask_item"),
        # Medicines together, factories, prices, power cuts, reporting officials, a lawyer's fee first, a driving test.
        ("另外顺便请教一下，二甲双胍和格列美脲一起吃，伤不伤肾？", "out_of_scope"),
        ("浙江那边 哪个厂好", "out_of_scope"),
        ("信用设能不能先贷点给我们", "out_of_scope"),
        ("顺便问一下，建房的钢筋水泥现在什么价", "out_of_scope"),
        ("今天咋个又停电了，你们晓得好久来电不", "out_of_scope"),
        ("我要举报我们村的干部，低保全部给他自家亲戚吃了，该找哪个部门", "out_of_scope"),
        ("上访是去哪里上？县里不管我就去省里", "out_of_scope"),
        ("有个人加我微信，说能帮我把工伤赔偿搞到二十万，先交五千块律师费，这个是不是骗子", "out_of_scope"),
        ("我自己想考个驾照，科目一在哪里预约", "out_of_scope"),
        ("拖拉机驾驶证咋个考 科目一考哪样", "ask_item"),
        ("想问下驻村工作队员的生活补助标准是多少", "out_of_scope"),
        ("刚才有个电话说是医保局的，说我医保卡在外地被人盗刷了，叫我把钱转到安全账户配合调查，这个是真的吗", "out_of_scope"),
        ("有个人说交500块可以帮我把工伤赔偿要回来 靠谱不", "out_of_scope"),
        ("家族拟续修族谱，欲查民国时期之户籍、田亩旧档，可否至档案馆查阅？", "out_of_scope"),
        ("顺便问下，上海哪家医院的康复科比较好？", "out_of_scope"),
        ("这种贷款跟农信社的贷款比，哪个利息低些", "out_of_scope"),
        ("屋头着火了烧了半间房 有救助不", "ask_item"),
        # A request to us in a clause of its own.
        ("村上有代办员不 帮我交一下医保", "book_proxy"),
        ("我叔的三轮车要年检 那个检验标志在哪点领 网上能弄不", "ask_item"),
        # Writers BP to BS: neighbouring trades' words, and the look-alikes that keep their service.
        ("木工的职业技能等级证咋个考", "out_of_scope"),
        ("冒昧问一句，我们这种村级代办员一个月有好多补贴？是乡镇发还是县上发", "out_of_scope"),
        ("我是代办员，想问王大爷的高龄补贴一个月有好多", "ask_item"),  # not the proxy's own pay
        ("助听器牌子哪个好？店里卖八千。贵不贵？", "out_of_scope"),
        ("蜜雪冰城加盟大概要投好多钱 在永善县城开能回本不", "out_of_scope"),
        ("我理发店要不要办那个公共场所卫生许可证 在哪点办", "out_of_scope"),
        ("开米线店的卫生许可证在哪里办", "ask_item"),
        ("想在老家养几十只羊 羊子拉稀咋个整", "out_of_scope"),
        ("医生说婆娘以后可能要换肾 换肾要排好久 要好多钱", "out_of_scope"),
        ("说句心里话，我哥一年到头电话都不打一个，爹病了他一分钱没出，我心里憋屈得很，这种哥还要不要认", "out_of_scope"),
        ("国三的老车子淘汰有没得补贴 报废咋个搞", "out_of_scope"),
        ("驾驶员在镇雄撞了个骑摩托的 交警的事故认定书一般要好久才出得来", "out_of_scope"),
        ("银行的客户经理劝我开一个个人养老金账户，说每年存12000元可以抵个税，有必要开吗", "out_of_scope"),
        ("娃娃生下来第四天，脸上身上黄黄的，眼白都有点黄，要不要紧哦", "out_of_scope"),
        # Writers BT to BW.
        ("园所消防验收在哪里申请？需要先请第三方做消防检测吗？", "out_of_scope"),
        ("单位给员工交五险，企业社保开户在哪里办？", "out_of_scope"),
        ("老公名下那辆五菱面包车要过户到我名下 去哪里办", "out_of_scope"),
        ("二手房过户要去哪里办", "ask_item"),
        ("养殖场是不是要克畜牧站备案 300只要不要", "out_of_scope"),
        ("我有杆老火药枪，能不能办个持枪证拿来撵野猪", "out_of_scope"),
        ("志愿汇APP上的志愿时长怎么认证呀，敬老院的负责人不会操作", "out_of_scope"),
        ("爷爷的养老金卡被ATM吞了，银行说要本人去取", "out_of_scope"),
        ("残疾人就业保障金是哪样 我店里招了两个盲人师傅 是不是可以领一笔钱", "out_of_scope"),
        ("服务期满了想调回四川老家教书，跨省调动要走啥子程序", "out_of_scope"),
        ("法院判的时候小的判给她了 我想把抚养权要回来 起诉书咋个写", "out_of_scope"),
        ("说起来都是气，我弟弟一家过年都不来看一眼，照顾老人全落在我一个人身上", "out_of_scope"),
        ("对了，昭阳那边租个两室的房子大概好多钱一个月", "out_of_scope"),
        ("下个月哪天是好日子 我们想选个日子扯证", "out_of_scope"),
        ("领结婚证要钱吗 周末民政局开门不 想选个好日子", "ask_item"),
        ("村头评低保不公平 有关系的都评上了 我们这种真困难的倒评不上 我要告他们 找哪个", "out_of_scope"),
        ("我从批发部进的一批饮料喝起味道怪怪的，瓶子也不对头，怕是假货，找哪个部门反映", "ask_item"),
    ],
)
def test_government_help_and_documents_against_look_alikes(understander, text, intent):
    assert understander.understand(text).intent == intent


@pytest.mark.parametrize(
    "text, intent",
    [
        # Services of other offices that sound like ours (writers CC and CD), refused with where to go ...
        ("想给我们合作社的茶叶注册个商标 在哪点申请 要好久批得下来", "out_of_scope"),
        ("请问我们退役军人家门口挂的光荣牌，是统一发放还是自己去领？我家的被风吹掉了。", "out_of_scope"),
        ("退伍证搞丢了 咋个补 急急急", "out_of_scope"),
        ("兄弟18了 兵役登记咋弄", "out_of_scope"),
        ("16岁可以报名学驾照吗🚗 想以后载爷爷去医院", "out_of_scope"),
        ("县头 过年 发不发米 发不发油 去年隔壁都有我咋个莫得", "out_of_scope"),
        ("高中的助学金咋申请啊 班主任说要交贫困证明 我们家是脱贫户", "out_of_scope"),
        ("儿子在广东 想找个厂 四十几岁了还有人要不", "out_of_scope"),
        ("老师我问哈 盲人医疗按摩那个资格考试 今年好久报名 在哪点报", "out_of_scope"),
        ("成都积分入学要好多分，我们外地的娃娃读公办难不难", "out_of_scope"),
        # ... and from writers CE and CF
        ("请问现在老年人打流感疫苗是免费的吗？在哪里可以打？", "out_of_scope"),
        ("能不能帮我查一下包工头的身份证号和家住哪里 我要去找他", "out_of_scope"),
        ("学校国家助学金评选 辅导员说要填家庭困难认定表 这个是你们管吗", "out_of_scope"),
        ("期末高数挂了 补考在哪报名 要交钱吗", "out_of_scope"),
        ("ABA和地板时光哪个更适合我们家孩子？他现在7岁，有一些语言，但是不太会主动说", "out_of_scope"),
        ("火把节 今年 县上 搞不搞 在哪点 搞", "out_of_scope"),
        ("出租车审车 是一年一回还是半年一回", "ask_item"),
        # ... while the same words in a question of ours keep it.
        ("当过兵的能办那个优待证吗 要带退伍证不", "ask_item"),
        ("请保姆一个月要三千多实在请不起。想问问县社会福利院能不能收", "ask_item"),
        ("隔壁那家把我茶地的界石挪过去两尺 说了几回都不听 找哪个来评理 要不要钱", "ask_item"),
        ("生源地助学贷款咋个申请 娃娃考起大学了", "ask_item"),
    ],
)
def test_other_offices_services_against_ours(understander, text, intent):
    assert understander.understand(text).intent == intent


async def test_refusal_says_where_to_turn_and_what_the_assistant_does(server):
    resident = user(server, "o_nb_cow")
    reply = await resident.say("我家的牛这几天不吃草 你们晓得是哪样病不")
    assert "帮不上" in reply and "兽医" in reply and "政务服务" in reply and "【" not in reply, reply


async def test_a_residence_permit_is_refused_with_where_to_get_it_not_offered_household_items(server):
    resident = user(server, "o_nb_residence")
    reply = await resident.say("我户口不在昭通，在这边工作需要办居住证吗？在哪里办？")
    assert "居住证" in reply and "派出所" in reply and "96128" in reply, reply
    assert "户口" not in reply.split("。")[0] and "请回复数字" not in reply, reply


async def test_neighbouring_question_mid_conversation_is_refused_then_the_item_continues(server):
    resident = user(server, "o_nb_mid")
    assert "个体工商户注销登记" in (await resident.say("店不开了 个体执照咋个注销"))
    loan = await resident.say("对了 你晓得哪家银行做生意贷款利息低不")
    assert "帮不上" in loan and "银行" in loan and "【" not in loan, loan
    fee = await resident.say("注销要钱不")
    assert "个体工商户注销登记" in fee.splitlines()[0], fee


async def test_the_item_under_discussion_keeps_a_question_in_its_own_words(server):
    resident = user(server, "o_nb_loan")
    assert "生源地信用助学贷款" in (await resident.say("生源地助学贷款咋个办"))
    reply = await resident.say("利息哪个出")
    assert "生源地信用助学贷款" in reply.splitlines()[0] and "帮不上" not in reply, reply


def test_a_village_accountant_is_no_firms_bookkeeping(understander):
    """ "村头会计" is who collects 医保 in the village; "会计" alone is still a firm's bookkeeping."""
    u = understander.understand("娃娃的医保在外省交过 回来咋个交 村头会计说喊我们自己网上交")
    assert u.intent == "ask_item" and u.outside is None and u.result.best.code == "YB-001", (u.intent, u.outside)
    assert understander.understand("公司的会计辞职了 账找哪个做").outside.domain == "accounting"


@pytest.mark.parametrize(
    "text, code",
    [
        # The trade is the story; the question, in a clause of its own and free of it, asks a service.
        ("刚买了辆农用三轮车 平时拉猪饲料 上牌要带些啥", "GA-013"),
        ("我的小货车天天拉饲料 货车年审麻烦你们帮我代办", "GA-014"),
    ],
)
def test_a_question_apart_from_a_neighbouring_trades_story_is_answered(understander, text, code):
    u = understander.understand(text)
    assert u.intent != "out_of_scope" and u.result.best.code == code, (u.intent, u.result.matches[:3])


def test_a_neighbouring_question_with_a_story_is_still_refused(understander):
    for text in ("我家的牛不吃草了 咋个整", "猪饲料涨价了 哪家便宜点"):
        assert understander.understand(text).intent == "out_of_scope", text


def test_a_call_asking_for_codes_is_refused_even_when_it_names_a_benefit(understander):
    """ "有人打电话说帮我办高龄津贴 让我把验证码发给他" asks about the call (96110), not 高龄津贴; a bank asking for a code
    while a card is replaced is no scam call."""
    u = understander.understand("有人打电话说帮我办高龄津贴 让我把验证码发给他")
    assert u.intent == "out_of_scope" and u.outside.domain == "scams"
    assert understander.understand("社保卡丢了 银行说要验证码 咋个补").intent == "ask_item"


async def test_a_government_benefit_the_catalogue_lacks_says_where_to_ask(server):
    resident = user(server, "o_nb_childcare")
    reply = await resident.say("孙女才8个月 国家那个育儿补贴去哪点领")
    assert "帮不上" in reply and "育儿补贴" in reply and "乡镇" in reply and "【" not in reply, reply
    allowance = await resident.say("那我自己的生育津贴咋个领")
    assert "生育津贴申领" in allowance.splitlines()[0], allowance


def test_a_call_asking_for_money_first_is_a_scam_and_a_fee_question_is_not(understander):
    scam = understander.understand("有人打电话说交200块保证金就能办下来低保 是真的不")
    assert scam.intent == "out_of_scope" and scam.outside.domain == "scams"
    fee = understander.understand("补办身份证要交工本费吗")
    assert fee.intent == "ask_item" and fee.result.best.code == "GA-003"


def test_a_restaurant_that_sells_stir_fries_asks_for_its_licences(understander):
    u = understander.understand("想开个小饭馆 卖炒菜 要办哪些证")
    assert u.intent == "ask_item" and u.outside is None and u.result.best.code == "SJ-005"
