"""Test helpers: constants shared by fixtures and tests, and a WeChat user bound to the test server."""

from __future__ import annotations

from dataclasses import dataclass

from bot.simulate import WeChatUser

TOKEN = "test-token"
APPID = "wx1234567890abcdef"
# 43 characters, like a real EncodingAESKey.
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class Server:
    http_server: object
    url: str
    app: object


def user(server: Server, openid: str = "o_resident_1", safe: bool = False) -> WeChatUser:
    return WeChatUser(server.url, openid, TOKEN, APPID, AES_KEY, safe=safe)
