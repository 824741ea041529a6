"""A stand-in for WeChat's API on 127.0.0.1 (access token; customer-service, template and subscribe messages;
the mini-program's jscode2session, phone number and content check; user info for the unionid), with a fake
SMS gateway next to it.

The tests run it as their fake WeChat API server; a dev server with placeholder credentials mounts it
at /dev/wechat-api/ so outbound messages have somewhere to go, and `python -m bot.simulate` reads
them back from its outbox. It is never mounted in production.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field

from tornado import web


@dataclass
class SandboxState:
    """What the fake platform knows and what it received; tests inspect and steer it."""

    appid_secrets: dict[str, str] = field(default_factory=dict)  # empty: any credentials accepted
    token_ttl: int = 7200
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry
    token_requests: int = 0
    reject_next: list[int] = field(default_factory=list)  # errcodes to answer the next customer-service sends with
    # Per channel ("custom", "template", "subscribe", "wxa_subscribe", "sms"): errcodes for the next calls,
    # and an errcode every call answers (a user who refused, a template that does not exist...).
    reject: dict[str, list[int]] = field(default_factory=dict)
    refuse: dict[str, int] = field(default_factory=dict)
    # Customer-service messages to these openids are refused with this errcode (45015: the 48-hour window
    # is closed), so anyone can try the closed window: `python -m bot.admin sandbox-refuse OPENID`.
    refuse_openids: dict[str, int] = field(default_factory=dict)
    outbox: list[dict] = field(default_factory=list)  # every delivered message, with "channel"
    calls: dict[str, int] = field(default_factory=dict)  # requests per channel, accepted or not
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    # Mini-program: login codes -> {"openid", "unionid"?}. Each code works once, like WeChat's (40163 the second
    # time), except `dev:<name>`, which always logs in the same user (see dev_login); an unknown code logs in a
    # new user derived from it, so the dev server and schemathesis can log in.
    wxa_codes: dict[str, dict] = field(default_factory=dict)
    used_codes: set = field(default_factory=set)
    phone_codes: dict[str, str] = field(default_factory=dict)  # getPhoneNumber code -> phone number
    used_phone_codes: set = field(default_factory=set)
    unionids: dict[str, str] = field(default_factory=dict)  # Official Account openid -> unionid
    risky_words: tuple[str, ...] = ("违禁词",)  # msgSecCheck answers "risky" for text containing one
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # media_id -> (bytes, content type) for media/get
    qrcodes: dict[str, str] = field(default_factory=dict)  # ticket -> scene of every permanent QR code created
    review_words: tuple[str, ...] = ("待审词",)  # ... and "review" for text containing one of these
    checked: list[str] = field(default_factory=list)  # every text sent to msgSecCheck

    def valid(self, token: str | None) -> bool:
        return bool(token) and self.tokens.get(token, 0) > time.time()

    def expire_all_tokens(self) -> None:
        self.tokens.clear()

    def messages_to(self, openid: str, channel: str | None = "custom") -> list[dict]:
        """Messages delivered to `openid` (a phone number for SMS) on `channel`; None: every channel."""
        return [m for m in self.outbox if m.get("touser") == openid and (channel is None or m["channel"] == channel)]

    def texts_to(self, openid: str) -> list[str]:
        """What `openid` (or a phone number) would read, whatever the channel, oldest first."""
        return [readable(m) for m in self.messages_to(openid, None)]

    def rejection(self, channel: str) -> int | None:
        self.calls[channel] = self.calls.get(channel, 0) + 1
        if channel == "custom" and self.reject_next:
            return self.reject_next.pop(0)
        if self.reject.get(channel):
            return self.reject[channel].pop(0)
        return self.refuse.get(channel)

    def deliver(self, channel: str, body: dict) -> None:
        body["channel"] = channel
        body["received_at"] = time.time()
        self.outbox.append(body)
        self.changed.set()
        self.changed = asyncio.Event()


def readable(message: dict) -> str:
    """One delivered message as text: the content, or the template's values one per line."""
    if message["channel"] == "custom":
        return message.get("text", {}).get("content", "")
    if message["channel"] == "sms":
        return " ".join(f"{k}={v}" for k, v in message.get("params", {}).items())
    return "\n".join(str(v.get("value", "")) for v in message.get("data", {}).values())


# Keyword types of template and subscribe messages and their length limits (WeChat's documented rules).
FIELD_LIMITS = {"thing": 20, "character_string": 32, "phrase": 5, "number": 32, "letter": 32, "symbol": 5, "name": 10}
TIME_VALUE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2})?\s*(\d{1,2}:\d{2})?$")


def data_problem(data) -> str | None:
    """Why WeChat would refuse these template fields (47003 argument invalid), or None."""
    if not isinstance(data, dict) or not data:
        return "data is empty"
    for key, item in data.items():
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value.strip():
            return f"data.{key}.value is empty"
        kind = key.rstrip("0123456789")
        if kind in FIELD_LIMITS and len(value) > FIELD_LIMITS[kind]:
            return f"data.{key}.value exceeds {FIELD_LIMITS[kind]} characters"
        if kind in ("time", "date") and not TIME_VALUE.match(value):
            return f"data.{key}.value is not a time"
    return None


class SandboxHandler(web.RequestHandler):
    def initialize(self, state: SandboxState) -> None:
        self.state = state

    def reply(self, data: dict) -> None:
        self.set_header("Content-Type", "application/json; charset=UTF-8")
        self.finish(json.dumps(data, ensure_ascii=False))


class TokenHandler(SandboxHandler):
    async def get(self) -> None:
        appid, secret = self.get_argument("appid", ""), self.get_argument("secret", "")
        self.state.token_requests += 1
        await asyncio.sleep(0.05)  # a real round trip: concurrent callers would overlap here
        if self.state.appid_secrets and self.state.appid_secrets.get(appid) != secret:
            self.reply({"errcode": 40125, "errmsg": "invalid appsecret"})
            return
        token = "sandbox-" + secrets.token_hex(8)
        self.state.tokens[token] = time.time() + self.state.token_ttl
        self.reply({"access_token": token, "expires_in": self.state.token_ttl})


class SendHandler(SandboxHandler):
    """POST a message on one channel: refused as told, checked like WeChat checks it, else delivered.
    The "sms" channel is the fake SMS gateway: {"phone", "template", "params", "sign"}, no access token."""

    channel = "custom"

    def initialize(self, state: SandboxState, channel: str = "custom") -> None:
        super().initialize(state)
        self.channel = channel

    def post(self) -> None:
        token = self.get_argument("access_token", "")
        code = self.state.rejection(self.channel)
        if code:
            self.reply({"errcode": code, "errmsg": "rejected by sandbox"})
            return
        if self.channel != "sms" and not self.state.valid(token):
            self.reply({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"})
            return
        try:
            body = json.loads(self.request.body)
        except ValueError:
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        refused = self.state.refuse_openids.get(body.get("touser", "")) if self.channel == "custom" else None
        if refused:
            self.reply({"errcode": refused, "errmsg": "rejected by sandbox for this user"})
            return
        problem = self.check(body)
        if problem:
            self.reply({"errcode": 47003, "errmsg": f"argument invalid! {problem}"})
            return
        if self.channel == "sms":
            body["touser"] = body["phone"]  # the fake outbox is keyed by recipient
        self.state.deliver(self.channel, body)
        self.reply({"errcode": 0, "errmsg": "ok", "msgid": len(self.state.outbox)})

    def check(self, body: dict) -> str | None:
        if self.channel == "custom":
            return None if body.get("touser") else "touser is empty"
        if self.channel == "sms":
            return None if re.fullmatch(r"1\d{10}", str(body.get("phone", ""))) and body.get("template") else "bad sms"
        if not body.get("touser") or not body.get("template_id"):
            return "touser or template_id is empty"
        if self.channel == "wxa_subscribe" and body.get("miniprogram_state") not in ("developer", "trial", "formal"):
            return "miniprogram_state is invalid"
        return data_problem(body.get("data"))


# Codes a front-end developer types in the sandbox instead of wx.login() / getPhoneNumber codes.
DEV_LOGIN = re.compile(r"^dev:(.{1,60})$")
DEV_PHONE = re.compile(r"^dev-phone:(1\d{10})$")


def dev_openid(name: str) -> str:
    """The sandbox user of the login code `dev:<name>`: the same openid at every login."""
    return "o_dev_" + hashlib.sha256(name.encode()).hexdigest()[:16]


class CodeToSessionHandler(SandboxHandler):
    """GET sns/jscode2session: a login code becomes openid (+ unionid) and a session_key, once
    (40163 the second time); `dev:<name>` works every time and is always the same user."""

    def get(self) -> None:
        code = self.get_argument("js_code", "")
        self.state.calls["jscode2session"] = self.state.calls.get("jscode2session", 0) + 1
        rejected = self.state.rejection("jscode2session")
        if rejected:
            self.reply({"errcode": rejected, "errmsg": "rejected by sandbox"})
            return
        dev = DEV_LOGIN.match(code)
        if not code:
            self.reply({"errcode": 40029, "errmsg": "invalid code"})
            return
        if code in self.state.used_codes and not dev:
            self.reply({"errcode": 40163, "errmsg": "code been used"})
            return
        self.state.used_codes.add(code)
        user = self.state.wxa_codes.get(code)
        if user is None:
            user = {"openid": dev_openid(dev.group(1)) if dev else "o_wxa_" + hashlib.sha256(code.encode()).hexdigest()[:16]}
        self.reply({**user, "session_key": secrets.token_urlsafe(16)})


class PhoneNumberHandler(SandboxHandler):
    """POST wxa/business/getuserphonenumber {"code"}: the phone the user agreed to share, once per code
    (40163 the second time); `dev-phone:<11 digits>` is that number, every time."""

    def post(self) -> None:
        if not self.state.valid(self.get_argument("access_token", "")):
            self.reply({"errcode": 40001, "errmsg": "invalid credential"})
            return
        try:
            code = str(json.loads(self.request.body or b"{}").get("code", ""))
        except (ValueError, AttributeError):
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        dev = DEV_PHONE.match(code)
        phone = dev.group(1) if dev else self.state.phone_codes.pop(code, None)
        if phone is None:
            used = code in self.state.used_phone_codes
            self.reply({"errcode": 40163, "errmsg": "code been used"} if used else {"errcode": 40029, "errmsg": "invalid code"})
            return
        self.state.used_phone_codes.add(code)
        info = {"phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86"}
        self.reply({"errcode": 0, "errmsg": "ok", "phone_info": info})


class MsgSecCheckHandler(SandboxHandler):
    """POST wxa/msg_sec_check (version 2): "risky" when the text holds one of the sandbox's risky words."""

    def post(self) -> None:
        if not self.state.valid(self.get_argument("access_token", "")):
            self.reply({"errcode": 40001, "errmsg": "invalid credential"})
            return
        body = json.loads(self.request.body or b"{}")
        if body.get("version") != 2 or not body.get("openid"):
            self.reply({"errcode": 47001, "errmsg": "data format error"})
            return
        self.state.calls["msg_sec_check"] = self.state.calls.get("msg_sec_check", 0) + 1
        content = str(body.get("content", ""))
        self.state.checked.append(content)
        if "msg_sec_check" in self.state.refuse:  # the check itself failing (system busy, quota used up)
            self.reply({"errcode": self.state.refuse["msg_sec_check"], "errmsg": "system error"})
            return
        if any(word in content for word in self.state.risky_words):
            result = {"suggest": "risky", "label": 20006}
        elif any(word in content for word in self.state.review_words):
            result = {"suggest": "review", "label": 20002}
        else:
            result = {"suggest": "pass", "label": 100}
        self.reply({"errcode": 0, "errmsg": "ok", "result": result, "detail": []})


class UserInfoHandler(SandboxHandler):
    """GET cgi-bin/user/info?openid=: a follower's unionid, when the account is bound to an open platform."""

    def get(self) -> None:
        if not self.state.valid(self.get_argument("access_token", "")):
            self.reply({"errcode": 40001, "errmsg": "invalid credential"})
            return
        openid = self.get_argument("openid", "")
        info = {"subscribe": 1, "openid": openid}
        if openid in self.state.unionids:
            info["unionid"] = self.state.unionids[openid]
        self.reply(info)


class MediaGetHandler(SandboxHandler):
    """GET cgi-bin/media/get?media_id=: a file a user sent (put in `state.media` by the test), else 40007."""

    def get(self) -> None:
        if not self.state.valid(self.get_argument("access_token", "")):
            self.reply({"errcode": 40001, "errmsg": "invalid credential"})
            return
        self.state.calls["media_get"] = self.state.calls.get("media_get", 0) + 1
        found = self.state.media.get(self.get_argument("media_id", ""))
        if found is None:
            self.reply({"errcode": 40007, "errmsg": "invalid media_id"})
            return
        data, content_type = found
        self.set_header("Content-Type", content_type)
        self.set_header("Content-disposition", 'attachment; filename="media"')
        self.finish(data)


class QrcodeCreateHandler(SandboxHandler):
    """POST cgi-bin/qrcode/create: a permanent string-scene code's ticket and the URL it encodes."""

    def post(self) -> None:
        if not self.state.valid(self.get_argument("access_token", "")):
            self.reply({"errcode": 40001, "errmsg": "invalid credential"})
            return
        body = json.loads(self.request.body or b"{}")
        scene = ((body.get("action_info") or {}).get("scene") or {}).get("scene_str")
        if body.get("action_name") != "QR_LIMIT_STR_SCENE" or not isinstance(scene, str) or not 1 <= len(scene) <= 64:
            self.reply({"errcode": 40053, "errmsg": "invalid action info"})
            return
        ticket = "gQ" + hashlib.sha256(scene.encode()).hexdigest()[:30]
        self.state.qrcodes[ticket] = scene
        self.reply({"ticket": ticket, "url": f"http://weixin.qq.com/q/{ticket[:22]}"})


class OutboxHandler(SandboxHandler):
    """GET ?openid=&after=N : messages to that user from index N on, waiting up to `wait` seconds for one."""

    async def get(self) -> None:
        openid = self.get_argument("openid")
        try:
            after = int(self.get_argument("after", "0"))
            wait = float(self.get_argument("wait", "0"))
        except ValueError:
            raise web.HTTPError(400, reason="after and wait must be numbers") from None
        if not (after >= 0 and 0 <= wait <= 25):  # NaN fails every comparison
            raise web.HTTPError(400, reason="after must be >= 0 and wait between 0 and 25 seconds")
        deadline = time.time() + wait
        while True:
            fresh = [(i, m) for i, m in enumerate(self.state.outbox) if i >= after and m.get("touser") == openid]
            remaining = deadline - time.time()
            if fresh or remaining <= 0:
                break
            try:
                await asyncio.wait_for(self.state.changed.wait(), remaining)
            except TimeoutError:
                pass
        self.reply({"next": len(self.state.outbox), "messages": [m for _i, m in fresh]})


class RefuseHandler(SandboxHandler):
    """POST {"openid", "errcode"?: 45015, "off"?: false}: customer-service messages to that openid are refused
    (or accepted again). GET lists the openids refused now."""

    def get(self) -> None:
        self.reply({"refused": self.state.refuse_openids})

    def post(self) -> None:
        try:
            body = json.loads(self.request.body)
            openid = str(body["openid"]).strip()
            errcode = int(body.get("errcode") or 45015)
        except (ValueError, KeyError, TypeError):
            self.set_status(400)
            self.reply({"errcode": 47001, "errmsg": 'expected {"openid": ..., "errcode": 45015, "off": false}'})
            return
        if not openid:
            self.set_status(400)
            self.reply({"errcode": 40003, "errmsg": "openid is empty"})
            return
        if body.get("off"):
            self.state.refuse_openids.pop(openid, None)
        else:
            self.state.refuse_openids[openid] = errcode
        self.reply({"errcode": 0, "errmsg": "ok", "refused": self.state.refuse_openids})


def sandbox_handlers(prefix: str, state: SandboxState) -> list:
    kw = {"state": state}
    return [
        (prefix + r"cgi-bin/token", TokenHandler, kw),
        (prefix + r"cgi-bin/message/custom/send", SendHandler, {**kw, "channel": "custom"}),
        (prefix + r"cgi-bin/message/template/send", SendHandler, {**kw, "channel": "template"}),
        (prefix + r"cgi-bin/message/subscribe/bizsend", SendHandler, {**kw, "channel": "subscribe"}),
        (prefix + r"cgi-bin/message/subscribe/send", SendHandler, {**kw, "channel": "wxa_subscribe"}),
        (prefix + r"sms/send", SendHandler, {**kw, "channel": "sms"}),
        (prefix + r"sns/jscode2session", CodeToSessionHandler, kw),
        (prefix + r"wxa/business/getuserphonenumber", PhoneNumberHandler, kw),
        (prefix + r"wxa/msg_sec_check", MsgSecCheckHandler, kw),
        (prefix + r"cgi-bin/user/info", UserInfoHandler, kw),
        (prefix + r"cgi-bin/media/get", MediaGetHandler, kw),
        (prefix + r"cgi-bin/qrcode/create", QrcodeCreateHandler, kw),
        (prefix + r"outbox", OutboxHandler, kw),
        (prefix + r"sandbox/refuse", RefuseHandler, kw),
    ]


def make_sandbox_app(state: SandboxState | None = None) -> web.Application:
    state = state or SandboxState()
    app = web.Application(sandbox_handlers("/", state))
    app.sandbox = state
    return app
