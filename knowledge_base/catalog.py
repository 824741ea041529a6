"""Service items (政务服务事项): the schema, loading and validating the seed files, CSV/XLSX/JSON import and export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

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
    "legal_limit_days": (int, "法定时限（工作日）"),
    "promised_limit_days": (int, "承诺时限（工作日）"),
    "fee": (str, "收费标准"),
    "location": (str, "办理地点"),
    "hours": (str, "办理时间"),
    "phone": (str, "咨询电话"),
    "complaint_phone": (str, "投诉电话"),
    "online": (bool, "网上办理"),
    "online_how": (str, "网上办理方式"),
    "visits": (int, "到现场次数"),
    "result": (str, "办理结果"),
    "faq": (list, "常见问题"),
    "sample": (bool, "样例内容"),
}
OPTIONAL = {"keywords"}
ITEM_TYPES = {"行政许可", "行政确认", "行政给付", "行政裁决", "行政备案", "其他行政权力", "公共服务", "行政征收", "行政奖励"}
MATERIAL_FORMS = {"原件", "复印件", "原件和复印件", "电子证照"}
LEVELS = {"村", "乡镇", "县", "市"}
# Fields flattened to one cell in CSV/XLSX; lists of strings join with a newline.
STRUCTURED = {"materials", "faq"}


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
    for name in ("aliases", "basis", "conditions", "process"):
        if not item[name] or not all(isinstance(x, str) and x.strip() for x in item[name]):
            bad(name, "must be a non-empty list of texts")
    if not 0 <= item["promised_limit_days"] <= item["legal_limit_days"] or item["legal_limit_days"] > 365:
        bad("promised_limit_days", "must be between 0 and legal_limit_days (working days)")
    if item["visits"] not in (0, 1, 2):
        bad("visits", "must be 0, 1 or 2")
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
        if set(m) - {"name", "form", "count", "note"}:
            bad(where, f"unknown keys {sorted(set(m) - {'name', 'form', 'count', 'note'})}")
    if not item["faq"]:
        bad("faq", "at least one question is required")
    for i, qa in enumerate(item["faq"], 1):
        if not isinstance(qa, dict) or not qa.get("q") or not qa.get("a"):
            bad(f"faq[{i}]", "needs q and a")
    return problems


def load_file(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


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


def save_item(item: dict, items_dir: Path = ITEMS_DIR) -> Path:
    path = items_dir / f"{item['code']}.yaml"
    ordered = {k: item[k] for k in list(FIELDS) + sorted(OPTIONAL) if k in item}
    text = "# 样例内容：仅供开发演示，上线前须以政务服务中心官方事项目录替换\n" if item.get("sample") else ""
    text += yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(text, encoding="utf-8")
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
        if text in ("是", "Y", "y", "true", "True", "TRUE", "1"):
            return True
        if text in ("否", "N", "n", "false", "False", "FALSE", "0"):
            return False
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
                writer.writerow([_to_cell(c, item.get(c)) for c in cols])
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "事项目录"
        ws.append([FIELDS[c][1] if c in FIELDS else c for c in cols])
        for item in items:
            ws.append([_to_cell(c, item.get(c)) for c in cols])
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
