"""The report, and the desk's booking list, as CSV and XLSX: every rate with numerator, denominator and
its definition, so the file stands on its own in the annual report."""

from __future__ import annotations

import csv
import io

from bot.report.figures import Report
from bot.report.measures import MEASURES, MONTHLY
from bot.report.measures import trend_rows as trend_figures
from knowledge_base.cells import safe_row


def summary_rows(report: Report) -> list[list]:
    """[section, measure, value, numerator, denominator, definition], one row per measure (bot/report/measures.py)."""
    rows = []
    for m in MEASURES:
        figure = report.figures[m.id]
        rows.append([m.section, m.title(report), figure.text, figure.num, figure.den, m.explanation])
    return rows


HEADER = ["类别", "指标", "数值", "分子", "分母", "口径"]
BREAKDOWN_HEADER = ["名称", "接件", "办结", "按时办结率", "按时办结", "在办", "逾期未办结", "满意率", "满意", "评价数", "差评"]
BREAKDOWN_SHEETS = {"item": "按事项", "department": "按部门", "station": "按服务站", "channel": "按渠道"}


def breakdown_rows(rows: list) -> list[list]:
    return [
        [
            r.label,
            r.received,
            r.completed,
            r.on_time.text,
            r.on_time_n,
            r.open,
            r.overdue_open,
            r.satisfaction.text,
            r.satisfied,
            r.rated,
            r.complaints,
        ]
        for r in rows
    ]


def trend_rows(report: Report) -> list[list]:
    """One row a month, then the 合计 row (the period's own figures)."""
    return [[row["month"], *(_cell(row[m.id]) for m in MONTHLY)] for row in trend_figures(report)]


def _cell(figure):
    """A count as a number (Excel sums it), anything else as its text."""
    return figure.value if isinstance(figure.value, int) and not isinstance(figure.value, bool) else figure.text


TREND_HEADER = ["月份", *(m.short for m in MONTHLY)]
COMPLAINT_HEADER = ["评价时间", "来源", "内容", "评价", "整改期限", "状态", "整改人", "整改说明"]


def complaint_rows(report: Report) -> list[list]:
    from bot.report.periods import CHINA

    out = []
    for r in report.complaints["rows"]:
        f = r["followup"] or {}
        out.append(
            [
                r["rated_at"].astimezone(CHINA).strftime("%Y-%m-%d %H:%M"),
                {"booking": "预约", "escalation": "在线人工", "hotline": "96128"}[r["kind"]],
                r["what"],
                r["level"],
                r["deadline"].isoformat(),
                r["state_label"],
                f.get("by", ""),
                f.get("note", ""),
            ]
        )
    return out


class SafeWriter:
    """csv.writer whose every cell is neutralised (knowledge_base/cells.py)."""

    def __init__(self, out):
        self._w = csv.writer(out)

    def writerow(self, row) -> None:
        self._w.writerow(safe_row(row))

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def report_csv(report: Report, extra: list[tuple[str, list, list[list]]] = ()) -> bytes:
    """The report as CSV; `extra`: further sections (title, header, rows), such as 重点项目代办."""
    out = io.StringIO()
    w = SafeWriter(out)
    w.writerow([f"为民服务助手 统计报表 {report.period.label}"])
    w.writerow(HEADER)
    w.writerows(summary_rows(report))
    for dim, title in BREAKDOWN_SHEETS.items():
        w.writerow([])
        w.writerow([title])
        w.writerow(BREAKDOWN_HEADER)
        w.writerows(breakdown_rows(report.breakdown[dim]))
    w.writerow([])
    w.writerow(["月度趋势"])
    w.writerow(TREND_HEADER)
    w.writerows(trend_rows(report))
    for title, header, rows in extra:
        w.writerow([])
        w.writerow([title])
        w.writerow(header)
        w.writerows(rows)
    return out.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def _xlsx(sheets: list[tuple[str, list, list[list]]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(safe_row(row))
            for cell in ws[ws.max_row]:  # a text is a text: openpyxl would store "=…" as a formula
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        for i, _ in enumerate(header, 1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = 14 if i > 1 else 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def report_xlsx(report: Report, extra: list[tuple[str, list, list[list]]] = ()) -> bytes:
    """The report as XLSX, one sheet per section; `extra` as in report_csv."""
    sheets = [("汇总", HEADER, summary_rows(report))]
    sheets += [(title, BREAKDOWN_HEADER, breakdown_rows(report.breakdown[dim])) for dim, title in BREAKDOWN_SHEETS.items()]
    sheets += [("月度趋势", TREND_HEADER, trend_rows(report)), ("差评整改", COMPLAINT_HEADER, complaint_rows(report))]
    return _xlsx(sheets + list(extra))


BOOKING_HEADER = ["预约号", "类型", "事项", "服务对象", "电话", "服务站", "状态", "提交时间", "承诺办结", "时限", "负责人"]


def booking_rows(rows: list[dict]) -> list[list]:
    return [
        [
            r["number"],
            r["kind_label"],
            r["item_name"],
            r["beneficiary"],
            r["phone"],
            r["station_name"],
            r["status_label"],
            r["created_at"].strftime("%Y-%m-%d %H:%M"),
            r["due_date"],
            r["deadline"]["text"],
            r["assignee"],
        ]
        for r in rows
    ]


def bookings_csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    w = SafeWriter(out)
    w.writerow(BOOKING_HEADER)
    w.writerows(booking_rows(rows))
    return out.getvalue().encode("utf-8-sig")


def bookings_xlsx(rows: list[dict]) -> bytes:
    return _xlsx([("预约", BOOKING_HEADER, booking_rows(rows))])
