"""Console sign-in, sign-out and password change."""

from __future__ import annotations

from bot.staff.accounts import StaffError
from handlers.console.base import SESSION_COOKIE, ConsoleHandler

WRONG = "用户名或密码不对。"


def safe_next(target: str | None) -> str:
    """Only local console paths: never an open redirect."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/"


class LoginHandler(ConsoleHandler):
    need = None

    def get(self) -> None:
        if self.account:
            self.redirect(safe_next(self.get_argument("next", None)))
            return
        self.render("login.html", error=None, username="", next=safe_next(self.get_argument("next", None)))

    async def post(self) -> None:
        username = self.get_body_argument("username", "").strip()[:64]
        password = self.get_body_argument("password", "")
        target = safe_next(self.get_body_argument("next", None))
        address = self.request.remote_ip or ""
        throttle = self.console.throttle
        decision = await throttle.check(username, address)
        if not decision.allowed:
            await self.audit.record(
                f"login:{username}", "login_refused", f"address:{address}", detail={"locked": decision.locked}
            )
            self.set_status(429)
            self.render("login.html", error=decision.message, username=username, next=target)
            return
        account = await self.console.accounts.authenticate(username, password)
        if account is None:
            after = await throttle.failed(username, address)
            await self.audit.record(f"login:{username}", "login_failed", f"address:{address}")
            self.set_status(429 if not after.allowed else 401)
            self.render(
                "login.html", error=WRONG + ("" if after.allowed else " " + after.message), username=username, next=target
            )
            return
        await throttle.succeeded(username)
        token = await self.console.sessions.start(account, address, self.request.headers.get("User-Agent", ""))
        self.set_signed_cookie(SESSION_COOKIE, token, expires_days=None)
        await self.audit.record(
            f"staff:{account['username']}", "login", f"staff:{account['username']}", detail={"address": address}
        )
        self.redirect("/console/password" if account.get("must_change") else target)


class LogoutHandler(ConsoleHandler):
    need = None

    async def post(self) -> None:
        if self.account:
            await self.audit.record(self.actor, "logout", f"staff:{self.username}")
        await self.console.sessions.end(self.session_token())
        self.clear_cookie(SESSION_COOKIE, path="/console")
        self.redirect("/console/login")


class PasswordHandler(ConsoleHandler):
    allow_must_change = True

    def get(self) -> None:
        self.render("password.html", error=None, done=False)

    async def post(self) -> None:
        old = self.get_body_argument("old_password", "")
        new = self.get_body_argument("new_password", "")
        again = self.get_body_argument("new_password_again", "")
        if new != again:
            self.render("password.html", error="两次输入的新密码不一样。", done=False)
            return
        try:
            account = await self.console.accounts.change_password(self.username, old, new)
        except StaffError as exc:
            self.set_status(400)
            self.render("password.html", error=exc.message, done=False)
            return
        # Every session of the account ends (its version moved on); this browser gets a fresh one.
        await self.console.sessions.end_all(self.username)
        token = await self.console.sessions.start(
            account, self.request.remote_ip or "", self.request.headers.get("User-Agent", "")
        )
        self.set_signed_cookie(SESSION_COOKIE, token, expires_days=None)
        await self.audit.record(self.actor, "change_password", f"staff:{self.username}", detail={"other_sessions_ended": True})
        self.account = account
        self.render("password.html", error=None, done=True)


default_handlers = [
    (r"/console/login", LoginHandler),
    (r"/console/logout", LogoutHandler),
    (r"/console/password", PasswordHandler),
]
