"""Shared handler bases: services from Application.settings, request ids, JSON errors."""

from __future__ import annotations

import json
import logging
import re
import uuid
from urllib.parse import quote

from tornado import web
from tornado.log import app_log

from handlers.log import scrub

log = logging.getLogger(__name__)

# A caller's X-Request-Id is echoed and logged: only a short token of safe characters is taken.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
# JSON bodies nest a few levels; deeper ones are refused before the parser can recurse (RecursionError).
MAX_JSON_DEPTH = 32


class BaseHandler(web.RequestHandler):
    """Exposes the services the app factory injected, so handlers never import globals."""

    @property
    def config(self):
        return self.settings["config"]

    @property
    def store(self):
        return self.settings["store"]

    @property
    def knowledge(self):
        return self.settings["knowledge"]

    @property
    def inbox(self):
        return self.settings["inbox"]

    @property
    def wechat_crypto(self):
        return self.settings.get("wechat_crypto")

    @property
    def request_id(self) -> str:
        if not hasattr(self, "_request_id"):
            given = self.request.headers.get("X-Request-Id", "")
            self._request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex[:12]
        return self._request_id

    def _request_summary(self) -> str:
        # Tornado's own warnings and uncaught-exception log use this: scrub the query like the access log.
        return f"{self.request.method} {scrub(self.request.uri)} ({self.request.remote_ip}) [request {self.request_id}]"

    def log_exception(self, typ, value, tb) -> None:
        if isinstance(value, web.HTTPError):
            super().log_exception(typ, value, tb)  # a warning line built from _request_summary
            return
        # Tornado's default also prints repr(self.request), whose URI carries signatures and openids.
        app_log.error("Uncaught exception %s", self._request_summary(), exc_info=(typ, value, tb))

    def set_default_headers(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        self.set_header("X-Content-Type-Options", "nosniff")

    def send_file(self, data: bytes, content_type: str, filename: str) -> None:
        """An uploaded or generated file: always a download (never rendered by the browser), never sniffed,
        and sandboxed should a browser open it anyway."""
        self.set_header("Content-Type", content_type)
        self.set_header("Content-Disposition", f"attachment; filename*=UTF-8''{quote(filename, safe='')}")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
        self.finish(data)


class APIError(web.HTTPError):
    """An error whose message goes into the JSON body (any language; HTTP reason phrases must be ASCII)."""

    def __init__(self, status: int, message: str):
        super().__init__(status)
        self.message = message


class APIHandler(BaseHandler):
    """JSON in, JSON out; any HTTPError becomes {"error": {"status", "message"}}."""

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Content-Type", "application/json; charset=UTF-8")

    def get_json_body(self) -> dict:
        raw = self.request.body or b"{}"
        if json_depth(raw) > MAX_JSON_DEPTH:
            raise APIError(400, f"request body nests deeper than {MAX_JSON_DEPTH} levels")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise APIError(400, "request body is not valid JSON") from None
        if not isinstance(body, dict):
            raise APIError(400, "request body must be a JSON object")
        return body

    def write_json(self, data, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data, ensure_ascii=False, default=str))

    def write_error(self, status_code: int, **kwargs) -> None:
        reason = self._reason
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, APIError):
            reason = exc.message
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps({"error": {"status": status_code, "message": reason, "request_id": self.request_id}}))


def json_depth(raw: bytes) -> int:
    """Deepest bracket nesting of a JSON text, counted without parsing (brackets inside strings are skipped)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # cannot nest deeper than the limit: skip the scan
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


class HealthHandler(APIHandler):
    """GET /healthz: the store and the knowledge base."""

    async def get(self) -> None:
        store = await self.store.ping()
        kb = self.knowledge.status()
        ok = store["ok"] and kb["ok"]
        self.write_json({"ok": ok, "store": store, "knowledge_base": kb}, status=200 if ok else 503)


class NotFoundAPIHandler(APIHandler):
    def prepare(self) -> None:
        raise APIError(404, "no such API endpoint")


default_handlers = [(r"/healthz", HealthHandler)]
