"""Console handler base: the staff session, roles, XSRF on every unsafe request, pages from templates/.

Pages are server-rendered; actions accept ordinary form posts and answer JSON when the page's script
asks for it (`Accept: application/json`), so every form works without script and with it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from tornado import web
from tornado.escape import xhtml_escape

from bot import ratings
from bot.bookings.service import CHINA
from bot.staff.accounts import ROLE_LABELS, at_least
from handlers.base import BaseHandler

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
SESSION_COOKIE = "govbot_staff"

# The console's navigation: (path, label, least role). Later pages (bookings desk, knowledge base, the
# report, issue 14) are added here; the report's label must contain 报表.
NAV: list[tuple[str, str, str]] = [
    ("/console/", "会话", "agent"),
    ("/console/bookings", "预约", "agent"),
    ("/console/hotline", "96128", "agent"),
    ("/console/projects", "重点项目", "agent"),
    ("/console/items", "事项", "supervisor"),
    ("/console/report", "统计报表", "agent"),
    ("/console/canned", "常用语", "supervisor"),
    ("/console/audit", "操作记录", "supervisor"),
    ("/console/staff", "账号", "admin"),
]


# The one piece of markup the bot's answers carry (WeChat shows it as a link): <a href="https://...">text</a>.
LINK = re.compile(r'<a href="(https?://[^"<>\s]+)">([^<>]{1,80})</a>')


def message_html(text: str) -> str:
    """A message for the transcript: escaped, with the bot's guide links as real links (never raw tags)."""
    out, last = [], 0
    for m in LINK.finditer(text or ""):
        out.append(xhtml_escape(text[last : m.start()]))
        out.append(f'<a href="{xhtml_escape(m[1])}" target="_blank" rel="noopener">{xhtml_escape(m[2])}</a>')
        last = m.end()
    out.append(xhtml_escape((text or "")[last:]))
    return "".join(out)


def local_time(value: datetime | None) -> str:
    """China time as staff read it: 12-02 14:03."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%m-%d %H:%M")


class ConsoleError(web.HTTPError):
    """Refused action with a message for staff (Chinese); shown on the page or returned as JSON."""

    def __init__(self, status: int, message: str, **extra):
        super().__init__(status)
        self.message = message
        self.extra = extra


class ConsoleHandler(BaseHandler):
    """A console page or action. `need` is the least role; None lets strangers in (login)."""

    need: str | None = "agent"
    allow_must_change = False

    account: dict | None = None
    session: dict | None = None

    @property
    def console(self):
        return self.settings["console"]

    @property
    def audit(self):
        return self.settings["audit"]

    @property
    def username(self) -> str:
        return self.account["username"]

    @property
    def actor(self) -> str:
        return f"staff:{self.username}"

    def is_role(self, role: str) -> bool:
        return bool(self.account) and at_least(self.account["role"], role)

    def get_template_path(self) -> str:
        return str(TEMPLATES)

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "same-origin")
        self.set_header(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )

    def set_cookie(self, name, value, **kwargs) -> None:
        kwargs.setdefault("httponly", True)
        kwargs.setdefault("samesite", "Strict")
        kwargs.setdefault("path", "/console")
        if self.request.protocol == "https":
            kwargs["secure"] = True
        super().set_cookie(name, value, **kwargs)

    def session_token(self) -> str | None:
        raw = self.get_signed_cookie(SESSION_COOKIE)
        return raw.decode() if raw else None

    def wants_json(self) -> bool:
        return "application/json" in self.request.headers.get("Accept", "")

    async def prepare(self) -> None:
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_xsrf_cookie()  # 403 without the token, whatever the app-wide setting
        resumed = await self.console.sessions.resume(self.session_token(), self.console.accounts)
        if resumed:
            self.session, self.account = resumed
        if self.need is None:
            return
        if self.account is None:
            if self.wants_json() or self.request.method != "GET":
                raise ConsoleError(401, "登录已过期，请重新登录。")
            self.redirect("/console/login?next=" + quote(self.request.uri, safe=""))
            return
        if self.account.get("must_change") and not self.allow_must_change:
            if self.wants_json() or self.request.method != "GET":
                raise ConsoleError(403, "请先修改临时密码。")
            self.redirect("/console/password")
            return
        if not self.is_role(self.need):
            raise ConsoleError(403, "您的账号没有这个权限。")

    def get_current_user(self):
        return self.account

    def static(self, name: str) -> str:
        version = web.StaticFileHandler.get_version({"static_path": str(STATIC)}, name)
        return f"/console/static/{name}?v={version}"

    def get_template_namespace(self) -> dict:
        ns = super().get_template_namespace()
        nav = [(path, label) for path, label, role in NAV if self.account and at_least(self.account["role"], role)]
        ns.update(
            account=self.account,
            nav=nav,
            static=self.static,
            role_labels=ROLE_LABELS,
            is_role=self.is_role,
            json_attr=lambda data: json.dumps(data, ensure_ascii=False, default=str),
            local=local_time,
            rating_label=ratings.label,
            message_html=message_html,
            answer_target=self.console.desk.policy.answer_target_seconds,
        )
        return ns

    def done(self, data: dict | None = None, *, back: str | None = None) -> None:
        """Finish an action: JSON for scripts, a redirect for plain forms."""
        if self.wants_json():
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"ok": True, **(data or {})}, ensure_ascii=False, default=str))
        else:
            self.redirect(back or self.request.headers.get("Referer") or "/console/")

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = getattr(exc, "message", None) or {
            403: "请求被拒绝（缺少或错误的安全令牌，请刷新页面重试）。",
            404: "页面不存在。",
        }.get(status_code, "出错了，请稍后再试。")
        extra = getattr(exc, "extra", {}) or {}
        if self.wants_json() or self.request.headers.get("X-XSRFToken") is not None:
            self.set_header("Content-Type", "application/json; charset=UTF-8")
            self.finish(json.dumps({"ok": False, "error": message, **extra}, ensure_ascii=False))
            return
        self.render("error.html", status=status_code, message=message)
