"""The fast callback parser and safe-mode crypto (bot/wechat/parse.py, crypto.py) give wechatpy's results and errors."""

from __future__ import annotations

import pytest
from wechatpy import parse_message as wechatpy_parse

from bot.simulate import WeChatUser
from bot.wechat.parse import parse_message

U = WeChatUser("http://x", "o_parse", "t")

CASES = [
    U.text_xml("身份证丢了怎么补", msg_id=1),
    U.text_xml("  前后有空格  ", msg_id=2),
    U.text_xml("有]]>在里面", msg_id=3),
    U.text_xml("", msg_id=4),
    U.voice_xml("我想办低保", msg_id=5),
    U.location_xml(24.95, 103.58, "某地", msg_id=6),
    U.xml("image", {"PicUrl": "http://x/p.jpg", "MediaId": "m"}, msg_id=7),
    U.xml("link", {"Title": "t", "Description": "d", "Url": "http://x"}, msg_id=8),
    U.xml("miniprogrampage", {"Title": "x"}, msg_id=9),
    U.event_xml("subscribe"),
    U.event_xml("subscribe", "qrscene_123"),
    U.event_xml("CLICK", "MENU_HUMAN"),
    "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType><Content>x</Content></xml>",
    "<xml>\n  <MsgType>text</MsgType>\n  <Content>\n x \n</Content>\n</xml>",
    "<xml><MsgType>TEXT</MsgType><Content>x</Content><MsgId>9</MsgId></xml>",
    "<xml><MsgType>text</MsgType><Content a='1'>x</Content></xml>",  # an attribute
    "<xml><MsgType>text</MsgType><Content>x</Content><Content>y</Content></xml>",  # repeated
    "<xml><MsgType>text</MsgType><Content><b>x</b></Content></xml>",  # nested
    "<xml>stray<MsgType>text</MsgType></xml>",
    "<xml><MsgType>text</MsgType>tail</xml>",
    "<root><MsgType>text</MsgType></root>",
    "<xml xmlns:a='urn:x'><a:MsgType>text</a:MsgType></xml>",
    "<xml><a:MsgType>text</a:MsgType></xml>",
    "<xml><MsgType></MsgType></xml>",
    "<xml></xml>",
    "<xml><MsgType>text</MsgType>",
    "not xml at all",
    "<xml><MsgType>event</MsgType><Event>scancode_push</Event><ScanCodeInfo><ScanType>qr</ScanType></ScanCodeInfo></xml>",
    "<xml><MsgType>device_text</MsgType><Content>x</Content></xml>",
    "<xml><ToUserName><![CDATA[a]]></ToUserName><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[]]></Content></xml>",
]


def outcome(parse, xml):
    try:
        message = parse(xml)
    except Exception as exc:  # noqa: BLE001 - the comparison is the point
        return ("error", type(exc))
    return (type(message), getattr(message, "_data", message))


@pytest.mark.parametrize("xml", CASES + [c.encode() for c in CASES[:3]] + [b"<xml><Content>\xff</Content></xml>"])
def test_same_result_or_error_as_wechatpy(xml):
    assert outcome(parse_message, xml) == outcome(wechatpy_parse, xml)


# ---- safe-mode crypto (bot/wechat/crypto.py) against wechatpy's ----

TOKEN, APPID, KEY = "t0ken", "wx1234567890abcdef", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def crypto_pair():
    from wechatpy.crypto import WeChatCrypto

    from bot.wechat.crypto import FastWeChatCrypto

    return FastWeChatCrypto(TOKEN, KEY, APPID), WeChatCrypto(TOKEN, KEY, APPID)


def test_each_decrypts_what_the_other_encrypted():
    import xmltodict

    fast, slow = crypto_pair()
    message = U.text_xml("身份证丢了怎么补，要带什么？", msg_id=11)
    for encrypt_with, decrypt_with in ((fast, slow), (slow, fast), (fast, fast)):
        envelope = encrypt_with.encrypt_message(message, "nonce1", "1700000000")
        fields = xmltodict.parse(envelope)["xml"]
        assert decrypt_with.decrypt_message(envelope, fields["MsgSignature"], "1700000000", "nonce1") == message
        incoming = f"<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[{fields['Encrypt']}]]></Encrypt></xml>"
        assert decrypt_with.decrypt_message(incoming, fields["MsgSignature"], "1700000000", "nonce1") == message


def test_replies_differ_in_their_random_prefix_only():
    fast, _slow = crypto_pair()
    a = fast.encrypt_message("<xml/>", "n", "1")
    b = fast.encrypt_message("<xml/>", "n", "1")
    assert a != b


@pytest.mark.parametrize(
    "envelope, signature",
    [
        ("<xml><Encrypt><![CDATA[bm90IGVuY3J5cHRlZA==]]></Encrypt></xml>", None),  # right signature, garbage
        ("<xml><Encrypt><![CDATA[abc]]></Encrypt></xml>", "0" * 40),  # wrong signature
        ("<xml><Other>x</Other></xml>", "0" * 40),  # no Encrypt
        ("<xml><Encrypt a='1'>x</Encrypt></xml>", "0" * 40),  # not flat: wechatpy's parser
        ("not xml", "0" * 40),
    ],
)
def test_same_errors_as_wechatpy(envelope, signature):
    from wechatpy.crypto import _get_signature

    fast, slow = crypto_pair()
    if signature is None:
        signature = _get_signature(TOKEN, "1", "n", "bm90IGVuY3J5cHRlZA==")
    assert outcome(lambda e: fast.decrypt_message(e, signature, "1", "n"), envelope) == outcome(
        lambda e: slow.decrypt_message(e, signature, "1", "n"), envelope
    )
