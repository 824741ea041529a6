"""Understanding one message: intent (rules from intents.yaml), the service items it is about, and which
part of a guide it asks for (materials, time limit, place ...)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from bot.conversation.classifier import IntentClassifier, example_texts, shared_classifier
from bot.conversation.neighbours import Neighbour, Neighbours, item_text, shared_neighbours
from bot.conversation.pinyin import PinyinReader, has_pinyin, shared_reader, spell_initials
from bot.conversation.questions import ASKS, ASKS_EITHER, ASKS_IF, asks, asks_or_ends_yes_no, clauses
from bot.conversation.rereading import Rereading, how_it_went, own_case, shared_rereading
from bot.conversation.stories import (
    BOOKED_BEFORE,
    CHECK_ASKED,
    HOW_TO_GO_ON,
    MINE,
    OVERDUE,
    WHERE_STUCK,
    handed_in_or_overdue,
    overdue,
    still_waiting,
    tells_case,
)
from knowledge_base.index import ItemIndex, Result
from knowledge_base.siblings import OUTSIDE
from knowledge_base.text import CJK, local_speech
from knowledge_base.yamlfile import read_yaml

INTENTS = (
    "ask_item",
    "book_proxy",
    "book_home_visit",
    "query_progress",
    "cancel_booking",
    "human_agent",
    "rate_service",
    "greeting",
    "thanks",
    "out_of_scope",
)

# Being away from home, in a message and in a guide's FAQ alike ("人在外地", "回不来"); the "remote" part of a guide.
AWAY = "外地|异地|外省|省外|跨省|回不来"
# Going to a place outside 昭通 ("克宁波", "去成都华西"), before what the asker will do there.
GOES_AWAY = r"(去|克|到)(" + OUTSIDE + r")[^,，。]{0,4}"
# Family members who may do an errand for someone: in the "agent" part of a guide and in FAMILY_AGENT.
FAMILY = (
    "儿子|女儿|子女|家里人|家人|家属|亲戚|亲属|老伴|孙子|孙女|媳妇|儿媳|女婿|老公|老婆|丈夫|妻子|爱人|兄弟|姐妹|哥哥|姐姐|"
    "弟弟|妹妹|爷爷|奶奶|外公|外婆|我妈|我爸|妈妈|爸爸|父母|侄子|侄儿|侄女|外甥|祖父|祖母"
)
# "帮我们网格王家老奶奶代办一下高龄津贴", "孙子的医保帮我代办": the family member is who it is for, not who goes.
FOR_FAMILY_REQUEST = re.compile(r"帮.{0,10}(" + FAMILY + r")[^,，。]{0,4}(代办|办一下)|(" + FAMILY + r")的.{0,8}帮(我|我们)")
# Which part of a service guide a message asks for. Order matters: the first match wins.
ASPECTS: list[tuple[str, re.Pattern]] = [
    # "那材料交到哪点嘛 村委会还是镇上": where to hand them in, before what they are.
    ("location", re.compile(r"(交|送|递)(到|给|去)?(哪里|哪儿|哪点|哪个地方|哪个部门|哪)(?!些|样|几)|拿(到|去)(哪里|哪儿|哪点)")),
    # "要不要医院那个证明": whether a document is needed.
    (
        "materials",
        re.compile(
            # not papers someone brings ("喊屋头老汉拿起材料克", "我后天把材料送过来", "材料我让孙子送来")
            r"(?<!拿起)(?<!拿着)(?<!带起)(?<!带着)(?<!把)(?<!送)材料(?![^,，。?？]{0,8}(送|拿|带|寄)(来|过来|起来|回来|回去))|资料|带什么|带啥|带哪些|要带|准备什么|准备啥|需要什么|要什么证|证件|原件还是复印件|要哪些(病历|证|单子|票)"
            # "要哪些东西 身份证户口本 还要他本人的卡吧"
            r"|(要|带|准备|拿|交)(哪些|啥子?|什么|哪样|些啥)东西"
            r"|(要不要|需不需要|用不用)[^,，。?？]{0,8}(证明|原件|复印件|照片|户口簿|户口本|身份证|结婚证)"
            # "租房合同要吗", "要疫苗本吗", "要他儿子的银行卡不"
            r"|(证|本|卡|合同|证明|照片|复印件|原件)(要|需要)(吗|不|么)[?？]*$|^要[^,，。]{0,8}(证|本|卡|合同|证明|照片)(吗|不|么)"
            # "病历在县医院，复印件行不": whether a copy will do
            r"|(复印件|复印的|影印件)(就)?(行|可以|得|管用)(不|吗|么|嘛|没)"
            # "出生证明要交原件不 她怕弄丢": whether the original is handed in
            r"|(交|带|给|收)(原件|复印件)(不|吗|么|嘛|没)"
        ),
    ),
    (
        "time",
        re.compile(
            r"^(什么时候|啥时候|几时)[?？啊呀嘛呢哦]*$|(多|好)久(?![了没])|多长时间|多长[?？]?$|(?<![这那前过])几(天|日)|何时(可|能)?(取|领|拿|办好|办结)|时限|多快|要等|几个工作日|什么时候能(拿|领|好|到)|多少天|需时|几何时|截止|截至|最后一天|几号前"
        ),
    ),
    # How much money the resident gets ("一个月好多钱嘛" of 高龄津贴, "一年能贷多少"), not what the service costs.
    (
        "amount",
        re.compile(
            r"(一|每|1)个?(月|年|次|亩|人|户)[^,，。?？]{0,4}(多少|好多)|(补|贷|发|领|给|赔|减|报|津贴|补贴|补助)(了|得到?|能)?(多少|好多)"
            r"|(多少|好多)钱一(个月|年|亩)|标准是?(多少|好多)|额度|几成|百分之几|报销比例"
            # "丧葬费有好多", "批下来补助大概有好多": how much a benefit is
            r"|(丧葬费|抚恤金|补助金|补助|津贴|补贴|养老金)(大概|大约|一般)?(有|是|能有)(多少|好多)"
            # ... and what is left of it once the words every guide shares are taken out ("补助大概有好多" -> "有好多")
            r"|^(有|能有)(多少|好多)[?？吗啊呀嘛]*$"
        ),
    ),
    # "免费体检" names an item, it does not ask about fees.
    (
        "fee",
        re.compile(
            r"收费|多少钱|要钱|费用(?!减免)|(交|缴)费(吗|不|么|没|多少|好多|啊|呢)|收不收|要不要钱"
            r"|免费(?!体检|孕|婚检|筛查|接种|疫苗)|花钱|收钱|交钱|几块钱|收多少|多少块"
        ),
    ),
    # Who else may apply, and applying from elsewhere: answered from the guide's notes, FAQ and scope.
    (
        "agent",
        re.compile(
            r"(" + FAMILY + r"|别人|他人|娃娃|村干部|村上|哥|姐)"
            r".{0,6}(帮|代|替|去办|来办|去领|领)|代(我|他|她)|替(我|他|她)|代领|代签|委托|(要|必须|得|非得)本人|本人(去|来|到场|亲自)|亲自"
            r"|由(他|她).{0,4}(代|办)|(他|她)(可以|能|可否|能不能|可不可以)(帮|代|替)"
            # "我能帮他去办不": the asker would go for someone
            r"|我(能|可以|可不可以|能不能|可否|能否)(帮|替|代)(他|她)"
            # "孙女拿我身份证去能帮我办不": the one who goes carries the papers
            r"|(" + FAMILY + r"|别人|他人)(拿|带)[^,，。]{0,8}(帮|代|替|去办|来办|去领)"
            # "是公司去申请还是要我自己去", "单位办还是我自己交", "要公司办还是自己": who goes, one or the other
            r"|[^,，。]{1,8}(去|来)?(申请|办|弄|交|报)?还是[^,，。]{0,4}(我|自己|本人)(自己)?(去|来|办|交|申请|弄|报)"
            r"|[^,，。]{1,8}(申请|办|弄|交|报)还是[^,，。]{0,2}(我|自己|本人)"
        ),
    ),
    (
        "remote",
        re.compile(
            AWAY + r"|回不去|不在(本地|家|昭通)|在(昆明|外面|浙江|广东|上海|北京)|打工的地方"
            # "她户口在四川 能在水富领不"
            r"|(户口|户籍)在(四川|贵州|重庆|广东|浙江|江苏|福建|上海|北京|宜宾|毕节|泸州|外边)"
            # "我要克宁波住半年 在那边拿药能报不": going to live elsewhere, and treated there
            r"|" + GOES_AWAY + r"(住|打工|带|跑|待|呆)|在那边(看病|拿药|开药|住院|刷|报|就医)"
        ),
    ),
    # ... and "在卫生院补得到不": whether it is done at that place.
    ("location", re.compile(r"^在.{1,8}(办|补|换|领|交|开|做)(得到|得了|得成)?(不|吗|么)$")),
    # "找村里还是去林业局", "去乡上还是县上": which of two places to turn to
    (
        "location",
        re.compile(r"(找|去|到|克)[^,，。\s]{1,6}还是(找|去|到|克)?[^,，。\s]{0,6}(局|所|站|中心|政府|窗口|村|乡|镇|县|上)"),
    ),
    # "威信有检测站没得 还是要拉到昭通": whether there is a place nearby
    ("location", re.compile(r"有(没有)?[^,，。\s]{1,5}(站|所|窗口|网点)(没得|没有|吗|不)")),
    # not an address to change ("执照变更地址能代办不", "身份证上的地址要改")
    (
        "location",
        re.compile(
            r"哪里|哪儿|在哪|地点|(?<!变更)(?<!改)(?<!换)地址(?!变|要改|改|要变)|去哪|克哪|哪个部门|哪个窗口|哪点|哪个地方"
        ),
    ),
    # Asking for a number ("电话多少", "咨询电话"), not saying when to call ("电话晚上打都可以").
    (
        "phone",
        re.compile(
            r"电话(是|号码)?(多少|好多|几号)|(咨询|办事|联系|服务|办公|窗口)电话|(打|拨)(哪个|什么|啥|哪样)电话|联系方式|热线"
            r"|(有|留).{0,2}电话(吗|不|没)|电话呢|号码(是)?(多少|好多)|^(电话|号码)[?？吗]*$"
        ),
    ),
    # How the result reaches the resident ("办好了是寄过去还是要去拿", "证能寄到家不"); not "领证" (getting married).
    (
        "delivery",
        re.compile(
            r"邮寄|快递|寄(过来|过去|回|到|给)|送(证|到家|上门来)|去拿还是|还是(要)?(自己)?去拿|(咋个|怎么|如何|哪里)(拿|领取)(证|结果)"
        ),
    ),
    ("hours", re.compile(r"几点|上班时间|办公时间|周末|星期六|星期天|节假日")),
    ("online", re.compile(r"网上|手机上|线上|小程序|app|办事通|不用跑|微信(上)?(能|可以)?(交|办|缴)|支付宝")),
    # "地租出去了 算哪个的": whose it is, in 昭通 speech.
    (
        "conditions",
        re.compile(
            r"条件|符合|资格|谁能办|谁可以|能不能办|够不够|算哪个|归哪个|算谁的|归谁|算不算(收入|财产|家庭成员)"
            # "家里有辆旧面包车 影响吗": whether a circumstance bars the asker.
            r"|影响(吗|不|没有|大不大)|有没有影响|会不会影响|有影响"
            # "毕业三年了还算高校毕业生吗": whether the asker still counts as one the item is for
            r"|还算.{1,10}(吗|不|么|嘛)$"
            # "一级残疾 但不是低保户 领得到不": whether the asker may have the benefit
            r"|(领|享受|评)得(到|了)(不|吗|么|没)"
        ),
    ),
    ("basis", re.compile(r"依据|政策文件|法规|哪条规定|法律规定")),
    ("process", re.compile(r"流程|步骤|程序|怎么办理|手续")),
]

BOOKING_INTENTS = ("book_proxy", "book_home_visit")
# Parts of a guide whose question outweighs a mention of proxies or home visits.
BENEFIT_FACTS = frozenset({"amount"})
GUIDE_FACTS = {"materials", "time", "amount", "fee", "location", "phone", "hours"}
BOOKING_VERB = re.compile(
    r"预约|(?<!签)(?<!大)约(?!束)|帮我|帮忙|帮他|帮她|安排|派人|派个人|派员|请.{0,4}(来|帮)|麻烦|你们.{0,4}帮|申请代办|想代办|要代办|代交|代为|"
    r"恳请|烦请|敬请|登记一下|来家|到家|上门(办|给|帮|来)|申请[^,，。]{0,8}(上门|代办)|齐了|齐的|准备好了|整理好|收齐|报一件|帮报(?!税)|"
    r"(找|托|委托)(你们|贵中心|中心|站上|服务站)|备齐|(交|给)你们.{0,2}代办|代办员.{0,4}帮|"
    r"帮代(?!开)|代跑|代报|(请|让|叫)(你们|中心|站上).{0,3}代|受理|请.{0,6}代办|"
    # "我家新房子办证 能找代办吗 … 资料我可以线上传给你们"
    r"找(你们)?代办|(传|发|寄)给你们|"
    # "高龄津贴想走帮办代办，由村里代他提交材料可以吗"
    r"(走|想走|要走)(帮办|代办)|由(村里|村上|村头|村委会?|社区|服务站|站上|代办员)(来)?(代|帮|替)"
    # "我收了8个人的材料 能不能一起代办": a proxy's papers in hand, all to be done
    r"|收了[^,，。]{0,8}材料|一起(代办|帮.{0,2}办)"
    # "丧葬补助那个 能不能你们代办 材料我拍照发过来", "能否请工作人员代我们办理"
    r"|你们(来)?代办|请.{0,6}代(我|我们|他|她|他们)(办|去办|跑|交|填|申请)"
)
# A family member who cannot do it ("家属不识字", "儿子回不来") is no one who might go instead.
CANNOT_DO = r"(不识字|不会|不懂|弄不来|来不了|回不来|赶不回|不在家|都在外|在外|打工)"  # "我爸在外面打工"
CAPABLE_FAMILY = r"(" + FAMILY + r")(?!自己)(?![^,，。\s]{0,4}" + CANNOT_DO + r")"
# "我儿子能帮我办不", "可否委托小女代为办理": may a family member apply (answered from the guide), not a booking.
FAMILY_AGENT = re.compile(
    # not "帮我老公代办", "帮爷爷代办", "代家属去办": there the family member is who it is for
    # within one phrase: "媳妇户口迁县内 代办行不" asks us to do the wife's errand
    # ... and 代办 after the family member: "儿子带身份证能代办不", not "爷爷房产证补办能代办不" (his errand, asked of us)
    # ... nor "老兵爷爷的优待证能代办吗": his certificate, asked of us (but "我当奶奶的能帮办不" asks who may go)
    r"(?<!帮)(?<!给)(?<!替)(?<!代)(?<!帮我)(?<!给我)(" + FAMILY + r"|小女|小儿|犬子)(?!的(?![能可去来帮代替]))"
    r"((?:(?!代办员)[^\s,，。!！?？]){0,6}(帮(?!我?打的?字)|代(?!办)|替|去办|来办|去领)|(?:(?!补|办|换|申请)[^\s,，。!！?？]){0,6}代办(?!员))|委托(儿子|女儿|小女|小儿|子女|家人|家属|亲属|老伴|孙子|孙女)"
    # "我儿子在外地工作，可否由他回来代为办理", "我老公在县城做事 他可以帮我去交材料不"
    # ... not "爷爷自己弄不来 能不能帮他代办": the one who cannot do it is who it is for; nor "家属不识字，能不能帮他们
    # 代办注销": the family cannot, and asks us
    r"|由(他|她|" + FAMILY + r")|" + CAPABLE_FAMILY + r".{0,12}(可以|能|可否|能不能|可不可以)(帮|代|替)(他|她)"
    r"|(" + FAMILY + r").{0,12}(他|她)(可以|能|可否|能不能|可不可以)(帮|代|替|来办|去办|去交)"
    # "补卡可否他人代办": whether someone else may apply
    r"|(可否|能否|能不能|可不可以|可以|能)(由)?(他人|别人|其他人|旁人|亲属|家属)(代办|代领|代为|代理|帮办|代替|代交)"
    # "异地就医那个备案我儿子在手机上能不能帮我弄"
    r"|" + CAPABLE_FAMILY + r"[^,，。]{0,8}(可以|能|可否|能不能|可不可以)帮我(弄|办|交|填|申请)"
    # "可以喊别人代我去办不": someone else sent by the asker (not "喊人帮我", which asks us)
    r"|(喊|叫|请|让|找)(别人|其他人|旁人|亲戚|朋友)(代|帮|替)(我|他|她)?(去)?(办|领|交|跑)"
)
# "我能帮他认不", "我是她儿子 我能帮她办吗": the asker would do it for someone, and asks whether that is allowed.
ASKER_HELPS = re.compile(
    r"(我|本人)(能|可以|可不可以|能不能|可否|能否)(帮|替|代)(他|她|老人|我妈|我爸|我老者)?.{0,6}(办|认|领|弄|去|交|签|刷)"
    r"|用我的手机帮(他|她)|我帮(他|她)(办|弄|去办|去弄)(得不|得不得|得成不|行不|可以不|可以吗|行吗)"
    # "能不能我们社工或者村委帮他申请"
    r"|(能不能|可不可以|可以|能否)我们.{0,8}帮(他|她|他们|她们)"
    # a proxy asking whether she may ("我帮代的话本人要不要到场", "我们代办员帮他们认证得不得")
    r"|我们?(代办员)?(帮代|代跑|帮(他|她|他们|她们)).{0,6}(的话|得不得|行不行|行不|可以不|可以吗|可不可以|能不能)"
    # "我是他胞弟，可否由我代为办理"
    r"|(可否|能否|能不能|可不可以|可以|能)由我(来)?(代|帮|替|去|办)"
    # "她在昆明上班回不来，能不能她委托我去办": the asker goes for her
    r"|(他|她)委托我(去|来)?(办|代办|跑|领)"
    # "我代我妈去办可以不"
    r"|我(来)?代(" + FAMILY + r"|他|她)[^,，。]{0,6}(可以不|行不|得不得|可以吗|行吗|能不能|可不可以|要得不)"
    # "他下不了床 我拿着他户口本去帮他换可以吗"
    r"|(?<![帮替给])我(拿着?|带着?)[^,，。]{0,8}(去|来)((帮|替|给)(他|她))?[^,，。]{0,4}(可以不|行不|得不得|可以吗|行吗|能不能|可不可以|要得不)"
)
# Whether the person must come in themself ("评残必须本人去医院吗"): a question of the guide, however they get about.
PRESENCE_ASKED = re.compile(
    r"(必须|一定要|非要|非得|只能)(要)?(本人|他本人|她本人|老人)(亲自)?(去|到|来|在场|到场)"
    # "高龄津贴要老者本人去办不 他走不动了"
    r"|要(老者|老人|他|她)?本人(亲自)?(去|来|到)[^,，。]{0,3}(不|吗|么)"
    # "办过户时，我和老伴是否都必须到场？她行动不便。", "补领是否需要我们两人同去"
    r"|(是否|需不需要|是不是|必须|都要|都得)[^,，。？?]{0,6}(到场|在场|同去|一起去|都去|亲自去)"
)
# Words that can only be a booking request, whatever else the message asks.
EXPLICIT_BOOKING = re.compile(
    r"申请代办|要代办|想代办|代办一下|报一件|帮报(?!税)|帮(我|我们)办一下|帮.{1,5}代办|帮我(弄|整|办)一下|"
    r"帮代(?!开)|代跑|代报|(请|让|叫)(你们|中心|站上).{0,3}代|(中心|站上|你们).{0,2}(受理|处理)一下"
    # "行 那就约个代办吧", "行 那就代办吧"
    r"|(约|报)(个|一个|一下)?(代办|上门)|(那|那就|就)(请你们|麻烦你们|帮我)?(代办|上门)(吧|嘛|算了)"
    # "恳请工作人员代为办理…申领手续", "能否委托贵中心代办"
    r"|(恳请|烦请|请|麻烦)(你们|工作人员|贵中心|中心).{0,4}(代为|代办|代(我|我们|他|她|他们)办|协助办理)|委托(你们|贵中心|中心).{0,2}代办"
    # "上门 那个 怎么 约 … 什么时候 能来": how to book it, though it goes on to ask when
    r"|(怎么|咋个|咋|哪里|哪点|在哪)(预约|约)"
)
# Who does it, asked as a choice ("是公司帮办还是我自己"): a question of the guide, not a request.
WHO_DOES = re.compile(r"(是|由)[^,，。]{0,6}(帮办|代办|办|弄|申请|报)还是(我|自己|个人)")
# Asking us, not a family member, to do it.
# ... or someone sent to the home ("能不能请人去我妈家里帮她做养老金认证")
ASKS_US = re.compile(
    r"你们|派人|派个人|预约|(约|报)(个|一个|一下)?(代办|上门)|上门|安排|登记一下|麻烦|(请|喊|叫|约)(个)?人(去|到|来)"
)
CIRCUMSTANCES = re.compile(
    r"瘫痪在床|瘫痪|卧床不起|卧床|下不了床|下不得床|起不来床|出不了门|走不动路?|走不得路|行动不便|行动不方便|腿脚不好|腿脚不便|坐轮椅|"
    r"重度残疾|不识字|不会弄|不会(用|耍|玩|弄)?(智能)?手机|走不开|回不来|在外地|在外省|打工"
    r"|一个人住|独居|我不会[。!！~]*$|单亲|离异|丧偶"
    # "收入一个月两千多": what the household lives on
    r"|收入.{0,6}[0-9一二三四五六七八九两几][千百万]"
)
# An address being given ("地址是鲁甸县文屏镇团街", "地址：成都市武侯区…").
GIVES_ADDRESS = re.compile(r"地址(是|在)?[:：]?\s*[\u4e00-\u9fff]{0,8}(省|市|县|区|镇|乡|街道|村|社区|路|街|巷)")
# Whom staff should call, or when someone is home ("电话打我孙子的 他叫小龙", "下午三点以后家中都有人"): a note for the
# staff who will call, given while a booking form waits (bot/bookings/volunteered.py keeps it).
CONTACT_HINT = re.compile(
    r"(电话|联系)[^,，。？?]{0,3}(打|找|联系)(给)?(我的?)?(" + FAMILY + r"|他|她)"
    r"|(打给|联系)(我的?)?(" + FAMILY + r")"
    r"|(上午|下午|中午|晚上|白天|早上|[0-9一二三四五六七八九十两]+点)[^,，。？?]{0,8}(在家|在屋头|在屋里|(家里|家中|家头|屋头|屋里)都?有人|有人在)"
)
# A phone number being given, whole or partly hidden ("139xxxx5521").
GIVES_NUMBER = re.compile(r"1[3-9][0-9xX*＊×]{9}|0[0-9]{2,3}-?[0-9]{7,8}")
BOOKING_NUMBER = re.compile(r"\b([A-Z]{2}\d{8,14})\b", re.IGNORECASE)
RATING = re.compile(r"(?<![0-9十])([1-5一二三四五])\s*(?:分|星)")  # not "扣了12分"
CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
# When the visit comes ("大概几天能来", "好久能来"): a booking's progress, or, with none, the item's time limit.
VISIT_COMING = r"(好久|好多天|几天|几号|什么时候|啥时候|几时|哪天)(能|会)?(来|上门|过来)"
# A question about the asker's own case rather than about an item's time limit.
STATUS_ASKED = re.compile(
    r"了(吗|嘛|么|没|不)|没(有|得)?(批|到|办|好|下来|消息)|还(没|莫)|咋样|怎么样|到哪|"
    r"我的|我那个|我家的|报的|交的|交上去|报上去|有结果|申请的|提交的|等了|"
    # "…现在快两个月了，结果出来没有", "目前审核到了什么程度"
    r"出来(没|了没)|(什么|哪个|哪一?)(程度|阶段|步)|进度|" + VISIT_COMING
)
# How long it will take ("材料交了要好久能批下来"), asked ahead rather than of a case waiting.
HOW_LONG_AHEAD = re.compile(r"要(好久|多久|几天|多长时间|多少天)")
# How long ahead to book or apply ("上门认证需要提前多久预约？"): a question of the guide, unless the asker books now
# ("我要预约代办退役军人优待证，请问需要提前几天？", "约派出所上门来换 要提前几天约").
AHEAD_ASKED = re.compile(r"提前(多久|几天|好久|多长时间|多少天|几个?小时|几个?钟头)")
BOOKS_NOW = re.compile(r"(我|我们)(要|想)(预约|约|代办)|帮我(预约|约)|约[^,，。\s]{0,8}上门来")
# "低保交上去一般好久批得下来": how long such a case takes in general, not where the asker's own one is.
IN_GENERAL = re.compile(r"一般|通常|正常情况|平常|普遍")


def waiting_story(norm: str) -> bool:
    """Does the message tell of a case handed in before and still waiting (bot/conversation/stories.py), asking no
    part of a guide but when (in the clauses that ask: the story may name the papers handed in)?"""
    asked = WHERE_STUCK.sub("", " ".join(c for c in clauses(norm) if asks(c)))
    return (
        tells_case(norm)
        and still_waiting(norm)
        and aspect_of(asked) in (None, "time")
        and not IN_GENERAL.search(norm)
        and not HOW_TO_GO_ON.search(norm)
        and (not ASKS_IF.search(norm) or CHECK_ASKED.search(norm) is not None)
    )


# A benefit's payment asked after ("抚恤金咋个还没到账", "种地补贴打到一折通上头 还没到").
PAYMENT_ASKED = re.compile(r"到账|到帐|打到卡|打卡上|发下来|发放|打到(一卡通|社保卡|折子|存折)|(还)?没(有)?到|发了没")
# The asker's own case ("生育津贴申请快一个月了 还没到账 帮我查一下嘛"): its progress.
BOOKED = re.compile(r"预约|代办|上门|约的|申请|查一下|查下|帮我查|交上去|报上去")
# Whether the service includes visits ("会不会上门来量血压"), not a request for one.
# ... or "签约后能否定期上门给老伴量血压": a visit that is part of the service, not one asked for now.
# "你们上不上门" asks us to come.
# Asking us to arrange a visit, beyond asking whether there is one ("能不能派人上门", "麻烦安排一下"); not what the
# visitor would do ("来屋头帮我换尿管", "来家里给老人测血糖").
VISIT_REQUESTED = re.compile(
    r"预约|(?<!签)约(个|一下|好|起)|安排|派|请(人|个人|你们|工作人员)|[喊叫].{0,8}(来|上门)|麻烦|帮忙|你们|登记一下|申请"
    # "能不能来人看一下咋个弄": someone asked to come
    r"|来(个)?人(来)?(看|帮)"
    # ... or giving what a booking needs ("地址是XX镇XX村三组", "联系电话找我儿子")
    r"|地址|电话|家住"
)
# Speaking of a visit to the home ("能不能上门", "来屋头看一下"), or of someone who cannot get about: the answer to a
# question says whether a visit can be booked (visit_matters).
SPEAKS_OF_VISIT = re.compile(r"上门|(?<![寄送邮])(来|到)(屋头|家里|家中|家头|我家|家)|家里来")  # not "寄到家"
CANNOT_GET_ABOUT = re.compile(
    r"瘫痪|卧床|下不(了|得)床|出不(了|得)门|走不(动|得路)|行动不便|行动不方便|腿脚不(好|便)|坐轮椅|瘫在床上|起不来床"
)


def visit_matters(text: str) -> bool:
    """Should the answer to this message say whether staff come to the home?"""
    return SPEAKS_OF_VISIT.search(text) is not None or CANNOT_GET_ABOUT.search(text) is not None


# Another way asked for ("卧床老人没法刷脸，养老待遇资格认证有没有别的办法"): a question of the guide, not a visit booked;
# in a follow-up ("还有莫得别的办法") it asks of the item under discussion, and means nothing without it.
OTHER_WAY = re.compile(r"(别的|其他|其它)(办法|法子|途径|方式|路子)")
# Whether a visit is part of how the service is done, asked of the guide rather than requested now; one pattern per
# form the question takes. "你们上不上门" and "你们来不来家里" ask us to come, and are requests.
_HOME = r"(家里|家头|屋头|家中)"
# "会不会上门来给老汉量血压", "医生会来屋头量血压不": whether they come.
_WILL_COME = (
    r"会不会.{0,3}(上门|到家|来家|来我家|到我家|来屋头)"
    r"|(医生|村医|大夫)会(来|上门|到)[^,，。?？]{0,10}(不|吗|嘛|么|没)[?？]?$"
)
_COME_OR_NOT = r"(?<!你们)上不上门|(?<!你们)来不来(屋头|家里|家头|家)"
# Staff coming to the house to look, asked as a step of the service: "卫生院的人要到家里来看吗？还是家属拿着东西去就行？",
# "卫生院要派人来调查不", "是否需要卫生院的医生到家中查看？", "低保申请了是不是要来家里调查？", "是不是卫生院的要来屋头看了才开".
_TO_LOOK = rf"(((到|来){_HOME}(来)?|派(个)?人来)(看|查看|核实|核查|调查))"
_STAFF = r"(卫生院|医院|医生|村医|派出所|公安|工作人员)"
_MUST_COME_TO_LOOK = (
    rf"{_STAFF}的?(医生|人)?(是否|要不要|需不需要)?(需要|要|会|得)?{_TO_LOOK}(吗|不|嘛|么|[?？]|(一下|一哈|下)(不|吗))"
    rf"|(是否|要不要|需不需要)(需要)?(卫生院|医院|村医|派出所|公安)的?(医生|人|民警)?{_TO_LOOK}"
    r"|是不是要(来|到|上门)(家里|屋头|家头)?(调查|核实|走访)"
    # ... or to a shop: "那这个证改地址，是不是还要派人来新门面看一下才得？"
    r"|是不是[^,，。]{0,8}要(派(个)?人)?(来|到)[^,，。]{0,6}(看|查看)(一下|一眼)?了?才"
)
# Visits within a signed service: "上门随访", "签了过后他们会上门来看不", "想跟村医签个约 以后有个病痛的能上门来看看",
# "能不能定期上门帮我换导尿管".
_VISITS_IN_SERVICE = (
    r"上门随访|签(个)?(约)?\s?(后|了|过后|以后)(?!字).{0,8}(上门|来家|到家|家中|家里|屋头)|定期(上门|来家|到家|来屋头)"
)
# Either-or of how it is done: "是给钱自己找人装，还是他们派人来装" (not "算了 还是派人上门吧", a request).
_EITHER_WAY = r"是[^。？?]{1,14}还是[^,，。]{0,4}(他们|你们|政府|村上)?(派人|上门)"
ASKS_IF_VISITED = re.compile("|".join((_WILL_COME, _COME_OR_NOT, _MUST_COME_TO_LOOK, _VISITS_IN_SERVICE, _EITHER_WAY)))
# A proxy or visit that already happened, told with praise or blame ("村上代办员帮我把养老金认证弄好了 感谢他们",
# "上门评残的医生很专业 特此感谢", "说是上门体检 来了量个血压就走了 这个不得行"): how a service went, not a booking.
# Over every test file, the messages it finds that ask nothing were all labelled ratings (71).
_STAFF_DID = (
    r"(代办员|工作人员|年轻人|小伙子|小姑娘|同志|医生|师傅|他们|她们|人家).{0,16}"
    r"(弄好了|办好了|跑完了|办完了|弄完了|搞好了|搞定了|办下来了|来了|来过|跑了(好|好几|几|很多)(次|趟|回))"
)
_THOSE_WHO_CAME = r"上门[^，。,\s]{0,12}的(医生|年轻人|同志|工作人员|小伙子|小姑娘|姐姐|大姐|师傅|人|两个|几个)|说是上门"
_APPRAISES = r"感谢|谢谢|谢了|真好|好好|专业|周到|不得行|太差|省了|负责|耐心|热情|满意|全靠|多亏|客气|暖和|暖心|贴心|好人"
# ... or came out of their way for it ("公证处周末上门…专门跑了一趟山路，感谢")
_WENT_OUT_OF_THEIR_WAY = r"专门[^,，。]{0,6}(跑|来)了(一|几|好几)?(趟|次|回)"
TELLS_HOW_IT_WENT = re.compile(rf"^(?=.*({_STAFF_DID}|{_THOSE_WHO_CAME}|{_WENT_OUT_OF_THEIR_WAY}))(?=.*({_APPRAISES}))")
# A result that came, told with thanks or praise ("护理补贴办得快 谢了", "谢谢政府 钱收到了", "那个小伙子好 帮我弄好了
# 谢谢"): how a service went, not a courtesy or a question. Not "要得 谢谢了哈 记到了" (remembered).
# Not a bare "收到了" or "弄好了" ("got it", "I did it"), which close a chat.
_CAME_THROUGH = (
    r"(帮|给)[^,，。\s]{0,6}(弄|办|搞|整)(好|完|下来)了|(钱|证|卡|补贴|津贴|款|救助|金)[^,，。\s]{0,4}(收到了|到账了|拿到了|领到了|到了)"
    r"|办下来了|打赢了|办得(快|好)|(很|非常|好)负责"
)
RESULT_PRAISED = re.compile(
    rf"^(?=.*({_CAME_THROUGH}))(?=.*(谢|好评|点赞|五星|五颗星|比(我)?(想|预想|预计)(的|象的|像的|中的)?(还)?快))"
)
# Someone thanked in the third person for doing it ("村里小王 帮我办养老 好人 谢谢她"): praise of who served, not thanks
# to us.
THANKS_WHO_HELPED = re.compile(
    r"^(?=.*帮(我|我们|他|她|老人|我妈|我爸)[^,，。]{0,6}(办|弄|跑|填|交|申请|认证))(?=.*(谢谢|感谢|多谢)(他|她|他们|她们|人家))"
)
# Blame of how a service was given: nobody came when promised, or came days late, with blame ("约起说星期三上门来 我等了
# 一整天都莫得人来 太不像话了", "说好礼拜三来拖到礼拜五才来…干等了两天不安逸"; without blame it is the booking's
# progress), or the manner of the staff ("接电话的人冷冰冰的", "体验欠佳", "工作人员说话有点凶").
_NO_SHOW = r"等[^,，。]{0,10}(没有|没得|没)人来|白等|干等|拖到[^,，。]{0,6}才(来|到)"
_BLAME = r"不像话|不高兴|太差|差评|不负责|不满意|生气|气人|不安逸"
_POOR_MANNER = r"冷冰冰|体验(欠佳|不好|很差|差)|提(一点|个|点)?建议|态度(差|不好|恶劣)|不耐烦|爱理不理|说话[^,，。]{0,3}凶|凶巴巴"
BLAMES_SERVICE = re.compile(rf"^(?=.*({_NO_SHOW}))(?=.*({_BLAME}))|{_POOR_MANNER}")
# Staff asked to be kinder ("…说话有点凶 … 能不能温和一点"): a rating, though it is put as a question.
KINDER_ASKED = re.compile(r"(能不能|可不可以|能否|希望|麻烦)[^,，。]{0,4}(温和|客气|耐心|和气|和蔼)(一)?点")
# Being treated or claiming for it ("在那边看病刷得成不"); followup.REMOTE_CARE adds looser words of illness.
TREATMENT = r"看病|住院|就医|拿药|开药|刷医保|刷卡|刷得(成|到)|报销"
TREATED = re.compile(TREATMENT)
# Venting about a visit to the hall or the online service ("排了四十分钟…才说少个复印件 不能早点说吗 心态崩了", "网上办
# 一直转圈圈…这系统真的一言难尽"): how it went, though no item or rating word is named.
VENTS = re.compile(r"心态(崩|炸)|一言难尽")


def tells_how_it_went(intent: str, norm: str) -> bool:
    """Is a message the model reads as thanks, a question, progress or a booking, and which asks nothing, an account of
    how a service went: a result told with thanks ("谢谢政府 钱收到了"; not a cancellation), a proxy or visit already
    made ("上门帮我公公认证养老金的两个年轻人真好 … 谢谢了"), blame of one never made ("…等了一整天都没有人来 太不像话了"),
    or blame of the staff's manner with a plea to be kinder, which may be put as a question ("…说话有点凶 … 能不能温和一点")?"""
    if intent == "ask_item" and BLAMES_SERVICE.search(norm) and KINDER_ASKED.search(norm):
        return True
    if asks(norm):
        return False
    if intent in ("thanks", "ask_item"):
        return (RESULT_PRAISED.search(norm) or THANKS_WHO_HELPED.search(norm)) is not None and not CANCELS.search(norm)
    if intent in BOOKING_INTENTS and TELLS_HOW_IT_WENT.search(norm):
        return True
    return intent in ("query_progress", *BOOKING_INTENTS) and BLAMES_SERVICE.search(norm) is not None


# Help asked of the government ("政府有没有补助", "国家给不给补贴"), as opposed to a shop or a bank.
# ... or of a public body by name ("牛遭豹子咬死了一头 林草局赔不赔").
GOVERNMENT_HELP = re.compile(
    r"(政府|国家|民政|你们|[\u4e00-\u9fff]{1,3}局).{0,6}(补助|补贴|救助|帮扶|扶持|赔|补偿|有补|补不补|管不管|帮不帮|修不修)"
)
# Whom to complain to ("在街上买的饲料是假的 猪吃了两个月不长 找哪个告", "请问我应向哪个部门反映"): a public body
# asked for, whatever the story.
COMPLAINS_TO = re.compile(
    r"(找|去|到)(哪个|那个|哪里|哪点|哪儿|谁)[^,，。]{0,4}(告|投诉|举报|反映|赔)|向哪个部门(反映|投诉|举报)|(投诉|举报|反映)(到)?(哪里|哪个|哪点)"
)
# Where to hand in a form or papers ("表格我们村委会帮他填 交到哪点"): a step of some procedure, asked of us.
HANDS_IN_PAPERS = re.compile(r"(表|表格|材料|资料|申请书)[^,，。?？]{0,10}(交|递|送)(到|去|给|在)?(哪|哪里|哪点|哪儿|哪个)")
# Documents public bodies issue that the catalogue does not hold.
GOVERNMENT_DOCUMENT = re.compile(r"居住证|护照|港澳通行证|台湾通行证|往来台湾|签注|出入境")
# Where a question ends and a story goes on in the same clause ("上了好久能用嘛娃娃三天两头感冒").
AFTER_QUESTION_PARTICLE = re.compile(r"(?<=[吗嘛么呢])(?=[\u4e00-\u9fff])")
# A preface that says a question follows ("顺便问下", "我想问一下"): the classifier reads what follows.
PREFACE = re.compile(r"^(对了|另外|还有)?[,，\s]*(我)?(想|再|顺便|麻烦|请)?问(一)?下[,，:：\s]*")
# Words every written cancellation holds one of (checked on all labelled examples).
CANCELS = re.compile(
    r"取消|取销|取小|不要|不用|撤|退|算了|不办|不来|莫来|别来|不需要|不必|免了|作废|停|改天|改约|改时间|改期|延期|推迟|"
    r"换个时间|不去|去不了|来不了|不搞|不整|不弄|别办|莫办|罢了|不约|不想约|删|cancel|注销|放弃|不作数|去掉|约错|点错|"
    r"qu ?xiao|不克|不想办",
    re.I,
)
# Words of greeting, among them the short ones residents write ("在不", "早", "新年好", "领导好"): a message the model
# takes for a greeting without one and asking something is a question.
GREETING_WORDS = re.compile(
    r"你好|您好|你们好|好[!！。~\s]*$|在的?[不吗么嘛没？?]|在线|人在|有人|上班|喂|哈喽|hello|hi|嗨|嘿|早|晚上好|请问|打扰|咨询"
    r"|问(个|点|一下|下)|色兰|色俩目|赛俩目|同志|快乐|过年好|新年好",
    re.I,
)
# Thanks closing a message ("…回来去办 多谢"), after a space or a stop.
THANKS_AT_END = re.compile(r"[\s,，。!！~]+(多谢|谢谢|谢了|谢啦|感谢|辛苦了)[你您们啊哈了啦呀!！。~\s]*$")
# Agreeing, then saying what one will do ("行 我克弄", "好 等我问下我老公", "要得 那我找村委会开证明去"): a close.
AGREED_PLAN = re.compile(
    r"^(好|行|要得|嗯+|好的|好嘞|那好|那要得|ok|那|晓得了|知道了|明白了)(的|吧|嘛|啊|呀|哈)*[,，。!！~\s]*(那)?"
    r".{0,6}((我|我们|他|她)(先|再|就|明天|后天|回头|自己|马上|回)*(去|克|问|弄|整|带|跟|找|收|准备|说|喊|联系)"
    r"|等(着|你们|通知|我|他|她|证|电话|消息|回复|回音)|先这样|就这样|到时候|回头|改天)"  # "好，那我等电话"
)
# Rules that a story before the question can set off without asking it.
STORY_RULES = frozenset({"query_progress", "cancel_booking"})
# Where a long message says its question starts ("…我想问的是 …", "…就想问一下 …"): the question is what follows.
QUESTION_AFTER_STORY = re.compile(
    r".{6,}(?:我想问的是|想问的是|我就想问|我想问一下|我想问下|想问一哈|想问一下|主要是问|请问一下|请问)[,，:：\s]*(.+)$"
)
# Asking how to go about something.
HOW = re.compile(r"怎么|咋|如何")
# Asking for a service itself (not about posting a copy of a card or a bank's counter; "怎么办" asks for nothing).
SERVICE_ASKED = re.compile(
    r"换|补|(?<!怎么)(?<!咋)办|申请|申领|注销|登记|注册|迁|认定|(?<!实名)认证|投诉|举报|调解|报销|备案|贷|执照|许可证"
    # "失业金能领不 现在跑外卖算不算就业": claiming a benefit
    r"|(能|可以|咋个|怎么|去|要|还)领(不|吗|么|取)?"
    # "我妈能吃低保吗": whether one may have a benefit
    r"|(能|可以|能不能|可不可以)(吃|享受)?低保"
    # "要克信用社取钱 莫得身份证咋个整": lacking a document is asking for it
    r"|(没有|没得|莫得)[^,，。]{0,4}(证|卡|本|执照)"
)
RULES_FILE = Path(__file__).with_name("intents.yaml")
# Longer than this and made of several sentences: a pasted article, not a question.
PASTED_TEXT_CHARS = 120
QUESTION_MARK = re.compile(r"[？?]")
MEANINGFUL = re.compile(r"[\u4e00-\u9fffa-zA-Z0-9\u2600-\u27bf\u2b50\U0001F000-\U0001FAFF]")

# How the classifier and the rules are combined (calibrated on held-apart writers, see README "Intents").
# A rule that fires wins unless the classifier is at least this sure of another intent:
OVERRIDE_RULE = 0.8
# ... and a little surer over a rating or complaint that asks for no service, whose words the model reads as a question
# about the service complained of ("交医保的窗口就一个人 能不能多开个窗口"):
OVERRIDE_RATING_RULE = 0.85
# Booking rules fire on any mention of 代办/上门, also in ratings, progress questions and cancellations:
OVERRIDE_BOOKING_RULE = 0.4
# ... except by ask_item, which the mention of a service in a booking request makes likely ("能派人来登记救助不"):
OVERRIDE_BOOKING_RULE_BY_ASK = 0.75
# ... unless the message asks us ("你们", "派人", "麻烦登记一下"):
OVERRIDE_BOOKING_RULE_ASKED = 0.9
# With no rule, the classifier decides a non-item intent at or above this probability:
ACCEPT_INTENT = 0.6
# ... but at or above this when an item matched ("残疾证", "孙子10岁了没办过身份证 现在能办吗"):
ACCEPT_INTENT_OVER_ITEM = 0.8
# ... and this when the item matched with confidence ("临时救助好久批得下来" asks about the item's time limit):
ACCEPT_INTENT_OVER_CONFIDENT_ITEM = 0.9
# ... and out_of_scope above this, even when an item matched with confidence ("快递", "打车"),
ACCEPT_OOS = 0.8
# ... and surer still when that item scores this many times the next one.
CLEAR_LEAD = 3.0
ACCEPT_OOS_OVER_CLEAR_ITEM = 0.95
# or above this when an item is only plausible ("复印身份证哪点便宜"), or matched hardly at all:
ACCEPT_OOS_PLAUSIBLE_ITEM = 0.4
ACCEPT_OOS_UNSURE_ITEM = 0.3
# ... and no refusal at all when the question is as likely as the refusal (an item matching, no neighbour's word).
COIN_FLIP = 0.02
# An item the message names by its service word and that scores this many times the next is what it is about:
NAMED_STORY_LEAD = 1.5
# ... and a little less when the classifier too reads a question ("我是服务站的，有户人家想报低保，男的…").
NAMED_ASKED_LEAD = 1.3
# A government-service question the catalog does not hold ("护照怎么办") is ask_item with no item:
ACCEPT_ASK = 0.8
# A question the model reads as one, at least this surely, that matches items only weakly (a long story around
# "能评残疾不"): choices among them, not a refusal. Every in-scope message refused this way in 20,215 cases had its
# item first, and no out-of-scope one was refused this way.
WEAK_QUESTION = 0.45


@dataclass
class Understanding:
    text: str
    intent: str
    result: Result
    aspect: str | None = None
    items: list = field(default_factory=list)
    # The items the message names by a word of their name (ItemIndex.named): none for a follow-up
    # ("要登报不") on the item under discussion.
    named: frozenset = frozenset()
    # The classifier's guess and its probability, for decisions that depend on the conversation.
    guess: str = ""
    sure: float = 0.0
    # The neighbouring domain (bank loans, delivery, sick livestock ...) that makes the message out of scope.
    outside: Neighbour | None = None
    # The intent rule that fired (intents.yaml), if any.
    rule: str | None = None
    # Each word naming items, with the items it names ("户口": nine items, "医保": five).
    naming: dict = field(default_factory=dict)
    # The text those words were found in: synonyms made standard ("个体户" is "个体工商户" there).
    words_text: str = ""
    # The message asks a part of a guide in words every guide shares, and nothing else ("申请之后多久能批下来"):
    # whatever item those words match, it asks of the item under discussion.
    plain_aspect: bool = False
    # A progress asked as the asker's own case handed in and still waiting ("上个月就交上去了 到现在还没消息"),
    # not a booking looked up nor how long the service takes: its answer is how to look the case up.
    waiting: bool = False

    @property
    def confidence(self) -> float:
        return self.result.confidence

    def as_json(self) -> dict:
        """The `python -m bot.understand` contract."""
        return {
            "text": self.text,
            "intent": self.intent,
            "items": [{"code": m.code, "name": m.name, "score": m.score} for m in self.result.matches[:5]],
            "confidence": self.confidence,
        }


@dataclass
class _Rule:
    intent: str
    pattern: re.Pattern
    whole: bool
    name: str | None = None  # a block's `name`, for code that asks which rule fired ("hurry")


def _load_rules(path: Path) -> list[_Rule]:
    rules = []
    for block in read_yaml(path):
        if block["intent"] not in INTENTS:
            raise ValueError(f"{path}: unknown intent {block['intent']!r}")
        for pattern in block["patterns"]:
            rules.append(_Rule(block["intent"], re.compile(pattern, re.IGNORECASE), bool(block.get("whole")), block.get("name")))
    return rules


# Characters typed one by one with spaces between ("健 康 证 在 县 医 院 办 得 不"): the words they spell.
SPACED_CHARACTERS = re.compile(r"(?:[\u4e00-\u9fff] +){3,}[\u4e00-\u9fff]")


# A question clause told apart from a neighbouring trade's story must match its item this well by itself: a clear
# description ("上牌要带些啥" scores 32 for 机动车注册登记, "要转到哪里" 12 for a pension transfer).
APART_SCORE = 25.0
# A clause left with at most this many characters once a neighbouring trade's word is taken out is only its topic.
TOPIC_REST = 2
# Words typed apart in sign-language order ("妈妈 认证 刷脸 不 会", "人 来 家 帮 可以 吗"): a clause of at least
# this many words, this short on average, is read as one phrase.
SPACED_WORDS = 4
SPACED_WORD_LENGTH = 2.0


def _join_spaced_words(clause: str) -> str:
    words = clause.split()
    if (
        len(words) >= SPACED_WORDS
        and all(CJK.fullmatch(w) for w in words)
        and sum(map(len, words)) / len(words) <= SPACED_WORD_LENGTH
    ):
        return "".join(words)
    return clause


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").strip().lower()
    if text.count(" ") >= SPACED_WORDS - 1:
        text = re.sub(r"[^,，。.!！?？;；]+", lambda m: _join_spaced_words(m.group(0)), text)
    return SPACED_CHARACTERS.sub(lambda m: m.group(0).replace(" ", ""), text)


def standard(text: str) -> str:
    """normalize, then local speech to standard words: what the intent classifier reads."""
    return local_speech().standard(normalize(text))


class Understander:
    """Intent rules plus the item index: the same object serves the bot and `bot.understand`."""

    def __init__(
        self,
        index: ItemIndex,
        rules_path: Path = RULES_FILE,
        classifier: IntentClassifier | None = None,
        pinyin: PinyinReader | None = None,
        neighbours: Neighbours | None = None,
        waiting_case: Rereading | None = None,
        service_went: Rereading | None = None,
    ):
        self.index = index
        self.rules = _load_rules(rules_path)
        self.classifier = classifier if classifier is not None else shared_classifier()
        # A message read as a question, read again (rereading.py): the asker's own case waiting, or how a service went.
        self.waiting_case = waiting_case if waiting_case is not None else shared_rereading("query_progress")
        self.service_went = service_went if service_went is not None else shared_rereading("rate_service")
        self._pinyin = pinyin
        self.neighbours = neighbours if neighbours is not None else shared_neighbours()
        self._item_texts: dict[str, str] = {}
        self._material_words: dict[str, frozenset[str]] = {}
        self._generic: re.Pattern | None = None

    @property
    def pinyin(self) -> PinyinReader:
        """Built on first use (most processes see few pinyin messages; `warm` builds it ahead)."""
        if self._pinyin is None:
            # Residents' examples in simplified characters: pinyin is read into the words the rest understands.
            examples = [self.index.lexicon.speech.simplified(t) for t in example_texts()]
            self._pinyin = shared_reader(_catalog_texts(self.index), examples, self.index.lexicon.tokenizer.cut)
        return self._pinyin

    def item_text(self, code: str) -> str:
        """The item's whole text as messages are read (standard words, lower case), for neighbouring words."""
        if code not in self._item_texts:
            item = self.index.item(code)
            self._item_texts[code] = standard(item_text(item)) if item else ""
        return self._item_texts[code]

    def material_words(self, code: str) -> frozenset[str]:
        """The words of an item's material names and notes (户口, 死亡, 证明, 租赁合同 ...), for a message about a
        document."""
        if code not in self._material_words:
            item = self.index.item(code) or {}
            said = [m["name"] + " " + (m.get("note") or "") for m in item.get("materials", [])]
            self._material_words[code] = self._content_words(" ".join(said))
        return self._material_words[code]

    def mentions_materials(self, u: Understanding, code: str | None) -> bool:
        """Does the message speak of a document the item asks for ("要不要带户口本", "死亡证明是村医开的 要得不")?"""
        return bool(code) and bool(self._content_words(u.text) & self.material_words(code))

    def without_generic(self, text: str) -> str:
        """The message without the words every guide shares ("申请", "办理", "之后")."""
        if self._generic is None:
            words = sorted(self.index.lexicon.generic | COMMON_WORDS, key=len, reverse=True)
            self._generic = re.compile("|".join(map(re.escape, words)))
        return self._generic.sub("", text)

    def _content_words(self, text: str) -> frozenset[str]:
        lx = self.index.lexicon
        return frozenset(w for w in lx.words(lx.normalize(standard(text))) if len(w) >= 2 and w not in lx.generic)

    def asked_apart(self, norm: str, neighbour_words: list[str]) -> Result | None:
        """The match of the parts that ask (or ask us to book), when none holds a neighbouring trade's word and they match an
        item surely by themselves: the trade is the story ("买了个货车 帮人家拉猪拉饲料 要办哪样运输证")."""
        parts = clauses(norm)
        asking = [c for c in parts if asks(c) or ASKS_EITHER.search(c) or aspect_of(c) or BOOKING_VERB.search(c)]
        if len(parts) < 2 or not asking or len(asking) == len(parts):
            return None
        if any(w in c for c in asking for w in neighbour_words):
            return None
        result = self.index.search(" ".join(asking))
        # ... and describes it clearly ("上牌", "运输证"), not "要转到哪里" matching a transfer by its verb alone
        return result if result.confident and result.best.score >= APART_SCORE else None

    def asked(self, text: str, result: Result, naming: dict) -> frozenset[str]:
        """The item the question itself names, when the rest of the message tells a story that may point elsewhere
        ("之前公司拖欠工资还不给开离职证明，劳动仲裁怎么申请": 仲裁, not the wage complaint the story describes).
        text: the message as its naming words were found in (Understanding.words_text); result: its matches."""
        parts = clauses(text)
        asking = [asks(c) or ASKS_EITHER.search(c) is not None or aspect_of(c) is not None for c in parts]
        question = " ".join(c for c, q in zip(parts, asking) if q)
        if all(asking) or not (SERVICE_ASKED.search(question) or HOW.search(question) or aspect_of(question) in ASKED_FACTS):
            return frozenset()  # nothing but the question, or a question of no service ("出生证明和结婚证都要吗")
        # ... and the story names another item that the whole message ranks among its first two. Names come from
        # the words already found, so most messages stop before anything is searched.
        story = " ".join(c for c, q in zip(parts, asking) if not q)
        in_question = frozenset().union(*(codes for w, codes in naming.items() if w in question))
        told_of = frozenset().union(*(codes for w, codes in naming.items() if w in story))
        told_of &= {m.code for m in result.matches[:2]}
        if not in_question or not told_of:
            return frozenset()
        best, told = self.index.search(question).best, self.index.search(story).best
        if best is None or told is None or best.code not in in_question or told.code == best.code:
            return frozenset()
        return frozenset({best.code})

    def neighbour_asked(self, norm: str) -> bool:
        """Does a clause that asks hold a neighbouring domain's word ("找代账会计一个月好多钱", "卖烟是不是还要办个烟草证
        那个在哪办")? Not "上了好久能用嘛 娃娃三天两头感冒": there the illness is the story, the question the guide's.
        norm: the message made standard (`standard`)."""
        parts = [p for c in clauses(norm) for p in AFTER_QUESTION_PARTICLE.split(c) if p]
        # A part of a guide named mid-story ("我在外地进货几天 回来办得不") is no question; the last clause's is.
        asking = [c for i, c in enumerate(parts) if asks(c) or ASKS_EITHER.search(c) or (i == len(parts) - 1 and aspect_of(c))]
        # ... and so does a clause that is nothing but the trade's word, the topic of the question after it ("违章罚款
        # 在哪交 手机上能交不").
        found = {c: self.neighbours.found(c) for c in parts}
        topics = [c for c in parts[:-1] if found[c] and len(_without(c, found[c])) <= TOPIC_REST]
        return any(found[c] for c in asking) or bool(topics and asking)

    def outside(self, norm: str, codes) -> Neighbour | None:
        """The neighbouring domain of a message, unless one of these items holds the word."""
        return self.neighbours.outside(norm, (self.item_text(c) for c in codes))

    def warm(self) -> None:
        self.pinyin  # noqa: B018 - builds it

    def hurries(self, text: str) -> bool:
        """Does the message open by hurrying a case along (the `hurry` rule of intents.yaml)?"""
        return any(r.name == "hurry" and r.pattern.search(self.index.lexicon.normalize(text)) for r in self.rules)

    def rule_intent(self, text: str) -> str | None:
        for rule in self.rules:
            if rule.whole:
                if rule.pattern.fullmatch(text):
                    return rule.intent
            elif rule.pattern.search(text):
                return rule.intent
        return None

    def understand(self, text: str) -> Understanding:
        norm = spell_initials(normalize(text), self.index.lexicon.initials)
        empty = Result(query=text)
        if has_pinyin(norm):
            courtesy = self.rule_intent(norm)
            if courtesy in ("thanks", "greeting"):  # "xie le", "hello": before pinyin is read as characters
                return Understanding(text, courtesy, empty, guess=courtesy, sure=1.0, rule=courtesy)
            norm = self.pinyin.read(norm) or norm
        norm = self.index.lexicon.speech.standard(norm)
        if not MEANINGFUL.search(norm) or _looks_pasted(norm):
            return Understanding(text, "out_of_scope", empty, guess="out_of_scope", sure=1.0)
        rule = self.rule_intent(self.index.lexicon.normalize(norm))
        if rule in STORY_RULES and (said := QUESTION_AFTER_STORY.search(norm)):
            if self.rule_intent(self.index.lexicon.normalize(said.group(1))) is None:
                # "材料交上克了，到现在还没得消息…想问一哈认定下来以后，之前透的那些还能不能补着报": the story says
                # where the case stands; what is asked, after "想问", is a question of the guide.
                rule = None
        if rule == "out_of_scope":
            return Understanding(text, rule, empty, guess=rule, sure=1.0, outside=self.outside(norm, []), rule=rule)
        unprefaced = PREFACE.sub("", norm) or norm  # what the models read: "顺便问下" says only that a question follows
        guess, sure, chances = self.classifier.predict(unprefaced)
        aspect = aspect_of(norm)
        words_text = self.index.lexicon.normalize(norm)
        naming = self.index.naming_words_in(words_text)
        named = frozenset().union(*naming.values())
        # "要钱不": a part of a guide and nothing else names no item (要钱 is no wage claim here).
        result = empty if aspect and not named and only_asks(norm, aspect) else self.index.search(norm)
        if not result.plausible and (said := QUESTION_AFTER_STORY.search(norm)) and len(said.group(1)) >= 4:
            # "喂 那个 我说下哈 我家羊子今年卖了十几只 我想问的是 我家的低保咋个遭取消了": the asker says where the
            # question starts; the story before it only dilutes the match.
            if (asked := self.index.search(said.group(1))).confidence > result.confidence:
                result = asked
        favoured = self.asked(words_text, result, naming) if len(result.matches) > 1 else frozenset()
        if favoured:  # the question names another item than the story: search again, favouring it
            result = self.index.search(norm, asked=favoured)
        intent = self.combine(rule, guess, sure, result, aspect, norm)
        if (
            intent == "out_of_scope"
            and guess == "out_of_scope"
            and sure - chances["ask_item"] < COIN_FLIP
            and result.best is not None
            and self.outside(norm, []) is None
        ):
            # "老公在广东跑车 在那边看病刷得成不": the model cannot tell a refusal from a question, an item matches and no
            # neighbouring trade's word is said; offering the item costs the resident less than refusing on a coin flip.
            intent = "ask_item"
        if intent == "out_of_scope" and result is empty and rule is None and self.outside(norm, []) is None:
            intent = "ask_item"  # "一个月 给 好多": a part of a guide and nothing else, which the item under discussion answers
        if rule == "query_progress" and intent == "out_of_scope" and self.hurries(norm) and self.outside(norm, []) is None:
            intent = rule  # "能不能快点 他下个月要到广东来": hurrying a case along, whatever the story after it
        if (
            (intent == "greeting" or (intent == "out_of_scope" and guess == "greeting"))
            and rule is None
            and asks(norm)
            and not GREETING_WORDS.search(norm)
        ):
            intent = "ask_item"  # "爸爸不在能上吗" (after 出生登记): the model hears 在; no greeting asks anything
        if intent == "cancel_booking" and rule is None and not CANCELS.search(norm):
            # "那之前垫的那次呢": every cancellation residents wrote says so (1,061 examples); the model alone does not.
            intent = "ask_item" if result.plausible or aspect is not None else "out_of_scope"
        # ... a close, unless it ends asking yes or no ("那我喊别人代我去办不")
        # ... or "那我自己去申请要不要钱", an A不A question
        closing = THANKS_AT_END.search(norm) or (
            AGREED_PLAN.match(norm) and not asks_or_ends_yes_no(norm) and not ASKS_EITHER.search(norm)
        )
        if (
            intent == "ask_item"
            and GOVERNMENT_DOCUMENT.search(norm)
            and not result.confident
            and not _named_lead(result, named, NAMED_ASKED_LEAD)
        ):
            # "我户口不在昭通 在这边上班要办居住证不", "东莞居住证过期了 在这边能续不": a document the catalogue has no
            # guide for, whatever items its words brush against; refused with where to get it (neighbours.yaml). Not
            # "随迁子女入学要不要居住证": enrolment matches confidently.
            intent = "out_of_scope"
        if intent in ("ask_item", "out_of_scope") and closing and not asks(norm) and not named and not result.confident:
            intent = "thanks"  # "那等我下个礼拜回来去办 多谢", "行 我克弄": a plan; nothing asked, no service named
        if intent == "query_progress" and rule is None and result.plausible and HOW_TO_GO_ON.search(norm):
            # "认定下来以后 之前透的那些还能不能补着报": how to go on, which the guide answers; not "一直显示待受理 咋办"
            if not self.hurries(norm) and not OVERDUE.search(norm):
                intent = "ask_item"
        if intent == "query_progress" and rule is None and HOW_LONG_AHEAD.search(norm) and not MINE.search(norm):
            if not waiting_story(norm):  # "材料交了要好久能批下来": how long it will take, asked before anything waits
                intent = "ask_item"
        if intent == "query_progress" and aspect == "time" and result.plausible and IN_GENERAL.search(norm):
            if not MINE.search(norm):  # "我的低保交上去一般好久批得下来" is the asker's own case
                intent = "ask_item"
        # "抚恤金这个季度咋个还没到账": a benefit's payment, answered from its guide, not a booking's progress.
        payment = PAYMENT_ASKED.search(norm) is not None and not BOOKED.search(norm) and not handed_in_or_overdue(norm)
        if intent == "query_progress" and result.confident and payment:
            intent = "ask_item"
        if (
            (intent == "ask_item" or (intent in BOOKING_INTENTS and (BOOKED_BEFORE.search(norm) or overdue(norm))))
            and not payment
            and waiting_story(norm)
        ):
            intent = "query_progress"  # "交通补贴申请了 快3个月了 钱呢": the asker's own case, though the item is named
        if intent == "out_of_scope" and PAYMENT_ASKED.search(norm) and _named_lead(result, named):
            # "种地补贴打到一折通上头 信用社说还没到": a benefit's payment, though a bank is where it is looked for.
            intent = "ask_item"
        lead = NAMED_ASKED_LEAD if guess == "ask_item" else NAMED_STORY_LEAD
        if intent == "out_of_scope" and (
            ((guess != "out_of_scope" or sure < ACCEPT_OOS) and _named_lead(result, named, lead))
            or (
                sure < ACCEPT_OOS_OVER_CLEAR_ITEM
                and _named_lead(result, named, CLEAR_LEAD)
                and SERVICE_ASKED.search(norm) is not None
                and self.outside(norm, []) is None
            )
        ):
            # A long story that names its service ("…吵了好几回了 村上能不能喊人来给我们调解一下") and ranks it clearly
            # first is a question about it, though the story dilutes the match; and one naming its service far ahead of
            # any other and asking for it, with no neighbouring trade's word ("跟婆婆天天吵…村里有没有人能来调解一下啊"),
            # needs a very sure classifier to be refused.
            intent = "ask_item"
        elif (
            intent == "out_of_scope"
            and sure < ACCEPT_OOS_OVER_CLEAR_ITEM
            and result.confident
            and leads_by(result, CLEAR_LEAD)
            and self.outside(norm, []) is None
        ):
            # "…遭野猪拱得稀巴烂…听说政府会赔": 野生动物致害补偿 far ahead of any other item, and no neighbouring
            # trade's word: the classifier must be very sure to refuse it.
            intent = "ask_item"
        elif (
            intent == "out_of_scope"
            and sure < ACCEPT_OOS
            and (result.plausible or (result.best is not None and result.best.code in named))
            and (GOVERNMENT_HELP.search(norm) or COMPLAINS_TO.search(norm))
        ):
            # "老房子墙裂起好宽的缝缝 一下雨就漏…政府有没有补助给我们修": a repair, but asked of the government; and
            # "买的饲料是假的…找哪个告": farming words, but a complaint asked of a public body; and "下冰雹 荞子洋芋都
            # 打光了…国家有补的不", where the trouble's own word (冰雹) names the item first, however weakly matched.
            intent = "ask_item"
        elif (
            intent == "out_of_scope"
            and sure < ACCEPT_OOS
            and aspect in BENEFIT_FACTS
            and result.plausible
            and leads_by(result, NAMED_STORY_LEAD)
        ):
            # "满八十那个钱一个月到底是好多嘛？赶场天几个老者在那点争…": how much a benefit pays, and one benefit
            # clearly first, though the story around it reads as chat.
            intent = "ask_item"
        elif intent == "out_of_scope" and aspect == "remote" and TREATED.search(norm) and sure < ACCEPT_OOS and result.best:
            # "老公在广东跑车 在那边看病刷得成不": whether care away from home is covered, asked of some item (not
            # "我在上海想办个居住证要去哪里办", which the model rightly refuses)
            intent = "ask_item"
        elif intent == "out_of_scope" and VENTS.search(norm) and sure < ACCEPT_OOS and self.outside(norm, []) is None:
            intent = "rate_service"  # "…才说少个复印件 不能早点说吗 心态崩了": how a visit went, no trade's word
        elif intent == "out_of_scope" and THANKS_WHO_HELPED.search(norm) and not asks(norm) and sure < ACCEPT_OOS:
            intent = "rate_service"  # "村里小王 帮我办养老 好人 谢谢她"
        elif intent == "out_of_scope" and HANDS_IN_PAPERS.search(norm) and (sure < ACCEPT_OOS or self.outside(norm, []) is None):
            # "表格我们村委会帮他填 交到哪点": our forms handed in, however sure the model is, unless a neighbouring
            # trade's word says whose forms they are
            intent = "ask_item"  # which service is asked about comes next (or is the one under discussion)
        if intent in ("ask_item", "out_of_scope", "query_progress", "rate_service", *BOOKING_INTENTS):
            # "农商行贷款利率好多", "快递到哪了", "牛不吃草", "你们能不能帮我去劝一下她" (after 吵架), "一星差评…让平台
            # 删掉": a neighbouring trade, unless the best item speaks of it.
            outside = self.outside(norm, [result.best.code] if result.best else [])
            # Named by a word of its own, not by part of the neighbour's word ("烟草零售" does not name 烟花零售).
            found = self.neighbours.found(norm) if outside is not None else []
            neighbour_words = [w for w, _ in found]
            named_itself = result.best is not None and any(
                result.best.code in codes and not any(w in n for n in neighbour_words) for w, codes in naming.items()
            )
            asks_named = result.plausible and named_itself and SERVICE_ASKED.search(norm)
            clearly_named = result.confident and named_itself and _named_lead(result, named)
            # "奶奶的名字身份证上和户口本上差一个字 信用社不给她取钱": the bank is only where the story happens.
            only_story = bool(named) and all(w in d.story_words for w, d in found)
            # "买的奶粉过期了…娃喝了拉肚子…可以去哪里告他": a complaint asked of a public body, whatever the story's trade.
            complains = COMPLAINS_TO.search(norm) is not None and result.plausible
            refused = outside is not None and (
                outside.whatever_named or not (asks_named or clearly_named or only_story or complains)
            )
            if refused and not outside.whatever_named and (apart := self.asked_apart(norm, neighbour_words)) is not None:
                # "新买了个三轮车拉饲料 上牌咋个整": the feed is the story; the question, free of it, asks a service.
                result, refused = apart, False
            if refused:
                # ... but "身份证过期了 信用社不给取钱 换身份证要到哪点换" asks for the service it names, and
                # "商业保险我不懂 就问个体户自己交养老保险咋个交" names its service clearly above any other.
                return Understanding(
                    text,
                    "out_of_scope",
                    empty,
                    aspect=aspect,
                    named=named,
                    guess="out_of_scope",
                    sure=1.0,
                    outside=outside,
                    rule=rule,
                )
        if intent == "out_of_scope":
            # Not a question we recognise; the asker may still mean the item under discussion ("多久能办好"),
            # unless the classifier says it is about something else ("打车去政务中心要好多钱").
            # A neighbouring domain's word, even one an item mentions ("电动车"), names what to refuse.
            outside = self.outside(norm, [])
            return Understanding(
                text, intent, empty, aspect=aspect, named=named, guess=guess, sure=sure, outside=outside, rule=rule
            )
        # "尘肺那个工伤认定 去年腊月交的 咋个一点信都莫得": a case told in words no pattern knows; the model that only
        # tells a waiting case from a question (rereading.py) is sure it is the asker's own. Not when it asks how to go
        # on ("…想问一哈认定下来以后 之前透的那些还能不能补着报"), which the guide answers, unless something is overdue.
        heard = (
            intent == "ask_item"
            and not (HOW_TO_GO_ON.search(norm) and not overdue(norm))
            and own_case(self.waiting_case, unprefaced, chances["query_progress"])
        )
        if heard:
            intent = "query_progress"
        elif intent == "ask_item" and how_it_went(self.service_went, unprefaced):
            intent = "rate_service"  # "上户口那个姐姐好好哦😍 一次就给我弄完了 谢谢哈": how it went, though it names it
        if tells_how_it_went(intent, norm):
            intent = "rate_service"
        waiting = intent == "query_progress" and (heard or waiting_story(norm))
        if intent in ("thanks", "greeting") and rule != "greeting" and aspect is not None and ASKS.search(norm):
            intent = "ask_item"  # "好的，谢谢，请问上门需要收费吗": the question after the courtesy
        if intent in BOOKING_INTENTS:
            # How the person is ("卧床不起", "走不动") says why to book, not what: keep it out of item matching.
            trimmed = CIRCUMSTANCES.sub(" ", norm)
            if trimmed != norm:
                result = self.index.search(trimmed)
                naming = self.index.naming_words(trimmed)  # "坐轮椅" names no 轮椅 item
                named = frozenset().union(*naming.values())
            if rule == intent and aspect in GUIDE_FACTS and not BOOKING_VERB.search(norm):
                # "可以委托别人办吗 要带哪些材料" asks about the guide; nobody asked us to book anything.
                intent = "ask_item"
            elif AHEAD_ASKED.search(norm) and not BOOKS_NOW.search(norm):
                intent = "ask_item"
            elif FAMILY_AGENT.search(norm) and not ASKS_US.search(norm) and not FOR_FAMILY_REQUEST.search(norm):
                # "我老公在县城做事 他可以帮我去交材料不": who may go, whatever else the message mentions.
                intent, aspect = "ask_item", "agent"
            elif (ASKER_HELPS.search(norm) or WHO_DOES.search(norm) or PRESENCE_ASKED.search(norm)) and not ASKS_US.search(norm):
                intent, aspect = "ask_item", "agent"
            elif intent == "book_home_visit" and OTHER_WAY.search(norm) and not VISIT_REQUESTED.search(norm):
                intent = "ask_item"  # "养老金资格认证 老者腿不行走不动 有没得别的办法认证"
            elif intent == "book_home_visit" and ASKS_IF_VISITED.search(norm):
                intent = "ask_item"  # "签了过后会不会上门来给老汉量血压": what the service includes
            elif (
                intent == "book_home_visit"
                and (aspect in ASKED_FACTS or (HOW.search(norm) is not None and not SPEAKS_OF_VISIT.search(norm)))
                and asks(norm)
                and not VISIT_REQUESTED.search(norm)
                and not (GIVES_NUMBER.search(norm) or GIVES_ADDRESS.search(norm))
            ):
                # "家庭医生签约要钱不 能不能定期来屋头帮我换尿管": a question of the guide first; the answer says
                # whether a visit can be booked (guide.section's `visit`), and the resident books in one word.
                intent = "ask_item"
        return Understanding(
            text,
            intent,
            result,
            aspect=aspect,
            named=named,
            guess=guess,
            sure=sure,
            rule=rule,
            naming=naming,
            words_text=words_text,
            plain_aspect=aspect is not None and not named and only_asks(self.without_generic(norm), aspect),
            waiting=waiting,
        )

    @staticmethod
    def combine(rule: str | None, guess: str, sure: float, result: Result, aspect: str | None, text: str = "") -> str:
        """The intent from the rule that fired (if any), the classifier's guess and how sure it is,
        and the item match. Thresholds at the top of this module."""
        if rule in ("greeting", "thanks"):
            return rule  # these rules cover the whole message ("嗯", "好 先这样"): nothing is left to ask or refuse
        if rule is not None:
            override = OVERRIDE_RULE
            if rule in BOOKING_INTENTS:
                override = OVERRIDE_BOOKING_RULE_BY_ASK if guess == "ask_item" else OVERRIDE_BOOKING_RULE
                if guess in BOOKING_INTENTS or guess in ("greeting", "thanks", "rate_service"):
                    # the words said 代办 (or 上门): the other kind needs a sure model; and courtesies and ratings have
                    # rules of their own ("莫得人帮我填表" is no greeting, "那就代办吧" no rating)
                    override = OVERRIDE_RULE
                if EXPLICIT_BOOKING.search(text):
                    # "申请代办 需要我什么时候送过来" asks when, but first of all asks us to book.
                    override = max(override, OVERRIDE_BOOKING_RULE_ASKED)
                elif guess == "ask_item" and ASKS_US.search(text):
                    # "需要代办养老金待遇申领 材料收齐了 麻烦登记一下": a request to us, whatever else it asks.
                    override = OVERRIDE_BOOKING_RULE_ASKED
                elif guess == "out_of_scope" and rule == "book_home_visit" and result.plausible:
                    # "屋头要装扶手修个坡 能不能来人看一下": a visit asked for, and an item fits it (无障碍改造); a
                    # neighbouring trade's word is refused below whatever the intent.
                    override = OVERRIDE_RULE
                elif guess == "out_of_scope" and "你们" in text:
                    # "路远得很 你们上不上门": asked of us, so no other trade's business unless the model is fairly sure
                    # (a neighbouring trade's word is refused below whatever the intent).
                    override = OVERRIDE_BOOKING_RULE_BY_ASK
            if rule == "rate_service" and guess == "ask_item" and aspect is None and not SERVICE_ASKED.search(text):
                override = OVERRIDE_RATING_RULE
            if rule == "cancel_booking" and guess in BOOKING_INTENTS:
                # a cancellation names what was booked ("前所预约代为打印社保记录一事…特此取消"): its words are no new request
                override = OVERRIDE_BOOKING_RULE_ASKED
            return guess if guess != rule and sure >= override else rule
        if guess == "query_progress" and result.confident and aspect == "time" and not STATUS_ASKED.search(text):
            # "临时救助好久批得下来" asks how long the item takes, not where the asker's own case is.
            return "ask_item"
        if guess not in ("ask_item", "out_of_scope"):
            # A confidently matched item is evidence for a question about it: the classifier must be surer.
            needed = ACCEPT_INTENT_OVER_ITEM if result.plausible else ACCEPT_INTENT
            if result.confident or (guess == "rate_service" and aspect in ("time", "amount")):
                # ... and so is a question about a part of a guide: "好久办得好" asks, it does not praise, and
                # "一个月 给 好多" asks how much (好多), it does not say 好.
                needed = ACCEPT_INTENT_OVER_CONFIDENT_ITEM
            if guess == "query_progress" and MINE.search(text):
                needed = min(needed, ACCEPT_INTENT_OVER_ITEM)  # "我申请的临时救助都半个月了，好久才批得下来": the asker's own
            if sure >= needed:
                return guess
        if guess == "out_of_scope":
            # The better an item matched, the surer the classifier must be that this is not about it.
            if result.confident:
                needed = ACCEPT_OOS
            elif result.plausible:
                needed = ACCEPT_OOS_PLAUSIBLE_ITEM
            else:
                needed = ACCEPT_OOS_UNSURE_ITEM
            if sure >= needed:
                return guess
        # "要带什么材料" alone still asks about an item: the one under discussion; and "低保新申 材料清单麻烦发一下"
        # asks a part of the guide of items it matches, if only weakly: which one is offered, not refused.
        # ... and "那我喊别人代我去办不" asks who may go, though the model leans to another intent and no item fits.
        asks_part = (aspect is not None and not result.terms) or (aspect == "agent" and guess not in ("ask_item", "out_of_scope"))
        asks_part_of_match = guess in ("ask_item", *BOOKING_INTENTS) and aspect in GUIDE_FACTS and result.best is not None
        if result.plausible or asks_part or asks_part_of_match or (guess == "ask_item" and sure >= ACCEPT_ASK):
            return "ask_item"
        if guess == "ask_item" and sure >= WEAK_QUESTION and result.best is not None:
            return "ask_item"
        return "out_of_scope"


def leads_by(result: Result, factor: float) -> bool:
    """Does the best match score at least `factor` times the next one (or stand alone)?"""
    matches = result.matches
    return len(matches) < 2 or matches[0].score >= factor * matches[1].score


def _named_lead(result: Result, named: frozenset, lead: float = NAMED_STORY_LEAD) -> bool:
    matches = result.matches
    if not matches or matches[0].code not in named:
        return False
    second = matches[1].score if len(matches) > 1 else 0.0
    return matches[0].score >= lead * second


def _catalog_texts(index: ItemIndex) -> list[str]:
    return [t for item in index.items.values() for t in (item["name"], *item.get("aliases", []), *item.get("keywords", []))]


# Parts of a guide a question clause may ask of the item it names ("跟车队扯皮 工钱不给 仲裁要钱不": 仲裁's fee).
ASKED_FACTS = frozenset({"fee", "amount", "materials", "time", "location"})


def _without(text: str, found: list) -> str:
    """The text without the neighbouring words found in it."""
    for word, _ in found:
        text = text.replace(word, "")
    return text


def aspect_of(text: str) -> str | None:
    gives_number = GIVES_NUMBER.search(text) is not None
    gives_address = GIVES_ADDRESS.search(text) is not None
    for name, pattern in ASPECTS:
        if (name == "phone" and gives_number) or (name == "location" and gives_address):
            continue  # "家属电话139…", "地址鲁甸县文屏镇团街" give a number or a place, they do not ask for one
        if pattern.search(text):
            return name
    return None


# Words any question may hold besides a part of a guide: when, whether, how it comes out.
COMMON_WORDS = frozenset(
    {"之后", "以后", "过后", "后", "一般", "大概", "大约", "能", "要", "会", "还", "需要", "可以", "得"}
    | {"批下来", "办下来", "下来", "办好", "拿到", "审批", "批"}
)
PARTICLES = re.compile(r"[不吗么嘛呢啊呀没的了哦哈噻\s?？。!！,，.~]")


def only_asks(text: str, aspect: str) -> bool:
    """Does the message ask that part of a guide and say nothing else?"""
    return not PARTICLES.sub("", dict(ASPECTS)[aspect].sub("", text))


def rating_of(text: str) -> int | None:
    m = RATING.search(normalize(text))
    if m:
        return CHINESE_DIGITS.get(m.group(1)) or int(m.group(1))
    stripped = normalize(text)
    if stripped in {"1", "2", "3", "4", "5"}:
        return int(stripped)
    stars = stripped.count("⭐")
    return stars if 1 <= stars <= 5 else None


def _looks_pasted(text: str) -> bool:
    """Long text of several sentences asking us nothing (an article forwarded into the chat); a resident's long story
    ending in a question ("…我想问下工伤认定是要哪个去申请，病人自己能申请不") is no paste, nor one whose questions
    come before a closing remark ("…是在派出所办还是要到县公安局" after "…能不能作为依据？")."""
    sentences = [s for s in re.split(r"[。！？!?；;]", text) if len(s.strip()) > 4]
    if len(text) <= PASTED_TEXT_CHARS or len(sentences) < 3:
        return False
    return not (QUESTION_AFTER_STORY.search(text) or QUESTION_MARK.search(text) or any(map(asks, sentences)))
