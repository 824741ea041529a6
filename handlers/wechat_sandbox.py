"""A stand-in for WeChat's API (access token, customer-service messages) on 127.0.0.1.

The tests run it as their fake WeChat API server; a dev server with placeholder credentials mounts it
at /dev/wechat-api/ so outbound messages have somewhere to go, and `python -m bot.simulate` reads
them back from its outbox. It is never mounted in production.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field

from tornado import web


@dataclass
class SandboxState:
    """What the fake platform knows and what it received; tests inspect and steer it."""

    appid_secrets: dict[str, str] = field(default_factory=dict)  # empty: any credentials accepted
    token_ttl: int = 7200
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    token_requests: int = 0
    reject_next: list[int] = field(default_factory=list)  # errcodes to answer the next sends with
    outbox: list[dict] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def valid(self, token: str | None) -> bool:
        return bool(token) and self.tokens.get(token, 0) > time.time()

    def expire_all_tokens(self) -> None:
        self.tokens.clear()

    def messages_to(self, openid: str) -> list[dict]:
        return [m for m in self.outbox if m.get("touser") == openid]


class SandboxHandler(web.RequestHandler):
    def initialize(self, state: SandboxState) -> None:
        self.state = state

    def reply(self, data: dict) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data, ensure_ascii=False))


class TokenHandler(SandboxHandler):
    async def get(self) -> None:
        appid, secret = self.get_argument("appid", ""), self.get_argument("secret", "")
        self.state.token_requests += 1
        await asyncio.sleep(0.05)  # a real round trip: concurrent callers would overlap here
        if self.state.appid_secrets and self.state.appid_secrets.get(appid) != secret:
            self.reply({"errcode": 40125, "errmsg": "invalid appsecret"})
            return
        token = "sandbox-" + secrets.token_hex(8)
        self.state.tokens[token] = time.time() + self.state.token_ttl
        self.reply({"access_token": token, "expires_in": self.state.token_ttl})


class CustomSendHandler(SandboxHandler):
    def post(self) -> None:
        token = self.get_argument("access_token", "")
        if self.state.reject_next:
            code = self.state.reject_next.pop(0)
            self.reply({"errcode": code, "errmsg": "rejected by sandbox"})
            return
        if not self.state.valid(token):
            self.reply({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            return
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        body["received_at"] = time.time()
        self.state.outbox.append(body)
        self.state.changed.set()
        self.state.changed = asyncio.Event()
        self.reply({"errcode": 0, "errmsg": "ok"})


class OutboxHandler(SandboxHandler):
    """GET ?openid=&after=N : messages to that user from index N on, waiting up to `wait` seconds for one."""

    async def get(self) -> None:
        openid = self.get_argument("openid")
        try:
            after = int(self.get_argument("after", "0"))
            wait = float(self.get_argument("wait", "0"))
        except ValueError:
            raise web.HTTPError(400, reason="after and wait must be numbers") from None
        if not (after >= 0 and 0 <= wait <= 25):  # NaN fails every comparison
            raise web.HTTPError(400, reason="after must be >= 0 and wait between 0 and 25 seconds")
        deadline = time.time() + wait
        while True:
            fresh = [(i, m) for i, m in enumerate(self.state.outbox) if i >= after and m.get("touser") == openid]
            remaining = deadline - time.time()
            if fresh or remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.state.changed.wait(), remaining)
            except TimeoutError:
                pass
        self.reply({"next": len(self.state.outbox), "messages": [m for _i, m in fresh]})


def sandbox_handlers(prefix: str, state: SandboxState) -> list:
    kw = {"state": state}
    return [
        (prefix + r"cgi-bin/token", TokenHandler, kw),
        (prefix + r"cgi-bin/message/custom/send", CustomSendHandler, kw),
        (prefix + r"outbox", OutboxHandler, kw),
    ]


def make_sandbox_app(state: SandboxState | None = None) -> web.Application:
    state = state or SandboxState()
    app = web.Application(sandbox_handlers("/", state))
    app.sandbox = state
    return app
