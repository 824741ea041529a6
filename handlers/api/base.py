"""The mini-program API's handler base: Bearer identity, per-user and per-address rate limits, bodies validated
and responses serialised through the models of handlers/api/models.py, and one error shape:

    {"error": {"status": 400, "code": "invalid_field", "message": "<Chinese>", "field": "phone", "request_id": "..."}}

Each handler declares, per method, who may call it and its models (`Operation`); handlers/api/openapi.py
builds the OpenAPI document from the same declarations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError
from tornado import web

from bot.bookings.online import FieldProblem
from bot.bookings.service import BookingConflict, BookingError, Forbidden, IdempotencyConflict, LimitReached, NotFound
from bot.miniprogram.accounts import AccountError
from bot.miniprogram.content import ContentRejected
from bot.miniprogram.materials import MaterialError
from handlers.api.models import ErrorResponse
from handlers.base import MAX_JSON_DEPTH, BaseHandler, json_depth

MAX_BODY = 64 * 1024  # JSON bodies; uploads have their own limit

# Field names the resident reads in "请检查：…" when pydantic refuses a value.
FIELD_LABELS = {
    "code": "登录凭证",
    "refresh_token": "刷新凭证",
    "kind": "服务类型",
    "item_code": "事项",
    "name": "姓名",
    "id_number": "身份证号",
    "phone": "手机号",
    "preferred_date": "日期",
    "station": "服务站",
    "relation": "关系",
    "address": "地址",
    "qualification": "上门服务条件",
    "score": "评分",
    "comment": "评价内容",
    "reason": "原因",
    "nickname": "昵称",
    "avatar_url": "头像地址",
    "invite_code": "邀请码",
    "subscribe_templates": "订阅消息",
}


class ApiError(web.HTTPError):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, retry_after: int | None = None):
        super().__init__(status)
        self.code, self.message, self.field, self.retry_after = code, message, field, retry_after


@dataclass(frozen=True)
class Operation:
    """One method of one endpoint, as the OpenAPI document describes it."""

    summary: str
    auth: str = "user"  # "public" | "user" | "proxy" (a station proxy)
    body: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    query: dict = field(default_factory=dict)  # name -> (json schema, description, required)
    headers: dict = field(default_factory=dict)
    errors: tuple[int, ...] = ()
    content: str = "application/json"  # a response that is not JSON (a material's bytes)
    upload: bool = False  # multipart/form-data with a `file`


# Domain errors as API errors: status and stable code; the message is the domain's own (Chinese).
DOMAIN_ERRORS = [
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (IdempotencyConflict, 409, "idempotency_conflict"),
    (BookingConflict, 409, "status_conflict"),
    (LimitReached, 429, "booking_limit"),
    (BookingError, 400, "booking_invalid"),
]


class MiniProgramHandler(BaseHandler):
    operations: dict[str, Operation] = {}

    @property
    def api(self):
        return self.settings["miniprogram"]

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")

    async def prepare(self) -> None:
        self.identity = None
        op = self.operations.get(self.request.method.lower())
        if op is None:
            return  # Tornado answers 405
        address = self.request.remote_ip or "-"
        wait = self.api.address_limit.retry_after(address)
        if wait is None and op.auth == "public" and self.request.path.endswith("/login"):
            wait = self.api.login_limit.retry_after(address)
        if wait:
            raise ApiError(429, "rate_limited", "操作太频繁了，请稍后再试。", retry_after=wait)
        if op.auth == "public":
            return
        header = self.request.headers.get("Authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        if not token:
            raise ApiError(401, "token_missing", "请先登录。")
        try:
            self.identity = await self.api.accounts.authenticate(token)
        except AccountError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        wait = self.api.user_limit.retry_after(self.identity.openid)
        if wait:
            raise ApiError(429, "rate_limited", "操作太频繁了，请稍后再试。", retry_after=wait)
        if op.auth == "proxy" and self.identity.actor.kind != "proxy":
            raise ApiError(403, "proxy_only", "只有服务站代办员可以使用这个功能。")

    @property
    def actor(self):
        return self.identity.actor

    # ---- bodies and queries ----

    def body(self, model: type[BaseModel]):
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY:
            raise ApiError(413, "body_too_large", "提交的内容太长了。")
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise ApiError(400, "invalid_json", "提交的内容格式不对。")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "invalid_json", "提交的内容格式不对。") from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "提交的内容格式不对。")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self._invalid(exc) from None

    @staticmethod
    def _invalid(exc: ValidationError) -> ApiError:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else None
        if first["type"] == "extra_forbidden":
            return ApiError(400, "unknown_field", f"不认识的字段：{name}", field=name)
        label = FIELD_LABELS.get(name, name or "内容")
        verb = "请填写" if first["type"] == "missing" else "请检查"
        return ApiError(400, "invalid_field", f"{verb}{label}。", field=name)

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, "invalid_query", f"{name} 应当是整数。", field=name) from None
        if not low <= value <= high:
            raise ApiError(400, "invalid_query", f"{name} 应在 {low} 到 {high} 之间。", field=name)
        return value

    def query_float(self, name: str, low: float, high: float) -> float:
        raw = self.get_query_argument(name, "")
        try:
            value = float(raw)
        except ValueError:
            raise ApiError(400, "invalid_query", f"缺少或看不懂 {name}。", field=name) from None
        if not low <= value <= high:  # NaN fails too
            raise ApiError(400, "invalid_query", f"{name} 应在 {low} 到 {high} 之间。", field=name)
        return value

    def query_text(self, name: str, max_len: int = 100, required: bool = False) -> str:
        value = self.get_query_argument(name, "").strip()
        if required and not value:
            raise ApiError(400, "invalid_query", f"缺少 {name}。", field=name)
        if len(value) > max_len:
            raise ApiError(400, "invalid_query", f"{name} 太长了。", field=name)
        return value

    # ---- responses ----

    def respond(self, model: type[BaseModel], data, status: int = 200) -> None:
        self.set_status(status)
        self.finish(model.model_validate(data).model_dump_json())

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        code, message, fld = "error", "服务暂时出了点问题，请稍后再试。", None
        if isinstance(exc, ApiError):
            code, message, fld = exc.code, exc.message, exc.field
            if exc.retry_after:
                self.set_header("Retry-After", str(exc.retry_after))
        elif status_code == 404:
            code, message = "not_found", "没有找到。"
        elif status_code == 405:
            code, message = "method_not_allowed", "不支持这个操作。"
        elif status_code < 500:
            code, message = "bad_request", "请求格式不对。"
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.clear_header("ETag")
        error = {"status": status_code, "code": code, "message": message, "field": fld, "request_id": self.request_id}
        self.finish(ErrorResponse.model_validate({"error": error}).model_dump_json())

    def domain_error(self, exc: Exception) -> ApiError:
        """A domain exception as the API error a mini-program can act on."""
        if isinstance(exc, FieldProblem):
            return ApiError(400, "invalid_field", exc.message, field=exc.field)
        if isinstance(exc, ContentRejected):
            return ApiError(400, "content_rejected", exc.message, field=exc.field)
        if isinstance(exc, AccountError):
            return ApiError(exc.status, exc.code, exc.message, retry_after=exc.retry_after)
        if isinstance(exc, MaterialError):
            return ApiError(exc.status, exc.code, exc.message)
        for kind, status, code in DOMAIN_ERRORS:
            if isinstance(exc, kind):
                return ApiError(status, code, exc.message, retry_after=3600 if status == 429 else None)
        raise exc


class ApiNotFound(MiniProgramHandler):
    operations = {m: Operation("") for m in ("get", "post", "put", "patch", "delete")}

    async def prepare(self) -> None:
        raise ApiError(404, "no_such_endpoint", "没有这个接口。")
