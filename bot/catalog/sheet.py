"""Reading an uploaded catalog sheet (CSV or XLSX, as `python -m knowledge_base export` writes it) as a whole.

Every cell of every row is checked and every finding is kept, by line and column, in plain Chinese
("第 3 行「承诺时限」：须为整数，现在是“二十”"), so staff fix a file in one pass instead of one error per upload.
Items come back only when there is no finding at all: an import is all or nothing.
A CSV saved by Excel on a Chinese Windows is GBK; it is read as such when it is not UTF-8.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bot.catalog.messages import choices, label, now_is, plain
from knowledge_base import catalog

MAX_ERRORS = 500  # a file that is wrong everywhere: the first ones say enough
INTEGER = re.compile(r"\d+(\.0+)?")


@dataclass(frozen=True)
class SheetError:
    line: int  # the sheet's line, the header being line 1; 0: the file as a whole
    column: str  # the column's header as written in the file; "" when about a whole row or the file
    message: str  # plain Chinese

    @property
    def place(self) -> str:
        return f"第 {self.line} 行" if self.line else "整个文件"

    def __str__(self) -> str:
        return f"{self.place}「{self.column}」：{self.message}" if self.column else f"{self.place}：{self.message}"


class Unreadable(Exception):
    """The upload is not a table we can open."""


def read_sheet(filename: str, data: bytes) -> tuple[list[dict], list[SheetError]]:
    """The items of an uploaded .csv or .xlsx and every error found; no items unless there is no error."""
    suffix = Path(filename or "").suffix.lower()
    try:
        table = _csv_table(data) if suffix == ".csv" else _xlsx_table(data)
    except Unreadable as exc:
        return [], [SheetError(0, "", str(exc))]
    if not table or not any(_text(c) for c in table[0]):
        return [], [SheetError(0, "", "文件是空的：第一行应是表头（事项编码、事项名称……），之后每行一个事项。")]
    return check_table(table[0], table[1:])


def _csv_table(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Unreadable("文件的文字编码无法识别：请在表格软件里“另存为 CSV UTF-8”或 Excel 工作簿（.xlsx）后再上传。")
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise Unreadable(f"不是有效的 CSV 文件（{exc}）：请用表格软件另存为 CSV 后再上传。") from None


def _xlsx_table(data: bytes) -> list[list]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise Unreadable("文件无法作为 Excel 工作簿打开：请确认是 .xlsx 文件（旧的 .xls 请先另存为 .xlsx）。") from None
    sheet = book["事项目录"] if "事项目录" in book.sheetnames else book.active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _text(cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)  # Excel keeps every number as a float: 2212345.0 is the phone 2212345
    return "" if cell is None else str(cell).strip()


def _columns(header: list, errors: list[SheetError]) -> list[tuple[str, str] | None]:
    """(field, header as written) per column, None for a blank column; unknown and repeated headers are errors."""
    by_label = {lab: name for name, (_kind, lab) in catalog.FIELDS.items()}
    known = set(catalog.FIELDS) | catalog.OPTIONAL
    columns, seen = [], {}
    for n, cell in enumerate(header, 1):
        head = _text(cell)
        name = by_label.get(head, head if head in known else None)
        if not head:
            columns.append(None)
            continue
        if name is None:
            close = difflib.get_close_matches(head, list(by_label), n=1, cutoff=0.5)
            hint = f"，是不是「{close[0]}」？" if close else "：表头请用导出文件里的列名。"
            errors.append(SheetError(1, head, "不是事项目录的列" + hint))
            columns.append(None)
        elif name in seen:
            errors.append(SheetError(1, head, f"与第 {seen[name]} 列重复"))
            columns.append(None)
        else:
            seen[name] = n
            columns.append((name, head))
    for name, (_kind, lab) in catalog.FIELDS.items():
        if name not in seen:
            errors.append(SheetError(1, "", f"缺少「{lab}」列"))
    return columns


def check_table(header: list, rows: list[list]) -> tuple[list[dict], list[SheetError]]:
    errors: list[SheetError] = []
    columns = _columns(header, errors)
    heads = {c[0]: c[1] for c in columns if c}
    items, first_line = [], {}
    for line, row in enumerate(rows, 2):
        if not any(_text(c) for c in row):
            continue  # a blank line between blocks of items
        item, row_errors = {}, []
        for column, cell in zip(columns, row):
            if column is None:
                continue
            name, head = column
            try:
                value = read_cell(name, cell)
            except ValueError as exc:
                row_errors.append(SheetError(line, head, str(exc)))
                continue
            if value is None:
                continue
            item[name] = value  # kept even when out of limits, so the rules across fields still run
            wrong = out_of_limits(name, value)
            if wrong:
                row_errors.append(SheetError(line, head, wrong))
        reported = {e.column for e in row_errors}
        for problem in catalog.validate_item(item, f"{line}"):
            top = re.split(r"[\[.]", problem.field, maxsplit=1)[0]
            head = heads.get(top, label(top))
            if head in reported or (top not in heads and problem.message == "missing"):
                continue  # told already, or the whole column is missing (said once, on line 1)
            row_errors.append(SheetError(line, head, plain(problem.field, problem.message)))
        code = item.get("code")
        if code and code in first_line:
            row_errors.append(SheetError(line, heads["code"], f"{code} 与第 {first_line[code]} 行重复"))
        elif code:
            first_line[code] = line
        errors.extend(row_errors)
        if not row_errors:
            items.append(item)
        if len(errors) >= MAX_ERRORS:
            errors = errors[:MAX_ERRORS]
            errors.append(SheetError(0, "", f"错误太多，只列出前 {MAX_ERRORS} 处；请先改正这些再上传。"))
            break
    if not items and not errors:
        errors.append(SheetError(0, "", "文件里没有事项：表头之后每行一个事项。"))
    return (items if not errors else []), errors


def read_cell(name: str, cell):
    """A cell's value for field `name`; None when blank and allowed to be; ValueError with the reason in Chinese."""
    kind = catalog.FIELDS[name][0] if name in catalog.FIELDS else list
    text = _text(cell)
    if not text:
        if name in catalog.OPTIONAL:
            return None
        if name in catalog.MAY_BE_EMPTY:
            return []
        raise ValueError("必填，现在是空的")
    if name in catalog.STRUCTURED:
        return _json_cell(name, text)
    if kind is list:
        return [part.strip() for part in text.splitlines() if part.strip()]
    if kind is bool:
        if isinstance(cell, bool):
            return cell
        if text not in catalog.BOOL_TEXTS:
            raise ValueError(f"须填 是 或 否，{now_is(text)}")
        return catalog.BOOL_TEXTS[text]
    if kind is int:
        if isinstance(cell, bool) or not INTEGER.fullmatch(text):
            raise ValueError(f"须为整数（阿拉伯数字，例如 20），{now_is(text)}")
        return int(float(text))
    return text


def out_of_limits(name: str, value) -> str | None:
    """Why a readable value is not allowed for the field (a choice it is not, a number out of range), or None."""
    allowed = catalog.CHOICES.get(name)
    if allowed and value not in allowed:
        return f"须为 {choices(allowed)}，{now_is(value)}"
    low, high = catalog.INT_RANGES.get(name, (None, None))
    if low is None or not isinstance(value, int):
        return None
    if high is None and value < low:
        return f"不能小于 {low}，{now_is(value)}"
    if high is not None and not low <= value <= high:
        if high - low <= 2:
            return f"须为 {choices(range(low, high + 1))}，{now_is(value)}"
        return f"须在 {low} 到 {high} 之间，{now_is(value)}"
    return None


def _json_cell(name: str, text: str):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 个字符附近）：请从导出的文件复制这一格再改，"
            "引号和括号须成对、用英文标点"
        ) from None
    want = dict if catalog.FIELDS[name][0] is dict else list
    if not isinstance(value, want):
        raise ValueError("须为 JSON 对象 {…}" if want is dict else "须为 JSON 列表 […]")
    return value
