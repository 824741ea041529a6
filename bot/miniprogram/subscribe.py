"""Which mini-program subscribe templates (wx.requestSubscribeMessage) a resident is asked for: by booking kind,
only the notices they will really get, never a staff template."""

from __future__ import annotations

# Notification kinds a resident receives, by booking kind, most important first (WeChat asks for at most 3).
BY_BOOKING_KIND = {
    "proxy": ("booking_status", "rating_request"),
    "home_visit": ("booking_status", "visit_reminder", "rating_request"),
}
TITLES = {"booking_status": "预约进度通知", "visit_reminder": "上门服务提醒", "rating_request": "服务评价提醒"}
MAX_PER_REQUEST = 3


def offered(templates: dict, booking_kind: str) -> list[dict]:
    """[{id, kind, title}] of the configured templates a booking of this kind can send to its resident."""
    out = []
    for kind in BY_BOOKING_KIND.get(booking_kind, ()):
        template_id = (templates.get(kind) or {}).get("id")
        if template_id and all(t["id"] != template_id for t in out):
            out.append({"id": template_id, "kind": kind, "title": TITLES[kind]})
    return out[:MAX_PER_REQUEST]


def resident_template_ids(templates: dict) -> set[str]:
    """Every template id a resident may accept (whatever the booking kind)."""
    return {t["id"] for kind in BY_BOOKING_KIND for t in offered(templates, kind)}
