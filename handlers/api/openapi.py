"""/api/v1/openapi.json (OpenAPI 3.1), built from the routes' Operation declarations and their pydantic
models, and /api/v1/docs, a reference page rendered in the browser from local assets."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from pydantic.json_schema import models_json_schema
from tornado import web

from handlers.api.base import MiniProgramHandler, Operation
from handlers.api.models import ErrorResponse
from handlers.api.openapi_examples import EARLIEST_DATE

STATIC = Path(__file__).parent / "static"
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified: the cached copy with this ETag is current (no body)",
    400: "Invalid request (code: invalid_field, invalid_json, body_missing, unknown_field, invalid_query, "
    "multipart_invalid, code_invalid, content_rejected, …)",
    401: "Not signed in, or the token expired or was revoked (code: token_missing, token_invalid, token_expired — "
    "refresh; token_revoked — log in again; refresh_invalid — the refresh token is no longer valid, log in again)",
    403: "Not allowed (code: forbidden, proxy_only, user_blocked)",
    404: "Not found (also: someone else's booking)",
    409: "Conflict with the current state (code: status_conflict, idempotency_conflict, booking_limit, "
    "already_proxy, booking_closed, too_many_files)",
    413: "Too large (code: body_too_large; uploads: file_too_large)",
    415: "Unsupported file type (code: file_type)",
    429: "Too many requests; wait Retry-After seconds (code: rate_limited, wechat_rate_limited, upload_quota)",
    503: "WeChat unavailable (code: wechat_unavailable)",
}
TAGS = [
    {"name": "accounts", "description": "Login with wx.login(), tokens, the profile, phone and proxy binding, subscriptions"},
    {"name": "catalog", "description": "Service items (事项), guides, search, stations; no login needed"},
    {"name": "bookings", "description": "Proxy (代办) and home-visit (上门) bookings: form, create, list, cancel, rate"},
    {"name": "materials", "description": "Files (申请材料) uploaded for a booking"},
]
AUDIENCE = {"public": "Anyone, without a token.", "user": "A signed-in user.", "proxy": "A station proxy (代办员)."}
PATH_EXAMPLES = {
    "code": "GA-001",
    "station": "ZT-000",
    "number": "DB202612030001",
    "file_id": "Yk3n0Qd8Lw2xZr5T",
    "avatar": "pX2v9Qd8Lw2xZr5TbN4c7A",
}


def _strip_defaults(schema):
    """Request schemas without `default`: openapi-typescript makes a field with a default required."""
    if isinstance(schema, dict):
        return {k: _strip_defaults(v) for k, v in schema.items() if k != "default"}
    if isinstance(schema, list):
        return [_strip_defaults(v) for v in schema]
    return schema


def build_document(routes: list[tuple[str, type[MiniProgramHandler], dict]], version: str) -> dict:
    """routes: (path template like /api/v1/items/{code}, handler, {param: regex})."""
    models = set()
    for _path, handler, _params in routes:
        for op in handler.operations.values():
            if op.body:
                models.add((op.body, "validation"))
            if op.response:
                models.add((op.response, "serialization"))
    models.add((ErrorResponse, "serialization"))
    ordered = sorted(models, key=lambda m: (m[0].__name__, m[1]))
    refs, defs = models_json_schema(ordered, ref_template="#/components/schemas/{model}")
    schemas = defs.get("$defs", {})
    for model, mode in ordered:
        if mode == "validation":
            name = refs[(model, mode)]["$ref"].rsplit("/", 1)[-1]
            schemas[name] = _strip_defaults(schemas[name])
    paths: dict = {}
    for path, handler, params in routes:
        entry = paths.setdefault(path, {})
        tag = handler.__module__.rsplit(".", 1)[-1]
        for method, op in handler.operations.items():
            entry[method] = _operation(op, method, path, params, refs, tag)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "为民服务助手 mini-program API",
            "version": version,
            "description": "JSON in and out. Errors: {error: {status, code, message, field, request_id}}; "
            "`message` is plain Chinese for the resident's screen, `code` is stable for the program (enum ErrorCode). "
            "Instants (`…_at`) are ISO 8601 in China time with milliseconds (+08:00); dates are China calendar days "
            "(YYYY-MM-DD). A method a path does not have answers 405 with `Allow`.",
            "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
        },
        "servers": [{"url": "/", "description": "this server"}],
        "tags": TAGS,
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "access_token of /api/v1/login"}},
        },
    }


def operation_id(method: str, path: str) -> str:
    return method + re.sub(r"[^A-Za-z]+", "_", path.removeprefix("/api/v1")).rstrip("_")


def _headers(op: Operation) -> dict:
    headers = op.response_headers.items()
    return {name: {"required": True, "schema": schema, "description": text} for name, (schema, text) in headers}


def _operation(op: Operation, method: str, path: str, params: dict, refs: dict, tag: str) -> dict:
    out: dict = {
        "tags": [tag],
        "summary": op.summary,
        "description": f"{op.description or op.summary}\n\n{AUDIENCE[op.auth]}",
        "operationId": operation_id(method, path),
        "x-auth": op.auth,
        "security": [] if op.auth == "public" else [{"bearer": []}],
        "parameters": [],
        "responses": {},
    }
    for name, pattern in params.items():
        out["parameters"].append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": f"^{pattern}$"},
                "example": PATH_EXAMPLES[name],
            }
        )
    for name, (schema, description, required, *example) in op.query.items():
        parameter = {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
        if example:
            parameter["example"] = example[0]
        out["parameters"].append(parameter)
    for name, description in op.headers.items():
        required = name == "Idempotency-Key"
        schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"} if required else {"type": "string"}
        example = "f3b9c2d4e5a6" if required else '"6f1c9e0a2b"'
        out["parameters"].append(
            {"name": name, "in": "header", "required": required, "description": description, "schema": schema, "example": example}
        )
    if op.body:
        content = {"schema": refs[(op.body, "validation")]}
        if op.example is not None:
            content["example"] = op.example
        out["requestBody"] = {"required": True, "content": {"application/json": content}}
    if op.upload:
        form = {
            "type": "object",
            "required": ["file", *op.upload_fields],
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream", "description": "the file"},
                **op.upload_fields,
            },
        }
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    ok: dict = {"description": REASONS.get(op.status, "OK")}
    if op.response:
        ok["content"] = {"application/json": {"schema": refs[(op.response, "serialization")]}}
    elif op.content != ("application/json",):
        ok["content"] = {kind: {"schema": {"type": "string", "contentMediaType": kind}} for kind in op.content}
    if op.response_headers:
        ok["headers"] = _headers(op)
    if op.links:
        ok["links"] = op.links
    out["responses"][str(op.status)] = ok
    codes = set(op.errors) | {429}
    if op.auth != "public":
        codes.add(401)
    if op.auth == "proxy":
        codes.add(403)
    if op.body or op.query or op.headers or op.upload:
        codes.add(400)
    if params:
        codes.add(404)
    if op.body or op.upload:
        codes |= {400, 413}
    error = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}
    for code in sorted(codes):
        if code == 304:
            out["responses"]["304"] = {"description": REASONS[304], "headers": _headers(op)}
            continue
        response = {"description": REASONS.get(code, "Error"), "content": error}
        if code == 429:
            response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        out["responses"][str(code)] = response
    if not out["parameters"]:
        del out["parameters"]
    return out


class OpenAPIHandler(web.RequestHandler):
    def initialize(self, document: dict) -> None:
        self.body = json.dumps(document, ensure_ascii=False, indent=1)

    def get(self) -> None:
        bookings = self.settings["miniprogram"].bookings
        earliest = bookings.calendar.next_workday(bookings.today() + timedelta(days=1)).isoformat()
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self.body.replace(EARLIEST_DATE, earliest))


class DocsHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'")
        self.finish((STATIC / "docs.html").read_bytes())
