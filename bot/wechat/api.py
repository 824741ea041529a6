"""Outbound WeChat API: access tokens shared through MongoDB; customer-service, template and subscribe messages.

wechatpy's client is synchronous (requests), so every call runs in a thread pool, never on the
event loop. The access token lives in the `tokens` collection so all server processes share one:
a short lease in the same document lets exactly one process fetch a new token while the others wait
for it (no stampede on WeChat's token endpoint, which is rate limited).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

log = logging.getLogger(__name__)

# WeChat says the token is invalid or expired: fetch a new one and retry once.
TOKEN_ERRORS = {40001, 40014, 42001}
REFRESH_MARGIN = 300  # seconds before expiry a token is renewed
LEASE_SECONDS = 10
HTTP_TIMEOUT = 5


class WeChatAPIError(Exception):
    """A WeChat API call failed; carries WeChat's errcode when there is one."""

    def __init__(self, errcode: int | None, errmsg: str):
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class OfficialAccountClient(WeChatClient):
    """wechatpy's client pointed at a configurable API base (tests use a local fake)."""

    def __init__(self, appid: str, secret: str, api_base: str, access_token: str | None = None):
        super().__init__(appid, secret, access_token=access_token, timeout=HTTP_TIMEOUT, auto_retry=False)
        self.API_BASE_URL = api_base + "cgi-bin/"
        self._api_root = api_base
        self.wxa.API_BASE_URL = api_base  # wechatpy's mini-program group hard-codes WeChat's host too

    def fetch_access_token(self) -> dict:
        # wechatpy hard-codes api.weixin.qq.com here; use the configured base instead.
        return self._fetch_access_token(
            url=self.API_BASE_URL + "token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


class AccessTokenStore:
    """The Official Account's access token, cached in MongoDB and shared by every process."""

    def __init__(self, collection, appid: str, fetch, clock=time.time):
        self.collection = collection
        self.appid = appid
        self._fetch = fetch  # async () -> {"access_token": ..., "expires_in": ...}
        self._clock = clock
        self._lock = asyncio.Lock()  # one fetch per process; the lease covers other processes

    async def get(self, *, invalid: str | None = None) -> str:
        """A valid token. `invalid` is a token WeChat just rejected: it is not returned again."""
        doc = await self.collection.find_one({"_id": self.appid})
        if self._usable(doc, invalid):
            return doc["access_token"]
        async with self._lock:
            deadline = self._clock() + LEASE_SECONDS + 2
            while True:
                doc = await self.collection.find_one({"_id": self.appid})
                if self._usable(doc, invalid):
                    return doc["access_token"]
                if await self._take_lease():
                    return await self._refresh()
                if self._clock() > deadline:
                    raise WeChatAPIError(None, "timed out waiting for another process to fetch the access token")
                await asyncio.sleep(0.1)

    def _usable(self, doc: dict | None, invalid: str | None) -> bool:
        return bool(
            doc
            and doc.get("access_token")
            and doc["access_token"] != invalid
            and doc.get("expires_at", 0) - REFRESH_MARGIN > self._clock()
        )

    async def _take_lease(self) -> bool:
        now = self._clock()
        try:
            doc = await self.collection.find_one_and_update(
                {"_id": self.appid, "$or": [{"lease_until": {"$lt": now}}, {"lease_until": {"$exists": False}}]},
                {"$set": {"lease_until": now + LEASE_SECONDS}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False  # the document exists and another process holds the lease
        return doc is not None

    async def _refresh(self) -> str:
        try:
            result = await self._fetch()
        except BaseException:
            await self.collection.update_one({"_id": self.appid}, {"$unset": {"lease_until": ""}})
            raise
        token = result["access_token"]
        expires_at = self._clock() + int(result.get("expires_in", 7200))
        await self.collection.update_one(
            {"_id": self.appid},
            {"$set": {"access_token": token, "expires_at": expires_at}, "$unset": {"lease_until": ""}},
        )
        log.info("fetched a new access token for %s, valid for %ss", self.appid, int(expires_at - self._clock()))
        return token


class WeChatAPI:
    """Async facade over wechatpy for the calls the bot makes (Official Account and mini-program)."""

    def __init__(self, settings, store, executor: ThreadPoolExecutor | None = None):
        self.settings = settings
        self.api_base = settings.api_base
        self.executor = executor or ThreadPoolExecutor(max_workers=8, thread_name_prefix="wechat-api")
        # One token store and client cache per app: the Official Account ("oa") and the mini-program ("wxa").
        self._apps = {
            "oa": (settings.wechat_appid, settings.wechat_secret),
            "wxa": (settings.wxa_appid, settings.wxa_secret),
        }
        self._current: dict[str, tuple[str, OfficialAccountClient]] = {}
        self._tokens: dict[str, AccessTokenStore] = {}
        for app, (appid, secret) in self._apps.items():
            fetcher = OfficialAccountClient(appid, secret, self.api_base)
            self._tokens[app] = AccessTokenStore(store.tokens, appid, partial(self._run, fetcher.fetch_access_token))
        self.tokens = self._tokens["oa"]

    async def _run(self, fn, *args, **kwargs):
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.executor, partial(fn, *args, **kwargs))
        except WeChatClientException as exc:
            raise WeChatAPIError(exc.errcode, str(exc.errmsg)) from None
        except OSError as exc:  # requests' connection errors derive from OSError
            raise WeChatAPIError(None, f"cannot reach WeChat API: {type(exc).__name__}") from None

    def _client(self, token: str, app: str = "oa") -> OfficialAccountClient:
        # A new client per token value, so a refresh never changes the token under a call in flight.
        current = self._current.get(app)
        if current is None or current[0] != token:
            appid, secret = self._apps[app]
            current = (token, OfficialAccountClient(appid, secret, self.api_base, access_token=token))
            self._current[app] = current
        return current[1]

    async def _call(self, method: str, *args, app: str = "oa", **kwargs):
        """Call `client.<group>.<name>(*args)` with a shared token, renewing it once if WeChat rejects it."""
        tokens = self._tokens[app]
        token = await tokens.get()
        try:
            return await self._run(self._bound(token, app, method), *args, **kwargs)
        except WeChatAPIError as exc:
            if exc.errcode not in TOKEN_ERRORS:
                raise
            log.warning("%s access token rejected by WeChat (errcode %s); renewing", app, exc.errcode)
            token = await tokens.get(invalid=token)
            return await self._run(self._bound(token, app, method), *args, **kwargs)

    def _bound(self, token: str, app: str, method: str):
        target = self._client(token, app)
        for part in method.split("."):
            target = getattr(target, part)
        return target

    async def send_text(self, openid: str, content: str) -> None:
        """Customer-service text message (客服消息), allowed within 48 h of the user's last message."""
        await self._call("message.send_text", openid, content)

    async def send_template(self, openid: str, template_id: str, data: dict, url: str | None = None) -> dict:
        """Official Account template message (cgi-bin/message/template/send); `data` is {keyword: {"value": ...}}."""
        return await self._call("message.send_template", openid, template_id, data, url=url)

    async def send_subscribe(self, openid: str, template_id: str, data: dict, page: str | None = None) -> dict:
        """Official Account subscribe notification (订阅通知, cgi-bin/message/subscribe/bizsend)."""
        return await self._call("message.send_subscribe_message", openid, template_id, data, page=page)

    async def send_wxa_subscribe(
        self, openid: str, template_id: str, data: dict, page: str | None = None, state: str = "formal"
    ) -> dict:
        """Mini-program subscribe message (subscribeMessage.send), with the mini-program's own access token.
        wechatpy's helper has no `miniprogram_state`, so the body is posted directly (to WECHAT_API_BASE)."""
        body = {"touser": openid, "template_id": template_id, "data": data, "miniprogram_state": state, "lang": "zh_CN"}
        if page:
            body["page"] = page
        url = self.api_base + "cgi-bin/message/subscribe/send"
        return await self._call("post", url, app="wxa", data=body)

    async def download_media(self, media_id: str, max_bytes: int) -> tuple[bytes, str]:
        """A temporary media file a user sent (cgi-bin/media/get; ids expire after 3 days): (bytes, content type).
        Raises WeChatAPIError (40007: the id is unknown or expired; None: too large or no file came back)."""

        # Read whole in the worker thread (not streamed); wechatpy returns the response when it is not JSON.
        response = await self._call("media.download", media_id)
        if isinstance(response, dict):  # a video's media/get answers {"video_url": ...}: no file to keep
            raise WeChatAPIError(None, "media/get returned no file")
        data = response.content
        if len(data) > max_bytes:
            raise WeChatAPIError(None, f"media of {len(data)} bytes is over the limit")
        return data, response.headers.get("Content-Type", "")

    async def create_qrcode(self, scene: str) -> dict:
        """A permanent QR code with a string scene (cgi-bin/qrcode/create, QR_LIMIT_STR_SCENE): {"ticket", "url"}."""
        body = {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}
        return await self._call("qrcode.create", body)

    # ---- mini-program ----

    async def code_to_session(self, code: str) -> dict:
        """jscode2session: a wx.login() code -> {"openid", "session_key", "unionid"?}. 40029 used/invalid code,
        45011 too frequent, 40226 a blocked user."""
        return await self._call("wxa.code_to_session", code, app="wxa")

    async def user_phone(self, code: str) -> str:
        """wxa/business/getuserphonenumber: the phone a getPhoneNumber button's one-time code stands for
        (wechatpy 1.8 has no method for it, so the endpoint is posted through its client)."""
        url = self.api_base + "wxa/business/getuserphonenumber"
        result = await self._call("post", url, app="wxa", data={"code": code})
        info = result.get("phone_info") or {}
        return str(info.get("purePhoneNumber") or info.get("phoneNumber") or "")

    async def msg_sec_check(self, openid: str, content: str, scene: int) -> dict:
        """msgSecCheck version 2: {"suggest": "pass"|"review"|"risky", "label": ...} for text a user typed."""
        url = self.api_base + "wxa/msg_sec_check"
        body = {"version": 2, "openid": openid, "scene": scene, "content": content}
        result = await self._call("post", url, app="wxa", data=body)
        return result.get("result") or {}

    async def unionid_of(self, openid: str) -> str | None:
        """An Official Account follower's unionid (cgi-bin/user/info), when the account has an open platform."""
        info = await self._call("user.get", openid)
        return info.get("unionid") or None

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
