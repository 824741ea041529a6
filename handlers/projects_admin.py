"""/api/v1/admin/projects: key projects and their approval steps, for scripts and the console.

Same bearer-token authorisation as the other admin routes. Views mask the contact; every change is audited.
"""

from __future__ import annotations

from bot.projects.steps import Conflict, NotFound, ProjectError
from bot.projects.views import project_view, step_view
from handlers.admin import AdminHandler
from handlers.base import APIError

CODE = r"(XM\d{8})"


class ProjectAdminHandler(AdminHandler):
    @property
    def projects(self):
        return self.settings["projects"]

    def fail(self, exc: ProjectError) -> None:
        status = 404 if isinstance(exc, NotFound) else 409 if isinstance(exc, Conflict) else 400
        raise APIError(status, exc.message)

    async def acting(self, body: dict, *, required: bool) -> str:
        """Who acts, checked like every admin route (AdminHandler.staff). Registering a project or a step may
        leave `staff` out (the audit row's `via` names the token that did it); moving a step may not."""
        value = self.text(body, "staff", max_len=40)
        if not value and not required and self.token_account is None:
            return "api"
        return (await self.staff(value)).id

    async def audit(self, staff: str, action: str, code: str, after: dict | None = None) -> None:
        await self.settings["audit"].record(f"staff:{staff}", action, f"project:{code}", after=after)


class ProjectListHandler(ProjectAdminHandler):
    async def get(self) -> None:
        today = self.projects.today()
        self.write_json({"projects": [project_view(p, today) for p in await self.projects.page()]})

    async def post(self) -> None:
        body = self.get_json_body()
        staff = await self.acting(body, required=False)
        try:
            project = await self.projects.create(body, staff)
        except ProjectError as exc:
            self.fail(exc)
        await self.audit(staff, "create_project", project["code"])
        view = project_view(project, self.projects.today())
        view["bind_code"] = project["bind_code"]
        self.write_json(view, status=201)


class ProjectDetailHandler(ProjectAdminHandler):
    async def get(self, code: str) -> None:
        try:
            project = await self.projects.get(code)
        except ProjectError as exc:
            self.fail(exc)
        self.write_json(project_view(project, self.projects.today()))


class StepListHandler(ProjectAdminHandler):
    async def post(self, code: str) -> None:
        body = self.get_json_body()
        staff = await self.acting(body, required=False)
        try:
            _, step = await self.projects.add_step(code, body, staff)
        except ProjectError as exc:
            self.fail(exc)
        await self.audit(staff, "add_step", code, after={"step": step["id"], "department": step["department"]})
        self.write_json(step_view(step, self.projects.today()), status=201)


class StepTransitionHandler(ProjectAdminHandler):
    async def post(self, code: str, step_id: str) -> None:
        body = self.get_json_body()
        staff = await self.acting(body, required=True)
        to, note = self.text(body, "to", required=True, max_len=20), self.text(body, "note")
        try:
            _, step = await self.projects.transition(code, int(step_id), to, staff, note)
        except ProjectError as exc:
            self.fail(exc)
        await self.audit(staff, f"step_{to}", code, after={"step": step["id"], "status": step["status"], "note": note})
        self.write_json(step_view(step, self.projects.today()))


default_handlers = [
    (r"/api/v1/admin/projects", ProjectListHandler),
    (rf"/api/v1/admin/projects/{CODE}", ProjectDetailHandler),
    (rf"/api/v1/admin/projects/{CODE}/steps", StepListHandler),
    (rf"/api/v1/admin/projects/{CODE}/steps/(\d{{1,6}})/transition", StepTransitionHandler),
]
