"""What tells sibling items apart: where a certificate or card is in its life (applied for the first time,
renewed, replaced, closed), and whether a household moves within the city or into it from outside.

Siblings share every word but that ("残疾人证办理 / 换领 / 补办", "户口迁移（市内）/（市外迁入）"), so a message that
says which stage or move it is ("一直莫办过残疾证", "房产证着老鼠啃烂了", "户口从昭阳区迁回鲁甸") should prefer the
sibling that fits. An item's stage comes from its name; a message's from the words below.
"""

from __future__ import annotations

import re

# 昭通's city and counties, and places outside it, as residents name them in a move.
COUNTIES = "昭阳|鲁甸|巧家|盐津|大关|永善|绥江|镇雄|彝良|威信|水富|昭通"
OUTSIDE = (
    "外省|省外|外地|外市|昆明|曲靖|贵州|四川|重庆|浙江|广东|江苏|上海|北京|福建"
    # neighbouring counties and prefectures residents come from, and where they work
    "|会泽|宣威|威宁|毕节|赫章|宜宾|屏山|筠连|凉山|雷波|金阳|西昌|大理|玉溪|红河|楚雄|文山|丽江|普洱|保山|临沧|贵阳|成都"
    "|湖南|湖北|河南|河北|山东|山西|陕西|广西|江西|安徽|深圳|东莞|温州|义乌|宁波|苏州"
)
# (stage, words in a message, words in an item's name)
STAGES = [
    (
        "first",
        re.compile(
            r"没办过|莫办过|没有办过|还没办|还莫办|还没有办|从来没|从没|从来莫|第一次|头一次|首次|新办|初次"
            # "她还莫得残疾证 要先办那个是不是": none held yet (莫得 reads 没有)
            r"|还(没有|没得|莫得)[\u4e00-\u9fff]{1,4}证"
            # "想办残疾证", "想在镇上摆个摊…要办营业执照不": getting one, not replacing or closing it
            # "老者耳朵听不到了 能办残疾证不": whether one can get it
            r"|能(不能)?办(个|一个|张)?[^\s,，。不]{1,4}证(不|吗|么)"
            r"|(?<!不)想办|要办个|办个|办一个|(先|要|去|来)办(个|一个|张)?(营业)?执照|(?<!不)想申请|(?<!不)(想|要|准备|打算)[^,，。]{0,6}(开|摆)(?!了)|新开"
        ),
        re.compile(r"首次|办理$|申领$|设立"),
    ),
    (
        "replace",
        # ... and "补身份证", "补个社保卡": 补 before a certificate or card (not 补贴, 补缴, 补交, 补考, 补齐)
        re.compile(
            # not a fear of losing one ("出生证明要交原件不 她怕弄丢"), nor a body part ("脚坏了 残疾证要办")
            r"(?<!怕)(?<!怕弄)(?<!怕搞)丢|掉了|搞掉|弄掉|找不到|遗失|不见了|被偷|烂了|啃烂|烧了|(?<![脚腿手眼腰膝耳])坏了|破了|损坏|毁了"
            r"|补(?![贴助缴交偿充课习考救齐录了过])(办|领|发|个|张|一个|一张)?(?=[\u4e00-\u9fff]{0,5}?(证|卡|照|本)(?!片))"
            # ... or after it: "驾驶证补办12123上面能弄不"
            r"|(证|卡|照)补(办|领|发)"
        ),
        re.compile(r"补领|补发|补办|补证|补换"),
    ),
    # "换残疾证", "换个驾照": 换 before a certificate or card (not 兑换, 转换, 交换; nor "换了残疾证", done already)
    (
        "renew",
        re.compile(
            r"过期|到期|有效期|期满|(?<![兑转交])换(?![了过])(个|张|一张|一个|新|成)?(?=[\u4e00-\u9fff]{0,5}?(证|卡|照)(?!片))"
            r"|重新(办|做|弄|整)"  # "那迁完身份证要重新办吗": a new card for the one held
        ),
        re.compile(r"换领|换证|补换|换发"),
    ),
    (
        "close",
        re.compile(r"不干了|不开了|不做了|不想开|不想做|不想干|关门|关店|歇业|注销|[消销]掉|销户|(去|没|要)销"),
        re.compile(r"注销"),
    ),
    # "按摩店的营业执照地址要变": a registered detail changed, not a new licence
    (
        "change",
        re.compile(
            r"(地址|名字|名称|字号|法人|经营者|经营范围)(要|想|得)?(变|改|换)|(变|改|换)(个)?(地址|名称|字号|法人|经营范围)|变更"
        ),
        re.compile(r"变更"),
    ),
    # Moves between 昭通's own counties (and its city, its college) are 市内; from another city or province, 市外迁入.
    (
        "within_city",
        re.compile(rf"({COUNTIES}).{{0,12}}(迁|转)|(迁|转).{{0,8}}({COUNTIES})"),
        re.compile(r"市内"),
    ),
    (
        "into_city",
        # ... only when a move is spoken of: "我户口在四川 他户口在昭通 可以在昭通领吗" moves nothing
        re.compile(rf"({OUTSIDE}).{{0,12}}(迁|转|落户|挂)|(迁|转|落户).{{0,12}}({OUTSIDE})"),
        re.compile(r"市外"),
    ),
]
# A document the asker already has ("出生证已经拿到了", "出生证医院给了"): the item issuing it is not what is asked;
# ... or a licence issued already ("个体户执照办下来了 想领发票", "个体执照是有的", "我有个体户执照，…领票").
HELD = re.compile(
    r"(?P<doc>[\u4e00-\u9fff]{1,6}?(证明|证|本|执照))(已经|都|也|医院|早就|是)?(拿到|有|给了|办好|开好|领到|开了|办下来|批下来)了?"
    r"|(我|已经|早就)(有|拿到了|领到了|办好了)(?P<held>[\u4e00-\u9fff]{1,6}?(证明|证|执照))"
)
# A licence besides which another is asked for ("营业执照以外是不是还要办个哪样证", "除了健康证还要办啥"): the items
# issuing it are not what is asked, whatever else the message names.
BESIDES = re.compile(
    r"(?P<doc>[\u4e00-\u9fff]{1,6}?(证明|证|执照))(以外|之外)|除(了|开)(?P<held>[\u4e00-\u9fff]{1,6}?(证明|证|执照))"
)
# A document asked about as something to bring ("要带户口本吗", "户口本要不要", "需要身份证吗"): a material of the
# service asked about, weak evidence for the items that issue that document. Not one to get ("宝宝身份证要不要办",
# "还要办食品许可证么") nor a name ("领结婚证要带…").
DOCUMENT = r"(?:(?![办领补换考开申])[\u4e00-\u9fff]){1,5}?(?:证明|证|簿|卡|户口本|本本|疫苗本|存折)"
AS_MATERIAL = re.compile(
    rf"(要|需要|得|用)(带|拿|交|准备)?(上|好)?(?P<doc>{DOCUMENT})(吗|不|没|嘛|么|噻)"
    rf"|(?P<doc2>{DOCUMENT})(要不要|需不需要|用不用)(?![办领补换去])"
)
# How much a material's words weigh in ranking, against the other words of the message.
MATERIAL_WEIGHT = 0.35
# Where a certificate or card is in its life (not a household's move).
LIFE_STAGES = frozenset({"first", "replace", "renew", "close"})
# Which pension scheme a message speaks of: an employee's (企业职工) or a resident's (城乡居民). A pension item of the
# other scheme weighs less ("交的是职工养老保险…丧葬费和遗属的钱" is no 城乡居民养老保险丧葬补助金).
SCHEMES = [
    ("employee", re.compile(r"企业|职工|单位|厂里|工厂|退休金|退休工资"), re.compile(r"职工基本养老")),
    ("resident", re.compile(r"城乡居民|居民养老|居民医保|农村养老|新农保|农保"), re.compile(r"城乡居民(基本)?养老")),
]


def message_scheme(text: str) -> str | None:
    """The one scheme a message speaks of, or None when it names none or both."""
    found = {scheme for scheme, said, _name in SCHEMES if said.search(text)}
    return found.pop() if len(found) == 1 else None


def item_scheme(name: str) -> str | None:
    return next((scheme for scheme, _said, named in SCHEMES if named.search(name)), None)


# How much an item at the stage the message names gains over its siblings.
STAGE_BOOST = 1.3


def message_stage(text: str) -> str | None:
    """The one stage (or move) a message speaks of, or None when it names none or several."""
    found = {stage for stage, said, _name in STAGES if said.search(text)}
    if "into_city" in found:
        found.discard("within_city")  # "户口从昆明迁回镇雄": a place outside makes the move one into the city
    return found.pop() if len(found) == 1 else None


def item_stages(name: str) -> frozenset[str]:
    return frozenset(stage for stage, _said, named in STAGES if named.search(name))


def family(name: str) -> str:
    """What siblings share: the name without its stage or move ("残疾人证办理" and "残疾人证补办": 残疾人证)."""
    name = re.sub(r"（[^）]*）", "", name)
    for _stage, _said, named in STAGES:
        name = named.sub("", name)
    return name


def staged_items(names: list[str]) -> list[frozenset[str]]:
    """Each item's stages. A first issue counts only for an item with siblings: "办理", "申领" and "设立" end many
    names, and "合作社第一次领发票" must not favour 合作社设立登记 (no sibling) over 发票领用. A replacement or
    renewal names what the item does, sibling or not ("房子的证找不到了": 不动产权证书补发)."""
    families = [family(n) for n in names]
    return [item_stages(n) - ({"first"} if families.count(f) < 2 else set()) for n, f in zip(names, families)]
