"""/api/v1/openapi.json (OpenAPI 3.1), built from the routes' Operation declarations and their pydantic
models, and /api/v1/docs, a reference page rendered in the browser from local assets."""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic.json_schema import models_json_schema
from tornado import web

from handlers.api.base import MiniProgramHandler, Operation
from handlers.api.models import ErrorResponse

STATIC = Path(__file__).parent / "static"
REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    400: "Invalid request",
    401: "Not signed in, or the token expired or was revoked (code: token_missing, token_invalid, token_expired, token_revoked)",
    403: "Not allowed",
    404: "Not found (also: someone else's booking)",
    409: "Conflict with the current state",
    413: "Too large",
    415: "Unsupported file type",
    429: "Too many requests; wait Retry-After seconds",
    503: "WeChat unavailable",
}


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
    paths: dict = {}
    for path, handler, params in routes:
        entry = paths.setdefault(path, {})
        for method, op in handler.operations.items():
            entry[method] = _operation(op, method, path, params, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "为民服务助手 mini-program API",
            "version": version,
            "description": "JSON in and out. Errors: {error: {status, code, message, field, request_id}}; "
            "`message` is Chinese for the resident, `code` is stable for the program.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "access_token of /api/v1/login"}},
        },
    }


def _operation(op: Operation, method: str, path: str, params: dict, refs: dict) -> dict:
    out: dict = {
        "summary": op.summary,
        "operationId": method + re.sub(r"[^A-Za-z]+", "_", path.removeprefix("/api/v1")).rstrip("_"),
        "x-auth": op.auth,
        "parameters": [],
        "responses": {},
    }
    if op.auth != "public":
        out["security"] = [{"bearer": []}]
    for name, pattern in params.items():
        out["parameters"].append(
            {"name": name, "in": "path", "required": True, "schema": {"type": "string", "pattern": f"^{pattern}$"}}
        )
    for name, (schema, description, required) in op.query.items():
        out["parameters"].append(
            {"name": name, "in": "query", "required": required, "description": description, "schema": schema}
        )
    for name, description in op.headers.items():
        required = name == "Idempotency-Key"
        schema = {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"} if required else {"type": "string"}
        out["parameters"].append(
            {"name": name, "in": "header", "required": required, "description": description, "schema": schema}
        )
    if op.body:
        schema = refs[(op.body, "validation")]
        out["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
    if op.upload:
        form = {
            "type": "object",
            "required": ["file", "material"],
            "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"},
                "material": {"type": "string", "minLength": 1, "maxLength": 60},
            },
        }
        out["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": form}}}
    ok: dict = {"description": REASONS.get(op.status, "OK")}
    if op.response:
        ok["content"] = {"application/json": {"schema": refs[(op.response, "serialization")]}}
    elif op.content != "application/json":
        ok["content"] = {op.content: {"schema": {"type": "string", "contentMediaType": op.content}}}
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
        codes.add(413)
    error = {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}
    for code in sorted(codes):
        if code == 304:
            out["responses"]["304"] = {"description": REASONS[304]}
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
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(self.body)


class DocsHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.set_header("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'")
        self.finish((STATIC / "docs.html").read_bytes())
