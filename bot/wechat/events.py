"""The message and event classes wechatpy 1.8.18 (its newest stable release) lacks, and the registries by kind.

wechatpy has no file message and no class for the subscribe-notification events of Official Accounts
(subscribe_msg_popup_event, subscribe_msg_change_event, subscribe_msg_sent_event, whose items come as
a nested list); an event it does not know becomes an `UnknownMessage` whose type is not even "event".
These classes follow wechatpy's own (same base classes and field descriptors), so code written against
wechatpy keeps working. `RESIDENT_TYPES` is what a resident writes; everything else is an event.
"""

from __future__ import annotations

from wechatpy.events import EVENT_TYPES as WECHATPY_EVENT_TYPES
from wechatpy.events import BaseEvent
from wechatpy.fields import BaseField, IntegerField, StringField
from wechatpy.messages import MESSAGE_TYPES as WECHATPY_MESSAGE_TYPES
from wechatpy.messages import BaseMessage

# What residents write: these go to the conversation and count for rate limits, the report and the
# customer-service window. Events (and anything else WeChat may add) never do.
RESIDENT_TYPES = frozenset({"text", "voice", "image", "video", "shortvideo", "file", "location", "link"})
# The nested element holding each subscribe-notification event's <List> items.
SUBSCRIBE_LISTS = ("SubscribeMsgPopupEvent", "SubscribeMsgChangeEvent", "SubscribeMsgSentEvent")


def is_resident_message(message) -> bool:
    return getattr(message, "type", None) in RESIDENT_TYPES


class FileMessage(BaseMessage):
    """A file a user sent (MsgType file): its name, description, key, MD5 and size; MediaId when WeChat gives one."""

    type = "file"
    title = StringField("Title")
    description = StringField("Description")
    file_key = StringField("FileKey")
    file_md5 = StringField("FileMd5")
    file_total_len = IntegerField("FileTotalLen", 0)
    media_id = StringField("MediaId")


class UnknownEvent(BaseEvent):
    """An event no class describes: still an event (never a resident writing), its name kept."""

    @property
    def event(self) -> str:
        return (self._data.get("Event") or "").lower()

    key = StringField("EventKey", "")


class _SubscribeListEvent(BaseEvent):
    list_field = ""

    @property
    def subscribes(self) -> list[dict]:
        """The <List> items, always a list of dicts (one item or many)."""
        items = (self._data.get(self.list_field) or {}).get("List") or []
        return [items] if isinstance(items, dict) else list(items)


class SubscribeMsgPopupEvent(_SubscribeListEvent):
    """The user answered the subscribe-notification popup: per template `accept` or `reject` (PopupScene:
    0 in an article, 1 in a menu or page, 2 in a web page)."""

    event = "subscribe_msg_popup_event"
    list_field = "SubscribeMsgPopupEvent"
    subscribes_info = BaseField("SubscribeMsgPopupEvent", {})


class SubscribeMsgChangeEvent(_SubscribeListEvent):
    """The user changed a subscription in the account's settings (`reject`: turned off)."""

    event = "subscribe_msg_change_event"
    list_field = "SubscribeMsgChangeEvent"
    subscribes_info = BaseField("SubscribeMsgChangeEvent", {})


class SubscribeMsgSentEvent(_SubscribeListEvent):
    """The result of a subscribe notification sent with bizsend: TemplateId, MsgID, ErrorCode, ErrorStatus."""

    event = "subscribe_msg_sent_event"
    list_field = "SubscribeMsgSentEvent"
    subscribes_info = BaseField("SubscribeMsgSentEvent", {})


MESSAGE_TYPES = {**WECHATPY_MESSAGE_TYPES, "file": FileMessage}
EVENT_TYPES = {
    **WECHATPY_EVENT_TYPES,
    "subscribe_msg_popup_event": SubscribeMsgPopupEvent,
    "subscribe_msg_change_event": SubscribeMsgChangeEvent,
    "subscribe_msg_sent_event": SubscribeMsgSentEvent,
}
