"""POST /api/v1/admin/staff: create a staff account from a script (`python -m bot.admin create-staff`).

BOT_ADMIN_TOKEN is for scripts only: the console never accepts it, and people sign in to the console
with their own accounts. Kept apart from handlers/admin.py so each can change on its own.
"""

from __future__ import annotations

from bot.staff.accounts import AccountExists, StaffError, public
from handlers.admin import AdminHandler
from handlers.base import APIError


class CreateStaffHandler(AdminHandler):
    async def post(self) -> None:
        body = self.get_json_body()
        console = self.settings["console"]
        by = str(body.get("staff") or "script").strip()[:40]
        try:
            account = await console.accounts.create(
                str(body.get("username", "")),
                str(body.get("role", "")),
                str(body.get("password", "")),
                must_change=bool(body.get("must_change", False)),
                created_by=f"script:{by}",
                name=str(body.get("name", "")),
            )
        except AccountExists as exc:
            raise APIError(409, exc.message) from None
        except StaffError as exc:
            raise APIError(400, exc.message) from None
        await self.settings["audit"].record(f"script:{by}", "staff_create", f"staff:{account['username']}", after=public(account))
        view = public(account)
        self.write_json({"username": view["username"], "role": view["role"], "must_change": view["must_change"]}, status=201)


default_handlers = [(r"/api/v1/admin/staff", CreateStaffHandler)]
