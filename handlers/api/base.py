"""The mini-program API's handler base: Bearer identity, per-user and per-address rate limits, bodies validated
and responses serialised through the models of handlers/api/models.py, and one error shape:

    {"error": {"status": 400, "code": "invalid_field", "message": "<Chinese>", "field": "phone", "request_id": "..."}}

Each handler declares, per method, who may call it and its models (`Operation`); handlers/api/openapi.py
builds the OpenAPI document from the same declarations.

Bodies are streamed in (`stream_request_body`) so that `prepare` refuses one over the endpoint's limit from its
Content-Length, with the JSON 413, before any of it is read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import get_args

from pydantic import BaseModel, ValidationError
from tornado import httputil, web

from bot.bookings.online import FieldProblem
from bot.bookings.service import BookingConflict, BookingError, Forbidden, IdempotencyConflict, LimitReached, NotFound
from bot.miniprogram.accounts import AccountError
from bot.miniprogram.content import ContentRejected
from bot.miniprogram.materials import MaterialError
from handlers.api.models import ErrorCode, ErrorResponse
from handlers.base import MAX_JSON_DEPTH, BaseHandler, json_depth

log = logging.getLogger(__name__)

ERROR_CODES = frozenset(get_args(ErrorCode))
MAX_BODY = 64 * 1024  # JSON bodies; uploads have their own limit
MORE_THAN_LIMIT = 1024 * 1024  # a chunked body is read this far past its limit, for a JSON 413, then cut off

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
    "accepted": "订阅消息",
}
# Query parameters as the resident reads them when the program sent a wrong one.
QUERY_LABELS = {
    "q": "搜索内容",
    "limit": "每页条数",
    "page": "页码",
    "lat": "位置",
    "lng": "位置",
    "cursor": "翻页位置",
    "kind": "服务类型",
    "item_code": "事项",
    "status": "预约状态",
    "theme": "主题",
    "department": "部门",
    "audience": "服务对象",
}
RETRY = "，请返回上一页重试。"
# What a wrong format of these fields means, in the booking form's words (bot/bookings/online.py).
FIELD_HINTS = {
    "item_code": "没有找到这个事项，请从事项列表里选择。",
    "id_number": "身份证号应为18位（最后一位可能是X），请检查。",
    "phone": "手机号应为11位数字，请检查。",
    "preferred_date": "请选择希望办理的日期。",
    "station": "请选择办理的乡镇（街道）为民服务中心。",
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
    content: tuple[str, ...] = ("application/json",)  # a response that is not JSON (a material's bytes)
    upload: bool = False  # multipart/form-data with a `file`
    upload_fields: dict = field(default_factory=dict)  # its other (required) form fields: name -> json schema
    description: str = ""
    example: dict | None = None  # a request body that works (examples phase of schemathesis, the docs)
    response_headers: dict = field(default_factory=dict)  # name -> (json schema, description)
    links: dict = field(default_factory=dict)  # OpenAPI links from the success response


# Domain errors as API errors: status and stable code; the message is the domain's own (Chinese).
DOMAIN_ERRORS = [
    (NotFound, 404, "not_found"),
    (Forbidden, 403, "forbidden"),
    (IdempotencyConflict, 409, "idempotency_conflict"),
    (BookingConflict, 409, "status_conflict"),
    (LimitReached, 409, "booking_limit"),
    (BookingError, 400, "booking_invalid"),
]


@web.stream_request_body
class MiniProgramHandler(BaseHandler):
    operations: dict[str, Operation] = {}

    @property
    def api(self):
        return self.settings["miniprogram"]

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")

    def compute_etag(self) -> None:
        """No automatic ETag (nor 304) on API answers: they are `no-store`; the guide sets its own."""
        return None

    def body_limit(self) -> int:
        """Bytes of request body this endpoint takes."""
        return MAX_BODY

    _size = 0  # bytes of body received (set per request in prepare)

    async def prepare(self) -> None:
        self.identity = None
        self._chunks: list[bytes] = []
        self._size = 0
        op = self.operations.get(self.request.method.lower())
        if op is None:
            raise ApiError(405, "method_not_allowed", "不支持这个操作。")
        self._check_length()
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

    def _check_length(self) -> None:
        """Refuse a body over the limit from its Content-Length, before reading it."""
        limit = self.body_limit()
        declared = self.request.headers.get("Content-Length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                raise ApiError(400, "bad_request", "请求格式不对" + RETRY) from None
            if length > limit:
                raise self.too_large()
        if self.request.connection is not None and limit > MAX_BODY:
            self.request.connection.set_max_body_size(limit + MORE_THAN_LIMIT)

    def too_large(self) -> ApiError:
        return ApiError(413, "body_too_large", "提交的内容太长了，请删减后再提交。")

    def data_received(self, chunk: bytes) -> None:
        self._size += len(chunk)
        if self._size <= self.body_limit() and hasattr(self, "_chunks"):  # past it (a chunked body): keep counting, stop keeping
            self._chunks.append(chunk)

    def raw_body(self) -> bytes:
        if self._size > self.body_limit():
            raise self.too_large()
        return b"".join(self._chunks)

    def upload(self) -> tuple[dict, dict]:
        """(form fields, the one `file` part) of a multipart/form-data upload, or a 400 saying what is wrong."""
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise ApiError(400, "file_missing", "请用表单上传文件（multipart/form-data）。", field="file")
        fields: dict = {}
        uploads: dict = {}
        try:
            httputil.parse_body_arguments(content_type, self.raw_body(), fields, uploads)
        except httputil.HTTPInputError:  # no boundary, a part without a name, a broken part
            raise ApiError(400, "multipart_invalid", "上传的文件没能收到完整，请重新上传。", field="file") from None
        files = uploads.get("file") or []
        if len(files) != 1:
            raise ApiError(400, "file_missing", "请选择一个文件上传。", field="file")
        return fields, files[0]

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
            code, message = "bad_request", "请求格式不对" + RETRY
        if code not in ERROR_CODES:
            log.error("error code %r is not in the document's ErrorCode enum", code)
            code = "error" if status_code >= 500 else "bad_request"
        if status_code == 405:
            self.set_header("Allow", ", ".join(m.upper() for m in self.operations))
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.set_header("Cache-Control", "no-store")
        self.clear_header("ETag")
        self.clear_header("Location")
        error = {"status": status_code, "code": code, "message": message, "field": fld, "request_id": self.request_id}
        self.finish(ErrorResponse.model_validate({"error": error}).model_dump_json())

    @property
    def actor(self):
        return self.identity.actor

    # ---- bodies and queries ----

    def body(self, model: type[BaseModel]):
        raw = self.raw_body()
        if not raw.strip():
            raise ApiError(400, "body_missing", "没有收到提交的内容" + RETRY)
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise ApiError(400, "invalid_json", "提交的内容格式不对" + RETRY)
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "invalid_json", "提交的内容格式不对" + RETRY) from None
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json", "提交的内容格式不对" + RETRY)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self._invalid(exc) from None

    @staticmethod
    def _invalid(exc: ValidationError) -> ApiError:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first.get("loc") else None
        if first["type"] == "extra_forbidden":
            return ApiError(400, "unknown_field", "提交的内容有误，请更新小程序后再试。", field=name)
        label = FIELD_LABELS.get(name, "填写的内容")
        if first["type"] == "missing":
            return ApiError(400, "invalid_field", f"请填写{label}。", field=name)
        if name in FIELD_HINTS:
            return ApiError(400, "invalid_field", FIELD_HINTS[name], field=name)
        if first["type"] in ("string_too_long", "too_long"):
            return ApiError(400, "invalid_field", f"{label}太长了，请删减一些。", field=name)
        return ApiError(400, "invalid_field", f"请检查{label}。", field=name)

    @staticmethod
    def _bad_query(name: str) -> ApiError:
        return ApiError(400, "invalid_query", f"{QUERY_LABELS.get(name, '请求')}不对" + RETRY, field=name)

    def query_int(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:  # absent; present but empty is not a number
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._bad_query(name) from None
        if not low <= value <= high:
            raise self._bad_query(name)
        return value

    def query_float(self, name: str, low: float, high: float) -> float:
        raw = self.get_query_argument(name, "")
        try:
            value = float(raw)
        except ValueError:
            raise ApiError(400, "invalid_query", "没能取得您的位置，请允许小程序使用位置后重试。", field=name) from None
        if not low <= value <= high:  # NaN fails too
            raise self._bad_query(name)
        return value

    def query_text(self, name: str, max_len: int = 100, required: bool = False) -> str:
        value = self.get_query_argument(name, "").strip()
        if required and not value:
            if name == "q":
                raise ApiError(400, "invalid_query", "请输入要搜索的内容。", field=name)
            raise self._bad_query(name)
        if len(value) > max_len:
            if name == "q":
                raise ApiError(400, "invalid_query", f"搜索内容太长了，请不要超过 {max_len} 个字。", field=name)
            raise self._bad_query(name)
        return value

    # ---- responses ----

    def respond(self, model: type[BaseModel], data, status: int = 200) -> None:
        self.set_status(status)
        self.finish(model.model_validate(data).model_dump_json())

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
                return ApiError(status, code, getattr(exc, "screen_message", None) or exc.message)
        raise exc


class ApiNotFound(MiniProgramHandler):
    operations = {m: Operation("") for m in ("get", "post", "put", "patch", "delete")}

    async def prepare(self) -> None:
        raise ApiError(404, "no_such_endpoint", "没有这个接口。")
