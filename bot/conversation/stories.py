"""A resident's own case told as a story of waiting ("高龄津贴上个月就叫村上报上去了 到现在卡上还莫得钱"): something
handed in, applied for, booked or inspected before, and a result that has not come. The patterns here find the parts
of such a story; the understanding (nlu.waiting_story) weighs them against what the message asks."""

from __future__ import annotations

import re

WAITED = r"(天|周|礼拜|星期|工作日|月|年)"
WAITED_DAYS = r"(天|周|礼拜|星期|工作日|月)"  # not years: "交了十几年了" are contributions
NUMBER = r"[0-9一二两三四五六七八九十几半百俩]+"
HANDED_IN = r"(报|交|申请|提交|递交|递|申报|登记|拿走)"  # "仲裁申请递上去三个星期"
# Time gone by since something was handed in: "报乡里一个多月了", "交了二十多天", "单子交上去一个多月", "申请三天了";
# not "提交后5个工作日内", a rule, nor "交了八个月社保", contributions.
ELAPSED_SINCE_HANDED_IN = (
    rf"{HANDED_IN}[^,，。\s]{{0,8}}?(快|已经?|都|有|近){NUMBER}(个)?多?{WAITED_DAYS}"
    rf"|{HANDED_IN}(了|上去|上克){NUMBER}(个)?多?(天|周|礼拜|星期|工作日|个多月|个月了)"
    rf"|{HANDED_IN}[^,，。\s]{{0,8}}?{NUMBER}(个)?多?{WAITED_DAYS}(多)?了"
)
# News of a case asked for ("养老院那个申请 有信儿没有"), or a delivery not come ("优待证 还莫送来"): something is due, so
# there is a case, and it waits.
NEWS_OF_CASE = r"有(信|信儿|音信|回音|下文)(了)?(没有|没得|没|不)|还(没|未|莫)(有|得)?(送|寄)(来|到|过来)"
# Something handed in, applied for, booked or inspected before ("高龄津贴上个月就叫村上报上去了", "托我爸去派出所代办的",
# "林业站的人来看过", "报给林业站的", "照的相", "刷了脸", "核验也做过", "在医院就办了的", "约了代办员", "代办员拿走材料";
# not "交到哪年了").
DONE_BEFORE = re.compile(
    r"(交|报|报名|递交|提交|申请|申报|登记|填|寄|投诉|受理|备案)(了|过|的|上去|上克)|(办|做|弄|审|换|补)(的|完)|签字了"
    r"|(交|递交|提交)[^,，。\s?？]{1,8}了|(申报|申请|提交|递交|受理)已"
    r"|已(经)?(于[^,，。]{0,8})?(代办)?(提交|递交|申请|申报|受理|办完|交|报|登记)"
    r"|(量|看|鉴定|体检|拍照|评)过|(托|请|喊|叫|让).{0,10}(代办|办|弄)的|(代办|上门|预约|约)(申领)?的"
    r"|(报|交|递|送)(给|到)[^,，。\s哪]{1,8}(了|的)|报(县|乡|镇|村)|(照|拍)(的|了)(相|照)|照了有|刷(了|过)脸"
    r"|(评估|核验|核查)(也)?(做)?过|(登记|申请)已|(就|已经|已)[^,，。\s]{0,8}(办|登|交|报)了的?|拿走"
    r"|(材料|资料|单子)[^,，。\s]{0,4}交|(?<!签)(预约|约)(了|好)|(代办|预约)(了|过)|(挂失|补办|换领|申领)了|"
    + ELAPSED_SINCE_HANDED_IN
    # "优待证 办了半年 咋个还没得"
    + rf"|(办|弄|整)了(半年|{NUMBER}(个)?多?{WAITED_DAYS})|"
    + NEWS_OF_CASE
)
# Told when to expect it and the time is past ("说三天 今天第六天了"), or told to wait ("说回去等通知"): a case handed
# in, whether or not the story says so.
PROMISE_PASSED = re.compile(
    rf"(说|讲|告知|答应|承诺).{{0,12}}{NUMBER}(个)?{WAITED}.{{0,12}}(现在|今天|这都|都|已经|已).{{0,6}}({NUMBER}(个)?多?{WAITED}|第)"
    r"|今天(已是|已经是|是|都)?第|(说|叫|让).{0,8}等(通知|消息|床位)"
)
# A result plainly overdue or looked for ("仍未到账", "一直显示审核中", "到现在还没拿到", "以往都是十号就到了", "请核实"):
# the asker's own case when it is said to be theirs or a time is named, though no handing-in is told.
OVERDUE = re.compile(
    r"一直显示|迟迟(没|未|不)|(仍|均)(然)?(未|没)|至今(还|仍|都)?(未|没)|始终(没|未)|(起|开始)(就)?停了"
    r"|以往|往月|往常|(请|烦请|恳请|麻烦|帮忙)(帮忙)?核实|查一查"
)
# ... unless it asks whether one may ("临时身份证能马上办不"), when it does not ask us to look ("能不能帮我看一哈").
CHECK_ASKED = re.compile(r"(帮|给)(我|我们|他|她|忙)?(查|看|催|核实|问)|查(一下|下|查|询)|催(一下|下|催)|核实")
# ... and a result that has not come: "还没下来", "一直显示待审核", "没人理", "报乡里一个多月了", "寄了没", "半个月了",
# "至今不动产证未出", "新证做好了没有", "显示审核中", "到哪个环节了", "排到第几批", "没扣成", "从八月起就停了".
STILL_WAITING = re.compile(
    r"(还|都|也)(是)?(没|未|莫)(有|得)?(下来|到|批|收到|拿到|领到|拿回|看到|见|出|消息|动静|音信|联系|寄|办好|好|通知|结果|生效|盖章|发"
    r"|回|打|退|安排|钱|注|号|改|来(?!得及|看|过))|还(是)?(没|未|莫)(有|得)?([,，。!！?？\s]|$)"
    r"|(咋个|怎么|咋|为什么|为啥|哪么)还不(来|到|发|批|下来)|(预约|约|交|报|申请)了好久了|(钱|款)[^,，。]{0,2}(没|莫)(有|得)?来"
    r"|一直(没|未)(有|得)?(下来|到|批|收到|消息|动静|联系|回|通知|退|寄|发)|(一直|仍然?|还)显示|(尚|期间)未(收到|办结|下来|批)"
    r"|没(有|得)?(音信|动静|下文|回音|信息)|没人(理|联系|管|说)|等(了)?好久了|迟迟(没|未|不)|等了.{0,4}"
    + WAITED
    + rf"|(已经?|都|快|一晃)(满|过)?{NUMBER}(个)?多?{WAITED}|{ELAPSED_SINCE_HANDED_IN}|这都.{{0,3}}{WAITED}"
    + r"|(钱|证|卡|结果|批复)呢|一分(钱)?(都)?没(到|见|发|有)|突然没发"
    r"|(寄|到|批|办|评|审|发|下来)了没|出没出|批没批|到没到|寄没寄|发没发|还(发|来|批|办)不(发|来|批|办)|查不到"
    r"|(啥|什么|哪个)状态|是否(已|在)|说在(复核|审核|审批)|卡在(谁|哪)|名单里"
    r"|(没|莫)见(钱|到|人|着)|(钱|证|卡)[^,，。\s]{0,2}(没|莫)(有|得)?见|(没|莫|无)(有)?人(来|到场|通知|联系|上门)"
    r"|一分(钱)?(都)?莫(到|见|发)|没有?来人|(均|都|仍|尚)未|到底(哪天|什么时候|啥时候|好久|几时)(能|才|会)?(来|到|批|下来|发)|"
    + NEWS_OF_CASE
    + r"|(好|下来|到|寄到|批下来|办好|出来)(了)?没有|审核中|处理中|办理中|待审核|待受理|退税中|(到|在|是)哪个?一?(环节|一步|步)"
    r"|排(到|在)第几|没(扣|登|转|办)(成|上|过来)|是不是.{0,4}(弄丢|搞丢|搞掉)|漏(登|报)|耽搁|卡住"
    + "|"
    + OVERDUE.pattern
    + "|"
    + PROMISE_PASSED.pattern
)
# A booking told as done ("托我爸代办的", "预约上门的"), not asked for.
BOOKED_BEFORE = re.compile(r"(代办|上门|预约)(申领)?的|(代办|预约)(了|过)")
# ... or asked when it comes, of a case handed in at a time named ("入住申请上个月报的 什么时候能安排床位").
PAST_TIME = re.compile(r"上个?月|上周|上礼拜|去年|前年|年前|年初|[0-9一二三四五六七八九十]+月份?|昨天|前天|前几天|上回|上次")
WHEN_ASKED = re.compile(r"((什么|啥)时候|好久|多久|何时|哪天)(能|才|可以|会)?(下来|批|到|好|安排|拿到|出来|来|领|发|办好)")
# The asker's own case ("我的低保交上去一般好久批得下来").
MINE = re.compile(r"我的|我那个|我家的|我们的|我交的|我报的|我申请的|(申请|材料|资料)(已经)?交上去")
# ... unless it asks how to go on, which the guide answers ("现在都过了大半年了还能申请不", "新的还没下来 能先开个临时的不").
HOW_TO_GO_ON = re.compile(
    r"还(能|可以|领得到|来得及)|来得及|能(不能)?先|(咋个|怎么|如何|咋)(去|来)?(办|领|申请|弄|整|开始)|找哪个"
    r"|(去|在|到)哪(里|点|儿|个地方)?(办|领|申请|交|弄|整|打|查)|去哪|要(不要)?(自己)?(去)?申请|还要(去|克)|(自己|我们)(去)?办还是|自己去(办|申请)"
)
# Where a case is stuck ("卡在哪个环节", "是不是我哪里没填对", "是不是哪点卡到了"): its state, not a place to go.
WHERE_STUCK = re.compile(r"卡在(谁|哪)[^\s,，。?？]*|哪(个|一)?(环节|一步|步)|哪里(没|填|弄|出|错)|哪(点|里|儿)卡(到|住|着)了?")


def tells_case(norm: str) -> bool:
    """Does the message tell of a case of the asker's handed in before?"""
    return (
        DONE_BEFORE.search(norm) is not None
        or PROMISE_PASSED.search(norm) is not None
        or ((PAST_TIME.search(norm) or MINE.search(norm)) is not None and OVERDUE.search(norm) is not None)
    )


def handed_in_or_overdue(norm: str) -> bool:
    """Was something handed in, or is a result looked for past its time ("材料上月已交齐 款项何时发放", "以往都是十号就到
    了 今天都二十号了")? A benefit's money asked after is then the case's progress, not the guide's payment day."""
    return DONE_BEFORE.search(norm) is not None or OVERDUE.search(norm) is not None


def overdue(norm: str) -> bool:
    """Is a result plainly overdue ("至今未到", "说三天 今天第六天了"), which no new request says?"""
    return OVERDUE.search(norm) is not None or PROMISE_PASSED.search(norm) is not None


def still_waiting(norm: str) -> bool:
    """Does it tell of a result that has not come, or ask when it comes of a time named?"""
    return STILL_WAITING.search(norm) is not None or (PAST_TIME.search(norm) and WHEN_ASKED.search(norm)) is not None
