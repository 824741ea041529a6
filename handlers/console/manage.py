"""Supervisor and admin pages: canned replies, staff accounts (with login locks), the audit log."""

from __future__ import annotations

from datetime import datetime

from bot.handoff.desk import HandoffError
from bot.staff.accounts import ROLES, StaffError, public, temporary_password
from handlers.console.base import ConsoleError, ConsoleHandler

# How the audit page names the console's actions (other pages' actions show their code only).
ACTION_LABELS = {
    "login": "登录",
    "logout": "退出",
    "login_failed": "登录失败",
    "login_refused": "登录被限制",
    "login_unlock": "解除登录限制",
    "change_password": "修改密码",
    "claim": "接待会话",
    "reply": "回复居民",
    "retry": "重发回复",
    "note": "添加备注",
    "transfer": "转给同事",
    "close": "结束会话",
    "sandbox_refuse": "开发沙箱：切换拒收",
    "canned_create": "新增常用语",
    "canned_update": "修改常用语",
    "canned_delete": "删除常用语",
    "staff_create": "新建账号",
    "token_create": "新建 API 令牌",
    "token_revoke": "吊销 API 令牌",
    "staff_reset_password": "重置密码",
    "staff_role": "修改角色",
    "staff_disable": "停用账号",
    "staff_enable": "启用账号",
}


class CannedHandler(ConsoleHandler):
    need = "supervisor"

    async def get(self) -> None:
        self.render("canned.html", replies=await self.console.canned.list(), error=None)

    async def post(self) -> None:
        canned = self.console.canned
        action = self.get_body_argument("action", "create")
        title, text = self.get_body_argument("title", ""), self.get_body_argument("text", "")
        reply_id = self.get_body_argument("id", "")
        try:
            if action == "create":
                doc = await canned.create(title, text, self.username)
                await self.audit.record(self.actor, "canned_create", f"canned:{doc['_id']}", after={"title": title, "text": text})
            elif action == "update":
                before, after = await canned.update(reply_id, title, text, self.username)
                await self.audit.record(
                    self.actor,
                    "canned_update",
                    f"canned:{reply_id}",
                    before={"title": before["title"], "text": before["text"]},
                    after={"title": after["title"], "text": after["text"]},
                )
            elif action == "delete":
                doc = await canned.delete(reply_id)
                await self.audit.record(
                    self.actor, "canned_delete", f"canned:{reply_id}", before={"title": doc["title"], "text": doc["text"]}
                )
            else:
                raise ConsoleError(400, "没有这个操作。")
        except HandoffError as exc:
            self.set_status(400)
            self.render("canned.html", replies=await canned.list(), error=exc.message)
            return
        self.done(back="/console/canned")


class StaffHandler(ConsoleHandler):
    need = "admin"

    async def page(self, error=None, created=None, token=None) -> None:
        self.render(
            "staff.html",
            accounts=await self.console.accounts.list(),
            tokens=await self.console.tokens.list(),
            new_token=token,
            locks=await self.console.throttle.locks(),
            roles=ROLES,
            error=error,
            created=created,
        )

    async def get(self) -> None:
        await self.page()

    async def post(self) -> None:
        accounts, arg = self.console.accounts, self.get_body_argument
        action = arg("action", "")
        username = arg("username", "").strip().lower()
        try:
            if action == "create":
                temp = temporary_password()
                account = await accounts.create(
                    username, arg("role", "agent"), temp, must_change=True, created_by=self.actor, name=arg("name", "")
                )
                await self.audit.record(self.actor, "staff_create", f"staff:{account['username']}", after=public(account))
                await self.page(created={"username": account["username"], "password": temp})
                return
            if action == "reset":
                account, temp = await accounts.reset_password(username)
                await self.console.sessions.end_all(username)
                await self.audit.record(self.actor, "staff_reset_password", f"staff:{username}", detail={"sessions_ended": True})
                await self.page(created={"username": username, "password": temp})
                return
            if action in ("role", "disable", "enable"):
                if username == self.username and action != "enable":
                    raise StaffError("不能修改自己的角色或停用自己。")
                change = {"role": arg("role", "")} if action == "role" else {"disabled": action == "disable"}
                before, after = await accounts.update(username, **change)
                if action == "disable":
                    await self.console.sessions.end_all(username)
                await self.audit.record(
                    self.actor, f"staff_{action}", f"staff:{username}", before={k: before.get(k) for k in change}, after=change
                )
            elif action == "token_create":
                target = await accounts.get(username)
                if target is None or target.get("disabled"):
                    raise StaffError("请选择一个在用的账号。")
                token, raw = await self.console.tokens.create(target["username"], arg("label", ""), self.actor)
                await self.audit.record(self.actor, "token_create", f"staff:{target['username']}", detail={"token": token["_id"]})
                await self.page(token={"username": target["username"], "value": raw, "label": token["label"]})
                return
            elif action == "token_revoke":
                token = await self.console.tokens.revoke(arg("token_id", ""), self.actor)
                if token is None:
                    raise StaffError("没有这个令牌，或已吊销。")
                await self.audit.record(self.actor, "token_revoke", f"staff:{token['username']}", detail={"token": token["_id"]})
            elif action == "unlock":
                key = arg("key", "")
                if await self.console.throttle.lift(key):
                    await self.audit.record(self.actor, "login_unlock", key)
            else:
                raise ConsoleError(400, "没有这个操作。")
        except StaffError as exc:
            self.set_status(400)
            await self.page(error=exc.message)
            return
        self.done(back="/console/staff")


class AuditHandler(ConsoleHandler):
    need = "supervisor"

    async def get(self) -> None:
        before = self.get_argument("before", "")
        actor = self.get_argument("actor", "").strip() or None
        target = self.get_argument("target", "").strip() or None
        try:
            cursor_time = datetime.fromisoformat(before) if before else None
        except ValueError:
            cursor_time = None
        entries = await self.audit.recent(limit=100, actor=actor, target=target, before=cursor_time)
        self.render("audit.html", entries=entries, actor=actor or "", target=target or "", action_labels=ACTION_LABELS)


default_handlers = [
    (r"/console/canned", CannedHandler),
    (r"/console/staff", StaffHandler),
    (r"/console/audit", AuditHandler),
]
