"""The accountability report: figures for a period with definitions, charts, CSV/XLSX, the printable
annual page, 差评 follow-up, and the 96128 call log form."""

from __future__ import annotations

from bot.offloop import compute_off_loop
from bot.projects.report import SECTION_HEADER, SECTION_TITLE, project_section, section_rows
from bot.ratings import LEVELS
from bot.report import charts, export, measures
from bot.report.complaints import FollowUpError
from bot.report.figures import ReportBusy
from bot.report.hotline import OUTCOMES, TOPICS, HotlineError
from bot.report.periods import CHINA, KINDS, Period, PeriodError
from bot.report.pipelines import CHANNEL_LABELS
from handlers.console.backoffice import BackOfficeHandler
from handlers.console.base import ConsoleError

KIND_NAMES = {"day": "日", "month": "月", "quarter": "季度", "year": "年", "custom": "自定义"}
# The value input's name and example for each kind (自定义 shows the two dates instead).
VALUE_HINTS = {
    "day": ("日期", "2026-12-02"),
    "month": ("月份", "2026-12"),
    "quarter": ("季度", "2026-Q4"),
    "year": ("年份", "2026"),
    "custom": ("", ""),
}
SECTION_TITLES = {
    measures.BOOKINGS: "预约服务（代办、上门）",
    measures.RATINGS: "群众评价（好差评）",
    measures.CHAT: "在线咨询与转人工",
    measures.HOTLINE: "96128 政务服务热线",
}


class ReportMixin:
    period_error: str | None = None

    def period(self) -> Period:
        """The period asked for; a wrong one falls back to the current one of its kind, with the reason."""
        kind = self.arg("kind", "month")
        kind = kind if kind in KINDS else "month"
        try:
            return Period.parse(kind, self.arg("value"), self.arg("start"), self.arg("end"))
        except PeriodError as exc:
            self.period_error = str(exc)
            return Period.parse("month" if kind == "custom" else kind)

    def query_args(self, period: Period) -> dict:
        args = {"kind": period.kind, "value": period.value}
        if period.kind == "custom":
            args.update(start=period.start.isoformat(), end=period.end.isoformat())
        for name in ("item", "department", "station", "channel"):
            if self.arg(name):
                args[name] = self.arg(name)
        return args

    async def build(self):
        reports = self.backoffice.reports
        period = self.period()
        filters = await reports.filters(self.arg("item"), self.arg("department"), self.arg("station"), self.arg("channel"))
        try:
            return period, await reports.build(period, filters, user=self.username)
        except ReportBusy as exc:
            raise ConsoleError(429, exc.message) from None

    def context(self, report, period) -> dict:
        return dict(
            r=report,
            period=period,
            measures=measures,
            section_titles=SECTION_TITLES,
            trend=measures.trend_rows(report),
            levels=LEVELS,
            channel_labels=CHANNEL_LABELS,
            kind_names=KIND_NAMES,
            value_hints=VALUE_HINTS,
            args=self.query_args(period),
            trend_svg=charts.trend_chart(report.trend, f"{period.label} 月度接件与办结"),
            station_svg=charts.comparison_chart(report.breakdown["station"], "按服务站：接件与按时办结率"),
            department_svg=charts.comparison_chart(report.breakdown["department"], "按部门：接件与按时办结率"),
        )


class ReportHandler(ReportMixin, BackOfficeHandler):
    async def get(self) -> None:
        period, report = await self.build()
        self.render(
            "report.html",
            **self.context(report, period),
            items=await self.item_choices(),
            departments=await self.departments(),
            stations=self.station_choices(),
            sel={name: self.arg(name) for name in ("item", "department", "station", "channel")},
            error=self.period_error,
            projects=await project_section(self.store, period.start, period.end),
        )


class ReportExportHandler(ReportMixin, BackOfficeHandler):
    async def get(self, fmt: str) -> None:
        period, report = await self.build()
        await self.audit.record(self.actor, "export_report", "report", detail={**self.query_args(period), "format": fmt})
        # A spreadsheet of a year takes a while to write: off the loop and its GIL (it reads only the built report).
        projects = await project_section(self.store, period.start, period.end)
        extra = [(SECTION_TITLE, SECTION_HEADER, section_rows(projects))]
        write = export.report_xlsx if fmt == "xlsx" else export.report_csv
        async with self.long_work():
            data = await compute_off_loop(self.store, write, report, extra)
        self.download(f"统计报表-{period.label}.{fmt}", data, fmt)


class ReportPrintHandler(ReportMixin, BackOfficeHandler):
    async def get(self) -> None:
        period, report = await self.build()
        await self.audit.record(self.actor, "print_report", "report", detail=self.query_args(period))
        self.render(
            "report_print.html",
            **self.context(report, period),
            summary=export.summary_rows(report),
            projects=await project_section(self.store, period.start, period.end),
            issuer=self.settings["services"].config.report_issuer,
            prepared_by=self.account.get("name") or self.username,
            prepared_on=report.generated_at.astimezone(CHINA).date(),
        )


class FollowUpHandler(BackOfficeHandler):
    need = "supervisor"

    async def post(self) -> None:
        try:
            await self.backoffice.followups.record(
                self.get_body_argument("kind", ""),
                self.get_body_argument("key", ""),
                self.username,
                self.get_body_argument("note", ""),
            )
        except FollowUpError as exc:
            raise ConsoleError(400, exc.message) from None
        self.done(back=self.get_body_argument("back", "/console/report"))


class HotlineHandler(BackOfficeHandler):
    """Staff log each 96128 call: topic, item, answered or transferred, whether the transfer was answered."""

    async def page(self, *, error=None, saved=None, form=None) -> None:
        self.render(
            "hotline.html",
            topics=TOPICS,
            outcomes=OUTCOMES,
            items=await self.item_choices(),
            calls=await self.backoffice.hotline.recent(30),
            levels=LEVELS,
            error=error,
            saved=saved,
            form=form or {},
        )

    async def get(self) -> None:
        await self.page(saved=self.arg("saved") == "1")

    async def post(self) -> None:
        arg = self.get_body_argument
        form = {k: arg(k, "") for k in ("topic", "outcome", "item", "transfer_to", "transfer_answered", "score", "note")}
        item_code = form["item"]
        item = await self.store.items.find_one({"code": item_code}, {"name": 1}) if item_code else None
        answered = {"yes": True, "no": False}.get(form["transfer_answered"])
        try:
            await self.backoffice.hotline.record(
                self.username,
                topic=form["topic"],
                outcome=form["outcome"],
                item_code=item_code if item else "",
                item_name=item["name"] if item else "",
                transfer_to=form["transfer_to"],
                transfer_answered=answered,
                score=int(form["score"]) if form["score"].isdigit() else None,
                note=form["note"],
            )
        except HotlineError as exc:
            self.set_status(400)
            await self.page(error=exc.message, form=form)
            return
        self.done(back="/console/hotline?saved=1")


default_handlers = [
    (r"/console/report", ReportHandler),
    (r"/console/report\.(csv|xlsx)", ReportExportHandler),
    (r"/console/report/print", ReportPrintHandler),
    (r"/console/report/followup", FollowUpHandler),
    (r"/console/hotline", HotlineHandler),
]
