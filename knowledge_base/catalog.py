"""Service items (政务服务事项): the schema, loading and validating the seed files, CSV/XLSX/JSON import and export."""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge_base import consistency
from knowledge_base.cells import formula_like, safe_row
from knowledge_base.yamlfile import read_yaml

DATA_DIR = Path(__file__).parent / "data"
ITEMS_DIR = DATA_DIR / "items"

# field -> (type, Chinese label as in a 办事指南). Order is the order of a printed guide.
FIELDS: dict[str, tuple[type | tuple, str]] = {
    "code": (str, "事项编码"),
    "name": (str, "事项名称"),
    "item_type": (str, "事项类型"),
    "department": (str, "主管部门"),
    "theme": (str, "主题分类"),
    "audience": (str, "服务对象"),
    "level": (str, "办理层级"),
    "proxy": (bool, "可代办"),
    "home_visit": (bool, "可上门"),
    "summary": (str, "事项简介"),
    "aliases": (list, "常用叫法"),
    "basis": (list, "设定依据"),
    "implementing_body": (str, "实施主体"),
    "handling_agency": (str, "承办机构"),
    "conditions": (list, "受理条件"),
    "materials": (list, "申请材料"),
    "process": (list, "办理流程"),
    "case_type": (str, "办件类型"),
    "legal_limit_days": (int, "法定时限"),
    "legal_limit_unit": (str, "法定时限单位"),
    "promised_limit_days": (int, "承诺时限"),
    "promised_limit_unit": (str, "承诺时限单位"),
    "special_steps": (list, "特殊环节"),
    "fee": (str, "收费标准"),
    "fee_basis": (list, "收费依据"),
    "location": (str, "办理地点"),
    "hours": (str, "办理时间"),
    "phone": (str, "咨询电话"),
    "complaint_phone": (str, "投诉电话"),
    "online": (bool, "网上办理"),
    "online_how": (str, "网上办理方式"),
    "visits": (int, "到现场次数"),
    "result": (str, "办理结果"),
    "delivery": (list, "结果送达方式"),
    "progress_query": (list, "办理进度查询途径"),
    "scope": (str, "通办范围"),
    "refusal_cases": (list, "不予受理情形"),
    "remedy": (list, "救济途径"),
    "faq": (list, "常见问题"),
    "review": (dict, "审核状态"),
    "sample": (bool, "样例内容"),
}
OPTIONAL = {"keywords"}
ITEM_TYPES = {"行政许可", "行政确认", "行政给付", "行政裁决", "行政备案", "其他行政权力", "公共服务", "行政征收", "行政奖励"}
MATERIAL_FORMS = {"原件", "复印件", "原件和复印件", "电子证照"}
MATERIAL_SOURCES = {"申请人自备", "政府部门核发", "中介机构出具", "其他单位出具", "窗口领取或现场填写"}
MATERIAL_KEYS = {"name", "form", "count", "required", "condition", "source", "note"}
# materials[].required: always needed, needed only when `condition` holds (shown to residents), or optional.
CONDITIONAL = "conditional"
LEVELS = {"村", "乡镇", "县", "市"}
CASE_TYPES = {"即办件", "承诺件"}
LIMIT_UNITS = {"工作日", "自然日"}
SCOPES = {"属地办理", "全县通办", "全市通办", "全省通办", "跨省通办"}
REVIEW_STATUSES = {"draft", "reviewed"}
# Limits of single fields, for checks that name the allowed values (the console's import and form read these).
CHOICES: dict[str, set[str]] = {
    "item_type": ITEM_TYPES,
    "level": LEVELS,
    "case_type": CASE_TYPES,
    "legal_limit_unit": LIMIT_UNITS,
    "promised_limit_unit": LIMIT_UNITS,
    "scope": SCOPES,
}
INT_RANGES: dict[str, tuple[int, int | None]] = {"legal_limit_days": (0, 365), "promised_limit_days": (0, None), "visits": (0, 2)}
BOOL_TEXTS = {"是": True, "Y": True, "y": True, "true": True, "True": True, "TRUE": True, "1": True}
BOOL_TEXTS |= {"否": False, "N": False, "n": False, "false": False, "False": False, "FALSE": False, "0": False}
# Keys of the structured (JSON) fields' entries, with their labels in a 办事指南.
MATERIAL_LABELS = {"name": "名称", "form": "形式", "count": "份数", "required": "是否必需", "condition": "提供情形"}
MATERIAL_LABELS |= {"source": "来源", "note": "备注"}
STEP_LABELS = {"name": "名称", "days": "天数", "unit": "单位", "note": "备注"}
REVIEW_LABELS = {"status": "状态", "reviewer": "审核人", "date": "审核日期", "note": "备注"}
# Decisions of an administrative organ: a resident who disagrees may apply for 行政复议 or sue (行政诉讼).
ADMINISTRATIVE_ACTS = ITEM_TYPES - {"公共服务", "行政裁决"}
# Fields flattened to one cell in CSV/XLSX as JSON; other lists of strings join with a newline.
STRUCTURED = {"materials", "faq", "special_steps", "review"}
# Lists that may be empty: no special step; no fee basis when nothing is charged.
MAY_BE_EMPTY = {"special_steps", "fee_basis"}


@dataclass(frozen=True)
class Problem:
    """One validation finding: where (file/line), which field, what is wrong."""

    source: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.field}: {self.message}"


def validate_item(item: Any, source: str) -> list[Problem]:
    """Check one item against the schema; returns every problem, not just the first."""
    if not isinstance(item, dict):
        return [Problem(source, "-", "an item must be a mapping of fields")]
    problems = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, field, message))

    for name, (kind, _label) in FIELDS.items():
        if name not in item or item[name] is None or item[name] == "":
            bad(name, "missing")
            continue
        value = item[name]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            bad(name, f"must be a whole number, got {value!r}")
        elif kind is not int and not isinstance(value, kind):
            bad(name, f"must be {kind.__name__}, got {type(value).__name__}")
    for name in set(item) - set(FIELDS) - OPTIONAL:
        bad(name, "unknown field")
    if problems:
        return problems
    if item["item_type"] not in ITEM_TYPES:
        bad("item_type", f"{item['item_type']!r} is not one of {sorted(ITEM_TYPES)}")
    if item["level"] not in LEVELS:
        bad("level", f"{item['level']!r} is not one of {sorted(LEVELS)}")
    for name in ("aliases", "basis", "conditions", "process", "delivery", "progress_query", "refusal_cases", "remedy"):
        if not item[name] or not _texts(item[name]):
            bad(name, "must be a non-empty list of texts")
    _check_limits(item, bad)
    _check_fee(item, bad)
    if item["scope"] not in SCOPES:
        bad("scope", f"{item['scope']!r} is not one of {sorted(SCOPES)}")
    _check_remedy(item, bad)
    if item["visits"] not in (0, 1, 2):
        bad("visits", "must be 0, 1 or 2")
    _check_materials(item, bad)
    if not item["faq"]:
        bad("faq", "at least one question is required")
    for i, qa in enumerate(item["faq"], 1):
        if not isinstance(qa, dict) or not qa.get("q") or not qa.get("a"):
            bad(f"faq[{i}]", "needs q and a")
    _check_review(item, bad)
    _check_consistency(item, bad)
    _check_formulas(item, bad)
    if not problems:
        consistency.check_item(item, bad)
    return problems


FORMULA_PROBLEM = "must not begin with = + - @, a tab or a line break (a spreadsheet would run it as a formula)"


def _check_formulas(item: dict, bad) -> None:
    """Names and short texts that reach spreadsheets (exports, the report) must not read as formulas."""
    for name in ("name", "code", "department", "item_type", "level", "scope"):
        if formula_like(item.get(name)):
            bad(name, FORMULA_PROBLEM)
    for i, alias in enumerate(item.get("aliases") or [], 1):
        if formula_like(alias):
            bad(f"aliases[{i}]", FORMULA_PROBLEM)
    for i, m in enumerate(item.get("materials") or [], 1):
        if isinstance(m, dict) and formula_like(m.get("name")):
            bad(f"materials[{i}].name", FORMULA_PROBLEM)


def _texts(values: list) -> bool:
    return all(isinstance(x, str) and x.strip() for x in values)


def _calendar_span(days: int, unit: str) -> float:
    """The shortest calendar span a limit can mean: N working days take at least N*7/5 calendar days."""
    return days * 7 / 5 if unit == "工作日" and days >= 5 else days


def _check_limits(item: dict, bad) -> None:
    for name in ("legal_limit_unit", "promised_limit_unit"):
        if item[name] not in LIMIT_UNITS:
            bad(name, f"{item[name]!r} is not one of {sorted(LIMIT_UNITS)}")
    legal, promised = item["legal_limit_days"], item["promised_limit_days"]
    if not 0 <= legal <= 365:
        bad("legal_limit_days", "must be between 0 and 365")
    if promised < 0:
        bad("promised_limit_days", "must not be negative")
    elif item["legal_limit_unit"] in LIMIT_UNITS and item["promised_limit_unit"] in LIMIT_UNITS:
        if item["legal_limit_unit"] == item["promised_limit_unit"]:
            too_long = promised > legal
        else:
            too_long = _calendar_span(promised, item["promised_limit_unit"]) > _calendar_span(legal, item["legal_limit_unit"])
        if too_long:
            bad(
                "promised_limit_days",
                f"{promised} {item['promised_limit_unit']} is longer than the legal limit ({legal} {item['legal_limit_unit']})",
            )
    if item["case_type"] not in CASE_TYPES:
        bad("case_type", f"{item['case_type']!r} is not one of {sorted(CASE_TYPES)}")
    elif (item["case_type"] == "即办件") != (promised == 0):
        bad("case_type", "即办件 means promised_limit_days 0; 承诺件 means more than 0")
    for i, step in enumerate(item["special_steps"], 1):
        where = f"special_steps[{i}]"
        if not isinstance(step, dict) or not isinstance(step.get("name"), str) or not step.get("name"):
            bad(where, "needs a name")
            continue
        days = step.get("days")
        if not isinstance(days, int) or isinstance(days, bool) or days < 0:
            bad(where + ".days", "must be a whole number of days, at least 0")
        if step.get("unit") not in LIMIT_UNITS:
            bad(where + ".unit", f"{step.get('unit')!r} is not one of {sorted(LIMIT_UNITS)}")
        if set(step) - {"name", "days", "unit", "note"}:
            bad(where, f"unknown keys {sorted(set(step) - {'name', 'days', 'unit', 'note'})}")


# A fee text that cites its legal basis belongs in fee_basis; the chat summary shows the amount only.
CITATION = re.compile(r"《|〔|依据")
FREE = re.compile(r"^(不收费|免费|不收取)")


def _check_fee(item: dict, bad) -> None:
    if CITATION.search(item["fee"]):
        bad("fee", "cites a legal basis: move the citation to fee_basis and keep the amount here")
    if not _texts(item["fee_basis"]):
        bad("fee_basis", "must be a list of texts")
    elif not item["fee_basis"] and not FREE.match(item["fee"]):
        bad("fee_basis", "a fee is charged: name its basis (收费依据)")


def _check_remedy(item: dict, bad) -> None:
    if not item["remedy"] or not _texts(item["remedy"]):
        return  # reported above
    text = "".join(item["remedy"])
    if item["item_type"] in ADMINISTRATIVE_ACTS:
        for way in ("行政复议", "行政诉讼"):
            if way not in text:
                bad("remedy", f"a {item['item_type']} decision can be challenged: name the {way} route")
    elif item["item_type"] == "行政裁决" and "人民法院" not in text:
        bad("remedy", "name the court a party may turn to (人民法院)")


def _check_materials(item: dict, bad) -> None:
    if not item["materials"]:
        bad("materials", "at least one material is required")
    for i, m in enumerate(item["materials"], 1):
        where = f"materials[{i}]"
        if not isinstance(m, dict) or not isinstance(m.get("name"), str) or not m.get("name"):
            bad(where, "needs a name")
            continue
        if m.get("form") not in MATERIAL_FORMS:
            bad(where + ".form", f"{m.get('form')!r} is not one of {sorted(MATERIAL_FORMS)}")
        if not isinstance(m.get("count"), int) or isinstance(m.get("count"), bool) or m["count"] < 1:
            bad(where + ".count", "must be a whole number of copies, at least 1")
        required = m.get("required")
        if not (required is True or required is False or required == CONDITIONAL):
            bad(
                where + ".required",
                "must be true (always needed), conditional (needed when `condition` holds) or false (optional)",
            )
        elif required == CONDITIONAL:
            if not isinstance(m.get("condition"), str) or not m["condition"].strip():
                bad(where + ".condition", "a conditional material says when it is needed, e.g. 他人代办时提供")
        elif "condition" in m:
            bad(where + ".condition", f"only a conditional material has a condition (required is {required!r})")
        elif required is False and not m.get("note"):
            bad(where + ".note", "an optional material needs a note saying when it is needed")
        if m.get("source") not in MATERIAL_SOURCES:
            bad(where + ".source", f"{m.get('source')!r} is not one of {sorted(MATERIAL_SOURCES)}")
        if set(m) - MATERIAL_KEYS:
            bad(where, f"unknown keys {sorted(set(m) - MATERIAL_KEYS)}")


def _check_review(item: dict, bad) -> None:
    review = item["review"]
    if set(review) - {"status", "reviewer", "date", "note"}:
        bad("review", f"unknown keys {sorted(set(review) - {'status', 'reviewer', 'date', 'note'})}")
    if review.get("status") not in REVIEW_STATUSES:
        bad("review.status", f"{review.get('status')!r} is not one of {sorted(REVIEW_STATUSES)}")
        return
    raw, day = review.get("date"), None
    if raw is not None:
        try:
            day = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            pass
        if day is None:
            bad("review.date", f"{raw!r} is not a quoted date YYYY-MM-DD")
        elif day > date.today():
            bad("review.date", f"{raw} is in the future")
    if review["status"] == "reviewed":
        if not isinstance(review.get("reviewer"), str) or not review["reviewer"].strip():
            bad("review.reviewer", "a reviewed item names its reviewer (department and person)")
        if raw is None:
            bad("review.date", "a reviewed item has the review date, YYYY-MM-DD")


HOW_QUESTION = re.compile(r"怎么|如何|怎样|咋|谁来")
YES_ANSWER = re.compile(r"^(可以|能)[。，,.！]")
AGENT_ALLOWED = re.compile(r"(?<!不)(可以|可|能)(委托|让|由)[^。；]{0,12}(代办|代为|代领|代理|办理)")


def _texts_of(item: dict):
    """(field, text) for every resident-facing text of an item."""
    for name in ("summary", "online_how", "location", "result", "fee"):
        yield name, item[name]
    for name in ("conditions", "process", "delivery", "progress_query"):
        for i, text in enumerate(item[name], 1):
            yield f"{name}[{i}]", text
    # Malformed entries (reported by their own checks) are skipped, never a KeyError on an uploaded file.
    for i, m in enumerate(item["materials"], 1):
        if isinstance(m, dict):
            yield f"materials[{i}]", f"{m.get('name', '')} {m.get('condition', '')} {m.get('note', '')}"
    for i, qa in enumerate(item["faq"], 1):
        if isinstance(qa, dict):
            yield f"faq[{i}]", f"{qa.get('q', '')} {qa.get('a', '')}"


def _check_consistency(item: dict, bad) -> None:
    """Texts must not promise what the item's flags rule out, nor dodge the question asked."""
    for where, text in _texts_of(item):
        if not item["home_visit"] and "预约上门" in text:
            bad(where, "offers a home visit (预约上门) but home_visit is false")
        if not item["proxy"] and ("预约代办" in text or "代办员" in text):
            bad(where, "offers the proxy service (代办) but proxy is false")
    for i, qa in enumerate(item["faq"], 1):
        if not isinstance(qa, dict) or not isinstance(qa.get("q"), str) or not isinstance(qa.get("a"), str):
            continue  # "needs q and a", said above
        if HOW_QUESTION.search(qa["q"]) and YES_ANSWER.match(qa["a"]):
            bad(f"faq[{i}]", "answers a how-question with 可以: say how")
        if not item["proxy"] and AGENT_ALLOWED.search(qa["a"]) and "代办服务" not in qa["a"]:
            bad(f"faq[{i}]", "lets an agent act but proxy is false: say the 代办服务 does not cover it, and why")


def near_duplicate_answers(items: list[dict], threshold: float = 0.75) -> list[Problem]:
    """FAQ answers copied across departments: each department's answer must be its own."""
    answers = [
        (item["code"], item["department"], i, qa["a"])
        for item in items
        for i, qa in enumerate(item["faq"], 1)
        if len(qa["a"]) >= 12
    ]
    problems = []
    for n, (code, dept, i, text) in enumerate(answers):
        for other_code, other_dept, j, other in answers[n + 1 :]:
            if other_dept == dept:
                continue
            matcher = difflib.SequenceMatcher(None, text, other, autojunk=False)
            if matcher.real_quick_ratio() >= threshold and matcher.quick_ratio() >= threshold:
                if matcher.ratio() >= threshold:
                    problems.append(
                        Problem(f"items/{code}.yaml", f"faq[{i}]", f"answer nearly identical to {other_code} faq[{j}]")
                    )
    return problems


def sibling_contradictions(items: list[dict]) -> list[Problem]:
    """What one item says that its siblings contradict (knowledge_base.consistency.check_siblings)."""
    return [Problem(f"items/{code}.yaml", field, message) for code, field, message in consistency.check_siblings(items)]


def load_file(path: Path) -> dict:
    return read_yaml(path)


def load_items(items_dir: Path = ITEMS_DIR) -> tuple[list[dict], list[Problem]]:
    """Load every item file; returns the valid items and the problems of the invalid ones."""
    items, problems, seen = [], [], {}
    for path in sorted(items_dir.glob("*.yaml")):
        source = f"{items_dir.name}/{path.name}"
        try:
            item = load_file(path)
        except yaml.YAMLError as exc:
            problems.append(Problem(source, "-", f"not valid YAML: {exc}".splitlines()[0]))
            continue
        found = validate_item(item, source)
        if not found and item["code"] != path.stem:
            found.append(Problem(source, "code", f"{item['code']!r} differs from the file name"))
        if not found and item["code"] in seen:
            found.append(Problem(source, "code", f"duplicate of {seen[item['code']]}"))
        if found:
            problems.extend(found)
            continue
        seen[item["code"]] = source
        items.append(item)
    return items, problems


class _GuideDumper(yaml.SafeDumper):
    """Indents list items under their key, as the hand-written item files do."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def _file_order() -> list[str]:
    names = list(FIELDS)
    return names[: names.index("aliases") + 1] + sorted(OPTIONAL) + names[names.index("aliases") + 1 :]


def dump_item(item: dict) -> str:
    ordered = {k: item[k] for k in _file_order() if k in item}
    text = "# 样例内容：仅供开发演示，上线前须以政务服务中心官方事项目录替换\n" if item.get("sample") else ""
    return text + yaml.dump(ordered, Dumper=_GuideDumper, allow_unicode=True, sort_keys=False, width=1000)


def save_item(item: dict, items_dir: Path = ITEMS_DIR) -> Path:
    path = items_dir / f"{item['code']}.yaml"
    path.write_text(dump_item(item), encoding="utf-8")
    return path


# ---- flat formats (CSV / XLSX): one row per item, Chinese labels as headers ----


def _to_cell(name: str, value: Any) -> str:
    if name in STRUCTURED:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "\n".join(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else str(value)


def _from_cell(name: str, cell: Any) -> Any:
    kind = FIELDS[name][0] if name in FIELDS else list
    text = "" if cell is None else str(cell).strip()
    if name in STRUCTURED:
        return json.loads(text) if text else []
    if kind is list:
        return [line.strip() for line in text.splitlines() if line.strip()]
    if kind is bool:
        if text in BOOL_TEXTS:
            return BOOL_TEXTS[text]
        raise ValueError(f"expected 是/否, got {text!r}")
    if kind is int:
        return int(float(text)) if text else None
    return text


def _columns() -> list[str]:
    return list(FIELDS) + sorted(OPTIONAL)


def rows_to_items(header: list[str], rows: Iterable[tuple[int, list]], source: str) -> tuple[list[dict], list[Problem]]:
    """Turn table rows into items, reporting problems by line number."""
    label_to_field = {label: name for name, (_k, label) in FIELDS.items()}
    names = [label_to_field.get(h, h) for h in header]
    items, problems = [], []
    for line, row in rows:
        where = f"{source}:{line}"
        item, row_problems = {}, []
        for name, cell in zip(names, row):
            if name not in FIELDS and name not in OPTIONAL:
                continue
            try:
                value = _from_cell(name, cell)
            except (ValueError, json.JSONDecodeError) as exc:
                row_problems.append(Problem(where, name, str(exc)))
                continue
            if value is not None:
                item[name] = value
        row_problems += validate_item(item, where) if not row_problems else []
        if row_problems:
            problems.extend(row_problems)
        else:
            items.append(item)
    return items, problems


def export_items(items: list[dict], path: Path) -> None:
    suffix = path.suffix.lower()
    cols = _columns()
    if suffix == ".json":
        path.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow([FIELDS[c][1] if c in FIELDS else c for c in cols])
            for item in items:
                writer.writerow(safe_row(_to_cell(c, item.get(c)) for c in cols))
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "事项目录"
        ws.append([FIELDS[c][1] if c in FIELDS else c for c in cols])
        for item in items:
            ws.append(safe_row(_to_cell(c, item.get(c)) for c in cols))
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        wb.save(path)
    else:
        raise ValueError(f"unsupported format {suffix!r}: use .csv, .xlsx or .json")


def import_items(path: Path) -> tuple[list[dict], list[Problem]]:
    suffix = path.suffix.lower()
    source = path.name
    if suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            return [], [Problem(f"{source}:{exc.lineno}", "-", f"not valid JSON: {exc.msg}")]
        if not isinstance(data, list):
            return [], [Problem(source, "-", "expected a JSON list of items")]
        items, problems = [], []
        for i, item in enumerate(data, 1):
            found = validate_item(item, f"{source}[{i}]")
            problems.extend(found)
            if not found:
                items.append(item)
        return items, problems
    if suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        reader = list(csv.reader(io.StringIO(text)))
        if not reader:
            return [], [Problem(source, "-", "empty file")]
        return rows_to_items(reader[0], ((n, r) for n, r in enumerate(reader[1:], 2)), source)
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(path, read_only=True).active
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            return [], [Problem(source, "-", "empty sheet")]
        header = [str(h) if h is not None else "" for h in rows[0]]
        return rows_to_items(header, ((n, list(r)) for n, r in enumerate(rows[1:], 2)), source)
    return [], [Problem(source, "-", f"unsupported format {suffix!r}: use .csv, .xlsx or .json")]
