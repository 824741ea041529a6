"""`python -m bot.simulate`: an interactive WeChat user on the terminal.

Signs and posts real callback XML to a running server (plain or safe mode) and prints the replies,
including the customer-service messages the server sends later (read back from the dev sandbox).
Type a message; `/voice 文字`, `/location 25.03 103.57`, `/subscribe`, `/menu KEY`, `/image`, `/file 名称`,
`/consent` (subscribe-notification popup accepted), `/scan LDX-002-01` (a station's QR code) send other kinds;
`/quit` ends.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import random
import sys
import time

import xmltodict
from tornado.httpclient import AsyncHTTPClient, HTTPClientError
from wechatpy.crypto import WeChatCrypto

_msg_ids = itertools.count(int(time.time() * 1000) % 10**12 * 1000 + random.randint(0, 999))


def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class WeChatUser:
    """Builds, signs and posts callbacks the way WeChat does; used by the CLI and by the tests."""

    def __init__(
        self,
        base_url: str,
        openid: str,
        token: str,
        appid: str = "",
        aes_key: str | None = None,
        account: str = "gh_govbot",
        safe: bool = False,
    ):
        self.base_url = base_url.rstrip("/")
        self.openid = openid
        self.token = token
        self.account = account
        self.safe = safe
        self.crypto = WeChatCrypto(token, aes_key, appid) if aes_key else None
        self.http = AsyncHTTPClient()

    # ---- message XML ----

    def xml(self, msg_type: str, fields: dict, create_time: int | None = None, msg_id: int | None = None) -> str:
        parts = [
            f"<ToUserName><![CDATA[{self.account}]]></ToUserName>",
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>",
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>",
            f"<MsgType><![CDATA[{msg_type}]]></MsgType>",
        ]
        # As WeChat does, "]]>" inside text is split across two CDATA sections.
        parts += [
            f"<{k}><![CDATA[{v.replace(']]>', ']]]]><![CDATA[>')}]]></{k}>" if isinstance(v, str) else f"<{k}>{v}</{k}>"
            for k, v in fields.items()
        ]
        if msg_type != "event":
            parts.append(f"<MsgId>{msg_id or next(_msg_ids)}</MsgId>")
        return "<xml>" + "".join(parts) + "</xml>"

    def text_xml(self, content: str, **kw) -> str:
        return self.xml("text", {"Content": content}, **kw)

    def voice_xml(self, recognition: str, **kw) -> str:
        return self.xml("voice", {"MediaId": "media-1", "Format": "amr", "Recognition": recognition}, **kw)

    def location_xml(self, lat: float, lng: float, label: str = "", **kw) -> str:
        return self.xml("location", {"Location_X": lat, "Location_Y": lng, "Scale": 15, "Label": label}, **kw)

    def consent_xml(self, template_ids: list[str], status: str = "accept", **kw) -> str:
        """subscribe_msg_popup_event: the user answered the subscribe-notification popup for these templates."""
        items = "".join(
            f"<List><TemplateId><![CDATA[{t}]]></TemplateId><SubscribeStatusString><![CDATA[{status}]]>"
            "</SubscribeStatusString><PopupScene>2</PopupScene></List>"
            for t in template_ids
        )
        xml = self.xml("event", {"Event": "subscribe_msg_popup_event"}, **kw)
        return xml.replace("</xml>", f"<SubscribeMsgPopupEvent>{items}</SubscribeMsgPopupEvent></xml>")

    def event_xml(self, event: str, key: str = "", **kw) -> str:
        fields = {"Event": event}
        if key:
            fields["EventKey"] = key
        return self.xml("event", fields, **kw)

    # ---- transport ----

    def signed_request(self, xml: str, timestamp: str | None = None, nonce: str | None = None) -> tuple[str, str]:
        """(url, body) exactly as WeChat would send them."""
        timestamp = timestamp or str(int(time.time()))
        nonce = nonce or str(random.randint(10**8, 10**9))
        query = f"signature={sign(self.token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}&openid={self.openid}"
        body = xml
        if self.safe:
            encrypted = xmltodict.parse(self.crypto.encrypt_message(xml, nonce, timestamp))["xml"]
            body = (
                f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted['Encrypt']}]]></Encrypt></xml>"
            )
            query += f"&encrypt_type=aes&msg_signature={encrypted['MsgSignature']}"
        return f"{self.base_url}/wechat?{query}", body

    async def post_xml(self, xml: str, **kw):
        url, body = self.signed_request(xml, **kw)
        return await self.http.fetch(
            url, method="POST", body=body.encode(), raise_error=False, headers={"Content-Type": "text/xml"}, request_timeout=10
        )

    def read_reply(self, body: bytes) -> dict | None:
        """The reply as a dict of XML fields (decrypted in safe mode), or None for "success"."""
        text = body.decode()
        if text in ("success", ""):
            return None
        reply = xmltodict.parse(text)["xml"]
        if "Encrypt" in reply:
            plain = self.crypto.decrypt_message(text, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
            reply = xmltodict.parse(plain)["xml"]
        return reply

    async def send(self, xml: str, **kw) -> str | None:
        """Post a callback and return the reply's text content (None for "success")."""
        response = await self.post_xml(xml, **kw)
        if response.code != 200:
            raise RuntimeError(f"server answered {response.code}: {response.body[:200]!r}")
        reply = self.read_reply(response.body)
        return None if reply is None else reply.get("Content")

    async def say(self, text: str) -> str | None:
        return await self.send(self.text_xml(text))


CHANNEL_LABELS = {"custom": "客服消息", "template": "模板消息", "subscribe": "订阅通知", "wxa_subscribe": "小程序订阅消息"}


def readable(message: dict) -> str:
    """A message from the sandbox outbox as the user would read it: text, or a template's values."""
    if "text" in message:
        return message["text"].get("content", "")
    if "data" in message:
        return " / ".join(str(v.get("value", "")) for v in message["data"].values())
    return json.dumps(message, ensure_ascii=False)


async def _read_outbox(user: WeChatUser, outbox_url: str) -> None:
    """Print customer-service messages to this user as they arrive."""
    after = 0
    while True:
        try:
            response = await user.http.fetch(f"{outbox_url}?openid={user.openid}&after={after}&wait=20", request_timeout=30)
        except (HTTPClientError, OSError):
            await asyncio.sleep(3)
            continue
        data = json.loads(response.body)
        after = data["next"]
        for message in data["messages"]:
            label = CHANNEL_LABELS.get(message.get("channel", "custom"), "消息")
            print(f"\n[{label}] {readable(message)}\n> ", end="", flush=True)


async def _interactive(user: WeChatUser, outbox_url: str | None) -> int:
    loop = asyncio.get_running_loop()
    watcher = asyncio.ensure_future(_read_outbox(user, outbox_url)) if outbox_url else None
    print(f"为民服务助手 simulator: user {user.openid} -> {user.base_url} ({'safe' if user.safe else 'plain'} mode)")
    print(
        "Type a message; /voice 文字, /location 25.03 103.57, /subscribe, /menu KEY, /image, /file 名称, "
        "/consent (accept subscribe notifications), /scan STATION, /quit"
    )
    try:
        while True:
            line = await loop.run_in_executor(None, lambda: input("> "))
            line = line.strip()
            if not line:
                continue
            if line == "/quit":
                return 0
            try:
                xml = _command_xml(user, line)
                reply = await user.send(xml)
            except (RuntimeError, OSError, ValueError) as exc:
                print(f"! {exc}")
                continue
            print(reply if reply is not None else "(success: no immediate reply)")
    except (EOFError, KeyboardInterrupt):
        return 0
    finally:
        if watcher:
            watcher.cancel()


def _command_xml(user: WeChatUser, line: str) -> str:
    if line.startswith("/voice"):
        return user.voice_xml(line[len("/voice") :].strip())
    if line.startswith("/location"):
        lat, lng = (float(x) for x in line.split()[1:3])
        return user.location_xml(lat, lng)
    if line == "/subscribe":
        return user.event_xml("subscribe")
    if line.startswith("/menu"):
        return user.event_xml("CLICK", line.split()[1])
    if line == "/image":
        return user.xml("image", {"PicUrl": "http://example.invalid/p.jpg", "MediaId": "m1"})
    if line.startswith("/file"):
        name = line[len("/file") :].strip() or "申请表.pdf"
        return user.xml("file", {"Title": name, "Description": "", "FileKey": "k1", "FileMd5": "0" * 32, "FileTotalLen": 1024})
    if line.startswith("/consent"):  # accept subscribe notifications (the dev templates unless ids are given)
        return user.consent_xml(line.split()[1:] or ["dev-sub-booking-status", "dev-sub-rating-request"])
    if line.startswith("/scan"):
        return user.event_xml("SCAN", "station:" + (line.split()[1] if len(line.split()) > 1 else "LDX-002-01"))
    return user.text_xml(line)


def main(argv: list[str] | None = None) -> int:
    from settings import Settings

    config = Settings.from_env()
    parser = argparse.ArgumentParser(description="Chat with a running 为民服务助手 as a WeChat user.")
    parser.add_argument("--url", default=f"http://{config.host}:{config.port}", help="server base URL")
    parser.add_argument("--openid", default="o_simulated_user", help="the simulated user's openid")
    parser.add_argument("--safe", action="store_true", help="encrypt callbacks (needs WECHAT_AES_KEY)")
    parser.add_argument("--outbox", default=None, help="sandbox outbox URL (default: the dev server's)")
    args = parser.parse_args(argv)
    if args.safe and not config.wechat_aes_key:
        parser.error("--safe needs WECHAT_AES_KEY (the same as the server's)")
    user = WeChatUser(args.url, args.openid, config.wechat_token, config.wechat_appid, config.wechat_aes_key, safe=args.safe)
    outbox = args.outbox or (f"{args.url}/dev/wechat-api/outbox" if config.uses_sandbox else None)
    return asyncio.run(_interactive(user, outbox))


if __name__ == "__main__":
    sys.exit(main())
