"""The report, and the desk's booking list, as CSV and XLSX: every rate with numerator, denominator and
its definition, so the file stands on its own in the annual report."""

from __future__ import annotations

import csv
import io

from bot.ratings import LEVELS
from bot.report.definitions import DEFINITIONS
from bot.report.figures import Report
from bot.report.rates import Rate
from knowledge_base.cells import safe_row

CHANNEL_SECTION = {"all": "全部", "bookings": "预约服务", "chat": "在线人工", "hotline": "96128"}


def _line(section: str, key: str, value, label: str | None = None) -> list:
    name, definition = DEFINITIONS.get(key, (key, ""))
    if isinstance(value, Rate):
        return [section, label or name, value.text, value.num, value.den, definition]
    return [section, label or name, value if value is not None else "", "", "", definition]


def summary_rows(report: Report) -> list[list]:
    """[section, measure, value, numerator, denominator, definition]"""
    b, c, h, s = report.bookings, report.chat, report.hotline, report.satisfaction
    rows = [
        _line("预约服务", "received", b["received"]),
        _line("预约服务", "completed", b["completed"]),
        _line("预约服务", "on_time", b["on_time"]),
        _line("预约服务", "late", b["late"]),
        _line("预约服务", "open", b["open"]),
        _line("预约服务", "overdue_open", b["overdue_open"]),
        _line("群众评价", "satisfaction", s["all"], "满意率（全部）"),
        _line("群众评价", "satisfaction", s["bookings"], "满意率（预约服务）"),
        _line("群众评价", "satisfaction", s["chat"], "满意率（在线人工）"),
        _line("群众评价", "satisfaction", s["hotline"], "满意率（96128）"),
    ]
    for score, name in LEVELS.items():
        rows.append(["群众评价", name, s["levels"]["all"][score], "", "", "五级评价中该等级的次数（全部渠道）"])
    rows += [
        _line("群众评价", "complaints", report.complaints["count"]),
        _line(
            "群众评价",
            "followed_up",
            report.complaints["followed_up"],
            f"差评按时整改率（{report.complaints['workdays']} 个工作日）",
        ),
        _line("在线咨询", "messages", c["messages"]),
        _line("在线咨询", "questions", c["questions"]),
        _line("在线咨询", "residents", c["residents"]),
        _line("在线咨询", "bot_answered", c["bot_answered"]),
        _line("在线咨询", "bot_unanswered", c["bot_unanswered"]),
        _line("在线咨询", "bot_answer_rate", c["bot_answer_rate"]),
        _line("在线咨询", "transfers", c["transfers"]),
        _line("在线咨询", "transfer_success", c["transfer_success"]),
        _line("在线咨询", "first_response", _seconds(c["first_response_median"]), "首次响应时间（中位数）"),
        _line("在线咨询", "first_response", _seconds(c["first_response_p90"]), "首次响应时间（90% 分位数）"),
        _line("96128", "hotline_calls", h["calls"]),
        _line("96128", "hotline_transferred", h["transferred"]),
        _line("96128", "hotline_transfer_success", h["transfer_success"]),
        _line("96128", "hotline_satisfaction", h["satisfaction"]),
    ]
    return rows


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.0f} 秒" if value < 120 else f"{value / 60:.1f} 分钟"


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
    return [
        [
            t["month"],
            t["received"],
            t["completed"],
            t["on_time"].text,
            t["satisfaction"].text,
            t["transfers"],
            t["transfer_success"].text,
        ]
        for t in report.trend
    ]


TREND_HEADER = ["月份", "接件", "办结", "按时办结率", "满意率", "转人工", "转接成功率"]
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
