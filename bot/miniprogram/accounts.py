"""Mini-program accounts: login through jscode2session, signed access tokens, rotating refresh tokens,
revocation, the verified phone, and who the user is in the booking domain (an Actor).

Tokens: `v1.<payload>.<signature>`, the payload {"sid", "sub", "exp"} in URL-safe base64 and an HMAC-SHA256
keyed from BOT_SECRET. A valid signature is not enough: the session (`api_sessions`, one _id lookup) must
still be open, so logout and reuse of a refresh token revoke at once. The refresh token is the session id
and a secret; only its hash is stored, and each refresh replaces it. Presenting an old one again means it
was copied: the whole session is revoked.

Linking: WeChat gives a `unionid` when the mini-program and the Official Account share an open platform.
Then the mini-program user is the Official Account user with that unionid (learned from cgi-bin/user/info
when they follow): same bookings, same role. Without one, a verified phone links them to the bookings whose
contact phone it is.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument

from bot.bookings.service import Actor
from bot.privacy import FieldCipher, mask_phone, mask_text, parse_mobile
from bot.wechat.api import WeChatAPIError

log = logging.getLogger(__name__)

TOKEN_VERSION = "v1"
# How long the refresh token just replaced still gets the same new pair (concurrent refreshes of one page).
REFRESH_GRACE = timedelta(seconds=30)


class AccountError(Exception):
    """`code` is stable for the mini-program to act on; `message` is for the resident (Chinese)."""

    def __init__(self, status: int, code: str, message: str, retry_after: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


# WeChat's errcodes of jscode2session and getuserphonenumber, as the mini-program should see them.
WECHAT_ERRORS = {
    40029: (400, "code_invalid", "登录凭证已失效，请重新打开小程序。"),
    40163: (400, "code_invalid", "登录凭证已用过，请重新打开小程序。"),
    45011: (429, "wechat_rate_limited", "登录太频繁，请稍等一分钟再试。"),
    40226: (403, "user_blocked", "您的微信账号暂时无法使用本服务，请拨打96128咨询。"),
}
WECHAT_DOWN = (503, "wechat_unavailable", "微信服务暂时连不上，请稍后再试。")


# The same errcodes from getuserphonenumber: the resident pressed the phone button, not opened the app.
PHONE_ERRORS = {
    40029: (400, "code_invalid", "手机号授权已失效，请重新点一下“授权手机号”。"),
    40163: (400, "code_invalid", "手机号授权已用过，请重新点一下“授权手机号”。"),
    45011: (429, "wechat_rate_limited", "操作太频繁，请稍等一分钟再试。"),
}


def account_error(exc: WeChatAPIError, errors: dict = WECHAT_ERRORS) -> AccountError:
    status, code, message = errors.get(exc.errcode) or WECHAT_ERRORS.get(exc.errcode, WECHAT_DOWN)
    return AccountError(status, code, message, retry_after=60 if status == 429 else None)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@dataclass
class Identity:
    """The user behind a valid access token."""

    openid: str  # the mini-program openid
    session_id: str
    actor: Actor
    link: str  # "unionid" | "phone" | "none"


class MiniProgramAccounts:
    def __init__(
        self,
        store,
        wechat_api,
        secret: str,
        cipher: FieldCipher,
        access_minutes: int = 30,
        refresh_days: int = 30,
        clock=lambda: datetime.now(UTC),
    ):
        self.users = store.wxa_users
        self.sessions = store.api_sessions
        self.oa_users = store.users
        self.wechat_api = wechat_api
        self.cipher = cipher
        self._key = hmac.new(secret.encode(), b"mini-program access tokens", hashlib.sha256).digest()
        self.access_ttl = timedelta(minutes=access_minutes)
        self.refresh_ttl = timedelta(days=refresh_days)
        self.clock = clock

    # ---- login, refresh, logout ----

    async def login(self, code: str) -> dict:
        try:
            session = await self.wechat_api.code_to_session(code)
        except WeChatAPIError as exc:
            log.info("mini-program login refused by WeChat (errcode %s)", exc.errcode)
            raise account_error(exc) from None
        openid, unionid = session["openid"], session.get("unionid")
        now = self.clock()
        linked = await self.oa_users.find_one({"unionid": unionid}, {"openid": 1}) if unionid else None
        fields = {
            "unionid": unionid,
            # session_key decrypts wx.getUserInfo-style payloads; it stays here, encrypted, never sent or logged.
            "session_key_enc": self.cipher.encrypt(session.get("session_key", ""), "wxa.session_key"),
            "last_login_at": now,
        }
        if linked:
            fields["oa_openid"] = linked["openid"]
        await self.users.update_one({"_id": openid}, {"$set": fields, "$setOnInsert": {"created_at": now}}, upsert=True)
        return await self._open_session(openid)

    async def _open_session(self, openid: str) -> dict:
        now = self.clock()
        sid, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
        await self.sessions.insert_one(
            {
                "_id": sid,
                "openid": openid,
                "refresh_hash": self._hash(secret),
                "old_hashes": [],
                "created_at": now,
                "expires_at": now + self.refresh_ttl,
                "revoked": None,
                "gen": 0,
            }
        )
        return self._tokens(sid, openid, secret, 0)

    def _tokens(self, sid: str, openid: str, secret: str, gen: int, exp: int | None = None) -> dict:
        """`gen` counts the session's refreshes: an access token is good only for the generation it was
        issued in, so a refresh revokes the access token it replaces at once."""
        now = int(self.clock().timestamp())
        exp = exp or now + int(self.access_ttl.total_seconds())
        claims = {"sid": sid, "sub": openid, "exp": exp, "gen": gen}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = _b64(hmac.new(self._key, f"{TOKEN_VERSION}.{payload}".encode(), hashlib.sha256).digest())
        return {
            "access_token": f"{TOKEN_VERSION}.{payload}.{signature}",
            "token_type": "Bearer",
            "expires_in": max(0, exp - now),
            "refresh_token": f"{sid}.{secret}",
            "refresh_expires_in": int(self.refresh_ttl.total_seconds()),
        }

    def _hash(self, secret: str) -> str:
        return hmac.new(self._key, secret.encode(), hashlib.sha256).hexdigest()

    async def refresh(self, refresh_token: str) -> dict:
        """New tokens for a refresh token. Within REFRESH_GRACE of a rotation the token it replaced gets the
        same new pair (a page whose requests expired together refreshes several times at once); after that,
        an old token again means a copy: the session is revoked."""
        sid, _, secret = (refresh_token or "").partition(".")
        invalid = AccountError(401, "refresh_invalid", "登录已过期，请重新登录。")
        if not sid or not secret:
            raise invalid
        now, presented = self.clock(), self._hash(secret)
        new_secret, exp = secrets.token_urlsafe(24), int(now.timestamp()) + int(self.access_ttl.total_seconds())
        # The replaced token's grace is written with the rotation itself: a concurrent refresh that loses the
        # race always finds it.
        grace = {"hash": presented, "until": now + REFRESH_GRACE, "secret_enc": self._seal(new_secret), "exp": exp}
        session = await self.sessions.find_one_and_update(
            {"_id": sid, "refresh_hash": presented, "revoked": None, "expires_at": {"$gt": now}},
            {
                "$push": {"old_hashes": presented},
                "$set": {"refresh_hash": self._hash(new_secret), "refreshed_at": now, "grace": grace},
                "$inc": {"gen": 1},
            },
            return_document=ReturnDocument.AFTER,
        )
        if session is not None:
            return self._tokens(sid, session["openid"], new_secret, session["gen"], exp)
        session = await self.sessions.find_one({"_id": sid, "revoked": None, "expires_at": {"$gt": now}})
        grace = (session or {}).get("grace") or {}
        if grace.get("hash") == presented and _aware(grace["until"]) > now:
            # The rotation that wrote this grace is the latest (a later one would have replaced it): same pair.
            return self._tokens(sid, session["openid"], self._unseal(grace["secret_enc"]), session["gen"], grace["exp"])
        # An old refresh token again, after the grace period: someone holds a copy. End the session for both.
        stolen = await self.sessions.update_one(
            {"_id": sid, "old_hashes": presented, "revoked": None}, {"$set": {"revoked": "refresh_reused", "revoked_at": now}}
        )
        if stolen.modified_count:
            log.warning("mini-program session revoked: a refresh token was used twice")
        raise invalid

    def _seal(self, secret: str) -> str:
        return self.cipher.encrypt(secret, "wxa.refresh_grace")

    def _unseal(self, sealed: str) -> str:
        return self.cipher.decrypt(sealed, "wxa.refresh_grace")

    async def logout(self, identity: Identity) -> None:
        await self.sessions.update_one({"_id": identity.session_id}, {"$set": {"revoked": "logout", "revoked_at": self.clock()}})

    async def revoke_all(self, openid: str, reason: str = "revoked") -> int:
        done = await self.sessions.update_many(
            {"openid": openid, "revoked": None}, {"$set": {"revoked": reason, "revoked_at": self.clock()}}
        )
        return done.modified_count

    # ---- every request ----

    async def authenticate(self, token: str) -> Identity:
        """The user of a Bearer token, or AccountError 401 with token_invalid / token_expired / token_revoked."""
        parts = (token or "").split(".")
        if len(parts) != 3 or parts[0] != TOKEN_VERSION:
            raise AccountError(401, "token_invalid", "请先登录。")
        expected = _b64(hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            raise AccountError(401, "token_invalid", "请先登录。")
        try:
            claims = json.loads(_unb64(parts[1]))
            sid, openid, exp = str(claims["sid"]), str(claims["sub"]), int(claims["exp"])
            gen = int(claims.get("gen", 0))
        except (ValueError, KeyError, TypeError):
            raise AccountError(401, "token_invalid", "请先登录。") from None
        if exp <= self.clock().timestamp():
            raise AccountError(401, "token_expired", "登录已过期，正在重新登录。")
        session = await self.sessions.find_one({"_id": sid}, {"revoked": 1, "openid": 1, "gen": 1})
        if session is None or session.get("revoked") or session["openid"] != openid:
            raise AccountError(401, "token_revoked", "您已退出登录，请重新登录。")
        if gen != session.get("gen", 0):  # replaced by a refresh
            raise AccountError(401, "token_revoked", "登录已更新，请使用新的登录凭证。")
        user = await self.users.find_one({"_id": openid}) or {"_id": openid}
        actor, link = await self._actor(user)
        return Identity(openid, sid, actor, link)

    async def _actor(self, user: dict) -> tuple[Actor, str]:
        oa_openid, phone_hash = user.get("oa_openid"), user.get("phone_hash")
        if oa_openid:
            oa = await self.oa_users.find_one({"openid": oa_openid}, {"role": 1, "station": 1}) or {}
            if oa.get("role") == "proxy":
                return Actor("proxy", oa_openid, oa.get("station"), aliases=(user["_id"],)), "unionid"
            return Actor("resident", oa_openid, aliases=(user["_id"],), phone_hash=phone_hash), "unionid"
        own = await self.oa_users.find_one({"openid": user["_id"]}, {"role": 1, "station": 1}) or {}
        if own.get("role") == "proxy":  # bound with an invitation code in the mini-program itself
            return Actor("proxy", user["_id"], own.get("station")), "none"
        return Actor("resident", user["_id"], phone_hash=phone_hash), "phone" if phone_hash else "none"

    # ---- profile ----

    async def profile(self, identity: Identity) -> dict:
        user = await self.users.find_one({"_id": identity.openid}) or {}
        return {
            "role": identity.actor.kind,
            "station": identity.actor.station,
            "link": identity.link,
            "phone": user.get("phone_masked"),
            "nickname": user.get("nickname"),
            "avatar_url": user.get("avatar_url"),
        }

    async def update_profile(self, identity: Identity, nickname: str | None, avatar_url: str | None) -> dict:
        if nickname is not None:
            nickname = mask_text(nickname.strip())
        changes = {k: v for k, v in (("nickname", nickname), ("avatar_url", avatar_url)) if v is not None}
        if changes:
            await self.users.update_one({"_id": identity.openid}, {"$set": changes})
        return await self.profile(identity)

    async def bind_phone(self, identity: Identity, code: str) -> dict:
        """The getPhoneNumber button's one-time code -> the user's verified phone, stored encrypted."""
        try:
            raw = await self.wechat_api.user_phone(code)
        except WeChatAPIError as exc:
            raise account_error(exc, PHONE_ERRORS) from None
        try:
            phone = parse_mobile(raw)
        except ValueError:
            raise AccountError(400, "phone_unsupported", "暂时只支持中国大陆手机号。") from None
        await self.users.update_one(
            {"_id": identity.openid},
            {
                "$set": {
                    "phone_enc": self.cipher.encrypt(phone, "wxa.phone"),
                    "phone_hash": self.cipher.blind_index(phone),
                    "phone_masked": mask_phone(phone),
                    "phone_verified_at": self.clock(),
                }
            },
        )
        return await self.profile(await self.reload(identity))

    async def reload(self, identity: Identity) -> Identity:
        user = await self.users.find_one({"_id": identity.openid}) or {"_id": identity.openid}
        actor, link = await self._actor(user)
        return Identity(identity.openid, identity.session_id, actor, link)

    # ---- the Official Account side of a unionid link ----

    async def learn_unionid(self, oa_openid: str) -> str | None:
        """Record a follower's unionid (called when they follow), and link a mini-program user who has it."""
        try:
            unionid = await self.wechat_api.unionid_of(oa_openid)
        except WeChatAPIError as exc:
            log.info("unionid of a follower not available (errcode %s)", exc.errcode)
            return None
        if not unionid:
            return None
        await self.oa_users.update_one(
            {"openid": oa_openid}, {"$set": {"unionid": unionid}, "$setOnInsert": {"openid": oa_openid}}, upsert=True
        )
        await self.users.update_many({"unionid": unionid}, {"$set": {"oa_openid": oa_openid}})
        return unionid
