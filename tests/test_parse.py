"""The fast callback parser (bot/wechat/parse.py) gives wechatpy's result, or wechatpy's error, for anything."""

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
