"""The catalog schema's findings in plain Chinese for staff: what is wrong, what is allowed, what the cell holds.

knowledge_base.catalog.validate_item speaks English for developers (`python -m knowledge_base validate`);
the console's import and item form show staff these texts instead. Every message the schema writes has a
translation here (tests/test_catalog_import.py checks that none reaches staff in English).
"""

from __future__ import annotations

import re

from knowledge_base import catalog

# Where inside a structured cell: "materials[2].form" -> "第 2 项材料的 form（形式）".
PARTS = {
    "materials": ("项材料", catalog.MATERIAL_LABELS),
    "special_steps": ("个特殊环节", catalog.STEP_LABELS),
    "faq": ("个常见问题", {"q": "问题", "a": "回答"}),
    "aliases": ("个常用叫法", {}),
    "conditions": ("条受理条件", {}),
    "process": ("步办理流程", {}),
    "delivery": ("种送达方式", {}),
    "progress_query": ("种查询途径", {}),
}
PATH = re.compile(r"^(?P<field>\w+)(?:\[(?P<n>\d+)\])?(?:\.(?P<key>\w+))?$")


def choices(allowed) -> str:
    """{'即办件', '承诺件'} -> 即办件 或 承诺件"""
    names = sorted(str(a) for a in allowed)
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + " 或 " + names[-1]


def now_is(value) -> str:
    if value is None or value == "":
        return "现在是空的"
    return f"现在是“{str(value)[:40]}”"


def label(field: str) -> str:
    return catalog.FIELDS[field][1] if field in catalog.FIELDS else field


def where(path: str) -> str:
    """The part of a cell a finding is about, in words ("" when it is the whole cell)."""
    found = PATH.match(path)
    if not found or not (found["n"] or found["key"]):
        return ""
    field, n, key = found["field"], found["n"], found["key"]
    noun, keys = PARTS.get(field, ("项", {}))
    if field == "review" and key:
        return f"{key}（{catalog.REVIEW_LABELS.get(key, key)}）"
    text = f"第 {n} {noun}" if n else ""
    if key:
        text += f"的 {key}（{keys.get(key, key)}）"
    return text


def _value(raw: str):
    """A repr from the schema's message back to what the staff member typed: "'急办件'" -> 急办件."""
    raw = raw.strip()
    if raw in ("None", "''"):
        return None
    return raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"" else raw


# (pattern on the schema's message, Chinese text; {groups} and {allowed} / {value} filled in)
RULES: list[tuple[re.Pattern, str]] = [
    (re.compile(r"^missing$"), "必填，现在是空的"),
    (re.compile(r"^unknown field$"), "不是事项目录的字段"),
    (re.compile(r"^must be a whole number, got (?P<v>.*)$"), "须为整数（阿拉伯数字，例如 20），{now}"),
    (re.compile(r"^must be bool"), "须填 是 或 否"),
    (re.compile(r"^must be list"), "须为列表"),
    (re.compile(r"^must be dict"), "须为 JSON 对象 {{…}}"),
    (re.compile(r"^must be str"), "须为文字"),
    (re.compile(r"^(?P<v>.*) is not one of \[.*\]$"), "须为 {allowed}，{now}"),
    (re.compile(r"^must be a non-empty list of texts$"), "至少写一行"),
    (re.compile(r"^must be a list of texts$"), "每行须是一段文字"),
    (re.compile(r"^must be between (?P<a>\d+) and (?P<b>\d+)$"), "须在 {a} 到 {b} 之间"),
    (re.compile(r"^must not be negative$"), "不能是负数"),
    (re.compile(r"^must be 0, 1 or 2$"), "须为 0、1 或 2"),
    (
        re.compile(r"^(?P<p>\d+) (?P<pu>\S+) is longer than the legal limit \((?P<l>\d+) (?P<lu>\S+)\)$"),
        "承诺时限（{p} 个{pu}）不能长于法定时限（{l} 个{lu}）",
    ),
    (re.compile(r"^即办件 means promised_limit_days 0"), "即办件的承诺时限须为 0，承诺件的承诺时限须大于 0"),
    (re.compile(r"^needs a name$"), "须写名称（name）"),
    (re.compile(r"^must be a whole number of days, at least 0$"), "须为不小于 0 的整数"),
    (re.compile(r"^must be a whole number of copies, at least 1$"), "须为不小于 1 的整数"),
    (re.compile(r"^unknown keys \[(?P<keys>.*)\]$"), "有不认识的键：{keys}"),
    (re.compile(r"^cites a legal basis"), "写了法规依据：请把依据移到「收费依据」，这里只写收费金额"),
    (re.compile(r"^a fee is charged"), "收费的事项须写明收费依据"),
    (
        re.compile(r"^a (?P<t>\S+) decision can be challenged: name the (?P<w>\S+) route$"),
        "{t}决定可以申请复议或起诉：请写明{w}途径",
    ),
    (re.compile(r"^name the court"), "请写明当事人可以向人民法院起诉"),
    (re.compile(r"^at least one material is required$"), "至少写一项材料"),
    (re.compile(r"^at least one question is required$"), "至少写一个常见问题"),
    (re.compile(r"^needs q and a$"), "须有问题（q）和回答（a）"),
    (re.compile(r"^must be true \(always needed\)"), "须为 true（必需）、conditional（按情形提供）或 false（非必需）"),
    (re.compile(r"^a conditional material says when"), "按情形提供的材料须写明提供情形（condition），例如“他人代办时提供”"),
    (re.compile(r"^only a conditional material has a condition"), "只有 required 为 conditional 的材料才写 condition"),
    (re.compile(r"^an optional material needs a note"), "非必需的材料须在备注（note）写明什么情况下需要"),
    (re.compile(r"mark it required: conditional"), "备注写的是提供情形：请把 required 改为 conditional，并把情形写进 condition"),
    (re.compile(r"^(?P<v>.*) is not a quoted date YYYY-MM-DD$"), "须为日期，格式 2026-03-01，{now}"),
    (re.compile(r"^(?P<v>\S+) is in the future$"), "审核日期不能晚于今天，{now}"),
    (re.compile(r"^a reviewed item names its reviewer"), "已审核的事项须写审核人（部门和姓名）"),
    (re.compile(r"^a reviewed item has the review date"), "已审核的事项须写审核日期，格式 2026-03-01"),
    (re.compile(r"^offers a home visit \(预约上门\) but home_visit is false$"), "写了“预约上门”，但「可上门」填的是 否"),
    (re.compile(r"^offers the proxy service \(代办\) but proxy is false$"), "写了代办服务，但「可代办」填的是 否"),
    (re.compile(r"^answers a how-question with 可以"), "问的是怎么办，回答却以“可以”开头：请写明怎么办"),
    (
        re.compile(r"^lets an agent act but proxy is false"),
        "回答说可以代办，但「可代办」填的是 否：请说明代办服务不包括此事项及原因",
    ),
    (re.compile(r"^must not begin with = \+ - @"), "不能以 = + - @、制表符或换行开头（表格软件会把它当作公式执行）"),
    (
        re.compile(r"^says (?P<d>\d+) (?P<u>\S+) but the item's limit is \d+ (?P<o>\S+)"),
        "回答写的是 {d} 个{u}，与时限的单位（{o}）不一致",
    ),
    (
        re.compile(r"^says (?P<d>\d+) (?P<u>\S+), which is none of the item's limits \((?P<s>[^)]*)\)"),
        "回答写的是 {d} 个{u}，与事项的时限（{s}）不一致",
    ),
    (re.compile(r"^12345 takes complaints"), "12345 是投诉热线：请写部门的咨询电话（全市政务服务咨询电话是 96128）"),
    (re.compile(r"^sends residents to 12345 for information"), "咨询请写 96128（全市政务服务咨询电话），12345 是投诉热线"),
    (re.compile(r"^an item must be a mapping of fields$"), "须是一个事项（字段和值）"),
]


def plain(field: str, message: str) -> str:
    """One schema finding in plain Chinese, naming the part of the cell when it is inside one."""
    top = re.split(r"[\[.]", field, maxsplit=1)[0]
    for pattern, text in RULES:
        found = pattern.search(message)
        if not found:
            continue
        groups = found.groupdict()
        value = _value(groups.pop("v")) if "v" in groups else None
        if "keys" in groups:
            groups["keys"] = groups["keys"].replace("'", "")
        if "s" in groups:  # "promised 20 工作日, legal 30 工作日"
            groups["s"] = groups["s"].replace("promised ", "承诺 ").replace("legal ", "法定 ").replace(", ", "，")
        allowed = catalog.CHOICES.get(top) or _nested_choices(field) or ()
        said = text.format(**groups, now=now_is(value), allowed=choices(allowed) if allowed else "允许的值")
        part = where(field)
        return f"{part}：{said}" if part else said
    return message  # a finding the schema gained after this table: shown as written, never hidden


def _nested_choices(field: str) -> set[str] | None:
    key = field.rsplit(".", 1)[-1] if "." in field else ""
    if field.startswith("materials"):
        return {"form": catalog.MATERIAL_FORMS, "source": catalog.MATERIAL_SOURCES}.get(key)
    if field.startswith("special_steps") and key == "unit":
        return catalog.LIMIT_UNITS
    if field == "review.status":
        return catalog.REVIEW_STATUSES
    return None
