"""SMS through one small provider interface, for people WeChat cannot reach.

Mainland SMS must use a template approved by the carrier-facing provider, under a registered
signature (签名), so a provider sends a template id with named parameters, never free text.
Providers that fit (see README, "SMS providers"): Alibaba Cloud SMS (dysmsapi SendSms: SignName,
TemplateCode, TemplateParam JSON), Tencent Cloud SMS (SendSms: SmsSdkAppId, SignName, TemplateId,
TemplateParamSet), Huawei Cloud MSGSMS, and a government SMS platform (政务短信平台) behind an HTTP
gateway. To plug one in, write a class with `name` and `async send(phone, template_id, params)` that
raises SMSError(code, transient=...) on failure, and return it from `build_sms` for a new
SMS_PROVIDER value. `HTTPGatewaySMS` speaks a minimal JSON protocol that the dev sandbox and the
tests' fake implement, and that a thin adapter in front of any of the above can implement.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import requests

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 5
TRANSIENT_CODES = {"-1", "isv.BUSINESS_LIMIT_CONTROL", "LimitExceeded", "InternalError"}


class SMSError(Exception):
    """An SMS could not be sent; `transient` errors are worth retrying later."""

    def __init__(self, code: str | int | None, message: str, transient: bool = False):
        super().__init__(f"SMS error {code}: {message}")
        self.errcode = code
        self.errmsg = message
        self.transient = transient


class SMSProvider(Protocol):
    name: str

    async def send(self, phone: str, template_id: str, params: dict) -> None: ...


class HTTPGatewaySMS:
    """POST {"phone", "template", "params", "sign"} as JSON; the gateway answers {"errcode": 0} when sent."""

    name = "http"

    def __init__(self, url: str, sign: str, executor: ThreadPoolExecutor | None = None):
        self.url = url
        self.sign = sign
        self.executor = executor or ThreadPoolExecutor(max_workers=4, thread_name_prefix="sms")
        self.session = requests.Session()

    def _post(self, body: dict) -> dict:
        response = self.session.post(self.url, data=json.dumps(body, ensure_ascii=False).encode(), timeout=HTTP_TIMEOUT)
        if response.status_code >= 500:
            raise SMSError(response.status_code, "gateway error", transient=True)
        if response.status_code >= 400:
            raise SMSError(response.status_code, "gateway refused the request")
        return response.json()

    async def send(self, phone: str, template_id: str, params: dict) -> None:
        body = {"phone": phone, "template": template_id, "params": params, "sign": self.sign}
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(self.executor, self._post, body)
        except (requests.RequestException, ValueError) as exc:
            raise SMSError(None, f"cannot reach the SMS gateway: {type(exc).__name__}", transient=True) from None
        code = result.get("errcode", 0)
        if code not in (0, "0", "OK"):
            raise SMSError(code, str(result.get("errmsg", "")), transient=str(code) in TRANSIENT_CODES)

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def build_sms(config) -> SMSProvider | None:
    """The provider SMS_PROVIDER names: none, sandbox (the fake gateway next to the WeChat API) or http."""
    if config.sms_provider == "sandbox":
        return HTTPGatewaySMS(config.api_base + "sms/send", config.sms_sign)
    if config.sms_provider == "http":
        return HTTPGatewaySMS(config.sms_url, config.sms_sign)
    return None
