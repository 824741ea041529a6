"""Parsing callback XML into wechatpy's message objects, several times faster for the messages WeChat sends.

wechatpy's `parse_message` builds its dict with xmltodict, whose Python callbacks per element cost more
than the rest of receiving a message. WeChat's messages are flat: `<xml>` with one text element per field.
Those are read with ElementTree's C parser into the same dict xmltodict would build (text stripped, empty
as None); anything else (attributes, nested or repeated elements, stray text, another root, a parse
error) goes to wechatpy's own parser, so the result and the errors are wechatpy's in every case.
Callers reject DTDs before parsing (handlers/wechat.py), as for wechatpy's parser.
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError, XMLParser

from wechatpy import parse_message as wechatpy_parse_message
from wechatpy.messages import MESSAGE_TYPES, UnknownMessage
from wechatpy.utils import to_text


def flat_fields(xml: str | bytes) -> dict | None:
    """The fields of a flat `<xml>` document as xmltodict would give them, or None when it is not one."""
    parser = XMLParser()
    try:
        parser.feed(xml)
        root = parser.close()
    except ParseError:
        return None
    if root.tag != "xml" or root.attrib or (root.text and root.text.strip()):
        return None
    fields = {}
    for child in root:
        tag = child.tag
        if len(child) or child.attrib or tag in fields or not isinstance(tag, str) or tag.startswith("{"):
            return None
        if child.tail and child.tail.strip():
            return None
        text = child.text
        fields[tag] = (text.strip() or None) if text else None
    return fields or None


def parse_message(xml):
    """wechatpy.parse_message, with the fast path above for flat messages."""
    if not xml:
        return None
    message = flat_fields(to_text(xml))  # as wechatpy: bytes are UTF-8 (UnicodeDecodeError otherwise)
    if message is None or not isinstance(message.get("MsgType"), str):
        return wechatpy_parse_message(xml)
    message_type = message["MsgType"].lower()
    if message_type == "event" or message_type.startswith("device_"):
        return wechatpy_parse_message(xml)  # events: wechatpy's own rules for event names and keys
    return MESSAGE_TYPES.get(message_type, UnknownMessage)(message)
