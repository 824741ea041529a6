"""Console pages for key projects (重点项目): the filtered list, one project's timeline, step forms, audited."""

from __future__ import annotations

from bot.projects.samples import seed_samples
from bot.projects.steps import MODES, STATUS_LABELS, TRANSITIONS, Conflict, NotFound, ProjectError
from bot.projects.views import project_view
from handlers.console.base import ConsoleError, ConsoleHandler

CODE = r"(XM\d{8})"
ACTION_LABELS = {"received": "受理", "approved": "办结", "returned": "退回"}
AUDIT_LABELS = {
    "create_project": "登记项目",
    "add_step": "添加环节",
    "step_received": "受理",
    "step_approved": "办结",
    "step_returned": "退回",
}
NEW_FIELDS = ("name", "enterprise", "contact_name", "contact_phone", "mode", "county", "staff")


def refuse(exc: ProjectError) -> ConsoleError:
    return ConsoleError(404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400, exc.message)


class ProjectsBase(ConsoleHandler):
    @property
    def projects(self):
        return self.settings["projects"]

    def arg(self, name: str) -> str:
        return (self.get_argument(name, "") or "").strip()


class ProjectListHandler(ProjectsBase):
    async def get(self, error: str | None = None, form: dict | None = None) -> None:
        f = {name: self.arg(name) for name in ("mode", "county", "staff", "overdue")}
        query = {key: f[key] for key in ("mode", "county", "staff") if f[key]}
        today = self.projects.today()
        rows = [project_view(p, today) for p in await self.projects.page(query)]
        if f["overdue"]:
            rows = [r for r in rows if r["overdue"]]
        every = await self.projects.page()
        self.render(
            "projects.html",
            f=f,
            rows=rows,
            modes=MODES,
            counties=sorted({p["county"] for p in every if p["county"]}),
            staff_names=sorted({p["staff"] for p in every if p["staff"]}),
            error=error,
            form=form or {},
            has_samples=any(p["sample"] for p in every),
        )

    async def post(self) -> None:
        if self.get_body_argument("action", "") == "samples":
            codes = await seed_samples(self.projects, self.username)
            await self.audit.record(self.actor, "seed_sample_projects", "projects", detail={"codes": codes})
            self.redirect("/console/projects")
            return
        form = {name: self.get_body_argument(name, "").strip() for name in NEW_FIELDS}
        body = dict(form)
        try:
            body["investment_wan"] = float(self.get_body_argument("investment_wan", "").strip())
        except ValueError:
            body["investment_wan"] = None
        form["investment_wan"] = self.get_body_argument("investment_wan", "")
        try:
            if body["investment_wan"] is None:
                raise ProjectError("投资额请填写数字（万元）。")
            project = await self.projects.create(body, self.username)
        except ProjectError as exc:
            self.set_status(400)
            await self.get(error=exc.message, form=form)
            return
        await self.audit.record(self.actor, "create_project", f"project:{project['code']}")
        self.redirect(f"/console/projects/{project['code']}")


class ProjectHandler(ProjectsBase):
    async def page(self, code: str, error: str | None = None) -> None:
        try:
            project = await self.projects.get(code)
        except ProjectError as exc:
            raise refuse(exc) from None
        view = project_view(project, self.projects.today())
        stages: dict[int, list[dict]] = {}
        for step in view["steps"]:
            stages.setdefault(step["stage"], []).append(step)
        self.render(
            "project.html",
            p=view,
            bind_code=project.get("bind_code"),
            stages=stages,
            actions={s["id"]: [(to, ACTION_LABELS[to]) for to in TRANSITIONS[s["status"]]] for s in view["steps"]},
            statuses=STATUS_LABELS,
            audit_labels=AUDIT_LABELS,
            error=error,
            audit=await self.audit.recent(target=f"project:{code}", limit=30),
        )

    async def get(self, code: str) -> None:
        await self.page(code)

    async def post(self, code: str) -> None:
        action = self.get_body_argument("action", "")
        try:
            if action == "add_step":
                body = {
                    "department": self.get_body_argument("department", ""),
                    "item": self.get_body_argument("item", ""),
                    "workdays": _whole(self.get_body_argument("workdays", "")),
                    "stage": _whole(self.get_body_argument("stage", "1") or "1"),
                }
                _, step = await self.projects.add_step(code, body, self.username)
                after = {"step": step["id"], "department": step["department"]}
            elif action == "transition":
                to, note = self.get_body_argument("to", ""), self.get_body_argument("note", "").strip()
                step_id = _whole(self.get_body_argument("step", ""))
                _, step = await self.projects.transition(
                    code, step_id if isinstance(step_id, int) else -1, to, self.username, note
                )
                action, after = f"step_{to}", {"step": step["id"], "status": step["status"], "note": note}
            else:
                raise ConsoleError(400, "未知操作。")
        except ProjectError as exc:
            if isinstance(exc, NotFound) and "no project" in exc.message:
                raise refuse(exc) from None
            self.set_status(409 if isinstance(exc, Conflict) else 400)
            await self.page(code, error=exc.message)
            return
        await self.audit.record(self.actor, action, f"project:{code}", after=after)
        self.redirect(f"/console/projects/{code}")


class ProjectPrintHandler(ProjectsBase):
    """项目审批进度表: the printable progress sheet handed to the investor (the contact stays off it)."""

    async def get(self, code: str) -> None:
        try:
            project = await self.projects.get(code)
        except ProjectError as exc:
            raise refuse(exc) from None
        await self.audit.record(self.actor, "print_project", f"project:{code}")
        today = self.projects.today()
        self.render("project_print.html", p=project_view(project, today), today=today.isoformat())


def _whole(raw: str):
    """A form's whole number, or the raw text so the domain names the field in its error."""
    try:
        return int(raw.strip())
    except ValueError:
        return raw


default_handlers = [
    (r"/console/projects", ProjectListHandler),
    (rf"/console/projects/{CODE}", ProjectHandler),
    (rf"/console/projects/{CODE}/print", ProjectPrintHandler),
]
