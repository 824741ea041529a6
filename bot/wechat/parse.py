"""Parsing callback XML into wechatpy's message objects, several times faster for the messages WeChat sends.

wechatpy's `parse_message` builds its dict with xmltodict, whose Python callbacks per element cost more
than the rest of receiving a message. WeChat's messages are flat: `<xml>` with one text element per field.
Those are read with ElementTree's C parser into the same dict xmltodict would build (text stripped, empty
as None); the subscribe-notification events' <List> items are the one nesting read here. Anything else
(attributes, other nested or repeated elements, stray text, another root, a parse error) goes to
xmltodict as in wechatpy, so the errors are wechatpy's. Classes come from bot/wechat/events.py, wechatpy's
registries plus what it lacks. Callers reject DTDs before parsing (handlers/wechat.py).
"""

from __future__ import annotations

from xml.etree.ElementTree import ParseError, XMLParser

import xmltodict
from wechatpy.messages import UnknownMessage
from wechatpy.utils import to_text

from bot.wechat.events import EVENT_TYPES, MESSAGE_TYPES, SUBSCRIBE_LISTS, UnknownEvent

MAX_LIST_ITEMS = 20  # templates in one subscribe-notification event: a popup offers at most a few


def _text_child(child, fields: dict) -> bool:
    """Add one text element to `fields` as xmltodict would; False when it is not a plain text element."""
    tag = child.tag
    if len(child) or child.attrib or tag in fields or not isinstance(tag, str) or tag.startswith("{"):
        return False
    if child.tail and child.tail.strip():
        return False
    text = child.text
    fields[tag] = (text.strip() or None) if text else None
    return True


def _subscribe_list(element) -> dict | None:
    """A subscribe-notification event's nested element: only <List> children, each flat; else None."""
    if element.attrib or (element.text and element.text.strip()) or (element.tail and element.tail.strip()):
        return None
    items = []
    for child in element:
        item: dict = {}
        if child.tag != "List" or child.attrib or (child.text and child.text.strip()) or len(items) >= MAX_LIST_ITEMS:
            return None
        if (child.tail and child.tail.strip()) or not all(_text_child(field, item) for field in child):
            return None
        items.append(item)
    return {"List": items} if items else None


def flat_fields(xml: str | bytes) -> dict | None:
    """The fields of a flat `<xml>` document as xmltodict would give them, or None when it is not one.
    The one nesting WeChat's events have that we read, a subscribe-notification event's list of
    templates, is taken too: {"SubscribeMsgPopupEvent": {"List": [{...}, ...]}}."""
    parser = XMLParser()
    try:
        parser.feed(xml)
        root = parser.close()
    except ParseError:
        return None
    if root.tag != "xml" or root.attrib or (root.text and root.text.strip()):
        return None
    fields: dict = {}
    for child in root:
        if len(child) and child.tag in SUBSCRIBE_LISTS and child.tag not in fields:
            nested = _subscribe_list(child)
            if nested is None:
                return None
            fields[child.tag] = nested
        elif not _text_child(child, fields):
            return None
    return fields or None


def event_class(message: dict):
    """wechatpy's rules for an event's class (device events, scan-to-follow), over our registry; an event
    nothing describes stays an event (UnknownEvent). May rewrite Event/EventKey as wechatpy does."""
    message_type = message["MsgType"].lower()
    event_type = message["Event"].lower() if isinstance(message.get("Event"), str) else None
    if message_type.startswith("device_"):
        event_type = message_type if event_type is None else f"device_{event_type}"
    if event_type == "subscribe" and isinstance(message.get("EventKey"), str):
        key = message["EventKey"]
        if key.startswith(("scanbarcode|", "scanimage|")):
            event_type = message["Event"] = "subscribe_scan_product"
        elif key.startswith("qrscene_"):
            event_type = message["Event"] = "subscribe_scan"
            message["EventKey"] = key[len("qrscene_") :]
    return EVENT_TYPES.get(event_type, UnknownEvent)


def parse_message(xml):
    """wechatpy.parse_message with our registries (file messages, subscribe-notification events, unknown
    events kept as events), and the fast path above for the flat documents WeChat sends."""
    if not xml:
        return None
    message = flat_fields(to_text(xml))  # as wechatpy: bytes are UTF-8 (UnicodeDecodeError otherwise)
    if message is None:
        message = xmltodict.parse(to_text(xml))["xml"]  # wechatpy's own parser, for other nestings
    message_type = message["MsgType"].lower()  # KeyError, TypeError or AttributeError: not a message
    if message_type == "event" or message_type.startswith("device_"):
        return event_class(message)(message)
    return MESSAGE_TYPES.get(message_type, UnknownMessage)(message)
