"""/wechat: the Official Account callback (GET URL verification, POST messages in plain, compatible and safe mode)."""

from __future__ import annotations

import re
import struct
import time
from xml.parsers.expat import ExpatError

from tornado import web
from wechatpy import create_reply
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.utils import check_signature

from bot.wechat.events import SUBSCRIBE_LISTS
from bot.wechat.parse import parse_message  # wechatpy's, faster for flat messages
from bot.wechat.prolog import has_dtd
from bot.wechat.replay import digest as replay_digest
from handlers.base import BaseHandler

# WeChat's callbacks are a few hundred bytes; anything near this is not from WeChat.
MAX_CALLBACK_BYTES = 64 * 1024
# What wechatpy's decryption raises on a payload that was not encrypted with our key and appid
# (bad base64, wrong block size, bad padding, wrong length prefix, wrong appid, malformed outer XML).
UNDECRYPTABLE = (ExpatError, KeyError, TypeError, ValueError, IndexError, struct.error, InvalidAppIdException)


# Fields we read or echo, and what a real WeChat callback puts in them. Anything else (nested
# elements, attributes, out-of-range numbers, an openid with XML in it) is not from WeChat: 400.
ACCOUNT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")  # FromUserName/ToUserName are echoed into the reply
TEXT_FIELDS = (
    "Content",
    "Recognition",
    "Label",
    "Event",
    "EventKey",
    "MsgType",
    "Format",
    "MediaId",
    "PicUrl",
    "Url",
    "Title",
    "Description",
    "Status",
    "Ticket",
)
NUMBER_FIELDS = {"CreateTime": 2**32, "MsgId": 2**64, "MsgID": 2**64, "FileTotalLen": 2**63}
# A subscribe-notification event's <List> items: these fields, short text each.
LIST_ITEM_FIELDS = {"TemplateId", "SubscribeStatusString", "PopupScene", "MsgID", "ErrorCode", "ErrorStatus"}
MAX_LIST_TEXT = 128
COORDINATES = {"Location_X": 90.0, "Location_Y": 180.0, "Latitude": 90.0, "Longitude": 180.0}
MAX_TEXT = 4096


def invalid_field(data: dict) -> str | None:
    """Why the parsed callback cannot be from WeChat, or None when every field we use is well formed."""
    for name in ("FromUserName", "ToUserName"):
        value = data.get(name)
        if not isinstance(value, str) or not ACCOUNT_ID.match(value):
            return f"{name} is not an account id"
    for name in TEXT_FIELDS:
        value = data.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > MAX_TEXT):
            return f"{name} is not plain text"
    for name, limit in NUMBER_FIELDS.items():
        value = data.get(name)
        if name == "CreateTime" or value is not None:
            if not isinstance(value, str) or not value.isdigit() or int(value) >= limit:
                return f"{name} is not a number in range"
    for name in SUBSCRIBE_LISTS:
        if name in data and not _good_list(data[name]):
            return f"{name} is not a list of templates"
    for name, limit in COORDINATES.items():
        value = data.get(name)
        if value is not None:
            try:
                number = float(value) if isinstance(value, str) else None
            except ValueError:
                number = None
            if number is None or not -limit <= number <= limit:  # NaN fails both comparisons
                return f"{name} is not a coordinate"
    return None


def _good_list(value) -> bool:
    items = value.get("List") if isinstance(value, dict) and set(value) == {"List"} else None
    items = [items] if isinstance(items, dict) else items
    return (
        isinstance(items, list)
        and 0 < len(items) <= 20
        and all(
            isinstance(item, dict)
            and set(item) <= LIST_ITEM_FIELDS
            and all(isinstance(v, str) and len(v) <= MAX_LIST_TEXT for v in item.values())
            for item in items
        )
    )


def cdata_safe(text: str) -> str:
    """wechatpy puts reply text in CDATA unescaped: split any "]]>" (it may come from what a user typed)
    so it cannot close the section and inject XML into the reply."""
    return text.replace("]]>", "]]]]><![CDATA[>")


class WeChatCallbackHandler(BaseHandler):
    def reject(self, status: int, why: str) -> None:
        # Logged once, by the request log (handlers/log.py), which appends this reason.
        self.rejection = why
        raise web.HTTPError(status, reason={400: "Bad Request", 403: "Forbidden", 413: "Payload Too Large"}[status])

    def write_error(self, status_code: int, **kwargs) -> None:
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(self._reason)

    def _verify_query_signature(self) -> tuple[str, str]:
        """Checks `signature` over token, timestamp, nonce and the timestamp's age; returns (timestamp, nonce)."""
        signature = self.get_query_argument("signature", "")
        timestamp = self.get_query_argument("timestamp", "")
        nonce = self.get_query_argument("nonce", "")
        if not (signature and timestamp and nonce):
            self.reject(403, "missing signature, timestamp or nonce")
        try:
            check_signature(self.config.wechat_token, signature, timestamp, nonce)
        except InvalidSignatureException:
            self.reject(403, "invalid signature")
        self._check_skew(timestamp)
        return timestamp, nonce

    def _check_skew(self, timestamp: str) -> None:
        max_skew = self.config.wechat_max_skew
        if not max_skew:
            return
        try:
            age = abs(time.time() - int(timestamp))
        except ValueError:
            self.reject(403, "timestamp is not a number")
        if age > max_skew:
            self.reject(403, f"stale timestamp ({int(age)}s off, limit {max_skew}s)")

    def get(self) -> None:
        """URL verification: echo `echostr`, decrypting it first when WeChat sent it encrypted."""
        echostr = self.get_query_argument("echostr", "")
        msg_signature = self.get_query_argument("msg_signature", "")
        if msg_signature:
            timestamp = self.get_query_argument("timestamp", "")
            nonce = self.get_query_argument("nonce", "")
            if self.wechat_crypto is None:
                self.reject(400, "encrypted echostr but WECHAT_AES_KEY is not set")
            self._check_skew(timestamp)
            try:
                echostr = self.wechat_crypto.decrypt_message({"Encrypt": echostr}, msg_signature, timestamp, nonce)
            except InvalidSignatureException:
                self.reject(403, "invalid msg_signature")
            except UNDECRYPTABLE:
                self.reject(400, "undecryptable echostr")
        else:
            self._verify_query_signature()
        self.set_header("Content-Type", "text/plain; charset=UTF-8")
        self.finish(echostr)

    async def post(self) -> None:
        timestamp, nonce = self._verify_query_signature()
        body = self.request.body
        if len(body) > MAX_CALLBACK_BYTES:
            self.reject(413, f"body of {len(body)} bytes")
        if has_dtd(body):
            self.reject(400, "XML with a DTD or entity declaration")
        encrypted = self.get_query_argument("encrypt_type", "raw").lower() == "aes"
        xml = self._decrypt(body, timestamp, nonce) if encrypted else body
        if encrypted and has_dtd(xml):  # the decrypted document is parsed too: the same rule
            self.reject(400, "decrypted XML with a DTD or entity declaration")
        try:
            message = parse_message(xml)
        except (ExpatError, KeyError, TypeError, AttributeError, ValueError, UnicodeDecodeError):
            self.reject(400, "malformed message XML")
        if message is None:
            self.reject(400, "message without sender")
        problem = invalid_field(message._data)  # wechatpy keeps the parsed XML as a dict
        if problem:
            self.reject(400, problem)
        if not await self.settings["replay_guard"].first_use(timestamp, nonce, replay_digest(xml)):
            self.reject(403, "signature reused with another message")
        reply_text = await self.inbox.receive(message)
        self.set_header("Content-Type", "application/xml; charset=UTF-8" if reply_text else "text/plain; charset=UTF-8")
        if not reply_text:
            self.finish("success")
            return
        xml_reply = create_reply(cdata_safe(reply_text), message).render()
        if encrypted:
            xml_reply = self.wechat_crypto.encrypt_message(xml_reply, nonce, timestamp)
        self.finish(xml_reply)

    def _decrypt(self, body: bytes, timestamp: str, nonce: str) -> str:
        if self.wechat_crypto is None:
            self.reject(400, "safe-mode message but WECHAT_AES_KEY is not set")
        msg_signature = self.get_query_argument("msg_signature", "")
        if not msg_signature:
            self.reject(403, "safe-mode message without msg_signature")
        try:
            return self.wechat_crypto.decrypt_message(body, msg_signature, timestamp, nonce)
        except InvalidSignatureException:
            self.reject(403, "invalid msg_signature")
        except UNDECRYPTABLE:
            self.reject(400, "undecryptable safe-mode payload")


default_handlers = [(r"/wechat", WeChatCallbackHandler)]
