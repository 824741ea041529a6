"""POST /api/v1/admin/staff: create a staff account from a script (`python -m bot.admin create-staff`).

The very first account may be created with the shared BOT_ADMIN_TOKEN: the operator sets its password and
signs in with it directly. After that, only an admin's personal token may create accounts, and an account
made for someone else always gets a password to change at first login. BOT_ADMIN_TOKEN is for scripts
only: the console never accepts it. Kept apart from handlers/admin.py so each can change on its own.
"""

from __future__ import annotations

from bot.staff.accounts import AccountExists, StaffError, public
from handlers.admin import AdminHandler
from handlers.base import APIError


class CreateStaffHandler(AdminHandler):
    async def post(self) -> None:
        body = self.get_json_body()
        console = self.settings["console"]
        first = not await console.accounts.any()
        if self.token_account is not None:
            if self.token_account["role"] != "admin":
                raise APIError(403, "creating staff accounts needs an admin's token")
            actor, must_change = f"staff:{self.token_account['username']}", True
        elif first:
            by = str(body.get("staff") or "operator").strip()[:40]
            actor, must_change = f"script:{by}", bool(body.get("must_change", False))
        else:
            raise APIError(403, "accounts exist: create further ones in the console, or with an admin's personal token (--token)")
        try:
            account = await console.accounts.create(
                str(body.get("username", "")),
                str(body.get("role", "")),
                str(body.get("password", "")),
                must_change=must_change,
                created_by=actor,
                name=str(body.get("name", "")),
            )
        except AccountExists as exc:
            raise APIError(409, exc.message) from None
        except StaffError as exc:
            raise APIError(400, exc.message) from None
        await self.settings["audit"].record(actor, "staff_create", f"staff:{account['username']}", after=public(account))
        view = public(account)
        self.write_json({"username": view["username"], "role": view["role"], "must_change": view["must_change"]}, status=201)


default_handlers = [(r"/api/v1/admin/staff", CreateStaffHandler)]
