"""A message that says where a card is in its life (never applied for, lost, expired, business closed) prefers
the sibling item of that stage (knowledge_base/siblings.py)."""

from __future__ import annotations

import pytest

from knowledge_base.siblings import item_stages, message_stage
from tests.utils import catalog_understander


@pytest.mark.parametrize(
    "text, stage",
    [
        ("大儿子从小就听不到 一直莫办过残疾证", "first"),
        ("我房子的房产证着老鼠啃烂了", "replace"),
        ("身份证过期了咋个换", "renew"),
        ("小卖部不开了 执照咋个处理", "close"),
        ("残疾证咋个办", None),
        ("身份证丢了 还过期了", None),  # two stages at once: no preference
        ("娃娃户口从盐津迁到昭阳要带啥", "within_city"),
        ("户口从昆明迁回镇雄要带哪样", "into_city"),
        ("店搬了 执照上的地址要改", "change"),
        # 补 and 换 before a certificate or card say the stage; 补贴, 补缴 and a photo do not.
        ("补身份证要照相", "replace"),
        ("老伴换残疾证 她行动不方便", "renew"),
        ("补缴社保咋个算", None),
        ("换个照片要钱不", None),
        ("对了 换了残疾证护理补贴要重新申请不", None),
        # A place outside without a move is where someone is from, not a move into the city.
        ("我户口在四川 他户口在昭通 可以在昭通领吗", None),
    ],
)
def test_the_stage_a_message_speaks_of(text, stage):
    assert message_stage(text) == stage


def test_the_stage_of_an_item_comes_from_its_name():
    assert item_stages("残疾人证办理") == {"first"} and item_stages("残疾人证补办") == {"replace"}
    assert item_stages("社会保障卡补换") == {"replace", "renew"} and item_stages("高龄津贴申领") == {"first"}
    assert item_stages("个体工商户注销登记") == {"close"} and item_stages("结婚登记") == frozenset()
    assert item_stages("营业执照变更登记") == {"change"}


@pytest.mark.parametrize(
    "text, code",
    [
        ("大儿子从小就听不到 一直莫办过残疾证 现在要咋个办 要克哪点鉴定", "CL-001"),
        ("车祸 腿截了 还没办残疾证 怎么办", "CL-001"),
        ("残疾证丢了咋个补", "CL-003"),
        ("残疾证到期了要换", "CL-002"),
        ("老伴换残疾证，她行动不方便，你们上门来办得不得", "CL-002"),
        ("村民户口从昭阳区迁回鲁甸 要带哪样", "GA-007"),
        ("我在浙江打工 户口想迁回镇雄 咋个弄", "GA-008"),
        # A document the asker already has is not the service asked for ...
        ("刘家媳妇娃娃在县医院生的 上户口需要啥 出生证已经拿到了", "GA-005"),
        ("娃娃上户口 出生证医院给了 还要带啥", "GA-005"),
        ("老师你好，我个体执照是有的噻，这个食品经营许可证还要另外办啊？要准备哪样？", "SJ-005"),
        # ... nor one asked about as something to bring.
        ("上户口要带出生证吗", "GA-005"),
        ("一年级报名要房产证么", "JY-001"),
        ("生育登记 要结婚证吗 我们没有领", "WJ-001"),
        ("领结婚证要带户口本吗", "MZ-001"),
        # A licence besides which another is asked for: the items issuing it rank lower.
        ("我那个超市想加卖卤肉凉菜，营业执照以外是不是还要办个哪样证", "SJ-005"),
        # A stage counts for the items the message names: a health certificate's renewal is no ID card's.
        ("健康证有效期是一年还是两年，过期了要重新体检吗", "WJ-007"),
        # ... but a lost one is, and a first licence is its first issue.
        ("出生证明丢了咋个补", "WJ-002"),
        ("要先办营业执照不", "SJ-001"),
        ("想在学校门口摆个早餐摊 要办执照不", "SJ-001"),
        ("年纪大了小卖部不想开了 营业执照咋个注销", "SJ-003"),
        # A registered detail changed is a change, not a new licence.
        ("铺子搬了 营业执照地址要变 咋个整", "SJ-002"),
    ],
)
def test_the_sibling_at_the_stage_ranks_first(text, code):
    assert catalog_understander().understand(text).result.best.code == code


def test_a_first_issue_counts_only_for_items_with_siblings():
    from knowledge_base.siblings import family, staged_items

    assert family("残疾人证办理") == family("残疾人证补办") == family("残疾人证换领") == "残疾人证"
    assert family("户口迁移（市内）") == family("户口迁移（市外迁入）")
    first, closing, alone, replaced = staged_items(["个体工商户设立登记", "个体工商户注销登记", "合作社设立登记", "证书补发"])
    assert first == {"first"} and closing == {"close"} and alone == set() and replaced == {"replace"}


def test_the_stage_favours_only_items_the_message_names():
    """ "第一次" in a question about invoices must not lift 居民身份证首次申领 above 发票领用."""
    result = catalog_understander().index.search("合作社第一次领发票 要准备哪些")
    top = [m.code for m in result.matches[:2]]
    assert "SW-003" in top and "GA-001" not in top


@pytest.mark.parametrize(
    "text, code",
    [
        ("我今年满60了在水富化工厂干了三十几年 退休金咋个申请 是厂里报还是我自己去社宝局", "RS-015"),
        ("wo yiqian zai changzi jiao de qiye yanglao,man 60 le zen me ling", "RS-015"),
        ("我老伴走了 他领的是城乡养老金 丧葬费咋个领", "RS-011"),
    ],
)
def test_the_pension_scheme_a_message_speaks_of_ranks_its_items_first(text, code):
    """An employee's pension (企业, 职工, 厂里) is no 城乡居民 item, and the other way round."""
    result = catalog_understander().understand(text).result
    assert result.best.code == code, result.matches[:3]
