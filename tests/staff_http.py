"""A staff member's browser reduced to HTTP: signs in through /console/login with the XSRF cookie, keeps
its cookies, posts console forms and opens the live socket. For attacks through the real server."""

from __future__ import annotations

import asyncio
import json
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from tests.console_utils import PASSWORD


class StaffBrowser:
    def __init__(self, server, headers: dict | None = None):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.headers = headers or {}

    def _cookie_header(self) -> dict:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}

    def _keep(self, response) -> None:
        for raw in response.headers.get_list("Set-Cookie"):
            jar = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["expires"] and "1970" in morsel["expires"] or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def get(self, path: str, **headers):
        response = await AsyncHTTPClient().fetch(
            self.server.url + path,
            headers={**self.headers, **self._cookie_header(), **headers},
            follow_redirects=False,
            raise_error=False,
        )
        self._keep(response)
        return response

    async def post(self, path: str, form: dict | None = None, **headers):
        if "_xsrf" not in self.cookies:
            await self.get("/console/login")
        body = urlencode({**(form or {}), "_xsrf": self.cookies["_xsrf"]})
        response = await AsyncHTTPClient().fetch(
            self.server.url + path,
            method="POST",
            body=body,
            headers={**self.headers, **self._cookie_header(), **headers},
            follow_redirects=False,
            raise_error=False,
        )
        self._keep(response)
        return response

    async def login(self, username: str, password: str = PASSWORD):
        response = await self.post("/console/login", {"username": username, "password": password})
        assert response.code == 302, (response.code, response.body[:300])
        return response

    async def socket(self):
        request = HTTPRequest(self.server.url.replace("http", "ws") + "/console/ws", headers=self._cookie_header())
        socket = await websocket_connect(request)
        hello = json.loads(await socket.read_message())
        assert hello["type"] == "hello"
        return socket


async def read_until_closed(socket, timeout: float) -> tuple[list[dict], int | None]:
    """Every event until the server closes the socket (or the timeout): (events, close code)."""
    events = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            raw = await asyncio.wait_for(socket.read_message(), max(deadline - loop.time(), 0.01))
        except TimeoutError:
            return events, None
        if raw is None:
            return events, socket.close_code
        events.append(json.loads(raw))
