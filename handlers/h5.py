"""/guide/<code>: one service item's full guide as a mobile page in large, readable type."""

from __future__ import annotations

from bot.conversation.guide import FIELD_LABELS, INFO_LINE, REVIEW_LABELS, limit_text, material_need
from handlers.base import BaseHandler


class GuidePageHandler(BaseHandler):
    async def get(self, code: str) -> None:
        item = await self.store.items.find_one({"code": code.upper()}, {"_id": 0})
        if item is None:
            self.set_status(404)
            self.render("not_found.html", code=code)
            return
        self.render(
            "guide.html",
            item=item,
            labels=FIELD_LABELS,
            review_labels=REVIEW_LABELS,
            limit_text=limit_text,
            material_need=material_need,
            info_line=INFO_LINE,
        )


default_handlers = [(r"/guide/([A-Za-z]{2,4}-[0-9]{3})", GuidePageHandler)]
