"""Service guides as short chat texts for a phone screen: a summary with numbered follow-ups, or one part."""

from __future__ import annotations

import re

# Follow-ups offered under a summary, in this order; the number the user replies picks one.
FOLLOW_UPS = [
    ("materials", "要带什么材料"),
    ("process", "办理流程"),
    ("location", "在哪里办、几点上班"),
    ("time", "多久能办好、收费吗"),
    ("conditions", "谁可以办"),
    ("phone", "咨询电话"),
]


# Longest fee text a summary card shows; longer ones are cut after a whole sentence.
SUMMARY_FEE_CHARS = 30
SENTENCE_END = re.compile(r"(?<=[。；！？])")
# Legal citations belong on the guide page, not in a chat card: "（依据《…》…）", "（发改价格〔2003〕2322号）".
CITATION = re.compile(r"（[^（）]*(?:《|〔|依据)[^（）]*）|，?依据《[^》]*》[^，。；）]*")


def _days(n: int, unit: str = "工作日") -> str:
    if n == 0:
        return "当场办结"
    return f"{n}个工作日" if unit == "工作日" else f"{n}个自然日"


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters of whole sentences (at least the first), without legal citations.

    A sentence ends at 。；！？; a cut text says where the rest is."""
    text = CITATION.sub("", text).strip()
    if len(text) <= limit:
        return text
    sentences = [s for s in SENTENCE_END.split(text) if s]
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + len(sentence) > limit:
            break
        kept += sentence
    if kept == text:
        return text
    if kept.count("（") > kept.count("）"):  # cut inside a bracket ("不收费（…；"): drop the open aside
        kept = kept[: kept.rfind("（")]
    return kept.rstrip("。；！？，") + "（其他情形见完整指南）"


def _special_steps(item: dict) -> str:
    steps = [f"{s['name']}{_days(s['days'], s['unit'])}" for s in item.get("special_steps", []) if s.get("days")]
    return f"另有{'、'.join(steps)}，不计入办理时限。" if steps else ""


def booking_ways(item: dict, first: str = "代办") -> list[str]:
    """The services the item offers among 代办 and 上门, `first` first when offered."""
    offered = [w for w, ok in (("代办", item.get("proxy")), ("上门", item.get("home_visit"))) if ok]
    return sorted(offered, key=lambda w: w != first)


def visit_line(item: dict) -> str:
    """Whether the item can be done at the resident's home, and the word that books it (or the proxy instead)."""
    if item.get("home_visit"):
        return "上门：可以预约工作人员到家里来办，回复“预约上门”。"
    if item.get("proxy"):
        return "上门：这项暂不提供上门服务，可以预约代办，回复“预约代办”。"
    return "上门：这项暂不提供上门服务，需要到窗口办理。"


def summary(item: dict, guide_url: str, visit: bool = False) -> str:
    """The item's card; with `visit` (someone who cannot get about, or a visit spoken of) 上门 is offered first."""
    promised = _promised(item)
    lines = [
        f"【{item['name']}】",
        item["summary"],
        f"承诺时限：{promised}；收费：{shorten(item['fee'], SUMMARY_FEE_CHARS)}",
        f"最多跑{item['visits']}次" if item["visits"] else "全程网办，不用跑",
    ]
    if _special_steps(item):
        lines.insert(3, _special_steps(item))
    if ways := booking_ways(item, first="上门" if visit else "代办"):
        lines.append(f"老人、残疾人等可预约{'或'.join(ways)}服务，回复“预约{ways[0]}”。")
    lines.append("")
    lines.append("回复数字了解更多：")
    lines += [f"{i} {label}" for i, (_a, label) in enumerate(FOLLOW_UPS, 1)]
    lines.append(f'<a href="{guide_url}">查看完整办事指南</a>')
    return "\n".join(lines)


# The city's government information line (政务信息专线), named wherever a guide gives consultation phones.
INFO_LINE = "96128"


def material_need(material: dict) -> str:
    """When a material is needed, in the resident's words: always, only when its condition holds, or optional."""
    required = material.get("required", True)
    if required is True:
        return "必须提供"
    if required == "conditional":
        return material.get("condition") or "特定情形提供"
    return "非必须，有就带上"


def materials_to_bring(item: dict) -> list[str]:
    """The names of the materials a resident brings: always needed, and conditional ones with their condition."""
    out = []
    for m in item.get("materials", []):
        if not isinstance(m, dict) or not m.get("name") or m.get("required", True) is False:
            continue
        out.append(m["name"] if m.get("required", True) is True else f"{m['name']}（{material_need(m)}）")
    return out


def _materials(item: dict) -> list[str]:
    out = []
    for i, m in enumerate(item["materials"], 1):
        line = f"{i}. {m['name']}（{m['form']}{m['count']}份）"
        if m.get("required", True) is not True:
            line += f"（{material_need(m)}）"
        if m.get("note"):
            line += f"：{m['note']}"
        out.append(line)
    return ["申请材料："] + out


def _process(item: dict) -> list[str]:
    return ["办理流程："] + [f"{i}. {s}" for i, s in enumerate(item["process"], 1)]


def _location(item: dict) -> list[str]:
    return [f"办理地点：{item['location']}", f"办理时间：{item['hours']}"]


def _promised(item: dict) -> str:
    return _days(item["promised_limit_days"], item.get("promised_limit_unit", "工作日"))


def _time(item: dict) -> list[str]:
    promised = _promised(item)
    legal = _days(item["legal_limit_days"], item.get("legal_limit_unit", "工作日"))
    lines = [f"承诺时限：{promised}（法定时限{legal}）"]
    if _special_steps(item):
        lines.append(_special_steps(item))
    return lines + [f"收费标准：{CITATION.sub('', item['fee'])}"]


def _fee(item: dict) -> list[str]:
    return [f"收费标准：{CITATION.sub('', item['fee'])}"]


# An FAQ question about an amount ("高龄津贴每月多少钱？", "最多能贷多少？"), and items that pay residents money.
AMOUNT_ASKED = re.compile(r"多少|标准|额度|金额|几档|怎么算")
PAYS_OUT = re.compile(r"补贴|津贴|补助|救助|贷款|报销|减免|抚恤|丧葬|失业保险金|待遇")


def _amount(item: dict) -> list[str]:
    """How much a resident gets: the guide's FAQ entry on it; for a service that pays out and has none, where to
    ask (never its fee, "不收费", which answers another question); for any other service, what it costs."""
    entry = next((qa for qa in item.get("faq", []) if AMOUNT_ASKED.search(qa["q"])), None)
    if entry is not None:
        return [f"问：{entry['q']}", f"答：{entry['a']}"]
    if item.get("item_type") == "行政给付" or PAYS_OUT.search(item["name"]):
        return [
            "办事指南里没有写具体金额，以审核结果为准。",
            f"可拨打咨询电话 {item['phone']} 或全市政务信息专线 {INFO_LINE} 询问。",
        ]
    return _fee(item)


def _conditions(item: dict) -> list[str]:
    return ["受理条件："] + [f"{i}. {c}" for i, c in enumerate(item["conditions"], 1)]


def _phone(item: dict) -> list[str]:
    return [
        f"咨询电话：{item['phone']}",
        f"全市政务信息专线：{INFO_LINE}",
        f"投诉电话：{item['complaint_phone']}",
    ]


def _hours(item: dict) -> list[str]:
    return [f"办理时间：{item['hours']}", f"办理地点：{item['location']}"]


def _online(item: dict) -> list[str]:
    head = "可以网上办理。" if item["online"] else "暂不能全程网上办理。"
    return [head + item["online_how"], f"到现场次数：{item['visits']}次"]


def _delivery(item: dict) -> list[str]:
    return [f"办理结果：{item['result']}", "领取方式：" + "；".join(item["delivery"])]


# What each scope of a guide means for someone who is not at home.
SCOPES = {
    "跨省通办": "跨省通办：在外省也可以办，到当地政务服务中心的“跨省通办”窗口，或在网上申请。",
    "全省通办": "全省通办：在云南省内任何一个县（市、区）的政务服务中心都能办。",
    "全市通办": "全市通办：在昭通市内任何一个县（市、区）的政务服务中心都能办。",
    "属地办理": "属地办理：要在户籍（或所在）地办理，外地不能直接受理。",
}
AGENT_NOTE = re.compile(r"代办|委托|代理|代领|代为|家属|本人")


def _agent(item: dict) -> list[str]:
    lines = ["请家人或别人帮忙办："]
    notes = [f"· {m['name']}：{m['note']}" for m in item["materials"] if AGENT_NOTE.search(m.get("note") or "")]
    notes += [f"· {qa['a']}" for qa in item.get("faq", []) if AGENT_NOTE.search(qa["q"])][:1]
    lines += notes or ["· 指南没有写明能否由他人代办，请以窗口告知为准。"]
    if item.get("proxy"):
        lines.append("老人、残疾人等行动不便的，可以预约村（社区）代办员代办，回复“预约代办”。")
    return lines


def _remote(item: dict) -> list[str]:
    scope = item.get("scope") or ""
    lines = [SCOPES.get(scope, f"通办范围：{scope}")] if scope else []
    if item["online"]:
        lines.append("也可以网上办理：" + item["online_how"])
    if item.get("proxy"):
        lines.append("回不来的，可以请家人或村（社区）代办员代办，回复“预约代办”。")
    return lines


def _basis(item: dict) -> list[str]:
    return ["设定依据："] + [f"· {b}" for b in item["basis"]]


SECTIONS = {
    "materials": _materials,
    "process": _process,
    "location": _location,
    "time": _time,
    "amount": _amount,
    "fee": _fee,
    "conditions": _conditions,
    "phone": _phone,
    "hours": _hours,
    "online": _online,
    "delivery": _delivery,
    "basis": _basis,
    "agent": _agent,
    "remote": _remote,
}


def section(item: dict, aspect: str, guide_url: str, visit: bool = False) -> str:
    """One part of the item's guide; with `visit`, the message also asked whether staff come to the home
    ("家庭医生签约要钱不 能不能定期来屋头"), so whether they do, and how to book it, follows."""
    lines = [f"【{item['name']}】"] + SECTIONS[aspect](item)
    if visit:
        lines.append(visit_line(item))
    lines.append(f'<a href="{guide_url}">完整指南</a>　回复“人工”找工作人员')
    return "\n".join(lines)


def faq_answer(item: dict, entry: dict, guide_url: str) -> str:
    """One FAQ entry of the item, as a chat answer."""
    lines = [f"【{item['name']}】", f"问：{entry['q']}", f"答：{entry['a']}"]
    lines.append(f'<a href="{guide_url}">完整指南</a>　回复“人工”找工作人员')
    return "\n".join(lines)


def without_going(item: dict, guide_url: str) -> str:
    """For someone who cannot go to the window: the item's home visit or proxy, and how to book it."""
    ways = booking_ways(item, first="上门")
    what = {"上门": "工作人员到家里来办", "代办": "工作人员或村代办员帮您跑"}
    lines = [f"【{item['name']}】不方便出门也能办："]
    lines += [f"· 预约{w}：{what[w]}，回复“预约{w}”" for w in ways]
    lines.append(f'<a href="{guide_url}">完整指南</a>　回复“人工”找工作人员')
    return "\n".join(lines)


def where_it_stands(item: dict, guide_url: str) -> str:
    """For a case handed in at a window, not booked here ("高龄津贴上个月就报上去了 到现在还莫得钱"): the guide's ways to
    look up its progress, its promised time, and whom to call."""
    promised = _promised(item)
    lines = ["您在本助手没有办理中的预约。", f"【{item['name']}】的办理进度可以这样查："]
    # ... not "在本公众号回复“查进度”": the bookings here were just looked up
    ways = [way for way in item.get("progress_query") or () if "本公众号" not in way] or [f"拨打咨询电话 {item['phone']}"]
    lines += [f"{i}. {way}" for i, way in enumerate(ways, 1)]
    lines.append(f"承诺时限：{promised}，从受理之日算。")
    lines.append(f"咨询电话：{item['phone']}；全市政务信息专线：{INFO_LINE}")
    lines.append(f'<a href="{guide_url}">完整指南</a>　回复“人工”找工作人员')
    return "\n".join(lines)


def not_in_guide(item: dict, guide_url: str, related: list[str] = ()) -> str:
    """A follow-up the guide does not answer: items it may be about instead (`related`, their names, numbered),
    where to read the whole guide, and a person to ask (the number after the related items)."""
    lines = [f"【{item['name']}】的办事指南里没有写到这个问题。"]
    if related:
        lines.append("您是不是想问：")
        lines += [f"{i} {name}" for i, name in enumerate(related, 1)]
    lines.append(
        f'<a href="{guide_url}">点这里看完整指南</a>，或者回复 {len(related) + 1} 请工作人员回答您（也可拨打 {item["phone"]}）。'
    )
    return "\n".join(lines)


# Labels of a printed 办事指南, for the mobile guide page.
FIELD_LABELS = {
    "item_type": "事项类型",
    "case_type": "办件类型",
    "implementing_body": "实施主体",
    "handling_agency": "承办机构",
    "basis": "设定依据",
    "conditions": "受理条件",
    "materials": "申请材料",
    "process": "办理流程",
    "legal_limit_days": "法定时限",
    "promised_limit_days": "承诺时限",
    "special_steps": "特殊环节",
    "fee": "收费标准",
    "fee_basis": "收费依据",
    "location": "办理地点",
    "hours": "办理时间",
    "phone": "咨询电话",
    "complaint_phone": "投诉电话",
    "online": "网上办理",
    "visits": "到现场次数",
    "result": "办理结果",
    "delivery": "结果送达方式",
    "progress_query": "办理进度查询",
    "scope": "通办范围",
    "refusal_cases": "不予受理情形",
    "remedy": "救济途径",
    "faq": "常见问题",
    "review": "审核状态",
}
REVIEW_LABELS = {"draft": "草稿，待主管部门审核", "reviewed": "已审核"}


def limit_text(days: int, unit: str) -> str:
    """A time limit as the guide page prints it."""
    return _days(days, unit)
