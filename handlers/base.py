"""Shared handler bases: services from Application.settings, request ids, JSON errors."""

from __future__ import annotations

import json
import logging
import uuid

from tornado import web

log = logging.getLogger(__name__)


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
            self._request_id = self.request.headers.get("X-Request-Id") or uuid.uuid4().hex[:12]
        return self._request_id

    def set_default_headers(self) -> None:
        self.set_header("X-Request-Id", self.request_id)
        self.set_header("X-Content-Type-Options", "nosniff")


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
        try:
            body = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError):
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
