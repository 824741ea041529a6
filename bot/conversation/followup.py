"""Follow-up questions: while an item is under discussion, a message that names no other item is about it.

"要好多钱", "在外地能办不", "我儿子能帮我办不", "要登报不" name no service: they are answered from the guide
of the item under discussion (a part of it, or the FAQ entry that asks the same thing), and a question the
guide does not answer gets the guide's link and the offer of a person, never "I cannot answer that".
A message that names another item ("那低保呢", "身份证也丢了") is a new question.
"""

from __future__ import annotations

import re
from os.path import commonprefix

from bot.conversation import guide
from bot.conversation.nlu import (
    AWAY,
    CONTACT_HINT,
    GIVES_ADDRESS,
    GIVES_NUMBER,
    GOES_AWAY,
    GUIDE_FACTS,
    OTHER_WAY,
    STATUS_ASKED,
    TREATMENT,
    VISIT_COMING,
    Understanding,
    leads_by,
    normalize,
    visit_matters,
)
from bot.conversation.questions import ASKS, ASKS_IF, ASKS_WHAT, asks, asks_or_ends_yes_no, clauses
from bot.conversation.whom import relation_in
from knowledge_base.siblings import LIFE_STAGES, item_stages, message_stage

# A message naming no item by its name still starts a new question when the search finds another item
# this strongly and surely ("我想开个小卖部" after 身份证): a combined score of a clear description.
NEW_TOPIC_SCORE = 25.0
# ... but as the last test for a message naming nothing, a clearer description still: "要我自己先垫钱修不" after
# 农村危房改造 (零星医疗费用报销 scores 25.7 on 垫钱), "在镇卫生院补得不" after 预防接种证办理 (老年人体检, 25.9). Of the
# conversation turns that left the current item here on a score between 25 and 30, 18 should have stayed, 7 were right.
NAMELESS_NEW_TOPIC_SCORE = 30.0
# A word naming this many items is broad (户口, 社保); a match below this confidence is weak.
BROAD_NAMING = 6
WEAK_MATCH = 0.6
# A message naming the current item's service stays on it while the item scores at least this share of the best.
STAY_SHARE = 0.75

# Items whose names begin alike this far are kin ("残疾人证换领", "残疾人证等级变更"; not "社会保障卡…", "社会保险…").
KIN_PREFIX = 4
# ... and a kin item must match this well to take over ("照片要几张" matches 残疾人证换领's photo weakly).
KIN_SCORE = 15.0
# A best match this many times the next is far ahead of it; this many times the current item, far beyond it.
FAR_AHEAD = 2.0
FAR_BEHIND = 4.0
# A move asked for ("能迁回来不"): a service of its own, not where the asker is.
MOVES = re.compile(r"迁|转户|落户|上户")
# Money asked for ("还领得到点钱不", "能领好多钱", "有钱领没"): what a service named pays, not the current item's steps.
MONEY_ASKED = re.compile(r"(领|拿|补|发)(得到|得了|得成)?[^,，。\s]{0,3}钱|有钱(领|拿)|(费|金)(领|拿)(得到|得了|得成)")
# A question about a part of a guide this short, naming nothing, is about the item under discussion.
SHORT_ASPECT_QUESTION = 8
# The outcome of the application under discussion, opening a short question ("要是批下来能补好多钱"); not "要是评下来是
# 一级或者二级，是不是还有个照护方面的补贴？", another benefit the outcome brings.
ITS_OUTCOME = re.compile(r"^(那|要是|如果|等)?(批|办|审|认定|评)(下来|好|完|了)+")
OUTCOME_QUESTION = 16
# The errand after the current one is done ("开了之后去派出所销户 要带啥" after 死亡医学证明, "宅基地批下来以后还要办规划
# 许可证吗" after 农村宅基地申请).
NEXT_ERRAND = re.compile(r"((开|办|拿|领)(了|到|好)|(批|审|办)下来)(之后|以后|过后|后)[^,，。]{0,3}(去|再|还要|又)")
# Parts of a guide a follow-up asks about the asker's own situation.
ASKER_ASPECTS = frozenset({"remote", "agent"})
# ... and how the asker would do it: asked of the item under discussion when nothing else is named ("我能在手机上帮她
# 弄不 还是要回巧家" after 医保异地就医备案, though 资格认证's FAQ speaks of phones).
ASKER_WAYS = ASKER_ASPECTS | {"online"}
# A message opening on another matter ("还有个事", "另外", "说起社保"): what it names is a new question, not the asker's
# situation.
ANOTHER_MATTER = re.compile(
    r"^(还有|另外|另问|另有|再问|还想问|对了|顺便问|顺带问|顺便请教|再请教|说起|说到|讲起|提起)(个事|一个事|一件事|一事|一个|个|一下|下|哈)?[,，、:：\s]*"
)

# What a follow-up asks about, matched in the message and in the guide's FAQ questions alike.
CONCEPTS = {
    "agent": re.compile(r"代|委托|家属|家里人|家人|子女|儿子|女儿|亲属|亲戚|别人|他人|本人|亲自|老伴|孙|爷爷|奶奶|替"),
    "remote": re.compile(AWAY + r"|回昭通|不在本地|打工"),
    "notice": re.compile(r"登报|声明|公告"),
    "home": re.compile(r"上门|卧床|瘫痪|走不动|出不了门|下不了床|下不得床|起不来"),
    "online": re.compile(r"网上|手机|小程序|办事通|线上"),
    "photo": re.compile(r"照片|相片|照相"),
    "lost": re.compile(r"丢|掉|遗失|找不到"),
    "expired": re.compile(r"过期|到期|期满|有效期"),
    "refuses": re.compile(r"不给|不配合|不肯|不盖章|不开证明|不签字|拒绝|不承认|不认账"),
    "unresolved": re.compile(r"没用|没得用|莫得用|不管用|没解决|解决不了|还是不给|还不给"),
    "compare": re.compile(r"区别|不同|哪个好|还是.{1,6}好"),
    "deadline": re.compile(r"时间限制|期限|时限|过了多久|多久以内|超过.{0,4}(天|年|月)"),
    "death": re.compile(r"去世|过世|死亡|死了|离世|不在了|过背|(他|她|人|老伴|老人|老汉|老倌)走了"),
    # "他在毕节也交过 要转不": moving an insurance record or a record from elsewhere
    "penalty": re.compile(r"罚款|罚钱|被罚|罚不罚|会不会罚|要罚"),
    "transfer": re.compile(r"转(回|过来|过去|移|入|出|到|不|吗|么)|要转|合并|接续"),
    # "要不要重新去医院评" after 残疾人证换领: its FAQ "换证一定要重新评残吗？", not the grade-change item.
    "reassess": re.compile(r"重新.{0,4}(评|鉴定)|评残|复评|重评|再评"),
    # "他之前在那边已经垫了一万多，那个钱回来咋报" after 医保异地就医备案: its FAQ on money paid out of pocket
    "paid_self": re.compile(r"垫|自费|自己(出|掏|付)的?钱"),
    # "卖吃的是不是还要办别的许可" after 个体工商户设立登记: its FAQ "卖吃的还要办别的证吗？"
    "other_licence": re.compile(r"(别的|其他|其它|另外的?)(证|许可|手续)|还要办(别的|其他|哪)"),
    # "店名能随便取不" after 个体工商户设立登记: its FAQ on the shop's name
    "shop_name": re.compile(r"店名|名称|字号|(取|起)(个)?名"),
}
# A document asked about as a service of its own: lost, expired, to be replaced or applied for ("那户口本呢").
OWN_SERVICE = re.compile(
    r"补|换|办|申请|申领|注销|销|迁|登记|认定|上户|落户|入户|丢|掉了|遗失|找不到|过期|到期|坏了|在哪|哪里|哪点|^那.{1,10}呢"
)
# "不给签咋办", "没有咋整": what to do about a problem, not a service to do ("执照怎么办" is one).
WHAT_TO_DO = re.compile(r"(不|没|莫)[^\s,，。]{0,4}(咋|怎么|如何)(个)?(办|整|弄)(?!理)")
# ... and one asked about as a document to bring ("要不要带户口本", "是村医开的 要得不", "复印件行不行").
AS_DOCUMENT = re.compile(
    r"带|原件|复印件|有的|有了|开的|开了|做的|要得不|行不行|算不算|认不认|认可|可以不|能用|管用"
    # "户口本身份证就得了嘛？银行卡要不要", "没有房产证只有租房合同可以吗", "厂里有劳动合同"
    r"|要不要|就得|就行|就够|只有|(?<!还)有(?!没有)|可以吗|行吗|行不|认得到|认得了|算得到"
    # "要疫苗本吗", "店面是租的 租房合同要吗"; "出生证明和结婚证 还有呢": what else to bring
    r"|要(吗|不|么)[?？]*$|^要.{1,8}(吗|不|么)[?？]*$|还有(呢|吗|啥|什么|哪样|没有)"
    # ... a clause of its own: "要房产证不 我们租房子的"
    r"|^要[^\s,，。]{1,8}(吗|不|么)[?？]*[\s,，。]"
    # "出生证明还没拿到 能先上吗": a document not had yet
    r"|(还)?没(有)?(拿到|开到|领到|开出来|下来)"
    # "出生证明在医院拿的 还要啥": a document already had
    r"|拿的|拿了|拿到了|领了|领到了"
)
# A document asked about as issued ("死亡证明在哪点开", "证明还没开", "证明哪个来开", "莫得死亡证明，这个在哪开"): its own
# service.
ISSUED = re.compile(
    r"(证明|证|书)([^,，。\s]{0,6}|[,，\s]+(这个|那个|这|那)[^,，。\s]{0,4})开(?!始|车|店|门|业|户|会|票|发票|支|销)"
)
# ... or who issues it, in a clause of its own: "派出所说要个死亡的证明 他不是在医院死的 哪个开"
ISSUED_BY = re.compile(r"(哪个|谁|哪里|哪点|在哪|去哪|找哪个)(来|去)?开(?!始|车|店|门|业|户|会|票|发票|支|销)[^,，。\s]{0,3}$")
# A document someone brings ("儿子带身份证能代办不", "拿户口本来"): had in hand, so no service of its own.
CARRIED = re.compile(r"(带|拿|凭|揣)(着|上|起|了)?[^\s,，。不没莫]{0,3}?(身份证|户口本|户口簿|证件|证|本|卡)")
# Who the person is ("他是低保户 一个人住", "不是低保户的能不能减", "我们不是低保 也能申请不") and where the household
# is registered ("我们户口不在昭阳", "户口在村里"): a circumstance, not a service asked for.
STANDING = re.compile(
    r"(是|不是|属于|算|作为)(低保户|低保对象|低保(?![申咋怎在要办])|特困户|特困人员|贫困户|脱贫户|监测户|残疾人|重度残疾人?|退役军人|军属|烈属"
    r"|个体户|个体工商户"  # "我是个体户能贷多少" after 创业担保贷款
    r"|(高校)?毕业生|失业人员|就业困难人员|(返乡)?农民工|脱贫人口)"  # "毕业三年了还算高校毕业生吗" after the same
    r"|户口(还|都|也)?(不)?在(?!哪)[^,，。;；!！?？\s]{1,8}|(农村|城镇|外地|外省)户口"
    r"|(我们|我|他们|他|她|家里)(是)?租(房|的房子?)(住)?(?!合同|提取|补贴)"  # "我们租房 户口在鲁甸"
    r"|(城区|城里|县城|镇上)租(房|的房子?)的?(?!合同|提取|补贴)"  # "我户口在乡下 城区租房的能申不" after 公租房
    r"|坐轮椅的?|(瘫|躺)在床上"  # "我坐轮椅的 派出所去不了" after 身份证换领: how the person is, not a 轮椅 item
)
# A condition of the current item that names another service: one to get first ("是不是要先把营业执照办了才能申请"
# after 创业担保贷款), or which record counts ("他身份证上的年龄跟户口本上的差了一岁，按哪个算" after 高龄津贴).
CONDITION = re.compile(
    r"(先|要先|得先)把?[^,，。\s]{1,8}(办|弄|整|拿|领)(了|好|下来|到)?[^,，。\s]{0,2}(才能|才可以|才得|再)"
    r"|按哪(个|样|一个)(算|来|为准)|以哪(个|样|一个)为准"
)
# Whom to turn to about a trouble ("这个又找哪个", "该找谁").
TURNS_TO = re.compile(r"(找|问)(哪个|谁|哪里|哪点|哪个部门)")
# Getting another document besides ("卖吃的是不是还得另外办个许可证" after 个体工商户设立登记): not the current one's stage.
ANOTHER_DOCUMENT = re.compile(r"(另外|另|还得|还要)(再)?((办|申请|弄|整)(个|一个|张)?|个|一个|张)[^,，。\s]{0,4}(证|照|许可)")
# Treatment away from home ("在那边看病刷得成不"), which 异地就医 items are about.
REMOTE_CARE = re.compile(TREATMENT + r"|买药|生病|病了|医保用得|报得到|报不报|刷不刷|直接刷|做手术")
# Going elsewhere to be treated ("我下个月还要克成都装假肢"), though the message asks no part of a guide about it.
TREATED_AWAY = re.compile(GOES_AWAY + r"(看病|住院|装|做手术|开刀|拿药)")
# A word naming a document rather than a service ("户口簿", "身份证", "结婚证").
DOCUMENT = re.compile(r"(证|本|簿|卡|证明|照)$")
# Words that carry no topic of their own in a follow-up.
FILLER = re.compile(r"^(能|可以|要|需要|不|吗|嘛|呢|办|能办|可不可以|行不行|得不得|给是)$")


def about_current(
    u: Understanding, current: str | None, on_materials: bool = False, current_name: str = "", in_faq: bool = False
) -> bool:
    """Is this message a follow-up on the item under discussion (rather than a new question)?
    on_materials: the message speaks of a document the current item asks for (Understander.mentions_materials);
    current_name: that item's name; in_faq: the item's FAQ asks of the same concept (faq_concept)."""
    if not current:
        return False
    result = u.result
    top3 = [m.code for m in result.matches[:3]]
    text = normalize(u.text)
    if u.named and care_away(u, current_name):
        return False  # "我下个月还要克成都装假肢 这回咋个才能直接刷医保" after 零星医疗费用报销: treatment elsewhere
    if u.named:
        if NEXT_ERRAND.search(text) and result.plausible and result.best.code != current and result.best.code in u.named:
            return False
        if prerequisite(u, current, on_materials):
            return False  # "那个死亡证明在哪点开" after 死亡户口注销: the certificate's own service, not the police window
        if CONDITION.search(text):
            return True
        if result.plausible and result.best.code != current and applies_for(u, result.best.code):
            # "那低保咋个申请 我们家够不够" after 医疗救助 (低保 names both): applying for the other item itself
            if result.score_of(current) < STAY_SHARE * result.best.score:
                return False
        standing = _names_only_standing(u, text) and not MOVES.search(text)  # not "我们户口还在新滩 要迁不"
        if asks_of_document(u, on_materials) or standing or ASKS_IMPACT.search(text):
            return True  # ... and "他身份证过期了 有影响不" asks what it means for the current item
        if u.aspect is not None and message_stage(u.text) is None and all(current in c for c in u.naming.values()):
            return True  # "好久拿得到执照" after 农民专业合作社设立登记: every naming word names it too
        if current not in u.named:
            if (ANOTHER_MATTER.match(text) or MONEY_ASKED.search(text)) and result.plausible and result.best.code in u.named:
                # "还有她那个养老钱 听讲人走了能领一笔" after 死亡户口注销, and "他交过农村养老保险嘞 还领得到点钱不" after
                # 死亡医学证明: another matter opened, or money asked of the service named
                return False
            # A broad word (户口 names nine items) in a question about a part of the guide is the asker's
            # circumstance ("要带啥 我们户口不在一起", "我老公户口在浙江 在昭通能办不"), unless it matches another item well.
            # A statement with no service verb is a circumstance too ("她户口在务基，人跟我们住在县城").
            asking = u.aspect is not None or ASKS_IF.search(text) is not None or not OWN_SERVICE.search(text)
            # Where the asker is ("女方户口在外省 四川的 也在鲁甸办得到不") stays whatever the match, unless a move
            # is asked for ("我户口在外地 能迁回来不").
            # ... but not "那期间的养老资格认证，人在外地又当如何": 资格认证 far ahead of any other item.
            far_ahead = u.result.confident and leads_by(u.result, FAR_AHEAD)
            only_broad = all(len(codes) >= BROAD_NAMING for codes in u.naming.values())
            own_situation = u.aspect in ASKER_ASPECTS and only_broad and not MOVES.search(text) and not far_ahead
            # ... nor when, asking no part of a guide, a narrow word names the best match, which is sure ("…人走了，
            # 听说还有一笔丧葬费，是不是" after 死亡户口注销: 养老 names ten items, 丧葬 two); "好久拿得到 我每个月要靠它
            # 取养老金的" after 社会保障卡补换 asks its time limit.
            # A document ("户口本在奶奶那儿 复印件行不" after 结婚登记) is one the current item may ask for.
            narrowly_named = result.confident and named_apart(u, result.best.code, current, narrowly=True, services_only=True)
            if narrowly_named and u.aspect is None and not own_situation:
                return False
            # ... nor a new trouble a sure match describes, the current item has no word of, and whose own place to turn
            # is asked ("公司还欠他两个月工资没发 这个又找哪个" after 工伤认定: 公司 names nine items, 劳动保障监察 fits).
            if (
                u.aspect is None
                and result.confident
                and result.best.score >= NEW_TOPIC_SCORE
                and not result.score_of(current)
                and TURNS_TO.search(text)
            ):
                return False
            return len(u.named) >= BROAD_NAMING and asking and (u.confidence < WEAK_MATCH or own_situation)
        # Names the current item's service too, but names a better-fitting item by a word of its own: "上完户口
        # 医保也能一起办吗" after 出生登记 (户口 names both, 医保 only the 医保 items); not "体检呢" after 驾驶证换证.
        if result.plausible and (best := result.best.code) != current:
            if named_apart(u, best, current) and not named_apart(u, current, best, narrowly=True):
                return False
        # Names the current item's service too: stays on it unless another item fits the message clearly
        # better ("身份证丢了怎么补" after 身份证换领; not "出生证明还没拿到 能上不" after 出生登记).
        if result.confident and result.best.code != current:
            if _step_of_current(u, result.best, current, current_name):
                return True  # "体检在哪点做" after 驾驶证换证: its medical check, not the free check-up for the elderly
            return result.score_of(current) >= STAY_SHARE * result.best.score
        return True
    # Names nothing: about the current item, unless it clearly describes another one; one opening on another matter
    # and describing it clearly is a new question ("还有他去年在昆明住院自己垫的那笔钱 还报得回来不" after 门诊慢特病).
    if ANOTHER_MATTER.match(text) and result.confident and result.best.code != current:
        return False
    # Where the asker is, how and who would go are asked of the current item, whatever else the words match ("在外地能
    # 办不 我回老家了"), and so is a document it asks for ("他没得劳动合同，认得到不" after 工伤认定).
    if care_away(u, current_name):
        return False  # "老公在广东跑车 在那边看病刷得成不" after 医保参保: care away from home is a service of its own
    if u.aspect in ASKER_WAYS or asks_of_document(u, on_materials) or in_faq or u.plain_aspect:
        return True  # ... and so is what its FAQ answers ("老板不给盖章咋整" after 工伤认定: 单位不给申请工伤怎么办)
    if ASKS_BENEFIT.search(text):
        return True  # "办下来有没有补贴" after 残疾人证办理: what comes with it (the related items are offered)
    if STANDING.search(u.words_text or u.text) and not MOVES.search(u.text):
        return True  # "毕业三年了还算高校毕业生吗" after 创业担保贷款: who the asker is, whatever item such people ask of
    if u.aspect is not None and (
        len(text) <= SHORT_ASPECT_QUESTION or (len(text) <= OUTCOME_QUESTION and ITS_OUTCOME.match(text))
    ):
        return True  # "要多久批下来", "手机上能领不": a part of this guide, though wording of another item matches it
    # "他现在更严重了 能不能改高一级" after 残疾人证换领: a sibling of the current item far ahead of it.
    best = result.best
    if result.plausible and best.code != current and kin(best.name, current_name):
        if result.score_of(current) * FAR_BEHIND < best.score and best.score >= KIN_SCORE:
            return False
    # "我的是丢了，不是坏了" after 残疾人证补办: where the current item's card is in its life, not another item; but
    # "打疫苗的本本丢了" after 户口迁移 is another document's life.
    if message_stage(u.text) is not None and item_stages(current_name) & LIFE_STAGES and not ANOTHER_DOCUMENT.search(text):
        return True
    # "对了车子也要年审了 一起整得不" after 驾驶证换证: the other item far ahead, though the current one ranks third.
    # ... not when it asks for another document ("起房子还要办别的证不" after 农村宅基地申请).
    enough = NEW_TOPIC_SCORE if ANOTHER_DOCUMENT.search(text) else NAMELESS_NEW_TOPIC_SCORE
    if not (result.confident and result.best.score >= enough):
        return True
    return current in top3 and result.score_of(current) * FAR_BEHIND >= result.best.score


# The words of a request to book.
REQUEST_WORDS = re.compile(r"代办|上门|帮忙|帮我|预约|来家|到家|派人")
# A clause saying where something is or who someone is ("合作社在白鹤滩镇", "我姓陈"), or offering a detail
# ("她身份证号我发给你").
SAYS_WHERE_OR_WHO = re.compile(
    r"在|住|姓|叫|(证号|号码|电话|照片|复印件)[^,，。]{0,6}(发|给|拍|传|有|带)"
    # ... or which papers are ready: "发票那些我都准备好了", "身份证我拿给村头"
    r"|准备好|备齐|备好|拿给|交给|带(上|起|着)"
    # ... or handed over, photographed: "我把她的身份证社保卡交出来", "身份证我有拍照的"
    r"|交出来|拿出来|拍(了|好|的|照)"
)


def prerequisite(u: Understanding, current: str | None, on_materials: bool) -> str | None:
    """The item issuing a document the current item asks for, when the message asks where or how that document is
    issued and that item matches far ahead ("死亡证明还没开 先去哪" after 死亡户口注销: the death certificate)."""
    result = u.result
    if not (current and u.named and on_materials and result.confident) or result.best.code == current:
        return None
    text = normalize(u.text)
    if ISSUED_BY.search(text):
        return result.best.code  # who issues the document is asked outright: the issuing item, first, is the answer
    return result.best.code if ISSUED.search(text) and _far_beyond(result, current) else None


def _far_beyond(result, current: str) -> bool:
    """Does the best match score FAR_AHEAD times the current item or more?"""
    return result.best.code != current and result.score_of(current) * FAR_AHEAD <= result.best.score


def care_away(u: Understanding, current_name: str) -> str | None:
    """The item about treatment elsewhere (异地就医备案) that a question of being treated away from home ranks first,
    while the item under discussion is not about being elsewhere ("在那边看病刷得成不" after 医保参保)."""
    best = u.result.best
    text = normalize(u.text)
    if not (u.aspect == "remote" or TREATED_AWAY.search(text)) or best is None or not REMOTE_CARE.search(text):
        return None
    return best.code if "异地" in best.name and "异地" not in current_name else None


def kin(name: str, other: str) -> bool:
    """Do two items' names begin alike (KIN_PREFIX characters)?"""
    return len(commonprefix([name, other])) >= KIN_PREFIX


def books_by_name(u: Understanding, current_name: str) -> bool:
    """Does a booking request name by its name another item than the one under discussion ("残疾证能上门办吗" after
    重度残疾人护理补贴申领: 残疾人证 is in 残疾人证办理's name, only in the subsidy's aliases)?"""
    best = u.result.best
    if not (u.result.plausible and current_name) or best.name == current_name:
        return False
    if STANDING.search(normalize(u.text)):
        return False  # "户主是残疾人，腿不好，能上门看不": who the person is, not what to book
    return any(len(w) >= 3 and w in best.name and w not in current_name for w in u.naming)


def request_names_nothing(text: str, named_in) -> bool:
    """Does the clause asking us to book name no item, while the other parts name items only in passing
    ("那麻烦你们帮忙代办，合作社在白鹤滩镇，我姓陈"), not as a service asked for ("身份证丢了，帮我代办",
    "另，今年养老金资格认证，烦请派员上门办理")?
    named_in: the item index's `named`."""
    parts = clauses(normalize(text))
    requests = [c for c in parts if REQUEST_WORDS.search(c)]
    if not requests or any(named_in(c) for c in requests):
        return False
    passing = [c for c in parts if c not in requests and named_in(c)]
    return all(SAYS_WHERE_OR_WHO.search(c) and not OWN_SERVICE.search(c) for c in passing)


# Papers on their way ("送材料过来", "拿过来"): a plan, not a question; also no day wanted (bookings/volunteered.py).
PAPERS_COMING = r"(送|拿|带|交)(材料|资料|东西)?(过来|过去|来)"
# Saying when the papers will come ("我后天上午把材料送过来", "明天他侄儿送材料过来").
# ... and "明天上午我拿身份证过来": a document named on its way.
BRINGS_PAPERS = re.compile(
    PAPERS_COMING + r"|把(材料|资料).{0,6}(送|拿|带|交)|(送|拿|带|交)(上)?[\u4e00-\u9fff]{1,5}?(证|本|卡)(过来|过去|来)"
)
# Intents the classifier alone must be sure of before a message leaves a form.
UNSURE_LEAVERS = frozenset({"query_progress", "rate_service"})
SURE_TO_LEAVE = 0.9


def gives_details(text: str) -> bool:
    """Does the message give a phone number (whole or partly hidden) or an address, as a form's steps ask?"""
    return GIVES_NUMBER.search(text) is not None or GIVES_ADDRESS.search(normalize(text)) is not None


def gives_note(text: str) -> bool:
    """Does the message say whom staff should call or when someone is home, asking nothing (a note for staff that a
    booking form keeps: bot/bookings/volunteered.py)?"""
    return CONTACT_HINT.search(text) is not None and not ASKS.search(text)


# Intents that are never an answer to a form's numbered question.
NOT_FORM_ANSWERS = frozenset({"thanks", "greeting", "human_agent", "query_progress", "rate_service", "out_of_scope"})
DIGIT = re.compile(r"[0-9]")
# The number of a numbered choice ("1", "选2"); "她87了" is no choice.
CHOICE_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9](?![0-9A-Za-z])")  # not the 3 of "好的3q"


def leaves_form(u: Understanding, form: dict) -> bool:
    """Does a message sent while a form waits for a numbered choice (or for a typed value, and asks something) leave
    the form? Thanks, greetings, an off-topic remark, a question naming a service or asking about one, or booking another
    item do."""
    if CHOICE_NUMBER.search(u.text) or gives_details(u.text):
        return False  # "电话打我的就得 158xxxx3307": kept for its step, or asked for again whole
    if gives_note(u.text):
        return False  # "电话打我孙子的他叫小龙": a note for staff, kept; the form asks its question again
    if BRINGS_PAPERS.search(u.text) and not ASKS.search(u.text):
        return False  # "我后天上午把材料送过来": a plan, not a question; the form asks its question again
    if relation_in(u.text) and not u.named and u.aspect is None and u.intent in ("ask_item", "out_of_scope"):
        return False  # "给我妈办 可以不" at "给谁办": whom it is for, answered however it ends
    if u.intent in UNSURE_LEAVERS and u.rule != u.intent and u.sure < SURE_TO_LEAVE and not ASKS.search(u.text):
        return False  # a remark the model half reads as a progress question or a rating; "好久能来" asks
    if u.intent in NOT_FORM_ANSWERS:
        # "要带啥 鉴定去哪家医院" asks a part of a guide though it matched no item well.
        return u.intent != "out_of_scope" or u.guess == "out_of_scope" or u.aspect is not None
    item = (form.get("data") or {}).get("item")
    if u.intent == "ask_item":
        # "还有她在昭通住院自己垫的钱咋个报": a question that fits another item surely, though it names none.
        # "对了车子也要年审了 一起整得不" asks yes or no.
        # ... and a question of no one in particular ("病历在县医院，复印件行不" at "给谁办") answers no choice either.
        text = normalize(u.text)
        # ... in any clause ("办了证有钱拿不 还是就一个本本")
        yes_no = asks_or_ends_yes_no(text) or any(asks_or_ends_yes_no(c) for c in clauses(text))
        asks_of_noone = yes_no and not (relation_in(u.text) or SOMEONE.search(u.text))
        return (
            bool(u.named and item not in u.named)
            or names_better(u, item)
            or u.aspect is not None
            or asks_other(u, item)
            or asks_of_noone
        )
    # Booking another item it names ("还有他的社保卡也顺便问问，是不是也能上门补" while booking 身份证换领).
    return books_other(u, item)


# Someone a choice may be about ("他85了 算不算"): the answer to the form's question, however it is worded.
SOMEONE = re.compile(r"[他她]|自己|本人|给我|帮我|我的")


def books_other(u: Understanding, item: str | None) -> bool:
    """Does a message name, and match, another item than the form's?"""
    names_other = bool(u.named) and item not in u.named
    return names_other and (u.result.confident or (u.result.plausible and u.result.best.code in u.named))


# A service word followed by how to apply for it ("低保怎么申请", "护理补贴咋个办").
APPLYING = r"(要|该|得)?(怎么|如何|咋)?(申请|办理|申领|办)"


def applies_for(u: Understanding, code: str) -> bool:
    """Does the message ask how to apply for the service a word of it names (one naming `code`)?"""
    said = u.words_text or normalize(u.text)
    return any(code in codes and re.search(re.escape(w) + APPLYING, said) for w, codes in u.naming.items())


def _step_of_current(u: Understanding, best, current: str, current_name: str) -> bool:
    """Is every word naming the better match a narrow word (体检) of that item's name which names the current item
    too, though not by its name: a step or document of the current item (驾驶证换证's 体检) rather than the other
    service (65岁及以上老年人免费健康体检)?"""
    words = [(w, codes) for w, codes in u.naming.items() if best.code in codes]
    if any(best.name in said for said in (u.words_text, u.text) if said):
        return False  # "我们的食品经营许可证会不会被吊销" after 消费者投诉举报: the other item by its whole name
    return bool(current_name and words) and all(
        current in codes and len(codes) < BROAD_NAMING and w in best.name and w not in current_name for w, codes in words
    )


def _names_only_standing(u: Understanding, text: str) -> bool:
    """Do the words naming items all stand in what the message says the person is ("他是低保户", "我是个体户")?
    Read in the text the words were found in (synonyms made standard), else as written; a word not in the text
    read (户口簿 from 户口) is a synonym of one that is, and counts only when it contains none of them."""
    for said in dict.fromkeys((u.words_text or text, text)):
        rest = STANDING.sub(" ", said)
        held = [w for w in u.naming if w in said]
        expanded = [w for w in u.naming if w not in said and not any(h in w for h in held)]
        if rest != said and not expanded and not any(w in rest for w in held):
            return True
    return False


def named_apart(u: Understanding, code: str, other: str, narrowly: bool = False, services_only: bool = False) -> bool:
    """Does a word of the message name `code` without naming `other` (with `narrowly`: a word naming few items,
    "食品许可" rather than "户口"; with `services_only`: a word that is no document's, not "户口簿")?"""
    return any(
        code in codes
        and other not in codes
        and not (narrowly and len(codes) >= BROAD_NAMING)
        and not (services_only and DOCUMENT.search(word))
        for word, codes in u.naming.items()
    )


def pointed_to(state: dict, result) -> str | None:
    """The item the previous answer quoted (Assistant.remember_pointed), when this message's words fit it among their
    first three: "那个医生能来屋头开不" after an answer naming 《居民死亡医学证明（推断）书》."""
    pointed = state.get("pointed") or ()
    return next((m.code for m in result.matches[:3] if m.code in pointed), None)


def earlier_named(
    u: Understanding, state: dict, current: str | None, current_name: str = "", booking: bool = False
) -> str | None:
    """The one item discussed before the current one that this message names, when it does not name the current
    one: "执照那个还是找你们代办吧" after 食品经营许可, with 营业执照 asked first; or, naming no item, that a word of
    its name (not of the current one's) stands in the message: "许可证那个能帮我代办不" after 健康证明. A booking
    request (`booking`) may name the current one too, by words standing in the earlier item's name only."""
    earlier = state.get("earlier") or ()
    if not earlier:
        return None
    if current and current in u.named:
        # "算了执照那个还是麻烦你们代办员帮我弄" after 税务登记, with 营业执照变更登记 asked first: 执照 names both, but
        # stands in the earlier item's name only, and that item matches best. Only for a booking: a question
        # ("户口那个要带啥" after 出生登记) is asked of the item under discussion, which many words name.
        words = [w for w, codes in u.naming.items() if current in codes]
        if not booking or not u.result.plausible or any(w in current_name for w in words):
            return None
        best = u.result.best
        return best.code if best.code in earlier and all(w in best.name for w in words) else None
    if u.named:
        named = [c for c in earlier if c in u.named]
    else:
        top3 = [m.code for m in u.result.matches[:3]]
        named = [m.code for m in u.result.matches[:3] if m.code in earlier and _named_by_term(u, m.name, current_name)]
        if not named and u.result.confident and u.result.best.code in earlier and current not in top3:
            named = [u.result.best.code]  # "野猪那个我帮他约代办嘛" after 自然灾害救助, with 野生动物致害补偿 asked first
    if len(named) != 1 or (u.result.confident and u.result.best.code != named[0]):
        return None  # not "收割机那个驾驶证在哪点考" (农机驾驶证, clearly) after 驾驶证换证 was asked before
    return named[0]


# "有哪样补贴": asks which kinds there are, naming none.
WHICH_KIND = re.compile(r"(哪样|哪些|什么|啥子?|哪几样?|哪种)的?$")


def _named_by_term(u: Understanding, name: str, other_name: str) -> bool:
    """Does a word of the message that can identify an item (two characters or more) stand in `name` only, and not
    after a "which" ("办了以后有哪样补贴")?"""
    text = u.words_text or normalize(u.text)
    return any(
        len(t) >= 2 and t in name and t not in other_name and t in text and not WHICH_KIND.search(text[: text.index(t)])
        for t in u.result.terms
    )


def fits_better(result, code: str, other: str | None) -> bool:
    """Does the message match `code` better than `other` (not matched at all counts as nothing)?"""
    return result.score_of(code) > result.score_of(other)


def named_beyond_standing(u: Understanding, code: str, other: str) -> bool:
    """Does a word naming `code` but not `other` stand outside what the message says the person is? "上完户口医保也要交吧"
    (医保), not "一级残疾 但不是低保户 领得到不" (低保户 is who the asker is)."""
    rest = STANDING.sub(" ", u.words_text or u.text)
    return any(code in codes and other not in codes and w in rest for w, codes in u.naming.items())


# Which papers to bring, asked in general ("要哪些东西", "带些啥子"), not whether one document is needed ("要先办那个就业
# 创业证吗" asks for another service).
LISTS_PAPERS = re.compile(r"(要|带|准备|需要)(些)?(哪些|啥子?|什么|哪样)(东西|材料|资料|证件)?")
# Whether to bring a paper ("户口本要带不", "要不要带身份证").
BRING_ASKED = re.compile(r"要带(不|吗|么|没)|带不带|要不要带")


def asks_of_document(u: Understanding, on_materials: bool) -> bool:
    """ "要不要带户口本", "死亡证明是村医开的 要得不": a document the current item asks for (on_materials), though
    another item is named by it; "社保卡也找不到了 能补一张吗" asks for that other service."""
    text = normalize(u.text)
    if on_materials and (CARRIED.search(text) or CARRIED.search(u.words_text)):  # "拿她sfz帮她办": 身份证 in words
        return True  # "他老婆拿身份证来能帮他补不" after 社会保障卡补换: the ID is had and brought, the card is replaced
    papers = [w for w in u.naming if DOCUMENT.search(w)]  # 身份证, 户口簿 (and 户口 within it)
    if on_materials and LISTS_PAPERS.search(text) and all(any(w in p for p in papers) for w in u.naming):
        return True  # "要哪些东西 身份证户口本 还要他本人的卡吧" after 高龄津贴: its papers, listed as the asker guesses them
    # "要带啥材料啊 户口本要不要" after 无犯罪记录证明: its own list asked for, an everyday paper guessed on it, though
    # the item does not ask for it (the list answers).
    asks_list = u.aspect == "materials" and (LISTS_PAPERS.search(text) or BRING_ASKED.search(text))
    if asks_list and papers and all(any(w in p for p in papers) for w in u.naming) and not OWN_SERVICE.search(text):
        return True
    # "要租房合同吗 房东不给签咋办": what to do if it cannot be had is no other service asked for.
    return on_materials and AS_DOCUMENT.search(text) is not None and not OWN_SERVICE.search(WHAT_TO_DO.sub(" ", text))


def asks_other(u: Understanding, item: str | None) -> bool:
    """Is the message a question that fits another item than the booked one, though it may name none?
    "还有她在昭通住院自己垫的钱咋个报" fits one surely; "办了以后有哪样补贴" and "还有 她想砍几棵树修猪圈 要办证不"
    fit others plausibly and the booked item not at all."""
    text = normalize(u.text)
    if not (u.result.plausible and u.result.best.code != item) or (u.aspect is not None and not u.named):
        return False  # "多久能拿到", "上门要收费吗": a part of the booked item's guide
    if not asks(text):
        return False
    return u.result.confident or item not in [m.code for m in u.result.matches[:3]]


def names_better(u: Understanding, item: str | None, on_materials: bool = False) -> bool:
    """Does a question asked during a booking name another item that fits it clearly better than the booked one?
    "对了 他还能申请重度残疾人护理补贴吗" while booking 残疾人证换领 (残疾 names both, the question is the other);
    "那户口上好了医保是不是也要马上交" while booking 出生登记 (户口 names both, 医保 items fit far better); not
    "要带户口本不" while booking 高龄津贴 (a document it asks for)."""
    best = u.result.best
    if not (u.result.plausible and best.code != item and best.code in u.named) or asks_of_document(u, on_materials):
        return False
    return u.result.confident or u.result.score_of(item) < STAY_SHARE * best.score


# Courtesies and questions that are never a name typed at the form's name question.
NOT_NAMES = frozenset({"thanks", "greeting", "query_progress", "rate_service"})
# A name may hold a service word (周低保 is a name); a longer message naming a service is a question.
NAME_CHARS = 4


def leaves_name_step(u: Understanding, form: dict) -> bool:
    """Does a message sent at the form's name question ("请输入办事人的姓名") leave the form? Thanks, a greeting,
    a question about a part of a guide ("多久能拿到", "要带啥"), about a named service or a neighbouring domain do;
    the form stays open for anything else, which its own check accepts as a name or asks again."""
    text = normalize(u.text)
    if DIGIT.search(u.text) and not (u.intent == "ask_item" and u.named and asks_or_ends_yes_no(text)):
        return False  # ... but "我爹也在屋头 84了 高龄补贴他领得到不" asks about a service, an age in passing
    if BRINGS_PAPERS.search(text) and not ASKS.search(text):
        return False  # "明天上午我拿身份证过来": a plan; the form asks its question again
    if u.intent in NOT_NAMES or u.aspect is not None or u.outside is not None:
        return True
    if u.intent == "out_of_scope":
        return u.guess == "out_of_scope" and u.sure >= 0.9 and len(text) > NAME_CHARS
    if u.intent in ("book_proxy", "book_home_visit") and len(text) > NAME_CHARS:
        # "顺便那个老年人免费体检 也一起上门来搞了嘛" while booking 高龄津贴: another item booked, no name
        return books_other(u, (form.get("data") or {}).get("item"))
    # "我老汉明年满八十 是不是还有个补贴": a name is never a question.
    return u.intent == "ask_item" and (bool(u.named) or asks(text)) and len(text) > NAME_CHARS


# Messages that never name the service a form asks for ("请问要办什么事？"): "要得 谢谢" is no item.
NOT_ITEMS = frozenset({"thanks", "greeting", "query_progress", "rate_service", "cancel_booking"})


def leaves_item_step(u: Understanding, form: dict) -> bool:
    """Does a message sent at the form's item question leave the form? Courtesies, progress questions, ratings
    and neighbouring domains do; anything else (a number picked from its list, a service) is read as the service."""
    if DIGIT.search(u.text):
        return False
    # ... and so does a question that names no service ("大概多久到账", "去哪看"): asked of the item under discussion
    # or refused, not read as the service to book.
    asks_no_service = not u.named and (u.aspect is not None or asks(normalize(u.text)))
    return u.intent in NOT_ITEMS or u.outside is not None or asks_no_service


# Whether something the asker mentions matters to the item under discussion ("他身份证过期了 有影响不").
ASKS_IMPACT = re.compile(r"有(没有|莫得|没得)?影响|受(不受)?影响|影响(不|吗|么|领|办|到)")
# Asking whether something must be cancelled, of the item under discussion, not cancelling a booking.
ASKS_NEEDED_CANCEL = re.compile(r"(要|需要|还要|得|用)(取消|注销|撤销)(不|吗|么|没)|(要不要|需不需要|用不用)(取消|注销|撤销)")


def intent_in_context(u: Understanding, current: str | None) -> str:
    """The message's intent given the item under discussion: "多久能拿到" after a question about an item asks
    for that item's time limit, not where the asker's own booking stands."""
    if u.intent == "cancel_booking" and u.rule is None and current:
        text = normalize(u.text)
        if ASKS_NEEDED_CANCEL.search(text):
            return "ask_item"  # "那回来以后还要取消不" after 异地就医备案: whether the 备案 must be cancelled
        if u.aspect in GUIDE_FACTS and asks(text):
            return "ask_item"  # "那我自己去 县上哪个部门": going in person, and asking where
    if u.intent in ("ask_item", "out_of_scope") and u.aspect == "time" and not u.named and current:
        if re.search(VISIT_COMING, normalize(u.text)):
            return "query_progress"  # "大概几天能来 我好提前跟奶奶说": the booked visit, else the item's time limit
    if u.intent == "query_progress" and u.aspect in GUIDE_FACTS and about_current(u, current):
        if u.aspect == "time":  # ... unless it asks where its own case stands ("好久能来", "批下来了没", "大概几号能来")
            text = normalize(u.text)
            return u.intent if STATUS_ASKED.search(text) or re.search(VISIT_COMING, text) else "ask_item"
        if u.rule is None:  # "那材料交到哪点嘛 村委会还是镇上": the model alone reads progress into it
            return "ask_item"
    return u.intent


def _content_words(lexicon, text: str) -> set[str]:
    words = lexicon.words(lexicon.normalize(text))
    return {w for w in words if len(w) >= 2 and w not in lexicon.generic and not FILLER.match(w)}


def _concepts_in(text: str) -> set[str]:
    return {name for name, pattern in CONCEPTS.items() if pattern.search(text)}


def faq_concept(item: dict, text: str) -> bool:
    """Does one of the item's FAQ questions share a concept with the message ("老板不给盖章咋整" and
    "单位不给申请工伤怎么办？" both say someone refuses)? Shared words alone are too weak to keep a conversation."""
    concepts = _concepts_in(text)
    return any(CONCEPTS[c].search(qa["q"]) for qa in item.get("faq", []) for c in concepts)


# A new question's FAQ match this strong answers it better than the part of the guide its words ask for
# ("…他过世了丧葬费找哪里领": the FAQ on a death, not the pension item's address).
STRONG_FAQ = 3


def faq_entry(item: dict, text: str, lexicon, least: int = 2) -> dict | None:
    """The FAQ entry of the item that asks what the message asks: shared concepts weigh two, shared
    content words one; at least `least` in all. Ties go to the earlier entry."""
    # What the item's name says (死亡 of 居民死亡医学证明…签发, and 死亡证 within 死亡证明) tells no entry from another.
    concepts = _concepts_in(text) - _concepts_in(item["name"])
    name_words = _content_words(lexicon, item["name"]) | {a for a in item.get("aliases", []) if len(a) <= 4}
    words = {w for w in _content_words(lexicon, text) if not any(w in n for n in name_words)}
    best, best_score = None, least - 1
    for qa in item.get("faq", []):
        q = qa["q"]
        score = 2 * sum(1 for c in concepts if CONCEPTS[c].search(q))
        score += len(words & _content_words(lexicon, q))
        if score > best_score:
            best, best_score = qa, score
    return best


# A step of the item the person cannot take ("她用的是老年机，刷不了脸", "表格我填不来"): asked without a question mark,
# answered like a question.
CANNOT = re.compile(r"[\u4e00-\u9fff]不(了|来|成)(?!多少|几)|不会(弄|用|刷|操作|填|写|整)|没(有)?(办法|法子)")
# "这又需要另办哪项手续", "起房子还要办别的证不": another procedure than the item under discussion, which its guide
# does not describe; the items it may be are offered instead.
# The person cannot go to the window ("我坐轮椅的 派出所去不了", "她下不了床"): what the centre can do instead.
CANNOT_GO = re.compile(r"(去|来|走|跑)(不了|不到|不得|不成|不动)|出不(了|得)门|下不(了|得)床|起不来|动不了")
OTHER_PROCEDURE = re.compile(r"(别的|其他|其它|另外的?)(证|手续|事项)|另(外)?(要|需要)?办(哪|什么|啥|别)|还要办(别的|其他|哪)")
# "办了以后有补贴不": whether some benefit comes with the item, which other items pay.
ASKS_BENEFIT = re.compile(r"有(没有|没得|莫得)?[^,，。\s]{0,3}(补贴|补助|好处|优惠|待遇)(不|吗|么|没|没得|莫得|[?？]|$)")
# Related items offered when the guide does not answer: at most this many, each matching the message alone this well.
RELATED_MAX = 3
RELATED_SCORE = 8.0
# ... and scoring, with the item's name as context, at least this share of the first of them.
RELATED_SHARE = 0.6


def related(index, item: dict, text: str) -> list[str]:
    """Items a follow-up the guide does not answer may be about instead ("办了以后有哪样补贴" after 残疾人证办理:
    the disability subsidies): ranked first with the item's name as context, and ranked by the message alone too.
    Only a question asking what or which, or for another way ("报了还是出了三万多 还有别的办法没得"), looks beyond
    the item ("她户口在大姐家 能领不" asks about it)."""
    norm = normalize(text)
    if not (ASKS_WHAT.search(norm) or OTHER_WAY.search(norm) or OTHER_PROCEDURE.search(norm) or ASKS_BENEFIT.search(norm)):
        return []
    alone = {m.code for m in index.search(text).matches if m.score >= RELATED_SCORE}
    in_context = [m for m in index.search(f"{item['name']} {text}").matches if m.code != item["code"]]
    if not in_context:
        return []
    least = RELATED_SHARE * in_context[0].score
    return [m.code for m in in_context if m.code in alone and m.score >= least][:RELATED_MAX]


def answer(item: dict, u: Understanding, lexicon, guide_url: str, on_materials: bool = False) -> str | None:
    """The answer to a follow-up from the item's guide, or None when the guide does not hold it.
    on_materials: the message speaks of a document the item asks for (Understander.mentions_materials)."""
    entry = faq_entry(item, u.text, lexicon)
    if OTHER_PROCEDURE.search(normalize(u.text)):
        # Not this item's steps: the related items are offered, unless its FAQ speaks of the other licences
        # ("卖吃的还要办别的证吗？" of 个体工商户设立登记).
        speaks_of_others = entry is not None and CONCEPTS["other_licence"].search(entry["q"])
        return guide.faq_answer(item, entry, guide_url) if speaks_of_others else None
    if u.aspect is None and entry is None and CANNOT_GO.search(u.text) and (item.get("home_visit") or item.get("proxy")):
        return guide.without_going(item, guide_url)
    if u.aspect in GUIDE_FACTS or (u.aspect and entry is None):
        return guide.section(item, u.aspect, guide_url, visit=visit_matters(u.text))
    if entry is not None:
        return guide.faq_answer(item, entry, guide_url)
    if asks_of_document(u, on_materials):
        return guide.section(item, "materials", guide_url)  # "需要先有营业执照吗": it is on the list
    return None


# An unsure match that the message names by a service word is answered (or booked) when it scores this much above the
# next.
NAMED_LEAD = 1.2


def named_best(u) -> str | None:
    """The item a message names by its service word that also ranks clearly first, or the only item it names."""
    if len(u.named) == 1:
        return next(iter(u.named))
    matches = u.result.matches
    if matches and matches[0].code in u.named:
        second = matches[1].score if len(matches) > 1 else 0.0
        if matches[0].score >= NAMED_LEAD * second:
            return matches[0].code
    return None
