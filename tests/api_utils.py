"""A mini-program client for the tests: logs in through the fake WeChat API and calls /api/v1 over HTTP."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, field

from tornado.httpclient import AsyncHTTPClient

from tests.utils import make_id, next_workday_text  # noqa: F401 - re-exported for the API tests


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def json(self):
        return json.loads(self.body) if self.body else None

    @property
    def error(self) -> dict:
        return self.json["error"]


@dataclass
class MiniProgramUser:
    base: str
    sandbox: object
    openid: str
    unionid: str | None = None
    tokens: dict = field(default_factory=dict)

    async def login(self) -> Reply:
        code = "code-" + secrets.token_hex(6)
        user = {"openid": self.openid, **({"unionid": self.unionid} if self.unionid else {})}
        self.sandbox.wxa_codes[code] = user
        reply = await self.call("POST", "/api/v1/login", {"code": code}, auth=False)
        if reply.status == 200:
            self.tokens = reply.json
        return reply

    async def call(self, method: str, path: str, body=None, *, auth: bool = True, headers: dict | None = None, raw=None) -> Reply:
        hdrs = dict(headers or {})
        if auth and self.tokens:
            hdrs.setdefault("Authorization", "Bearer " + self.tokens["access_token"])
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False) if body is not None else None)
        if data is None and method in ("POST", "PATCH", "PUT"):
            data = b""
        if body is not None:
            hdrs.setdefault("Content-Type", "application/json")
        resp = await AsyncHTTPClient().fetch(
            self.base + path, method=method, body=data, headers=hdrs, raise_error=False, allow_nonstandard_methods=True
        )
        return Reply(resp.code, dict(resp.headers), resp.body or b"")

    async def book(self, form: dict, key: str | None = None) -> Reply:
        return await self.call("POST", "/api/v1/bookings", form, headers={"Idempotency-Key": key or uuid.uuid4().hex})


async def signed_in(server, wechat_api, openid: str, unionid: str | None = None) -> MiniProgramUser:
    user = MiniProgramUser(server.url, wechat_api.state, openid, unionid)
    reply = await user.login()
    assert reply.status == 200, reply.body
    return user


def multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    """(body, content type) of a multipart/form-data upload, as wx.uploadFile sends it."""
    boundary = "----mp" + secrets.token_hex(8)
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, data, ctype) in files.items():
        disposition = f'form-data; name="{name}"; filename="{filename}"'
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
